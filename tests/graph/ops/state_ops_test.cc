// Variables (graph/ops/state_ops.cc): TF's node structure, initialization, the assignment ops,
// their errors, and how reads see updates.
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
  EXPECT_EQ(W.value().node->op(), "Identity");
  EXPECT_EQ(W.initializer().node->name(), "W/Assign");
  EXPECT_EQ(W.initializer().node->op(), "Assign");
  EXPECT_EQ(W.value().shape().ToString(), "[2,3]");
  EXPECT_EQ(W.value().dtype(), DT_FLOAT);
  EXPECT_TRUE(W.ref().type().is_ref);
  EXPECT_FALSE(W.value().type().is_ref);
  Variable W2(zeros({1}), "W");
  EXPECT_EQ(W2.name(), "W_1");  // names are made unique as in TF
  EXPECT_EQ(global_variables().size(), 2u);
  EXPECT_EQ(trainable_variables().size(), 2u);
  Variable frozen(zeros({1}), "frozen", /*trainable=*/false);
  EXPECT_EQ(trainable_variables().size(), 2u);
  EXPECT_EQ(global_variables().size(), 3u);
}

TEST_F(StateOpsTest, VariablesTakeTheNameScope) {
  Variable W;
  {
    name_scope scope("layer1");
    W = Variable(zeros({2}), "W");
  }
  EXPECT_EQ(W.name(), "layer1/W");
  EXPECT_EQ(W.value().node->name(), "layer1/W/read");
  Variable again = Variable::FromNode(W.node());
  EXPECT_EQ(again.value().node, W.value().node);
  EXPECT_EQ(again.initializer().node, W.initializer().node);
}

TEST_F(StateOpsTest, InitializerSetsTheInitialValue) {
  Variable v(constant(Values({1, 2, 3}, {3})) * 2.0, "v");
  Variable i(constant(Values({7}, {1}, DT_INT32)), "i");
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ExpectValues(sess.run(v).value(), {3}, {2, 4, 6});
  Tensor iv = sess.run(i).value();
  EXPECT_EQ(iv.dtype(), DT_INT32);
  ExpectValues(iv, {1}, {7});
}

TEST_F(StateOpsTest, GlobalInitializerOfAGraphWithoutVariablesIsANoOp) {
  Operation init = global_variables_initializer();
  ASSERT_TRUE(init);
  EXPECT_EQ(init.node->op(), "NoOp");
  Session sess(g);
  EXPECT_TRUE(sess.run(init).ok());
}

TEST_F(StateOpsTest, VariablesInitializerCoversOnlyItsList) {
  Variable a(zeros({1}), "a");
  Variable b(zeros({1}), "b");
  Session sess(g);
  ASSERT_TRUE(sess.run(variables_initializer({a}, "init_a")).ok());
  EXPECT_TRUE(sess.run(a.value() + 1.0).ok());
  auto r = sess.run(b.value() + 1.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Attempting to use uninitialized value b"), std::string::npos)
      << r.status().message();
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
  ExpectValues(sess.run(v.value() * 2.0).value(), {2}, {10, 12});
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());  // re-running the initializer resets
  ExpectValues(sess.run(v).value(), {2}, {1, 2});
}

TEST_F(StateOpsTest, FreeFunctionAssignsMatchTheMethods) {
  Variable v(constant(Values({1}, {1})), "v");
  Output set = assign(v, constant(Values({4}, {1})));
  Output add = assign_add(v, constant(Values({2}, {1})));
  Output sub = assign_sub(v, constant(Values({0.5}, {1})));
  EXPECT_EQ(set.node->op(), "Assign");
  EXPECT_EQ(add.node->op(), "AssignAdd");
  EXPECT_EQ(sub.node->op(), "AssignSub");
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ExpectValues(sess.run(set).value(), {1}, {4});
  ExpectValues(sess.run(add).value(), {1}, {6});
  ExpectValues(sess.run(sub).value(), {1}, {5.5});
}

TEST_F(StateOpsTest, IntegerVariablesCount) {
  Variable step(constant(Values({0}, {}, DT_INT64)), "global_step");
  Output inc = step.assign_add(constant(Values({1}, {}, DT_INT64)));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sess.run(inc).ok());
  Tensor s = sess.run(step).value();
  EXPECT_EQ(s.dtype(), DT_INT64);
  ExpectValues(s, {}, {3});
}

TEST_F(StateOpsTest, AssignToAnUninitializedVariableInitializesIt) {
  Variable v(zeros({2}), "v");
  Output set = v.assign(constant(Values({3, 4}, {2})));
  Session sess(g);
  ASSERT_TRUE(sess.run(set).ok());
  ExpectValues(sess.run(v).value(), {2}, {3, 4});
}

