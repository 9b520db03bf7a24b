// The model library's benchmark mode (TrainConfig::benchmark, for `kiln bench`): random data in place
// of the data set, and the training step run and timed in place of the training loop. Each seed model
// keeps its one definition; LoadData and the loops switch to these when a benchmark is asked for.
#pragma once

#include <cstdint>

#include "examples/models/model_registry.h"
#include "examples/models/training_loop.h"
#include "runtime/data/mnist.h"
#include "runtime/session.h"

namespace kiln::models {

// `images` training images of MNIST's shape ([N, 784] when flatten, else [N, 28, 28, 1]), pixels
// uniform in [0, 1) as the peer's torch.rand, labels uniform over the 10 classes (ids and one-hot).
// No validation or test split.
data::MnistData RandomMnistData(int64_t images, bool flatten, uint64_t seed);

// sess.run({train_op, loss}, feeds), settings.warmup_steps times (at least once: the first run
// compiles the step) and then settings.timed_steps times, each of those timed. The result records
// the step times, the compile time and the compiled graph's flops (runtime/cost_model.h); `batch`
// is reported as given.
StatusOr<TrainResult> RunBenchmarkSteps(Session& sess, const Operation& train_op, const Output& loss,
                                        const FeedDict& feeds, int64_t batch, const BenchmarkSettings& settings);

// RunBenchmarkSteps for a classifier's training step, fed the first `batch` examples of `train`
// (and the model's extra training feeds), as its loop's training sess.run is.
StatusOr<TrainResult> BenchmarkClassifier(Session& sess, const Classifier& model, const Operation& train_op,
                                          const data::DataSplit& train, int64_t batch,
                                          const BenchmarkSettings& settings);

}  // namespace kiln::models
