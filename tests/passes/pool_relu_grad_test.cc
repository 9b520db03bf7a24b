// Moving a ReLU's gradient through the max pool after it (passes/pool_relu_grad.cc): the gradient of
// relu -> max_pool is the same tensor after the move, for plain and overlapping windows, SAME and
// VALID, with ties; and chains the rule does not cover stay.
#include "passes/pool_relu_grad.h"

#include "graph/builder/kiln.h"
#include "passes/gradients.h"
#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::CountOp;
using testing::ExpectSameTensors;
using testing::Ramp;
using testing::RunPass;
using testing::RunUnoptimized;

using PoolReluGradTest = testing::GraphTest;

TEST_F(PoolReluGradTest, TheMaskMovesToThePooledGradientAndTheGradientIsUnchanged) {
  struct Window {
    int64_t k, s;
    const char* padding;
  };
  // Ramp's small integers of both signs make ties in windows and all-negative windows.
  for (const Window& w : {Window{2, 2, "VALID"}, Window{3, 2, "SAME"}, Window{3, 1, "VALID"}, Window{2, 2, "SAME"}}) {
    Graph graph;
    DefaultGraphGuard guard(graph);
    auto x = placeholder(float32, {2, 7, 6, 3}, "x");
    auto r = placeholder(float32, {}, "r");
    auto relu = nn::relu(x * r);
    auto pooled = nn::max_pool(relu, {1, w.k, w.k, 1}, {1, w.s, w.s, 1}, w.padding);
    auto loss = reduce_sum(pooled * pooled * 0.5f + pooled);
    std::vector<Output> grads = gradients(loss, {x, r});
    FeedDict feeds{{x, Ramp({2, 7, 6, 3}, 1.0)}, {r, Tensor::Scalar(0.5f)}};
    std::vector<Tensor> before = RunUnoptimized(graph, grads, feeds);
    PassContext run{.fetches = grads, .feeds = {x, r}};
    ASSERT_TRUE(RunPass("pool_relu", graph, run)) << w.k << "/" << w.s << " " << w.padding;
    ASSERT_EQ(CountOp(graph, "MaxPoolGrad"), 1);
    ASSERT_EQ(CountOp(graph, "ReluGrad"), 1);
    Node* mask = nullptr;
    for (Node* n : graph.nodes()) if (n->op() == "ReluGrad") mask = n;
    EXPECT_EQ(mask->output_type(0).shape, pooled.shape()) << "the mask runs on the pooled gradient";
    ExpectSameTensors(before, RunUnoptimized(graph, run.fetches, feeds));
  }
}

TEST_F(PoolReluGradTest, OtherFeaturesOrASecondReaderKeepTheChain) {
  auto x = placeholder(float32, {1, 4, 4, 2}, "x");
  auto relu = nn::relu(x);
  auto pooled = nn::max_pool(relu, {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID");
  auto g = placeholder(float32, {1, 2, 2, 2}, "g");
  auto pool_grad = MakeOp("MaxPoolGrad", {relu, pooled, g},
                          {{"ksize", std::vector<int64_t>{1, 2, 2, 1}}, {"strides", std::vector<int64_t>{1, 2, 2, 1}},
                           {"padding", std::string("VALID")}});
  auto masked_elsewhere = MakeOp("ReluGrad", {pool_grad, x}, {});  // features are not the pooled tensor
  auto read_twice = MakeOp("ReluGrad", {pool_grad, relu}, {});  // and pool_grad is read by two ReluGrads
  ASSERT_TRUE(this->g.build_status().ok()) << this->g.build_status().ToString();
  PassContext run{.fetches = {masked_elsewhere, read_twice}, .feeds = {x, g}};
  EXPECT_FALSE(RunPass("pool_relu", this->g, run));
  EXPECT_EQ(CountOp(this->g, "MaxPoolGrad"), 1);
}

}  // namespace
}  // namespace kiln
