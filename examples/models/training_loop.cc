#include "examples/models/training_loop.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <filesystem>

#include "examples/models/benchmark.h"
#include "graph/graphdef.h"
#include "graph/ops/state_ops.h"
#include "graph/ops/summary_ops.h"
#include "runtime/data/batcher.h"
#include "runtime/saver.h"

namespace kiln::models {
namespace {

// Evaluation chunk: large enough to amortize a run, small enough to bound memory.
constexpr int64_t kEvalChunk = 1000;

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

void PrintModelSummary(const Graph& graph, std::ostream& out) {
  auto count_of = [](const Node* n) {
    const Shape& s = n->output_type(0).shape;
    return s.IsFullyDefined() ? s.num_elements() : int64_t{0};
  };
  auto with_commas = [](int64_t v) {
    std::string digits = std::to_string(v), r;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i && (digits.size() - i) % 3 == 0) r += ',';
      r += digits[i];
    }
    return r;
  };
  std::vector<std::pair<std::string, int64_t>> layers;  // in creation order
  int64_t trainable = 0, non_trainable = 0;
  auto add = [&](const Node* n, bool is_trainable) {
    std::string layer = n->name().substr(0, n->name().rfind('/') == std::string::npos ? n->name().size() : n->name().rfind('/'));
    if (layers.empty() || layers.back().first != layer) layers.push_back({layer, 0});
    layers.back().second += count_of(n);
    (is_trainable ? trainable : non_trainable) += count_of(n);
  };
  const std::vector<Node*>& trainable_nodes = graph.GetCollection(GraphKeys::TRAINABLE_VARIABLES);
  std::vector<Node*> all = trainable_nodes;
  for (Node* n : graph.GetCollection(GraphKeys::MODEL_VARIABLES)) {
    if (std::find(all.begin(), all.end(), n) == all.end()) all.push_back(n);
  }
  std::sort(all.begin(), all.end(), [](const Node* a, const Node* b) { return a->id() < b->id(); });
  for (const Node* n : all) add(n, std::find(trainable_nodes.begin(), trainable_nodes.end(), n) != trainable_nodes.end());
  char line[160];
  std::snprintf(line, sizeof line, "%-40s %14s\n", "Layer (variable scope)", "Param #");
  out << line << std::string(55, '=') << "\n";
  for (const auto& [name, count] : layers) {
    std::snprintf(line, sizeof line, "%-40s %14s\n", name.c_str(), with_commas(count).c_str());
    out << line;
  }
  out << std::string(55, '=') << "\n"
      << "Total params: " << with_commas(trainable + non_trainable) << "\n"
      << "Trainable params: " << with_commas(trainable) << "\n"
      << "Non-trainable params: " << with_commas(non_trainable) << std::endl;
}

StatusOr<data::MnistData> LoadData(const TrainConfig& config, bool flatten, int64_t default_validation) {
  if (config.benchmark) return RandomMnistData(config.benchmark->images, flatten, config.seed);
  data::LoadOptions options;
  options.validation_size = config.validation_size >= 0 ? config.validation_size : default_validation;
  options.flatten = flatten;
  options.limit = config.train_limit;
  std::string dir = config.data_dir.empty() ? data::DefaultMnistDir() : config.data_dir;
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, data::LoadMnist(dir, options));
  if (config.test_limit >= 0 && config.test_limit < mnist.test.size()) {
    data::DataSplit& t = mnist.test;
    t = {data::SliceRows(t.images, 0, config.test_limit), data::SliceRows(t.labels, 0, config.test_limit),
         data::SliceRows(t.one_hot, 0, config.test_limit)};
  }
  return mnist;
}

Status MaybeResume(Session& sess, const TrainConfig& config, std::ostream& log) {
  if (!config.resume) return OkStatus();
  std::string latest = train::latest_checkpoint(config.checkpoint_dir);
  if (latest.empty()) return NotFound("--resume: no checkpoint in " + config.checkpoint_dir);
  KILN_RETURN_IF_ERROR(train::Saver().restore(sess, latest));
  log << "restored " << latest << std::endl;
  return OkStatus();
}

Status MaybeSaveCheckpoint(Session& sess, const TrainConfig& config, int64_t steps, std::ostream& log) {
  if (config.checkpoint_dir.empty()) return OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(config.checkpoint_dir, ec);
  if (ec) return FailedPrecondition("cannot create " + config.checkpoint_dir + ": " + ec.message());
  KILN_ASSIGN_OR_RETURN(std::string prefix, train::Saver().save(sess, config.checkpoint_dir + "/model.ckpt", steps));
  log << "saved " << prefix << std::endl;
  return OkStatus();
}

