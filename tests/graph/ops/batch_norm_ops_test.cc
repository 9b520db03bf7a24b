// FusedBatchNormV3 / FusedBatchNormGradV3, SquaredDifference, nn::moments, nn::batch_normalization
// and nn::dropout: hand values, agreement between the fused op and the composite TF builds for
// rank-2 inputs, and central-difference gradients.
#include "graph/ops/nn_ops.h"

#include <cmath>

#include "passes/gradients.h"
#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectSameTensors;
using testing::RunUnoptimized;
using testing::ExpectValues;
using testing::kGradTolerance;
using testing::MaxGradientError;
using testing::ToDoubles;
using testing::Values;
using testing::Wavy;

class BatchNormOpsTest : public testing::GraphTest {};

// x [2,1,1,2]: channel 0 holds {1, 3} (mean 2, variance 1), channel 1 {10, 30} (mean 20, var 100).
Tensor SmallBatch(DataType dtype = DT_FLOAT) { return Values({1, 10, 3, 30}, {2, 1, 1, 2}, dtype); }

TEST_F(BatchNormOpsTest, TrainingNormalizesEachChannelWithBatchStatistics) {
  auto x = placeholder(DT_FLOAT, {-1, 1, 1, 2}, "x");
  auto scale = constant(std::vector<float>{1, 2}, {2});
  auto offset = constant(std::vector<float>{0, 5}, {2});
  auto empty = constant(std::vector<float>{}, {0});
  auto [y, mean, variance] = nn::fused_batch_norm(x, scale, offset, empty, empty, 0.0, true);
  Session sess(g);
  auto r = sess.run({y, mean, variance, Output(y.node, 3), Output(y.node, 4)}, {{x, SmallBatch()}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValues((*r)[0], {2, 1, 1, 2}, {-1, 5 - 2, 1, 5 + 2});
  ExpectValues((*r)[1], {2}, {2, 20});
  ExpectValues((*r)[2], {2}, {2, 200});  // unbiased: n / (n - 1) = 2
  ExpectValues((*r)[3], {2}, {2, 20});
  ExpectValues((*r)[4], {2}, {1, 100});  // reserve_space_2 keeps the biased variance
}

TEST_F(BatchNormOpsTest, InferenceUsesTheGivenMeanAndVariance) {
  auto x = placeholder(DT_FLOAT, {-1, 1, 1, 2}, "x");
  auto ones = constant(std::vector<float>{1, 1}, {2});
  auto zeros = constant(std::vector<float>{0, 0}, {2});
  auto mean = constant(std::vector<float>{1, 0}, {2});
  auto variance = constant(std::vector<float>{4, 25}, {2});
  auto [y, m, v] = nn::fused_batch_norm(x, ones, zeros, mean, variance, 0.0, false);
  ExpectValues(Eval(y, {{x, SmallBatch()}}), {2, 1, 1, 2}, {0, 2, 1, 6});
  ExpectValues(Eval(m, {{x, SmallBatch()}}), {2}, {1, 0});
}

TEST_F(BatchNormOpsTest, ScaleOfTheWrongSizeIsAShapeError) {
  auto x = placeholder(DT_FLOAT, {-1, 4, 4, 3}, "x");
  auto bad = constant(std::vector<float>{1, 1}, {2});
  nn::fused_batch_norm(x, bad, bad, bad, bad);
  EXPECT_NE(g.build_status().message().find("FusedBatchNormV3"), std::string::npos) << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("[?,4,4,3]"), std::string::npos) << g.build_status().message();
}

TEST_F(BatchNormOpsTest, TrainingGradientMatchesCentralDifferences) {
  auto x = placeholder(DT_DOUBLE, {3, 2, 1, 2}, "x");
  auto scale = placeholder(DT_DOUBLE, {2}, "scale");
  auto offset = placeholder(DT_DOUBLE, {2}, "offset");
  auto empty = constant(Tensor(DT_DOUBLE, {0}));
  auto [y, m, v] = nn::fused_batch_norm(x, scale, offset, empty, empty, 0.001, true);
  // Weight the outputs so the gradient is not trivially zero (sum of a normalized batch is constant).
  auto w = constant(Values({1, -2, 3, 0.5, -1, 2, 0.25, 4, -3, 1, 2, -0.5}, {3, 2, 1, 2}, DT_DOUBLE));
  Tensor xv = Values({0.1, 2, -1, 3, 0.7, -2, 1.5, 0.3, -0.4, 1.1, 2.2, -0.9}, {3, 2, 1, 2}, DT_DOUBLE);
  EXPECT_LE(MaxGradientError(y * w, {x, scale, offset},
                             {xv, Values({1.5, 0.5}, {2}, DT_DOUBLE), Values({0.1, -0.2}, {2}, DT_DOUBLE)}),
            kGradTolerance);
}

TEST_F(BatchNormOpsTest, InferenceGradientMatchesCentralDifferences) {
  auto x = placeholder(DT_DOUBLE, {2, 1, 2, 2}, "x");
  auto scale = placeholder(DT_DOUBLE, {2}, "scale");
  auto offset = placeholder(DT_DOUBLE, {2}, "offset");
  auto mean = constant(Values({0.5, -1}, {2}, DT_DOUBLE));
  auto variance = constant(Values({2, 0.5}, {2}, DT_DOUBLE));
  auto [y, m, v] = nn::fused_batch_norm(x, scale, offset, mean, variance, 0.001, false);
  Tensor xv = Values({0.1, 2, -1, 3, 0.7, -2, 1.5, 0.3}, {2, 1, 2, 2}, DT_DOUBLE);
  EXPECT_LE(MaxGradientError(y * y, {x, scale, offset},
                             {xv, Values({1.5, 0.5}, {2}, DT_DOUBLE), Values({0.1, -0.2}, {2}, DT_DOUBLE)}),
            kGradTolerance);
}

TEST_F(BatchNormOpsTest, FusedAndCompositeBatchNormAgreeInValueAndGradient) {
  auto x = placeholder(DT_DOUBLE, {4, 3}, "x");
  auto scale = constant(Values({1.5, 0.5, 2}, {3}, DT_DOUBLE));
  auto offset = constant(Values({0.1, -0.2, 0.3}, {3}, DT_DOUBLE));
  auto [mean, variance] = nn::moments(x, {0});
  const double eps = 1.0 / 1024;  // exact as the fused op's float attr and as a double
  Output composite = nn::batch_normalization(x, mean, variance, offset, scale, eps);
  auto empty = constant(Tensor(DT_DOUBLE, {0}));
  Output fused = reshape(nn::fused_batch_norm(reshape(x, {-1, 1, 1, 3}), scale, offset, empty, empty, eps)[0], {-1, 3});
  auto w = constant(Values({1, -2, 3, 0.5, -1, 2, 0.25, 4, -3, 1, 2, -0.5}, {4, 3}, DT_DOUBLE));
  Output dc = gradients(reduce_sum(composite * w), {x})[0];
  Output df = gradients(reduce_sum(fused * w), {x})[0];
  FeedDict feeds = {{x, Values({0.1, 2, -1, 3, 0.7, -2, 1.5, 0.3, -0.4, 1.1, 2.2, -0.9}, {4, 3}, DT_DOUBLE)}};
  std::vector<double> c = ToDoubles(Eval(composite, feeds)), f = ToDoubles(Eval(fused, feeds));
  std::vector<double> gc = ToDoubles(Eval(dc, feeds)), gf = ToDoubles(Eval(df, feeds));
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_NEAR(c[i], f[i], 1e-12);
    EXPECT_NEAR(gc[i], gf[i], 1e-12);
  }
}

