// Symbolic differentiation (tf.gradients, passes/gradients.cc): aggregation, missing paths, errors,
// depth, a hand-derived model gradient; and the gradient checker the op tests rely on, checked
// against known Jacobians and deliberately wrong gradients first.
#include "passes/gradients.h"

#include <cmath>
#include <cstring>
#include <mutex>

#include "graph/kernel_context.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"
#include "tests/testing/gradient_checker.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ComputeGradientError;
using testing::ComputeJacobians;
using testing::Eval;
using testing::ExpectValues;
using testing::GradientMatches;
using testing::Jacobians;
using testing::MaxJacobianError;
using testing::Values;

Tensor D(const std::vector<double>& v, const std::vector<int64_t>& dims) { return Values(v, dims, DT_DOUBLE); }

// Test-only ops, registered once in the global registry: a square whose gradient is 3x instead
// of 2x, a sum whose gradient is not broadcast back to x's shape, and an op with no gradient.
void RegisterTestOps() {
  static std::once_flag once;
  std::call_once(once, [] {
    OpRegistry& r = OpRegistry::Global();
    r.Register(Op("KilnTestSquareWithWrongGradient").Input("x: T").Output("y: T").Attr("T: {double}")
                   .Shape(UnchangedShape)
                   .Kernel([](KernelContext& c) {
                     for (int64_t i = 0; i < c.input(0).num_elements(); ++i) {
                       double v = c.input(0).data<double>()[i];
                       c.output(0).data<double>()[i] = v * v;
                     }
                     return OkStatus();
                   })
                   .Grad([](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                     (*dx)[0] = dy[0] * op.input(0) * 3.0;  // wrong on purpose: d x^2 = 2x
                     return OkStatus();
                   }));
    r.Register(Op("KilnTestSumWithUnbroadcastGradient").Input("x: T").Output("y: T").Attr("T: {double}")
                   .Shape(ScalarShape)
                   .Kernel([](KernelContext& c) {
                     double s = 0;
                     for (int64_t i = 0; i < c.input(0).num_elements(); ++i) s += c.input(0).data<double>()[i];
                     c.output(0).data<double>()[0] = s;
                     return OkStatus();
                   })
                   .Grad([](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                     (*dx)[0] = dy[0];  // wrong on purpose: a scalar, not x's shape
                     return OkStatus();
                   }));
    r.Register(Op("KilnTestWithoutGradient").Input("x: T").Output("y: T").Attr("T: {float, double}")
                   .Shape(UnchangedShape).Kernel([](KernelContext& c) {
                     std::memcpy(c.output(0).raw_data(), c.input(0).raw_data(), c.input(0).num_bytes());
                     return OkStatus();
                   }));
  });
}

// ---- the gradient checker ----

using GradientCheckerTest = testing::GraphTest;

TEST_F(GradientCheckerTest, JacobiansMatchAHandComputedOne) {
  // y[j] = a[j] * (b[0] + b[1]) at a = [2, 3], b = [5, 7]: dy[j]/da[i] = 12 if i == j else 0,
  // dy[j]/db[i] = a[j]. Rows are elements of x, columns elements of y (TF's layout).
  auto a = placeholder(float64, {2}, "a");
  auto b = placeholder(float64, {2}, "b");
  auto j = ComputeJacobians({a, b}, {D({2, 3}, {2}), D({5, 7}, {2})}, a * reduce_sum(b));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_EQ(j->size(), 2u);
  const std::vector<double> da = {12, 0, 0, 12}, db = {2, 3, 2, 3};
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR((*j)[0].symbolic[k], da[k], 1e-12) << k;
    EXPECT_NEAR((*j)[0].numeric[k], da[k], 1e-8) << k;
    EXPECT_NEAR((*j)[1].symbolic[k], db[k], 1e-12) << k;
    EXPECT_NEAR((*j)[1].numeric[k], db[k], 1e-8) << k;
  }
  EXPECT_EQ((*j)[0].x_size, 2);
  EXPECT_EQ((*j)[0].y_size, 2);
  EXPECT_TRUE(GradientMatches({a, b}, {D({2, 3}, {2}), D({5, 7}, {2})}, a * reduce_sum(b)));
}

