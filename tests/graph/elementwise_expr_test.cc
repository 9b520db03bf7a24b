// The primitive expression IR: what the builder produces (as text), its typing rules and how it
// reports the first error, and Validate on hand-built expressions.
#include "graph/elementwise_expr.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(ElementwiseExprTest, BuilderProducesSsaText) {
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT), bias = b.Input(1, DT_FLOAT);
  ExprValue v = b.Add(x, bias);
  ExprValue zero = b.ConstantLike(v, 0);
  ExprValue relu = b.Select(b.Lt(v, zero), zero, v);
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({relu, v});
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  EXPECT_EQ(expr->ToString(),
            "%0 = input 0 : float\n"
            "%1 = input 1 : float\n"
            "%2 = add %0, %1 : float\n"
            "%3 = const 0 : float\n"
            "%4 = lt %2, %3 : bool\n"
            "%5 = select %4, %3, %2 : float\n"
            "outputs %5, %2");
  EXPECT_EQ(expr->input_dtypes, (std::vector<DataType>{DT_FLOAT, DT_FLOAT}));
  EXPECT_EQ(expr->output_dtype(0), DT_FLOAT);
  EXPECT_TRUE(expr->Validate().ok());
}

TEST(ElementwiseExprTest, InputsAreSharedAndConstantsRoundToTheirDtype) {
  ExprBuilder b;
  ExprValue x = b.Input(2, DT_DOUBLE);
  EXPECT_EQ(b.Input(2, DT_DOUBLE).id, x.id);
  ExprValue c = b.Constant(0.1, DT_FLOAT);
  ExprValue i = b.Constant(-3.7, DT_INT32);
  ExprValue t = b.Constant(2, DT_BOOL);
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({x, c, i, t});
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->nodes[c.id].float_value, static_cast<double>(0.1f));  // T(0.1), as a reference kernel writes it
  EXPECT_EQ(expr->nodes[i.id].int_value, -3);
  EXPECT_EQ(expr->nodes[t.id].int_value, 1);
  // Inputs never asked for have no dtype; the cluster still counts them.
  EXPECT_EQ(expr->input_dtypes, (std::vector<DataType>{DT_INVALID, DT_INVALID, DT_DOUBLE}));
}

TEST(ElementwiseExprTest, NoOpCastIsTheValueItself) {
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_INT64);
  EXPECT_EQ(b.Cast(x, DT_INT64).id, x.id);
  EXPECT_NE(b.Cast(x, DT_FLOAT).id, x.id);
  EXPECT_EQ(b.dtype(b.Cast(x, DT_BOOL)), DT_BOOL);
}

// Each rule once: the message names the primitive and the operand dtypes.
TEST(ElementwiseExprTest, TypeErrorsAreKeptAndNameThePrimitive) {
  struct Case {
    std::function<void(ExprBuilder&)> build;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](ExprBuilder& b) { b.Add(b.Input(0, DT_FLOAT), b.Input(1, DT_DOUBLE)); }, "add(float, double): operands must have one dtype"},
      {[](ExprBuilder& b) { b.Div(b.Input(0, DT_INT32), b.Input(1, DT_INT32)); }, "div(int32, int32): needs float or double operands"},
      {[](ExprBuilder& b) { b.Exp(b.Input(0, DT_INT64)); }, "exp(int64): needs float or double"},
      {[](ExprBuilder& b) { b.Add(b.Input(0, DT_BOOL), b.Input(1, DT_BOOL)); }, "add(bool, bool): needs float, double, int32 or int64"},
      {[](ExprBuilder& b) { b.And(b.Input(0, DT_BOOL), b.Input(1, DT_FLOAT)); }, "and(bool, float): needs bool operands"},
      {[](ExprBuilder& b) { b.Select(b.Input(0, DT_FLOAT), b.Input(1, DT_FLOAT), b.Input(1, DT_FLOAT)); },
       "select(float, float, float): the condition must be bool"},
      {[](ExprBuilder& b) { b.Select(b.Input(0, DT_BOOL), b.Input(1, DT_FLOAT), b.Input(2, DT_INT32)); },
       "select(bool, float, int32): both branches must have one dtype"},
      {[](ExprBuilder& b) { b.Cast(b.Input(0, DT_FLOAT), DT_UINT8); }, "cast(float): cannot cast to uint8"},
      {[](ExprBuilder& b) { b.Input(0, DT_FLOAT); b.Input(0, DT_DOUBLE); }, "input 0 is float, not double"},
  };
  for (const Case& c : cases) {
    ExprBuilder b;
    c.build(b);
    ASSERT_FALSE(b.status().ok()) << c.message;
    EXPECT_NE(b.status().message().find(c.message), std::string::npos) << b.status().message();
  }
  ExprBuilder b;
  EXPECT_FALSE(b.Input(0, DT_UINT8).valid());
  EXPECT_EQ(b.status().code(), Code::kUnimplemented);
}

TEST(ElementwiseExprTest, AfterAnErrorEveryOpIsInvalidAndBuildFails) {
  ExprBuilder b;
  ExprValue bad = b.Exp(b.Input(0, DT_INT32));
  EXPECT_FALSE(bad.valid());
  const std::string first = b.status().message();
  ExprValue later = b.Add(b.Input(1, DT_FLOAT), b.Input(1, DT_FLOAT));
  EXPECT_FALSE(later.valid());
  EXPECT_EQ(b.status().message(), first);
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({later});
  EXPECT_FALSE(expr.ok());
  EXPECT_EQ(expr.status().message(), first);
}

TEST(ElementwiseExprTest, ValidateNamesTheBadNode) {
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT);
  StatusOr<ElementwiseExpr> built = std::move(b).Build({b.Tanh(b.Neg(x))});
  ASSERT_TRUE(built.ok());
  ElementwiseExpr forward = *built;
  forward.nodes[1].args[0] = 2;  // neg reads the tanh after it
  EXPECT_NE(forward.Validate().message().find("%1 (neg)"), std::string::npos) << forward.Validate().message();
  ElementwiseExpr retyped = *built;
  retyped.nodes[2].dtype = DT_DOUBLE;
  EXPECT_NE(retyped.Validate().message().find("result is float, node says double"), std::string::npos)
      << retyped.Validate().message();
  ElementwiseExpr wrong_input = *built;
  wrong_input.input_dtypes[0] = DT_INT32;
  EXPECT_FALSE(wrong_input.Validate().ok());
  ElementwiseExpr dangling = *built;
  dangling.outputs.push_back(9);
  EXPECT_FALSE(dangling.Validate().ok());
}

}  // namespace
}  // namespace kiln
