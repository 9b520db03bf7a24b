// MatMul (graph/ops/matmul_op.cc): all transpose cases against hand values, empty operands, shape
// inference with partial shapes, TF's errors, and gradients for every transpose case.
#include "passes/gradients.h"
#include "tests/testing/gradient_checker.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::GradientMatches;
using testing::Values;

using MatMulTest = testing::GraphTest;

Tensor D(const std::vector<double>& v, const std::vector<int64_t>& dims) { return Values(v, dims, DT_DOUBLE); }

TEST_F(MatMulTest, EachTransposeFlagTransposesItsOperand) {
  // A = [[1,2],[3,4]], B = [[5,6],[7,8]]; A^T = [[1,3],[2,4]], B^T = [[5,7],[6,8]].
  auto A = constant(Values({1, 2, 3, 4}, {2, 2}));
  auto B = constant(Values({5, 6, 7, 8}, {2, 2}));
  ExpectValues(Eval(matmul(A, B)), {2, 2}, {19, 22, 43, 50});
  ExpectValues(Eval(matmul(A, B, true, false)), {2, 2}, {26, 30, 38, 44});
  ExpectValues(Eval(matmul(A, B, false, true)), {2, 2}, {17, 23, 39, 53});
  ExpectValues(Eval(matmul(A, B, true, true)), {2, 2}, {23, 31, 34, 46});
}

TEST_F(MatMulTest, AllFourTransposeCasesOfRectangularOperands) {
  // A = [[1,2,3],[4,5,6]] (2x3), B = [[1,0],[0,1],[1,1]] (3x2): A*B = [[4,5],[10,11]], given to
  // each case in the layout its flags expect.
  auto A = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  auto B = constant(Values({1, 0, 0, 1, 1, 1}, {3, 2}));
  auto At = constant(Values({1, 4, 2, 5, 3, 6}, {3, 2}));
  auto Bt = constant(Values({1, 0, 1, 0, 1, 1}, {2, 3}));
  ExpectValues(Eval(matmul(A, B)), {2, 2}, {4, 5, 10, 11});
  ExpectValues(Eval(matmul(At, B, true, false)), {2, 2}, {4, 5, 10, 11});
  ExpectValues(Eval(matmul(A, Bt, false, true)), {2, 2}, {4, 5, 10, 11});
  ExpectValues(Eval(matmul(At, Bt, true, true)), {2, 2}, {4, 5, 10, 11});
  // B * A is 3x3: rows of B weight the rows of A.
  ExpectValues(Eval(matmul(B, A)), {3, 3}, {1, 2, 3, 4, 5, 6, 5, 7, 9});
}

TEST_F(MatMulTest, IntegerAndDoubleTypesWork) {
  auto A = constant(Values({1, 2, 3, 4}, {2, 2}, DT_INT32));
  Tensor i = Eval(matmul(A, A));
  EXPECT_EQ(i.dtype(), DT_INT32);
  ExpectValues(i, {2, 2}, {7, 10, 15, 22});
  auto L = constant(Values({1, 2, 3, 4}, {2, 2}, DT_INT64));
  ExpectValues(Eval(matmul(L, L, true, false)), {2, 2}, {10, 14, 14, 20});
  auto Dm = constant(Values({1, 2, 3, 4}, {2, 2}, DT_DOUBLE));
  Tensor d = Eval(matmul(Dm, Dm));
  EXPECT_EQ(d.dtype(), DT_DOUBLE);
  ExpectValues(d, {2, 2}, {7, 10, 15, 22});
}

TEST_F(MatMulTest, EmptyInnerDimensionGivesZeros) {
  auto a = constant(Tensor(DT_FLOAT, {2, 0}));
  auto b = constant(Tensor(DT_FLOAT, {0, 3}));
  ExpectValues(Eval(matmul(a, b)), {2, 3}, {0, 0, 0, 0, 0, 0});
  ExpectValues(Eval(matmul(b, constant(Values({1, 2, 3, 4, 5, 6}, {3, 2})))), {0, 2}, {});
}

TEST_F(MatMulTest, VectorsAsMatricesGiveInnerAndOuterProducts) {
  auto row = constant(Values({1, 2, 3}, {1, 3}));
  ExpectValues(Eval(matmul(row, row, false, true)), {1, 1}, {14});
  ExpectValues(Eval(matmul(row, row, true, false)), {3, 3}, {1, 2, 3, 2, 4, 6, 3, 6, 9});
}

TEST_F(MatMulTest, PartialShapesPropagate) {
  auto x = placeholder(float32, {-1, 784}, "x");
  auto W = placeholder(float32, {784, 10}, "W");
  EXPECT_EQ(matmul(x, W).shape().ToString(), "[?,10]");
  EXPECT_EQ(matmul(W, x, true, true).shape().ToString(), "[10,?]");
  EXPECT_EQ(matmul(x, x, false, true).shape().ToString(), "[?,?]");
  EXPECT_EQ(matmul(x, x, true, false).shape().ToString(), "[784,784]");
  auto any = placeholder(float32, Shape::UnknownRank(), "any");
  EXPECT_EQ(matmul(any, W).shape().ToString(), "[?,10]");
  auto cols = placeholder(float32, {3, -1}, "cols");
  EXPECT_EQ(matmul(cols, W).shape().ToString(), "[3,10]");  // the unknown inner dim merges with 784
  EXPECT_TRUE(g.build_status().ok()) << g.build_status().ToString();
}