StatusOr<TrainResult> RunInSession(Graph& graph, const TrainConfig& config, std::ostream& log,
                                   const std::function<StatusOr<TrainResult>(Session&, SummaryLog*)>& loop) {
  Operation init = global_variables_initializer(&graph);
  KILN_RETURN_IF_ERROR(graph.build_status());
  if (config.summary_only) {
    PrintModelSummary(graph, log);
    return TrainResult{.has_accuracy = false};
  }
  if (!config.save_graph.empty()) KILN_RETURN_IF_ERROR(SaveGraph(graph, config.save_graph));
  Session sess(graph);
  KILN_RETURN_IF_ERROR(sess.run(init));
  KILN_RETURN_IF_ERROR(MaybeResume(sess, config, log));
  SummaryLog summaries;
  if (!config.logdir.empty()) {
    summaries.merged = summary::merge_all(GraphKeys::SUMMARIES, &graph);
    summaries.writer = std::make_unique<summary::FileWriter>(config.logdir, &graph);
    KILN_RETURN_IF_ERROR(summaries.writer->status());
  }
  KILN_ASSIGN_OR_RETURN(TrainResult result, loop(sess, &summaries));
  if (summaries.writer) {
    KILN_RETURN_IF_ERROR(summaries.writer->close());
    log << "event file: " << summaries.writer->path() << std::endl;
  }
  KILN_RETURN_IF_ERROR(MaybeSaveCheckpoint(sess, config, result.steps, log));
  return result;
}

Status Evaluate(Session& sess, const Classifier& model, const data::DataSplit& split, double* loss, double* accuracy) {
  double loss_sum = 0, acc_sum = 0;
  int64_t n = split.size();
  for (int64_t begin = 0; begin < n; begin += kEvalChunk) {
    int64_t end = std::min(n, begin + kEvalChunk);
    const Tensor& labels = model.sparse_labels ? split.labels : split.one_hot;
    FeedDict feeds = {{model.images, data::SliceRows(split.images, begin, end)},
                      {model.labels, data::SliceRows(labels, begin, end)}};
    feeds.insert(feeds.end(), model.extra_eval_feeds.begin(), model.extra_eval_feeds.end());
    Output loss = model.eval_loss ? model.eval_loss : model.loss;
    KILN_ASSIGN_OR_RETURN(std::vector<Tensor> out, sess.run({loss, model.accuracy}, feeds));
    loss_sum += out[0].scalar<float>() * (end - begin);
    acc_sum += out[1].scalar<float>() * (end - begin);
  }
  *loss = n ? loss_sum / n : 0;
  *accuracy = n ? acc_sum / n : 0;
  return OkStatus();
}

StatusOr<TrainResult> RunTrainingLoop(Session& sess, const Classifier& model, const Operation& train_op,
                                      const data::MnistData& data, const LoopSettings& settings, std::ostream& log) {
  if (settings.benchmark) {
    return BenchmarkClassifier(sess, model, train_op, data.train, settings.batch, *settings.benchmark);
  }
  auto start = std::chrono::steady_clock::now();
  TrainResult result;
  data::MiniBatcher batches(data.train, settings.seed);
  int64_t steps_per_epoch = std::max<int64_t>(1, data.train.size() / settings.batch);
  bool done = false;
  for (int64_t epoch = 1; epoch <= settings.epochs && !done; ++epoch) {
    double loss_sum = 0, acc_sum = 0;
    int64_t steps = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      Tensor images, one_hot, ids;
      if (settings.tutorial_batches) {
        KILN_RETURN_IF_ERROR(data::TutorialBatch(data.train, result.steps, settings.batch, &images, &one_hot, &ids));
      } else {
        KILN_RETURN_IF_ERROR(batches.NextBatch(settings.batch, &images, &one_hot, &ids));
      }
      FeedDict feeds = {{model.images, images}, {model.labels, model.sparse_labels ? ids : one_hot}};
      feeds.insert(feeds.end(), model.extra_train_feeds.begin(), model.extra_train_feeds.end());
      std::vector<Fetch> fetches = {train_op, model.loss, model.accuracy};
      if (settings.summaries && settings.summaries->active()) fetches.push_back(settings.summaries->merged);
      KILN_ASSIGN_OR_RETURN(std::vector<Tensor> out, sess.run(fetches, feeds));
      if (fetches.size() == 4) KILN_RETURN_IF_ERROR(settings.summaries->writer->add_summary(out[3], result.steps));
      double loss = out[1].scalar<float>();
      if (result.steps == 0) result.first_loss = loss;
      loss_sum += loss;
      acc_sum += out[2].scalar<float>();
      ++steps;
      ++result.steps;
      if (settings.max_steps > 0 && result.steps >= settings.max_steps) { done = true; break; }
    }
    result.final_loss = loss_sum / steps;
    // Without a held-out split the test set stands in, as Keras' validation_data=(test_images, ...).
    const data::DataSplit& held_out = data.validation.size() > 0 ? data.validation : data.test;
    double val_loss = 0, val_acc = 0;
    KILN_RETURN_IF_ERROR(Evaluate(sess, model, held_out, &val_loss, &val_acc));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    log << "epoch " << epoch << "/" << settings.epochs << ": train_loss " << Fixed(result.final_loss, 4)
        << " train_acc " << Fixed(acc_sum / steps, 4) << " val_loss " << Fixed(val_loss, 4) << " val_acc "
        << Fixed(val_acc, 4) << " (" << Fixed(secs, 1) << "s)" << std::endl;
  }
  double test_loss = 0;
  KILN_RETURN_IF_ERROR(Evaluate(sess, model, data.test, &test_loss, &result.test_accuracy));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

