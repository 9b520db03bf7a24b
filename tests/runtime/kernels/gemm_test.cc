// Gemm against a naive triple loop (accumulated in long double): many shapes including odd and
// degenerate ones, all four transposes, alpha and beta, padded leading dimensions, 1 to 3 threads,
// both ISA kernels, and BLAS's rules for beta == 0, alpha == 0 and k == 0.
#include "runtime/kernels/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/kernels/gemm_block.h"
#include "runtime/thread_pool.h"

namespace kiln {
namespace {

constexpr float kSentinel = 12345.f;  // fills padding that Gemm must not touch

template <typename T>
struct Problem {
  bool ta, tb;
  int64_t m, n, k;
  T alpha, beta;
  int64_t lda, ldb, ldc;
  std::vector<T> a, b, c;

  // op(A) is m x k, so A is stored k x m when transposed; likewise B.
  int64_t a_rows() const { return ta ? k : m; }
  int64_t b_rows() const { return tb ? n : k; }
  T A(int64_t i, int64_t p) const { return ta ? a[p * lda + i] : a[i * lda + p]; }
  T B(int64_t p, int64_t j) const { return tb ? b[j * ldb + p] : b[p * ldb + j]; }
};

// Leading dimensions carry `pad` extra columns filled with the sentinel.
template <typename T>
Problem<T> MakeProblem(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, T beta, int64_t pad, uint32_t seed) {
  Problem<T> p{ta, tb, m, n, k, alpha, beta};
  p.lda = (ta ? m : k) + pad;
  p.ldb = (tb ? k : n) + pad;
  p.ldc = n + pad;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  auto fill = [&](std::vector<T>& v, int64_t rows, int64_t cols, int64_t ld) {
    v.assign(std::max<int64_t>(rows * ld, 1), T(kSentinel));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) v[r * ld + c] = T(u(rng));
    }
  };
  fill(p.a, p.a_rows(), ta ? m : k, p.lda);
  fill(p.b, p.b_rows(), tb ? k : n, p.ldb);
  fill(p.c, m, n, p.ldc);
  return p;
}

// C = alpha * op(A) op(B) + beta * C element by element; beta == 0 ignores C (BLAS).
template <typename T>
std::vector<T> Naive(const Problem<T>& p) {
  std::vector<T> c = p.c;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      long double sum = 0;
      for (int64_t q = 0; q < p.k; ++q) sum += static_cast<long double>(p.A(i, q)) * p.B(q, j);
      long double prior = p.beta == T(0) ? 0 : static_cast<long double>(p.beta) * p.c[i * p.ldc + j];
      c[i * p.ldc + j] = static_cast<T>(p.alpha * sum + prior);
    }
  }
  return c;
}

template <typename T>
void RunGemm(Problem<T>& p, ThreadPool* pool) {
  Gemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a.data(), p.lda, p.b.data(), p.ldb, p.beta, p.c.data(), p.ldc, pool);
}

// Each element within a few ulps of the sum of |terms| (the error bound of a k-term dot product),
// and the padding untouched.
template <typename T>
void ExpectMatches(const Problem<T>& p, const std::vector<T>& expected, const std::vector<T>& actual, const std::string& what) {
  const double eps = std::numeric_limits<T>::epsilon();
  int reported = 0;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.ldc; ++j) {
      int64_t at = i * p.ldc + j;
      if (j >= p.n) {
        ASSERT_EQ(actual[at], T(kSentinel)) << what << ": padding of C changed at (" << i << ", " << j << ")";
        continue;
      }
      double scale = 0;
      for (int64_t q = 0; q < p.k; ++q) scale += std::abs(double(p.A(i, q)) * p.B(q, j));
      double tol = 4 * eps * (std::abs(double(p.alpha)) * scale * (p.k + 2) + std::abs(double(expected[at])) + 1e-30);
      if (std::abs(double(actual[at]) - double(expected[at])) > tol && reported++ < 5) {
        ADD_FAILURE() << what << ": C(" << i << ", " << j << ") = " << actual[at] << ", expected " << expected[at];
      }
    }
  }
}

std::string Describe(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, double beta, int threads) {
  return "ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) + " m=" + std::to_string(m) + " n=" +
         std::to_string(n) + " k=" + std::to_string(k) + " alpha=" + std::to_string(alpha) + " beta=" +
         std::to_string(beta) + " threads=" + std::to_string(threads);
}

