// The elementwise loop nest (codegen/elementwise_kernel.cc) against plain C++ evaluations of the
// same expressions, bitwise (the expressions here use no polynomial approximations): every length
// around the vector width, broadcasting along every kind of dim, range splitting, in-place
// outputs, bool and integer dtypes, and the errors a malformed cluster gives.
#include "codegen/elementwise_kernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "codegen/broadcast_layout.h"
#include "codegen/kernel_listing.h"
#include "tests/codegen/elementwise_test_util.h"

namespace kiln::codegen {
namespace {

using testing::CompileOrFail;
using testing::MakeJit;
using testing::Random;
using testing::RunKernel;

ElementwiseExpr BuildOrFail(ExprBuilder&& b, const std::vector<ExprValue>& outputs) {
  StatusOr<ElementwiseExpr> expr = std::move(b).Build(outputs);
  EXPECT_TRUE(expr.ok()) << expr.status().ToString();
  return expr.ok() ? *expr : ElementwiseExpr{};
}

// relu(x * a + b): x full, a and b as given.
ElementwiseExpr AffineRelu(DataType dtype) {
  ExprBuilder b;
  ExprValue x = b.Input(0, dtype), a = b.Input(1, dtype), c = b.Input(2, dtype);
  ExprValue v = b.Add(b.Mul(x, a), c);
  ExprValue zero = b.ConstantLike(v, 0);
  return BuildOrFail(std::move(b), {b.Select(b.Lt(v, zero), zero, v)});
}

template <typename T>
T AffineReluReference(T x, T a, T c) {
  volatile T ax = x * a;  // no FMA contraction, as the kernel
  T v = ax + c;
  return v < T(0) ? T(0) : v;
}

// The flat offset into an input of `in_dims` (right-aligned, size-1 dims broadcast) for output
// element i of `shape`: the oracle for the kernel's broadcasting.
int64_t BroadcastOffset(int64_t i, const std::vector<int64_t>& shape, const std::vector<int64_t>& in_dims) {
  int64_t offset = 0, stride = 1;
  for (int d = static_cast<int>(shape.size()) - 1, e = static_cast<int>(in_dims.size()) - 1; d >= 0; --d, --e) {
    const int64_t index = i % shape[d];
    i /= shape[d];
    if (e >= 0) {
      if (in_dims[e] != 1) offset += index * stride;
      stride *= in_dims[e];
    }
  }
  return offset;
}

// Runs AffineRelu with the given shapes and checks every element bitwise against the reference.
template <typename T>
void ExpectAffineReluMatches(Jit& jit, const std::vector<int64_t>& shape, const std::vector<std::vector<int64_t>>& in_shapes,
                             const std::vector<int64_t>& splits = {}) {
  std::mt19937 rng(static_cast<uint32_t>(shape.size() * 131 + in_shapes[1].size()));
  ElementwiseCluster cluster{"affine_relu", AffineRelu(DataTypeOf<T>::value), shape, in_shapes};
  CompiledElementwise k = CompileOrFail(jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  std::vector<Tensor> in = {Random<T>(in_shapes[0], -3, 3, rng), Random<T>(in_shapes[1], -3, 3, rng),
                            Random<T>(in_shapes[2], -3, 3, rng)};
  std::vector<Tensor> out = RunKernel(k, cluster, in, splits);
  for (int64_t i = 0; i < k.num_elements; ++i) {
    T want = AffineReluReference(in[0].data<T>()[BroadcastOffset(i, shape, in_shapes[0])],
                                 in[1].data<T>()[BroadcastOffset(i, shape, in_shapes[1])],
                                 in[2].data<T>()[BroadcastOffset(i, shape, in_shapes[2])]);
    ASSERT_EQ(std::memcmp(&out[0].data<T>()[i], &want, sizeof(T)), 0)
        << "element " << i << " of " << DimsToString(shape) << ": " << out[0].data<T>()[i] << " vs " << want;
  }
}

TEST(ElementwiseKernelTest, EveryLengthAroundTheVectorWidthMatchesBitwise) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  for (int64_t n : {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 100003}) {
    ExpectAffineReluMatches<float>(*jit, {n}, {{n}, {}, {1}});
    ExpectAffineReluMatches<double>(*jit, {n}, {{n}, {n}, {}});
  }
}

TEST(ElementwiseKernelTest, BroadcastsAlongAnyDims) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  // bias over the last dim, over a middle dim, a column, a scalar, and a mix of all.
  ExpectAffineReluMatches<float>(*jit, {37, 19}, {{37, 19}, {19}, {19}});
  ExpectAffineReluMatches<float>(*jit, {4, 3, 5}, {{4, 3, 5}, {3, 1}, {1, 1, 5}});
  ExpectAffineReluMatches<float>(*jit, {13, 29}, {{13, 29}, {13, 1}, {}});
  ExpectAffineReluMatches<double>(*jit, {2, 3, 4, 5}, {{2, 1, 4, 1}, {3, 1, 5}, {2, 3, 4, 5}});
  ExpectAffineReluMatches<float>(*jit, {1, 1, 70}, {{1, 70}, {1, 1, 1}, {70}});
  ExpectAffineReluMatches<float>(*jit, {6, 0, 3}, {{6, 0, 3}, {3}, {}});
}

TEST(ElementwiseKernelTest, MergedLoopDimsFollowTheBroadcastPattern) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster bias{"bias", AffineRelu(DT_FLOAT), {8, 4, 4, 16}, {{8, 4, 4, 16}, {16}, {}}};
  EXPECT_EQ(CompileOrFail(*jit, bias).loop_dims, (std::vector<int64_t>{128, 16}));
  ElementwiseCluster flat{"flat", AffineRelu(DT_FLOAT), {8, 4, 16}, {{8, 4, 16}, {1}, {8, 4, 16}}};
  EXPECT_EQ(CompileOrFail(*jit, flat).loop_dims, (std::vector<int64_t>{512}));
}

