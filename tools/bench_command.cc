// kiln bench: speed measurements. `--ceiling` measures what this machine's GEMM (runtime/kernels/gemm.h)
// reaches on square float products, the roof a compiled model's matrix products can approach;
// `kiln bench [MODEL...]` times the seed models' training steps (tools/bench_models.h).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codegen/host_cpu.h"
#include "runtime/kernels/gemm.h"
#include "runtime/thread_pool.h"
#include "tools/bench_models.h"
#include "tools/command.h"

namespace kiln::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  int threads = 1;                  // the multi-threaded measurements use this many
  bool quick = false;               // small sizes, short samples: a smoke test, not a measurement
  std::vector<std::string> models;  // positional MODEL names
};

// /proc/cpuinfo's first "model name", e.g. "AMD EPYC 7763 64-Core Processor"; "unknown" elsewhere.
std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "unknown" : line.substr(start);
  }
  return "unknown";
}

// A 64-byte-aligned float buffer (as Tensor's) of uniform(-1, 1) values.
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
std::unique_ptr<float[], FreeDeleter> RandomMatrix(int64_t n, std::mt19937& rng) {
  size_t bytes = (static_cast<size_t>(n * n) * sizeof(float) + 63) / 64 * 64;
  std::unique_ptr<float[], FreeDeleter> m(static_cast<float*>(std::aligned_alloc(64, bytes)));
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int64_t i = 0; i < n * n; ++i) m[i] = u(rng);
  return m;
}

// Median GFLOP/s of n x n x n float GEMMs (2 n^3 flops each) on `pool`. After a warm-up (page faults,
// Eigen's cache-size query, the pool's threads waking), each sample repeats the product until it has
// run for `sample_time`, so small sizes are not timed at the clock's resolution.
double MeasureGemm(int64_t n, ThreadPool* pool, bool quick) {
  std::mt19937 rng(static_cast<uint32_t>(n));
  auto a = RandomMatrix(n, rng), b = RandomMatrix(n, rng), c = RandomMatrix(n, rng);
  auto gemm = [&] { Gemm(false, false, n, n, n, 1.f, a.get(), n, b.get(), n, 0.f, c.get(), n, pool); };
  const auto sample_time = quick ? std::chrono::milliseconds(2) : std::chrono::milliseconds(50);
  const int samples = quick ? 3 : 9;
  for (auto end = Clock::now() + sample_time; Clock::now() < end;) gemm();
  std::vector<double> gflops;
  for (int s = 0; s < samples; ++s) {
    int64_t reps = 0;
    auto start = Clock::now(), now = start;
    do {
      gemm();
      ++reps;
      now = Clock::now();
    } while (now - start < sample_time);
    double seconds = std::chrono::duration<double>(now - start).count();
    gflops.push_back(2.0 * n * n * n * reps / seconds * 1e-9);
  }
  std::nth_element(gflops.begin(), gflops.begin() + samples / 2, gflops.end());
  return gflops[samples / 2];
}

int RunCeiling(const BenchOptions& options) {
  codegen::HostCpu host = codegen::DetectHostCpu();
  int available = DefaultThreadCount();
  std::printf("cpu: %s (llvm %s, %d-bit vectors, %d thread%s)\n", CpuModelName().c_str(), host.name.c_str(),
              host.vector_bits, available, available == 1 ? "" : "s");
  std::printf("gemm kernel: %s\n", GemmKernelName());
  std::vector<int64_t> sizes = options.quick ? std::vector<int64_t>{64, 128} : std::vector<int64_t>{128, 256, 512, 1024};
  std::vector<int> thread_counts = {1};
  if (options.threads > 1) thread_counts.push_back(options.threads);
  for (int64_t n : sizes) {
    for (int threads : thread_counts) {
      ThreadPool pool(threads);
      double gflops = MeasureGemm(n, &pool, options.quick);
      std::printf("ceiling n=%lld threads=%d gflops=%.1f\n", static_cast<long long>(n), pool.num_threads(), gflops);
      std::fflush(stdout);
    }
  }
  return 0;
}

// The --threads value: an integer in [1, 1024]; 0 when it is not one.
int ParseThreads(const std::string& text) { return ParseThreadCount(text.c_str()); }

// A --steps / --warmup value: an integer in [lowest, 1000000]; -1 when it is not one.
int64_t ParseSteps(const std::string& text, int64_t lowest) {
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || n < lowest || n > 1000000) return -1;
  return n;
}