TEST_F(BatchNormOpsTest, FusedBatchNormExIsTheReluOfTheBatchNorm) {
  // The fused op against the two ops it replaces, every output, in training and inference (run
  // without graph passes, which would fuse the pair being compared against).
  const std::vector<int64_t> dims = {3, 4, 5, 6};
  auto x = placeholder(DT_FLOAT, Shape(dims), "x");
  auto scale = constant(Wavy({6}, 1.0, 1.5));
  auto offset = constant(Wavy({6}, 2.0));
  auto mean = constant(Wavy({6}, 3.0));
  auto variance = constant(Wavy({6}, 4.0, 1.5));
  for (bool training : {true, false}) {
    AttrMap attrs = {{"epsilon", 0.001f}, {"is_training", training}};
    Output bn = MakeOp("FusedBatchNormV3", std::vector<Output>{x, scale, offset, mean, variance}, attrs);
    attrs["activation_mode"] = std::string("Relu");
    Output fused = MakeOp("_FusedBatchNormEx", std::vector<Output>{x, scale, offset, mean, variance}, attrs);
    std::vector<Output> expected = {nn::relu(bn)}, actual = {fused};
    for (int i = 1; i < 5; ++i) {
      expected.push_back(Output(bn.node, i));
      actual.push_back(Output(fused.node, i));
    }
    FeedDict feeds = {{x, Wavy(dims, 0.0)}};
    ExpectSameTensors(RunUnoptimized(g, expected, feeds), RunUnoptimized(g, actual, feeds));
  }
}

