// GEMM, the library kernel behind MatMul (and, later, convolution lowered to matrix products):
//   C = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T,
// on row-major matrices with leading dimensions, as CBLAS's cblas_sgemm(CblasRowMajor, ...) takes them:
//   C is m x n with row stride ldc; op(A) is m x k, so A is stored m x k (lda >= k), or k x m when
//   transposed (lda >= m); op(B) is k x n, so B is stored k x n (ldb >= n), or n x k when transposed
//   (ldb >= k).
// As in BLAS, beta == 0 overwrites C without reading it (NaNs in C do not propagate), and alpha == 0 or
// k == 0 leaves C = beta * C without reading A or B.
//
// Each thread runs Eigen's single-threaded blocked GEMM (Goto's algorithm: packed panels, a register
// kernel) on its own block of C. Kiln partitions the work over its ThreadPool rather than letting Eigen
// thread it (Eigen's OpenMP path spins its threads and collapsed to 0.5 GFLOP/s at n = 128 on a 2-core
// machine). The kernel is picked once per process from the host's ISA: AVX2+FMA when the CPU has it,
// else x86-64's SSE2 baseline.
#pragma once

#include <cstdint>

namespace kiln {

class ThreadPool;

// Work on each block of C right after a thread has computed it, while the block is in that core's
// cache (_FusedMatMul's bias and ReLU): `apply` gets the block's first element, C's row stride, and
// the block's rows [row0, row0 + rows) and columns [col0, col0 + cols) of C. Blocks never overlap
// and together cover C once.
template <typename T>
struct GemmEpilogue {
  void (*apply)(const void* state, T* block, int64_t ldc, int64_t row0, int64_t rows, int64_t col0, int64_t cols);
  const void* state;
};

// `pool` may be null (single-threaded). Small products run on the calling thread whatever the pool:
// waking a worker costs more than it saves below about a million multiply-adds.
void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool,
          const GemmEpilogue<float>* epilogue = nullptr);
void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc, ThreadPool* pool,
          const GemmEpilogue<double>* epilogue = nullptr);

// The single-threaded kernel Gemm runs on this host: "eigen-avx2-fma" or "eigen-sse2".
const char* GemmKernelName();

}  // namespace kiln
