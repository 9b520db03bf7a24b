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
