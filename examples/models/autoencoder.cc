// The sparse autoencoder of seed 001 (question 1): 16x16 patches -> 64 sigmoid units -> 256 sigmoid
// outputs, cost = reconstruction + weight decay + KL sparsity penalty, full-batch Adam. The seed
// hand-derives aeCost's gradients in numpy and then trains the same cost in Keras with 'Adam'; this
// is that program in TF1 graph style, the gradients left to tf.gradients (tests/examples/
// autoencoder_test.cc checks them against the seed's derivation):
//
//   def w_0(Lpre, Lpost): return np.sqrt(6/(Lpre+Lpost))
//   data = tf.placeholder(tf.float32, [None, Lin])
//   W1 = tf.Variable(tf.random_uniform([Lin, Lhid], -w_0(Lin, Lhid), w_0(Lin, Lhid)))
//   b1 = tf.Variable(tf.random_uniform([Lhid], -w_0(Lin, Lhid), w_0(Lin, Lhid)))   # as defWeights
//   W2, b2 likewise with w_0(Lhid, Lout)
//   z = tf.sigmoid(tf.matmul(data, W1) + b1);  out = tf.sigmoid(tf.matmul(z, W2) + b2)
//   z_mean = tf.reduce_mean(z, axis=0)
//   J1 = 0.5 * tf.reduce_sum(tf.reduce_mean(tf.square(data - out), axis=0))   # (1/2N) sum ||d - o||^2
//   J2 = (lmb/2) * (tf.reduce_sum(tf.square(W1)) + tf.reduce_sum(tf.square(W2)))
//   J3 = beta * tf.reduce_sum(rho*tf.log(rho/z_mean) + (1-rho)*tf.log((1-rho)/(1-z_mean)))
//   J = J1 + J2 + J3
//   train = tf.train.AdamOptimizer(learning_rate).minimize(J)
//   for epoch in range(epochs): _, loss = sess.run([train, J], {data: data_flat})
#include "examples/models/autoencoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "examples/models/benchmark.h"
#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "graph/builder/kiln.h"
#include "runtime/data/patches.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace kiln::models {

namespace tf = ::kiln;

namespace {

// The seed's Glorot-style range for a layer with Lpre inputs and Lpost units.
double w_0(int64_t Lpre, int64_t Lpost) { return std::sqrt(6.0 / static_cast<double>(Lpre + Lpost)); }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// How often the loss is printed: about twenty lines a run, and always the first and last step.
int64_t ReportEvery(int64_t steps) { return std::max<int64_t>(1, steps / 20); }

}  // namespace

AutoencoderNet ae_cost(const Output& data, const Output& W1, const Output& b1, const Output& W2, const Output& b2,
                       const AutoencoderHyper& hyper) {
  const double lmb = hyper.lmb, beta = hyper.beta, rho = hyper.rho;
  auto z = tf::nn::sigmoid(tf::matmul(data, W1) + b1, "z");
  auto out = tf::nn::sigmoid(tf::matmul(z, W2) + b2, "out");
  auto z_mean = tf::reduce_mean(z, {0}, false, "z_mean");

  auto J1 = 0.5 * tf::reduce_sum(tf::reduce_mean(tf::square(data - out), {0}));
  auto J2 = (lmb / 2) * (tf::reduce_sum(tf::square(W1)) + tf::reduce_sum(tf::square(W2)));
  auto kl = rho * tf::log(rho / z_mean) + (1 - rho) * tf::log((1 - rho) / (1 - z_mean));
  auto J3 = beta * tf::reduce_sum(kl);
  auto J = tf::add(J1 + J2, J3, "J");
  return {z, out, J};
}

StatusOr<data::GrayImage> HiddenUnitImages(const Tensor& W1, int64_t patch_size, int64_t rows, int64_t cols) {
  if (W1.dtype() != DT_FLOAT || W1.rank() != 2 || W1.dim(0) != patch_size * patch_size || W1.dim(1) > rows * cols) {
    return InvalidArgument("HiddenUnitImages needs float W1 [" + std::to_string(patch_size * patch_size) +
                           ", <= " + std::to_string(rows * cols) + "], got " + W1.DebugString());
  }
  const int64_t pixels = W1.dim(0), units = W1.dim(1), step = patch_size + 1;
  data::GrayImage image;
  image.width = cols * step + 1;
  image.height = rows * step + 1;
  image.pixels.assign(static_cast<size_t>(image.width * image.height), 255);
  const float* w = W1.data<float>();
  for (int64_t j = 0; j < units; ++j) {
    float lo = w[j], hi = w[j];
    for (int64_t i = 0; i < pixels; ++i) {
      lo = std::min(lo, w[i * units + j]);
      hi = std::max(hi, w[i * units + j]);
    }
    const int64_t top = 1 + (j / cols) * step, left = 1 + (j % cols) * step;
    for (int64_t i = 0; i < pixels; ++i) {
      double v = hi > lo ? (w[i * units + j] - lo) / (hi - lo) : 0.5;
      image.pixels[(top + i / patch_size) * image.width + left + i % patch_size] =
          static_cast<uint8_t>(std::lround(255 * v));
    }
  }
  return image;
}

