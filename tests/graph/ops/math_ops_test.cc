// Elementwise math ops (graph/ops/math_ops.cc, and the logic/selection ops of logical_ops.cc that it
// registers): hand-computed values with broadcasting, shape inference and its errors, and every
// gradient against central differences in double precision.
#include <cmath>
#include <limits>

#include "passes/gradients.h"
#include "tests/testing/gradient_checker.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::GradientCheckOptions;
using testing::GradientMatches;
using testing::Values;

using MathOpsTest = testing::GraphTest;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor D(const std::vector<double>& v, const std::vector<int64_t>& dims) { return Values(v, dims, DT_DOUBLE); }

// ---- values ----

TEST_F(MathOpsTest, BinaryArithmeticMatchesHandValues) {
  auto a = constant(Values({1, 2, 3, 4}, {2, 2}));
  auto b = constant(Values({10, 20, 30, 40}, {2, 2}));
  ExpectValues(Eval(a + b), {2, 2}, {11, 22, 33, 44});
  ExpectValues(Eval(a - b), {2, 2}, {-9, -18, -27, -36});
  ExpectValues(Eval(a * b), {2, 2}, {10, 40, 90, 160});
  ExpectValues(Eval(b / a), {2, 2}, {10, 10, 10, 10});
  ExpectValues(Eval(a / b), {2, 2}, {0.1, 0.1, 0.1, 0.1});
  ExpectValues(Eval(-a), {2, 2}, {-1, -2, -3, -4});
}

TEST_F(MathOpsTest, IntegerArithmeticStaysInteger) {
  auto a = constant(Values({7, -3, 0}, {3}, DT_INT32));
  auto b = constant(Values({2, 5, -4}, {3}, DT_INT32));
  Tensor sum = Eval(a + b);
  EXPECT_EQ(sum.dtype(), DT_INT32);
  ExpectValues(sum, {3}, {9, 2, -4});
  ExpectValues(Eval(a - b), {3}, {5, -8, 4});
  ExpectValues(Eval(a * b), {3}, {14, -15, 0});
  ExpectValues(Eval(-a), {3}, {-7, 3, 0});
  auto l = constant(Values({3000000000.0, -1}, {2}, DT_INT64));
  ExpectValues(Eval(l * l), {2}, {9e18, 1});
}

TEST_F(MathOpsTest, OldAddOpComputesLikeAddV2) {
  auto a = constant(Values({1, 2}, {2}));
  Output add_v1 = MakeOp("Add", {a, constant(Values({10}, {1}))}, {});
  ExpectValues(Eval(add_v1), {2}, {11, 12});
}

TEST_F(MathOpsTest, DivisionByZeroGivesSignedInfinityAndNaN) {
  auto num = constant(Values({1, -1, 0}, {3}));
  ExpectValues(Eval(num / constant(Values({0, 0, 0}, {3}))), {3}, {kInf, -kInf, kNaN});
}

TEST_F(MathOpsTest, BroadcastingFollowsNumpyRules) {
  auto col = constant(Values({1, 2, 3}, {3, 1}));
  auto row = constant(Values({10, 20, 30, 40}, {1, 4}));
  ExpectValues(Eval(col + row), {3, 4}, {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43});
  ExpectValues(Eval(row - col), {3, 4}, {9, 19, 29, 39, 8, 18, 28, 38, 7, 17, 27, 37});
  auto m = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  ExpectValues(Eval(m * 2.0), {2, 3}, {2, 4, 6, 8, 10, 12});
  ExpectValues(Eval(2.0 * m), {2, 3}, {2, 4, 6, 8, 10, 12});
  ExpectValues(Eval(m + constant(Values({100, 200, 300}, {3}))), {2, 3}, {101, 202, 303, 104, 205, 306});
  ExpectValues(Eval(1.0 - m), {2, 3}, {0, -1, -2, -3, -4, -5});
  ExpectValues(Eval(m / constant(Values({1, 2}, {2, 1}))), {2, 3}, {1, 2, 3, 2, 2.5, 3});
  ExpectValues(Eval(12.0 / m), {2, 3}, {12, 6, 4, 3, 2.4, 2});
}

