// tf.train optimizers: minimize / compute_gradients / apply_gradients, TF's node names, errors.
#include "train/optimizer.h"

#include "tests/testing/op_testing.h"

namespace kiln::train {
namespace {

using kiln::testing::ExpectValues;
using kiln::testing::Values;
using OptimizerTest = kiln::testing::GraphTest;

TEST_F(OptimizerTest, MinimizeTakesOneGradientDescentStep) {
  // loss = sum((w - 3)^2): one step of lr 0.25 from w = 1 gives w = 1 - 0.25 * 2(1 - 3) = 2.
  Variable w(constant(Values({1, 1}, {2})), "w");
  Output loss = reduce_sum(square(w - 3.0));
  Operation step = GradientDescentOptimizer(0.25).minimize(loss);
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  EXPECT_EQ(step.name(), "GradientDescent");  // the name TF1 code fetches
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(step).ok());
  ExpectValues(sess.run(w).value(), {2}, {2, 2});
  ASSERT_TRUE(sess.run(step).ok());
  ExpectValues(sess.run(w).value(), {2}, {2.5, 2.5});
}

TEST_F(OptimizerTest, VarListLimitsWhatIsUpdated) {
  Variable a(constant(Values({0}, {1})), "a");
  Variable b(constant(Values({0}, {1})), "b");
  Output loss = reduce_sum(square(a - 1.0) + square(b - 1.0));
  Operation step = GradientDescentOptimizer(0.5).minimize(loss, {a});
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(step).ok());
  ExpectValues(sess.run(a).value(), {1}, {1});
  ExpectValues(sess.run(b).value(), {1}, {0});
}

TEST_F(OptimizerTest, ComputeThenApplyGradientsLikeTf) {
  Variable a(constant(Values({2}, {1})), "a");
  Variable unused(constant(Values({5}, {1})), "unused");
  Output loss = reduce_sum(a * a);
  GradientDescentOptimizer opt(0.1);
  std::vector<GradAndVar> gv = opt.compute_gradients(loss);
  ASSERT_EQ(gv.size(), 2u);
  EXPECT_TRUE(gv[0].first);
  EXPECT_FALSE(gv[1].first);  // loss does not depend on `unused`
  Operation step = opt.apply_gradients(gv);
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(step).ok());
  ExpectValues(sess.run(a).value(), {1}, {1.6});  // 2 - 0.1 * 4
  ExpectValues(sess.run(unused).value(), {1}, {5});
}

TEST_F(OptimizerTest, DoubleVariablesGetACastLearningRate) {
  Variable w(constant(Values({1}, {1}, DT_DOUBLE)), "w");
  Operation step = GradientDescentOptimizer(0.5).minimize(reduce_sum(w * w));
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(sess.run(step).ok());
  ExpectValues(sess.run(w).value(), {1}, {0});
}

TEST_F(OptimizerTest, NoVariablesIsTfsError) {
  auto x = placeholder(float32, {2}, "x");
  EXPECT_FALSE(GradientDescentOptimizer(0.1).minimize(reduce_sum(x)));
  EXPECT_NE(g.build_status().message().find("No variables to optimize"), std::string::npos);
}

TEST_F(OptimizerTest, NoGradientForAnyVariableIsTfsError) {
  Variable w(zeros({2}), "w");
  auto x = placeholder(float32, {2}, "x");
  EXPECT_FALSE(GradientDescentOptimizer(0.1).minimize(reduce_sum(x), {w}));
  EXPECT_NE(g.build_status().message().find("No gradients provided for any variable"), std::string::npos)
      << g.build_status().message();
}

}  // namespace
}  // namespace kiln::train
