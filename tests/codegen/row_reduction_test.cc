// Clusters with outputs reduced along the innermost dim (OutputReduction): sums and maxima of
// fused expressions against the Sum and Max reference kernels, row lengths around the vector
// width (and empty rows), NaN propagation, rows split over calls, outputs stored and reduced in
// one pass, and softmax built from two reducing clusters and one elementwise cluster.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "graph/builder/kiln.h"
#include "runtime/session.h"
#include "tests/codegen/elementwise_test_util.h"

namespace kiln::codegen {
namespace {

using testing::CompileOrFail;
using testing::MakeJit;
using testing::Random;
using testing::RunKernel;
using testing::UlpError;

// The reference kernel `reduce(x, axis -1)` run by a Session.
Tensor Reference(const Tensor& x, bool max) {
  Graph g;
  DefaultGraphGuard guard{g};
  Output p = placeholder(x.dtype(), x.shape(), "x");
  Output y = max ? reduce_max(p, {-1}) : reduce_sum(p, {-1});
  Session session(g);
  StatusOr<Tensor> r = session.run(y, {{p, x}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Tensor();
}

// {sum(x * 2), max(x * 2)} over the innermost dim of `dims`.
ElementwiseCluster SumAndMaxOfDouble(DataType dtype, const std::vector<int64_t>& dims) {
  ExprBuilder b;
  ExprValue x = b.Input(0, dtype);
  ExprValue y = b.Mul(x, b.ConstantLike(x, 2));
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({y, y});
  EXPECT_TRUE(expr.ok());
  return ElementwiseCluster{"sum_max", *expr, dims, {dims}, {OutputReduction::kSum, OutputReduction::kMax}};
}

// Float sums accumulate in double like the reference, so they round to the same float (or, when
// the two double sums straddle a rounding boundary, its neighbour: 1 ulp). A double sum adds in
// another order than the reference: within the classic bound n eps sum|x| of either order.
template <typename T>
void ExpectSumAndMaxMatch(Jit& jit, const std::vector<int64_t>& dims, const std::vector<int64_t>& splits = {}) {
  std::mt19937 rng(static_cast<uint32_t>(dims.back() * 7 + dims.size()));
  ElementwiseCluster cluster = SumAndMaxOfDouble(DataTypeOf<T>::value, dims);
  CompiledElementwise k = CompileOrFail(jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  Tensor x = Random<T>(dims, -100, 100, rng);
  Tensor doubled(x.dtype(), dims);
  for (int64_t i = 0; i < x.num_elements(); ++i) doubled.data<T>()[i] = x.data<T>()[i] * T(2);
  std::vector<Tensor> got = RunKernel(k, cluster, {x}, splits);
  Tensor want_sum = Reference(doubled, false), want_max = Reference(doubled, true);
  ASSERT_EQ(got[0].dims(), want_sum.dims());
  const int64_t cols = dims.back();
  for (int64_t r = 0; r < want_sum.num_elements(); ++r) {
    const T g = got[0].data<T>()[r], w = want_sum.data<T>()[r];
    if constexpr (std::is_same_v<T, double>) {
      double sum_abs = 0;
      for (int64_t c = 0; c < cols; ++c) sum_abs += std::fabs(doubled.data<T>()[r * cols + c]);
      EXPECT_LE(std::fabs(g - w), cols * std::numeric_limits<double>::epsilon() * sum_abs) << "sum of row " << r;
    } else if constexpr (std::is_same_v<T, float>) {
      EXPECT_LE(UlpError<T>(g, w), 1) << "sum of row " << r << ": " << g << " vs " << w;
    } else {
      EXPECT_EQ(g, w) << "sum of row " << r;
    }
    EXPECT_EQ(got[1].data<T>()[r], want_max.data<T>()[r]) << "max of row " << r;
  }
}

TEST(RowReductionTest, SumsAndMaximaOfEveryRowLengthMatchTheReference) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  for (int64_t cols : {1, 3, 7, 8, 9, 16, 33, 100, 1001}) {
    ExpectSumAndMaxMatch<float>(*jit, {5, cols});
    ExpectSumAndMaxMatch<double>(*jit, {2, 3, cols});
  }
  ExpectSumAndMaxMatch<float>(*jit, {37});  // one row
}

TEST(RowReductionTest, IntegerSumsAreExact) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExpectSumAndMaxMatch<int32_t>(*jit, {4, 21});
  ExpectSumAndMaxMatch<int64_t>(*jit, {3, 9});
}

TEST(RowReductionTest, RowsSplitOverCallsEqualOneCall) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExpectSumAndMaxMatch<float>(*jit, {50, 13}, {1, 17, 49});
}

TEST(RowReductionTest, EmptyRowsGiveTheIdentities) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster = SumAndMaxOfDouble(DT_FLOAT, {3, 0});
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  EXPECT_EQ(k.range_size, 3);
  std::vector<Tensor> got = RunKernel(k, cluster, {Tensor(DT_FLOAT, {3, 0})});
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(got[0].data<float>()[r], 0.0f);
    EXPECT_EQ(got[1].data<float>()[r], -std::numeric_limits<float>::infinity());
  }
}