TEST_F(StateOpsTest, VariableNeedsAFullyDefinedInitialShape) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Variable v(x, "v");
  EXPECT_FALSE(v);
  EXPECT_EQ(g.build_status().message(), "initial_value of Variable 'v' must have a fully defined shape, got [?,3]");
}

TEST_F(StateOpsTest, AssignOfTheWrongShapeIsAnErrorNamingBothShapes) {
  Variable v(zeros({2}), "v");
  EXPECT_FALSE(v.assign(constant(Values({1, 2, 3}, {3})), "set"));
  const std::string& m = g.build_status().message();
  EXPECT_NE(m.find("Dimension 0 in both shapes must be equal, but are 2 and 3"), std::string::npos) << m;
  EXPECT_NE(m.find("for 'set' (op: 'Assign') with input shapes: [2], [3]."), std::string::npos) << m;
}

TEST_F(StateOpsTest, AssignOfTheWrongShapeDoesNotClaimTheRanksDiffer) {
  // Both shapes have rank 1; TF says "Dimension 0 in both shapes must be equal, but are 2 and 3".
  Variable v(zeros({2}), "v");
  EXPECT_FALSE(v.assign(constant(Values({1, 2, 3}, {3}))));
  EXPECT_EQ(g.build_status().message().find("must be equal rank, but are 1 and 1"), std::string::npos)
      << g.build_status().message();
}

TEST_F(StateOpsTest, AssignAddOfTheWrongShapeOrDtypeIsAnError) {
  Variable v(zeros({2}), "v");
  EXPECT_FALSE(v.assign_add(constant(Values({1, 2, 3}, {3}))));
  EXPECT_NE(g.build_status().message().find("(op: 'AssignAdd') with input shapes: [2], [3]."), std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  Variable w(zeros({2}), "w");
  EXPECT_FALSE(w.assign_sub(constant(Values({1, 2}, {2}, DT_DOUBLE))));
  EXPECT_NE(g2.build_status().message().find("double"), std::string::npos) << g2.build_status().message();
}

TEST_F(StateOpsTest, AssignAddToUninitializedVariableIsAnError) {
  Variable v(zeros({2}), "v");
  Output add = v.assign_add(constant(Values({1, 1}, {2})), "bump");
  Session sess(g);
  auto r = sess.run(add);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Attempting to use uninitialized value v"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("bump"), std::string::npos) << r.status().message();
}

TEST_F(StateOpsTest, AssignWithoutShapeValidationReplacesTheShape) {
  // tf.assign(v, value, validate_shape=False) may change the variable's shape; reads after it see
  // the new value and shape.
  Variable v(zeros({3}), "v");
  Output set = assign(v, constant(Values({1, 2}, {2})), /*validate_shape=*/false);
  EXPECT_EQ(set.shape().ToString(), "[2]");
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(set).ok());
  ExpectValues(sess.run(v).value(), {2}, {1, 2});
  // A read planned with the old static shape [3] must not read past the new 2-element buffer.
  auto doubled = sess.run(v.value() * 2.0);
  if (doubled.ok()) {
    ExpectValues(*doubled, {2}, {2, 4});
  } else {
    EXPECT_NE(doubled.status().message().find("v"), std::string::npos) << doubled.status().message();
  }
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

TEST_F(StateOpsTest, FetchedVariableValuesAreSnapshots) {
  Variable v(constant(Values({1}, {1})), "v");
  Output inc = v.assign_add(constant(Values({1}, {1})));
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  Tensor before = sess.run(v).value();
  ASSERT_TRUE(sess.run(inc).ok());
  ExpectValues(before, {1}, {1});  // not aliased to the variable's storage
  ExpectValues(sess.run(v).value(), {1}, {2});
}

TEST_F(StateOpsTest, VariablesCreatedUnderControlDependenciesIgnoreThem) {
  // As TF: a variable and its initializer live outside any control-dependency context, so
  // initializing it does not run the dependency (an initial value built inside the context
  // would carry it, in TF too).
  Variable counter(zeros({}), "counter");
  Output inc = counter.assign_add(constant(1.0));
  Output initial = zeros({1});
  Variable v;
  {
    control_dependencies deps({inc});
    v = Variable(initial, "v");
  }
  EXPECT_TRUE(v.initializer().node->control_inputs().empty());
  EXPECT_TRUE(v.node()->control_inputs().empty());
  Session sess(g);
  ASSERT_TRUE(sess.run(counter.initializer()).ok());
  ASSERT_TRUE(sess.run(v.initializer()).ok());
  ExpectValues(sess.run(counter).value(), {}, {0});
}

}  // namespace
}  // namespace kiln