TEST_F(GradientCheckerTest, DetectsAWrongGradient) {
  RegisterTestOps();
  auto x = placeholder(float64, {3}, "x");
  Output y = MakeOp("KilnTestSquareWithWrongGradient", {x}, {});
  ASSERT_TRUE(y) << g.build_status().ToString();
  Tensor xv = D({0.25, -2, 0.1}, {3});
  // Relative errors |3x - 2x| / max(1, |2x|) on the diagonal: 0.25, 0.5, 0.1. The worst entry is
  // d y[1] / d x[1]: symbolic 3 * -2 = -6, numeric 2 * -2 = -4.
  auto j = ComputeJacobians({x}, {xv}, y);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  testing::GradientError e = MaxJacobianError(*j);
  EXPECT_NEAR(e.max_error, 0.5, 1e-6);
  EXPECT_EQ(e.x_index, 0);
  EXPECT_EQ(e.x_element, 1);
  EXPECT_EQ(e.y_element, 1);
  EXPECT_NEAR(e.symbolic, -6, 1e-12);
  EXPECT_NEAR(e.numeric, -4, 1e-6);
  ::testing::AssertionResult r = GradientMatches({x}, {xv}, y);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("d y[1] / d x0[1]"), std::string::npos) << r.message();
  // The same function written with a correct gradient passes.
  EXPECT_TRUE(GradientMatches({x}, {xv}, x * x));
}

TEST_F(GradientCheckerTest, DetectsAGradientOfTheWrongShape) {
  RegisterTestOps();
  auto x = placeholder(float64, {3}, "x");
  Output y = MakeOp("KilnTestSumWithUnbroadcastGradient", {x}, {});
  ASSERT_TRUE(y) << g.build_status().ToString();
  StatusOr<double> e = ComputeGradientError({x}, {D({1, 2, 3}, {3})}, y);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("the gradient for x:0 has shape [] but the x has shape [3]"), std::string::npos)
      << e.status().message();
}

TEST_F(GradientCheckerTest, DetectsAMissingGradientPath) {
  // stop_gradient hides one of the two paths: symbolic 1 * x, true derivative 2x.
  auto x = placeholder(float64, {2}, "x");
  StatusOr<double> e = ComputeGradientError({x}, {D({1.5, -3}, {2})}, stop_gradient(x) * x);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_NEAR(*e, 0.5, 1e-6);  // |1.5 - 3| / 3 = |(-3) - (-6)| / 6
}

TEST_F(GradientCheckerTest, AcceptsAFlatFunctionWithNoGradient) {
  // y does not depend on x differentiably: symbolic null = zeros, and central differences agree.
  auto x = placeholder(float64, {2}, "x");
  Output y = cast(cast(x, DT_INT32), DT_DOUBLE);
  StatusOr<double> e = ComputeGradientError({x}, {D({1.5, -3.25}, {2})}, y);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(*e, 0);
}

TEST_F(GradientCheckerTest, RejectsNonDoubleTensors) {
  auto x = placeholder(float32, {2}, "x");
  StatusOr<double> e = ComputeGradientError({x}, {Values({1, 2}, {2})}, cast(x * x, DT_DOUBLE));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("must be double"), std::string::npos) << e.status().message();
}

// ---- gradients ----

using GradientsTest = testing::GraphTest;

TEST_F(GradientsTest, FanOutGradientsAreSummed) {
  auto x = placeholder(float64, {3}, "x");
  auto grads = Gradients({reduce_sum(x * x + x)}, {x});  // d/dx = 2x + 1
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, D({1, 2, -3}, {3})}}), {3}, {3, 5, -5});
  EXPECT_EQ((*grads)[0].node->op(), "AddN");  // the partial gradients meet in one AddN, as TF
}

TEST_F(GradientsTest, SeveralYsAreSummedAndGradYsWeightThem) {
  auto x = placeholder(float64, {2}, "x");
  auto y1 = x * 3.0, y2 = x * x;
  Tensor xv = D({1, 2}, {2});
  auto plain = Gradients({y1, y2}, {x});
  ASSERT_TRUE(plain.ok());
  ExpectValues(Eval((*plain)[0], {{x, xv}}), {2}, {5, 7});  // 3 + 2x
  auto weighted = Gradients({y1, y2}, {x}, {constant(D({1, 0}, {2})), constant(D({10, 10}, {2}))});
  ASSERT_TRUE(weighted.ok());
  ExpectValues(Eval((*weighted)[0], {{x, xv}}), {2}, {23, 40});  // 3*[1,0] + 10*2x
}

