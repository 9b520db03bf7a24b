// Neural-network ops (graph/ops/nn_ops.cc): Softmax, LogSoftmax, Relu, BiasAdd, the fused softmax
// cross-entropies, L2Loss and the sigmoid cross-entropy composite: hand values (with large-logit
// stability), shape inference and errors, and gradients against central differences.
#include <cmath>
#include <limits>

#include "passes/gradients.h"
#include "tests/testing/gradient_checker.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::GradientMatches;
using testing::Values;

using NnOpsTest = testing::GraphTest;

Tensor D(const std::vector<double>& v, const std::vector<int64_t>& dims) { return Values(v, dims, DT_DOUBLE); }

const double e1 = std::exp(1.0), e2 = std::exp(2.0);

// ---- softmax and log_softmax ----

TEST_F(NnOpsTest, SoftmaxMatchesHandValues) {
  double s = 1 + e1;
  ExpectValues(Eval(nn::softmax(constant(Values({0, 1}, {1, 2})))), {1, 2}, {1 / s, e1 / s});
  // Each row on its own: [0,1,2] and [3,3,3].
  double z = 1 + e1 + e2;
  ExpectValues(Eval(nn::softmax(constant(Values({0, 1, 2, 3, 3, 3}, {2, 3})))), {2, 3},
               {1 / z, e1 / z, e2 / z, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  // Rank 1 and rank 3: always the last axis.
  ExpectValues(Eval(nn::softmax(constant(Values({0, 1}, {2})))), {2}, {1 / s, e1 / s});
  ExpectValues(Eval(nn::softmax(constant(Values({0, 1, 1, 0}, {2, 1, 2})))), {2, 1, 2}, {1 / s, e1 / s, e1 / s, 1 / s});
}

TEST_F(NnOpsTest, SoftmaxIsStableForLargeLogits) {
  // Shifted by 1000: naive exp overflows to inf / inf = NaN.
  double s = 1 + e1;
  ExpectValues(Eval(nn::softmax(constant(Values({1000, 1001}, {1, 2})))), {1, 2}, {1 / s, e1 / s});
  ExpectValues(Eval(nn::softmax(constant(Values({-1000, -1001}, {1, 2})))), {1, 2}, {e1 / s, 1 / s});
  ExpectValues(Eval(nn::softmax(constant(Values({-1000, 0}, {1, 2})))), {1, 2}, {0, 1});
}

TEST_F(NnOpsTest, LogSoftmaxMatchesHandValuesAndIsStable) {
  double s = 1 + e1;
  ExpectValues(Eval(nn::log_softmax(constant(Values({0, 1}, {1, 2})))), {1, 2}, {-std::log(s), 1 - std::log(s)}, 1e-6);
  ExpectValues(Eval(nn::log_softmax(constant(Values({1000, 1001}, {1, 2})))), {1, 2},
               {-std::log(s), 1 - std::log(s)}, 1e-4);
  // log(softmax) would give log(0) = -inf for the first entry; log_softmax stays finite.
  ExpectValues(Eval(nn::log_softmax(constant(Values({-1000, 0}, {1, 2}, DT_DOUBLE)))), {1, 2}, {-1000, 0}, 1e-12);
}

TEST_F(NnOpsTest, SoftmaxShapes) {
  auto x = placeholder(float32, {-1, 10}, "x");
  EXPECT_EQ(nn::softmax(x).shape().ToString(), "[?,10]");
  EXPECT_EQ(nn::log_softmax(x).shape().ToString(), "[?,10]");
  EXPECT_FALSE(nn::softmax(constant(Values({1}, {}))));
  EXPECT_NE(g.build_status().message().find("Shape must be at least rank 1 but is rank 0"), std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  EXPECT_FALSE(nn::softmax(constant(Values({1, 2}, {2}, DT_INT32))));
}

// ---- relu ----

TEST_F(NnOpsTest, ReluZeroesNegatives) {
  ExpectValues(Eval(nn::relu(constant(Values({-2, 0, 3, -0.5}, {2, 2})))), {2, 2}, {0, 0, 3, 0});
  Tensor i = Eval(nn::relu(constant(Values({-2, 5}, {2}, DT_INT32))));
  EXPECT_EQ(i.dtype(), DT_INT32);
  ExpectValues(i, {2}, {0, 5});
}

TEST_F(NnOpsTest, ReluPropagatesNaNAndKeepsInfinities) {
  // TF's CPU Relu is max(x, 0) in Eigen and returns NaN for NaN (a 0 hides the NaN; TF treats
  // that as a bug, issues #32730 and #40072).
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  ExpectValues(Eval(nn::relu(constant(Values({nan, inf, -inf}, {3})))), {3}, {nan, inf, 0});
}

TEST_F(NnOpsTest, ReluGradPassesGradientWhereFeaturesArePositive) {
  auto grad = constant(Values({10, 20, 30, 40}, {4}));
  auto features = constant(Values({-1, 0, 0.5, 2}, {4}));
  ExpectValues(Eval(MakeOp("ReluGrad", {grad, features}, {})), {4}, {0, 0, 30, 40});
  EXPECT_FALSE(MakeOp("ReluGrad", {grad, constant(Values({1, 2}, {2}))}, {}));
  EXPECT_NE(g.build_status().message().find("Incompatible shapes"), std::string::npos) << g.build_status().message();
}

// ---- bias_add ----

TEST_F(NnOpsTest, BiasAddAddsAlongTheLastAxis) {
  auto v = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  ExpectValues(Eval(nn::bias_add(v, constant(Values({10, 20, 30}, {3})))), {2, 3}, {11, 22, 33, 14, 25, 36});
  // NHWC [1,2,2,2]: channels alternate.
  auto img = constant(Values({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2}));
  ExpectValues(Eval(nn::bias_add(img, constant(Values({100, 200}, {2})))), {1, 2, 2, 2},
               {101, 202, 103, 204, 105, 206, 107, 208});
}

TEST_F(NnOpsTest, BiasAddAlongChannelsFirst) {
  // NCHW [1,2,2,2]: the first four elements are channel 0.
  auto img = constant(Values({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2}));
  Output y = MakeOp("BiasAdd", {img, constant(Values({100, 200}, {2}))}, {{"data_format", std::string("NCHW")}});
  ExpectValues(Eval(y), {1, 2, 2, 2}, {101, 102, 103, 104, 205, 206, 207, 208});
}

TEST_F(NnOpsTest, BiasAddGradSumsAllButTheChannelAxis) {
  auto g4 = constant(Values({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2}));
  ExpectValues(Eval(MakeOp("BiasAddGrad", {g4}, {})), {2}, {16, 20});
  ExpectValues(Eval(MakeOp("BiasAddGrad", {g4}, {{"data_format", std::string("NCHW")}})), {2}, {10, 26});
  EXPECT_EQ(MakeOp("BiasAddGrad", {placeholder(float32, {-1, 7})}, {}).shape().ToString(), "[7]");
}

TEST_F(NnOpsTest, BiasAddShapesAndErrors) {
  auto x = placeholder(float32, {-1, 3}, "x");
  EXPECT_EQ(nn::bias_add(x, placeholder(float32, {-1}, "b")).shape().ToString(), "[?,3]");
  auto v = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_FALSE(nn::bias_add(v, constant(Values({1, 2}, {2})), "ba"));
  EXPECT_EQ(g.build_status().message(),
            "Dimensions must be equal, but are 3 and 2 for 'ba' (op: 'BiasAdd') with input shapes: [2,3], [2].");
  Graph g2;
  auto guard2 = as_default(g2);
  EXPECT_FALSE(nn::bias_add(constant(Values({1, 2}, {2})), constant(Values({1, 2}, {2}))));
  EXPECT_NE(g2.build_status().message().find("Shape must be at least rank 2 but is rank 1"), std::string::npos)
      << g2.build_status().message();
}

// ---- cross-entropies and losses ----

TEST_F(NnOpsTest, SoftmaxCrossEntropyGivesLossAndBackprop) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  auto labels = constant(Values({0, 0, 1, 0.5, 0.5, 0}, {2, 3}));
  Output xent = nn::softmax_cross_entropy_with_logits(labels, logits);
  double lse0 = std::log(1 + e1 + e2);
  double lse1 = 3 + std::log(3.0);
  // loss = -sum(labels * (logits - logsumexp)); backprop = softmax - labels.
  ExpectValues(Eval(xent), {2}, {lse0 - 2, lse1 - 3}, 1e-5);
  double z0 = 1 + e1 + e2;
  ExpectValues(Eval(Output(xent.node, 1)), {2, 3}, {1 / z0, e1 / z0, e2 / z0 - 1, 1.0 / 3 - 0.5, 1.0 / 3 - 0.5, 1.0 / 3},
               1e-6);
}

TEST_F(NnOpsTest, SoftmaxCrossEntropyIsStableForLargeLogits) {
  // logits [1000, 0], label on the second class: loss = logsumexp - 0 = 1000 (+ log(1 + e^-1000)).
  Output xent = nn::softmax_cross_entropy_with_logits(constant(Values({0, 1}, {1, 2})), constant(Values({1000, 0}, {1, 2})));
  ExpectValues(Eval(xent), {1}, {1000}, 1e-3);
  ExpectValues(Eval(Output(xent.node, 1)), {1, 2}, {1, -1});
}

TEST_F(NnOpsTest, SoftmaxCrossEntropyShapesAndErrors) {
  auto logits = placeholder(float32, {-1, 10}, "logits");
  auto labels = placeholder(float32, {-1, 10}, "labels");
  Output xent = nn::softmax_cross_entropy_with_logits(labels, logits);
  EXPECT_EQ(xent.shape().ToString(), "[?]");
  EXPECT_EQ(Output(xent.node, 1).shape().ToString(), "[?,10]");
  auto l = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  EXPECT_FALSE(nn::softmax_cross_entropy_with_logits(constant(Values({0, 1, 1, 0}, {2, 2})), l));
  EXPECT_NE(g.build_status().message().find("logits and labels must be same size: logits_size=[2,3] labels_size=[2,2]"),
            std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  EXPECT_FALSE(nn::softmax_cross_entropy_with_logits(constant(Values({0, 1}, {2})), constant(Values({0, 1}, {2}))));
  EXPECT_NE(g2.build_status().message().find("Shape must be rank 2 but is rank 1"), std::string::npos)
      << g2.build_status().message();
}

TEST_F(NnOpsTest, SparseSoftmaxCrossEntropyMatchesHandValuesAndTheDenseOne) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  auto ids = constant(Values({2, 0}, {2}, DT_INT64));
  auto sparse = nn::sparse_softmax_cross_entropy_with_logits(ids, logits);
  double lse0 = std::log(1 + e1 + e2), z0 = 1 + e1 + e2;
  ExpectValues(Eval(sparse), {2}, {lse0 - 2, std::log(3.0)}, 1e-6);
  ExpectValues(Eval(Output(sparse.node, 1)), {2, 3}, {1 / z0, e1 / z0, e2 / z0 - 1, 1.0 / 3 - 1, 1.0 / 3, 1.0 / 3}, 1e-6);
  auto dense = nn::softmax_cross_entropy_with_logits(one_hot(ids, 3), logits);
  ExpectValues(Eval(sparse), {2}, testing::ToDoubles(Eval(dense)), 1e-6);
  auto i32 = nn::sparse_softmax_cross_entropy_with_logits(constant(Values({2, 0}, {2}, DT_INT32)), logits);
  ExpectValues(Eval(i32), {2}, {lse0 - 2, std::log(3.0)}, 1e-6);
}

TEST_F(NnOpsTest, SparseLabelOutOfRangeIsTfsError) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  Session sess(g);
  auto r = sess.run(nn::sparse_softmax_cross_entropy_with_logits(constant(Values({2, 7}, {2}, DT_INT64)), logits));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Received a label value of 7 which is outside the valid range of [0, 3)."),
            std::string::npos)
      << r.status().message();
  r = sess.run(nn::sparse_softmax_cross_entropy_with_logits(constant(Values({-1, 0}, {2}, DT_INT32)), logits));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Received a label value of -1"), std::string::npos) << r.status().message();
}

