// The seed models, each defined once here and used by both the example programs and `kiln train`.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "graph/status.h"
#include "runtime/run_metadata.h"

namespace kiln::models {

// `kiln bench`'s request: instead of training on data files, run the model's training step (forward,
// backward, optimizer update: the loop's training sess.run) on one batch of random data of the data
// set's shape, prepared before the first step; `warmup_steps` untimed runs (at least 1: the first
// run compiles), then `timed_steps` timed ones. No evaluation, no logging, no checkpoints.
struct BenchmarkSettings {
  int64_t warmup_steps = 5;
  int64_t timed_steps = 30;
  int64_t images = 1024;  // random training images generated in LoadData's place (at least a batch)
  // Time the forward pass instead of the training step: one Session::Run fetching the model's
  // accuracy on a batch with the evaluation feeds (is_training false, no dropout), as serving does.
  // Classifiers only.
  bool inference = false;
  // Trace every timed run (RunOptions FULL_TRACE) and total each step's time into
  // BenchmarkResult::profile.
  bool profile = false;
};

// Settings shared by every seed model; each model documents its own defaults (the seed's).
struct TrainConfig {
  std::string data_dir;          // MNIST-format IDX files; empty = Debian's Fashion-MNIST
  int64_t epochs = -1;           // -1: the model's default
  int64_t batch = -1;
  double learning_rate = -1;
  uint64_t seed = 1;
  int64_t validation_size = -1;  // -1: the model's default (TF input_data's 5000; the CS231n seed's 1000)
  int64_t train_limit = -1;      // use only the first N training images (smoke tests)
  int64_t test_limit = -1;       // evaluate on only the first N test images (smoke tests)
  int64_t max_steps = -1;        // stop after N steps (smoke tests); for step-based seeds, the step count
  std::string save_graph;        // write the training graph here (.pb or .pbtxt)
  std::string checkpoint_dir;    // save the variables here (TF V2 checkpoint) when training ends
  bool resume = false;           // restore the latest checkpoint in checkpoint_dir before training
  std::string out;               // model output file (--out)
  std::string logdir;            // TensorBoard event files (tf.summary.FileWriter) go here
  std::string base_model;        // probes: the network probed (--model cnn_tutorial | deep128)
  int64_t probe_steps = -1;      // probes: batches per probe-training round (-1: one epoch)
  bool summary_only = false;     // build the model, print its parameter table (kiln summary), do not train
  std::optional<BenchmarkSettings> benchmark;  // kiln bench: time the training step instead of training
};

// What a benchmark run measured (TrainConfig::benchmark).
struct BenchmarkResult {
  int64_t batch = 0;
  std::vector<double> step_seconds;  // wall time of each timed training sess.run, in order
  double compile_seconds = 0;        // compiling the training step's Executable (Session::last_compile)
  int64_t flops_per_step = 0;        // runtime/cost_model.h on the compiled graph
  // With BenchmarkSettings::profile: the timed runs' step stats, each step's duration_nanos summed
  // over the runs (start_nanos is the first run's).
  std::vector<NodeExecStats> profile;
};

struct TrainResult {
  double test_accuracy = 0;
  double first_loss = 0;  // training loss of the first step
  double final_loss = 0;  // mean training loss of the last epoch (or last steps)
  bool has_accuracy = true;  // false for models without a test accuracy (the autoencoder): report final_loss
  int64_t steps = 0;
  double seconds = 0;
  BenchmarkResult benchmark;  // benchmark runs only
};

struct ModelInfo {
  std::string name;
  std::string summary;
  std::string defaults;  // "--epochs 25 --batch 32 --lr 0.01"
  std::function<StatusOr<TrainResult>(const TrainConfig&, std::ostream& log)> train;
  // kiln bench's default timed steps (the PyTorch peer's, bench/README.md: fewer for the slow
  // models); 0: the model is not benchmarked.
  int64_t bench_steps = 0;
};

// Every model `kiln train` knows.
const std::vector<ModelInfo>& AllModels();
const ModelInfo* FindModel(const std::string& name);

// Defined in the model files.
StatusOr<TrainResult> TrainSoftmax(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainMlp(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainMlpBn(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainConvBn(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainCnn(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainCnnTutorial(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainDeep128(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainProbes(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainConvnet3(const TrainConfig& config, std::ostream& log);
StatusOr<TrainResult> TrainAutoencoder(const TrainConfig& config, std::ostream& log);

}  // namespace kiln::models
