// MatMul epilogue fusion (passes/matmul_epilogue.cc): which MatMul -> bias -> Relu chains become
// one _FusedMatMul, which must not, and that the rewritten graph (a training step's included)
// computes the same values.
#include "passes/matmul_epilogue.h"

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
using testing::Values;

using MatMulEpilogueTest = testing::GraphTest;

TEST_F(MatMulEpilogueTest, MatMulBiasAddReluBecomesOneFusedMatMulKeepingTheReluName) {
  auto x = placeholder(float32, {4, 3}, "x");
  auto w = placeholder(float32, {3, 5}, "w");
  auto b = placeholder(float32, {5}, "b");
  auto y = nn::relu(nn::bias_add(matmul(x, w), b), "act");
  auto z = reduce_sum(y);
  FeedDict feeds{{x, Ramp({4, 3}, 0.3)}, {w, Ramp({3, 5}, 0.2)}, {b, Values({0.5, -0.5, 0, 1, -2}, {5})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y, z}, feeds);
  PassContext run{.fetches = {y, z}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("matmul_epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedMatMul"), 1);
  EXPECT_EQ(CountOp(g, "MatMul") + CountOp(g, "BiasAdd") + CountOp(g, "Relu"), 0);
  Node* fused = g.FindNode("act");
  ASSERT_NE(fused, nullptr);
  EXPECT_EQ(fused->op(), "_FusedMatMul");
  EXPECT_EQ(fused->attr<std::vector<std::string>>("fused_ops"), (std::vector<std::string>{"BiasAdd", "Relu"}));
  EXPECT_EQ(run.fetches[0].node, fused);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(MatMulEpilogueTest, AnAddOfAPerColumnVectorIsABiasAndTransposesCarryOver) {
  // tf.matmul(x, W, transpose_b=True) + b, the bias on the left as some code writes it.
  auto x = placeholder(float32, {2, 3}, "x");
  auto w = placeholder(float32, {4, 3}, "w");
  auto b = placeholder(float32, {4}, "b");
  auto y = b + matmul(x, w, false, true);
  FeedDict feeds{{x, Ramp({2, 3}, 0.2)}, {w, Ramp({4, 3}, 0.1)}, {b, Values({1, 2, 3, 4}, {4})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
  PassContext run{.fetches = {y}, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("matmul_epilogue", g, run));
  ASSERT_EQ(CountOp(g, "_FusedMatMul"), 1);
  EXPECT_EQ(run.fetches[0].node->attr<std::vector<std::string>>("fused_ops"), (std::vector<std::string>{"BiasAdd"}));
  EXPECT_TRUE(run.fetches[0].node->attr<bool>("transpose_b"));
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(MatMulEpilogueTest, ValuesWithOtherReadersOrFetchedInTheMiddleStayUnfused) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto w = placeholder(float32, {3, 2}, "w");
  auto b = placeholder(float32, {2}, "b");
  auto product = matmul(x, w);
  auto read_twice = nn::bias_add(product, b) + product;  // the product has a second reader
  auto fetched_pre = nn::bias_add(matmul(w, x), placeholder(float32, {3}, "c"));
  auto act = nn::relu(fetched_pre);
  auto not_a_bias = matmul(x, w) + placeholder(float32, {2, 2}, "m");  // a matrix, not a vector
  PassContext run{.fetches = {read_twice, fetched_pre, act, not_a_bias}, .feeds = {x, w, b}};
  RunPass("matmul_epilogue", g, run);
  // Only the second chain fuses, and without the Relu: its BiasAdd is fetched.
  ASSERT_EQ(CountOp(g, "_FusedMatMul"), 1);
  EXPECT_EQ(run.fetches[1].node->op(), "_FusedMatMul");
  EXPECT_EQ(run.fetches[1].node->attr<std::vector<std::string>>("fused_ops"), (std::vector<std::string>{"BiasAdd"}));
  EXPECT_EQ(CountOp(g, "Relu"), 1);
}

TEST_F(MatMulEpilogueTest, ADenseLayersGradientsAreTheSameAfterFusion) {
  auto x = placeholder(float32, {8, 6}, "x");
  auto w = placeholder(float32, {6, 4}, "w");
  auto b = placeholder(float32, {4}, "b");
  auto h = nn::relu(nn::bias_add(matmul(x, w), b));
  auto loss = reduce_sum(square(h));
  std::vector<Output> grads = gradients(loss, {x, w, b});
  FeedDict feeds{{x, Ramp({8, 6}, 0.25)}, {w, Ramp({6, 4}, 0.1)}, {b, Values({0.1, -0.2, 0.3, 0}, {4})}};
  std::vector<Output> fetches = {loss, grads[0], grads[1], grads[2]};
  std::vector<Tensor> before = RunUnoptimized(g, fetches, feeds);
  PassContext run{.fetches = fetches, .feeds = {x, w, b}};
  ASSERT_TRUE(RunPass("matmul_epilogue", g, run));
  EXPECT_EQ(CountOp(g, "_FusedMatMul"), 1);  // the forward product: ReluGrad reads the ReLU's output
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

}  // namespace
}  // namespace kiln
