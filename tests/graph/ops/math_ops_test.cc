// Elementwise math ops: hand-computed values (with broadcasting), and gradients against central
// differences in double precision.
#include <cmath>
#include <limits>

#include "passes/gradients.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::Values;

using MathOpsTest = testing::GraphTest;

TEST_F(MathOpsTest, BinaryArithmeticMatchesHandValues) {
  auto a = constant(Values({1, 2, 3, 4}, {2, 2}));
  auto b = constant(Values({10, 20, 30, 40}, {2, 2}));
  ExpectValues(Eval(a + b), {2, 2}, {11, 22, 33, 44});
  ExpectValues(Eval(a - b), {2, 2}, {-9, -18, -27, -36});
  ExpectValues(Eval(a * b), {2, 2}, {10, 40, 90, 160});
  ExpectValues(Eval(b / a), {2, 2}, {10, 10, 10, 10});
  ExpectValues(Eval(-a), {2, 2}, {-1, -2, -3, -4});
}

TEST_F(MathOpsTest, BroadcastingFollowsNumpyRules) {
  auto col = constant(Values({1, 2, 3}, {3, 1}));
  auto row = constant(Values({10, 20, 30, 40}, {1, 4}));
  ExpectValues(Eval(col + row), {3, 4}, {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43});
  auto m = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  ExpectValues(Eval(m * 2.0), {2, 3}, {2, 4, 6, 8, 10, 12});
  ExpectValues(Eval(m + constant(Values({100, 200, 300}, {3}))), {2, 3}, {101, 202, 303, 104, 205, 306});
  ExpectValues(Eval(1.0 - m), {2, 3}, {0, -1, -2, -3, -4, -5});
}

TEST_F(MathOpsTest, IncompatibleBroadcastIsABuildError) {
  auto a = constant(Values({1, 2, 3}, {3}));
  auto b = constant(Values({1, 2}, {2}));
  EXPECT_FALSE(add(a, b));
  EXPECT_NE(g.build_status().message().find("Dimensions must be equal, but are 3 and 2"), std::string::npos)
      << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("(op: 'AddV2') with input shapes: [3], [2]"), std::string::npos);
}

TEST_F(MathOpsTest, MixedDtypesAreABuildError) {
  auto a = constant(Values({1}, {1}));
  auto b = constant(Values({1}, {1}, DT_INT32));
  EXPECT_FALSE(a + b);
  EXPECT_NE(g.build_status().message().find("int32"), std::string::npos) << g.build_status().message();
}

TEST_F(MathOpsTest, OldAddOpComputesLikeAddV2) {
  auto a = constant(Values({1, 2}, {2}));
  Output add_v1 = MakeOp("Add", {a, a}, {});
  ExpectValues(Eval(add_v1), {2}, {2, 4});
}

TEST_F(MathOpsTest, UnaryFunctionsMatchHandValues) {
  auto x = constant(Values({0, 1, 4}, {3}));
  ExpectValues(Eval(exp(x)), {3}, {1, std::exp(1.0), std::exp(4.0)}, 1e-4);
  ExpectValues(Eval(log(x)), {3}, {-INFINITY, 0, std::log(4.0)});
  ExpectValues(Eval(sqrt(x)), {3}, {0, 1, 2});
  ExpectValues(Eval(square(x)), {3}, {0, 1, 16});
  ExpectValues(Eval(reciprocal(constant(Values({2, 4, -0.5}, {3})))), {3}, {0.5, 0.25, -2});
}

TEST_F(MathOpsTest, ComparisonsGiveBool) {
  auto a = constant(Values({1, 2, 3}, {3}, DT_INT64));
  auto b = constant(Values({1, 5, 0}, {3}, DT_INT64));
  Tensor eq = Eval(equal(a, b));
  EXPECT_EQ(eq.dtype(), DT_BOOL);
  ExpectValues(eq, {3}, {1, 0, 0});
  ExpectValues(Eval(not_equal(a, b)), {3}, {0, 1, 1});
  ExpectValues(Eval(greater(a, b)), {3}, {0, 0, 1});
  ExpectValues(Eval(less(a, b)), {3}, {0, 1, 0});
}

