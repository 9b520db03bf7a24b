// Internal to runtime/kernels/gemm*.cc: one thread's block of a GEMM, compiled once per ISA.
//
// The block kernel is defined in gemm_block.inc, which each ISA's translation unit includes after its
// own Eigen (gemm_portable.cc: plain; gemm_avx2.cc and gemm_avx512.cc: wider ISAs in renamed namespaces). This header
// declares only the entry points, so it never pulls Eigen into a file that must include it under
// different target settings.
#pragma once

#include <cstdint>

namespace kiln::gemm_internal {

// C[0:m, 0:n] = alpha * op(A) * op(B) + beta * C, with the pointers already offset to the block.
template <typename T>
struct BlockArgs {
  bool transpose_a, transpose_b;
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T beta;
  T* c;
  int64_t ldc;
};

void GemmBlockPortable(const BlockArgs<float>& args);
void GemmBlockPortable(const BlockArgs<double>& args);

// Only call when HostHasAvx2Fma(): the code uses AVX2 and FMA instructions.
void GemmBlockAvx2(const BlockArgs<float>& args);
void GemmBlockAvx2(const BlockArgs<double>& args);
bool HostHasAvx2Fma();

// Only call when HostHasAvx512(): the code uses AVX-512 F, DQ, BW and VL instructions.
void GemmBlockAvx512(const BlockArgs<float>& args);
void GemmBlockAvx512(const BlockArgs<double>& args);
bool HostHasAvx512();

}  // namespace kiln::gemm_internal
