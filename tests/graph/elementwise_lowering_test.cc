// From graph nodes to expressions: each op's declared lowering, clusters lowered in a stable
// topological order, and the errors a fuser gets for what cannot be lowered.
#include "graph/elementwise_lowering.h"

#include <gtest/gtest.h>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using ElementwiseLoweringTest = testing::GraphTest;

TEST_F(ElementwiseLoweringTest, ReluLowersToTheReferenceExpression) {
  Output x = placeholder(DT_FLOAT, Shape({4}), "x");
  Output y = nn::relu(x);
  StatusOr<ElementwiseExpr> expr = LowerElementwiseCluster({x}, {y.node}, {y});
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  EXPECT_EQ(expr->ToString(),
            "%0 = input 0 : float\n"
            "%1 = const 0 : float\n"
            "%2 = lt %0, %1 : bool\n"
            "%3 = select %2, %1, %0 : float\n"
            "outputs %3");
}

TEST_F(ElementwiseLoweringTest, LeakyReluTakesAlphaFromTheAttrAsTheReference) {
  Output x = placeholder(DT_DOUBLE, Shape({4}), "x");
  Output y = nn::leaky_relu(x, 0.1);
  StatusOr<ElementwiseExpr> expr = LowerElementwiseCluster({x}, {y.node}, {y});
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  // The reference computes T(alpha) with alpha a float attr: double(0.1f), not 0.1.
  bool found = false;
  for (const ExprNode& n : expr->nodes) found |= n.op == ExprOp::kConstant && n.float_value == static_cast<double>(0.1f);
  EXPECT_TRUE(found) << expr->ToString();
}

// Nodes listed in reverse still lower producers first, and the text does not depend on the
// order of equally ready nodes beyond the order given.
TEST_F(ElementwiseLoweringTest, ClusterLowersInTopologicalOrderDeterministically) {
  Output x = placeholder(DT_FLOAT, Shape({3}), "x");
  Output b = placeholder(DT_FLOAT, Shape({3}), "b");
  Output s = x + b;
  Output y = nn::sigmoid(s) * s;
  std::vector<const Node*> reversed = {y.node, y.node->input(0).node, s.node};
  StatusOr<ElementwiseExpr> first = LowerElementwiseCluster({x, b}, reversed, {y});
  StatusOr<ElementwiseExpr> again = LowerElementwiseCluster({x, b}, reversed, {y});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->Validate().ok());
  EXPECT_EQ(first->ToString(), again->ToString());
  EXPECT_EQ(first->nodes[2].op, ExprOp::kAdd) << first->ToString();  // x + b comes first
}

TEST_F(ElementwiseLoweringTest, OutputsMayBeInputsOrIntermediates) {
  Output x = placeholder(DT_FLOAT, Shape({3}), "x");
  Output e = exp(x);
  Output y = e * x;
  StatusOr<ElementwiseExpr> expr = LowerElementwiseCluster({x}, {e.node, y.node}, {y, e, x});
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  ASSERT_EQ(expr->outputs.size(), 3u);
  EXPECT_EQ(expr->nodes[expr->outputs[1]].op, ExprOp::kExp);
  EXPECT_EQ(expr->nodes[expr->outputs[2]].op, ExprOp::kInput);
}

TEST_F(ElementwiseLoweringTest, ErrorsNameTheNodeAndWhatIsMissing) {
  Output x = placeholder(DT_FLOAT, Shape({3}), "x");
  Output y = placeholder(DT_FLOAT, Shape({3}), "y");
  Output p = pow(x, y);  // no lowering
  StatusOr<ElementwiseExpr> no_lowering = LowerElementwiseCluster({x, y}, {p.node}, {p});
  EXPECT_EQ(no_lowering.status().code(), Code::kUnimplemented);
  EXPECT_NE(no_lowering.status().message().find("Pow"), std::string::npos) << no_lowering.status().message();
  EXPECT_FALSE(HasElementwiseLowering(*p.node));

  Output s = x + y;
  StatusOr<ElementwiseExpr> outside = LowerElementwiseCluster({x}, {s.node}, {s});
  EXPECT_EQ(outside.status().code(), Code::kInvalidArgument);
  EXPECT_NE(outside.status().message().find("y:0"), std::string::npos) << outside.status().message();

  StatusOr<ElementwiseExpr> not_computed = LowerElementwiseCluster({x, y}, {}, {s});
  EXPECT_EQ(not_computed.status().code(), Code::kInvalidArgument);

  Output u = placeholder(DT_UINT8, Shape({3}), "u");
  Output r = nn::relu(u);
  StatusOr<ElementwiseExpr> uint8 = LowerElementwiseCluster({u}, {r.node}, {r});
  EXPECT_EQ(uint8.status().code(), Code::kUnimplemented);
  EXPECT_NE(uint8.status().message().find("uint8"), std::string::npos) << uint8.status().message();
}

}  // namespace
}  // namespace kiln