TEST_F(GradientsTest, NullGradYEntryMeansOnes) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({x * 3.0, x * x}, {x}, {Output(), constant(D({0.5, 0.5}, {2}))});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, D({1, 2}, {2})}}), {2}, {4, 5});  // 3 + 0.5 * 2x
}

TEST_F(GradientsTest, GradYsOfTheWrongCountIsAnError) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({x * 3.0}, {x}, {constant(D({1, 1}, {2})), constant(D({1, 1}, {2}))});
  ASSERT_FALSE(grads.ok());
  EXPECT_NE(grads.status().message().find("2 grad_ys for 1 ys"), std::string::npos) << grads.status().message();
}

TEST_F(GradientsTest, RepeatedYsAndXsAreEachCounted) {
  // tf.gradients([y, y], [x, x]): y counts twice, and each x slot gets the same gradient.
  auto x = placeholder(float64, {2}, "x");
  Output y = x * x;
  auto grads = Gradients({y, y}, {x, x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  FeedDict feeds = {{x, D({1, -2}, {2})}};
  ExpectValues(Eval((*grads)[0], feeds), {2}, {4, -8});
  ExpectValues(Eval((*grads)[1], feeds), {2}, {4, -8});
}

TEST_F(GradientsTest, GradYOfAnotherDtypeIsAnError) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({x * 3.0}, {x}, {constant(Values({1, 1}, {2}))});  // float for a double y
  ASSERT_FALSE(grads.ok());
  EXPECT_NE(grads.status().message().find("float"), std::string::npos) << grads.status().message();
}

TEST_F(GradientsTest, UnconnectedXGetsNoGradient) {
  auto x = placeholder(float64, {2}, "x");
  auto z = placeholder(float64, {2}, "z");
  auto grads = Gradients({reduce_sum(x * 2.0)}, {x, z});
  ASSERT_TRUE(grads.ok());
  EXPECT_TRUE((*grads)[0]);
  EXPECT_FALSE((*grads)[1]);
}

TEST_F(GradientsTest, IntegerXGetsNoGradient) {
  auto i = placeholder(int32, {2}, "i");
  auto grads = Gradients({cast(i, DT_DOUBLE) * 2.0}, {i});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
}

TEST_F(GradientsTest, AnXOnThePathOfAnotherGetsItsOwnGradient) {
  // z = 2x, y = sum(z^2): dy/dz = 2z = 4x, dy/dx = 2 * dy/dz = 8x.
  auto x = placeholder(float64, {2}, "x");
  Output z = x * 2.0;
  auto grads = Gradients({reduce_sum(z * z)}, {x, z});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  FeedDict feeds = {{x, D({1, -0.5}, {2})}};
  ExpectValues(Eval((*grads)[0], feeds), {2}, {8, -4});
  ExpectValues(Eval((*grads)[1], feeds), {2}, {4, -2});
}

TEST_F(GradientsTest, GradientOfATensorWithRespectToItselfIsItsGradY) {
  auto x = placeholder(float64, {2}, "x");
  auto ones = Gradients({x}, {x});
  ASSERT_TRUE(ones.ok()) << ones.status().ToString();
  ExpectValues(Eval((*ones)[0], {{x, D({5, 6}, {2})}}), {2}, {1, 1});
  auto weighted = Gradients({x}, {x}, {constant(D({2, 3}, {2}))});
  ASSERT_TRUE(weighted.ok()) << weighted.status().ToString();
  ExpectValues(Eval((*weighted)[0], {{x, D({5, 6}, {2})}}), {2}, {2, 3});
}

TEST_F(GradientsTest, YOfUnknownShapeStartsFromOnesOfItsRuntimeShape) {
  auto x = placeholder(float64, {-1}, "x");
  auto grads = Gradients({x * x}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, D({1, 2, 3}, {3})}}), {3}, {2, 4, 6});
}

