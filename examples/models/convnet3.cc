// The CS231n "barebones TensorFlow" three-layer ConvNet (seed 001), ported line by line, trained
// the barebones way: tf.gradients, tf.assign_sub per parameter, and a control dependency so that
// evaluating the loss performs the step.
//
//   x = tf.pad(x, [[0,0],[2,2],[2,2],[0,0]]); conv1 = tf.nn.conv2d(x, conv_w1, [1,1,1,1], "VALID") + conv_b1
//   relu1 = tf.nn.relu(conv1); x2 = tf.pad(relu1, [[0,0],[1,1],[1,1],[0,0]])
//   conv2 = tf.nn.conv2d(x2, conv_w2, [1,1,1,1], "VALID") + conv_b2; relu2 = tf.nn.relu(conv2)
//   scores = tf.matmul(flatten(relu2), fc_w) + fc_b
//   grad_params = tf.gradients(loss, params)
//   new_weights = [tf.assign_sub(w, learning_rate * grad_w) for w, grad_w in zip(params, grad_params)]
//   with tf.control_dependencies(new_weights): return tf.identity(loss)
#include <cmath>
#include <ostream>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "graph/builder/kiln.h"
#include "passes/gradients.h"
#include "runtime/session.h"

namespace kiln::models {
namespace {

namespace tf = ::kiln;

// The notebook's kaiming_normal: N(0, 1) * sqrt(2 / fan_in), fan_in the product of all but the last dim.
tf::Output kaiming_normal(const std::vector<int64_t>& shape) {
  double fan_in = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) fan_in *= static_cast<double>(shape[i]);
  return tf::random_normal(shape) * std::sqrt(2.0 / fan_in);
}

tf::Output three_layer_convnet(const tf::Output& x, const std::vector<tf::Variable>& params) {
  const auto& [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b] =
      std::tie(params[0], params[1], params[2], params[3], params[4], params[5]);
  auto padded = tf::pad(x, tf::Tensor::FromVector<int32_t>({0, 0, 2, 2, 2, 2, 0, 0}, {4, 2}));
  auto conv1 = tf::nn::conv2d(padded, conv_w1, {1, 1, 1, 1}, "VALID") + conv_b1;
  auto relu1 = tf::nn::relu(conv1);
  auto x2 = tf::pad(relu1, tf::Tensor::FromVector<int32_t>({0, 0, 1, 1, 1, 1, 0, 0}, {4, 2}));
  auto conv2 = tf::nn::conv2d(x2, conv_w2, {1, 1, 1, 1}, "VALID") + conv_b2;
  auto relu2 = tf::nn::relu(conv2);
  return tf::matmul(tf::layers::flatten(relu2), fc_w) + fc_b;
}

tf::Output training_step(const tf::Output& scores, const tf::Output& y, const std::vector<tf::Variable>& params,
                         double learning_rate) {
  auto losses = tf::nn::sparse_softmax_cross_entropy_with_logits(y, scores);
  auto loss = tf::reduce_mean(losses);
  std::vector<tf::Output> ws(params.begin(), params.end());
  auto grad_params = tf::gradients(loss, ws);
  std::vector<tf::Operation> new_weights;
  for (size_t i = 0; i < params.size(); ++i) {
    new_weights.push_back(tf::assign_sub(params[i], grad_params[i] * learning_rate));
  }
  tf::control_dependencies deps(new_weights);
  return tf::identity(loss);
}

}  // namespace

StatusOr<TrainResult> TrainConvnet3(const TrainConfig& config, std::ostream& log) {
  const int64_t epochs = config.epochs > 0 ? config.epochs : 1;
  const int64_t batch_size = config.batch > 0 ? config.batch : 64;
  const double learning_rate = config.learning_rate > 0 ? config.learning_rate : 3e-3;
  // The notebook holds out 1,000 training images for validation (49,000/1,000 on CIFAR-10).
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/false, /*default_validation=*/1000));
  // load_cifar10's last step: X = (X - mean_pixel) / std_pixel, the statistics of the training split.
  KILN_RETURN_IF_ERROR(data::StandardizeImages(&mnist));

  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));
  auto x = tf::placeholder(tf::float32, {-1, 28, 28, 1}, "x");
  auto y = tf::placeholder(tf::int64, {-1}, "y");
  std::vector<tf::Variable> params = {
      tf::Variable(kaiming_normal({5, 5, 1, 32}), "conv_w1"), tf::Variable(tf::zeros({32}), "conv_b1"),
      tf::Variable(kaiming_normal({3, 3, 32, 16}), "conv_w2"), tf::Variable(tf::zeros({16}), "conv_b2"),
      tf::Variable(kaiming_normal({28 * 28 * 16, 10}), "fc_w"), tf::Variable(tf::zeros({10}), "fc_b")};
  auto scores = three_layer_convnet(x, params);
  auto loss = training_step(scores, y, params, learning_rate);
  auto accuracy = tf::reduce_mean(tf::cast(tf::equal(tf::argmax(scores, 1), y), tf::float32), {}, false, "accuracy");
  auto eval_loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(y, scores), {}, false, "eval_loss");
  // Training fetches `loss` (the identity that carries the updates); evaluation uses a loss that
  // does not step.
  Classifier model{x, y, eval_loss, accuracy, {}, /*sparse_labels=*/true};
  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog* summaries) {
    return RunTrainingLoop(sess, model, tf::Operation(loss), mnist,
                           {epochs, batch_size, config.seed, config.max_steps, summaries, config.benchmark}, log);
  });
}

}  // namespace kiln::models
