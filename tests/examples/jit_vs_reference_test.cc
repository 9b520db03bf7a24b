// Every seed model's training step compiled (fused JIT kernels, library GEMM/convolution/pooling)
// against the same step on reference kernels only (KILN_JIT=0): the reference kernels are the oracle,
// so the losses of a few Adam/Momentum/SGD steps on the same random batch must agree.
//
// Tolerance: the JIT's exp/log/tanh are polynomial approximations within a few ulp of libm, and the
// GEMM and convolution kernels sum in a different order than the reference loops; over three steps
// those float differences stay below 1e-4 relative in the loss. A wrong kernel is off by far more.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <ostream>
#include <string>

#include "examples/models/model_registry.h"

namespace kiln::models {
namespace {

struct StepLosses {
  double first = 0, last = 0;
};

StepLosses RunSteps(const ModelInfo& model, bool reference_only) {
  if (reference_only) setenv("KILN_JIT", "0", 1);
  else unsetenv("KILN_JIT");
  TrainConfig config;
  // Small batches keep the reference runs short; the autoencoder trains on its full patch set.
  if (model.name != "autoencoder") config.batch = 16;
  config.benchmark = BenchmarkSettings{.warmup_steps = 0, .timed_steps = 3, .images = 64};
  std::ostream discard(nullptr);
  StatusOr<TrainResult> result = model.train(config, discard);
  unsetenv("KILN_JIT");
  EXPECT_TRUE(result.ok()) << model.name << ": " << result.status().ToString();
  if (!result.ok()) return {};
  return {result->first_loss, result->final_loss};
}

class JitVsReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JitVsReferenceTest, TrainingStepsMatchTheReferenceKernels) {
  const ModelInfo* model = FindModel(GetParam());
  ASSERT_NE(model, nullptr);
  StepLosses reference = RunSteps(*model, /*reference_only=*/true);
  StepLosses compiled = RunSteps(*model, /*reference_only=*/false);
  ASSERT_TRUE(std::isfinite(reference.first) && std::isfinite(reference.last));
  EXPECT_NEAR(compiled.first, reference.first, 1e-4 * std::abs(reference.first)) << GetParam();
  EXPECT_NEAR(compiled.last, reference.last, 1e-4 * std::abs(reference.last)) << GetParam();
  EXPECT_NE(reference.first, reference.last) << "the steps must train something";
}

INSTANTIATE_TEST_SUITE_P(SeedModels, JitVsReferenceTest,
                         ::testing::Values("softmax", "mlp", "mlp_bn", "conv_bn", "cnn", "cnn_tutorial", "deep128",
                                           "convnet3", "autoencoder"));

}  // namespace
}  // namespace kiln::models