TEST_F(MathOpsTest, BroadcastingInsertsMiddleAxes) {
  // [2,1,3] * [4,1] -> [2,4,3]: out[i,j,k] = a[i,0,k] * b[j,0].
  auto a = constant(Values({1, 2, 3, 4, 5, 6}, {2, 1, 3}));
  auto b = constant(Values({1, 10, 100, 1000}, {4, 1}));
  ExpectValues(Eval(a * b), {2, 4, 3},
               {1, 2, 3, 10, 20, 30, 100, 200, 300, 1000, 2000, 3000,
                4, 5, 6, 40, 50, 60, 400, 500, 600, 4000, 5000, 6000});
}

TEST_F(MathOpsTest, BroadcastShapesPropagatePartialDims) {
  auto batch = placeholder(float32, {-1, 3}, "batch");
  auto col = placeholder(float32, {-1, 1}, "col");
  auto v = placeholder(float32, {-1}, "v");
  auto any = placeholder(float32, Shape::UnknownRank(), "any");
  EXPECT_EQ((batch + constant(Values({1, 2, 3}, {3}))).shape().ToString(), "[?,3]");
  EXPECT_EQ((col * constant(Values({1, 2, 3, 4}, {1, 4}))).shape().ToString(), "[?,4]");
  EXPECT_EQ((v + v).shape().ToString(), "[?]");
  EXPECT_EQ((batch * 2.0).shape().ToString(), "[?,3]");
  EXPECT_TRUE((any + batch).shape().unknown_rank());
  EXPECT_TRUE(g.build_status().ok()) << g.build_status().ToString();
}

TEST_F(MathOpsTest, IncompatibleBroadcastIsTfsError) {
  auto a = constant(Values({1, 2, 3}, {3}), "a");
  auto b = constant(Values({1, 2}, {2}), "b");
  EXPECT_FALSE(add(a, b, "sum"));
  EXPECT_EQ(g.build_status().message(),
            "Dimensions must be equal, but are 3 and 2 for 'sum' (op: 'AddV2') with input shapes: [3], [2].");
}

TEST_F(MathOpsTest, IncompatiblePartialBroadcastIsAnError) {
  auto a = placeholder(float32, {-1, 3}, "a");
  auto b = placeholder(float32, {-1, 4}, "b");
  EXPECT_FALSE(multiply(a, b));
  EXPECT_NE(g.build_status().message().find("Dimensions must be equal, but are 3 and 4"), std::string::npos)
      << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("with input shapes: [?,3], [?,4]."), std::string::npos)
      << g.build_status().message();
}

TEST_F(MathOpsTest, MixedDtypesAreABuildError) {
  auto a = constant(Values({1}, {1}));
  auto b = constant(Values({1}, {1}, DT_INT32));
  EXPECT_FALSE(a + b);
  EXPECT_NE(g.build_status().message().find("int32"), std::string::npos) << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("float"), std::string::npos) << g.build_status().message();
}

TEST_F(MathOpsTest, RealDivRejectsIntegers) {
  auto a = constant(Values({4, 2}, {2}, DT_INT32));
  EXPECT_FALSE(divide(a, a));
  EXPECT_NE(g.build_status().message().find("RealDiv"), std::string::npos) << g.build_status().message();
}

TEST_F(MathOpsTest, MaximumAndMinimumBroadcast) {
  auto a = constant(Values({1, 5, -3, 4}, {2, 2}));
  auto b = constant(Values({2, 4}, {2}));
  ExpectValues(Eval(maximum(a, b)), {2, 2}, {2, 5, 2, 4});
  ExpectValues(Eval(minimum(a, b)), {2, 2}, {1, 4, -3, 4});
  auto i = constant(Values({-7, 7}, {2}, DT_INT32));
  ExpectValues(Eval(maximum(i, constant(Values({0}, {}, DT_INT32)))), {2}, {0, 7});
}

