// Gemm: picks the block kernel for this host and splits C over the thread pool.
#include "runtime/kernels/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "graph/isa_cap.h"
#include "runtime/kernels/gemm_block.h"
#include "runtime/thread_pool.h"

namespace kiln {
namespace gemm_internal {

bool HostHasAvx2Fma() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)  // where gemm_avx2.cc builds its kernel
  // libgcc's feature test also checks that the OS saves the AVX registers (XGETBV).
  static const bool has =
      MaxIsaFromEnvironment() >= IsaCap::kAvx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

bool HostHasAvx512() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)  // where gemm_avx512.cc builds its kernel
  static const bool has = MaxIsaFromEnvironment() >= IsaCap::kAvx512 && HostHasAvx2Fma() && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
#else
  return false;
#endif
}

}  // namespace gemm_internal
namespace {

using gemm_internal::BlockArgs;

// Each thread's share of a product is at least this many multiply-adds, so products below twice this
// (786K, a 92^3 cube) run on the calling thread. On two idle Zen 3 cores, splitting a cube over 2 threads
// lost at 64^3 (0.5-0.95x: a futex wake costs several microseconds and both threads pack the shared
// operand), was a toss-up at 80^3 (0.7-1.3x) and won from 96^3 (1.4-1.7x); see bench/README.md.
constexpr double kMinWorkPerChunk = 3 << 17;
// Blocks of C start at multiples of 16 rows or columns: 64 bytes of floats (one cache line) and a
// multiple of Eigen's packet widths (4 or 8 floats), so no thread gets a ragged edge it does not need.
constexpr int64_t kAlign = 16;
constexpr int64_t kMaxStreamingRows = 4;
constexpr double kMinStreamedBytes = 256 << 10;

template <typename T>
using BlockFn = void (*)(const BlockArgs<T>&);

template <typename T>
BlockFn<T> HostKernel() {
  static const BlockFn<T> kernel = gemm_internal::HostHasAvx512()    ? BlockFn<T>(&gemm_internal::GemmBlockAvx512)
                                    : gemm_internal::HostHasAvx2Fma() ? BlockFn<T>(&gemm_internal::GemmBlockAvx2)
                                                                      : BlockFn<T>(&gemm_internal::GemmBlockPortable);
  return kernel;
}

// A product whose k dwarfs m and n (the autoencoder's weight gradients, x^T dz: 256 x 64 over
// 10,240 rows) splits k instead: split by rows, each thread would pack all of the other operand and
// walk k in Eigen's blocks for a sliver of C. Each thread multiplies its slice of k into its own
// m x n partial (the first into C itself, with beta), and the partials are then added into C in
// thread order, so the result depends only on the thread count.
constexpr int64_t kMinKPerDimension = 16;
constexpr int64_t kMaxSplitKOutput = 1 << 16;

template <typename T>
bool SplitsK(const BlockArgs<T>& g, int threads) {
  return threads > 1 && g.k >= kMinKPerDimension * std::max(g.m, g.n) && g.m * g.n <= kMaxSplitKOutput &&
         static_cast<double>(g.m) * g.n * g.k >= 2 * kMinWorkPerChunk;
}

// Eigen computes a row-major C as the column-major product C^T = op(B)^T op(A)^T, whose micro-kernel
// panels run along n: with n smaller than m (the autoencoder encoder's 256 x 64 weight gradient, 160
// GFLOP/s on a Zen 5 core against 205 for the decoder's 64 x 256) most panels are short. The partials
// of a split k live in scratch anyway, so then each is computed transposed (n x m, panels along m)
// and the sum transposes back.
template <typename T>
void GemmSplitK(const BlockArgs<T>& g, ThreadPool* pool, BlockFn<T> kernel) {
  const int chunks = pool->num_threads();
  const bool transposed = g.m > g.n;
  // The partials: grown once per calling thread, then reused (no allocation in a steady-state run).
  // Untransposed, the first chunk's partial is C itself (with beta).
  thread_local std::vector<T> partials;
  const size_t size = static_cast<size_t>(transposed ? chunks : chunks - 1) * g.m * g.n;
  if (partials.size() < size) partials.resize(size);
  T* const scratch = partials.data();  // named here: in a worker, `partials` is the worker's own
  pool->ParallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t k0 = g.k * c / chunks, k1 = g.k * (c + 1) / chunks;
      BlockArgs<T> part = g;
      part.k = k1 - k0;
      part.a = g.a + (g.transpose_a ? k0 * g.lda : k0);
      part.b = g.b + (g.transpose_b ? k0 : k0 * g.ldb);
      if (transposed) {
        // partial^T = op(B)^T op(A)^T: B's slice as the left operand, A's as the right.
        part = BlockArgs<T>{!g.transpose_b, !g.transpose_a, g.n, g.m, k1 - k0, g.alpha, part.b, g.ldb,
                            part.a, g.lda, T(0), scratch + c * g.m * g.n, g.m};
      } else if (c > 0) {
        part.c = scratch + (c - 1) * g.m * g.n, part.ldc = g.n, part.beta = T(0);
      }
      kernel(part);
    }
  });
  if (transposed) {
    for (int64_t i = 0; i < g.m; ++i) {
      T* row = g.c + i * g.ldc;
      for (int64_t j = 0; j < g.n; ++j) {
        T sum = g.beta == T(0) ? T(0) : g.beta * row[j];  // beta 0 overwrites, NaN included
        for (int c = 0; c < chunks; ++c) sum += scratch[c * g.m * g.n + j * g.m + i];
        row[j] = sum;
      }
    }
    return;
  }
  for (int c = 1; c < chunks; ++c) {
    const T* p = scratch + (c - 1) * g.m * g.n;
    for (int64_t i = 0; i < g.m; ++i) {
      T* row = g.c + i * g.ldc;
      for (int64_t j = 0; j < g.n; ++j) row[j] += p[i * g.n + j];
    }
  }
}

