// Array ops: placeholders and constants, reshape, shape/size, one-hot, fills, broadcast_to.
#include "passes/gradients.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::Values;

using ArrayOpsTest = testing::GraphTest;

TEST_F(ArrayOpsTest, ReshapeInfersMinusOne) {
  auto r = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  Output y = reshape(r, {-1, 2});
  EXPECT_EQ(y.shape().ToString(), "[3,2]");
  ExpectValues(Eval(y), {3, 2}, {1, 2, 3, 4, 5, 6});
  auto x = placeholder(float32, {-1, 28, 28, 1}, "x");
  EXPECT_EQ(reshape(x, {-1, 784}).shape().ToString(), "[?,784]");
}

TEST_F(ArrayOpsTest, ReshapeErrorsAreTfs) {
  auto r = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_FALSE(reshape(r, {4, 2}));
  EXPECT_NE(g.build_status().message().find("Cannot reshape a tensor with 6 elements to shape [4,2]"),
            std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  auto r2 = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_FALSE(reshape(r2, {-1, -1}));
  EXPECT_NE(g2.build_status().message().find("Cannot infer multiple unknown dimensions"), std::string::npos);
}

TEST_F(ArrayOpsTest, ShapeAndSizeOfKnownAndFedShapes) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Tensor xv = Values({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectValues(Eval(shape(x), {{x, xv}}), {2}, {2, 3});
  ExpectValues(Eval(size(x), {{x, xv}}), {}, {6});
  auto c = constant(Values({1, 2, 3, 4}, {4, 1}));
  ASSERT_NE(shape(c).node->known_value(0), nullptr);  // known at build time
}

TEST_F(ArrayOpsTest, OneHotHandlesAxisAndOutOfRangeIndices) {
  auto idx = constant(Values({0, 2, -1, 3}, {4}, DT_INT32));
  ExpectValues(Eval(one_hot(idx, 3)), {4, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  ExpectValues(Eval(one_hot(idx, 3, 5.0, -1.0, 0)), {3, 4}, {5, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1, -1});
}

TEST_F(ArrayOpsTest, FillsAndLikes) {
  ExpectValues(Eval(zeros({2, 2})), {2, 2}, {0, 0, 0, 0});
  ExpectValues(Eval(ones({3}, DT_INT32)), {3}, {1, 1, 1});
  auto v = constant(Values({4, 5}, {2}));
  ExpectValues(Eval(zeros_like(v)), {2}, {0, 0});
  ExpectValues(Eval(ones_like(v)), {2}, {1, 1});
  ExpectValues(Eval(fill(IntsLike(v, {2, 1}), constant(7.0))), {2, 1}, {7, 7});
  ExpectValues(Eval(broadcast_to(v, IntsLike(v, {3, 2}))), {3, 2}, {4, 5, 4, 5, 4, 5});
}

TEST_F(ArrayOpsTest, PlaceholderWithDefaultUsesDefaultUnlessFed) {
  auto d = placeholder_with_default(constant(Values({1.5, 2.5}, {2})), {-1}, "pwd");
  ExpectValues(Eval(d), {2}, {1.5, 2.5});
  ExpectValues(Eval(d, {{d, Values({9, 8, 7}, {3})}}), {3}, {9, 8, 7});
}

TEST_F(ArrayOpsTest, IdentityAndStopGradient) {
  auto x = placeholder(float64, {2}, "x");
  Tensor xv = Values({1, 2}, {2}, DT_DOUBLE);
  ExpectValues(Eval(stop_gradient(x), {{x, xv}}), {2}, {1, 2});
  auto grads = Gradients({reduce_sum(stop_gradient(x) * x)}, {x});
  ASSERT_TRUE(grads.ok());
  ExpectValues(Eval((*grads)[0], {{x, xv}}), {2}, {1, 2});  // only the unstopped path: d(c*x) = c
}

TEST_F(ArrayOpsTest, PadAndSliceMatchHandValues) {
  auto x = constant(Values({1, 2, 3, 4}, {2, 2}));
  Output p = pad(x, Tensor::FromVector<int32_t>({1, 0, 0, 2}, {2, 2}));
  ExpectValues(Eval(p), {3, 4}, {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
  ExpectValues(Eval(slice(p, {1, 0}, {2, 2})), {2, 2}, {1, 2, 3, 4});
  ExpectValues(Eval(slice(p, {0, 1}, {-1, 2})), {3, 2}, {0, 0, 2, 0, 4, 0});
  auto img = placeholder(float32, {-1, 28, 28, 1}, "img");
  EXPECT_EQ(pad(img, Tensor::FromVector<int32_t>({0, 0, 2, 2, 2, 2, 0, 0}, {4, 2})).shape().ToString(), "[?,32,32,1]");
}

TEST_F(ArrayOpsTest, BadPaddingsAndSlicesAreErrors) {
  auto x = constant(Values({1, 2, 3, 4}, {2, 2}));
  EXPECT_FALSE(pad(x, Tensor::FromVector<int32_t>({1, 1}, {1, 2})));
  EXPECT_FALSE(slice(x, {1, 1}, {2, 1}));
  EXPECT_FALSE(g.build_status().ok());
}

TEST_F(ArrayOpsTest, GradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto s = placeholder(float64, {}, "s");
  auto row = placeholder(float64, {1, 3}, "row");
  Tensor xv = Values({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3}, DT_DOUBLE);
  EXPECT_LT(MaxGradientError(reshape(x, {3, 2}), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(identity(x) * x, {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(broadcast_to(row, IntsLike(row, {2, 3})), {row}, {Values({1, 2, 3}, {1, 3}, DT_DOUBLE)}),
            testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(fill(IntsLike(s, {2, 2}), s), {s}, {Values({1.5}, {}, DT_DOUBLE)}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(pad(x, Tensor::FromVector<int32_t>({1, 0, 2, 1}, {2, 2})), {x}, {xv}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(slice(x, {0, 1}, {2, 2}), {x}, {xv}), testing::kGradTolerance);
  auto pwd = placeholder_with_default(x, {2, 3}, "pwd");
  EXPECT_LT(MaxGradientError(pwd * pwd, {x}, {xv}), testing::kGradTolerance);
}

}  // namespace
}  // namespace kiln
