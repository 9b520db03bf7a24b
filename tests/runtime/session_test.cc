// Session::Run: TF1's feed/fetch semantics and every error case, each naming node, dtype, shape.
#include "runtime/session.h"

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectValues;
using testing::Values;

class SessionTest : public testing::GraphTest {
 protected:

  std::string ErrorOf(const Status& s) {
    EXPECT_FALSE(s.ok());
    return s.message();
  }
};

TEST_F(SessionTest, UnfedPlaceholderIsTfsError) {
  auto x = placeholder(float32, {-1, 784}, "x");
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(x * 2.0).status()),
            "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,784]");
}

TEST_F(SessionTest, FedDtypeMismatchIsAnError) {
  auto x = placeholder(float32, {2}, "x");
  Session sess(g);
  std::string m = ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2}, {2}, DT_INT32)}}).status());
  EXPECT_NE(m.find("Cannot feed value of dtype int32 for Tensor 'x:0', which has dtype float"), std::string::npos) << m;
}

TEST_F(SessionTest, FedShapeIncompatibleWithPlaceholderIsAnError) {
  auto x = placeholder(float32, {-1, 784}, "x");
  Session sess(g);
  std::string m = ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2, 3, 4, 5, 6}, {2, 3})}}).status());
  EXPECT_NE(m.find("Cannot feed value of shape [2,3] for Tensor 'x:0', which has shape [?,784]"), std::string::npos) << m;
}

TEST_F(SessionTest, UninitializedVariableIsTfsError) {
  Variable W(zeros({2, 2}), "W");
  Session sess(g);
  std::string m = ErrorOf(sess.run(W.value() * 2.0).status());
  EXPECT_NE(m.find("Attempting to use uninitialized value W"), std::string::npos) << m;
  EXPECT_NE(m.find("W/read"), std::string::npos) << m;
}

TEST_F(SessionTest, UnknownFetchNameIsAnError) {
  placeholder(float32, {2}, "x");
  Session sess(g);
  std::string m = ErrorOf(sess.run({Fetch("nope:0")}).status());
  EXPECT_NE(m.find("'nope:0'"), std::string::npos) << m;
  m = ErrorOf(sess.run({Fetch("x:3")}).status());
  EXPECT_NE(m.find("x:3"), std::string::npos) << m;
  m = ErrorOf(sess.run({Fetch("no_such_op")}).status());
  EXPECT_NE(m.find("no_such_op"), std::string::npos) << m;
}

TEST_F(SessionTest, ShapeMismatchFoundOnlyWithFedShapesNamesTheOp) {
  auto a = placeholder(float32, {-1, -1}, "a");
  auto b = constant(Values(std::vector<double>(20, 1), {4, 5}));
  Output p = matmul(a, b);
  ASSERT_TRUE(g.build_status().ok());
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(p, {{a, Values({1, 2, 3, 4, 5, 6}, {2, 3})}}).status()),
            "Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [4,5].");
}

TEST_F(SessionTest, GraphBuildErrorIsReportedByRun) {
  auto a = constant(Values({1, 2, 3}, {3}));
  add(a, constant(Values({1, 2}, {2})));
  Session sess(g);
  std::string m = ErrorOf(sess.run(a).status());
  EXPECT_NE(m.find("Dimensions must be equal"), std::string::npos) << m;
}

TEST_F(SessionTest, NullFetchIsAnErrorNotACrash) {
  Session sess(g);
  EXPECT_FALSE(sess.run(Output()).ok());
  EXPECT_FALSE(sess.run(Operation()).ok());
}

TEST_F(SessionTest, FetchFromAnotherGraphIsAnError) {
  Graph other;
  Output foreign;
  {
    auto guard2 = as_default(other);
    foreign = constant(1.0);
  }
  Session sess(g);
  EXPECT_NE(ErrorOf(sess.run(foreign).status()).find("not an element of this graph"), std::string::npos);
}

