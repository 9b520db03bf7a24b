// The pathologically deep net of the probes seed (004, figure 8): 128 dense layers of 128 units with
// leaky ReLU, the flattened input concatenated back in before layer 64, trained with Momentum.
// The depth blocks learning (the loss stays near ln 10 = 2.30); the probes model shows where.
//
//   x = r = Flatten()(inputs)
//   for i in range(LAYER_COUNT):                      # 128
//       if i == SKIP_LAYER: x = Concatenate()([x, r]) # 64
//       x = Dense(128, activation=lambda x: relu(x, alpha=0.01))(x)
//   logits = Dense(NUM_LABELS)(x)
#include "examples/models/deep128.h"

#include <ostream>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "runtime/session.h"
#include "train/learning_rate_decay.h"
#include "train/optimizer.h"

namespace kiln::models {

namespace tf = ::kiln;

namespace {
tf::Output lrelu(const tf::Output& x, const std::string&) { return tf::nn::leaky_relu(x, 0.01); }
}  // namespace

Deep128Tower Deep128Model(const tf::Output& images) {
  const int layer_count = 128, skip_layer = 64;
  Deep128Tower t;
  tf::Output x = tf::layers::flatten(images);
  tf::Output r = x;  // residual / short-cut / skip connection
  for (int i = 0; i < layer_count; ++i) {
    t.layers.push_back({"layer" + std::to_string(i), x});
    if (i == skip_layer) x = tf::concat({x, r}, 1);
    x = tf::layers::dense(x, 128, {.activation = lrelu});
  }
  t.layers.push_back({"layer" + std::to_string(layer_count), x});
  t.logits = tf::layers::dense(x, 10);
  return t;
}

StatusOr<TrainResult> TrainDeep128(const TrainConfig& config, std::ostream& log) {
  const int64_t num_batches = config.max_steps > 0 ? config.max_steps : 2000;
  const int64_t batch_size = config.batch > 0 ? config.batch : 512;
  const double base_rate = config.learning_rate > 0 ? config.learning_rate : 0.01;
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/false, /*default_validation=*/0));
  const int64_t train_size = mnist.train.size();

  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));
  auto images = tf::placeholder(tf::float32, {-1, 28, 28, 1}, "images");
  auto labels = tf::placeholder(tf::int64, {-1}, "labels");
  Deep128Tower tower = Deep128Model(images);
  auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, tower.logits), {}, false, "loss");
  tf::Variable global_step = tf::train::get_or_create_global_step();
  // Momentum 0.9, the rate decayed x0.95 per epoch (staircase).
  auto learning_rate = tf::train::exponential_decay(
      base_rate, tf::Output(global_step) * tf::constant(batch_size, tf::int64), static_cast<double>(train_size), 0.95,
      /*staircase=*/true);
  auto train_op = tf::train::MomentumOptimizer(learning_rate, 0.9).minimize(loss, {}, global_step);
  auto accuracy =
      tf::reduce_mean(tf::cast(tf::equal(tf::argmax(tower.logits, 1), labels), tf::float32), {}, false, "accuracy");
  tf::summary::scalar("loss", loss);

  Classifier model{images, labels, loss, accuracy, {}, /*sparse_labels=*/true};
  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog* summaries) {
    // Report steps as the probes seed does (every 100 minibatches), no held-out split.
    return RunStepLoop(sess, model, train_op, mnist,
                       {num_batches, batch_size, config.seed, 1 << 30, 100, summaries, config.benchmark}, log);
  });
}

}  // namespace kiln::models