TEST_F(MathOpsTest, PowMatchesHandValues) {
  auto base = constant(Values({2, 3, 4, 9, -8, 0}, {6}));
  auto e = constant(Values({3, 0, -1, 0.5, 1.0 / 3, 2}, {6}));
  // A negative base with a fractional exponent has no real power: NaN, as std::pow and TF.
  ExpectValues(Eval(pow(base, e)), {6}, {8, 1, 0.25, 3, kNaN, 0}, 1e-6);
  ExpectValues(Eval(pow(base, constant(Values({2}, {})))), {6}, {4, 9, 16, 81, 64, 0});
}

TEST_F(MathOpsTest, UnaryFunctionsMatchHandValues) {
  auto x = constant(Values({0, 1, 4}, {3}));
  ExpectValues(Eval(exp(x)), {3}, {1, 2.718281828, 54.59815003}, 1e-5);
  ExpectValues(Eval(log(x)), {3}, {-kInf, 0, 1.386294361}, 1e-6);
  ExpectValues(Eval(sqrt(x)), {3}, {0, 1, 2});
  ExpectValues(Eval(square(x)), {3}, {0, 1, 16});
  ExpectValues(Eval(rsqrt(constant(Values({4, 0.25, 0}, {3})))), {3}, {0.5, 2, kInf});
  ExpectValues(Eval(reciprocal(constant(Values({2, 4, -0.5, 0}, {4})))), {4}, {0.5, 0.25, -2, kInf});
  ExpectValues(Eval(log1p(constant(Values({0, 1.718281828, -1}, {3})))), {3}, {0, 1, -kInf}, 1e-6);
  ExpectValues(Eval(abs(constant(Values({-2.5, 0, 3}, {3})))), {3}, {2.5, 0, 3});
  ExpectValues(Eval(negative(constant(Values({-2.5, 0, 3}, {3})))), {3}, {2.5, 0, -3});
}

TEST_F(MathOpsTest, UnaryFunctionsOutsideTheirDomainGiveNaN) {
  auto neg = constant(Values({-1, -4}, {2}));
  ExpectValues(Eval(log(neg)), {2}, {kNaN, kNaN});
  ExpectValues(Eval(sqrt(neg)), {2}, {kNaN, kNaN});
  ExpectValues(Eval(rsqrt(neg)), {2}, {kNaN, kNaN});
  ExpectValues(Eval(log1p(constant(Values({-2}, {1})))), {1}, {kNaN});
}

TEST_F(MathOpsTest, IntegerUnaryOps) {
  auto i = constant(Values({-7, 0, 5}, {3}, DT_INT32));
  Tensor a = Eval(abs(i));
  EXPECT_EQ(a.dtype(), DT_INT32);
  ExpectValues(a, {3}, {7, 0, 5});
  ExpectValues(Eval(square(i)), {3}, {49, 0, 25});
  ExpectValues(Eval(sign(i)), {3}, {-1, 0, 1});
  ExpectValues(Eval(negative(constant(Values({-7, 9}, {2}, DT_INT64)))), {2}, {7, -9});
}

TEST_F(MathOpsTest, SignOfFloats) {
  ExpectValues(Eval(sign(constant(Values({-0.5, 0, 2e-30, -kInf}, {4})))), {4}, {-1, 0, 1, -1});
}

TEST_F(MathOpsTest, FloatOnlyUnaryOpsRejectIntegers) {
  EXPECT_FALSE(exp(constant(Values({1}, {1}, DT_INT32))));
  EXPECT_NE(g.build_status().message().find("int32"), std::string::npos) << g.build_status().message();
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
  ExpectValues(Eval(greater_equal(a, b)), {3}, {1, 0, 1});
  ExpectValues(Eval(less_equal(a, b)), {3}, {1, 1, 0});
}

