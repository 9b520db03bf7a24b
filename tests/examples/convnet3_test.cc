// The convnet3 seed trains the barebones way (gradients + assign_sub + control_dependencies).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "examples/models/model_registry.h"
#include "runtime/data/mnist.h"

namespace kiln::models {
namespace {

TEST(Convnet3ModelTest, BarebonesTrainingStepLowersTheLoss) {
  if (!std::filesystem::exists(data::DefaultMnistDir())) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainConfig config;
  config.train_limit = 64 * 40;
  config.validation_size = 500;
  config.max_steps = 40;
  std::ostringstream log;
  auto result = TrainConvnet3(config, log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->steps, 40);
  EXPECT_LT(result->final_loss, result->first_loss * 0.8) << log.str();
  EXPECT_GT(result->test_accuracy, 0.5) << log.str();
}

}  // namespace
}  // namespace kiln::models