StatusOr<TrainResult> TrainAutoencoder(const TrainConfig& config, std::ostream& log) {
  // One step is one full-batch epoch, so --max-steps and --epochs both count them.
  // 200 steps keep the default run near a minute on one core; the seed runs 400 to 5,000.
  const int64_t epochs = config.max_steps > 0 ? config.max_steps : config.epochs > 0 ? config.epochs : 200;
  const int64_t num_patches = config.batch > 0 ? config.batch : 10240;
  // The seed names no rate: it compiles with optimizer='Adam', Keras' default 0.001, and runs 400 to
  // 5,000 epochs. In our 200 the default 0.001 leaves most filters noise (loss 3.51 -> 1.35), while
  // 0.01 learns them (3.51 -> 0.87); `--lr 0.001 --max-steps 5000` is the seed's own run.
  const double learning_rate = config.learning_rate > 0 ? config.learning_rate : 0.01;
  const int64_t imWH = 16, Lin = imWH * imWH, Lout = Lin, Lhid = 64;
  const AutoencoderHyper hyper;  // lmb 5e-4, beta 0.01, rho 0.05
  if (!config.out.empty()) {
    // Fail before training, not after it, when the picture cannot be written.
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(config.out, ec).parent_path();
    if (ec || !std::filesystem::is_directory(dir, ec)) return FailedPrecondition("--out: no directory " + dir.string());
  }

  // Part A: patches from the training images, preprocessed as the seed does.
  KILN_ASSIGN_OR_RETURN(data::MnistData mnist, LoadData(config, /*flatten=*/false, /*default_validation=*/0));
  KILN_ASSIGN_OR_RETURN(Tensor patches,
                        data::SamplePatches(mnist.train.images, {num_patches, imWH, config.seed}));
  KILN_ASSIGN_OR_RETURN(Tensor data_flat, data::PreprocessPatches(patches));
  log << "data: " << data_flat.DebugString() << " patches in [0.1, 0.9]" << std::endl;

  // Part B: the network and its cost.
  tf::Graph graph;
  auto as_default = tf::as_default(graph);
  tf::set_random_seed(static_cast<int64_t>(config.seed));
  auto data = tf::placeholder(tf::float32, {-1, Lin}, "data");
  // The seed's defWeights: every weight and bias uniform in +-w_0 of its layer (biases not zero).
  const double w_hid = w_0(Lin, Lhid), w_out = w_0(Lhid, Lout);
  tf::Variable W1(tf::random_uniform({Lin, Lhid}, -w_hid, w_hid), "W1");
  tf::Variable b1(tf::random_uniform({Lhid}, -w_hid, w_hid), "b1");
  tf::Variable W2(tf::random_uniform({Lhid, Lout}, -w_out, w_out), "W2");
  tf::Variable b2(tf::random_uniform({Lout}, -w_out, w_out), "b2");
  AutoencoderNet net = ae_cost(data, W1, b1, W2, b2, hyper);
  auto train = tf::train::AdamOptimizer(learning_rate).minimize(net.J);

  return RunInSession(graph, config, log, [&](tf::Session& sess, SummaryLog*) -> StatusOr<TrainResult> {
    const tf::FeedDict feed = {{data, data_flat}};
    if (config.benchmark) return RunBenchmarkSteps(sess, train, net.J, feed, num_patches, *config.benchmark);
    auto start = std::chrono::steady_clock::now();
    TrainResult result;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      KILN_ASSIGN_OR_RETURN(std::vector<tf::Tensor> out, sess.run({train, net.J}, feed));
      const double loss = out[1].scalar<float>();
      if (epoch == 1) result.first_loss = loss;
      ++result.steps;
      if (epoch == 1 || epoch % ReportEvery(epochs) == 0 || epoch == epochs) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        log << "Epoch " << epoch << "/" << epochs << " - loss: " << Fixed(loss, 6) << " (" << Fixed(secs, 1) << "s)"
            << std::endl;
      }
    }
    // The cost of the trained weights (the loop's losses are each taken before its step's update).
    KILN_ASSIGN_OR_RETURN(tf::Tensor final_loss, sess.run(net.J, feed));
    result.final_loss = final_loss.scalar<float>();
    result.has_accuracy = false;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Part C: the hidden units' weights as images.
    if (!config.out.empty()) {
      KILN_ASSIGN_OR_RETURN(tf::Tensor hidWeights, sess.run(W1));
      KILN_ASSIGN_OR_RETURN(data::GrayImage grid, HiddenUnitImages(hidWeights, imWH, 8, 8));
      KILN_RETURN_IF_ERROR(data::WritePng(config.out, grid));
      log << "wrote the " << Lhid << " hidden units' weights to " << config.out << std::endl;
    }
    return result;
  });
}

}  // namespace kiln::models