int Run(const std::vector<std::string>& args) {
  Options options({"threads", "steps", "warmup", "batch"}, {"ceiling", "quick", "inference", "profile"});
  std::string error;
  if (!options.Parse(args, &error)) return Fail("bench", error, 2);
  BenchOptions bench;
  bench.quick = options.Has("quick");
  bench.models = options.positional();
  bench.threads = options.Has("threads") ? ParseThreads(options.Get("threads")) : DefaultThreadCount();
  if (bench.threads == 0) {
    return Fail("bench", "--threads needs an integer from 1 to 1024, got '" + options.Get("threads") + "'", 2);
  }
  if (options.Has("ceiling")) {
    if (!bench.models.empty() || options.Has("steps") || options.Has("warmup") || options.Has("batch") ||
        options.Has("inference") || options.Has("profile")) {
      return Fail("bench", "--ceiling takes no model names, --steps, --warmup, --batch, --inference or --profile", 2);
    }
    return RunCeiling(bench);
  }
  ModelBenchOptions models;
  models.models = bench.models;
  models.quick = bench.quick;
  models.inference = options.Has("inference");
  models.profile = options.Has("profile");
  if (options.Has("batch") && (models.batch = ParseSteps(options.Get("batch"), 1)) < 0) {
    return Fail("bench", "--batch needs an integer from 1 to 1000000, got '" + options.Get("batch") + "'", 2);
  }
  if (options.Has("steps") && (models.steps = ParseSteps(options.Get("steps"), 1)) < 0) {
    return Fail("bench", "--steps needs an integer from 1 to 1000000, got '" + options.Get("steps") + "'", 2);
  }
  if (options.Has("warmup") && (models.warmup = ParseSteps(options.Get("warmup"), 0)) < 0) {
    return Fail("bench", "--warmup needs an integer from 0 to 1000000, got '" + options.Get("warmup") + "'", 2);
  }
  // The runtime sizes its process-wide pool from KILN_THREADS when the pool is first used, which is
  // in each model's child process, after this.
  if (options.Has("threads")) setenv("KILN_THREADS", std::to_string(bench.threads).c_str(), /*overwrite=*/1);
  return RunModelBenchmarks(models);
}

}  // namespace

Command BenchCommand() {
  return {"bench", "measure speed: the seed models' training steps, this machine's GEMM ceiling",
          "usage: kiln bench [MODEL...] [--threads N] [--steps N] [--warmup N] [--batch B] [--inference] [--profile] [--quick]\n"
          "       kiln bench --ceiling [--threads N] [--quick]\n\n"
          "MODEL...     time each model's training step (forward, backward, optimizer update) on random\n"
          "             data of MNIST shape at the seed's batch size, each model in its own process; one line\n"
          "             per model: model=NAME batch=B ms_per_step=X gflops=Y compile_ms=Z peak_mb=W\n"
          "             (the median step after the warm-up; matrix product and convolution flops only;\n"
          "             compiling the step's executable; peak resident MiB of the model's process).\n"
          "             Default: every model (" + BenchmarkedModelNames() + ")\n"
          "--steps N    timed steps per model (default: 10 to 200, fewer for the slow models)\n"
          "--warmup N   untimed steps before them (default 5; the first, compiling run is never timed)\n"
          "--batch B    the batch size (default: the seed's)\n"
          "--inference  time the forward pass instead (one Session::Run of the model's accuracy with\n"
          "             is_training false; classifiers): model=NAME mode=inference batch=B us_per_run=X\n"
          "             compile_ms=Z peak_mb=W, the median of 1000 runs unless --steps\n"
          "--profile    trace the timed runs (RunOptions FULL_TRACE) and print, after each model's line,\n"
          "             its 15 slowest steps (share, ms per run, op, kernel, output shape, node) and the\n"
          "             time per op type; tracing adds a clock read per step\n"
          "--ceiling    GFLOP/s of square float GEMMs (n = 128, 256, 512, 1024) through Kiln's runtime GEMM,\n"
          "             on 1 thread and on N threads: the median of 9 samples after a warm-up\n"
          "--threads N  threads Kiln uses (default: KILN_THREADS, else the cores); --ceiling measures 1 and N\n"
          "--quick      a smoke test, measures nothing: models run 1 warm-up and 2 timed steps; the ceiling\n"
          "             n = 64 and 128 with short samples",
          Run};
}

}  // namespace kiln::cli
