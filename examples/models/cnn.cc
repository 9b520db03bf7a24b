// The Keras CNN of seed 000, written as a TF1 graph with an is_training placeholder in place of
// Keras' `training` argument:
//
//   x = tf.keras.layers.Conv2D(kernel_size=(3, 3), filters=32)(inputs)      # VALID, no activation
//   x = tf.keras.layers.MaxPool2D(pool_size=(2, 2))(x)
//   x = tf.keras.layers.Conv2D(kernel_size=(3, 3), filters=64)(x)
//   x = tf.keras.layers.Flatten()(x)
//   if training: x = tf.keras.layers.Dropout(rate=.2)(x)
//   x = tf.keras.layers.Dense(units=128)(x)
//   if training: x = tf.keras.layers.Dropout(rate=.3)(x)
//   x = tf.keras.layers.Dense(units=10)(x)
//   model.compile(optimizer='adam', loss=SparseCategoricalCrossentropy(from_logits=True))
//   model.fit(train_images, train_labels, validation_data=(test_images, test_labels), epochs=10)  # batch 32
//
// 1,011,466 parameters, as the seed's model.summary() reports.
#include <ostream>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "graph/builder/kiln.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace kiln::models {

namespace tf = ::kiln;

StatusOr<TrainResult> TrainCnn(const TrainConfig& config, std::ostream& log) {
  const int64_t epochs = config.epochs > 0 ? config.epochs : 10;
  const int64_t batch_size = config.batch > 0 ? config.batch : 32;
  const double learning_rate = config.learning_rate > 0 ? config.learning_rate : 0.001;
  // Keras trains on all 60,000 images and validates on the test set.
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/false, /*default_validation=*/0));

  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));

  auto inputs = tf::placeholder(tf::float32, {-1, 28, 28, 1}, "inputs");
  auto labels = tf::placeholder(tf::int64, {-1}, "labels");
  auto is_training = tf::placeholder_with_default(tf::constant(tf::Tensor::Scalar<bool>(false)), tf::Shape::Scalar(),
                                                  "is_training");

  auto x = tf::layers::conv2d(inputs, 32, {3, 3});
  x = tf::layers::max_pooling2d(x, {2, 2}, {2, 2});
  x = tf::layers::conv2d(x, 64, {3, 3});
  x = tf::layers::flatten(x);
  x = tf::layers::dropout(x, 0.2, is_training);
  x = tf::layers::dense(x, 128);
  x = tf::layers::dropout(x, 0.3, is_training);
  auto logits = tf::layers::dense(x, 10);

  auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, logits), {}, false, "loss");
  // optimizer='adam' is Keras' Adam: TF1's update with epsilon 1e-7 (tf.train.AdamOptimizer's is 1e-8).
  auto train_op = tf::train::AdamOptimizer(learning_rate, 0.9, 0.999, 1e-7).minimize(loss);
  auto accuracy =
      tf::reduce_mean(tf::cast(tf::equal(tf::argmax(logits, 1), labels), tf::float32), {}, false, "accuracy");

  Classifier model{inputs, labels, loss, accuracy, {{is_training, tf::Tensor::Scalar<bool>(true)}}, true};
  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog* summaries) {
    return RunTrainingLoop(sess, model, train_op, mnist,
                           {epochs, batch_size, config.seed, config.max_steps, summaries, config.benchmark}, log);
  });
}

}  // namespace kiln::models
