// Softmax, LogSoftmax, Relu, BiasAdd and the fused softmax cross-entropy.
#include <cmath>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::Values;

using NnOpsTest = testing::GraphTest;

TEST_F(NnOpsTest, SoftmaxMatchesHandValuesAndIsStableForLargeLogits) {
  double e1 = std::exp(1.0), s = 1 + e1;
  ExpectValues(Eval(nn::softmax(constant(Values({0, 1}, {1, 2})))), {1, 2}, {1 / s, e1 / s});
  // Shifted by 1000: naive exp would overflow to inf/inf = NaN.
  ExpectValues(Eval(nn::softmax(constant(Values({1000, 1001}, {1, 2})))), {1, 2}, {1 / s, e1 / s});
  ExpectValues(Eval(nn::log_softmax(constant(Values({1000, 1001}, {1, 2})))), {1, 2},
               {-std::log(s), 1 - std::log(s)}, 1e-4);
}

TEST_F(NnOpsTest, ReluAndBiasAdd) {
  ExpectValues(Eval(nn::relu(constant(Values({-2, 0, 3}, {3})))), {3}, {0, 0, 3});
  auto v = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  ExpectValues(Eval(nn::bias_add(v, constant(Values({10, 20, 30}, {3})))), {2, 3}, {11, 22, 33, 14, 25, 36});
}

TEST_F(NnOpsTest, BiasAddWithWrongBiasSizeIsAnError) {
  auto v = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_FALSE(nn::bias_add(v, constant(Values({1, 2}, {2}))));
  EXPECT_NE(g.build_status().message().find("Dimensions must be equal, but are 3 and 2"), std::string::npos);
}

TEST_F(NnOpsTest, SoftmaxCrossEntropyGivesLossAndBackprop) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  auto labels = constant(Values({0, 0, 1, 0.5, 0.5, 0}, {2, 3}));
  Output xent = nn::softmax_cross_entropy_with_logits(labels, logits);
  double lse0 = std::log(1 + std::exp(1.0) + std::exp(2.0));
  double lse1 = 3 + std::log(3.0);
  // loss = -sum(labels * (logits - logsumexp))
  ExpectValues(Eval(xent), {2}, {lse0 - 2, lse1 - 3}, 1e-5);
  double z0 = std::exp(lse0);
  ExpectValues(Eval(Output(xent.node, 1)), {2, 3},
               {1 / z0, std::exp(1.0) / z0, std::exp(2.0) / z0 - 1, 1.0 / 3 - 0.5, 1.0 / 3 - 0.5, 1.0 / 3}, 1e-6);
}

TEST_F(NnOpsTest, SparseSoftmaxCrossEntropyMatchesTheDenseOne) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  auto ids = constant(Values({2, 0}, {2}, DT_INT64));
  auto dense = nn::softmax_cross_entropy_with_logits(one_hot(ids, 3), logits);
  auto sparse = nn::sparse_softmax_cross_entropy_with_logits(ids, logits);
  ExpectValues(Eval(sparse), {2}, testing::ToDoubles(Eval(dense)), 1e-6);
  ExpectValues(Eval(Output(sparse.node, 1)), {2, 3}, testing::ToDoubles(Eval(Output(dense.node, 1))), 1e-6);
  auto x = placeholder(float64, {2, 3}, "x");
  EXPECT_LT(MaxGradientError(nn::sparse_softmax_cross_entropy_with_logits(constant(Values({1, 2}, {2}, DT_INT32)), x), {x},
                             {Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE)}),
            testing::kGradTolerance);
}

TEST_F(NnOpsTest, SparseLabelOutOfRangeIsTfsError) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  Session sess(g);
  auto r = sess.run(nn::sparse_softmax_cross_entropy_with_logits(constant(Values({2, 7}, {2}, DT_INT64)), logits));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Received a label value of 7 which is outside the valid range of [0, 3)"),
            std::string::npos)
      << r.status().message();
}

TEST_F(NnOpsTest, MismatchedLogitsAndLabelsIsAnError) {
  auto logits = constant(Values({0, 1, 2, 3, 3, 3}, {2, 3}));
  auto labels = constant(Values({0, 1, 1, 0}, {2, 2}));
  EXPECT_FALSE(nn::softmax_cross_entropy_with_logits(labels, logits));
  EXPECT_NE(g.build_status().message().find("logits and labels must be same size"), std::string::npos);
}

TEST_F(NnOpsTest, GradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto b = placeholder(float64, {3}, "b");
  auto lab = placeholder(float64, {2, 3}, "labels");
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  Tensor bv = Values({0.1, -0.2, 0.3}, {3}, DT_DOUBLE);
  Tensor lv = Values({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(nn::softmax(x), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(nn::log_softmax(x), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(nn::relu(x), {x}, {xv}), testing::kGradTolerance);  // no element near 0
  EXPECT_LT(MaxGradientError(nn::bias_add(x, b), {x, b}, {xv, bv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(nn::softmax_cross_entropy_with_logits(lab, x), {x}, {xv}, {{lab, lv}}),
            testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(nn::softmax_cross_entropy_with_logits_v2(lab, x), {x, lab}, {xv, lv}),
            testing::kGradTolerance);
}

}  // namespace
}  // namespace kiln
