// The batch-norm course program (seed 002), ported line by line: a fully connected net and a conv
// net, each with or without batch normalization, trained with Adam on sigmoid cross-entropy.
//
//   def fully_connected(prev_layer, num_units, batch_norm, is_training=False):
//       layer = tf.layers.dense(prev_layer, num_units, use_bias=False, activation=None)
//       if batch_norm:
//           layer = tf.layers.batch_normalization(layer, training=is_training)
//       return tf.nn.relu(layer)
//
//   def conv_layer(prev_layer, layer_depth, batch_norm, is_training=False):
//       strides = 2 if layer_depth % 3 == 0 else 1
//       conv_layer = tf.layers.conv2d(prev_layer, layer_depth*4, 3, strides, 'same', use_bias=False, activation=None)
//       if batch_norm:
//           conv_layer = tf.layers.batch_normalization(conv_layer, training=is_training)
//       return tf.nn.relu(conv_layer)
//
//   inputs = tf.placeholder(tf.float32, [None, 28, 28, 1]); labels = tf.placeholder(tf.float32, [None, 10])
//   is_training = tf.placeholder(tf.bool)
//   ... layers ...
//   logits = tf.layers.dense(layer, 10)
//   model_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=labels))
//   with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
//       train_opt = tf.train.AdamOptimizer(learning_rate).minimize(model_loss)
#include <ostream>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "graph/builder/kiln.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace kiln::models {
namespace {

namespace tf = ::kiln;

tf::Output fully_connected(tf::Output prev_layer, int64_t num_units, bool batch_norm, tf::Output is_training) {
  auto layer = tf::layers::dense(prev_layer, num_units, {.activation = nullptr, .use_bias = false});
  if (batch_norm) layer = tf::layers::batch_normalization(layer, is_training);
  return tf::nn::relu(layer);
}

tf::Output conv_layer(tf::Output prev_layer, int64_t layer_depth, bool batch_norm, tf::Output is_training) {
  int64_t strides = layer_depth % 3 == 0 ? 2 : 1;
  auto conv_layer = tf::layers::conv2d(prev_layer, layer_depth * 4, {3},
                                       {.strides = {strides}, .padding = "same", .activation = nullptr, .use_bias = false});
  if (batch_norm) conv_layer = tf::layers::batch_normalization(conv_layer, is_training);
  return tf::nn::relu(conv_layer);
}

enum class Net { kFullyConnected, kConv };

StatusOr<TrainResult> TrainSeed002(const TrainConfig& config, std::ostream& log, Net net, bool batch_norm) {
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
  auto is_training = tf::placeholder(tf::boolean, tf::Shape::UnknownRank(), "is_training");

  tf::Output layer = inputs;
  if (net == Net::kFullyConnected) {
    layer = tf::reshape(layer, {-1, 28 * 28 * 1});
    for (int layer_i = 1; layer_i <= layer_num; ++layer_i) {
      layer = fully_connected(layer, int64_t{1} << (9 - layer_i), batch_norm, is_training);
    }
  } else {
    for (int layer_i = 1; layer_i <= layer_num; ++layer_i) layer = conv_layer(layer, layer_i, batch_norm, is_training);
    tf::Shape orig_shape = layer.shape();
    layer = tf::reshape(layer, {-1, orig_shape.dim(1) * orig_shape.dim(2) * orig_shape.dim(3)});
    layer = fully_connected(layer, 100, batch_norm, is_training);
  }
  auto logits = tf::layers::dense(layer, 10);
  auto model_loss = tf::reduce_mean(tf::nn::sigmoid_cross_entropy_with_logits(labels, logits), {}, false, "model_loss");
  tf::summary::scalar(net == Net::kFullyConnected ? "fc_loss" : "conv_loss", model_loss);

  tf::Operation train_opt;
  {
    tf::control_dependencies deps(tf::get_collection(tf::GraphKeys::UPDATE_OPS));
    train_opt = tf::train::AdamOptimizer(learning_rate).minimize(model_loss);
  }

  auto correct_prediction = tf::equal(tf::argmax(logits, 1), tf::argmax(labels, 1));
  auto accuracy = tf::reduce_mean(tf::cast(correct_prediction, tf::float32), {}, false, "accuracy");
  Classifier model{inputs, labels, model_loss, accuracy, {{is_training, tf::Tensor::Scalar<bool>(true)}}};
  model.extra_eval_feeds = {{is_training, tf::Tensor::Scalar<bool>(false)}};
  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog* summaries) {
    return RunStepLoop(sess, model, train_opt, mnist,
                       {num_batches, batch_size, config.seed, 500, 100, summaries, config.benchmark}, log);
  });
}

}  // namespace

StatusOr<TrainResult> TrainMlp(const TrainConfig& config, std::ostream& log) {
  return TrainSeed002(config, log, Net::kFullyConnected, /*batch_norm=*/false);
}
StatusOr<TrainResult> TrainMlpBn(const TrainConfig& config, std::ostream& log) {
  return TrainSeed002(config, log, Net::kFullyConnected, /*batch_norm=*/true);
}
StatusOr<TrainResult> TrainConvBn(const TrainConfig& config, std::ostream& log) {
  return TrainSeed002(config, log, Net::kConv, /*batch_norm=*/true);
}

}  // namespace kiln::models
