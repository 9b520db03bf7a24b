// Epilogue fusion (passes/conv_epilogue.cc): which Conv2D -> bias -> Relu chains become one
// _FusedConv2D, which must not, and that the rewritten graph (a training step's included) computes
// the same values.
#include "passes/conv_epilogue.h"

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

using ConvEpilogueTest = testing::GraphTest;

TEST_F(ConvEpilogueTest, ConvBiasAddReluBecomesOneFusedConvKeepingTheReluName) {
  auto x = placeholder(float32, {2, 6, 6, 3}, "x");
  auto w = placeholder(float32, {3, 3, 3, 4}, "w");
  auto b = placeholder(float32, {4}, "b");
  auto y = nn::relu(nn::bias_add(nn::conv2d(x, w, {1, 1, 1, 1}, "SAME"), b), "act");
  auto z = reduce_sum(y);
  FeedDict feeds{{x, Ramp({2, 6, 6, 3}, 0.3)}, {w, Ramp({3, 3, 3, 4}, 0.1)}, {b, Values({0.5, -0.5, 0, 1}, {4})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y, z}, feeds);
  PassContext run{.fetches = {y, z}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedConv2D"), 1);
  EXPECT_EQ(CountOp(g, "Conv2D") + CountOp(g, "BiasAdd") + CountOp(g, "Relu"), 0);
  Node* fused = g.FindNode("act");
  ASSERT_NE(fused, nullptr);
  EXPECT_EQ(fused->op(), "_FusedConv2D");
  EXPECT_EQ(fused->attr<std::vector<std::string>>("fused_ops"), (std::vector<std::string>{"BiasAdd", "Relu"}));
  EXPECT_EQ(run.fetches[0].node, fused);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(ConvEpilogueTest, AnAddOfAPerChannelVectorIsABiasToo) {
  // The CS231n barebones net writes conv + b.
  auto x = placeholder(float32, {1, 5, 5, 2}, "x");
  auto w = placeholder(float32, {3, 3, 2, 3}, "w");
  auto b = placeholder(float32, {3}, "b");
  auto y = b + nn::conv2d(x, w, {1, 1, 1, 1}, "VALID");
  FeedDict feeds{{x, Ramp({1, 5, 5, 2}, 0.2)}, {w, Ramp({3, 3, 2, 3}, 0.1)}, {b, Values({1, 2, 3}, {3})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
  PassContext run{.fetches = {y}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("epilogue", g, run));
  ASSERT_EQ(CountOp(g, "_FusedConv2D"), 1);
  EXPECT_EQ(run.fetches[0].node->attr<std::vector<std::string>>("fused_ops"), (std::vector<std::string>{"BiasAdd"}));
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(ConvEpilogueTest, ValuesWithOtherReadersOrFetchedInTheMiddleStayUnfused) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 2}, "w");
  auto b = placeholder(float32, {2}, "b");
  auto conv_read_twice = nn::conv2d(x, w, {1, 1, 1, 1}, "SAME");
  auto y1 = nn::relu(nn::bias_add(conv_read_twice, b)) + conv_read_twice;  // the conv has two readers
  auto fetched_conv = nn::conv2d(x, w, {1, 2, 2, 1}, "SAME");
  auto y2 = nn::relu(nn::bias_add(fetched_conv, b));                          // the conv itself is fetched
  auto not_a_bias = nn::conv2d(x, w, {1, 1, 1, 1}, "VALID") + x;              // x is no per-channel vector
  PassContext run{.fetches = {y1, fetched_conv, y2, not_a_bias}, .feeds = {x, w, b}};
  EXPECT_FALSE(RunPass("epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedConv2D"), 0);
}

TEST_F(ConvEpilogueTest, AFetchedBiasAddEndsTheChainBeforeTheRelu) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 2}, "w");
  auto b = placeholder(float32, {2}, "b");
  auto pre = nn::bias_add(nn::conv2d(x, w, {1, 1, 1, 1}, "SAME"), b, "pre");
  auto post = nn::relu(pre, "post");
  FeedDict feeds{{x, Ramp({1, 4, 4, 1}, 0.5)}, {w, Ramp({2, 2, 1, 2}, 0.5)}, {b, Values({-1, 1}, {2})}};
  std::vector<Tensor> before = RunUnoptimized(g, {pre, post}, feeds);
  PassContext run{.fetches = {pre, post}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("epilogue", g, run));
  EXPECT_EQ(CountOp(g, "Relu"), 1);
  EXPECT_EQ(g.FindNode("pre")->op(), "_FusedConv2D");
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(ConvEpilogueTest, ATrainingStepReadsTheFusedActivationForItsGradients) {
  // ReluGrad and MaxPool read the Relu's output; after fusion they read the fused node's.
  auto x = placeholder(float32, {2, 6, 6, 1}, "x");
  auto w = placeholder(float32, {3, 3, 1, 4}, "w");
  auto b = placeholder(float32, {4}, "b");
  auto act = nn::relu(nn::bias_add(nn::conv2d(x, w, {1, 1, 1, 1}, "SAME"), b));
  auto loss = reduce_sum(square(nn::max_pool(act, {1, 2, 2, 1}, {1, 2, 2, 1}, "SAME")));
  auto grads = gradients(loss, {w, b});
  FeedDict feeds{{x, Ramp({2, 6, 6, 1}, 0.4)}, {w, Ramp({3, 3, 1, 4}, 0.2)}, {b, Values({0.1, -0.2, 0.3, 0}, {4})}};
  std::vector<Tensor> before = RunUnoptimized(g, {loss, grads[0], grads[1]}, feeds);
  PassContext run{.fetches = {loss, grads[0], grads[1]}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedConv2D"), 1);
  // Sums of about 100 floats (the bias gradient now beside the filter gradient): float rounding.
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds), 1e-4);
}

