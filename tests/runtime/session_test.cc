// Session::Run (runtime/session.cc): TF1's feed/fetch semantics, and every error case, each
// naming the node, op, dtype or shape involved.
#include "runtime/session.h"

#include <cmath>

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

// ---- errors ----

TEST_F(SessionTest, UnfedPlaceholderIsTfsError) {
  auto x = placeholder(float32, {-1, 784}, "x");
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(x * 2.0).status()),
            "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,784]");
  auto labels = placeholder(int64, Shape::UnknownRank(), "labels");
  EXPECT_EQ(ErrorOf(sess.run(labels).status()),
            "You must feed a value for placeholder tensor 'labels' with dtype int64 and shape <unknown>");
}

TEST_F(SessionTest, UnfedPlaceholderIsNamedEvenWhenAnotherIsFed) {
  auto x = placeholder(float32, {-1, 3}, "x");
  auto y_ = placeholder(float32, {-1, 2}, "y_");
  Session sess(g);
  std::string m = ErrorOf(sess.run(reduce_sum(x) + reduce_sum(y_), {{x, Values({1, 2, 3}, {1, 3})}}).status());
  EXPECT_EQ(m, "You must feed a value for placeholder tensor 'y_' with dtype float and shape [?,2]");
}

TEST_F(SessionTest, FedDtypeMismatchIsAnError) {
  auto x = placeholder(float32, {2}, "x");
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2}, {2}, DT_INT32)}}).status()),
            "Cannot feed value of dtype int32 for Tensor 'x:0', which has dtype float");
  EXPECT_EQ(ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2}, {2}, DT_DOUBLE)}}).status()),
            "Cannot feed value of dtype double for Tensor 'x:0', which has dtype float");
}

TEST_F(SessionTest, FedShapeIncompatibleWithPlaceholderIsAnError) {
  auto x = placeholder(float32, {-1, 784}, "x");
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2, 3, 4, 5, 6}, {2, 3})}}).status()),
            "Cannot feed value of shape [2,3] for Tensor 'x:0', which has shape [?,784]");
  EXPECT_EQ(ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2, 3}, {3})}}).status()),
            "Cannot feed value of shape [3] for Tensor 'x:0', which has shape [?,784]");
}

TEST_F(SessionTest, FeedingAnIntermediateOfTheWrongShapeIsAnError) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Output h = reduce_sum(x, {1}, false, "h");  // [?]
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(h * 2.0, {{h, Values({1, 2}, {1, 2})}}).status()),
            "Cannot feed value of shape [1,2] for Tensor 'h:0', which has shape [?]");
}

TEST_F(SessionTest, FeedingATensorTwiceIsAnError) {
  auto x = placeholder(float32, {2}, "x");
  Session sess(g);
  std::string m = ErrorOf(sess.run(x * 2.0, {{x, Values({1, 2}, {2})}, {x, Values({3, 4}, {2})}}).status());
  EXPECT_NE(m.find("'x:0' is fed twice"), std::string::npos) << m;
}

TEST_F(SessionTest, UninitializedVariableIsTfsError) {
  Variable W(zeros({2, 2}), "W");
  Session sess(g);
  std::string m = ErrorOf(sess.run(W.value() * 2.0).status());
  EXPECT_NE(m.find("Attempting to use uninitialized value W"), std::string::npos) << m;
  EXPECT_NE(m.find("W/read"), std::string::npos) << m;
}

TEST_F(SessionTest, UninitializedVariableInsideAModelIsNamed) {
  auto x = placeholder(float32, {-1, 2}, "x");
  Variable W(zeros({2, 3}), "W");
  Variable b(zeros({3}), "b");
  Output logits = matmul(x, W) + b;
  Session sess(g);
  ASSERT_TRUE(sess.run(W.initializer()).ok());
  std::string m = ErrorOf(sess.run(logits, {{x, Values({1, 2}, {1, 2})}}).status());
  EXPECT_NE(m.find("Attempting to use uninitialized value b"), std::string::npos) << m;
  Variable fresh(zeros({1}), "fresh");
  m = ErrorOf(sess.run(fresh).status());  // fetching the variable itself
  EXPECT_NE(m.find("Attempting to use uninitialized value fresh"), std::string::npos) << m;
}

