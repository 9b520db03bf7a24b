// The full seed run: `kiln train softmax` defaults (25 epochs, batch 32, SGD 0.01) reach the
// issue's target on Fashion-MNIST (PyTorch with the same settings: 0.838).
#include <gtest/gtest.h>

#include <iostream>

#include "examples/models/model_registry.h"

namespace kiln::models {
namespace {

TEST(SoftmaxLongTest, ReachesTheTargetAccuracy) {
  TrainConfig config;
  auto result = TrainSoftmax(config, std::cout);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::cout << "test_accuracy: " << result->test_accuracy << " in " << result->seconds << " s\n";
  EXPECT_GE(result->test_accuracy, 0.83);
}

}  // namespace
}  // namespace kiln::models
