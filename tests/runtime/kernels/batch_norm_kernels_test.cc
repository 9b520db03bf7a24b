// The batch-norm library kernels (runtime/kernels/batch_norm_kernels.cc) against the reference
// kernels of FusedBatchNormV3 and FusedBatchNormGradV3: training and inference, the blend of the
// moving statistics (exponential_avg_factor), odd shapes, float and double, and more threads than
// rows. Every output is fetched and compared (y, batch_mean, batch_variance and the reserve spaces;
// dx, dscale, doffset). Each case first checks that the library kernel accepts the node, so that a
// match is not just the reference kernel agreeing with itself.
#include <gtest/gtest.h>

#include <random>

#include "graph/builder/kiln.h"
#include "tests/testing/library_kernel_testing.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectLibraryMatchesReference;
using testing::LibraryKernelCovers;

// The kernels compute the reference's formulas in the same precision; only the order of the double
// sums differs (per chunk, then across chunks), so a float result is at most one rounding away.
double Tolerance(DataType dtype) { return dtype == DT_FLOAT ? 2e-7 : 1e-12; }

std::string Describe(const std::vector<int64_t>& dims, bool training, int threads) {
  return Shape(dims).ToString() + (training ? " training" : " inference") + " with " + std::to_string(threads) +
         " threads";
}

class BatchNormKernelsTest : public testing::GraphTest {
 protected:
  // uniform(lo, hi) values; activations get an offset so that the mean is not near zero.
  Tensor Random(const std::vector<int64_t>& dims, DataType dtype, double lo, double hi) {
    std::vector<double> v(Shape(dims).num_elements());
    std::uniform_real_distribution<double> u(lo, hi);
    for (double& x : v) x = u(rng_);
    return testing::Values(v, dims, dtype);
  }

  // FusedBatchNormV3 of a random x; in inference, or in training with factor != 1, the moving
  // mean and variance are fed, otherwise they are empty as tf.layers passes them in training.
  // `relu`: _FusedBatchNormEx, the batch norm with its ReLU.
  void CheckForward(std::vector<int64_t> dims, bool training, DataType dtype, int threads, float factor = 1.0f,
                    bool relu = false) {
    Graph graph;
    DefaultGraphGuard guard(graph);
    const int64_t c = dims[3];
    bool moving = !training || factor != 1.0f;
    std::vector<int64_t> stat_dims = {moving ? c : 0};
    auto x = placeholder(dtype, Shape(dims), "x");
    auto scale = placeholder(dtype, Shape({c}), "scale");
    auto offset = placeholder(dtype, Shape({c}), "offset");
    auto mean = placeholder(dtype, Shape(stat_dims), "mean");
    auto variance = placeholder(dtype, Shape(stat_dims), "variance");
    AttrMap attrs = {{"epsilon", 0.001f}, {"is_training", training}, {"exponential_avg_factor", factor}};
    if (relu) attrs["activation_mode"] = std::string("Relu");
    const std::string op = relu ? "_FusedBatchNormEx" : "FusedBatchNormV3";
    auto y = MakeOp(op, {x, scale, offset, mean, variance}, attrs);
    SCOPED_TRACE(op + " of " + Describe(dims, training, threads) + " factor " + std::to_string(factor));
    ASSERT_TRUE(LibraryKernelCovers(*y.node, threads));
    std::vector<Output> fetches;
    for (int i = 0; i < 6; ++i) fetches.push_back(Output(y.node, i));
    ExpectLibraryMatchesReference(graph, fetches,
                                  {{x, Random(dims, dtype, -0.75, 1.25)},
                                   {scale, Random({c}, dtype, 0.5, 1.5)},
                                   {offset, Random({c}, dtype, -0.5, 0.5)},
                                   {mean, Random(stat_dims, dtype, -0.5, 0.5)},
                                   {variance, Random(stat_dims, dtype, 0.25, 1.5)}},
                                  threads, Tolerance(dtype));
  }

