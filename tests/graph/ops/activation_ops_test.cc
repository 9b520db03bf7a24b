// Activations, max/min/pow and friends, selection and logic, and the composite losses built from
// them: hand values and double-precision gradient checks.
#include <cmath>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::Values;
using ActivationOpsTest = testing::GraphTest;

TEST_F(ActivationOpsTest, ActivationsMatchHandValues) {
  auto x = constant(Values({-2, -0.5, 0, 0.5, 7}, {5}));
  double s = 1 / (1 + std::exp(0.5));
  ExpectValues(Eval(nn::sigmoid(x)), {5}, {1 / (1 + std::exp(2.0)), s, 0.5, 1 - s, 1 / (1 + std::exp(-7.0))});
  ExpectValues(Eval(nn::tanh(x)), {5}, {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(7.0)});
  ExpectValues(Eval(nn::relu6(x)), {5}, {0, 0, 0, 0.5, 6});
  ExpectValues(Eval(nn::leaky_relu(x, 0.01)), {5}, {-0.02, -0.005, 0, 0.5, 7});
  ExpectValues(Eval(nn::elu(x)), {5}, {std::expm1(-2.0), std::expm1(-0.5), 0, 0.5, 7});
}

TEST_F(ActivationOpsTest, MathExtrasMatchHandValues) {
  auto a = constant(Values({1, 5, -3}, {3}));
  auto b = constant(Values({2, 4, -3}, {3}));
  ExpectValues(Eval(maximum(a, b)), {3}, {2, 5, -3});
  ExpectValues(Eval(minimum(a, b)), {3}, {1, 4, -3});
  ExpectValues(Eval(pow(constant(Values({2, 9}, {2})), constant(Values({3, 0.5}, {2})))), {2}, {8, 3});
  ExpectValues(Eval(rsqrt(constant(Values({4, 0.25}, {2})))), {2}, {0.5, 2});
  ExpectValues(Eval(abs(a)), {3}, {1, 5, 3});
  ExpectValues(Eval(sign(a)), {3}, {1, 1, -1});
  ExpectValues(Eval(log1p(constant(Values({0, 1e-10}, {2})))), {2}, {0, 1e-10}, 1e-15);
  ExpectValues(Eval(clip_by_value(constant(Values({-5, 0.3, 9}, {3})), 0.0, 1.0)), {3}, {0, 0.3, 1});
  ExpectValues(Eval(nn::l2_loss(constant(Values({1, 2, 3}, {3})))), {}, {7});
}

TEST_F(ActivationOpsTest, SelectAndLogic) {
  auto c = constant(Values({1, 0, 1}, {3}, DT_BOOL));
  auto t = constant(Values({1, 2, 3}, {3}));
  auto e = constant(Values({10, 20, 30}, {3}));
  ExpectValues(Eval(select(c, t, e)), {3}, {1, 20, 3});
  // TF1 Select with a vector condition picks whole rows.
  auto rows = constant(Values({0, 1}, {2}, DT_BOOL));
  auto m1 = constant(Values({1, 2, 3, 4}, {2, 2}));
  auto m2 = constant(Values({5, 6, 7, 8}, {2, 2}));
  ExpectValues(Eval(select(rows, m1, m2)), {2, 2}, {5, 6, 3, 4});
  ExpectValues(Eval(select_v2(constant(Values({1, 0}, {2}, DT_BOOL)), m1, constant(0.0))), {2, 2}, {1, 0, 3, 0});
  auto d = constant(Values({1, 1, 0}, {3}, DT_BOOL));
  ExpectValues(Eval(logical_and(c, d)), {3}, {1, 0, 0});
  ExpectValues(Eval(logical_or(c, d)), {3}, {1, 1, 1});
  ExpectValues(Eval(logical_not(c)), {3}, {0, 1, 0});
  ExpectValues(Eval(greater_equal(t, constant(Values({1, 3, 2}, {3})))), {3}, {1, 0, 1});
  ExpectValues(Eval(less_equal(t, constant(Values({1, 3, 2}, {3})))), {3}, {1, 1, 0});
}

TEST_F(ActivationOpsTest, SigmoidCrossEntropyIsStableAndMatchesTheFormula) {
  auto logits = constant(Values({-1000, -1, 0, 2, 1000}, {5}));
  auto labels = constant(Values({0, 1, 0.5, 0, 1}, {5}));
  // z*-log(sigmoid(x)) + (1-z)*-log(1-sigmoid(x)); finite for |x| = 1000.
  auto f = [](double x, double z) { return std::max(x, 0.0) - x * z + std::log1p(std::exp(-std::abs(x))); };
  ExpectValues(Eval(nn::sigmoid_cross_entropy_with_logits(labels, logits)), {5},
               {f(-1000, 0), f(-1, 1), f(0, 0.5), f(2, 0), f(1000, 1)}, 1e-5);
}

TEST_F(ActivationOpsTest, GradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto y = placeholder(float64, {2, 3}, "y");
  auto row = placeholder(float64, {3}, "row");
  auto z = placeholder(float64, {2, 3}, "z");
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  Tensor yv = Values({1.5, -0.8, 1.0, 0.9, -1.3, 2.2}, {2, 3}, DT_DOUBLE);
  Tensor pos = Values({0.5, 1.2, 2.0, 0.3, 1.1, 0.7}, {2, 3}, DT_DOUBLE);
  Tensor rv = Values({0.1, 0.0, 3.0}, {3}, DT_DOUBLE);
  Tensor zv = Values({0, 1, 0.3, 1, 0, 0.8}, {2, 3}, DT_DOUBLE);
  const double tol = testing::kGradTolerance;
  EXPECT_LT(MaxGradientError(nn::sigmoid(x), {x}, {xv}), tol);
  EXPECT_LT(MaxGradientError(nn::tanh(x), {x}, {xv}), tol);
  EXPECT_LT(MaxGradientError(nn::relu6(x * 4.0), {x}, {xv}), tol);  // values away from 0 and 6
  EXPECT_LT(MaxGradientError(nn::leaky_relu(x, 0.01), {x}, {xv}), tol);
  EXPECT_LT(MaxGradientError(nn::elu(x), {x}, {xv}), tol);
  EXPECT_LT(MaxGradientError(maximum(x, y), {x, y}, {xv, yv}), tol);
  EXPECT_LT(MaxGradientError(minimum(x, row), {x, row}, {xv, rv}), tol);
  EXPECT_LT(MaxGradientError(pow(x, y), {x}, {pos}, {{y, yv}}), tol);
  EXPECT_LT(MaxGradientError(pow(x, y), {x, y}, {pos, yv}), tol);
  EXPECT_LT(MaxGradientError(rsqrt(x), {x}, {pos}), tol);
  EXPECT_LT(MaxGradientError(abs(x), {x}, {xv}), tol);
  EXPECT_LT(MaxGradientError(log1p(x), {x}, {pos}), tol);
  EXPECT_LT(MaxGradientError(clip_by_value(x, -1.0, 1.0), {x}, {xv}), tol);
  EXPECT_LT(MaxGradientError(select(greater(x, y), x, y * y), {x, y}, {xv, yv}), tol);
  EXPECT_LT(MaxGradientError(select_v2(greater(row, constant(Values({1}, {}, DT_DOUBLE))), x, row), {x, row}, {xv, rv}), tol);
  EXPECT_LT(MaxGradientError(nn::sigmoid_cross_entropy_with_logits(z, x), {x, z}, {xv, zv}), tol);
  EXPECT_LT(MaxGradientError(reshape(nn::l2_loss(x), {1}), {x}, {xv}), tol);
}

}  // namespace
}  // namespace kiln