TEST(ElementwiseKernelTest, SplitRangesEqualOneCall) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  std::mt19937 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<int64_t> cuts;
    std::uniform_int_distribution<int64_t> cut(1, 37 * 19 - 1);
    for (int c = 0; c < trial % 4 + 1; ++c) cuts.push_back(cut(rng));
    std::sort(cuts.begin(), cuts.end());
    ExpectAffineReluMatches<float>(*jit, {37 * 19}, {{37 * 19}, {}, {}}, cuts);
    ExpectAffineReluMatches<float>(*jit, {37, 19}, {{37, 19}, {19}, {37, 1}}, cuts);
  }
}

TEST(ElementwiseKernelTest, RangesAreClampedAndEmptyRangesWriteNothing) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster{"clamp", AffineRelu(DT_FLOAT), {5, 7}, {{5, 7}, {7}, {}}};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  std::vector<float> x(35, 1), a(7, 2), b(1, 0.5f), y(40, -7);
  void* buffers[] = {x.data(), a.data(), b.data(), y.data()};
  for (auto [begin, end] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {5, 5}, {9, 3}, {-10, -1}, {35, 99}}) {
    int64_t sizes[] = {begin, end, k.range_size};
    ASSERT_EQ(k.fn(nullptr, buffers, sizes), 0);
  }
  EXPECT_EQ(y, std::vector<float>(40, -7));
  int64_t sizes[] = {-100, 1000, k.range_size};
  ASSERT_EQ(k.fn(nullptr, buffers, sizes), 0);
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 35), std::vector<float>(35, 2.5f));
  EXPECT_EQ(std::vector<float>(y.begin() + 35, y.end()), std::vector<float>(5, -7));
}

