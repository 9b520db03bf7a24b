// The full convnet3 seed run (1 epoch, batch 64, SGD 3e-3) reaches the target (PyTorch 0.827).
#include <gtest/gtest.h>

#include <iostream>

#include "examples/models/model_registry.h"

namespace kiln::models {
namespace {

TEST(Convnet3LongTest, ReachesTheTargetAccuracy) {
  TrainConfig config;
  auto result = TrainConvnet3(config, std::cout);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::cout << "test_accuracy: " << result->test_accuracy << " in " << result->seconds << " s\n";
  EXPECT_GE(result->test_accuracy, 0.815);
}

}  // namespace
}  // namespace kiln::models
