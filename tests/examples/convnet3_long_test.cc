// The full convnet3 seed run (1 epoch, batch 64, SGD 3e-3, images standardized as the notebook
// does) against the target 0.815 (PyTorch, one seed: 0.827). One epoch of plain SGD varies
// by about +-1% with the seed (measured: 0.833, 0.853, 0.838 for seeds 1-3), so the target is
// checked on the mean of three.
#include <gtest/gtest.h>

#include <iostream>

#include "examples/models/model_registry.h"

namespace kiln::models {
namespace {

TEST(Convnet3LongTest, MeanOfThreeSeedsReachesTheTarget) {
  double sum = 0;
  for (uint64_t seed : {1, 2, 3}) {
    TrainConfig config;
    config.seed = seed;
    auto result = TrainConvnet3(config, std::cout);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    std::cout << "seed " << seed << " test_accuracy: " << result->test_accuracy << " in " << result->seconds << " s\n";
    sum += result->test_accuracy;
  }
  EXPECT_GE(sum / 3, 0.815);
}

}  // namespace
}  // namespace kiln::models
