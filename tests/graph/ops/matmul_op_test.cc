// MatMul: all transpose cases against hand values, shape inference and errors, gradients.
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::Values;

using MatMulTest = testing::GraphTest;

TEST_F(MatMulTest, AllFourTransposeCasesMatchHandValues) {
  // A = [[1,2,3],[4,5,6]] (2x3), B = [[1,0],[0,1],[1,1]] (3x2): A*B = [[4,5],[10,11]].
  auto A = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  auto B = constant(Values({1, 0, 0, 1, 1, 1}, {3, 2}));
  auto At = constant(Values({1, 4, 2, 5, 3, 6}, {3, 2}));
  auto Bt = constant(Values({1, 0, 1, 0, 1, 1}, {2, 3}));
  ExpectValues(Eval(matmul(A, B)), {2, 2}, {4, 5, 10, 11});
  ExpectValues(Eval(matmul(At, B, true, false)), {2, 2}, {4, 5, 10, 11});
  ExpectValues(Eval(matmul(A, Bt, false, true)), {2, 2}, {4, 5, 10, 11});
  ExpectValues(Eval(matmul(At, Bt, true, true)), {2, 2}, {4, 5, 10, 11});
}

TEST_F(MatMulTest, IntegerAndDoubleTypesWork) {
  auto A = constant(Values({1, 2, 3, 4}, {2, 2}, DT_INT32));
  ExpectValues(Eval(matmul(A, A)), {2, 2}, {7, 10, 15, 22});
  auto D = constant(Values({1, 2, 3, 4}, {2, 2}, DT_DOUBLE));
  ExpectValues(Eval(matmul(D, D)), {2, 2}, {7, 10, 15, 22});
}

TEST_F(MatMulTest, PartialShapesPropagate) {
  auto x = placeholder(float32, {-1, 784}, "x");
  auto W = placeholder(float32, {784, 10}, "W");
  EXPECT_EQ(matmul(x, W).shape().ToString(), "[?,10]");
  EXPECT_EQ(matmul(W, x, true, true).shape().ToString(), "[10,?]");
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

TEST_F(MatMulTest, RankOtherThanTwoIsAnError) {
  auto v = constant(Values({1, 2, 3}, {3}));
  EXPECT_FALSE(matmul(v, v));
  EXPECT_NE(g.build_status().message().find("Shape must be rank 2 but is rank 1"), std::string::npos)
      << g.build_status().message();
}

TEST_F(MatMulTest, GradientsMatchCentralDifferencesForEveryTransposeCase) {
  auto a = placeholder(float64, {2, 3}, "a");
  auto b = placeholder(float64, {3, 4}, "b");
  auto at = placeholder(float64, {3, 2}, "at");
  auto bt = placeholder(float64, {4, 3}, "bt");
  Tensor av = Values({0.5, -1, 2, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  Tensor atv = Values({0.5, 0.3, -1, 1.1, 2, -0.7}, {3, 2}, DT_DOUBLE);
  Tensor bv = Values({1, 0.2, -0.4, 0.8, -1.5, 0.6, 0.9, -0.1, 0.3, 1.7, -0.2, 0.5}, {3, 4}, DT_DOUBLE);
  Tensor btv = Values({1, -1.5, 0.3, 0.2, 0.6, 1.7, -0.4, 0.9, -0.2, 0.8, -0.1, 0.5}, {4, 3}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(matmul(a, b), {a, b}, {av, bv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(matmul(at, b, true, false), {at, b}, {atv, bv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(matmul(a, bt, false, true), {a, bt}, {av, btv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(matmul(at, bt, true, true), {at, bt}, {atv, btv}), testing::kGradTolerance);
}

}  // namespace
}  // namespace kiln