TEST(RowReductionTest, MaxPropagatesNanLikeTheReference) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster = SumAndMaxOfDouble(DT_FLOAT, {4, 11});
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  std::mt19937 rng(9);
  Tensor x = Random<float>({4, 11}, -1, 1, rng);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  x.data<float>()[0] = nan;            // first element of row 0 (a vector lane)
  x.data<float>()[11 + 10] = nan;      // last element of row 1 (the masked tail)
  x.data<float>()[22 + 3] = std::numeric_limits<float>::infinity();
  std::vector<Tensor> got = RunKernel(k, cluster, {x});
  EXPECT_TRUE(std::isnan(got[1].data<float>()[0]));
  EXPECT_TRUE(std::isnan(got[1].data<float>()[1]));
  EXPECT_EQ(got[1].data<float>()[2], std::numeric_limits<float>::infinity());
  EXPECT_FALSE(std::isnan(got[1].data<float>()[3]));
}

// softmax(x) = e / sum(e), e = exp(x - max(x)): cluster 1 reduces the row max; cluster 2 stores
// e and reduces its sum in the same pass, reading the max as a [rows, 1] column; cluster 3
// divides. Against the Softmax reference kernel (which computes in double): within 4 ulp.
TEST(RowReductionTest, SoftmaxFromThreeClustersMatchesTheReference) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  const int64_t rows = 64, cols = 10;
  std::mt19937 rng(10);
  Tensor x = Random<float>({rows, cols}, -30, 30, rng);

  ExprBuilder b1;
  ExprValue x1 = b1.Input(0, DT_FLOAT);
  ElementwiseCluster row_max{"row_max", *std::move(b1).Build({x1}), {rows, cols}, {{rows, cols}}, {OutputReduction::kMax}};
  ExprBuilder b2;
  ExprValue x2 = b2.Input(0, DT_FLOAT), m2 = b2.Input(1, DT_FLOAT);
  ExprValue e = b2.Exp(b2.Sub(x2, m2));
  ElementwiseCluster exp_sum{"exp_sum", *std::move(b2).Build({e, e}), {rows, cols}, {{rows, cols}, {rows, 1}},
                             {OutputReduction::kNone, OutputReduction::kSum}};
  ExprBuilder b3;
  ExprValue e3 = b3.Input(0, DT_FLOAT), s3 = b3.Input(1, DT_FLOAT);
  ElementwiseCluster normalize{"normalize", *std::move(b3).Build({b3.Div(e3, s3)}), {rows, cols}, {{rows, cols}, {rows, 1}}};

  Tensor m = RunKernel(CompileOrFail(*jit, row_max), row_max, {x})[0];
  std::vector<Tensor> es = RunKernel(CompileOrFail(*jit, exp_sum), exp_sum, {x, m}, {rows / 2});
  Tensor y = RunKernel(CompileOrFail(*jit, normalize), normalize, {es[0], es[1]})[0];

  Graph g;
  DefaultGraphGuard guard{g};
  Output p = placeholder(DT_FLOAT, Shape({rows, cols}), "x");
  Session session(g);
  StatusOr<Tensor> want = session.run(nn::softmax(p), {{p, x}});
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  for (int64_t i = 0; i < rows * cols; ++i) {
    ASSERT_LE(UlpError<float>(y.data<float>()[i], want->data<float>()[i]), 4) << i << ": " << y.data<float>()[i] << " vs " << want->data<float>()[i];
  }
}

TEST(RowReductionTest, MalformedReductionsAreErrors) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT);
  ExprValue positive = b.Gt(x, b.ConstantLike(x, 0));
  ElementwiseExpr expr = *std::move(b).Build({x, positive});
  ElementwiseCluster bool_sum{"bool_sum", expr, {4, 4}, {{4, 4}}, {OutputReduction::kNone, OutputReduction::kSum}};
  EXPECT_NE(CompileElementwise(*jit, bool_sum).status().message().find("bool"), std::string::npos);
  ElementwiseCluster one_for_two{"count", expr, {4, 4}, {{4, 4}}, {OutputReduction::kSum}};
  EXPECT_EQ(CompileElementwise(*jit, one_for_two).status().code(), Code::kInvalidArgument);
  ElementwiseCluster scalar{"scalar", expr, {}, {{}}, {OutputReduction::kSum, OutputReduction::kNone}};
  EXPECT_EQ(CompileElementwise(*jit, scalar).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::codegen
