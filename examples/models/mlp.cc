// The fully connected network of the batch-norm course program (seed 002), without batch norm,
// ported line by line:
//
//   inputs = tf.placeholder(tf.float32, [None, 28, 28, 1]); labels = tf.placeholder(tf.float32, [None, 10])
//   layer = tf.reshape(inputs, shape=[-1, 784])
//   for layer_i in range(1, 6):
//       layer = tf.nn.relu(tf.layers.dense(layer, 2**(9 - layer_i), use_bias=False, activation=None))
//   logits = tf.layers.dense(layer, 10)
//   model_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=labels))
//   train_opt = tf.train.AdamOptimizer(learning_rate).minimize(model_loss)
#include <ostream>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "graph/builder/kiln.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace kiln::models {

namespace tf = ::kiln;

StatusOr<TrainResult> TrainMlp(const TrainConfig& config, std::ostream& log) {
  const int64_t num_batches = config.max_steps > 0 ? config.max_steps : 3000;
  const int64_t batch_size = config.batch > 0 ? config.batch : 128;
  const double learning_rate = config.learning_rate > 0 ? config.learning_rate : 0.002;
  const int layer_num = 5;
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/false));

  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));

  auto inputs = tf::placeholder(tf::float32, {-1, 28, 28, 1}, "inputs");
  auto labels = tf::placeholder(tf::float32, {-1, 10}, "labels");
  tf::Output layer = tf::reshape(inputs, {-1, 28 * 28 * 1});
  for (int layer_i = 1; layer_i <= layer_num; ++layer_i) {
    layer = tf::nn::relu(tf::layers::dense(layer, int64_t{1} << (9 - layer_i), {.use_bias = false}));
  }
  auto logits = tf::layers::dense(layer, 10);
  auto model_loss = tf::reduce_mean(tf::nn::sigmoid_cross_entropy_with_logits(labels, logits), {}, false, "model_loss");
  auto train_opt = tf::train::AdamOptimizer(learning_rate).minimize(model_loss);

  auto correct_prediction = tf::equal(tf::argmax(logits, 1), tf::argmax(labels, 1));
  auto accuracy = tf::reduce_mean(tf::cast(correct_prediction, tf::float32), {}, false, "accuracy");
  Classifier model{inputs, labels, model_loss, accuracy, {}};
  return RunInSession(graph, config, log, [&](tf::Session& sess) {
    return RunStepLoop(sess, model, train_opt, mnist, {num_batches, batch_size, config.seed}, log);
  });
}

}  // namespace kiln::models
