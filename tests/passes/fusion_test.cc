// Elementwise fusion (passes/fusion.cc): which nodes share a cluster, which tensors a cluster must
// write, and the rules that keep a cluster correct where it runs (its last node's place): readers
// outside it, variable writes inside its span, cond branches. The fused kernels' values are checked
// in tests/runtime/executable_test.cc and tests/codegen/fused_clusters_test.cc.
#include "passes/fusion.h"

#include <algorithm>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using FusionTest = testing::GraphTest;

// The cluster holding `n`, or null.
const FusionCluster* ClusterOf(const std::vector<FusionCluster>& clusters, const Output& n) {
  for (const FusionCluster& c : clusters) {
    if (std::find(c.nodes.begin(), c.nodes.end(), n.node) != c.nodes.end()) return &c;
  }
  return nullptr;
}

TEST_F(FusionTest, BiasAddReluAndSquareBecomeOneClusterWritingOnlyItsResult) {
  auto x = placeholder(float32, {8, 5}, "x");
  auto b = placeholder(float32, {5}, "b");
  auto y = square(nn::relu(nn::bias_add(x, b)), "y");
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {y}});
  ASSERT_EQ(clusters.size(), 1u);
  const FusionCluster& c = clusters[0];
  EXPECT_EQ(c.nodes.size(), 3u);
  EXPECT_EQ(c.nodes.back(), y.node);
  ASSERT_EQ(c.inputs.size(), 2u);
  EXPECT_EQ(c.inputs[0], x);
  EXPECT_EQ(c.inputs[1], b);
  EXPECT_EQ(c.input_shapes[1], (std::vector<int64_t>{5}));  // broadcast along the rows
  EXPECT_EQ(c.shape, (std::vector<int64_t>{8, 5}));
  ASSERT_EQ(c.outputs.size(), 1u);  // the intermediates live only in registers
  EXPECT_EQ(c.outputs[0], y);
}

// BroadcastTo fuses with its shape operand left out of the cluster's inputs: the kernel reads the
// row broadcast, and the output's shape already says what the operand does.
TEST_F(FusionTest, BroadcastToJoinsAClusterWithoutItsShapeOperand) {
  auto x = placeholder(float32, {8, 5}, "x");
  auto row = placeholder(float32, {5}, "row");
  auto y = multiply(x, broadcast_to(row, constant(std::vector<int32_t>{8, 5})), "y");
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {y}});
  ASSERT_EQ(clusters.size(), 1u);
  EXPECT_EQ(clusters[0].nodes.size(), 2u);
  ASSERT_EQ(clusters[0].inputs.size(), 2u);
  EXPECT_EQ(clusters[0].inputs[0], row);
  EXPECT_EQ(clusters[0].input_shapes[0], (std::vector<int64_t>{5}));
  EXPECT_EQ(clusters[0].inputs[1], x);
}

TEST_F(FusionTest, IntermediatesReadOutsideOrFetchedAreWritten) {
  auto x = placeholder(float32, {4, 4}, "x");
  auto h = nn::relu(x, "h");
  auto y = exp(h, "y");
  auto z = matmul(h, h);  // reads h after y's cluster would end
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {y, z}});
  const FusionCluster* c = ClusterOf(clusters, h);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c, ClusterOf(clusters, y));
  EXPECT_EQ(c->outputs, (std::vector<Output>{h, y}));
}

TEST_F(FusionTest, AReaderBetweenTwoMembersKeepsThemApart) {
  // t = nn::tanh(x) is read by a MatMul built before u = t * 2: running {t, u} at u's place would give
  // the MatMul an unwritten t.
  auto x = placeholder(float32, {4, 4}, "x");
  auto t = nn::tanh(x, "t");
  auto m = matmul(t, t, false, false, "m");
  auto u = multiply(t, constant(2.0f), "u");
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {m, u}});
  ASSERT_NE(ClusterOf(clusters, t), nullptr);
  EXPECT_NE(ClusterOf(clusters, t), ClusterOf(clusters, u));
}

TEST_F(FusionTest, AVariableWriteInsideTheSpanKeepsTheReadBeforeIt) {
  auto x = placeholder(float32, {3}, "x");
  Variable v(zeros({3}), "v");
  auto before = multiply(v.value(), x, "before");  // reads v ahead of the update
  Output update = v.assign_add(x);
  auto after = exp(before, "after");  // would move the read of v past the update
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {after, update}});
  ASSERT_NE(ClusterOf(clusters, before), nullptr);
  EXPECT_NE(ClusterOf(clusters, before), ClusterOf(clusters, after));
}

TEST_F(FusionTest, NodesOfDifferentCondBranchesNeverShareACluster) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {6}, "x");
  Output in_true, in_false, merged_twice;
  auto y = cond(
      pred, [&] { return in_true = exp(x); }, [&] { return in_false = nn::tanh(x); });
  merged_twice = y * 2.0f;
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {merged_twice}});
  const FusionCluster* t = ClusterOf(clusters, in_true);
  const FusionCluster* f = ClusterOf(clusters, in_false);
  ASSERT_NE(t, nullptr);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(t, f);
  EXPECT_NE(t, ClusterOf(clusters, merged_twice));
}

TEST_F(FusionTest, ANodeThatCanBeDeadIsNotFusedWithALiveProducer) {
  // e = exp(x) always runs; y = e * s is dead when the Switch sends s the other way. One cluster
  // would have to be dead and live at once.
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {6}, "x");
  auto e = exp(x, "e");
  std::array<Output, 2> s = switch_(x, pred, "s");
  auto y = multiply(e, s[1], "y");
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {e, y}});
  ASSERT_NE(ClusterOf(clusters, e), nullptr);
  ASSERT_NE(ClusterOf(clusters, y), nullptr);
  EXPECT_NE(ClusterOf(clusters, e), ClusterOf(clusters, y));
}