TEST_F(SessionTest, UnknownFetchNameIsAnError) {
  placeholder(float32, {2}, "x");
  Session sess(g);
  std::string m = ErrorOf(sess.run({Fetch("nope:0")}).status());
  EXPECT_NE(m.find("'nope:0'"), std::string::npos) << m;
  m = ErrorOf(sess.run({Fetch("x:3")}).status());
  EXPECT_NE(m.find("x:3"), std::string::npos) << m;
  m = ErrorOf(sess.run({Fetch("no_such_op")}).status());
  EXPECT_EQ(m, "Fetch argument 'no_such_op' cannot be interpreted as a Tensor or Operation: no node named "
               "'no_such_op' in the graph.");
}

TEST_F(SessionTest, ShapeMismatchFoundOnlyWithFedShapesNamesTheOp) {
  auto a = placeholder(float32, {-1, -1}, "a");
  auto b = constant(Values(std::vector<double>(20, 1), {4, 5}));
  Output p = matmul(a, b);
  ASSERT_TRUE(g.build_status().ok());
  EXPECT_EQ(p.shape().ToString(), "[?,5]");
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(p, {{a, Values({1, 2, 3, 4, 5, 6}, {2, 3})}}).status()),
            "Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [4,5].");
  // The same graph runs with a compatible feed.
  auto ok = sess.run(p, {{a, Values(std::vector<double>(8, 1), {2, 4})}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ExpectValues(*ok, {2, 5}, std::vector<double>(10, 4));
}

TEST_F(SessionTest, BroadcastMismatchFoundOnlyWithFedShapesNamesTheOp) {
  auto a = placeholder(float32, {-1}, "a");
  auto b = placeholder(float32, {-1}, "b");
  Output s = add(a, b, "sum");
  Session sess(g);
  EXPECT_EQ(ErrorOf(sess.run(s, {{a, Values({1, 2, 3}, {3})}, {b, Values({1, 2}, {2})}}).status()),
            "Dimensions must be equal, but are 3 and 2 for 'sum' (op: 'AddV2') with input shapes: [3], [2].");
}

TEST_F(SessionTest, KernelErrorsNameTheNode) {
  auto labels = placeholder(int64, {-1}, "labels");
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  Output loss = nn::sparse_softmax_cross_entropy_with_logits(labels, logits, "xent");
  Session sess(g);
  std::string m = ErrorOf(sess.run(loss, {{labels, Values({0, 9}, {2}, DT_INT64)}}).status());
  EXPECT_NE(m.find("Received a label value of 9"), std::string::npos) << m;
  EXPECT_NE(m.find("xent"), std::string::npos) << m;
}

TEST_F(SessionTest, GraphBuildErrorIsReportedByRun) {
  auto a = constant(Values({1, 2, 3}, {3}));
  add(a, constant(Values({1, 2}, {2})));
  Session sess(g);
  std::string m = ErrorOf(sess.run(a).status());
  EXPECT_NE(m.find("Dimensions must be equal, but are 3 and 2"), std::string::npos) << m;
  EXPECT_NE(m.find("the graph has an error from when it was built"), std::string::npos) << m;
  EXPECT_FALSE(sess.run(global_variables_initializer()).ok());  // every run, targets too
}

TEST_F(SessionTest, NullFetchIsAnErrorNotACrash) {
  Session sess(g);
  EXPECT_FALSE(sess.run(Output()).ok());
  EXPECT_FALSE(sess.run(Operation()).ok());
  EXPECT_FALSE(sess.run({Fetch(Output())}).ok());
  auto x = placeholder(float32, {1}, "x");
  EXPECT_FALSE(sess.run(x, {{Output(), Values({1}, {1})}}).ok());
}

TEST_F(SessionTest, FetchOrFeedFromAnotherGraphIsAnError) {
  Graph other;
  Output foreign;
  {
    auto guard2 = as_default(other);
    foreign = placeholder(float32, {1}, "foreign");
  }
  Session sess(g);
  EXPECT_NE(ErrorOf(sess.run(foreign).status()).find("not an element of this graph"), std::string::npos);
  auto x = placeholder(float32, {1}, "x");
  std::string m = ErrorOf(sess.run(x, {{x, Values({1}, {1})}, {foreign, Values({1}, {1})}}).status());
  EXPECT_NE(m.find("foreign:0"), std::string::npos) << m;
  EXPECT_NE(m.find("not an element of this graph"), std::string::npos) << m;
}

TEST_F(SessionTest, InvalidFedTensorIsAnError) {
  auto x = placeholder(float32, {1}, "x");
  Session sess(g);
  std::string m = ErrorOf(sess.run(x * 2.0, {{x, Tensor()}}).status());
  EXPECT_NE(m.find("x:0"), std::string::npos) << m;
}

// ---- feeds and fetches ----

TEST_F(SessionTest, OperationFetchesGiveEmptyTensorsInPlace) {
  Variable v(constant(Values({1}, {1})), "v");
  Output inc = v.assign_add(constant(Values({1}, {1})));
  Output twice = v.value() * 2.0;
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  auto out = sess.run({twice, Operation(inc.node), constant(Values({7}, {1}))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_TRUE((*out)[0].valid());
  EXPECT_FALSE((*out)[1].valid());
  ExpectValues((*out)[2], {1}, {7});
  ExpectValues(sess.run(v).value(), {1}, {2});  // the operation ran
}

TEST_F(SessionTest, FetchingTheStringNameOfAnOpRunsIt) {
  Variable counter(zeros({}), "counter");
  counter.assign_add(constant(1.0), "bump");
  Operation init = global_variables_initializer();
  Session sess(g);
  ASSERT_TRUE(sess.run({Fetch(init.name())}).ok());
  auto r = sess.run({Fetch("bump"), Fetch("bump:0"), Fetch("counter:0")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)[0].valid());  // an operation name: run, no value
  ExpectValues((*r)[1], {}, {1});
  ExpectValues(sess.run({Fetch("counter/read:0")}).value()[0], {}, {1});
}

TEST_F(SessionTest, TheSameTensorFetchedTwiceGivesItTwice) {
  auto x = placeholder(float32, {2}, "x");
  Output y = x + 1.0;
  Session sess(g);
  auto r = sess.run({y, y, x}, {{x, Values({1, 2}, {2})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValues((*r)[0], {2}, {2, 3});
  ExpectValues((*r)[1], {2}, {2, 3});
  ExpectValues((*r)[2], {2}, {1, 2});  // a fed tensor fetched is its fed value
}

TEST_F(SessionTest, FeedingAnIntermediateTensorCutsItsProducer) {
  auto x = placeholder(float32, {2}, "x");
  Output h = x * 10.0;
  Output y = h + 1.0;
  Session sess(g);
  // x is never fed: h's producer must not run.
  ExpectValues(sess.run(y, {{h, Values({5, 6}, {2})}}).value(), {2}, {6, 7});
}

TEST_F(SessionTest, FeedingTheLogitsSkipsTheModel) {
  // The model behind the logits needs an unfed placeholder and an uninitialized variable; neither
  // matters once the logits are fed.
  auto x = placeholder(float32, {-1, 2}, "x");
  Variable W(zeros({2, 2}), "W");
  Output logits = matmul(x, W, false, false, "logits");
  Output probs = nn::softmax(logits);
  Session sess(g);
  double e = std::exp(1.0);
  ExpectValues(sess.run(probs, {{logits, Values({0, 1}, {1, 2})}}).value(), {1, 2}, {1 / (1 + e), e / (1 + e)});
}

TEST_F(SessionTest, OnlyTheNeededSubgraphRuns) {
  auto x = placeholder(float32, {2}, "x");
  Output unrelated = placeholder(float32, {2}, "unrelated") * 3.0;
  Variable never_initialized(zeros({2}), "never_initialized");
  Output other = never_initialized.value() + unrelated;
  Session sess(g);
  ExpectValues(sess.run(x + 1.0, {{x, Values({1, 2}, {2})}}).value(), {2}, {2, 3});
  EXPECT_TRUE(other);
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

TEST_F(SessionTest, GroupRunsAllItsOperations) {
  Variable a(zeros({}), "a");
  Variable b(zeros({}), "b");
  Operation both = group({a.assign_add(constant(1.0)), b.assign_sub(constant(2.0))}, "both");
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(both).ok());
  ASSERT_TRUE(sess.run(both).ok());
  auto r = sess.run({a, b});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValues((*r)[0], {}, {2});
  ExpectValues((*r)[1], {}, {-4});
}

TEST_F(SessionTest, VariablesPersistAcrossRunsAndSignatures) {
  auto x = placeholder(float32, {-1}, "x");
  Variable total(zeros({}), "total");
  Output add = total.assign_add(reduce_sum(x));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(add, {{x, Values({1, 2}, {2})}}).ok());
  ASSERT_TRUE(sess.run(add, {{x, Values({3, 4, 5}, {3})}}).ok());  // a new signature, same variable
  ExpectValues(sess.run(total).value(), {}, {15});
}

TEST_F(SessionTest, ExecutablesAreCachedPerSignature) {
  auto x = placeholder(float32, {-1}, "x");
  Output y = x * 2.0;
  Session sess(g);
  EXPECT_EQ(sess.num_compiled(), 0);
  ASSERT_TRUE(sess.run(y, {{x, Values({1, 2}, {2})}}).ok());
  ExpectValues(sess.run(y, {{x, Values({3, 4}, {2})}}).value(), {2}, {6, 8});
  EXPECT_EQ(sess.num_compiled(), 1);  // new values, same shapes: reused
  ExpectValues(sess.run(y, {{x, Values({1, 2, 3}, {3})}}).value(), {3}, {2, 4, 6});
  EXPECT_EQ(sess.num_compiled(), 2);  // a new feed shape recompiles
  ASSERT_TRUE(sess.run(y, {{x, Values({5, 6}, {2})}}).ok());
  EXPECT_EQ(sess.num_compiled(), 2);  // and the first plan is still there
  ASSERT_TRUE(sess.run({y, x}, {{x, Values({5, 6}, {2})}}).ok());
  EXPECT_EQ(sess.num_compiled(), 3);  // new fetches are a new signature
  EXPECT_FALSE(sess.run(y, {{x, Values({1, 2}, {2}, DT_DOUBLE)}}).ok());
  EXPECT_EQ(sess.num_compiled(), 3);  // a rejected run caches nothing
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

TEST_F(SessionTest, PlaceholderWithDefaultRunsUnfedAndFed) {
  auto keep_prob = placeholder_with_default(constant(Values({1}, {})), {}, "keep_prob");
  auto x = placeholder(float32, {2}, "x");
  Output y = x * keep_prob;
  Session sess(g);
  ExpectValues(sess.run(y, {{x, Values({3, 4}, {2})}}).value(), {2}, {3, 4});
  ExpectValues(sess.run(y, {{x, Values({3, 4}, {2})}, {keep_prob, Values({0.5}, {})}}).value(), {2}, {1.5, 2});
  ExpectValues(sess.run(y, {{x, Values({3, 4}, {2})}}).value(), {2}, {3, 4});  // the default is back
  auto batch = placeholder_with_default(constant(Values({1, 2}, {1, 2})), {-1, 2}, "batch");
  ExpectValues(sess.run(reduce_sum(batch, {1})).value(), {1}, {3});
  ExpectValues(sess.run(reduce_sum(batch, {1}), {{batch, Values({1, 1, 2, 2}, {2, 2})}}).value(), {2}, {2, 4});
}

TEST_F(SessionTest, ASessionOnTheDefaultGraph) {
  Output c = constant(Values({3}, {1}));
  Session sess;  // the default graph: `g`, made default by the fixture
  EXPECT_EQ(&sess.graph(), &g);
  ExpectValues(sess.run(c * 2.0).value(), {1}, {6});
}

TEST_F(SessionTest, TheTfCApiStyleRunFillsOutputs) {
  auto x = placeholder(float32, {2}, "x");
  Variable v(zeros({}), "v");
  Output inc = v.assign_add(constant(1.0));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  std::vector<Tensor> outputs;
  ASSERT_TRUE(sess.Run({{x, Values({1, 2}, {2})}}, {x + 1.0, v.value()}, {inc}, &outputs).ok());
  ASSERT_EQ(outputs.size(), 2u);
  ExpectValues(outputs[0], {2}, {2, 3});
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