TEST_F(BatchNormOpsTest, FusedBatchNormGradExIsTheBatchNormGradientOfTheReluGradient) {
  const std::vector<int64_t> dims = {2, 3, 4, 5};
  auto dy = placeholder(DT_FLOAT, Shape(dims), "dy");
  auto x = placeholder(DT_FLOAT, Shape(dims), "x");
  auto scale = constant(Wavy({5}, 1.0, 1.5));
  auto offset = constant(Wavy({5}, 2.0));
  auto empty = constant(std::vector<float>{}, {0});
  for (bool training : {true, false}) {
    auto mean = training ? empty : constant(Wavy({5}, 3.0));
    auto variance = training ? empty : constant(Wavy({5}, 4.0, 1.5));
    AttrMap attrs = {{"epsilon", 0.001f}, {"is_training", training}, {"activation_mode", std::string("Relu")}};
    Output y = MakeOp("_FusedBatchNormEx", std::vector<Output>{x, scale, offset, mean, variance}, attrs);
    attrs.erase("activation_mode");
    std::vector<Output> stats = {Output(y.node, 3), Output(y.node, 4), Output(y.node, 5)};
    if (!training) stats = {mean, variance, Output(y.node, 5)};
    Output grad = MakeOp("FusedBatchNormGradV3",
                         std::vector<Output>{MakeOp("ReluGrad", {dy, y}, {}), x, scale, stats[0], stats[1], stats[2]}, attrs);
    attrs["activation_mode"] = std::string("Relu");
    Output fused = MakeOp("_FusedBatchNormGradEx",
                          std::vector<Output>{dy, x, scale, stats[0], stats[1], stats[2], offset, y}, attrs);
    FeedDict feeds = {{dy, Wavy(dims, 5.0)}, {x, Wavy(dims, 0.0)}};
    std::vector<Output> expected, actual;
    for (int i = 0; i < 3; ++i) {
      expected.push_back(Output(grad.node, i));
      actual.push_back(Output(fused.node, i));
    }
    ExpectSameTensors(RunUnoptimized(g, expected, feeds), RunUnoptimized(g, actual, feeds));
  }
}

TEST_F(BatchNormOpsTest, FusedBatchNormExWithAnotherActivationIsABuildError) {
  auto x = placeholder(DT_FLOAT, {1, 2, 2, 3}, "x");
  auto c = constant(std::vector<float>{1, 1, 1}, {3});
  MakeOp("_FusedBatchNormEx", {x, c, c, c, c}, {{"activation_mode", std::string("Elu")}}, "bn_elu");
  EXPECT_NE(g.build_status().message().find("activation_mode Relu only, got Elu"), std::string::npos)
      << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("bn_elu"), std::string::npos) << g.build_status().message();
}