TEST_F(ConvEpilogueTest, AnInputGradientReadOnlyByReluGradBecomesOneFusedInputGradient) {
  // convnet3's shape: conv -> ReLU -> conv. The second convolution's input gradient goes only to the
  // first ReLU's gradient, which then masks it inside the convolution kernel.
  auto x = placeholder(float32, {2, 6, 6, 2}, "x");
  auto w1 = placeholder(float32, {3, 3, 2, 4}, "w1");
  auto w2 = placeholder(float32, {3, 3, 4, 3}, "w2");
  auto h = nn::relu(nn::conv2d(x, w1, {1, 1, 1, 1}, "SAME"));
  auto loss = reduce_sum(square(nn::conv2d(h, w2, {1, 1, 1, 1}, "VALID")));
  auto grads = gradients(loss, {w1, w2});
  FeedDict feeds{{x, Ramp({2, 6, 6, 2}, 0.3)}, {w1, Ramp({3, 3, 2, 4}, 0.2)}, {w2, Ramp({3, 3, 4, 3}, 0.1)}};
  std::vector<Tensor> before = RunUnoptimized(g, {grads[0], grads[1]}, feeds);
  ASSERT_EQ(CountOp(g, "ReluGrad"), 1);
  PassContext run{.fetches = {grads[0], grads[1]}, .feeds = {x, w1, w2}};
  ASSERT_TRUE(RunPass("epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedConv2DBackpropInput"), 1);
  EXPECT_EQ(CountOp(g, "ReluGrad"), 0);  // (the first convolution's input gradient, unread, is prune's)
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds), 1e-6);
}