template <typename T>
void CheckShapes(const std::vector<std::array<int64_t, 3>>& shapes, const std::vector<int>& thread_counts) {
  uint32_t seed = 1;
  for (int threads : thread_counts) {
    ThreadPool pool(threads);
    for (auto [m, n, k] : shapes) {
      for (int t = 0; t < 4; ++t) {
        bool ta = t & 1, tb = t & 2;
        for (auto [alpha, beta] : {std::pair<T, T>{1, 0}, {-0.5, 1}, {2, 0.25}}) {
          Problem<T> p = MakeProblem<T>(ta, tb, m, n, k, alpha, beta, (m + n + k) % 3 == 0 ? 0 : 3, seed++);
          std::vector<T> expected = Naive(p);
          RunGemm(p, &pool);
          ExpectMatches(p, expected, p.c, Describe(ta, tb, m, n, k, alpha, beta, threads));
        }
      }
    }
  }
}

TEST(GemmTest, SmallAndOddShapesMatchTheNaiveProduct) {
  std::vector<std::array<int64_t, 3>> shapes;
  for (int64_t m : {1, 2, 3, 7, 16, 17}) {
    for (int64_t n : {1, 5, 8, 31}) {
      for (int64_t k : {1, 4, 9, 33}) shapes.push_back({m, n, k});
    }
  }
  CheckShapes<float>(shapes, {1});
  CheckShapes<double>(shapes, {1});
}

TEST(GemmTest, NarrowProductsMatchTheNaiveProduct) {
  // C of at most 32 columns takes the narrow kernel (gemm_narrow.inc) when B is not transposed: one
  // or two vectors per row, rows in blocks of 4-16 and singly. The seed nets' 10-class layers (x @ W,
  // x^T @ dy), and widths around one and two vectors of 8 and 16 lanes.
  std::vector<std::array<int64_t, 3>> shapes = {{32, 10, 784}, {784, 10, 32}, {64, 10, 2000}, {2000, 10, 64},
                                                {5, 16, 100},  {13, 17, 50},  {9, 32, 20},    {21, 33, 7},
                                                {1, 9, 3},     {18, 24, 1}};
  CheckShapes<float>(shapes, {1, 2});
}

TEST(GemmTest, ThreadedShapesMatchTheNaiveProduct) {
  // Large enough to split over the pool (m * n * k >= 786K), by rows or by columns, with ragged edges.
  std::vector<std::array<int64_t, 3>> shapes = {
      {128, 128, 128}, {257, 33, 130}, {33, 257, 130}, {100, 100, 200}, {17, 1000, 70}, {999, 9, 130}, {64, 64, 1024}};
  CheckShapes<float>(shapes, {1, 2, 3});
  CheckShapes<double>(shapes, {2});
}

TEST(GemmTest, ProductsWithALongKSplitKAndMatch) {
  // k at least 16 times m and n (the autoencoder's weight gradients): each thread takes a slice of
  // k into its own partial, added into C after; Eigen's kernel and the narrow one, ragged slices.
  std::vector<std::array<int64_t, 3>> shapes = {{48, 40, 4001}, {64, 10, 2003}, {17, 33, 9000}};
  CheckShapes<float>(shapes, {2, 3});
  CheckShapes<double>(shapes, {2});
}

TEST(GemmTest, SplitKWithBetaZeroOverwritesACHoldingNaN) {
  // Both ways of summing the partials: into C itself (m <= n) and transposed from scratch (m > n).
  ThreadPool pool(2);
  uint32_t seed = 11;
  for (auto [m, n, k] : std::vector<std::array<int64_t, 3>>{{48, 40, 4001}, {17, 33, 9000}}) {
    for (int t = 0; t < 4; ++t) {
      Problem<float> p = MakeProblem<float>(t & 1, t & 2, m, n, k, 1.f, 0.f, 1, seed++);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) p.c[i * p.ldc + j] = std::numeric_limits<float>::quiet_NaN();
      }
      std::vector<float> expected = Naive(p);
      RunGemm(p, &pool);
      ExpectMatches(p, expected, p.c, Describe(t & 1, t & 2, m, n, k, 1, 0, 2));
    }
  }
}

TEST(GemmTest, MatrixVectorProductsWithALargeBSplitTheirColumnsAndMatch) {
  // One to four rows of A against a B of 256 KB or more (batch-1 inference of the mlp's first layer):
  // split by columns however few multiply-adds there are, ragged last block included.
  std::vector<std::array<int64_t, 3>> shapes = {{1, 256, 784}, {1, 250, 300}, {3, 129, 600}, {4, 1000, 70}};
  CheckShapes<float>(shapes, {1, 2, 3});
  CheckShapes<double>(shapes, {2});
}