TEST_F(BatchNormOpsTest, MomentsGiveMeanAndBiasedVariance) {
  auto x = placeholder(DT_FLOAT, {2, 2}, "x");
  auto [mean, variance] = nn::moments(x, {0});
  FeedDict feeds = {{x, Values({1, 10, 3, 30}, {2, 2})}};
  ExpectValues(Eval(mean, feeds), {2}, {2, 20});
  ExpectValues(Eval(variance, feeds), {2}, {1, 100});
}

TEST_F(BatchNormOpsTest, SquaredDifferenceBroadcastsAndDifferentiates) {
  auto x = placeholder(DT_DOUBLE, {2, 3}, "x");
  auto y = placeholder(DT_DOUBLE, {3}, "y");
  Tensor xv = Values({1, 2, 3, 4, 5, 6}, {2, 3}, DT_DOUBLE), yv = Values({1, 0, -1}, {3}, DT_DOUBLE);
  ExpectValues(Eval(squared_difference(x, y), {{x, xv}, {y, yv}}), {2, 3}, {0, 4, 16, 9, 25, 49});
  EXPECT_LE(MaxGradientError(squared_difference(x, y), {x, y}, {xv, yv}), kGradTolerance);
}

TEST_F(BatchNormOpsTest, DropoutZeroesOrScalesEveryElement) {
  auto x = placeholder(DT_FLOAT, {-1, 1000}, "x");
  Output y = nn::dropout(x, 0.25, 7);
  std::vector<double> ones(4000, 1.0);
  FeedDict feeds = {{x, Values(ones, {4, 1000})}};
  Session sess(g);
  std::vector<double> first = ToDoubles(*sess.run(y, feeds)), second = ToDoubles(*sess.run(y, feeds));
  int kept = 0;
  for (double v : first) {
    EXPECT_TRUE(v == 0.0 || std::abs(v - 1.0 / 0.75) < 1e-6) << v;
    kept += v != 0.0;
  }
  EXPECT_NEAR(kept / 4000.0, 0.75, 0.03);
  EXPECT_NE(first, second) << "each run draws a new mask";
}

TEST_F(BatchNormOpsTest, DropoutIsReproducibleForAGraphSeed) {
  auto run_once = [] {
    Graph graph;
    auto guard = as_default(graph);
    set_random_seed(3);
    auto x = placeholder(DT_FLOAT, {2, 50}, "x");
    Output y = nn::dropout(x, 0.5);
    std::vector<double> ones(100, 1.0);
    return ToDoubles(Eval(y, {{x, Values(ones, {2, 50})}}));
  };
  EXPECT_EQ(run_once(), run_once());
}

TEST_F(BatchNormOpsTest, DropoutRateOutOfRangeIsABuildError) {
  auto x = placeholder(DT_FLOAT, {2}, "x");
  EXPECT_FALSE(nn::dropout(x, 1.0));
  EXPECT_NE(g.build_status().message().find("dropout rate must be in [0, 1)"), std::string::npos);
}

TEST_F(BatchNormOpsTest, DropoutGradientIsTheSameMask) {
  auto x = placeholder(DT_FLOAT, {3, 40}, "x");
  Output y = nn::dropout(x, 0.5, 11);
  Output dx = gradients(reduce_sum(y), {x})[0];
  std::vector<double> ones(120, 1.0);
  Session sess(g);
  auto r = sess.run({y, dx}, {{x, Values(ones, {3, 40})}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToDoubles((*r)[0]), ToDoubles((*r)[1]));  // y = x * mask * 2 with x = 1, and dy/dx = mask * 2
}

}  // namespace
}  // namespace kiln
