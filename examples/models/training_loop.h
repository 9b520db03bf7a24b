// The training loop the classifier seeds share: epochs of shuffled mini-batches (or, for the
// tutorial CNN, its in-order batches) through sess.run({train_op, loss}, feed_dict), validation after
// each epoch, test accuracy at the end.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <vector>

#include "examples/models/model_registry.h"
#include "graph/graph.h"
#include "runtime/data/mnist.h"
#include "runtime/session.h"
#include "runtime/summary_writer.h"

namespace kiln::models {

// The tensors a classifier exposes to the loop. `extra_train_feeds` / `extra_eval_feeds` add fixed
// feeds such as an is_training flag (true when training, false when evaluating).
struct Classifier {
  Output images;
  Output labels;  // one-hot, or int64 class ids when sparse_labels
  Output loss;
  Output accuracy;
  FeedDict extra_train_feeds;
  bool sparse_labels = false;
  FeedDict extra_eval_feeds;
  // The loss evaluation reports, when it differs from the training loss (which may include dropout
  // and regularization terms, as in the TF tutorial CNN); null: `loss`.
  Output eval_loss;
};

// The seed pattern `_, summary = sess.run([train_op, merged], ...); writer.add_summary(summary, step)`:
// with --logdir, RunInSession opens a FileWriter (which writes the graph) and the loops fetch
// `merged` (tf.summary.merge_all()) with every training step.
struct SummaryLog {
  Output merged;  // null when the graph has no summaries
  std::unique_ptr<summary::FileWriter> writer;
  bool active() const { return writer && merged; }
};

struct LoopSettings {
  int64_t epochs;
  int64_t batch;
  uint64_t seed;
  int64_t max_steps;  // -1: no limit
  SummaryLog* summaries = nullptr;
  std::optional<BenchmarkSettings> benchmark;  // TrainConfig::benchmark: time the training step instead
  bool tutorial_batches = false;  // data::TutorialBatch's consecutive rows instead of shuffled batches
};

// Loads the configured data set (Debian's Fashion-MNIST by default), holding out
// config.validation_size training images, or `default_validation` when that is unset. For a
// benchmark (config.benchmark), random data of the same shape instead (benchmark.h).
StatusOr<data::MnistData> LoadData(const TrainConfig& config, bool flatten, int64_t default_validation = 5000);

// What every seed model does around its training loop: creates the global-variables initializer,
// reports any graph build error, writes the graph for --save-graph, opens a Session, initializes
// (or resumes from --checkpoint-dir), runs `loop`, and saves a checkpoint when one was asked for.
StatusOr<TrainResult> RunInSession(Graph& graph, const TrainConfig& config, std::ostream& log,
                                   const std::function<StatusOr<TrainResult>(Session&, SummaryLog*)>& loop);

// Keras' model.summary() for a TF1 graph: per layer (variable scope) its parameter count, then the
// totals; trainable variables plus the non-trainable MODEL_VARIABLES (batch norm's moving
// statistics), not optimizer slots.
void PrintModelSummary(const Graph& graph, std::ostream& out);

// With config.resume, restores the latest checkpoint of config.checkpoint_dir (an error if there
// is none); logs what it restored.
Status MaybeResume(Session& sess, const TrainConfig& config, std::ostream& log);
// With config.checkpoint_dir, saves every global variable there as model.ckpt-<steps>.
Status MaybeSaveCheckpoint(Session& sess, const TrainConfig& config, int64_t steps, std::ostream& log);

// Mean loss and accuracy over a split, in fixed-size chunks.
Status Evaluate(Session& sess, const Classifier& model, const data::DataSplit& split, double* loss, double* accuracy);

// The seed-002 loop: `steps` batches; every `validate_every` batches the validation loss and
// accuracy, every `report_every` the current batch's, printed as the seed prints them.
struct StepLoopSettings {
  int64_t steps;
  int64_t batch;
  uint64_t seed;
  int64_t validate_every = 500;
  int64_t report_every = 100;
  SummaryLog* summaries = nullptr;
  std::optional<BenchmarkSettings> benchmark;  // TrainConfig::benchmark: time the training step instead
};
StatusOr<TrainResult> RunStepLoop(Session& sess, const Classifier& model, const Operation& train_op,
                                  const data::MnistData& data, const StepLoopSettings& settings, std::ostream& log);

StatusOr<TrainResult> RunTrainingLoop(Session& sess, const Classifier& model, const Operation& train_op,
                                      const data::MnistData& data, const LoopSettings& settings, std::ostream& log);

}  // namespace kiln::models