TEST(ElementwiseKernelTest, FlatClustersOfAnyLengthShareOneKernel) {
  // A flat loop's code does not depend on its length (the caller passes it): the batch-norm layers
  // of different widths reuse one kernel. A broadcast over rows does depend on the row length.
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  CompiledElementwise a = CompileOrFail(*jit, {"flat", AffineRelu(DT_FLOAT), {256}, {{256}, {}, {}}});
  CompiledElementwise b = CompileOrFail(*jit, {"flat", AffineRelu(DT_FLOAT), {16, 3}, {{16, 3}, {1}, {}}});
  EXPECT_EQ(a.fn, b.fn);
  EXPECT_EQ(a.range_size, 256);
  EXPECT_EQ(b.range_size, 48);
  EXPECT_EQ(jit->stats().compiled, 1);
  CompiledElementwise c = CompileOrFail(*jit, {"flat", AffineRelu(DT_FLOAT), {16}, {{16}, {16}, {}}});
  EXPECT_NE(c.fn, a.fn) << "a contiguous input where the others broadcast one element";
  CompiledElementwise rows5 = CompileOrFail(*jit, {"rows", AffineRelu(DT_FLOAT), {4, 5}, {{4, 5}, {5}, {}}});
  CompiledElementwise rows7 = CompileOrFail(*jit, {"rows", AffineRelu(DT_FLOAT), {4, 7}, {{4, 7}, {7}, {}}});
  EXPECT_NE(rows5.fn, rows7.fn);
  // The shared kernel computes each length in full and stops at it.
  for (const CompiledElementwise* k : {&a, &b}) {
    std::vector<float> x(300, -1), y(300, 9);
    for (int64_t i = 0; i < k->range_size; ++i) x[i] = static_cast<float>(i) - 10;
    float scale = 2, shift = 1;
    void* buffers[] = {x.data(), &scale, &shift, y.data()};
    int64_t sizes[] = {0, 1000, k->range_size};
    ASSERT_EQ(k->fn(nullptr, buffers, sizes), 0);
    for (int64_t i = 0; i < k->range_size; ++i) ASSERT_EQ(y[i], AffineReluReference(x[i], scale, shift)) << i;
    for (size_t i = k->range_size; i < y.size(); ++i) ASSERT_EQ(y[i], 9) << i;
  }
}

TEST(ElementwiseKernelTest, OutputMayOverwriteItsInput) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster{"in_place", AffineRelu(DT_DOUBLE), {1003}, {{1003}, {}, {}}};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  std::vector<double> x(1003), want(1003);
  double a = 1.5, c = -0.25;
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::sin(static_cast<double>(i));
    want[i] = AffineReluReference(x[i], a, c);
  }
  void* buffers[] = {x.data(), &a, &c, x.data()};
  int64_t sizes[] = {0, 1003, k.range_size};
  ASSERT_EQ(k.fn(nullptr, buffers, sizes), 0);
  EXPECT_EQ(std::memcmp(x.data(), want.data(), x.size() * sizeof(double)), 0);
}

// Hand values, with the IEEE specials: Relu keeps NaN (x < 0 is false) and -0.
TEST(ElementwiseKernelTest, ReluKeepsNanAndSignedZeroAsTheReference) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT);
  ExprValue zero = b.ConstantLike(x, 0);
  ElementwiseCluster cluster{"relu", BuildOrFail(std::move(b), {b.Select(b.Lt(x, zero), zero, x)}), {11}, {{11}}};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  Tensor in = Tensor::FromVector<float>({-1, 0, 0.25f, -0.0f, 3, inf, -inf, nan, 1e-40f, -1e-40f, 7}, {11});
  Tensor out = RunKernel(k, cluster, {in})[0];
  const std::vector<float> want = {0, 0, 0.25f, -0.0f, 3, inf, 0, nan, 1e-40f, 0, 7};
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(std::memcmp(&out.data<float>()[i], &want[i], 4), 0) << "x=" << in.data<float>()[i] << ": " << out.data<float>()[i];
  }
}

