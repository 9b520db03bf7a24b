// Initializers (their statistics follow TF's formulas) and tf.layers-style dense/flatten.
#include "graph/builder/layers.h"

#include <cmath>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectValues;
using testing::ToDoubles;
using testing::Values;
using LayersTest = testing::GraphTest;

std::pair<double, double> MeanStd(const std::vector<double>& v) {
  double s = 0, q = 0;
  for (double x : v) { s += x; q += x * x; }
  double m = s / v.size();
  return {m, std::sqrt(q / v.size() - m * m)};
}

TEST_F(LayersTest, FansFollowTensorFlow) {
  EXPECT_EQ(ComputeFans({784, 256}), (std::pair<double, double>{784, 256}));
  EXPECT_EQ(ComputeFans({3, 3, 16, 32}), (std::pair<double, double>{144, 288}));  // receptive field 9
}

TEST_F(LayersTest, InitializersHaveTheirVariances) {
  set_random_seed(3);
  Output glorot = glorot_uniform_initializer()({400, 600}, DT_FLOAT);
  Output he = he_normal()({500, 300}, DT_FLOAT);
  Output avg = variance_scaling_initializer(2.0, "fan_avg", "untruncated_normal")({300, 500}, DT_FLOAT);
  Output c = constant_initializer(0.5)({2, 2}, DT_FLOAT);
  Session sess(g);
  auto [gm, gs] = MeanStd(ToDoubles(sess.run(glorot).value()));
  EXPECT_NEAR(gm, 0, 0.002);
  EXPECT_NEAR(gs, std::sqrt(2.0 / 1000), 0.001);  // uniform(+-sqrt(6/(in+out)))
  auto [hm, hs] = MeanStd(ToDoubles(sess.run(he).value()));
  EXPECT_NEAR(hs, std::sqrt(2.0 / 500), 0.001);  // truncated normal rescaled to the target variance
  auto [am, as] = MeanStd(ToDoubles(sess.run(avg).value()));
  EXPECT_NEAR(as, std::sqrt(2.0 / 400), 0.001);
  ExpectValues(sess.run(c).value(), {2, 2}, {0.5, 0.5, 0.5, 0.5});
}

TEST_F(LayersTest, BadVarianceScalingModeIsAnError) {
  EXPECT_FALSE(variance_scaling_initializer(1.0, "fan_sideways")({2, 2}, DT_FLOAT));
  EXPECT_FALSE(g.build_status().ok());
}

TEST_F(LayersTest, DenseCreatesTfNamedVariablesAndComputes) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Output h = layers::dense(x, 2, {.activation = nn::relu, .kernel_initializer = constant_initializer(0.5),
                                  .bias_initializer = constant_initializer(-1.0)});
  Output h2 = layers::dense(h, 4, {.use_bias = false});
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  EXPECT_NE(g.FindNode("dense/kernel"), nullptr);
  EXPECT_NE(g.FindNode("dense/bias"), nullptr);
  EXPECT_NE(g.FindNode("dense_1/kernel"), nullptr);
  EXPECT_EQ(g.FindNode("dense_1/bias"), nullptr);
  EXPECT_EQ(h2.shape().ToString(), "[?,4]");
  EXPECT_EQ(trainable_variables().size(), 3u);
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  // relu(0.5 * sum(x) - 1): [1,2,3] -> 2, [0,0,1] -> 0
  ExpectValues(sess.run(h, {{x, Values({1, 2, 3, 0, 0, 1}, {2, 3})}}).value(), {2, 2}, {2, 2, 0, 0});
}

TEST_F(LayersTest, DenseKernelRegularizerIsCollected) {
  auto x = placeholder(float32, {-1, 3}, "x");
  layers::dense(x, 2, {.kernel_initializer = ones_initializer(), .kernel_regularizer = layers::l2_regularizer(0.1)});
  const auto& losses = g.GetCollection(GraphKeys::REGULARIZATION_LOSSES);
  ASSERT_EQ(losses.size(), 1u);
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ExpectValues(sess.run(Output(losses[0], 0)).value(), {}, {0.1 * 6 / 2});
}

TEST_F(LayersTest, DenseNeedsAKnownLastDimension) {
  auto x = placeholder(float32, {-1, -1}, "x");
  EXPECT_FALSE(layers::dense(x, 2));
  EXPECT_NE(g.build_status().message().find("last dimension of the inputs to `dense` should be defined"), std::string::npos);
}

TEST_F(LayersTest, FlattenKeepsTheBatchDimension) {
  auto x = placeholder(float32, {-1, 28, 28, 1}, "x");
  EXPECT_EQ(layers::flatten(x).shape().ToString(), "[?,784]");
}

}  // namespace
}  // namespace kiln
