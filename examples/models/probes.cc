// Linear classifier probes (Alain & Bengio; seed 004): a softmax classifier on the frozen
// activations of every layer, trained through stop_gradient so the base never moves, its test
// error measured before and after training the base network.
//
//   x = layer(x) for the layers before the probe;  x = tf.stop_gradient(x);  return probe(x)
//
// All probes train together in one graph (one loss per probe, summed; stop_gradient keeps them
// independent), with Adam, for --probe-steps batches (default: one epoch) instead of the seed's
// 500 epochs with early stopping. Before the second round the probes and their optimizer slots are
// re-initialized, so both rounds start from scratch. Base: cnn_tutorial (the seed's figure 5:
// 10 epochs, batch 512) or, with --model deep128, the 128-layer net (figure 8: 2000 batches of 512,
// a probe every 8 layers).
#include <cmath>
#include <cstdio>
#include <ostream>
#include <set>

#include "examples/models/cnn_tutorial.h"
#include "examples/models/deep128.h"
#include "examples/models/model_registry.h"
#include "examples/models/svg_plot.h"
#include "examples/models/training_loop.h"
#include "runtime/data/batcher.h"
#include "runtime/session.h"
#include "train/learning_rate_decay.h"
#include "train/optimizer.h"

namespace kiln::models {
namespace {

namespace tf = ::kiln;

struct Probe {
  std::string layer;
  tf::Output loss;
  tf::Output correct;  // number of correct predictions in the batch
};

// Trains the probes for `steps` batches, then returns each probe's test error.
StatusOr<std::vector<double>> TrainAndEvaluateProbes(tf::Session& sess, const std::vector<Probe>& probes,
                                                     const tf::Operation& train, const tf::Output& images,
                                                     const tf::Output& labels, const data::MnistData& mnist,
                                                     int64_t steps, int64_t batch, uint64_t seed) {
  data::MiniBatcher batches(mnist.train, seed);
  for (int64_t s = 0; s < steps; ++s) {
    tf::Tensor x, one_hot, ids;
    KILN_RETURN_IF_ERROR(batches.NextBatch(batch, &x, &one_hot, &ids));
    KILN_RETURN_IF_ERROR(sess.run(train, {{images, x}, {labels, ids}}));
  }
  std::vector<tf::Fetch> fetches;
  for (const Probe& p : probes) fetches.push_back(p.correct);
  std::vector<double> correct(probes.size(), 0.0);
  const int64_t n = mnist.test.size();
  for (int64_t begin = 0; begin < n; begin += 1000) {
    int64_t end = std::min(n, begin + 1000);
    tf::FeedDict feeds = {{images, data::SliceRows(mnist.test.images, begin, end)},
                          {labels, data::SliceRows(mnist.test.labels, begin, end)}};
    KILN_ASSIGN_OR_RETURN(std::vector<tf::Tensor> out, sess.run(fetches, feeds));
    for (size_t i = 0; i < probes.size(); ++i) correct[i] += out[i].scalar<float>();
  }
  std::vector<double> errors;
  for (double c : correct) errors.push_back(n ? 1.0 - c / n : 0.0);
  return errors;
}

}  // namespace

StatusOr<TrainResult> TrainProbes(const TrainConfig& config, std::ostream& log) {
  const bool deep = config.base_model == "deep128";
  if (!config.base_model.empty() && !deep && config.base_model != "cnn_tutorial") {
    return InvalidArgument("probes: --model must be cnn_tutorial or deep128, got " + config.base_model);
  }
  const int64_t batch_size = config.batch > 0 ? config.batch : 512;
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/false, /*default_validation=*/0));
  const int64_t steps_per_epoch = std::max<int64_t>(1, mnist.train.size() / batch_size);
  const int64_t base_steps = config.max_steps > 0 ? config.max_steps
                             : deep              ? 2000
                                                 : (config.epochs > 0 ? config.epochs : 10) * steps_per_epoch;
  const int64_t probe_steps = config.probe_steps > 0 ? config.probe_steps : steps_per_epoch;

  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));
  auto images = tf::placeholder(tf::float32, {-1, 28, 28, 1}, "images");
  auto labels = tf::placeholder(tf::int64, {-1}, "labels");
  tf::Variable global_step = tf::train::get_or_create_global_step();
  auto decayed = [&](double rate) {
    return tf::train::exponential_decay(rate, tf::Output(global_step) * tf::constant(batch_size, tf::int64),
                                        static_cast<double>(mnist.train.size()), 0.95, /*staircase=*/true);
  };

  // The base network, its loss and its optimizer; `layers` is where the probes sit.
  std::vector<std::pair<std::string, tf::Output>> layers;
  tf::Output base_loss;
  if (deep) {
    Deep128Tower tower = Deep128Model(images);
    for (size_t i = 0; i < tower.layers.size(); i += 8) layers.push_back(tower.layers[i]);
    base_loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, tower.logits));
  } else {
    const int64_t seed = 66478 + static_cast<int64_t>(config.seed) - 1;
    TutorialParams params = MakeTutorialParams(seed);
    auto data = images - 0.5;
    TutorialTower train_tower = TutorialModel(data, params, /*train=*/true, seed);
    TutorialTower eval_tower = TutorialModel(data, params, /*train=*/false, seed);
    layers = eval_tower.layers;
    base_loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, train_tower.logits)) +
                5e-4 * (tf::nn::l2_loss(params.fc1_weights) + tf::nn::l2_loss(params.fc1_biases) +
                        tf::nn::l2_loss(params.fc2_weights) + tf::nn::l2_loss(params.fc2_biases));
  }
  std::vector<tf::Variable> base_vars = tf::trainable_variables();
  auto base_train = tf::train::MomentumOptimizer(decayed(config.learning_rate > 0 ? config.learning_rate : 0.01), 0.9)
                        .minimize(base_loss, base_vars, global_step);
  std::set<std::string> before_probes;
  for (const tf::Variable& v : tf::global_variables()) before_probes.insert(v.name());

  std::vector<Probe> probes;
  std::vector<tf::Output> probe_losses;
  for (const auto& [name, activation] : layers) {
    tf::name_scope scope("probe_" + name);
    auto features = tf::layers::flatten(tf::stop_gradient(activation));
    // Zero-initialized: a probe is a convex softmax regression, and from a random start a short
    // training cannot undo the random mixing of a few large features (the logits probe stayed at
    // 74% error after one epoch from Glorot weights, against the base's own 13%).
    auto logits = tf::layers::dense(features, 10, {.kernel_initializer = tf::zeros_initializer()});
    auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, logits));
    auto correct = tf::reduce_sum(tf::cast(tf::equal(tf::argmax(logits, 1), labels), tf::float32));
    probes.push_back({name, loss, correct});
    probe_losses.push_back(loss);
  }
  std::vector<tf::Variable> probe_vars;
  for (const tf::Variable& v : tf::trainable_variables()) if (!before_probes.count(v.name())) probe_vars.push_back(v);
  auto probe_train = tf::train::AdamOptimizer(0.001).minimize(tf::add_n(probe_losses), probe_vars);
  std::vector<tf::Variable> probe_state;  // the probes and their optimizer's slots
  for (const tf::Variable& v : tf::global_variables()) if (!before_probes.count(v.name())) probe_state.push_back(v);
  tf::Operation reset_probes = tf::variables_initializer(probe_state, "reset_probes");

  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog*) -> StatusOr<TrainResult> {
    TrainResult result;
    auto start = std::chrono::steady_clock::now();
    log << "training " << probes.size() << " probes for " << probe_steps << " batches of " << batch_size
        << " on the untrained base" << std::endl;
    KILN_ASSIGN_OR_RETURN(std::vector<double> before, TrainAndEvaluateProbes(sess, probes, probe_train, images, labels,
                                                                              mnist, probe_steps, batch_size, config.seed));
    log << "training the base for " << base_steps << " batches of " << batch_size << std::endl;
    data::MiniBatcher batches(mnist.train, config.seed + 1);
    for (int64_t s = 0; s < base_steps; ++s) {
      tf::Tensor x, one_hot, ids;
      KILN_RETURN_IF_ERROR(batches.NextBatch(batch_size, &x, &one_hot, &ids));
      KILN_ASSIGN_OR_RETURN(std::vector<tf::Tensor> out, sess.run({base_train, base_loss}, {{images, x}, {labels, ids}}));
      double loss = out[1].scalar<float>();
      if (s == 0) result.first_loss = loss;
      result.final_loss = loss;
      if (s % 100 == 0) log << "base batch " << s << ": loss " << loss << std::endl;
    }
    result.steps = base_steps;
    KILN_RETURN_IF_ERROR(sess.run(reset_probes));
    log << "training the probes again on the trained base" << std::endl;
    KILN_ASSIGN_OR_RETURN(std::vector<double> after, TrainAndEvaluateProbes(sess, probes, probe_train, images, labels,
                                                                             mnist, probe_steps, batch_size, config.seed));
    char line[128];
    std::snprintf(line, sizeof line, "%-16s %14s %14s\n", "probe", "error_before", "error_after");
    log << line;
    std::vector<std::string> names;
    for (size_t i = 0; i < probes.size(); ++i) {
      std::snprintf(line, sizeof line, "%-16s %14.4f %14.4f\n", probes[i].layer.c_str(), before[i], after[i]);
      log << line;
      names.push_back(probes[i].layer);
    }
    if (!config.out.empty()) {
      double y_max = 0.1;
      for (double e : before) y_max = std::max(y_max, std::ceil(e * 10) / 10);
      for (double e : after) y_max = std::max(y_max, std::ceil(e * 10) / 10);
      KILN_RETURN_IF_ERROR(WriteLinePlotSvg(config.out, deep ? "Probes of the 128-layer net" : "Probes of the tutorial CNN",
                                            "test prediction error", names,
                                            {{"before training", "#d62728", before}, {"after training", "#1f77b4", after}},
                                            y_max));
      log << "wrote " << config.out << std::endl;
    }
    result.test_accuracy = 1.0 - after.back();  // the last probe (on the logits / last layer)
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  });
}

}  // namespace kiln::models
