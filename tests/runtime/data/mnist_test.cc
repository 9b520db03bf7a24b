// The MNIST data set as TF1's input_data reads it, and mini-batches like DataSet.next_batch.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "runtime/data/batcher.h"
#include "runtime/data/idx.h"
#include "runtime/data/mnist.h"

namespace kiln::data {
namespace {

bool HaveFashionMnist() { return std::filesystem::exists(DefaultMnistDir() + "/train-labels-idx1-ubyte.gz"); }

TEST(MnistTest, SplitsLikeTensorFlowInputData) {
  if (!HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto data = LoadMnist(DefaultMnistDir());
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->train.size(), 55000);
  EXPECT_EQ(data->validation.size(), 5000);
  EXPECT_EQ(data->test.size(), 10000);
  EXPECT_EQ(data->train.images.dims(), (std::vector<int64_t>{55000, 784}));
  EXPECT_EQ(data->train.one_hot.dims(), (std::vector<int64_t>{55000, 10}));
  // The first validation image is the first raw training image.
  auto raw = ReadIdx(DefaultMnistDir() + "/train-images-idx3-ubyte.gz");
  ASSERT_TRUE(raw.ok());
  for (int i = 0; i < 784; ++i) ASSERT_FLOAT_EQ(data->validation.images.data<float>()[i], raw->data<uint8_t>()[i] / 255.0f);
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < data->test.images.num_elements(); ++i) {
    lo = std::min(lo, data->test.images.data<float>()[i]);
    hi = std::max(hi, data->test.images.data<float>()[i]);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  int64_t label = data->train.labels.data<int64_t>()[0];
  EXPECT_EQ(data->train.one_hot.data<float>()[label], 1.0f);
}

TEST(MnistTest, ValidationSizeOptionAndLimits) {
  if (!HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  LoadOptions options;
  options.validation_size = 0;
  options.limit = 100;
  options.flatten = false;
  auto data = LoadMnist(DefaultMnistDir(), options);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->validation.size(), 0);
  EXPECT_EQ(data->train.size(), 100);
  EXPECT_EQ(data->train.images.dims(), (std::vector<int64_t>{100, 28, 28, 1}));
  options.validation_size = 60001;
  auto bad = LoadMnist(DefaultMnistDir(), options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("60001"), std::string::npos);
}

TEST(MnistTest, StandardizeImagesUsesTheTrainingSplitsMeanAndStdEverywhere) {
  MnistData data;
  data.train.images = Tensor::FromVector<float>({0.0f, 0.5f, 1.0f, 0.5f}, {2, 2});
  data.validation.images = Tensor::FromVector<float>({1.0f, 0.0f}, {1, 2});
  data.test.images = Tensor::FromVector<float>({0.25f, 0.75f}, {1, 2});
  ASSERT_TRUE(StandardizeImages(&data).ok());
  // Training pixels: mean 0.5, std sqrt(0.125) (ddof 0, as numpy's std).
  const double std = std::sqrt(0.125);
  const float train[] = {-0.5f, 0.0f, 0.5f, 0.0f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(data.train.images.data<float>()[i], train[i] / std);
  EXPECT_FLOAT_EQ(data.validation.images.data<float>()[0], 0.5 / std);
  EXPECT_FLOAT_EQ(data.validation.images.data<float>()[1], -0.5 / std);
  EXPECT_FLOAT_EQ(data.test.images.data<float>()[0], -0.25 / std);
  EXPECT_FLOAT_EQ(data.test.images.data<float>()[1], 0.25 / std);
}

TEST(MnistTest, StandardizingConstantOrEmptyTrainingImagesIsAnErrorThatChangesNothing) {
  MnistData data;
  data.train.images = Tensor::FromVector<float>({0.5f, 0.5f}, {1, 2});
  data.test.images = Tensor::FromVector<float>({0.25f, 0.75f}, {1, 2});
  Status status = StandardizeImages(&data);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("constant"), std::string::npos) << status.ToString();
  EXPECT_EQ(data.test.images.data<float>()[0], 0.25f);
  MnistData empty;
  EXPECT_EQ(StandardizeImages(&empty).code(), Code::kInvalidArgument);
}

TEST(MnistTest, MissingDirectoryIsAnError) {
  auto data = LoadMnist("/nonexistent/mnist");
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("/nonexistent/mnist"), std::string::npos);
}

DataSplit CountingSplit(int n) {
  DataSplit s;
  s.images = Tensor(DT_FLOAT, {n, 1});
  s.labels = Tensor(DT_INT64, {n});
  for (int i = 0; i < n; ++i) {
    s.images.data<float>()[i] = static_cast<float>(i);
    s.labels.data<int64_t>()[i] = i % 10;
  }
  s.one_hot = OneHot(s.labels, 10);
  return s;
}

std::vector<int> Order(const DataSplit& split, uint64_t seed, int batches, int batch) {
  MiniBatcher b(split, seed);
  std::vector<int> order;
  for (int k = 0; k < batches; ++k) {
    Tensor x, y;
    EXPECT_TRUE(b.NextBatch(batch, &x, &y).ok());
    for (int i = 0; i < batch; ++i) order.push_back(static_cast<int>(x.data<float>()[i]));
  }
  return order;
}

TEST(BatcherTest, SeededShuffleIsDeterministicAndVisitsEveryExampleOncePerEpoch) {
  DataSplit s = CountingSplit(12);
  EXPECT_EQ(Order(s, 3, 3, 4), Order(s, 3, 3, 4));
  EXPECT_NE(Order(s, 3, 3, 4), Order(s, 4, 3, 4));
  std::vector<int> epoch = Order(s, 3, 3, 4);
  EXPECT_EQ(std::set<int>(epoch.begin(), epoch.end()).size(), 12u);
}

TEST(BatcherTest, EpochRemainderWrapsIntoTheNextEpoch) {
  DataSplit s = CountingSplit(10);
  MiniBatcher b(s, 1);
  Tensor x, y, labels;
  ASSERT_TRUE(b.NextBatch(4, &x, &y).ok());
  ASSERT_TRUE(b.NextBatch(4, &x, &y).ok());
  EXPECT_EQ(b.epochs_completed(), 0);
  ASSERT_TRUE(b.NextBatch(4, &x, &y, &labels).ok());  // 2 left in epoch 1 + 2 from epoch 2
  EXPECT_EQ(b.epochs_completed(), 1);
  EXPECT_EQ(x.dims(), (std::vector<int64_t>{4, 1}));
  for (int i = 0; i < 4; ++i) {
    int example = static_cast<int>(x.data<float>()[i]);
    EXPECT_EQ(labels.data<int64_t>()[i], example % 10);
    EXPECT_EQ(y.data<float>()[i * 10 + example % 10], 1.0f);
  }
}

TEST(BatcherTest, TutorialBatchesTakeConsecutiveRowsAtTheTutorialsOffsets) {
  DataSplit s = CountingSplit(10);
  // offset = (step * 3) % (10 - 3): 0, 3, 6, 2, 5, ...
  const int expected_first[] = {0, 3, 6, 2, 5};
  for (int step = 0; step < 5; ++step) {
    Tensor x, y, labels;
    ASSERT_TRUE(TutorialBatch(s, step, 3, &x, &y, &labels).ok());
    ASSERT_EQ(x.dims(), (std::vector<int64_t>{3, 1}));
    for (int i = 0; i < 3; ++i) {
      int example = expected_first[step] + i;
      EXPECT_EQ(x.data<float>()[i], static_cast<float>(example));
      EXPECT_EQ(labels.data<int64_t>()[i], example % 10);
      EXPECT_EQ(y.data<float>()[i * 10 + example % 10], 1.0f);
    }
  }
  Tensor x, y;
  EXPECT_FALSE(TutorialBatch(s, 0, 10, &x, &y, nullptr).ok());  // no room for an offset
}

TEST(BatcherTest, EmptySplitAndBadBatchAreErrors) {
  DataSplit empty = CountingSplit(0);
  MiniBatcher b(empty, 1);
  Tensor x, y;
  EXPECT_FALSE(b.NextBatch(4, &x, &y).ok());
  DataSplit s = CountingSplit(3);
  MiniBatcher c(s, 1);
  EXPECT_FALSE(c.NextBatch(0, &x, &y).ok());
}

}  // namespace
}  // namespace kiln::data