TEST_F(FusionTest, DifferentShapesStatefulOpsAndIntegersStayOut) {
  auto x = placeholder(float32, {4, 3}, "x");
  auto row = placeholder(float32, {3}, "row");
  auto wide = x + row;                     // [4, 3]
  auto narrow = exp(row);                  // [3]: a different iteration shape
  auto sum = wide * narrow;                // narrow broadcasts in as an input
  auto n = placeholder(int32, {4}, "n");
  auto m = n * 2;                          // integer arithmetic stays on reference kernels
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {sum, m}});
  const FusionCluster* c = ClusterOf(clusters, sum);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c, ClusterOf(clusters, wide));
  EXPECT_NE(c, ClusterOf(clusters, narrow));
  EXPECT_NE(std::find(c->inputs.begin(), c->inputs.end(), narrow), c->inputs.end());
  EXPECT_EQ(ClusterOf(clusters, m), nullptr);
  EXPECT_FALSE(CanFuse(*m.node));
}

TEST_F(FusionTest, MaxNodesBoundsAClusterAndEveryNodeIsInExactlyOne) {
  auto x = placeholder(float32, {16}, "x");
  Output y = x;
  for (int i = 0; i < 10; ++i) y = nn::tanh(y);
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {y}, .max_nodes = 4});
  size_t total = 0;
  for (const FusionCluster& c : clusters) {
    EXPECT_LE(c.nodes.size(), 4u);
    total += c.nodes.size();
  }
  EXPECT_EQ(total, 10u);
  EXPECT_EQ(clusters.back().outputs, std::vector<Output>{y});
}

TEST_F(FusionTest, AMeanOverTheBatchJoinsTheClusterOfItsInputWhichIsNotWritten) {
  // The autoencoder's loss: 0.5 * sum(mean(square(data - out), axis 0)).
  auto data = placeholder(float32, {64, 16}, "data");
  auto out = nn::sigmoid(placeholder(float32, {64, 16}, "logits"));
  auto sq = square(data - out);
  auto mean = reduce_mean(sq, {0});
  auto loss = reduce_sum(mean) * 0.5f;
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {loss, out}});
  const FusionCluster* c = ClusterOf(clusters, sq);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c, ClusterOf(clusters, mean));
  EXPECT_EQ(c->nodes.back(), mean.node);
  EXPECT_EQ(c->shape, (std::vector<int64_t>{64, 16}));
  ASSERT_EQ(c->outputs.size(), 2u);  // out (fetched) and the mean; the squares stay in registers
  EXPECT_EQ(c->outputs[0], out);
  EXPECT_EQ(c->outputs[1], mean);
  EXPECT_EQ(c->column_sum_divisors, (std::vector<double>{0, 64}));
  EXPECT_TRUE(IsColumnReduction(*mean.node));
}

TEST_F(FusionTest, BiasGradientsAndSumsOverAllButTheLastDimAreColumnReductions) {
  auto x = placeholder(float32, {2, 3, 4, 5}, "x");
  auto dy = nn::relu(x);
  Output bias_grad = MakeOp("BiasAddGrad", {dy}, {{"T", DT_FLOAT}, {"data_format", std::string("NHWC")}});
  Output nchw_bias_grad = MakeOp("BiasAddGrad", {dy}, {{"T", DT_FLOAT}, {"data_format", std::string("NCHW")}});
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  EXPECT_TRUE(IsColumnReduction(*bias_grad.node));
  EXPECT_FALSE(IsColumnReduction(*nchw_bias_grad.node));  // keeps dim 1
  EXPECT_TRUE(IsColumnReduction(*reduce_sum(dy, {0, 1, 2}).node));
  EXPECT_TRUE(IsColumnReduction(*reduce_sum(dy, {-2, 0, 1}, /*keep_dims=*/true).node));
  EXPECT_FALSE(IsColumnReduction(*reduce_sum(dy, {0, 1}).node));     // a dim besides the last is kept
  EXPECT_FALSE(IsColumnReduction(*reduce_sum(dy, {1, 2, 3}).node));  // the last is reduced
  EXPECT_FALSE(IsColumnReduction(*reduce_sum(dy).node));
  EXPECT_FALSE(IsColumnReduction(*reduce_sum(placeholder(int32, {4, 5}), {0}).node));
}

TEST_F(FusionTest, NothingInAClusterReadsAColumnReduction) {
  auto x = placeholder(float32, {32, 8}, "x");
  auto y = nn::relu(x);
  auto total = reduce_sum(y, {0});  // [8]
  auto z = y * total;               // would need every row's sum before the first row's product
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {z}});
  EXPECT_EQ(ClusterOf(clusters, total), ClusterOf(clusters, y));
  EXPECT_NE(ClusterOf(clusters, z), ClusterOf(clusters, total));
}

TEST_F(FusionTest, AColumnReductionWhoseInputIsReadEarlierStaysOut) {
  // y's other reader comes between y and the sum: the cluster would run at the sum, too late for it.
  auto x = placeholder(float32, {32, 8}, "x");
  auto w = placeholder(float32, {8, 4}, "w");
  auto y = nn::relu(x);
  auto product = matmul(y, w);
  auto total = reduce_sum(y, {0});
  std::vector<FusionCluster> clusters = FindElementwiseClusters(g, {.fetches = {product, total}});
  EXPECT_EQ(ClusterOf(clusters, total), nullptr);
}

}  // namespace
}  // namespace kiln