TEST(GemmTest, NullPoolRunsSingleThreaded) {
  Problem<float> p = MakeProblem<float>(false, true, 150, 140, 130, 1.f, 0.f, 2, 7);
  std::vector<float> expected = Naive(p);
  RunGemm(p, static_cast<ThreadPool*>(nullptr));
  ExpectMatches(p, expected, p.c, "null pool");
}

TEST(GemmTest, BetaZeroOverwritesNaNsInC) {
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    Problem<float> p = MakeProblem<float>(false, false, 120, 130, 140, 1.f, 0.f, 0, 3);
    for (float& x : p.c) x = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> expected = Naive(p);
    RunGemm(p, &pool);
    ExpectMatches(p, expected, p.c, "NaN C, beta 0, threads " + std::to_string(threads));
  }
}

TEST(GemmTest, AlphaZeroOrEmptyKScalesCWithoutReadingAOrB) {
  ThreadPool pool(2);
  for (auto [alpha, k] : {std::pair<float, int64_t>{0.f, 50}, {1.f, 0}}) {
    for (float beta : {0.f, 1.f, 3.f}) {
      Problem<float> p = MakeProblem<float>(false, false, 200, 300, k, alpha, beta, 1, 5);
      for (float& x : p.a) x = std::numeric_limits<float>::quiet_NaN();
      for (float& x : p.b) x = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> before = p.c;
      RunGemm(p, &pool);
      for (int64_t i = 0; i < p.m; ++i) {
        for (int64_t j = 0; j < p.n; ++j) {
          ASSERT_EQ(p.c[i * p.ldc + j], beta * before[i * p.ldc + j]) << "alpha=" << alpha << " k=" << k << " beta=" << beta;
        }
      }
    }
  }
}

TEST(GemmTest, EmptyOutputsTouchNothing) {
  ThreadPool pool(2);
  float a = kSentinel, b = kSentinel, c = kSentinel;
  Gemm(false, false, 0, 5, 5, 1.f, &a, 5, &b, 5, 0.f, &c, 5, &pool);
  Gemm(false, false, 5, 0, 5, 1.f, &a, 5, &b, 1, 0.f, &c, 1, &pool);
  EXPECT_EQ(c, kSentinel);
}

TEST(GemmTest, EveryIsaKernelTheHostRunsMatchesTheNaiveProduct) {
  std::vector<std::pair<const char*, void (*)(const gemm_internal::BlockArgs<float>&)>> kernels = {
      {"portable", &gemm_internal::GemmBlockPortable}};
  if (gemm_internal::HostHasAvx2Fma()) kernels.push_back({"avx2", &gemm_internal::GemmBlockAvx2});
  if (gemm_internal::HostHasAvx512()) kernels.push_back({"avx512", &gemm_internal::GemmBlockAvx512});
  for (auto [name, kernel] : kernels) {
    for (int t = 0; t < 4; ++t) {
      Problem<float> p = MakeProblem<float>(t & 1, t & 2, 67, 45, 91, 1.5f, 0.5f, 3, 11 + t);
      std::vector<float> expected = Naive(p);
      kernel({p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a.data(), p.lda, p.b.data(), p.ldb, p.beta, p.c.data(), p.ldc});
      ExpectMatches(p, expected, p.c, std::string(name) + " t=" + std::to_string(t));
    }
  }
  EXPECT_STREQ(GemmKernelName(), gemm_internal::HostHasAvx512()    ? "eigen-avx512"
                                 : gemm_internal::HostHasAvx2Fma() ? "eigen-avx2-fma"
                                                                   : "eigen-sse2");
}

TEST(GemmTest, InsideAParallelRegionRunsOnTheCallingThread) {
  // A GEMM issued from a pool worker (e.g. from a parallel loop nest) must not wait on the pool.
  ThreadPool pool(2);
  std::vector<Problem<float>> problems;
  for (int i = 0; i < 2; ++i) problems.push_back(MakeProblem<float>(false, false, 128, 128, 128, 1.f, 0.f, 0, 20 + i));
  std::vector<std::vector<float>> expected = {Naive(problems[0]), Naive(problems[1])};
  pool.ParallelFor(2, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) RunGemm(problems[i], &pool);
  });
  for (int i = 0; i < 2; ++i) ExpectMatches(problems[i], expected[i], problems[i].c, "nested " + std::to_string(i));
}

}  // namespace
}  // namespace kiln