TEST_F(MathOpsTest, ComparisonsBroadcast) {
  auto col = constant(Values({1, 2, 3}, {3, 1}));
  auto row = constant(Values({2, 3}, {1, 2}));
  ExpectValues(Eval(less(col, row)), {3, 2}, {1, 1, 0, 1, 0, 0});
  ExpectValues(Eval(equal(col, constant(Values({2}, {})))), {3, 1}, {0, 1, 0});
}

TEST_F(MathOpsTest, NaNComparesUnequalToEverything) {
  auto n = constant(Values({kNaN, kNaN}, {2}));
  auto v = constant(Values({kNaN, 1}, {2}));
  ExpectValues(Eval(equal(n, v)), {2}, {0, 0});
  ExpectValues(Eval(not_equal(n, v)), {2}, {1, 1});
  ExpectValues(Eval(greater_equal(n, v)), {2}, {0, 0});
  ExpectValues(Eval(less(n, v)), {2}, {0, 0});
}

TEST_F(MathOpsTest, LogicalOpsFollowTruthTables) {
  auto p = constant(Values({1, 1, 0, 0}, {4}, DT_BOOL));
  auto q = constant(Values({1, 0, 1, 0}, {4}, DT_BOOL));
  ExpectValues(Eval(logical_and(p, q)), {4}, {1, 0, 0, 0});
  ExpectValues(Eval(logical_or(p, q)), {4}, {1, 1, 1, 0});
  ExpectValues(Eval(logical_not(p)), {4}, {0, 0, 1, 1});
  ExpectValues(Eval(logical_and(p, constant(Values({1}, {}, DT_BOOL)))), {4}, {1, 1, 0, 0});
}

TEST_F(MathOpsTest, SelectTakesConditionOfSameShapeScalarOrLeadingVector) {
  auto t = constant(Values({1, 2, 3, 4, 5, 6}, {3, 2}));
  auto e = constant(Values({-1, -2, -3, -4, -5, -6}, {3, 2}));
  auto same = constant(Values({1, 0, 0, 1, 1, 0}, {3, 2}, DT_BOOL));
  ExpectValues(Eval(select(same, t, e)), {3, 2}, {1, -2, -3, 4, 5, -6});
  ExpectValues(Eval(select(constant(Values({0}, {}, DT_BOOL)), t, e)), {3, 2}, {-1, -2, -3, -4, -5, -6});
  auto rows = constant(Values({0, 1, 0}, {3}, DT_BOOL));  // TF1 tf.where: one flag per row
  ExpectValues(Eval(select(rows, t, e)), {3, 2}, {-1, -2, 3, 4, -5, -6});
}

TEST_F(MathOpsTest, SelectV2Broadcasts) {
  auto c = constant(Values({1, 0}, {2}, DT_BOOL));           // over the last axis
  auto t = constant(Values({1, 2, 3, 4, 5, 6}, {3, 2}));
  auto e = constant(Values({0}, {}));
  ExpectValues(Eval(select_v2(c, t, e)), {3, 2}, {1, 0, 3, 0, 5, 0});
  auto col = constant(Values({0, 1, 1}, {3, 1}, DT_BOOL));
  ExpectValues(Eval(select_v2(col, t, e)), {3, 2}, {0, 0, 3, 4, 5, 6});
}

TEST_F(MathOpsTest, SelectWithMismatchedBranchesIsAnError) {
  auto t = constant(Values({1, 2}, {2}));
  auto e = constant(Values({1, 2, 3}, {3}));
  EXPECT_FALSE(select(constant(Values({1, 0}, {2}, DT_BOOL)), t, e));
  EXPECT_NE(g.build_status().message().find("(op: 'Select') with input shapes: [2], [2], [3]."), std::string::npos)
      << g.build_status().message();
}

