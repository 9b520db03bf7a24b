// The flop count behind kiln bench's GFLOP/s (runtime/cost_model.cc): 2 flops per multiply-add of
// matrix products and convolutions, hand-computed here, and nothing for other ops or unknown shapes.
#include "runtime/cost_model.h"

#include "passes/gradients.h"
#include "runtime/session.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Values;

class CostModelTest : public testing::GraphTest {};

TEST_F(CostModelTest, MatMulIsTwoFlopsPerMultiplyAddWhicheverOperandIsTransposed) {
  auto a = placeholder(float32, {6, 5}, "a");
  auto a_t = placeholder(float32, {5, 6}, "a_t");
  auto b = placeholder(float32, {5, 7}, "b");
  auto b_t = placeholder(float32, {7, 5}, "b_t");
  Output plain = matmul(a, b);
  EXPECT_EQ(NodeFlops(*plain.node), 2 * 6 * 7 * 5);
  EXPECT_EQ(NodeFlops(*matmul(a_t, b, /*transpose_a=*/true).node), 2 * 6 * 7 * 5);
  EXPECT_EQ(NodeFlops(*matmul(a, b_t, false, /*transpose_b=*/true).node), 2 * 6 * 7 * 5);
  EXPECT_EQ(CountFlops(g), 3 * 2 * 6 * 7 * 5);
}

TEST_F(CostModelTest, ConvolutionAndBothBackpropsCountTheSameProduct) {
  auto x = placeholder(float32, {2, 8, 8, 3}, "x");
  auto w = placeholder(float32, {3, 3, 3, 4}, "w");
  auto y = nn::conv2d(x, w, {1, 2, 2, 1}, "SAME");  // [2, 4, 4, 4]
  const int64_t conv = 2 * (2 * 4 * 4 * 4) * (3 * 3 * 3);
  EXPECT_EQ(NodeFlops(*y.node), conv);
  std::vector<Output> grads = gradients(reduce_sum(y), {x, w});
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  EXPECT_EQ(grads[0].node->op(), "Conv2DBackpropInput");
  EXPECT_EQ(grads[1].node->op(), "Conv2DBackpropFilter");
  EXPECT_EQ(NodeFlops(*grads[0].node), conv);
  EXPECT_EQ(NodeFlops(*grads[1].node), conv);
  EXPECT_EQ(CountFlops(g), 3 * conv);  // the sum, ones-like and reshapes of the gradient count nothing
}

TEST_F(CostModelTest, AConvolutionTrainingStepCountsTheSameAfterItsConvolutionsFuse) {
  // The compiled graph has _FusedConv2D, _FusedConv2DBackpropInput and _FusedConv2DBackpropFilter
  // where the user wrote Conv2D + bias + Relu twice: they count as the convolutions they replace.
  auto x = placeholder(float32, {2, 8, 8, 3}, "x");
  auto w1 = placeholder(float32, {3, 3, 3, 4}, "w1");
  auto b1 = placeholder(float32, {4}, "b1");
  auto w2 = placeholder(float32, {3, 3, 4, 2}, "w2");
  auto b2 = placeholder(float32, {2}, "b2");
  auto h = nn::relu(nn::bias_add(nn::conv2d(x, w1, {1, 1, 1, 1}, "SAME"), b1));
  auto y = nn::bias_add(nn::conv2d(h, w2, {1, 1, 1, 1}, "SAME"), b2);
  auto loss = reduce_sum(square(y));
  auto grads = gradients(loss, {w1, b1, w2, b2});
  const int64_t first = 2 * (2 * 8 * 8 * 4) * (3 * 3 * 3), second = 2 * (2 * 8 * 8 * 2) * (3 * 3 * 4);
  // The first layer's input gradient is not wanted: 2 products for it, 3 for the second layer.
  const int64_t expected = 2 * first + 3 * second;
  Session sess(g);
  auto fill = [](double v, std::vector<int64_t> dims) {
    return Values(std::vector<double>(Shape(dims).num_elements(), v), dims);
  };
  std::vector<Fetch> fetches(grads.begin(), grads.end());
  ASSERT_TRUE(sess.run(fetches, {{x, fill(0.5, {2, 8, 8, 3})}, {w1, fill(0.1, {3, 3, 3, 4})}, {b1, fill(0.1, {4})},
                                 {w2, fill(-0.1, {3, 3, 4, 2})}, {b2, fill(0.2, {2})}})
                  .ok());
  const Graph& compiled = *sess.last_compile().graph;
  int fused = 0;
  for (const Node* n : compiled.nodes()) fused += n->op().rfind("_Fused", 0) == 0;
  EXPECT_GE(fused, 3);
  EXPECT_EQ(CountFlops(compiled), expected);
}

TEST_F(CostModelTest, UnknownShapesCountNothingUntilTheSessionSpecializesThem) {
  auto x = placeholder(float32, {-1, 4}, "x");
  auto w = constant(Values({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}));
  auto y = matmul(x, w) + 1.0;
  EXPECT_EQ(CountFlops(g), 0);
  Session sess(g);
  EXPECT_EQ(sess.last_compile().graph, nullptr);
  ASSERT_TRUE(sess.run(y, {{x, Values({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 4})}}).ok());
  ASSERT_NE(sess.last_compile().graph, nullptr);
  EXPECT_EQ(CountFlops(*sess.last_compile().graph), 2 * 3 * 2 * 4);
  EXPECT_GT(sess.last_compile().seconds, 0);
}

}  // namespace
}  // namespace kiln
