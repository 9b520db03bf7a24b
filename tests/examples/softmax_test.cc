// The softmax seed model trains: a few hundred steps on a slice of the default data, loss falls.
// (The full 25-epoch run to the accuracy target is softmax_long_test.cc, label "long".)
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "examples/models/model_registry.h"
#include "runtime/data/mnist.h"

namespace kiln::models {
namespace {

TEST(SoftmaxModelTest, ShortRunLowersTheLossAndBeatsChance) {
  if (!std::filesystem::exists(data::DefaultMnistDir())) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainConfig config;
  config.train_limit = 3200;
  config.epochs = 2;
  std::ostringstream log;
  auto result = TrainSoftmax(config, log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->steps, 200);
  EXPECT_LT(result->final_loss, result->first_loss * 0.6) << log.str();
  EXPECT_GT(result->test_accuracy, 0.6) << log.str();
  EXPECT_NE(log.str().find("epoch 2/2"), std::string::npos);
}

TEST(SoftmaxModelTest, BadDataDirectoryIsAnError) {
  TrainConfig config;
  config.data_dir = "/nonexistent";
  std::ostringstream log;
  auto result = TrainSoftmax(config, log);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("/nonexistent"), std::string::npos);
}

}  // namespace
}  // namespace kiln::models

namespace kiln::models {
namespace {

TEST(SoftmaxModelTest, ResumeContinuesFromTheSavedCheckpoint) {
  if (!std::filesystem::exists(data::DefaultMnistDir())) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  std::string dir = (std::filesystem::temp_directory_path() / ("kiln_resume_test_" + std::to_string(::getpid()))).string();
  TrainConfig config;
  config.train_limit = 3200;
  config.epochs = 1;
  config.checkpoint_dir = dir;
  std::ostringstream log;
  auto first = TrainSoftmax(config, log);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  config.resume = true;
  auto second = TrainSoftmax(config, log);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(log.str().find("restored " + dir + "/model.ckpt-100"), std::string::npos) << log.str();
  // The resumed run starts where the first ended, well below a fresh start's loss.
  EXPECT_LT(second->first_loss, first->first_loss * 0.7);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln::models