TEST_F(MathOpsTest, CastTruncatesTowardZeroAndSaturates) {
  auto f = constant(Values({-2.7, -0.5, 0, 0.49, 1.5, 3.99, 1e20, -1e20, kNaN, kInf, -kInf}, {11}));
  constexpr double kMax = std::numeric_limits<int32_t>::max(), kMin = std::numeric_limits<int32_t>::min();
  Tensor i = Eval(cast(f, DT_INT32));
  EXPECT_EQ(i.dtype(), DT_INT32);
  // NaN has no integer value: it saturates to 0 (documented in math_ops.cc), never UB.
  ExpectValues(i, {11}, {-2, 0, 0, 0, 1, 3, kMax, kMin, 0, kMax, kMin});
  ExpectValues(Eval(cast(constant(Values({-1.5, 300, 2.9, 255.5}, {4})), DT_UINT8)), {4}, {0, 255, 2, 255});
  ExpectValues(Eval(cast(constant(Values({-3e9, 3e9}, {2}, DT_DOUBLE)), DT_INT64)), {2}, {-3e9, 3e9});
}

TEST_F(MathOpsTest, CastBetweenOtherTypes) {
  ExpectValues(Eval(cast(constant(Values({1, 0, 1}, {3}, DT_BOOL)), DT_FLOAT)), {3}, {1, 0, 1});
  ExpectValues(Eval(cast(constant(Values({0, 2, -1, 0.1}, {4})), DT_BOOL)), {4}, {0, 1, 1, 1});
  ExpectValues(Eval(cast(constant(Values({-7, 16777217}, {2}, DT_INT32)), DT_DOUBLE)), {2}, {-7, 16777217});
  // float rounds 16777217 to the nearest representable value, 16777216.
  ExpectValues(Eval(cast(constant(Values({16777217}, {1}, DT_INT32)), DT_FLOAT)), {1}, {16777216});
  Tensor d = Eval(cast(constant(Values({0.1}, {1})), DT_DOUBLE));
  EXPECT_EQ(d.dtype(), DT_DOUBLE);
  EXPECT_EQ(d.data<double>()[0], static_cast<double>(0.1f));
  EXPECT_EQ(cast(placeholder(float32, {-1, 3}, "p"), DT_INT32).shape().ToString(), "[?,3]");
}

TEST_F(MathOpsTest, AddNSumsAllInputs) {
  auto a = constant(Values({1, 2}, {2}));
  ExpectValues(Eval(add_n({a, a * 2.0, a * 3.0})), {2}, {6, 12});
  auto i = constant(Values({1, 2}, {2}, DT_INT32));
  ExpectValues(Eval(add_n({i, i})), {2}, {2, 4});
  EXPECT_EQ(add_n({a}).node, a.node);  // one input is that input, as tf.add_n
}

TEST_F(MathOpsTest, AddNOfDifferentShapesIsAnError) {
  auto a = constant(Values({1, 2}, {2}));
  auto b = constant(Values({1, 2, 3}, {3}));
  EXPECT_FALSE(add_n({a, b}));
  EXPECT_NE(g.build_status().message().find("Shapes of all inputs must match"), std::string::npos)
      << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("(op: 'AddN') with input shapes: [2], [3]."), std::string::npos)
      << g.build_status().message();
}

TEST_F(MathOpsTest, AddNMergesPartialShapes) {
  auto a = placeholder(float32, {-1, 3}, "a");
  auto b = placeholder(float32, {2, -1}, "b");
  EXPECT_EQ(add_n({a, b}).shape().ToString(), "[2,3]");
}

TEST_F(MathOpsTest, ClipByValueClampsBothSides) {
  ExpectValues(Eval(clip_by_value(constant(Values({-5, 0, 0.3, 1, 9}, {5})), 0.0, 1.0)), {5}, {0, 0, 0.3, 1, 1});
}

// ---- gradients ----