TEST_F(ConvEpilogueTest, FilterAndBiasGradientsOfOneConvolutionBecomeOneOpWithTwoOutputs) {
  // Both ways a bias is written: BiasAdd (its gradient is BiasAddGrad) and conv + b (a Sum over
  // batch, height and width).
  for (bool bias_add : {true, false}) {
    SCOPED_TRACE(bias_add ? "BiasAdd" : "conv + b");
    Graph graph;
    DefaultGraphGuard guard(graph);
    auto x = placeholder(float32, {2, 6, 6, 2}, "x");
    auto w = placeholder(float32, {3, 3, 2, 4}, "w");
    auto b = placeholder(float32, {4}, "b");
    auto conv = nn::conv2d(x, w, {1, 1, 1, 1}, "SAME");
    auto y = bias_add ? nn::bias_add(conv, b) : conv + b;
    auto grads = gradients(reduce_sum(square(y)), {w, b});
    FeedDict feeds{{x, Ramp({2, 6, 6, 2}, 0.3)}, {w, Ramp({3, 3, 2, 4}, 0.2)}, {b, Values({0.1, -0.2, 0.3, 0}, {4})}};
    std::vector<Tensor> before = RunUnoptimized(graph, {grads[0], grads[1]}, feeds);
    PassContext run{.fetches = {grads[0], grads[1]}, .feeds = {x, w, b}};
    ASSERT_TRUE(RunPass("epilogue", graph, run));
    EXPECT_EQ(CountOp(graph, "_FusedConv2DBackpropFilter"), 1);
    EXPECT_EQ(CountOp(graph, "Conv2DBackpropFilter") + CountOp(graph, "BiasAddGrad"), 0);
    EXPECT_EQ(run.fetches[0].node, run.fetches[1].node);
    EXPECT_EQ(run.fetches[1].index, 1);
    ExpectSameTensors(before, RunUnoptimized(graph, run.fetches, feeds), 1e-4);  // float sums, another order
  }
}

TEST_F(ConvEpilogueTest, GatedGradientsAsOptimizersTakeThemFuseWithoutACycle) {
  // With gate_gradients (TF's GATE_OP), the filter gradient reads dy through an Identity that waits
  // for the bias gradient; the fused node computes both, so that wait must go, not become a cycle.
  auto x = placeholder(float32, {2, 6, 6, 2}, "x");
  auto w = placeholder(float32, {3, 3, 2, 4}, "w");
  auto b = placeholder(float32, {4}, "b");
  auto y = nn::relu(nn::bias_add(nn::conv2d(x, w, {1, 1, 1, 1}, "SAME"), b));
  auto grads = Gradients({reduce_sum(square(y))}, {w, b}, {}, /*gate_gradients=*/true);
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  FeedDict feeds{{x, Ramp({2, 6, 6, 2}, 0.3)}, {w, Ramp({3, 3, 2, 4}, 0.2)}, {b, Values({0.1, -0.2, 0.3, 0}, {4})}};
  std::vector<Tensor> before = RunUnoptimized(g, {(*grads)[0], (*grads)[1]}, feeds);
  PassContext run{.fetches = {(*grads)[0], (*grads)[1]}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedConv2DBackpropFilter"), 1);
  EXPECT_EQ(CountOp(g, "BiasAddGrad"), 0);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds), 1e-4);  // float sums, another order
}

TEST_F(ConvEpilogueTest, AFetchedInputGradientKeepsItsReluGradSeparate) {
  auto x = placeholder(float32, {1, 5, 5, 1}, "x");
  auto w1 = placeholder(float32, {2, 2, 1, 2}, "w1");
  auto w2 = placeholder(float32, {2, 2, 2, 2}, "w2");
  auto h = nn::relu(nn::conv2d(x, w1, {1, 1, 1, 1}, "SAME"));
  auto grads = gradients(reduce_sum(nn::conv2d(h, w2, {1, 1, 1, 1}, "SAME")), {h, w1});
  PassContext run{.fetches = {grads[0], grads[1]}, .feeds = {x, w1, w2}};
  RunPass("epilogue", g, run);
  EXPECT_EQ(CountOp(g, "_FusedConv2DBackpropInput"), 0);
  EXPECT_EQ(CountOp(g, "ReluGrad"), 1);
}

}  // namespace
}  // namespace kiln