TEST_F(NnOpsTest, SparseSoftmaxCrossEntropyShapes) {
  auto logits = placeholder(float32, {-1, 10}, "logits");
  auto labels = placeholder(int64, {-1}, "labels");
  Output x = nn::sparse_softmax_cross_entropy_with_logits(labels, logits);
  EXPECT_EQ(x.shape().ToString(), "[?]");
  EXPECT_EQ(Output(x.node, 1).shape().ToString(), "[?,10]");
  EXPECT_FALSE(nn::sparse_softmax_cross_entropy_with_logits(constant(Values({1, 2, 3}, {3}, DT_INT64)),
                                                            constant(Values({0, 1, 2, 3}, {2, 2}))));
  EXPECT_NE(g.build_status().message().find("Dimensions must be equal, but are 2 and 3"), std::string::npos)
      << g.build_status().message();
}

TEST_F(NnOpsTest, L2LossIsHalfTheSumOfSquares) {
  ExpectValues(Eval(nn::l2_loss(constant(Values({1, 2, 3}, {3})))), {}, {7});
  ExpectValues(Eval(nn::l2_loss(constant(Values({-1, 0.5, 2, 0}, {2, 2})))), {}, {2.625});
}

TEST_F(NnOpsTest, SigmoidCrossEntropyMatchesHandValuesWithoutOverflow) {
  // max(x, 0) - x z + log(1 + exp(-|x|)).
  auto logits = constant(Values({0, 2, 1000, -1000, -2}, {5}, DT_DOUBLE));
  auto labels = constant(Values({1, 0.5, 1, 0, 1}, {5}, DT_DOUBLE));
  ExpectValues(Eval(nn::sigmoid_cross_entropy_with_logits(labels, logits)), {5},
               {std::log(2.0), 1 + std::log1p(std::exp(-2.0)), 0, 0, 2 + std::log1p(std::exp(-2.0))}, 1e-12);
  EXPECT_FALSE(nn::sigmoid_cross_entropy_with_logits(constant(Values({1, 0}, {2})), constant(Values({1, 0, 1}, {3}))));
  EXPECT_NE(g.build_status().message().find("logits and labels must have the same shape"), std::string::npos)
      << g.build_status().message();
}