TEST_F(MathOpsTest, CastTruncatesTowardZeroAndSaturates) {
  auto f = constant(Values({-2.7, -0.5, 0, 0.49, 1.5, 3.99, 1e20, -1e20, NAN}, {9}));
  ExpectValues(Eval(cast(f, DT_INT32)), {9},
               {-2, 0, 0, 0, 1, 3, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(), 0});
  auto flags = constant(Values({1, 0, 1}, {3}, DT_BOOL));
  ExpectValues(Eval(cast(flags, DT_FLOAT)), {3}, {1, 0, 1});
  ExpectValues(Eval(cast(constant(Values({0, 2, -1}, {3})), DT_BOOL)), {3}, {0, 1, 1});
}

TEST_F(MathOpsTest, AddNSumsAllInputs) {
  auto a = constant(Values({1, 2}, {2}));
  ExpectValues(Eval(add_n({a, a * 2.0, a * 3.0})), {2}, {6, 12});
}

// ---- gradients ----

TEST_F(MathOpsTest, BinaryGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto y = placeholder(float64, {2, 3}, "y");
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  Tensor yv = Values({1.5, 0.8, -2.5, 0.9, -1.3, 2.2}, {2, 3}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(x + y, {x, y}, {xv, yv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(x - y, {x, y}, {xv, yv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(x * y, {x, y}, {xv, yv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(x / y, {x, y}, {xv, yv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(MakeOp("Add", {x, y}, {}), {x, y}, {xv, yv}), testing::kGradTolerance);
}

TEST_F(MathOpsTest, BroadcastGradientsSumOverBroadcastAxes) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto row = placeholder(float64, {3}, "row");
  auto col = placeholder(float64, {2, 1}, "col");
  auto s = placeholder(float64, {}, "s");
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  Tensor rv = Values({1.5, -0.8, 2.5}, {3}, DT_DOUBLE);
  Tensor cv = Values({0.7, -1.9}, {2, 1}, DT_DOUBLE);
  Tensor sv = Values({1.7}, {}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(x + row, {x, row}, {xv, rv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(x * col, {x, col}, {xv, cv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(col / row, {col, row}, {cv, rv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(x - s, {x, s}, {xv, sv}), testing::kGradTolerance);
}

TEST_F(MathOpsTest, BroadcastGradientsWithUnknownBatchDimension) {
  // Partially known shapes take the BroadcastGradientArgs path, folded once feeds are known.
  auto x = placeholder(float64, {-1, 3}, "x");
  auto row = placeholder(float64, {3}, "row");
  Output y = reshape(x + row, {2, 3});  // give y a known shape for the checker
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  Tensor rv = Values({1.5, -0.8, 2.5}, {3}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(y, {x, row}, {xv, rv}), testing::kGradTolerance);
}

TEST_F(MathOpsTest, UnaryGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {4}, "x");
  Tensor pos = Values({0.5, 1.2, 2.0, 3.3}, {4}, DT_DOUBLE);
  Tensor mixed = Values({0.5, -1.2, 2.0, -0.3}, {4}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(-x, {x}, {mixed}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(exp(x), {x}, {mixed}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(log(x), {x}, {pos}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(sqrt(x), {x}, {pos}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(square(x), {x}, {mixed}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reciprocal(x), {x}, {pos}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(add_n({x, x * x, exp(x)}), {x}, {mixed}), testing::kGradTolerance);
}

TEST_F(MathOpsTest, CastBetweenFloatTypesPassesGradient) {
  // Float32 in the middle makes central differences noisy, so check the symbolic value directly:
  // d/dx sum(2 * double(float(x))) = 2.
  auto x = placeholder(float64, {3}, "x");
  Output y = reduce_sum(cast(cast(x, DT_FLOAT) * 2.0, DT_DOUBLE));
  auto grads = Gradients({y}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, Values({0.5, -1, 2}, {3}, DT_DOUBLE)}}), {3}, {2, 2, 2});
}

TEST_F(MathOpsTest, CastToIntegerStopsGradient) {
  auto x = placeholder(float64, {3}, "x");
  auto grads = Gradients({reduce_sum(cast(cast(x, DT_INT32), DT_DOUBLE))}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
}

}  // namespace
}  // namespace kiln