TEST_F(MatMulTest, InnerDimensionMismatchIsTfsError) {
  auto a = constant(Values(std::vector<double>(6, 1), {2, 3}));
  auto b = constant(Values(std::vector<double>(20, 1), {4, 5}));
  Output bad = matmul(a, b);
  EXPECT_FALSE(bad);
  // The failed result is a null handle that is safe to use: no type, and later ops stay null.
  EXPECT_EQ(bad.dtype(), DT_INVALID);
  EXPECT_TRUE(bad.shape().unknown_rank());
  EXPECT_FALSE(nn::softmax(bad + 1.0));
  EXPECT_EQ(g.build_status().message(),
            "Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [4,5].");
}

TEST_F(MatMulTest, MismatchUnderTransposeComparesTheTransposedDims) {
  auto a = constant(Values(std::vector<double>(6, 1), {2, 3}));
  auto b = constant(Values(std::vector<double>(20, 1), {4, 5}));
  EXPECT_FALSE(matmul(a, b, true, false, "mm"));
  EXPECT_EQ(g.build_status().message(),
            "Dimensions must be equal, but are 2 and 4 for 'mm' (op: 'MatMul') with input shapes: [2,3], [4,5].");
}

TEST_F(MatMulTest, PartialShapeMismatchIsStillAnError) {
  auto x = placeholder(float32, {-1, 784}, "x");
  auto W = placeholder(float32, {100, 10}, "W");
  EXPECT_FALSE(matmul(x, W));
  EXPECT_EQ(g.build_status().message(),
            "Dimensions must be equal, but are 784 and 100 for 'MatMul' (op: 'MatMul') with input shapes: [?,784], "
            "[100,10].");
}

TEST_F(MatMulTest, RankOtherThanTwoIsAnError) {
  auto v = constant(Values({1, 2, 3}, {3}));
  EXPECT_FALSE(matmul(v, v));
  EXPECT_EQ(g.build_status().message(),
            "Shape must be rank 2 but is rank 1 for 'MatMul' (op: 'MatMul') with input shapes: [3], [3].");
}

TEST_F(MatMulTest, MixedOrUnsupportedDtypesAreErrors) {
  auto f = constant(Values({1, 2, 3, 4}, {2, 2}));
  EXPECT_FALSE(matmul(f, constant(Values({1, 2, 3, 4}, {2, 2}, DT_DOUBLE))));
  EXPECT_NE(g.build_status().message().find("double"), std::string::npos) << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  EXPECT_FALSE(matmul(constant(Values({1, 0}, {1, 2}, DT_BOOL)), constant(Values({1, 0}, {2, 1}, DT_BOOL))));
  EXPECT_NE(g2.build_status().message().find("bool"), std::string::npos) << g2.build_status().message();
}

TEST_F(MatMulTest, GradientsMatchCentralDifferencesForEveryTransposeCase) {
  auto a = placeholder(float64, {2, 3}, "a");
  auto b = placeholder(float64, {3, 4}, "b");
  auto at = placeholder(float64, {3, 2}, "at");
  auto bt = placeholder(float64, {4, 3}, "bt");
  Tensor av = D({0.5, -1, 2, 0.3, 1.1, -0.7}, {2, 3});
  Tensor atv = D({0.5, 0.3, -1, 1.1, 2, -0.7}, {3, 2});
  Tensor bv = D({1, 0.2, -0.4, 0.8, -1.5, 0.6, 0.9, -0.1, 0.3, 1.7, -0.2, 0.5}, {3, 4});
  Tensor btv = D({1, -1.5, 0.3, 0.2, 0.6, 1.7, -0.4, 0.9, -0.2, 0.8, -0.1, 0.5}, {4, 3});
  EXPECT_TRUE(GradientMatches({a, b}, {av, bv}, matmul(a, b)));
  EXPECT_TRUE(GradientMatches({at, b}, {atv, bv}, matmul(at, b, true, false)));
  EXPECT_TRUE(GradientMatches({a, bt}, {av, btv}, matmul(a, bt, false, true)));
  EXPECT_TRUE(GradientMatches({at, bt}, {atv, btv}, matmul(at, bt, true, true)));
}

TEST_F(MatMulTest, GradientWithTheSameOperandTwice) {
  // x^T x and x x^T: both slots are x, so its gradient is the sum of both.
  auto x = placeholder(float64, {2, 3}, "x");
  Tensor xv = D({0.5, -1, 2, 0.3, 1.1, -0.7}, {2, 3});
  EXPECT_TRUE(GradientMatches({x}, {xv}, matmul(x, x, true, false)));
  EXPECT_TRUE(GradientMatches({x}, {xv}, matmul(x, x, false, true)));
}

TEST_F(MatMulTest, GradientWithAnUnknownBatchDimension) {
  auto x = placeholder(float64, {-1, 3}, "x");
  auto W = placeholder(float64, {3, 2}, "W");
  EXPECT_TRUE(GradientMatches({x, W},
                              {D({0.5, -1, 2, 0.3, 1.1, -0.7, 0.2, 0.4, -0.9}, {3, 3}), D({1, -1, 0.5, 2, -0.3, 0.7}, {3, 2})},
                              matmul(x, W)));
}

TEST_F(MatMulTest, LinearLayerGradientIsXTransposeTimesDy) {
  // d sum(x W) / dW = x^T * ones: column sums of x, repeated for each output column.
  auto x = placeholder(float64, {2, 3}, "x");
  auto W = placeholder(float64, {3, 2}, "W");
  auto grads = Gradients({reduce_sum(matmul(x, W))}, {x, W});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  FeedDict feeds = {{x, D({1, 2, 3, 4, 5, 6}, {2, 3})}, {W, D({1, 2, 3, 4, 5, 6}, {3, 2})}};
  ExpectValues(Eval((*grads)[1], feeds), {3, 2}, {5, 5, 7, 7, 9, 9});
  ExpectValues(Eval((*grads)[0], feeds), {2, 3}, {3, 7, 11, 3, 7, 11});  // row sums of W
}

}  // namespace
}  // namespace kiln
