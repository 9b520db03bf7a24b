// The full mlp seed run (3000 Adam steps of 128) reaches the target (PyTorch: 0.860).
#include <gtest/gtest.h>

#include <iostream>

#include "examples/models/model_registry.h"

namespace kiln::models {
namespace {

TEST(MlpLongTest, ReachesTheTargetAccuracy) {
  TrainConfig config;
  auto result = TrainMlp(config, std::cout);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::cout << "test_accuracy: " << result->test_accuracy << " in " << result->seconds << " s\n";
  EXPECT_GE(result->test_accuracy, 0.85);
}

}  // namespace
}  // namespace kiln::models
