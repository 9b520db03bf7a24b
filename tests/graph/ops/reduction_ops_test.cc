// Reductions and ArgMax/ArgMin: axes (negative, several, all), keep_dims, ties, errors, gradients.
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::Values;

class ReductionTest : public testing::GraphTest {
 protected:
  // [[1,2,3],[4,5,6]]
  Output m = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
};

TEST_F(ReductionTest, SumAndMeanOverAxes) {
  ExpectValues(Eval(reduce_sum(m, {0})), {3}, {5, 7, 9});
  ExpectValues(Eval(reduce_sum(m, {1})), {2}, {6, 15});
  ExpectValues(Eval(reduce_sum(m, {-1}, true)), {2, 1}, {6, 15});
  ExpectValues(Eval(reduce_sum(m)), {}, {21});
  ExpectValues(Eval(reduce_mean(m, {0})), {3}, {2.5, 3.5, 4.5});
  ExpectValues(Eval(reduce_mean(m)), {}, {3.5});
  ExpectValues(Eval(reduce_mean(m, {0, 1}, true)), {1, 1}, {3.5});
}

TEST_F(ReductionTest, MaxMinProd) {
  ExpectValues(Eval(reduce_max(m, {1})), {2}, {3, 6});
  ExpectValues(Eval(MakeOp("Min", {m, IntsLike(m, {0})}, {})), {3}, {1, 2, 3});
  ExpectValues(Eval(MakeOp("Prod", {m, IntsLike(m, {1})}, {})), {2}, {6, 120});
}

TEST_F(ReductionTest, RankThreeOverMiddleAndOuterAxes) {
  std::vector<double> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i;
  auto r = constant(Values(v, {2, 3, 4}));
  // sum over axis 1 of x[i,j,k] = 12i + 4j + k: 36i + 3k + 12
  ExpectValues(Eval(reduce_sum(r, {1})), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
  ExpectValues(Eval(reduce_mean(r, {0, 2})), {3}, {7.5, 11.5, 15.5});
}

TEST_F(ReductionTest, OutOfRangeAxisIsAnError) {
  EXPECT_FALSE(reduce_sum(m, {2}));
  EXPECT_NE(g.build_status().message().find("Invalid reduction dimension 2 for input with 2 dimensions"),
            std::string::npos)
      << g.build_status().message();
}

TEST_F(ReductionTest, ArgMaxFirstIndexWinsTies) {
  auto t = constant(Values({1, 3, 3, 0, 7, 7, 2, 1}, {2, 4}));
  Tensor a1 = Eval(argmax(t, 1));
  EXPECT_EQ(a1.dtype(), DT_INT64);
  ExpectValues(a1, {2}, {1, 0});
  ExpectValues(Eval(argmax(t, 0, DT_INT32)), {4}, {1, 1, 0, 1});
  ExpectValues(Eval(argmin(t, 1)), {2}, {3, 3});
  ExpectValues(Eval(argmax(t, -1)), {2}, {1, 0});
}

TEST_F(ReductionTest, ReductionGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3, 2}, "x");
  std::vector<double> v;
  for (int i = 0; i < 12; ++i) v.push_back(0.3 * i - 1.1 + (i % 3) * 0.17);
  Tensor xv = Values(v, {2, 3, 2}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(reduce_sum(x, {1}), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reduce_sum(x, {0, 2}, true), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reduce_sum(x), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reduce_mean(x, {-1}), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reduce_mean(x, {0, 1}, true), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reduce_mean(x), {x}, {xv}), testing::kGradTolerance);
}

TEST_F(ReductionTest, MeanGradientWithUnknownBatchDimension) {
  auto x = placeholder(float64, {-1, 3}, "x");
  Output y = reshape(reduce_mean(x, {0}), {3});
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(y, {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(reshape(reduce_mean(x), {1}), {x}, {xv}), testing::kGradTolerance);
}

}  // namespace
}  // namespace kiln