// ---- gradients ----

TEST_F(NnOpsTest, SoftmaxAndLogSoftmaxGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  EXPECT_TRUE(GradientMatches({x}, {xv}, nn::softmax(x)));
  EXPECT_TRUE(GradientMatches({x}, {xv}, nn::log_softmax(x)));
  EXPECT_TRUE(GradientMatches({x}, {D({1000.5, 998.8, 1002, -1000.3, -998.9, -1000.7}, {2, 3})}, nn::softmax(x)));
  auto r3 = placeholder(float64, {2, 1, 3}, "r3");
  EXPECT_TRUE(GradientMatches({r3}, {D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 1, 3})}, nn::log_softmax(r3)));
  auto batch = placeholder(float64, {-1, 3}, "batch");
  EXPECT_TRUE(GradientMatches({batch}, {xv}, nn::softmax(batch)));
}

TEST_F(NnOpsTest, ReluGradientMatchesCentralDifferencesAwayFromZero) {
  auto x = placeholder(float64, {2, 3}, "x");
  EXPECT_TRUE(GradientMatches({x}, {D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3})}, nn::relu(x)));
  auto grads = Gradients({reduce_sum(nn::relu(x))}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, D({0.5, -1.2, 0, 0.3, 1.1, -0.7}, {2, 3})}}), {2, 3}, {1, 0, 0, 1, 1, 0});
}

