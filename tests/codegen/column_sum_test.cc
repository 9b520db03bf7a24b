// Clusters with outputs summed down the columns (OutputReduction::kColumnSum): each call fills its
// own row of double partial sums, which the caller adds up. Widths around the vector width (the
// masked tail), ranges split over calls as a pool would, outer dims flattened into rows, a stored
// output beside the sum, and an empty range leaving zeros.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "tests/codegen/elementwise_test_util.h"

namespace kiln::codegen {
namespace {

using testing::CompileOrFail;
using testing::MakeJit;
using testing::Random;
using testing::UlpError;

// {y = x * 2 + bias stored, column sums of y}, x of `dims`, bias of [cols].
ElementwiseCluster StoredAndColumnSum(DataType dtype, const std::vector<int64_t>& dims) {
  ExprBuilder b;
  ExprValue x = b.Input(0, dtype);
  ExprValue bias = b.Input(1, dtype);
  ExprValue y = b.Add(b.Mul(x, b.ConstantLike(x, 2)), bias);
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({y, y});
  EXPECT_TRUE(expr.ok());
  return ElementwiseCluster{"column_sum", *expr, dims, {dims, {dims.back()}},
                            {OutputReduction::kNone, OutputReduction::kColumnSum}};
}

// Runs the kernel over [0, range) in pieces cut at `splits`, piece i filling partial row i, and
// returns the stored output and the partial rows.
struct Result {
  Tensor stored;
  std::vector<double> partials;
};
Result Run(const CompiledElementwise& k, const Tensor& x, const Tensor& bias, const std::vector<int64_t>& splits) {
  std::vector<int64_t> cuts = {0};
  cuts.insert(cuts.end(), splits.begin(), splits.end());
  cuts.push_back(k.range_size);
  const int64_t cols = x.dims().back();
  Result r{Tensor(x.dtype(), x.dims()), std::vector<double>((cuts.size() - 1) * cols, 12345.0)};  // garbage to clear
  void* buffers[] = {x.raw_data(), bias.raw_data(), r.stored.raw_data(), r.partials.data()};
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    int64_t sizes[] = {cuts[c], cuts[c + 1], k.range_size, static_cast<int64_t>(c)};
    EXPECT_EQ(k.fn(nullptr, buffers, sizes), 0);
  }
  return r;
}

template <typename T>
void ExpectColumnSumsMatch(Jit& jit, const std::vector<int64_t>& dims, const std::vector<int64_t>& splits) {
  std::mt19937 rng(static_cast<uint32_t>(dims.back() * 13 + dims.size()));
  ElementwiseCluster cluster = StoredAndColumnSum(DataTypeOf<T>::value, dims);
  CompiledElementwise k = CompileOrFail(jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  const int64_t cols = dims.back(), rows = k.range_size;
  ASSERT_EQ(rows * cols, k.num_elements);
  Tensor x = Random<T>(dims, -10, 10, rng), bias = Random<T>({cols}, -1, 1, rng);
  Result got = Run(k, x, bias, splits);
  for (int64_t c = 0; c < cols; ++c) {
    long double exact = 0, sum_abs = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const T y = x.data<T>()[r * cols + c] * T(2) + bias.data<T>()[c];
      ASSERT_EQ(got.stored.data<T>()[r * cols + c], y) << "stored element " << r * cols + c;
      exact += y;
      sum_abs += std::fabs(y);
    }
    double sum = 0;
    for (size_t p = 0; p <= splits.size(); ++p) sum += got.partials[p * cols + c];
    // Summed in double whatever the split: a float sum is the exact sum correctly rounded (but for
    // a near-tie); a double sum is within the classic bound rows * eps * sum|y| of it.
    if constexpr (std::is_same_v<T, float>) {
      EXPECT_LE(UlpError<T>(static_cast<T>(sum), exact), 0.5001) << "column " << c << " of " << cols;
    } else {
      EXPECT_LE(std::fabs(sum - exact), rows * std::numeric_limits<double>::epsilon() * sum_abs) << "column " << c;
    }
  }
}

TEST(ColumnSumTest, SumsOfEveryWidthMatchTheExactSumWhateverTheSplit) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  for (int64_t cols : {1, 7, 8, 9, 16, 33, 100, 256}) {
    ExpectColumnSumsMatch<float>(*jit, {300, cols}, {});
    ExpectColumnSumsMatch<float>(*jit, {300, cols}, {1, 150, 299});
    ExpectColumnSumsMatch<double>(*jit, {41, cols}, {20});
  }
}

TEST(ColumnSumTest, OuterDimsAreFlattenedIntoRows) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExpectColumnSumsMatch<float>(*jit, {4, 7, 7, 20}, {100});  // an NHWC bias gradient's shape
  ExpectColumnSumsMatch<float>(*jit, {2, 3, 5}, {});
}

TEST(ColumnSumTest, AnEmptyRangeLeavesARowOfZeros) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster = StoredAndColumnSum(DT_FLOAT, {10, 24});
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  Tensor x(DT_FLOAT, {10, 24}), bias(DT_FLOAT, {24}), stored(DT_FLOAT, {10, 24});
  std::vector<double> partials(2 * 24, std::numeric_limits<double>::quiet_NaN());
  void* buffers[] = {x.raw_data(), bias.raw_data(), stored.raw_data(), partials.data()};
  int64_t sizes[] = {5, 5, k.range_size, 1};
  ASSERT_EQ(k.fn(nullptr, buffers, sizes), 0);
  for (int64_t c = 0; c < 24; ++c) {
    EXPECT_TRUE(std::isnan(partials[c])) << "row 0 belongs to another call";
    EXPECT_EQ(partials[24 + c], 0.0);
  }
}

TEST(ColumnSumTest, OnlyFloatAndDoubleSumDownColumns) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT);
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({b.Lt(x, b.ConstantLike(x, 0))});
  ASSERT_TRUE(expr.ok());
  ElementwiseCluster cluster{"bool_column_sum", *expr, {4, 8}, {{4, 8}}, {OutputReduction::kColumnSum}};
  StatusOr<CompiledElementwise> k = CompileElementwise(*jit, cluster);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::codegen
