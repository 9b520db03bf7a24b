// Pad folding (passes/pad_folding.cc): which Pads and gradient Slices fold into the convolutions
// around them (padding EXPLICIT), which must not, and that the rewritten graph computes the same
// values as the original.
#include "passes/pad_folding.h"

#include "graph/builder/kiln.h"
#include "passes/gradients.h"
#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::CountOp;
using testing::ExpectSameTensors;
using testing::RunPass;
using testing::RunUnoptimized;
using testing::Ramp;
using testing::Values;

class PadFoldingTest : public testing::GraphTest {
 protected:
  Tensor Paddings(const std::vector<int32_t>& p) { return Tensor::FromVector<int32_t>(p, {4, 2}); }

  // Every convolution-family node of the graph, with its padding.
  std::vector<std::pair<std::string, std::vector<int64_t>>> Convolutions() {
    std::vector<std::pair<std::string, std::vector<int64_t>>> found;
    for (Node* n : g.nodes()) {
      if (n->op().rfind("Conv2D", 0) != 0) continue;
      EXPECT_EQ(n->attr<std::string>("padding"), "EXPLICIT") << n->name();
      found.emplace_back(n->op(), n->attr<std::vector<int64_t>>("explicit_paddings"));
    }
    return found;
  }
};

TEST_F(PadFoldingTest, PadThenValidConvolutionAndItsGradientsBecomeExplicitPadding) {
  // The CS231n ConvNet's tf.pad + VALID conv2d, with uneven padding and a stride of 2 down.
  auto x = placeholder(float32, {2, 7, 6, 3}, "x");
  auto w = placeholder(float32, {3, 3, 3, 4}, "w");
  auto y = nn::conv2d(pad(x, Paddings({0, 0, 2, 1, 1, 2, 0, 0})), w, {1, 2, 1, 1}, "VALID", "conv");
  auto loss = reduce_sum(square(y));
  auto grads = gradients(loss, {x, w});
  FeedDict feeds{{x, Ramp({2, 7, 6, 3}, 0.3)}, {w, Ramp({3, 3, 3, 4}, 0.1)}};
  std::vector<Tensor> before = RunUnoptimized(g, {y, grads[0], grads[1]}, feeds);
  ASSERT_EQ(CountOp(g, "Slice"), 1);
  PassContext run{.fetches = {y, grads[0], grads[1]}, .feeds = {x, w}};
  ASSERT_TRUE(RunPass("pad", g, run));
  EXPECT_EQ(CountOp(g, "Pad") + CountOp(g, "Slice"), 0);
  const std::vector<int64_t> pads = {0, 0, 2, 1, 1, 2, 0, 0};
  using Conv = std::pair<std::string, std::vector<int64_t>>;
  auto convs = Convolutions();
  EXPECT_EQ(convs.size(), 3u);
  for (const Conv& c : convs) EXPECT_EQ(c.second, pads) << c.first;
  EXPECT_EQ(g.FindNode("conv")->op(), "Conv2D");
  EXPECT_EQ(g.FindNode("conv")->input(0).node->name(), "x");
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds), 1e-5);
}

TEST_F(PadFoldingTest, SamePaddingIsAddedToThePadsAsTensorFlowSplitsIt) {
  // SAME with a 4-wide kernel pads 1 before and 2 after along the width.
  auto x = placeholder(float64, {1, 5, 6, 2}, "x");
  auto w = placeholder(float64, {3, 4, 2, 3}, "w");
  auto y = nn::conv2d(pad(x, Paddings({0, 0, 1, 0, 0, 3, 0, 0})), w, {1, 1, 1, 1}, "SAME");
  auto grads = gradients(reduce_sum(square(y)), {x, w});
  FeedDict feeds{{x, Ramp({1, 5, 6, 2}, 0.3, DT_DOUBLE)}, {w, Ramp({3, 4, 2, 3}, 0.1, DT_DOUBLE)}};
  std::vector<Tensor> before = RunUnoptimized(g, {y, grads[0], grads[1]}, feeds);
  PassContext run{.fetches = {y, grads[0], grads[1]}, .feeds = {x, w}};
  ASSERT_TRUE(RunPass("pad", g, run));
  EXPECT_EQ(CountOp(g, "Pad") + CountOp(g, "Slice"), 0);
  for (const auto& c : Convolutions()) {
    EXPECT_EQ(c.second, (std::vector<int64_t>{0, 0, 2, 1, 1, 5, 0, 0})) << c.first;
  }
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds), 1e-12);
}

TEST_F(PadFoldingTest, AFetchedPadStaysWhileTheConvolutionReadsAroundIt) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 2}, "w");
  auto padded = pad(x, Paddings({0, 0, 1, 1, 1, 1, 0, 0}), "padded");
  auto y = nn::conv2d(padded, w, {1, 1, 1, 1}, "VALID");
  FeedDict feeds{{x, Ramp({1, 4, 4, 1}, 0.5)}, {w, Ramp({2, 2, 1, 2}, 0.2)}};
  std::vector<Tensor> before = RunUnoptimized(g, {padded, y}, feeds);
  PassContext run{.fetches = {padded, y}, .feeds = {x, w}};
  ASSERT_TRUE(RunPass("pad", g, run));
  EXPECT_EQ(CountOp(g, "Pad"), 1);
  EXPECT_EQ(run.fetches[1].node->input(0).node->name(), "x");
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(PadFoldingTest, ChannelPaddingIsLeftAlone) {
  // Padding the channels changes what the filter multiplies: no convolution padding does that.
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 2, 2}, "w");
  auto y = nn::conv2d(pad(x, Paddings({0, 0, 0, 0, 0, 0, 0, 1})), w, {1, 1, 1, 1}, "VALID");
  PassContext run{.fetches = {y}, .feeds = {x, w}};
  EXPECT_FALSE(RunPass("pad", g, run));
  EXPECT_EQ(CountOp(g, "Pad"), 1);
}

TEST_F(PadFoldingTest, AFetchedGradientOfThePaddedInputKeepsItsSlice) {
  // The padded input's whole gradient is wanted, so the Slice of it has to stay.
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 2}, "w");
  auto padded = pad(x, Paddings({0, 0, 1, 1, 1, 1, 0, 0}));
  auto grads = gradients(reduce_sum(nn::conv2d(padded, w, {1, 1, 1, 1}, "VALID")), {x, padded});
  FeedDict feeds{{x, Ramp({1, 4, 4, 1}, 0.5)}, {w, Ramp({2, 2, 1, 2}, 0.2)}};
  std::vector<Tensor> before = RunUnoptimized(g, {grads[0], grads[1]}, feeds);
  PassContext run{.fetches = {grads[0], grads[1]}, .feeds = {x, w}};
  RunPass("pad", g, run);  // the forward convolution may fold; nothing here fetches it
  EXPECT_EQ(CountOp(g, "Slice"), 1);
  EXPECT_EQ(CountOp(g, "Conv2DBackpropInput"), 1);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

}  // namespace
}  // namespace kiln