TEST_F(NnOpsTest, BiasAddGradientMatchesCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto b = placeholder(float64, {3}, "b");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor bv = D({0.1, -0.2, 0.3}, {3});
  EXPECT_TRUE(GradientMatches({x, b}, {xv, bv}, nn::bias_add(x, b) * x));
  auto img = placeholder(float64, {1, 2, 2, 3}, "img");
  std::vector<double> iv;
  for (int i = 0; i < 12; ++i) iv.push_back(0.1 * i - 0.4);
  EXPECT_TRUE(GradientMatches({img, b}, {D(iv, {1, 2, 2, 3}), bv}, nn::bias_add(img, b) * nn::bias_add(img, b)));
  auto nchw = placeholder(float64, {1, 3, 2, 2}, "nchw");
  Output y = MakeOp("BiasAdd", {nchw, b}, {{"data_format", std::string("NCHW")}});
  EXPECT_TRUE(GradientMatches({nchw, b}, {D(iv, {1, 3, 2, 2}), bv}, y * y));
}

TEST_F(NnOpsTest, SoftmaxCrossEntropyGradientFlowsToLogitsOnly) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto lab = placeholder(float64, {2, 3}, "labels");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor lv = D({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3});
  testing::GradientCheckOptions with_labels;
  with_labels.other_feeds = {{lab, lv}};
  EXPECT_TRUE(GradientMatches({x}, {xv}, nn::softmax_cross_entropy_with_logits(lab, x), with_labels));
  // The v1 API treats labels as constants (TF1 wraps them in stop_gradient).
  auto grads = Gradients({reduce_sum(nn::softmax_cross_entropy_with_logits(lab, x))}, {x, lab});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_TRUE((*grads)[0]);
  EXPECT_FALSE((*grads)[1]);
  // Hand value: d loss / d logits = softmax - labels, row [0,0,0] with labels one-hot at 2.
  FeedDict feeds = {{x, D({0, 0, 0, 0, 0, 0}, {2, 3})}, {lab, D({0, 0, 1, 1, 0, 0}, {2, 3})}};
  ExpectValues(Eval((*grads)[0], feeds), {2, 3}, {1.0 / 3, 1.0 / 3, -2.0 / 3, -2.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-12);
}