TEST_F(MathOpsTest, BinaryGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto y = placeholder(float64, {2, 3}, "y");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor yv = D({1.5, 0.8, -2.5, 0.9, -1.3, 2.2}, {2, 3});
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, x + y));
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, MakeOp("Add", {x, y}, {})));
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, x - y));
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, x * y));
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, x / y));
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, maximum(x, y)));  // no ties: a kink only at x == y
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, minimum(x, y)));
  EXPECT_TRUE(GradientMatches({x}, {xv}, x * x));  // the same tensor in both slots
}

TEST_F(MathOpsTest, PowGradientMatchesCentralDifferences) {
  auto x = placeholder(float64, {4}, "x");
  auto p = placeholder(float64, {4}, "p");
  EXPECT_TRUE(GradientMatches({x, p}, {D({0.5, 1.2, 2.0, 3.3}, {4}), D({2, -1.5, 0.5, 3}, {4})}, pow(x, p)));
  auto s = placeholder(float64, {}, "s");
  EXPECT_TRUE(GradientMatches({x, s}, {D({0.5, 1.2, 2.0, 3.3}, {4}), D({1.7}, {})}, pow(x, s)));
}

TEST_F(MathOpsTest, PowExponentGradientIsZeroForNonPositiveBase) {
  // d(x^p)/dp = x^p log(x) is taken as 0 where x <= 0 (TF's convention), not NaN.
  auto x = placeholder(float64, {2}, "x");
  auto p = placeholder(float64, {2}, "p");
  auto grads = Gradients({reduce_sum(pow(x, p))}, {x, p});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[1], {{x, D({-2, 0}, {2})}, {p, D({2, 2}, {2})}}), {2}, {0, 0});
  ExpectValues(Eval((*grads)[0], {{x, D({-2, 0}, {2})}, {p, D({2, 2}, {2})}}), {2}, {-4, 0});
}

TEST_F(MathOpsTest, MaximumGradientGoesToTheFirstInputOnTies) {
  // TF's _MaximumGrad masks with x >= y: on a tie all of dy flows to x.
  auto x = placeholder(float64, {2}, "x");
  auto y = placeholder(float64, {2}, "y");
  FeedDict feeds = {{x, D({1, 2}, {2})}, {y, D({1, 5}, {2})}};
  auto gmax = Gradients({reduce_sum(maximum(x, y))}, {x, y});
  ASSERT_TRUE(gmax.ok()) << gmax.status().ToString();
  ExpectValues(Eval((*gmax)[0], feeds), {2}, {1, 0});
  ExpectValues(Eval((*gmax)[1], feeds), {2}, {0, 1});
  auto gmin = Gradients({reduce_sum(minimum(x, y))}, {x, y});
  ASSERT_TRUE(gmin.ok()) << gmin.status().ToString();
  ExpectValues(Eval((*gmin)[0], feeds), {2}, {1, 1});
  ExpectValues(Eval((*gmin)[1], feeds), {2}, {0, 0});
}

TEST_F(MathOpsTest, BroadcastGradientsSumOverBroadcastAxes) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto row = placeholder(float64, {3}, "row");
  auto row2 = placeholder(float64, {1, 3}, "row2");
  auto col = placeholder(float64, {2, 1}, "col");
  auto s = placeholder(float64, {}, "s");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor rv = D({1.5, -0.8, 2.5}, {3});
  Tensor r2v = D({1.5, -0.8, 2.5}, {1, 3});
  Tensor cv = D({0.7, -1.9}, {2, 1});
  Tensor sv = D({1.7}, {});
  EXPECT_TRUE(GradientMatches({x, row}, {xv, rv}, x + row));
  EXPECT_TRUE(GradientMatches({x, row2}, {xv, r2v}, x - row2));
  EXPECT_TRUE(GradientMatches({x, col}, {xv, cv}, x * col));
  EXPECT_TRUE(GradientMatches({col, row}, {cv, rv}, col / row));   // both sides broadcast: [2,1] / [3]
  EXPECT_TRUE(GradientMatches({col, row2}, {cv, r2v}, col - row2));
  EXPECT_TRUE(GradientMatches({x, s}, {xv, sv}, x - s));
  EXPECT_TRUE(GradientMatches({x, s}, {xv, sv}, s / x));
  EXPECT_TRUE(GradientMatches({x, row}, {xv, rv}, maximum(x, row)));
  EXPECT_TRUE(GradientMatches({x, col}, {xv, D({0.7, 1.9}, {2, 1})}, pow(col, x)));
}

