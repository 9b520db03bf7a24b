// Throughput of Kiln's runtime GEMM (runtime/kernels/gemm.h) on the seed nets' dense-layer
// products, which are far from square: cnn's 7744 -> 128 layer at batch 32 gives a 32-row forward
// product, a 32-deep weight gradient and a 128-deep input gradient. GFLOP/s on 1 thread and on the
// machine's threads, each product as MatMul and its two gradients call it (row-major, as TF's
// MatMul_grad builds them). Results go in bench/README.md.
//
//   build/bench/dense_gemm_bench [--quick]
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "bench/median_seconds.h"
#include "runtime/kernels/gemm.h"
#include "runtime/thread_pool.h"

namespace kiln {
namespace {

struct Product {
  const char* name;
  bool ta, tb;
  int64_t m, n, k;
};

int Run(bool quick) {
  // x [b, in] * W [in, out]: forward x W, input gradient dy W^T, weight gradient x^T dy.
  struct Layer {
    const char* name;
    int64_t batch, in, out;
  };
  const std::vector<Layer> layers = {{"cnn dense", 32, 7744, 128}, {"cnn_tutorial fc1", 64, 3136, 512},
                                     {"conv_bn dense", 128, 3920, 100}, {"deep128 hidden", 512, 128, 128},
                                     {"convnet3 dense", 64, 12544, 10},
                                     {"autoencoder enc", 10240, 256, 64}, {"autoencoder dec", 10240, 64, 256}};
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::printf("%-18s %-8s %6s %6s %6s %10s %10s   (GFLOP/s)\n", "layer", "product", "m", "n", "k", "1 thread",
              (std::to_string(threads) + " threads").c_str());
  for (const Layer& l : layers) {
    const std::vector<Product> products = {{"forward", false, false, l.batch, l.out, l.in},
                                           {"dx", false, true, l.batch, l.in, l.out},
                                           {"dw", true, false, l.in, l.out, l.batch}};
    for (const Product& p : products) {
      std::vector<float> a(p.m * p.k), b(p.k * p.n), c(p.m * p.n);
      for (float& v : a) v = u(rng);
      for (float& v : b) v = u(rng);
      const int64_t lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
      auto time = [&](ThreadPool* on) {
        auto fn = [&] { Gemm(p.ta, p.tb, p.m, p.n, p.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), p.n, on); };
        double s = quick ? bench::MedianSeconds(fn, std::chrono::milliseconds(20), 3)
                         : bench::MedianSeconds(fn, std::chrono::milliseconds(200), 7);
        return 2.0 * p.m * p.n * p.k / s * 1e-9;
      };
      const double one = time(nullptr), all = time(&pool);
      std::printf("%-18s %-8s %6lld %6lld %6lld %10.1f %10.1f\n", l.name, p.name, static_cast<long long>(p.m),
                  static_cast<long long>(p.n), static_cast<long long>(p.k), one, all);
    }
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  return kiln::Run(quick);
}