StatusOr<TrainResult> RunStepLoop(Session& sess, const Classifier& model, const Operation& train_op,
                                  const data::MnistData& data, const StepLoopSettings& settings, std::ostream& log) {
  if (settings.benchmark) {
    return BenchmarkClassifier(sess, model, train_op, data.train, settings.batch, *settings.benchmark);
  }
  auto start = std::chrono::steady_clock::now();
  TrainResult result;
  data::MiniBatcher batches(data.train, settings.seed);
  double recent_loss = 0;
  int64_t recent = 0;
  for (int64_t step = 0; step < settings.steps; ++step) {
    Tensor images, one_hot, ids;
    KILN_RETURN_IF_ERROR(batches.NextBatch(settings.batch, &images, &one_hot, &ids));
    const Tensor& labels = model.sparse_labels ? ids : one_hot;
    FeedDict feeds = {{model.images, images}, {model.labels, labels}};
    feeds.insert(feeds.end(), model.extra_train_feeds.begin(), model.extra_train_feeds.end());
    std::vector<Fetch> fetches = {train_op, model.loss};
    if (settings.summaries && settings.summaries->active()) fetches.push_back(settings.summaries->merged);
    KILN_ASSIGN_OR_RETURN(std::vector<Tensor> out, sess.run(fetches, feeds));
    if (fetches.size() == 3) KILN_RETURN_IF_ERROR(settings.summaries->writer->add_summary(out[2], step));
    double loss = out[1].scalar<float>();
    if (step == 0) result.first_loss = loss;
    recent_loss += loss;
    ++recent;
    if (step % settings.validate_every == 0 && data.validation.size() > 0) {
      double val_loss = 0, val_acc = 0;
      KILN_RETURN_IF_ERROR(Evaluate(sess, model, data.validation, &val_loss, &val_acc));
      log << "Batch: " << step << ": Validation loss: " << Fixed(val_loss, 5) << ", Validation accuracy: "
          << Fixed(val_acc, 5) << std::endl;
    } else if (step % settings.report_every == 0) {
      FeedDict eval = {{model.images, images}, {model.labels, labels}};
      eval.insert(eval.end(), model.extra_eval_feeds.begin(), model.extra_eval_feeds.end());
      KILN_ASSIGN_OR_RETURN(std::vector<Tensor> m, sess.run({model.loss, model.accuracy}, eval));
      log << "Batch: " << step << ": Training loss: " << Fixed(m[0].scalar<float>(), 5) << ", Training accuracy: "
          << Fixed(m[1].scalar<float>(), 5) << std::endl;
    }
    if (recent == settings.report_every || step + 1 == settings.steps) {
      result.final_loss = recent_loss / recent;
      recent_loss = 0;
      recent = 0;
    }
    ++result.steps;
  }
  double val_loss = 0, val_acc = 0, test_loss = 0;
  if (data.validation.size() > 0) {
    KILN_RETURN_IF_ERROR(Evaluate(sess, model, data.validation, &val_loss, &val_acc));
    log << "Final validation accuracy: " << Fixed(val_acc, 5) << std::endl;
  }
  KILN_RETURN_IF_ERROR(Evaluate(sess, model, data.test, &test_loss, &result.test_accuracy));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace kiln::models