// Compares, logic, selects and casts over int32, int64 and bool, with two outputs of different
// dtypes: z = (x > y) || !c ? cast<int64>(x) : x64 * 3 and w = cast<bool>(x - y).
TEST(ElementwiseKernelTest, IntegerAndBoolExpressionsWithTwoOutputs) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_INT32), y = b.Input(1, DT_INT32), c = b.Input(2, DT_BOOL), x64 = b.Input(3, DT_INT64);
  ExprValue cond = b.Or(b.Gt(x, y), b.Not(c));
  ExprValue z = b.Select(cond, b.Cast(x, DT_INT64), b.Mul(x64, b.Constant(3, DT_INT64)));
  ExprValue w = b.Cast(b.Sub(x, y), DT_BOOL);
  const int64_t n = 77;
  ElementwiseCluster cluster{"ints", BuildOrFail(std::move(b), {z, w}), {n}, {{n}, {n}, {n}, {n}}};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  EXPECT_EQ(k.vector_lanes, jit->cpu().vector_bits / 64);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> small(-4, 4);
  Tensor tx(DT_INT32, {n}), ty(DT_INT32, {n}), tc(DT_BOOL, {n}), tx64(DT_INT64, {n});
  for (int64_t i = 0; i < n; ++i) {
    tx.data<int32_t>()[i] = small(rng);
    ty.data<int32_t>()[i] = small(rng);
    tc.data<bool>()[i] = small(rng) > 0;
    tx64.data<int64_t>()[i] = int64_t{small(rng)} << 40;
  }
  std::vector<Tensor> out = RunKernel(k, cluster, {tx, ty, tc, tx64});
  for (int64_t i = 0; i < n; ++i) {
    const int32_t xi = tx.data<int32_t>()[i], yi = ty.data<int32_t>()[i];
    const bool ci = tc.data<bool>()[i];
    const int64_t want_z = (xi > yi || !ci) ? int64_t{xi} : tx64.data<int64_t>()[i] * 3;
    EXPECT_EQ(out[0].data<int64_t>()[i], want_z) << i;
    EXPECT_EQ(static_cast<int>(reinterpret_cast<const uint8_t*>(out[1].data<bool>())[i]), xi != yi ? 1 : 0) << i;
  }
}

// TF's Cast: float -> int truncates toward zero and saturates, NaN -> 0; float -> bool is x != 0.
TEST(ElementwiseKernelTest, FloatToIntCastSaturatesLikeTheReference) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT);
  ElementwiseCluster cluster{"casts", BuildOrFail(std::move(b), {b.Cast(x, DT_INT32), b.Cast(x, DT_INT64), b.Cast(x, DT_BOOL),
                                                                 b.Cast(x, DT_DOUBLE)}),
                             {10}, {{10}}};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  Tensor in = Tensor::FromVector<float>({-2.7f, 2.7f, 0, -0.0f, 3e9f, -3e9f, inf, nan, 1e20f, 0.5f}, {10});
  std::vector<Tensor> out = RunKernel(k, cluster, {in});
  const std::vector<int32_t> want32 = {-2, 2, 0, 0, INT32_MAX, INT32_MIN, INT32_MAX, 0, INT32_MAX, 0};
  const std::vector<int64_t> want64 = {-2, 2, 0, 0, 3000000000LL, -3000000000LL, INT64_MAX, 0, INT64_MAX, 0};
  const std::vector<bool> want_bool = {true, true, false, false, true, true, true, true, true, true};
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(out[0].data<int32_t>()[i], want32[i]) << in.data<float>()[i];
    EXPECT_EQ(out[1].data<int64_t>()[i], want64[i]) << in.data<float>()[i];
    EXPECT_EQ(out[2].data<bool>()[i], want_bool[i]) << in.data<float>()[i];
    const double widened = in.data<float>()[i];
    EXPECT_TRUE(std::isnan(widened) ? std::isnan(out[3].data<double>()[i]) : out[3].data<double>()[i] == widened);
  }
}

TEST(ElementwiseKernelTest, MalformedClustersAreErrorsThatNameThem) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster wrong_dim{"bad_bias", AffineRelu(DT_FLOAT), {4, 5}, {{4, 5}, {4}, {}}};
  StatusOr<CompiledElementwise> k = CompileElementwise(*jit, wrong_dim);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
  EXPECT_NE(k.status().message().find("bad_bias"), std::string::npos) << k.status().message();
  EXPECT_NE(k.status().message().find("[4] does not broadcast to [4,5]"), std::string::npos) << k.status().message();

  ElementwiseCluster missing_shape{"two_shapes", AffineRelu(DT_FLOAT), {4}, {{4}, {4}}};
  EXPECT_EQ(CompileElementwise(*jit, missing_shape).status().code(), Code::kInvalidArgument);
  ElementwiseCluster unknown_dim{"unknown", AffineRelu(DT_FLOAT), {-1}, {{-1}, {}, {}}};
  EXPECT_EQ(CompileElementwise(*jit, unknown_dim).status().code(), Code::kInvalidArgument);

  ElementwiseCluster bad_expr{"bad_expr", AffineRelu(DT_FLOAT), {4}, {{4}, {}, {}}};
  bad_expr.expr.nodes[3].args[0] = 7;  // an operand after its user
  StatusOr<CompiledElementwise> e = CompileElementwise(*jit, bad_expr);
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("%3"), std::string::npos) << e.status().message();
}