TEST_F(MathOpsTest, BroadcastGradientOfColumnPlusRowHasEachInputsShape) {
  // d sum(c + r) / dc = 4 per element of c [3,1]; / dr = 3 per element of r [1,4]: hand values.
  auto c = placeholder(float64, {3, 1}, "c");
  auto r = placeholder(float64, {1, 4}, "r");
  auto grads = Gradients({reduce_sum(c + r)}, {c, r});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_EQ((*grads)[0].shape().ToString(), "[3,1]");
  EXPECT_EQ((*grads)[1].shape().ToString(), "[1,4]");
  FeedDict feeds = {{c, D({1, 2, 3}, {3, 1})}, {r, D({1, 2, 3, 4}, {1, 4})}};
  ExpectValues(Eval((*grads)[0], feeds), {3, 1}, {4, 4, 4});
  ExpectValues(Eval((*grads)[1], feeds), {1, 4}, {3, 3, 3, 3});
  EXPECT_TRUE(GradientMatches({c, r}, {D({1, 2, 3}, {3, 1}), D({1, 2, 3, 4}, {1, 4})}, c * r));
}

TEST_F(MathOpsTest, BroadcastGradientsThroughInsertedMiddleAxis) {
  auto a = placeholder(float64, {2, 1, 3}, "a");
  auto b = placeholder(float64, {4, 1}, "b");
  EXPECT_TRUE(GradientMatches({a, b}, {D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 1, 3}), D({1, -2, 0.5, 3}, {4, 1})},
                              a * b));
}

TEST_F(MathOpsTest, BroadcastGradientsWithUnknownDimensions) {
  // Partially known shapes take the BroadcastGradientArgs path, folded once feeds are known.
  auto x = placeholder(float64, {-1, 3}, "x");
  auto row = placeholder(float64, {3}, "row");
  auto col = placeholder(float64, {-1, 1}, "col");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  Tensor rv = D({1.5, -0.8, 2.5}, {3});
  EXPECT_TRUE(GradientMatches({x, row}, {xv, rv}, x + row));
  EXPECT_TRUE(GradientMatches({x, row}, {xv, rv}, x * row));
  EXPECT_TRUE(GradientMatches({col, row}, {D({0.7, -1.9}, {2, 1}), rv}, col / row));
  auto any = placeholder(float64, Shape::UnknownRank(), "any");
  EXPECT_TRUE(GradientMatches({any, row}, {xv, rv}, any - row));
}

TEST_F(MathOpsTest, UnaryGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {4}, "x");
  Tensor pos = D({0.5, 1.2, 2.0, 3.3}, {4});
  Tensor mixed = D({0.5, -1.2, 2.0, -0.3}, {4});
  EXPECT_TRUE(GradientMatches({x}, {mixed}, -x));
  EXPECT_TRUE(GradientMatches({x}, {mixed}, exp(x)));
  EXPECT_TRUE(GradientMatches({x}, {pos}, log(x)));
  EXPECT_TRUE(GradientMatches({x}, {pos}, sqrt(x)));
  EXPECT_TRUE(GradientMatches({x}, {mixed}, square(x)));
  EXPECT_TRUE(GradientMatches({x}, {mixed}, reciprocal(x)));
  EXPECT_TRUE(GradientMatches({x}, {pos}, rsqrt(x)));
  EXPECT_TRUE(GradientMatches({x}, {mixed}, abs(x)));  // away from the kink at 0
  EXPECT_TRUE(GradientMatches({x}, {D({0.5, -0.6, 2.0, 3.3}, {4})}, log1p(x)));
}

