// Shared by the elementwise codegen tests: a Jit per test, calling a compiled cluster on Tensors
// (optionally split into several ranges, as the runtime's ParallelFor would), and ulp distances.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include "codegen/elementwise_kernel.h"
#include "codegen/jit.h"
#include "graph/tensor.h"

namespace kiln::codegen::testing {

inline std::unique_ptr<Jit> MakeJit() {
  auto jit = Jit::Create();
  EXPECT_TRUE(jit.ok()) << jit.status().ToString();
  return jit.ok() ? std::move(*jit) : nullptr;
}

// A tensor of T with values uniform in [lo, hi).
template <typename T>
Tensor Random(const std::vector<int64_t>& dims, double lo, double hi, std::mt19937& rng) {
  Tensor t(DataTypeOf<T>::value, dims);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<T>()[i] = static_cast<T>(u(rng));
  return t;
}

// Compiles or fails the test (returns a kernel with a null fn).
inline CompiledElementwise CompileOrFail(Jit& jit, const ElementwiseCluster& cluster) {
  StatusOr<CompiledElementwise> k = CompileElementwise(jit, cluster);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : CompiledElementwise{};
}

// Calls `k` on `inputs`, writing fresh outputs of `cluster`'s shape (without the innermost dim
// for reduced outputs) and dtypes. The range [0, k.range_size) is covered by one call per piece
// between consecutive `splits` (sorted cut points inside it).
inline std::vector<Tensor> RunKernel(const CompiledElementwise& k, const ElementwiseCluster& cluster,
                                     const std::vector<Tensor>& inputs, const std::vector<int64_t>& splits = {}) {
  std::vector<Tensor> outputs;
  std::vector<void*> buffers;
  for (const Tensor& t : inputs) buffers.push_back(t.raw_data());
  for (size_t j = 0; j < cluster.expr.outputs.size(); ++j) {
    const bool reduced = !cluster.output_reductions.empty() && cluster.output_reductions[j] != OutputReduction::kNone;
    const std::vector<int64_t> dims = reduced ? std::vector<int64_t>(cluster.shape.begin(), cluster.shape.end() - 1) : cluster.shape;
    outputs.emplace_back(cluster.expr.output_dtype(static_cast<int>(j)), dims);
    buffers.push_back(outputs.back().raw_data());
  }
  std::vector<int64_t> cuts = {0};
  cuts.insert(cuts.end(), splits.begin(), splits.end());
  cuts.push_back(k.range_size);
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    int64_t sizes[] = {cuts[c], cuts[c + 1], k.range_size};
    EXPECT_EQ(k.fn(nullptr, buffers.data(), sizes), 0);
  }
  return outputs;
}

// Distance in units in the last place of `want`'s binade: |got - want| / ulp(want), where ulp is
// the spacing of T at want (denormal spacing below the normal range). Equal values (including
// +0 and -0, and two NaNs) are 0; NaN against a number, or inf against anything else, is inf.
template <typename T>
double UlpError(T got, long double want) {
  if (std::isnan(got) && std::isnan(want)) return 0;
  if (std::isnan(got) || std::isnan(want)) return std::numeric_limits<double>::infinity();
  if (static_cast<long double>(got) == want) return 0;
  if (std::isinf(got) || std::isinf(want)) {
    // A finite want beyond T's largest value rounds to inf (within half an ulp of the edge).
    const bool overflowed = std::isinf(got) && !std::isinf(want) && std::signbit(got) == std::signbit(want) &&
                            std::fabs(want) > static_cast<long double>(std::numeric_limits<T>::max());
    return overflowed ? 0.5 : std::numeric_limits<double>::infinity();
  }
  int exponent;
  std::frexp(static_cast<T>(std::fabs(want)) == 0 ? std::numeric_limits<T>::min() : static_cast<T>(std::fabs(want)), &exponent);
  // want in [2^(e-1), 2^e): ulp = 2^(e - digits), not below the denormal spacing.
  const int min_exponent = std::numeric_limits<T>::min_exponent;
  const long double ulp = std::ldexp(1.0L, std::max(exponent, min_exponent) - std::numeric_limits<T>::digits);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / ulp);
}

}  // namespace kiln::codegen::testing