// AVX-512 hosts get 16-float vectors in zmm registers; the tail is masked, not scalar.
TEST(ElementwiseKernelTest, Avx512TargetsUseZmmVectorsAndMaskedTails) {
  ElementwiseCluster cluster{"bias_relu", AffineRelu(DT_FLOAT), {64, 10}, {{64, 10}, {10}, {}}};
  StatusOr<KernelListing> listing = ListElementwiseKernel(cluster, {"skylake-avx512", "", 512});
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_NE(listing->optimized_ir.find("<16 x float>"), std::string::npos);
  EXPECT_NE(listing->optimized_ir.find("llvm.masked.load"), std::string::npos) << listing->optimized_ir;
  EXPECT_NE(listing->assembly.find("%zmm"), std::string::npos);
  EXPECT_NE(listing->assembly.find("%k"), std::string::npos) << "no mask registers";
  StatusOr<KernelListing> avx2 = ListElementwiseKernel(cluster, {"haswell", "", 256});
  ASSERT_TRUE(avx2.ok()) << avx2.status().ToString();
  EXPECT_NE(avx2->assembly.find("%ymm"), std::string::npos);
  EXPECT_EQ(avx2->assembly.find("%zmm"), std::string::npos);
}

// Every primitive, every dtype and both output kinds in one cluster, compiled (not run) for
// CPUs this host may not be: AVX-512, AVX2, and the x86-64 baseline (SSE2, no SSE4.1 rounding).
TEST(ElementwiseKernelTest, EveryPrimitiveCompilesForEveryX86Width) {
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT), d = b.Input(1, DT_DOUBLE), i = b.Input(2, DT_INT32), c = b.Input(3, DT_BOOL);
  ExprValue f = b.Add(b.Mul(b.Exp(x), b.Log(b.Abs(x))), b.Div(b.Tanh(x), b.Sqrt(b.Rsqrt(b.Floor(x)))));
  f = b.Select(b.And(b.Or(b.Lt(x, f), b.Not(c)), b.Ne(x, f)), b.Max(f, b.Neg(x)), b.Min(f, b.Sub(x, f)));
  ExprValue g = b.Add(b.Cast(f, DT_DOUBLE), b.Exp(d));
  ExprValue n = b.Add(b.Cast(x, DT_INT32), b.Abs(i));
  ExprValue n64 = b.Cast(b.Mul(n, n), DT_INT64);
  ExprValue flag = b.Or(b.Ge(d, g), b.Cast(i, DT_BOOL));
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({f, g, n64, flag, g, n64});
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  ElementwiseCluster cluster{"everything", *expr, {6, 37}, {{6, 37}, {37}, {6, 1}, {6, 37}},
                             {OutputReduction::kNone, OutputReduction::kNone, OutputReduction::kNone, OutputReduction::kNone,
                              OutputReduction::kSum, OutputReduction::kMax}};
  for (const HostCpu& target : std::vector<HostCpu>{{"skylake-avx512", "", 512}, {"znver4", "", 512}, {"haswell", "", 256},
                                                    {"x86-64", "", 128}}) {
    StatusOr<KernelListing> listing = ListElementwiseKernel(cluster, target);
    ASSERT_TRUE(listing.ok()) << target.name << ": " << listing.status().ToString();
    EXPECT_NE(listing->assembly.find("retq"), std::string::npos) << target.name;
  }
}

}  // namespace
}  // namespace kiln::codegen
