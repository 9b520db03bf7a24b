// Symbolic differentiation (tf.gradients): aggregation, missing paths, errors, depth.
#include "passes/gradients.h"

#include <cmath>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::Values;

using GradientsTest = testing::GraphTest;

TEST_F(GradientsTest, FanOutGradientsAreSummed) {
  auto x = placeholder(float64, {3}, "x");
  auto grads = Gradients({reduce_sum(x * x + x)}, {x});  // d/dx = 2x + 1
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, Values({1, 2, -3}, {3}, DT_DOUBLE)}}), {3}, {3, 5, -5});
}

TEST_F(GradientsTest, SeveralYsAreSummedAndGradYsWeightThem) {
  auto x = placeholder(float64, {2}, "x");
  auto y1 = x * 3.0, y2 = x * x;
  Tensor xv = Values({1, 2}, {2}, DT_DOUBLE);
  auto plain = Gradients({y1, y2}, {x});
  ASSERT_TRUE(plain.ok());
  ExpectValues(Eval((*plain)[0], {{x, xv}}), {2}, {5, 7});  // 3 + 2x
  auto weighted = Gradients({y1, y2}, {x}, {constant(Values({1, 0}, {2}, DT_DOUBLE)), constant(Values({10, 10}, {2}, DT_DOUBLE))});
  ASSERT_TRUE(weighted.ok());
  ExpectValues(Eval((*weighted)[0], {{x, xv}}), {2}, {23, 40});  // (3*[1,0]) + 10*2x
}

TEST_F(GradientsTest, UnconnectedXGetsNoGradient) {
  auto x = placeholder(float64, {2}, "x");
  auto z = placeholder(float64, {2}, "z");
  auto grads = Gradients({reduce_sum(x * 2.0)}, {x, z});
  ASSERT_TRUE(grads.ok());
  EXPECT_TRUE((*grads)[0]);
  EXPECT_FALSE((*grads)[1]);
}

TEST_F(GradientsTest, NonDifferentiableOpsStopGradientsSilently) {
  auto x = placeholder(float64, {2, 3}, "x");
  Output picked = cast(argmax(x, 1), DT_DOUBLE);
  Output matches = cast(equal(x, x), DT_DOUBLE);
  auto grads = Gradients({reduce_sum(picked) + reduce_sum(matches)}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
}

TEST_F(GradientsTest, OpWithoutGradientIsAnErrorNamingIt) {
  auto x = placeholder(float64, {2, 3}, "x");
  Output m = reduce_max(x, {1});  // Max has no gradient yet
  auto grads = Gradients({reduce_sum(m)}, {x});
  ASSERT_FALSE(grads.ok());
  EXPECT_NE(grads.status().message().find("No gradient defined for operation 'Max' (op type: Max)"), std::string::npos)
      << grads.status().message();
}

TEST_F(GradientsTest, IntegerYIsAnError) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({argmax(x, 0)}, {x});
  EXPECT_FALSE(grads.ok());
}

TEST_F(GradientsTest, BuilderStyleRecordsTheErrorForSessionRun) {
  auto x = placeholder(float64, {2, 3}, "x");
  std::vector<Output> grads = gradients(reduce_sum(reduce_max(x, {1})), {x});
  EXPECT_FALSE(grads[0]);
  Session sess(g);
  auto r = sess.run(x * 2.0, {{x, Values({1, 2, 3, 4, 5, 6}, {2, 3}, DT_DOUBLE)}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("No gradient defined"), std::string::npos);
}

TEST_F(GradientsTest, GradientNodesLiveUnderTheGradientsScope) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({reduce_sum(x * x)}, {x});
  ASSERT_TRUE(grads.ok());
  EXPECT_EQ((*grads)[0].node->name().rfind("gradients/", 0), 0u) << (*grads)[0].node->name();
}

TEST_F(GradientsTest, SoftmaxRegressionGradientMatchesTheHandDerivedFormula) {
  // dL/dlogits = (softmax(logits) - y) / N for L = mean(softmax_xent); dW = x^T dlogits.
  auto x = placeholder(float64, {2, 2}, "x");
  auto y = placeholder(float64, {2, 2}, "y");
  auto W = placeholder(float64, {2, 2}, "W");
  Output logits = matmul(x, W);
  Output loss = reduce_mean(nn::softmax_cross_entropy_with_logits(y, logits));
  auto grads = Gradients({loss}, {W});
  ASSERT_TRUE(grads.ok());
  Tensor xv = Values({1, 0, 0, 1}, {2, 2}, DT_DOUBLE);  // identity: logits = W
  Tensor Wv = Values({0, std::log(3.0), 0, 0}, {2, 2}, DT_DOUBLE);
  Tensor yv = Values({1, 0, 0, 1}, {2, 2}, DT_DOUBLE);
  // row 0: softmax([0, ln3]) = [0.25, 0.75]; minus [1, 0] = [-0.75, 0.75]; row 1: [0.5,0.5]-[0,1].
  ExpectValues(Eval((*grads)[0], {{x, xv}, {y, yv}, {W, Wv}}), {2, 2}, {-0.375, 0.375, 0.25, -0.25}, 1e-12);
}

TEST_F(GradientsTest, HundredThousandNodeChainDifferentiatesWithoutRecursion) {
  auto x = placeholder(float64, {}, "x");
  Output y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  auto grads = Gradients({y}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, Values({3}, {}, DT_DOUBLE)}}), {}, {1});
}

}  // namespace
}  // namespace kiln