TEST_F(NnOpsTest, SoftmaxCrossEntropyV2DifferentiatesLabelsToo) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto lab = placeholder(float64, {2, 3}, "labels");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor lv = D({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3});
  EXPECT_TRUE(GradientMatches({x, lab}, {xv, lv}, nn::softmax_cross_entropy_with_logits_v2(lab, x)));
  EXPECT_TRUE(GradientMatches({x, lab}, {xv, lv}, nn::softmax_cross_entropy_with_logits_v2(nn::softmax(lab), x)));
}

TEST_F(NnOpsTest, CrossEntropyBackpropOutputIsDifferentiable) {
  // Output 1 (backprop = softmax(logits) - labels) is an ordinary tensor: its gradient must reach
  // logits (and labels for v2). TF's _SoftmaxCrossEntropyWithLogitsGrad adds the grad_grad term.
  auto x = placeholder(float64, {2, 3}, "x");
  auto lab = placeholder(float64, {2, 3}, "labels");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor lv = D({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3});
  Output xent = nn::softmax_cross_entropy_with_logits_v2(lab, x);
  EXPECT_TRUE(GradientMatches({x, lab}, {xv, lv}, Output(xent.node, 1)));
  auto ids = constant(Values({2, 0}, {2}, DT_INT32));
  Output sparse = nn::sparse_softmax_cross_entropy_with_logits(ids, x);
  EXPECT_TRUE(GradientMatches({x}, {xv}, Output(sparse.node, 1)));
}

TEST_F(NnOpsTest, CrossEntropyHasSecondDerivatives) {
  // The Hessian of the loss w.r.t. logits is the softmax Jacobian: differentiate the gradient.
  auto x = placeholder(float64, {2, 3}, "x");
  auto lab = placeholder(float64, {2, 3}, "labels");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor lv = D({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3});
  auto dense = Gradients({reduce_sum(nn::softmax_cross_entropy_with_logits(lab, x))}, {x});
  ASSERT_TRUE(dense.ok()) << dense.status().ToString();
  testing::GradientCheckOptions with_labels;
  with_labels.other_feeds = {{lab, lv}};
  EXPECT_TRUE(GradientMatches({x}, {xv}, (*dense)[0], with_labels));
  auto sparse = Gradients({reduce_sum(nn::sparse_softmax_cross_entropy_with_logits(
                              constant(Values({2, 0}, {2}, DT_INT32)), x))},
                          {x});
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  EXPECT_TRUE(GradientMatches({x}, {xv}, (*sparse)[0]));
}

TEST_F(NnOpsTest, SparseSoftmaxCrossEntropyGradientMatchesCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  EXPECT_TRUE(GradientMatches({x}, {xv}, nn::sparse_softmax_cross_entropy_with_logits(constant(Values({1, 2}, {2}, DT_INT32)), x)));
  auto batch = placeholder(float64, {-1, 3}, "batch");
  EXPECT_TRUE(GradientMatches({batch}, {xv},
                              nn::sparse_softmax_cross_entropy_with_logits(constant(Values({0, 2}, {2}, DT_INT64)), batch)));
}

TEST_F(NnOpsTest, L2LossAndSigmoidCrossEntropyGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto z = placeholder(float64, {2, 3}, "z");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor zv = D({1, 0, 0.5, 0.2, 1, 0}, {2, 3});
  EXPECT_TRUE(GradientMatches({x}, {xv}, nn::l2_loss(x)));
  EXPECT_TRUE(GradientMatches({x, z}, {xv, zv}, nn::sigmoid_cross_entropy_with_logits(z, x)));
}

}  // namespace
}  // namespace kiln