TEST_F(GradientsTest, GradientsOfGradientsGiveSecondDerivatives) {
  // d/dx sum(x^3) = 3x^2; d/dx sum(3x^2) = 6x.
  auto x = placeholder(float64, {3}, "x");
  auto first = Gradients({reduce_sum(x * x * x)}, {x});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Gradients({(*first)[0]}, {x});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  FeedDict feeds = {{x, D({1, -2, 0.5}, {3})}};
  ExpectValues(Eval((*first)[0], feeds), {3}, {3, 12, 0.75}, 1e-12);
  ExpectValues(Eval((*second)[0], feeds), {3}, {6, -12, 3}, 1e-12);
}

TEST_F(GradientsTest, NonDifferentiableOpsStopGradientsSilently) {
  auto x = placeholder(float64, {2, 3}, "x");
  Output picked = cast(argmax(x, 1), DT_DOUBLE);
  Output matches = cast(equal(x, x * 2.0), DT_DOUBLE);
  Output truncated = cast(cast(x, DT_INT32), DT_DOUBLE);
  auto grads = Gradients({reduce_sum(picked) + reduce_sum(matches) + reduce_sum(truncated)}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_FALSE((*grads)[0]);
  // Beside a differentiable path they contribute nothing.
  auto mixed = Gradients({reduce_sum(picked) + reduce_sum(x * 3.0)}, {x});
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  ExpectValues(Eval((*mixed)[0], {{x, D({1, 2, 3, 4, 5, 6}, {2, 3})}}), {2, 3}, {3, 3, 3, 3, 3, 3});
}

TEST_F(GradientsTest, OpWithoutGradientIsAnErrorNamingIt) {
  RegisterTestOps();
  auto x = placeholder(float64, {2, 3}, "x");
  Output m = MakeOp("KilnTestWithoutGradient", {x}, {}, "mystery");
  ASSERT_TRUE(m) << g.build_status().ToString();
  auto grads = Gradients({reduce_sum(m)}, {x});
  ASSERT_FALSE(grads.ok());
  EXPECT_EQ(grads.status().message(), "No gradient defined for operation 'mystery' (op type: KilnTestWithoutGradient)");
}

TEST_F(GradientsTest, OpWithoutGradientOffThePathIsFine) {
  RegisterTestOps();
  auto x = placeholder(float64, {2}, "x");
  auto c = placeholder(float64, {2}, "c");
  Output y = reduce_sum(x * MakeOp("KilnTestWithoutGradient", {c}, {}));  // c is not an x
  auto grads = Gradients({y}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, D({1, 1}, {2})}, {c, D({4, 5}, {2})}}), {2}, {4, 5});
}

TEST_F(GradientsTest, IntegerYIsAnError) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({argmax(x, 0)}, {x});
  ASSERT_FALSE(grads.ok());
  EXPECT_NE(grads.status().message().find("int64"), std::string::npos) << grads.status().message();
}

