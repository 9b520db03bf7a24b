#include "tools/bench_models.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ostream>

#include "examples/models/model_registry.h"
#include "tools/bench_profile.h"
#include "tools/command.h"

namespace kiln::cli {
namespace {

// statistics.median, as the peer reports: the middle value, or the mean of the middle two.
double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  if (values.size() % 2) return values[mid];
  return (values[mid] + *std::max_element(values.begin(), values.begin() + mid)) / 2;
}

// Peak resident set of this process so far, in MiB (getrusage's ru_maxrss, in KiB on Linux).
double PeakResidentMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024;
}

// The child's work: one model's benchmark and its line. Returns the child's exit code.
int BenchmarkOneModel(const models::ModelInfo& model, const models::BenchmarkSettings& settings, int64_t batch) {
  models::TrainConfig config;
  config.benchmark = settings;
  config.batch = batch;
  std::ostream discard(nullptr);  // the model's log lines (the autoencoder's data summary)
  StatusOr<models::TrainResult> result = model.train(config, discard);
  if (!result.ok()) return Fail("bench", model.name + ": " + result.status().ToString());
  const models::BenchmarkResult& bench = result->benchmark;
  const double seconds = Median(bench.step_seconds);
  if (settings.inference) {
    std::printf("model=%s mode=inference batch=%lld us_per_run=%.2f compile_ms=%.1f peak_mb=%.1f\n", model.name.c_str(),
                static_cast<long long>(bench.batch), seconds * 1e6, bench.compile_seconds * 1e3, PeakResidentMiB());
  } else {
    std::printf("model=%s batch=%lld ms_per_step=%.3f gflops=%.2f compile_ms=%.1f peak_mb=%.1f\n", model.name.c_str(),
                static_cast<long long>(bench.batch), seconds * 1e3,
                seconds > 0 ? static_cast<double>(bench.flops_per_step) / seconds * 1e-9 : 0.0,
                bench.compile_seconds * 1e3, PeakResidentMiB());
  }
  if (settings.profile) {
    PrintStepProfile(stdout, model.name.c_str(), bench.profile, static_cast<int64_t>(bench.step_seconds.size()));
  }
  std::fflush(stdout);
  return 0;
}

// Runs BenchmarkOneModel in a forked child and waits for it; false when it failed.
bool BenchmarkInChild(const models::ModelInfo& model, const models::BenchmarkSettings& settings, int64_t batch) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    Fail("bench", model.name + ": fork failed: " + std::strerror(errno));
    return false;
  }
  // _exit: the child must not run the parent's atexit handlers and static destructors.
  if (pid == 0) _exit(BenchmarkOneModel(model, settings, batch));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      Fail("bench", model.name + ": waitpid failed: " + std::strerror(errno));
      return false;
    }
  }
  if (WIFSIGNALED(status)) {
    Fail("bench", model.name + ": killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                      strsignal(WTERMSIG(status)) + ")");
    return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

std::string BenchmarkedModelNames() {
  std::string names;
  for (const models::ModelInfo& m : models::AllModels()) {
    if (m.bench_steps > 0) names += (names.empty() ? "" : ", ") + m.name;
  }
  return names;
}

int RunModelBenchmarks(const ModelBenchOptions& options) {
  std::vector<const models::ModelInfo*> chosen;
  for (const std::string& name : options.models) {
    const models::ModelInfo* model = models::FindModel(name);
    if (!model || model->bench_steps <= 0) {
      return Fail("bench", "unknown model '" + name + "'; models: " + BenchmarkedModelNames(), 2);
    }
    chosen.push_back(model);
  }
  if (chosen.empty()) {
    for (const models::ModelInfo& m : models::AllModels()) {
      if (m.bench_steps > 0) chosen.push_back(&m);
    }
  }
  bool all_ok = true;
  for (const models::ModelInfo* model : chosen) {
    models::BenchmarkSettings settings;
    settings.warmup_steps = options.quick ? 1 : options.warmup;
    settings.timed_steps = options.quick ? 2 : options.steps > 0 ? options.steps : model->bench_steps;
    settings.inference = options.inference;
    settings.profile = options.profile;
    // Runs at batch 1 take microseconds: many more of them make a stable median.
    if (options.inference && options.steps <= 0 && !options.quick) settings.timed_steps = 1000;
    all_ok &= BenchmarkInChild(*model, settings, options.batch);
  }
  return all_ok ? 0 : 1;
}

}  // namespace kiln::cli