template <typename T>
void GemmImpl(const BlockArgs<T>& g, ThreadPool* pool, const GemmEpilogue<T>* epilogue) {
  if (g.m <= 0 || g.n <= 0) return;
  auto finish = [&](T* block, int64_t row0, int64_t rows, int64_t col0, int64_t cols) {
    if (epilogue) epilogue->apply(epilogue->state, block, g.ldc, row0, rows, col0, cols);
  };
  BlockFn<T> kernel = HostKernel<T>();
  int threads = pool == nullptr || ThreadPool::InParallelRegion() ? 1 : pool->num_threads();
  double work = static_cast<double>(g.m) * g.n * std::max<int64_t>(g.k, 1);
  // A product with a row or two of A (batch-1 inference) is a matrix-vector product: it streams B once
  // and does one multiply-add per element read, so its cost is B's bytes, not its flops. Splitting the
  // columns of a B too large for one core's L2 lets each core stream half from its own cache.
  bool streams_b = g.m <= kMaxStreamingRows && static_cast<double>(g.n) * g.k * sizeof(T) >= kMinStreamedBytes;
  if (threads <= 1 || (work < 2 * kMinWorkPerChunk && !streams_b)) {
    kernel(g);
    finish(g.c, 0, g.m, 0, g.n);
    return;
  }
  if (SplitsK(g, threads)) {
    GemmSplitK(g, pool, kernel);
    finish(g.c, 0, g.m, 0, g.n);  // C is small here (at most 64K elements) and was just summed
    return;
  }
  // Split the larger of m and n: each thread then packs the other operand whole and its own slice of
  // this one, and the slices stay wide enough for Eigen's cache blocking.
  bool split_rows = g.m >= g.n && !streams_b;
  int64_t dim = split_rows ? g.m : g.n;
  int64_t blocks = (dim + kAlign - 1) / kAlign;
  double block_work = work / static_cast<double>(dim) * kAlign;
  auto grain = streams_b ? 1 : static_cast<int64_t>(std::ceil(kMinWorkPerChunk / block_work));  // blocks per chunk, at least
  pool->ParallelFor(blocks, grain, [&](int64_t b0, int64_t b1) {
    int64_t begin = b0 * kAlign, end = std::min(b1 * kAlign, dim);
    BlockArgs<T> part = g;
    if (split_rows) {
      part.m = end - begin;
      part.a = g.a + (g.transpose_a ? begin : begin * g.lda);
      part.c = g.c + begin * g.ldc;
    } else {
      part.n = end - begin;
      part.b = g.b + (g.transpose_b ? begin * g.ldb : begin);
      part.c = g.c + begin;
    }
    kernel(part);
    finish(part.c, split_rows ? begin : 0, part.m, split_rows ? 0 : begin, part.n);
  });
}

}  // namespace

void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool,
          const GemmEpilogue<float>* epilogue) {
  GemmImpl<float>({transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}, pool, epilogue);
}

void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc, ThreadPool* pool,
          const GemmEpilogue<double>* epilogue) {
  GemmImpl<double>({transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}, pool, epilogue);
}

const char* GemmKernelName() {
  if (gemm_internal::HostHasAvx512()) return "eigen-avx512";
  return gemm_internal::HostHasAvx2Fma() ? "eigen-avx2-fma" : "eigen-sse2";
}

}  // namespace kiln
