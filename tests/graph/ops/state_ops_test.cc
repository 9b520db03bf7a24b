// Variables: initialization, assignment ops, and their errors.
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectValues;
using testing::Values;

using StateOpsTest = testing::GraphTest;

TEST_F(StateOpsTest, VariableHasTfsNodeStructure) {
  Variable W(zeros({2, 3}), "W");
  ASSERT_TRUE(W);
  EXPECT_EQ(W.node()->op(), "VariableV2");
  EXPECT_EQ(W.name(), "W");
  EXPECT_EQ(W.value().node->name(), "W/read");
  EXPECT_EQ(W.initializer().node->name(), "W/Assign");
  EXPECT_EQ(W.value().shape().ToString(), "[2,3]");
  Variable W2(zeros({1}), "W");
  EXPECT_EQ(W2.name(), "W_1");  // names are made unique as in TF
  EXPECT_EQ(global_variables().size(), 2u);
  EXPECT_EQ(trainable_variables().size(), 2u);
  Variable frozen(zeros({1}), "frozen", /*trainable=*/false);
  EXPECT_EQ(trainable_variables().size(), 2u);
  EXPECT_EQ(global_variables().size(), 3u);
}

TEST_F(StateOpsTest, AssignOpsUpdateAndPersistAcrossRuns) {
  Variable v(constant(Values({1, 2}, {2})), "v");
  Output add = v.assign_add(constant(Values({10, 10}, {2})));
  Output sub = v.assign_sub(constant(Values({1, 1}, {2})));
  Output set = v.assign(constant(Values({5, 6}, {2})));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ExpectValues(sess.run(add).value(), {2}, {11, 12});
  ExpectValues(sess.run(add).value(), {2}, {21, 22});
  ExpectValues(sess.run(sub).value(), {2}, {20, 21});
  ExpectValues(sess.run(v).value(), {2}, {20, 21});
  ExpectValues(sess.run(set).value(), {2}, {5, 6});
}

TEST_F(StateOpsTest, VariableNeedsAFullyDefinedInitialShape) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Variable v(x, "v");
  EXPECT_FALSE(v);
  EXPECT_NE(g.build_status().message().find("fully defined shape"), std::string::npos);
}

TEST_F(StateOpsTest, AssignOfTheWrongShapeIsAnError) {
  Variable v(zeros({2}), "v");
  EXPECT_FALSE(v.assign(constant(Values({1, 2, 3}, {3}))));
  EXPECT_FALSE(g.build_status().ok());
}

TEST_F(StateOpsTest, AssignAddToUninitializedVariableIsAnError) {
  Variable v(zeros({2}), "v");
  Output add = v.assign_add(constant(Values({1, 1}, {2})));
  Session sess(g);
  auto r = sess.run(add);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Attempting to use uninitialized value v"), std::string::npos)
      << r.status().message();
}

TEST_F(StateOpsTest, VariablesAreIndependentPerSession) {
  Variable v(zeros({1}), "v");
  Output inc = v.assign_add(constant(Values({1}, {1})));
  Session a(g), b(g);
  ASSERT_TRUE(a.run(global_variables_initializer()).ok());
  ASSERT_TRUE(b.run(global_variables_initializer()).ok());
  ASSERT_TRUE(a.run(inc).ok());
  ASSERT_TRUE(a.run(inc).ok());
  ExpectValues(a.run(v).value(), {1}, {2});
  ExpectValues(b.run(v).value(), {1}, {0});
}

}  // namespace
}  // namespace kiln
