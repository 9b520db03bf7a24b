// The model library's benchmark mode (examples/models/benchmark.cc): random data in LoadData's place,
// the training step run warm-up + timed times on one batch, and the compiled step's cost recorded.
#include "examples/models/benchmark.h"

#include <gtest/gtest.h>

#include <ostream>

#include "examples/models/model_registry.h"

namespace kiln::models {
namespace {

TEST(BenchmarkTest, RandomDataHasMnistsShapesAndRanges) {
  data::MnistData flat = RandomMnistData(50, /*flatten=*/true, /*seed=*/1);
  EXPECT_EQ(flat.train.images.dims(), (std::vector<int64_t>{50, 784}));
  EXPECT_EQ(flat.train.one_hot.dims(), (std::vector<int64_t>{50, 10}));
  EXPECT_EQ(flat.validation.size(), 0);
  EXPECT_EQ(flat.test.size(), 0);
  data::MnistData images = RandomMnistData(50, /*flatten=*/false, /*seed=*/1);
  EXPECT_EQ(images.train.images.dims(), (std::vector<int64_t>{50, 28, 28, 1}));
  const float* pixels = images.train.images.data<float>();
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < 50 * 784; ++i) lo = std::min(lo, pixels[i]), hi = std::max(hi, pixels[i]);
  EXPECT_GE(lo, 0.f);
  EXPECT_LT(hi, 1.f);
  EXPECT_GT(hi - lo, 0.99f);
  for (int64_t i = 0; i < 50; ++i) {
    int64_t label = images.train.labels.data<int64_t>()[i];
    EXPECT_TRUE(label >= 0 && label < 10) << label;
    EXPECT_EQ(images.train.one_hot.data<float>()[i * 10 + label], 1.f);
  }
}

TEST(BenchmarkTest, SoftmaxBenchmarkTimesTheRequestedStepsAndCountsTheCompiledStep) {
  TrainConfig config;
  config.benchmark = BenchmarkSettings{.warmup_steps = 2, .timed_steps = 3};
  std::ostream discard(nullptr);
  StatusOr<TrainResult> result = TrainSoftmax(config, discard);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->steps, 5);
  const BenchmarkResult& bench = result->benchmark;
  EXPECT_EQ(bench.batch, 32);
  ASSERT_EQ(bench.step_seconds.size(), 3u);
  for (double s : bench.step_seconds) EXPECT_GT(s, 0);
  EXPECT_GT(bench.compile_seconds, 0);
  // x W [32, 784] x [784, 10] and x^T dy for W's gradient. The gradient for the placeholder x is only
  // waited on (TF's GATE_OP groups it with W's), and the pipeline's unread pass drops its MatMul, so the
  // cost comes from the graph that actually runs.
  EXPECT_EQ(bench.flops_per_step, 2 * (2 * 32 * 784 * 10));
  EXPECT_GT(result->first_loss, 0);
}

TEST(BenchmarkTest, ABatchLargerThanTheRandomDataIsAnError) {
  TrainConfig config;
  config.benchmark = BenchmarkSettings{.warmup_steps = 1, .timed_steps = 1, .images = 16};
  std::ostream discard(nullptr);
  StatusOr<TrainResult> result = TrainSoftmax(config, discard);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "benchmark: batch 32 is larger than the 16 random images (BenchmarkSettings::images)");
}

}  // namespace
}  // namespace kiln::models