TEST_F(GradientsTest, BuilderStyleRecordsTheErrorForSessionRun) {
  RegisterTestOps();
  auto x = placeholder(float64, {2, 3}, "x");
  std::vector<Output> grads = gradients(reduce_sum(MakeOp("KilnTestWithoutGradient", {x}, {})), {x});
  EXPECT_FALSE(grads[0]);
  Session sess(g);
  auto r = sess.run(x * 2.0, {{x, D({1, 2, 3, 4, 5, 6}, {2, 3})}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("No gradient defined"), std::string::npos) << r.status().message();
}

TEST_F(GradientsTest, GradientNodesLiveUnderTheGradientsScope) {
  auto x = placeholder(float64, {2}, "x");
  auto grads = Gradients({reduce_sum(x * x)}, {x});
  ASSERT_TRUE(grads.ok());
  EXPECT_EQ((*grads)[0].node->name().rfind("gradients/", 0), 0u) << (*grads)[0].node->name();
}

// Softmax, cross-entropy and their gradient written out with std::exp, independently of the ops.
struct SoftmaxRegressionReference {
  double loss = 0;
  std::vector<double> dW, db;  // (softmax - y) / N through logits = x W + b
};

SoftmaxRegressionReference HandDerived(const std::vector<double>& x, const std::vector<double>& W,
                                       const std::vector<double>& b, const std::vector<double>& y, int n, int d,
                                       int k) {
  SoftmaxRegressionReference ref;
  ref.dW.assign(d * k, 0);
  ref.db.assign(k, 0);
  for (int r = 0; r < n; ++r) {
    std::vector<double> logits(k), p(k);
    double z = 0;
    for (int c = 0; c < k; ++c) {
      logits[c] = b[c];
      for (int i = 0; i < d; ++i) logits[c] += x[r * d + i] * W[i * k + c];
      z += std::exp(logits[c]);
    }
    for (int c = 0; c < k; ++c) {
      p[c] = std::exp(logits[c]) / z;
      ref.loss -= y[r * k + c] * std::log(p[c]) / n;
      double dlogit = (p[c] - y[r * k + c]) / n;
      ref.db[c] += dlogit;
      for (int i = 0; i < d; ++i) ref.dW[i * k + c] += x[r * d + i] * dlogit;
    }
  }
  return ref;
}

TEST_F(GradientsTest, SoftmaxRegressionGradientMatchesTheHandDerivedFormula) {
  // L = mean(softmax_xent(y, x W + b)): dL/dlogits = (softmax - y) / N, dW = x^T dlogits,
  // db = column sums of dlogits.
  const std::vector<double> xv = {1, 2, 0, -1, 3, 0.5}, Wv = {0.1, -0.2, 0.3, 0.4, 0, -0.5},
                            bv = {0.2, -0.1, 0}, yv = {0, 0, 1, 1, 0, 0, 0, 1, 0};
  auto x = placeholder(float64, {-1, 2}, "x");
  auto y = placeholder(float64, {-1, 3}, "y");
  auto W = placeholder(float64, {2, 3}, "W");
  auto b = placeholder(float64, {3}, "b");
  Output logits = matmul(x, W) + b;
  Output fused = reduce_mean(nn::softmax_cross_entropy_with_logits(y, logits));
  Output manual = reduce_mean(-reduce_sum(y * log(nn::softmax(logits)), {1}));  // the TF1 tutorial's form
  SoftmaxRegressionReference ref = HandDerived(xv, Wv, bv, yv, 3, 2, 3);
  FeedDict feeds = {{x, D(xv, {3, 2})}, {y, D(yv, {3, 3})}, {W, D(Wv, {2, 3})}, {b, D(bv, {3})}};
  for (Output loss : {fused, manual}) {
    auto grads = Gradients({loss}, {W, b});
    ASSERT_TRUE(grads.ok()) << grads.status().ToString();
    ExpectValues(Eval(loss, feeds), {}, {ref.loss}, 1e-12);
    ExpectValues(Eval((*grads)[0], feeds), {2, 3}, ref.dW, 1e-12);
    ExpectValues(Eval((*grads)[1], feeds), {3}, ref.db, 1e-12);
  }
}

TEST_F(GradientsTest, HundredThousandNodeChainDifferentiatesWithoutRecursion) {
  // Every walk in Gradients is iterative: a recursive one overflows the stack long before 100k.
  auto x = placeholder(float64, {}, "x");
  Output c = constant(D({0.5}, {}));
  Output y = x;
  for (int i = 0; i < 100000; ++i) y = y + c;
  auto grads = Gradients({y}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ASSERT_TRUE((*grads)[0]);
  ExpectValues(Eval((*grads)[0], {{x, D({3}, {})}}), {}, {1});
}

TEST_F(GradientsTest, LongMultiplyChainDifferentiates) {
  // Each Mul adds gradient nodes, so this chain is shorter; y = x * 1.0001^n, dy/dx = 1.0001^n.
  auto x = placeholder(float64, {}, "x");
  Output c = constant(D({1.0001}, {}));
  Output y = x;
  const int n = 10000;
  for (int i = 0; i < n; ++i) y = y * c;
  auto grads = Gradients({y}, {x});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ExpectValues(Eval((*grads)[0], {{x, D({3}, {})}}), {}, {std::pow(1.0001, n)}, 1e-9);
}

}  // namespace
}  // namespace kiln
