// Softmax regression on MNIST-format data, ported line by line from the TF1 course program
// (seed 003 / TF's "MNIST for ML beginners"):
//
//   x = tf.placeholder(tf.float32, [None, 784])
//   W = tf.Variable(tf.zeros([784, 10]));  b = tf.Variable(tf.zeros([10]))
//   y = tf.nn.softmax(tf.matmul(x, W) + b)
//   cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=...))
//   train_step = tf.train.GradientDescentOptimizer(0.01).minimize(cross_entropy)
//   correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
//   accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
#include <ostream>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "graph/builder/kiln.h"
#include "runtime/data/mnist.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace kiln::models {

namespace tf = ::kiln;

StatusOr<TrainResult> TrainSoftmax(const TrainConfig& config, std::ostream& log) {
  const int64_t epochs = config.epochs > 0 ? config.epochs : 25;
  const int64_t batch_size = config.batch > 0 ? config.batch : 32;
  const double learning_rate = config.learning_rate > 0 ? config.learning_rate : 0.01;
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/true));

  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));

  // The model.
  auto x = tf::placeholder(tf::float32, {-1, 784}, "x");
  auto y_ = tf::placeholder(tf::float32, {-1, 10}, "y_");
  tf::Variable W(tf::zeros({784, 10}), "W");
  tf::Variable b(tf::zeros({10}), "b");
  auto logits = tf::matmul(x, W) + b;
  auto y = tf::nn::softmax(logits, "y");

  // Loss and optimizer. The fused op is TF1's numerically safe form of -sum(y_ * log(y)).
  auto cross_entropy = tf::reduce_mean(tf::nn::softmax_cross_entropy_with_logits(y_, logits), {}, false, "loss");
  auto train_step = tf::train::GradientDescentOptimizer(learning_rate).minimize(cross_entropy);

  // Evaluation.
  auto correct_prediction = tf::equal(tf::argmax(y, 1), tf::argmax(y_, 1));
  auto accuracy = tf::reduce_mean(tf::cast(correct_prediction, tf::float32), {}, false, "accuracy");
  Classifier model{x, y_, cross_entropy, accuracy, {}};
  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog* summaries) {
    return RunTrainingLoop(sess, model, train_step, mnist,
                           {epochs, batch_size, config.seed, config.max_steps, summaries, config.benchmark}, log);
  });
}

}  // namespace kiln::models
