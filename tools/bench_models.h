// kiln bench MODEL...: the seed models' training steps, timed. The models come from the model library
// (examples/models/), which runs each one's own training step on random data when asked for a
// benchmark (TrainConfig::benchmark); this file only picks the models, isolates and reports them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::cli {

struct ModelBenchOptions {
  std::vector<std::string> models;  // empty: every benchmarked model, in the registry's order
  int64_t steps = -1;               // timed steps per model; -1: the model's ModelInfo::bench_steps
  int64_t warmup = 5;               // untimed steps first (the first run, which compiles, always is)
  bool quick = false;               // 2 timed steps after 1 warm-up: a smoke test, not a measurement
  int64_t batch = -1;               // -1: the seed's batch size
  bool inference = false;           // time the forward pass (BenchmarkSettings::inference)
  bool profile = false;             // trace the timed runs and print where they spend their time
};

// Names every model first (an unknown one is a usage error listing the valid names: exit 2), then
// benchmarks each in a forked child process, so that one model's peak memory does not carry into the
// next. Prints one line per model:
//   model=NAME batch=B ms_per_step=X gflops=Y compile_ms=Z peak_mb=W
// or, with inference, model=NAME mode=inference batch=B us_per_run=X compile_ms=Z peak_mb=W.
// Returns 0, or 1 when any model failed (its error on stderr; the others still run). The caller must
// not have started threads (the thread pool included): they would not exist in the children.
int RunModelBenchmarks(const ModelBenchOptions& options);

// "softmax, mlp, ...": the models `kiln bench` knows (ModelInfo::bench_steps > 0), for messages.
std::string BenchmarkedModelNames();

}  // namespace kiln::cli
