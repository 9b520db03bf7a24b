// Array ops (graph/ops/array_ops.cc, pad_slice_ops.cc): placeholders and constants, identity,
// reshape, shape/size, one-hot, fills, broadcast_to, BroadcastGradientArgs, pad and slice: hand
// values, shape inference and TF's errors, and gradients against central differences.
#include <limits>

#include "passes/gradients.h"
#include "tests/testing/gradient_checker.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::GradientMatches;
using testing::Values;

using ArrayOpsTest = testing::GraphTest;

Tensor D(const std::vector<double>& v, const std::vector<int64_t>& dims) { return Values(v, dims, DT_DOUBLE); }

// ---- placeholders, constants, identity ----

TEST_F(ArrayOpsTest, PlaceholderCarriesItsDtypeAndPartialShape) {
  auto x = placeholder(float32, {-1, 784}, "x");
  EXPECT_EQ(x.node->name(), "x");
  EXPECT_EQ(x.dtype(), DT_FLOAT);
  EXPECT_EQ(x.shape().ToString(), "[?,784]");
  EXPECT_TRUE(placeholder(int64).shape().unknown_rank());
  EXPECT_EQ(placeholder(float64, {}).shape().ToString(), "[]");
}

TEST_F(ArrayOpsTest, ConstantsHoldTheirValueAndAreKnownAtBuildTime) {
  auto c = constant(Values({1.5, -2}, {2}));
  ASSERT_NE(c.node->known_value(0), nullptr);
  ExpectValues(Eval(c), {2}, {1.5, -2});
  Tensor i = Eval(constant(std::vector<int32_t>{3, 4, 5}));
  EXPECT_EQ(i.dtype(), DT_INT32);
  ExpectValues(i, {3}, {3, 4, 5});
  Tensor s = Eval(constant(2.5, DT_DOUBLE));
  EXPECT_EQ(s.dtype(), DT_DOUBLE);
  ExpectValues(s, {}, {2.5});
  ExpectValues(Eval(constant(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2})), {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST_F(ArrayOpsTest, ConstantWithTooFewValuesIsABuildError) {
  EXPECT_FALSE(constant(std::vector<float>{1, 2, 3}, {2, 2}));
  EXPECT_NE(g.build_status().message().find("3 values do not fill shape [2,2]"), std::string::npos)
      << g.build_status().message();
}

TEST_F(ArrayOpsTest, IdentityAndStopGradientCopyTheirInput) {
  auto x = placeholder(float64, {2}, "x");
  Tensor xv = D({1, 2}, {2});
  ExpectValues(Eval(identity(x), {{x, xv}}), {2}, {1, 2});
  ExpectValues(Eval(stop_gradient(x), {{x, xv}}), {2}, {1, 2});
  EXPECT_EQ(identity(placeholder(float32, {-1, 3})).shape().ToString(), "[?,3]");
  auto grads = Gradients({reduce_sum(stop_gradient(x) * x)}, {x});
  ASSERT_TRUE(grads.ok());
  ExpectValues(Eval((*grads)[0], {{x, xv}}), {2}, {1, 2});  // only the unstopped path: d(c*x) = c
}

TEST_F(ArrayOpsTest, PlaceholderWithDefaultUsesDefaultUnlessFed) {
  auto d = placeholder_with_default(constant(Values({1.5, 2.5}, {2})), {-1}, "pwd");
  EXPECT_EQ(d.shape().ToString(), "[?]");  // the declared shape, not the default's
  ExpectValues(Eval(d), {2}, {1.5, 2.5});
  ExpectValues(Eval(d * 2.0), {2}, {3, 5});
  ExpectValues(Eval(d * 2.0, {{d, Values({9, 8, 7}, {3})}}), {3}, {18, 16, 14});
}

TEST_F(ArrayOpsTest, PlaceholderWithDefaultOfIncompatibleShapeIsAnError) {
  EXPECT_FALSE(placeholder_with_default(constant(Values({1.5, 2.5}, {2})), {3}, "pwd"));
  EXPECT_NE(g.build_status().message().find("The default value of shape [2] is incompatible with the placeholder shape [3]"),
            std::string::npos)
      << g.build_status().message();
}

// ---- reshape, shape, size ----

TEST_F(ArrayOpsTest, ReshapeInfersMinusOne) {
  auto r = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  Output y = reshape(r, {-1, 2});
  EXPECT_EQ(y.shape().ToString(), "[3,2]");
  ExpectValues(Eval(y), {3, 2}, {1, 2, 3, 4, 5, 6});
  ExpectValues(Eval(reshape(r, {6})), {6}, {1, 2, 3, 4, 5, 6});
  ExpectValues(Eval(reshape(r, {3, 1, -1})), {3, 1, 2}, {1, 2, 3, 4, 5, 6});
  ExpectValues(Eval(reshape(constant(Values({7}, {1, 1})), std::vector<int64_t>{})), {}, {7});
  auto x = placeholder(float32, {-1, 28, 28, 1}, "x");
  EXPECT_EQ(reshape(x, {-1, 784}).shape().ToString(), "[?,784]");
  EXPECT_EQ(reshape(x, {-1}).shape().ToString(), "[?]");
}

TEST_F(ArrayOpsTest, ReshapeToTheShapeOfAnotherTensor) {
  auto r = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  auto like = placeholder(float32, {3, -1}, "like");
  Output y = reshape(r, shape(like));
  EXPECT_EQ(y.shape().ToString(), "[3,?]");  // from like's partial shape, as TF's MakeShapeFromShapeTensor
  ExpectValues(Eval(y, {{like, Values({0, 0, 0, 0, 0, 0}, {3, 2})}}), {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST_F(ArrayOpsTest, ReshapeOfAFedPartialShapeIsDecidedAtRunTime) {
  auto x = placeholder(float32, {-1}, "x");
  Output y = reshape(x, {-1, 2});
  EXPECT_EQ(y.shape().ToString(), "[?,2]");
  ExpectValues(Eval(y, {{x, Values({1, 2, 3, 4, 5, 6}, {6})}}), {3, 2}, {1, 2, 3, 4, 5, 6});
  Session sess(g);
  auto bad = sess.run(reshape(x, {4, -1}, "to4"), {{x, Values({1, 2, 3, 4, 5, 6}, {6})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Cannot reshape a tensor with 6 elements to shape [4,?]"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("for 'to4' (op: 'Reshape')"), std::string::npos) << bad.status().message();
}

TEST_F(ArrayOpsTest, ReshapeErrorsAreTfs) {
  auto r = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}), "r");
  EXPECT_FALSE(reshape(r, {4, 2}, "bad"));
  EXPECT_NE(g.build_status().message().find("Cannot reshape a tensor with 6 elements to shape [4,2] (8 elements)"),
            std::string::npos)
      << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("for 'bad' (op: 'Reshape') with input shapes: [2,3], [2]."),
            std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  auto r2 = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_FALSE(reshape(r2, {-1, -1}));
  EXPECT_NE(g2.build_status().message().find("Cannot infer multiple unknown dimensions"), std::string::npos)
      << g2.build_status().message();
  Graph g3;
  auto guard3 = as_default(g3);
  EXPECT_FALSE(reshape(constant(Values({1, 2, 3, 4, 5, 6}, {2, 3})), {4, -1}));
  EXPECT_NE(g3.build_status().message().find("is not a multiple of 4"), std::string::npos) << g3.build_status().message();
}

TEST_F(ArrayOpsTest, ShapeAndSizeOfKnownAndFedShapes) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Tensor xv = Values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(shape(x).shape().ToString(), "[2]");
  ExpectValues(Eval(shape(x), {{x, xv}}), {2}, {2, 3});
  ExpectValues(Eval(size(x), {{x, xv}}), {}, {6});
  Tensor s64 = Eval(shape(x, DT_INT64), {{x, xv}});
  EXPECT_EQ(s64.dtype(), DT_INT64);
  ExpectValues(s64, {2}, {2, 3});
  EXPECT_EQ(Eval(size(x, DT_INT64), {{x, xv}}).dtype(), DT_INT64);
  auto c = constant(Values({1, 2, 3, 4}, {4, 1}));
  ASSERT_NE(shape(c).node->known_value(0), nullptr);  // known at build time
  ASSERT_NE(size(c).node->known_value(0), nullptr);
  ExpectValues(Eval(shape(constant(Values({1}, {})))), {0}, {});
}

// ---- one_hot ----

TEST_F(ArrayOpsTest, OneHotGivesAllOffRowsForOutOfRangeIndices) {
  auto idx = constant(Values({0, 2, -1, 3}, {4}, DT_INT32));
  Tensor t = Eval(one_hot(idx, 3));
  EXPECT_EQ(t.dtype(), DT_FLOAT);
  ExpectValues(t, {4, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
}

TEST_F(ArrayOpsTest, OneHotAlongAxisZeroTransposes) {
  auto idx = constant(Values({0, 2, -1, 3}, {4}, DT_INT64));
  ExpectValues(Eval(one_hot(idx, 3, 5.0, -1.0, 0)), {3, 4}, {5, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1, -1});
}

TEST_F(ArrayOpsTest, OneHotOfAMatrixAlongEveryAxis) {
  auto idx = constant(Values({0, 1, 2, 0}, {2, 2}, DT_INT32));  // [[0, 1], [2, 0]]
  ExpectValues(Eval(one_hot(idx, 3)), {2, 2, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0});
  // axis 1: out[i, d, j] = idx[i, j] == d
  ExpectValues(Eval(one_hot(idx, 3, 1, 0, 1)), {2, 3, 2}, {1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0});
  // axis 0: out[d, i, j] = idx[i, j] == d
  ExpectValues(Eval(one_hot(idx, 3, 1, 0, 0)), {3, 2, 2}, {1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0});
}

TEST_F(ArrayOpsTest, OneHotOfOtherDtypesAndPartialShapes) {
  auto idx = constant(Values({1, 0}, {2}, DT_UINT8));
  Tensor t = Eval(one_hot(idx, 2, 7, 3, -1, DT_INT32));
  EXPECT_EQ(t.dtype(), DT_INT32);
  ExpectValues(t, {2, 2}, {3, 7, 7, 3});
  auto labels = placeholder(int64, {-1}, "labels");
  EXPECT_EQ(one_hot(labels, 10).shape().ToString(), "[?,10]");
  EXPECT_EQ(one_hot(labels, 10, 1, 0, 0).shape().ToString(), "[10,?]");
}

TEST_F(ArrayOpsTest, OneHotWithAnInvalidAxisIsAnError) {
  auto idx = constant(Values({0, 1}, {2}, DT_INT32));
  EXPECT_FALSE(one_hot(idx, 3, 1, 0, 2));
  EXPECT_NE(g.build_status().message().find("Expected axis to be -1 or between [0, 1). But received: 2"), std::string::npos)
      << g.build_status().message();
}

// ---- fills and broadcast_to ----

TEST_F(ArrayOpsTest, FillsAndLikes) {
  ExpectValues(Eval(zeros({2, 2})), {2, 2}, {0, 0, 0, 0});
  Tensor o = Eval(ones({3}, DT_INT32));
  EXPECT_EQ(o.dtype(), DT_INT32);
  ExpectValues(o, {3}, {1, 1, 1});
  auto v = constant(Values({4, 5}, {2}));
  ExpectValues(Eval(zeros_like(v)), {2}, {0, 0});
  ExpectValues(Eval(ones_like(v)), {2}, {1, 1});
  ExpectValues(Eval(ones_like(constant(Values({0, 0}, {2}, DT_BOOL)))), {2}, {1, 1});
  ExpectValues(Eval(zeros_like(constant(Values({3, 4}, {2}, DT_INT64)))), {2}, {0, 0});
  ExpectValues(Eval(fill(IntsLike(v, {2, 1}), constant(7.0))), {2, 1}, {7, 7});
  ExpectValues(Eval(fill(IntsLike(v, {0, 3}), constant(7.0))), {0, 3}, {});
}

TEST_F(ArrayOpsTest, FillTakesItsShapeFromAPartiallyKnownShapeTensor) {
  auto x = placeholder(float32, {-1, 3}, "x");
  Output f = fill(shape(x), constant(2.5));
  EXPECT_EQ(f.shape().ToString(), "[?,3]");
  ExpectValues(Eval(f, {{x, Values({0, 0, 0, 0, 0, 0}, {2, 3})}}), {2, 3}, {2.5, 2.5, 2.5, 2.5, 2.5, 2.5});
  EXPECT_EQ(zeros_like(x).shape().ToString(), "[?,3]");
}

TEST_F(ArrayOpsTest, FillWithANegativeDimensionIsAnError) {
  // -1 in a shape tensor reads as "unknown" for shape inference; anything below is invalid, and
  // must not become an unknown dimension that fails later as "cannot plan".
  Output f = fill(constant(std::vector<int32_t>{-3, 2}), constant(1.0), "f");
  EXPECT_FALSE(f);
  EXPECT_NE(g.build_status().message().find("-3"), std::string::npos) << g.build_status().message();
}

TEST_F(ArrayOpsTest, BroadcastToRepeatsAlongNewAndUnitAxes) {
  auto v = constant(Values({4, 5}, {2}));
  ExpectValues(Eval(broadcast_to(v, IntsLike(v, {3, 2}))), {3, 2}, {4, 5, 4, 5, 4, 5});
  auto col = constant(Values({1, 2}, {2, 1}));
  ExpectValues(Eval(broadcast_to(col, IntsLike(col, {2, 3}))), {2, 3}, {1, 1, 1, 2, 2, 2});
  auto s = constant(Values({9}, {}));
  ExpectValues(Eval(broadcast_to(s, IntsLike(s, {2, 2}))), {2, 2}, {9, 9, 9, 9});
  ExpectValues(Eval(broadcast_to(v, IntsLike(v, {2}))), {2}, {4, 5});
  auto b = constant(Values({1, 0}, {2, 1, 1}, DT_BOOL));
  ExpectValues(Eval(broadcast_to(b, IntsLike(b, {2, 2, 1}))), {2, 2, 1}, {1, 1, 0, 0});
}

TEST_F(ArrayOpsTest, BroadcastToRepeatsMiddleAndLastAxesForEveryElementSize) {
  auto mid = constant(Values({1, 2, 3, 4, 5, 6}, {2, 1, 3}));
  ExpectValues(Eval(broadcast_to(mid, IntsLike(mid, {2, 2, 3}))), {2, 2, 3}, {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  auto ends = constant(Values({7, 8, 9}, {1, 3, 1}, DT_DOUBLE));
  ExpectValues(Eval(broadcast_to(ends, IntsLike(ends, {2, 3, 2}))), {2, 3, 2}, {7, 7, 8, 8, 9, 9, 7, 7, 8, 8, 9, 9});
  auto flags = constant(Values({1, 0}, {2, 1}, DT_BOOL));  // one-byte elements, last axis broadcast
  ExpectValues(Eval(broadcast_to(flags, IntsLike(flags, {2, 3}))), {2, 3}, {1, 1, 1, 0, 0, 0});
  auto ids = constant(Values({5, 6}, {1, 2}, DT_INT64));
  ExpectValues(Eval(broadcast_to(ids, IntsLike(ids, {3, 1, 2}))), {3, 1, 2}, {5, 6, 5, 6, 5, 6});
}

TEST_F(ArrayOpsTest, BroadcastToErrors) {
  auto v = constant(Values({1, 2, 3}, {3}));
  EXPECT_FALSE(broadcast_to(v, IntsLike(v, {2, 4})));
  EXPECT_NE(g.build_status().message().find("Dimensions must be equal, but are 3 and 4"), std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  auto m = constant(Values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_FALSE(broadcast_to(m, IntsLike(m, {3})));
  EXPECT_NE(g2.build_status().message().find("BroadcastTo cannot reduce rank"), std::string::npos)
      << g2.build_status().message();
}

TEST_F(ArrayOpsTest, BroadcastGradientArgsGivesTheReducedAxesOfEachSide) {
  // [2,3,1] vs [3,4] (read as [1,3,4]): x was broadcast along axis 2, y along axis 0. Its output
  // size depends on its input values, so it runs only where feeds make those values known (as in
  // gradient graphs, where its inputs are Shape ops): here shapes of fed placeholders.
  auto a = placeholder(float32, {-1, -1, -1}, "a");
  auto b = placeholder(float32, {-1, -1}, "b");
  Node* n = MakeNode("BroadcastGradientArgs", {shape(a), shape(b)}, {});
  ASSERT_NE(n, nullptr) << g.build_status().ToString();
  EXPECT_EQ(n->output_type(0).shape.ToString(), "[?]");
  Session sess(g);
  auto r = sess.run({Output(n, 0), Output(n, 1)},
                    {{a, Tensor(DT_FLOAT, {2, 3, 1})}, {b, Tensor(DT_FLOAT, {3, 4})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValues((*r)[0], {1}, {2});
  ExpectValues((*r)[1], {1}, {0});
  r = sess.run({Output(n, 0), Output(n, 1)}, {{a, Tensor(DT_FLOAT, {5, 1, 7})}, {b, Tensor(DT_FLOAT, {6, 7})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValues((*r)[0], {1}, {1});
  ExpectValues((*r)[1], {1}, {0});
  // Known shapes fold at build time.
  Node* k = MakeNode("BroadcastGradientArgs", {IntsLike(a, {4, 1}), IntsLike(a, {4, 3})}, {});
  ASSERT_NE(k, nullptr);
  ASSERT_NE(k->known_value(0), nullptr);
  ExpectValues(*k->known_value(0), {1}, {1});
  ExpectValues(*k->known_value(1), {0}, {});
}

// ---- pad and slice ----

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
  EXPECT_NE(g.build_status().message().find("paddings must be a matrix of shape [rank, 2]"), std::string::npos)
      << g.build_status().message();
  Graph g2;
  auto guard2 = as_default(g2);
  EXPECT_FALSE(slice(constant(Values({1, 2, 3, 4}, {2, 2})), {1, 1}, {2, 1}));
  EXPECT_NE(g2.build_status().message().find("out of bounds in dimension 0"), std::string::npos)
      << g2.build_status().message();
}

// ---- gradients ----

TEST_F(ArrayOpsTest, ReshapeAndIdentityGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  EXPECT_TRUE(GradientMatches({x}, {xv}, reshape(x, {3, 2}) * constant(D({1, 2, 3, 4, 5, 6}, {3, 2}))));
  EXPECT_TRUE(GradientMatches({x}, {xv}, reshape(x, {-1})));
  EXPECT_TRUE(GradientMatches({x}, {xv}, identity(x) * x));
  auto batch = placeholder(float64, {-1, 3}, "batch");  // Reshape's gradient takes shape(x) at run time
  EXPECT_TRUE(GradientMatches({batch}, {xv}, reshape(batch, {-1}) * reshape(batch, {-1})));
}

TEST_F(ArrayOpsTest, BroadcastToGradientSumsOverTheBroadcastAxes) {
  auto row = placeholder(float64, {1, 3}, "row");
  auto v = placeholder(float64, {3}, "v");
  auto s = placeholder(float64, {}, "s");
  EXPECT_TRUE(GradientMatches({row}, {D({1, 2, 3}, {1, 3})}, broadcast_to(row, IntsLike(row, {2, 3})) * row));
  EXPECT_TRUE(GradientMatches({v}, {D({1, -2, 3}, {3})}, broadcast_to(v, IntsLike(v, {4, 3}))));
  EXPECT_TRUE(GradientMatches({s}, {D({1.5}, {})}, broadcast_to(s, IntsLike(s, {2, 2}))));
  auto grads = Gradients({reduce_sum(broadcast_to(v, IntsLike(v, {4, 3})))}, {v});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{v, D({1, -2, 3}, {3})}}), {3}, {4, 4, 4});
}

TEST_F(ArrayOpsTest, FillGradientFlowsToTheValue) {
  auto s = placeholder(float64, {}, "s");
  EXPECT_TRUE(GradientMatches({s}, {D({1.5}, {})}, fill(IntsLike(s, {2, 2}), s)));
  EXPECT_TRUE(GradientMatches({s}, {D({1.5}, {})}, fill(IntsLike(s, {2, 3}), s * s)));
}

TEST_F(ArrayOpsTest, PlaceholderWithDefaultGradientFlowsToTheDefault) {
  auto x = placeholder(float64, {2, 3}, "x");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  auto pwd = placeholder_with_default(x, {2, 3}, "pwd");
  EXPECT_TRUE(GradientMatches({x}, {xv}, pwd * pwd));
  auto partial = placeholder_with_default(x, {-1, 3}, "partial");
  EXPECT_TRUE(GradientMatches({x}, {xv}, exp(partial)));
  EXPECT_TRUE(GradientMatches({pwd}, {xv}, pwd * pwd));  // fed itself, it is an ordinary input
}

TEST_F(ArrayOpsTest, PadAndSliceGradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {2, 3}, "x");
  Tensor xv = D({0.5, -1.2, 2.0, 0.3, 1.1, -0.7}, {2, 3});
  EXPECT_TRUE(GradientMatches({x}, {xv}, pad(x, Tensor::FromVector<int32_t>({1, 0, 2, 1}, {2, 2}))));
  EXPECT_TRUE(GradientMatches({x}, {xv}, slice(x, {0, 1}, {2, 2})));
  EXPECT_TRUE(GradientMatches({x}, {xv}, slice(x, {1, 0}, {-1, -1})));
}

TEST_F(ArrayOpsTest, StopGradientAndShapeOpsHaveNoGradient) {
  auto x = placeholder(float64, {2, 3}, "x");
  auto grads = Gradients({reduce_sum(stop_gradient(x)) + cast(size(x), DT_DOUBLE) +
                          reduce_sum(cast(shape(x), DT_DOUBLE)) + reduce_sum(zeros_like(x) + ones_like(x))},
                         {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
}

}  // namespace
}  // namespace kiln
