#include "examples/models/benchmark.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "runtime/cost_model.h"

namespace kiln::models {

data::MnistData RandomMnistData(int64_t images, bool flatten, uint64_t seed) {
  std::vector<int64_t> dims = flatten ? std::vector<int64_t>{images, 784} : std::vector<int64_t>{images, 28, 28, 1};
  data::MnistData mnist;
  data::DataSplit& train = mnist.train;
  train.images = Tensor(DT_FLOAT, dims);
  train.labels = Tensor(DT_INT64, {images});
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  std::uniform_int_distribution<int64_t> label(0, 9);
  float* pixels = train.images.data<float>();
  for (int64_t i = 0; i < images * 784; ++i) pixels[i] = pixel(rng);
  for (int64_t i = 0; i < images; ++i) train.labels.data<int64_t>()[i] = label(rng);
  train.one_hot = data::OneHot(train.labels, 10);
  return mnist;
}

namespace {

// One benchmarked run: sess.Run, traced into `bench.profile` when profiling a timed run.
Status TimedRun(Session& sess, const FeedDict& feeds, const std::vector<Output>& fetches,
                const std::vector<Operation>& targets, std::vector<Tensor>* out, bool trace, BenchmarkResult& bench) {
  if (!trace) return sess.Run(feeds, fetches, targets, out);
  RunMetadata metadata;
  KILN_RETURN_IF_ERROR(sess.Run(RunOptions{RunOptions::TraceLevel::kFullTrace}, feeds, fetches, targets, out, &metadata));
  std::vector<NodeExecStats>& total = bench.profile;
  if (total.empty()) {
    total = std::move(metadata.step_stats);
    return OkStatus();
  }
  // Runs of one executable execute the same steps in the same order, except where a cond takes
  // the other branch; such a run is left out of the totals rather than misattributed.
  if (metadata.step_stats.size() != total.size()) return OkStatus();
  for (size_t i = 0; i < total.size(); ++i) {
    if (metadata.step_stats[i].node_name != total[i].node_name) return OkStatus();
  }
  for (size_t i = 0; i < total.size(); ++i) total[i].duration_nanos += metadata.step_stats[i].duration_nanos;
  return OkStatus();
}

}  // namespace

namespace {

// sess.Run(feeds, fetches, targets) settings.warmup_steps times (at least once: the first run
// compiles) and then settings.timed_steps times, each timed into `result`'s benchmark. Calls
// after_run(run, outputs) after each run. `what` names the run in the error for a signature
// compiled before the benchmark.
template <typename AfterRun>
Status TimeRuns(Session& sess, const FeedDict& feeds, const std::vector<Output>& fetches,
                const std::vector<Operation>& targets, const BenchmarkSettings& settings, const char* what,
                TrainResult& result, AfterRun after_run) {
  using Clock = std::chrono::steady_clock;
  BenchmarkResult& bench = result.benchmark;
  std::vector<Tensor> out;
  const int64_t warmup = std::max<int64_t>(1, settings.warmup_steps);
  const int compiled_before = sess.num_compiled();
  auto start = Clock::now();
  for (int64_t run = 0; run < warmup + settings.timed_steps; ++run) {
    auto run_start = Clock::now();
    KILN_RETURN_IF_ERROR(TimedRun(sess, feeds, fetches, targets, &out, settings.profile && run >= warmup, bench));
    double seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
    if (run == 0) {
      // Session compiles on the first run of a signature; an earlier run of the same signature would
      // have hidden the compile from us.
      if (sess.num_compiled() == compiled_before) return Internal(std::string("benchmark: ") + what + " was compiled before the benchmark");
      bench.compile_seconds = sess.last_compile().seconds;
      bench.flops_per_step = CountFlops(*sess.last_compile().graph);
    }
    if (run >= warmup) bench.step_seconds.push_back(seconds);
    ++result.steps;
    after_run(run, out);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return OkStatus();
}

}  // namespace

StatusOr<TrainResult> RunBenchmarkSteps(Session& sess, const Operation& train_op, const Output& loss,
                                        const FeedDict& feeds, int64_t batch, const BenchmarkSettings& settings) {
  if (settings.inference) return Unimplemented("benchmark: this model has no inference benchmark (classifiers only)");
  TrainResult result{.has_accuracy = false};
  result.benchmark.batch = batch;
  KILN_RETURN_IF_ERROR(TimeRuns(sess, feeds, {loss}, {train_op}, settings, "the training step", result,
                                [&](int64_t run, const std::vector<Tensor>& out) {
                                  if (run == 0) result.first_loss = out[0].scalar<float>();
                                  result.final_loss = out[0].scalar<float>();
                                }));
  return result;
}

namespace {

// The inference benchmark: sess.Run(feeds, {accuracy}) through the TF C++ signature with the outputs
// reused, each run timed on its own (runs take microseconds at batch 1).
StatusOr<TrainResult> BenchmarkInference(Session& sess, const Output& accuracy, const FeedDict& feeds, int64_t batch,
                                         const BenchmarkSettings& settings) {
  TrainResult result;
  result.benchmark.batch = batch;
  // On random data the accuracy only shows that the run happened.
  KILN_RETURN_IF_ERROR(TimeRuns(sess, feeds, {accuracy}, {}, settings, "the forward pass", result,
                                [&](int64_t, const std::vector<Tensor>& out) { result.test_accuracy = out[0].scalar<float>(); }));
  return result;
}

}  // namespace

StatusOr<TrainResult> BenchmarkClassifier(Session& sess, const Classifier& model, const Operation& train_op,
                                          const data::DataSplit& train, int64_t batch,
                                          const BenchmarkSettings& settings) {
  if (batch > train.size()) {
    return InvalidArgument("benchmark: batch " + std::to_string(batch) + " is larger than the " +
                           std::to_string(train.size()) + " random images (BenchmarkSettings::images)");
  }
  const Tensor& labels = model.sparse_labels ? train.labels : train.one_hot;
  FeedDict feeds = {{model.images, data::SliceRows(train.images, 0, batch)},
                    {model.labels, data::SliceRows(labels, 0, batch)}};
  if (settings.inference) {
    feeds.insert(feeds.end(), model.extra_eval_feeds.begin(), model.extra_eval_feeds.end());
    return BenchmarkInference(sess, model.accuracy, feeds, batch, settings);
  }
  feeds.insert(feeds.end(), model.extra_train_feeds.begin(), model.extra_train_feeds.end());
  return RunBenchmarkSteps(sess, train_op, model.loss, feeds, batch, settings);
}

}  // namespace kiln::models