  // FusedBatchNormGradV3 of random dy and x with a given mean and (biased) variance, as the reserve
  // spaces of a training forward pass or the moving statistics at inference carry them.
  // `relu`: _FusedBatchNormGradEx, whose dy counts only where the fed activation y is positive.
  void CheckGrad(std::vector<int64_t> dims, bool training, DataType dtype, int threads, bool relu = false) {
    Graph graph;
    DefaultGraphGuard guard(graph);
    const int64_t c = dims[3];
    auto dy = placeholder(dtype, Shape(dims), "dy");
    auto x = placeholder(dtype, Shape(dims), "x");
    auto scale = placeholder(dtype, Shape({c}), "scale");
    auto mean = placeholder(dtype, Shape({c}), "mean");
    auto variance = placeholder(dtype, Shape({c}), "variance");
    auto reserve = constant(Tensor(dtype, {0}));
    auto y = placeholder(dtype, Shape(dims), "y");
    AttrMap attrs = {{"epsilon", 0.001f}, {"is_training", training}};
    std::vector<Output> inputs = {dy, x, scale, mean, variance, reserve};
    if (relu) {
      attrs["activation_mode"] = std::string("Relu");
      inputs.push_back(scale);  // the offset, which the kernels do not read
      inputs.push_back(y);
    }
    const std::string op = relu ? "_FusedBatchNormGradEx" : "FusedBatchNormGradV3";
    auto dx = MakeOp(op, inputs, attrs);
    SCOPED_TRACE(op + " of " + Describe(dims, training, threads));
    ASSERT_TRUE(LibraryKernelCovers(*dx.node, threads));
    std::vector<Output> fetches;
    for (int i = 0; i < 5; ++i) fetches.push_back(Output(dx.node, i));
    ExpectLibraryMatchesReference(graph, fetches,
                                  {{dy, Random(dims, dtype, -1.0, 1.2)},
                                   {x, Random(dims, dtype, -0.75, 1.25)},
                                   {scale, Random({c}, dtype, 0.5, 1.5)},
                                   {mean, Random({c}, dtype, 0.0, 0.5)},
                                   {variance, Random({c}, dtype, 0.25, 0.5)},
                                   {y, Random(dims, dtype, -1.0, 1.0)}},
                                  threads, Tolerance(dtype));
  }

  std::mt19937 rng_{23};
};

TEST_F(BatchNormKernelsTest, TrainingForwardMatchesReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    CheckForward({8, 16, 16, 32}, true, dtype, 4);  // a conv activation, split in four
    CheckForward({5, 31, 29, 19}, true, dtype, 3);  // odd sizes, uneven chunks
    CheckForward({2, 3, 5, 7}, true, dtype, 2);     // too small to split
  }
}

TEST_F(BatchNormKernelsTest, TrainingForwardBlendsMovingStatisticsAsReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    CheckForward({8, 17, 13, 29}, true, dtype, 3, 0.3f);
    CheckForward({1, 1, 1, 5}, true, dtype, 2, 0.5f);  // one row: no Bessel correction
  }
}

TEST_F(BatchNormKernelsTest, InferenceForwardMatchesReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    CheckForward({8, 16, 16, 32}, false, dtype, 4);
    CheckForward({3, 7, 11, 13}, false, dtype, 2);
  }
}

TEST_F(BatchNormKernelsTest, GradMatchesReferenceInTrainingAndInference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (bool training : {true, false}) {
      CheckGrad({8, 16, 16, 32}, training, dtype, 4);
      CheckGrad({5, 31, 29, 19}, training, dtype, 3);
      CheckGrad({2, 3, 5, 7}, training, dtype, 2);
    }
  }
}

TEST_F(BatchNormKernelsTest, WithReluForwardAndGradMatchReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (bool training : {true, false}) {
      CheckForward({8, 16, 16, 32}, training, dtype, 4, 1.0f, true);
      CheckForward({5, 9, 7, 4}, training, dtype, 3, 1.0f, true);  // conv_bn's first layer's 4 channels
      CheckGrad({8, 16, 16, 32}, training, dtype, 4, true);
      CheckGrad({5, 9, 7, 4}, training, dtype, 3, true);
    }
  }
}

TEST_F(BatchNormKernelsTest, FewChannelsWalkedInLaneBlocksMatchReference) {
  // The conv_bn seed's 4 to 20 channels, and counts that are no divisor of 8 (3, 7) or just under a
  // block (63): rows are walked in blocks of several whole rows, with a short last block per chunk.
  for (int64_t c : {3, 4, 7, 12, 20, 63}) {
    for (bool training : {true, false}) {
      CheckForward({16, 27, 29, c}, training, DT_FLOAT, 3);  // 2 or 3 chunks
      CheckGrad({16, 27, 29, c}, training, DT_FLOAT, 3);
      CheckForward({3, 5, 7, c}, training, DT_DOUBLE, 2);
      CheckGrad({3, 5, 7, c}, training, DT_DOUBLE, 2);
    }
  }
}

TEST_F(BatchNormKernelsTest, MoreThreadsThanRowsMatchesReference) {
  for (bool training : {true, false}) {
    CheckForward({1, 1, 3, 20011}, training, DT_FLOAT, 8);  // three rows, each a chunk of its own
    CheckGrad({1, 3, 1, 20011}, training, DT_FLOAT, 8);
    CheckForward({1, 2, 2, 3}, training, DT_DOUBLE, 16);
    CheckGrad({1, 2, 1, 3}, training, DT_DOUBLE, 16);
  }
}

TEST_F(BatchNormKernelsTest, EmptyBatchStaysOnTheReferenceKernel) {
  auto x = placeholder(DT_FLOAT, Shape({0, 4, 4, 3}), "x");
  auto scale = constant(Tensor(DT_FLOAT, {3}));
  auto empty = constant(Tensor(DT_FLOAT, {0}));
  auto y = MakeOp("FusedBatchNormV3", {x, scale, scale, empty, empty}, {{"is_training", true}});
  EXPECT_FALSE(LibraryKernelCovers(*y.node, 2));  // the reference kernel reports the empty batch
}

}  // namespace
}  // namespace kiln
