// The mlp seed model trains: a few hundred Adam steps on a slice of the data, loss falls.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "examples/models/model_registry.h"
#include "runtime/data/mnist.h"

namespace kiln::models {
namespace {

TEST(MlpModelTest, ShortRunLowersTheLossAndPrintsLikeTheSeed) {
  if (!std::filesystem::exists(data::DefaultMnistDir())) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainConfig config;
  config.train_limit = 5000;
  config.validation_size = 1000;
  config.max_steps = 300;
  std::ostringstream log;
  auto result = TrainMlp(config, log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_LT(result->final_loss, result->first_loss * 0.5) << log.str();
  EXPECT_GT(result->test_accuracy, 0.7) << log.str();
  EXPECT_NE(log.str().find("Batch: 0: Validation loss:"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("Batch: 100: Training loss:"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace kiln::models