TEST_F(MathOpsTest, AddNGradientFlowsToEveryInput) {
  auto x = placeholder(float64, {4}, "x");
  auto y = placeholder(float64, {4}, "y");
  Tensor xv = D({0.5, -1.2, 2.0, -0.3}, {4});
  Tensor yv = D({1.5, 0.2, -2.0, 0.7}, {4});
  EXPECT_TRUE(GradientMatches({x, y}, {xv, yv}, add_n({x, y, x * y})));
  EXPECT_TRUE(GradientMatches({x}, {xv}, add_n({x, x * x, exp(x)})));
}

TEST_F(MathOpsTest, SelectGradientsRouteByTheCondition) {
  auto t = placeholder(float64, {3, 2}, "t");
  auto e = placeholder(float64, {3, 2}, "e");
  Tensor tv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {3, 2});
  Tensor ev = D({1.5, 0.8, -2.5, 0.9, -1.3, 2.2}, {3, 2});
  auto same = constant(Values({1, 0, 0, 1, 1, 0}, {3, 2}, DT_BOOL));
  auto rows = constant(Values({0, 1, 0}, {3}, DT_BOOL));
  EXPECT_TRUE(GradientMatches({t, e}, {tv, ev}, select(same, t * t, e * 3.0)));
  EXPECT_TRUE(GradientMatches({t, e}, {tv, ev}, select(rows, t, e)));
  auto s = placeholder(float64, {}, "s");
  EXPECT_TRUE(GradientMatches({t, s}, {tv, D({0.25}, {})}, select_v2(same, t, s)));  // e broadcast
  EXPECT_TRUE(GradientMatches({t, e}, {tv, ev}, select_v2(constant(Values({1, 0}, {2}, DT_BOOL)), t, e)));
}

TEST_F(MathOpsTest, ClipByValueGradientPassesOnlyWhereUnclipped) {
  auto x = placeholder(float64, {4}, "x");
  Tensor xv = D({-5, 0.3, 0.7, 9}, {4});
  EXPECT_TRUE(GradientMatches({x}, {xv}, clip_by_value(x, 0.0, 1.0)));
  auto grads = Gradients({reduce_sum(clip_by_value(x, 0.0, 1.0))}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, xv}}), {4}, {0, 1, 1, 0});
}

TEST_F(MathOpsTest, CastBetweenFloatTypesPassesGradient) {
  // double -> float -> double: steps of 2^-10 on dyadic x keep every value exact in float, so
  // central differences stay exact through the narrow type.
  auto x = placeholder(float64, {3}, "x");
  GradientCheckOptions exact;
  exact.delta = 1.0 / 1024;
  Output y = cast(cast(x, DT_FLOAT) * 3.0, DT_DOUBLE);
  EXPECT_TRUE(GradientMatches({x}, {D({0.5, -1.25, 2}, {3})}, y, exact));
  auto grads = Gradients({reduce_sum(y)}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_EQ((*grads)[0].dtype(), DT_DOUBLE);
  ExpectValues(Eval((*grads)[0], {{x, D({0.5, -1, 2}, {3})}}), {3}, {3, 3, 3});
}

TEST_F(MathOpsTest, CastToIntegerStopsGradient) {
  auto x = placeholder(float64, {3}, "x");
  auto grads = Gradients({reduce_sum(cast(cast(x, DT_INT32), DT_DOUBLE))}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
}

TEST_F(MathOpsTest, ComparisonsLogicAndSignStopGradient) {
  auto x = placeholder(float64, {3}, "x");
  Output flags = cast(logical_not(less(x, x * 2.0)), DT_DOUBLE) + sign(x);
  auto grads = Gradients({reduce_sum(flags)}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
}

}  // namespace
}  // namespace kiln