TEST_F(SessionTest, OperationFetchesGiveEmptyTensorsInPlace) {
  Variable v(constant(Values({1}, {1})), "v");
  Output inc = v.assign_add(constant(Values({1}, {1})));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  auto out = sess.run({Operation(inc.node), v.value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE((*out)[0].valid());
  EXPECT_TRUE((*out)[1].valid());
}

TEST_F(SessionTest, FeedingAnIntermediateTensorCutsItsProducer) {
  auto x = placeholder(float32, {2}, "x");
  Output h = x * 10.0;
  Output y = h + 1.0;
  Session sess(g);
  // x is never fed: h's producer must not run.
  ExpectValues(sess.run(y, {{h, Values({5, 6}, {2})}}).value(), {2}, {6, 7});
}

TEST_F(SessionTest, OnlyTheNeededSubgraphRuns) {
  auto x = placeholder(float32, {2}, "x");
  placeholder(float32, {2}, "unrelated") * 3.0;
  Session sess(g);
  ExpectValues(sess.run(x + 1.0, {{x, Values({1, 2}, {2})}}).value(), {2}, {2, 3});
}

TEST_F(SessionTest, ControlDependenciesAreHonored) {
  Variable counter(zeros({}), "counter");
  Output inc = counter.assign_add(constant(1.0));
  Output read;
  {
    control_dependencies deps({inc});
    read = identity(counter.value(), "read_after_inc");
  }
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ExpectValues(sess.run(read).value(), {}, {1});
  ExpectValues(sess.run(read).value(), {}, {2});
}

TEST_F(SessionTest, UpdatesRunAfterEarlierReadsOfTheirVariable) {
  // A read created before an in-place update sees the old value even when the update is ready
  // first (variable reads alias the variable, so execution order decides): program order wins,
  // which keeps backprop from reading weights an optimizer already moved.
  Variable w(constant(Values({1}, {1})), "w");
  Output read = w.value();
  for (int i = 0; i < 5; ++i) read = identity(read);
  Output y = read * 2.0;
  Output update = w.assign_sub(constant(Values({1}, {1})));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  auto out = sess.run({y, Operation(update)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectValues((*out)[0], {1}, {2});
  ExpectValues(sess.run(w).value(), {1}, {0});
}

TEST_F(SessionTest, FetchingTheStringNameOfAnOpRunsIt) {
  Variable counter(zeros({}), "counter");
  counter.assign_add(constant(1.0), "bump");
  Session sess(g);
  ASSERT_TRUE(sess.run({Fetch("init")}).ok() || sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run({Fetch("bump")}).ok());
  ExpectValues(sess.run({Fetch("counter:0")}).value()[0], {}, {1});
}

TEST_F(SessionTest, ExecutablesAreCachedPerSignature) {
  auto x = placeholder(float32, {-1}, "x");
  Output y = x * 2.0;
  Session sess(g);
  ASSERT_TRUE(sess.run(y, {{x, Values({1, 2}, {2})}}).ok());
  ASSERT_TRUE(sess.run(y, {{x, Values({3, 4}, {2})}}).ok());
  EXPECT_EQ(sess.num_compiled(), 1);
  ExpectValues(sess.run(y, {{x, Values({1, 2, 3}, {3})}}).value(), {3}, {2, 4, 6});
  EXPECT_EQ(sess.num_compiled(), 2);
}

TEST_F(SessionTest, FetchedValuesAreIndependentCopies) {
  auto x = placeholder(float32, {2}, "x");
  Output y = x * 2.0;
  Session sess(g);
  Tensor first = sess.run(y, {{x, Values({1, 2}, {2})}}).value();
  Tensor second = sess.run(y, {{x, Values({5, 6}, {2})}}).value();
  ExpectValues(first, {2}, {2, 4});
  ExpectValues(second, {2}, {10, 12});
}

TEST_F(SessionTest, HundredThousandNodeChainRuns) {
  auto x = placeholder(float32, {}, "x");
  Output y = x;
  for (int i = 0; i < 100000; ++i) y = y + 1.0;
  Session sess(g);
  ExpectValues(sess.run(y, {{x, Values({0}, {})}}).value(), {}, {100000});
}

}  // namespace
}  // namespace kiln
