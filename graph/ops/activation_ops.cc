// Activation functions and the TF gradient ops they differentiate through (SigmoidGrad takes the
// forward output y, as TF does: d sigmoid = y (1 - y)).
#include <cmath>

#include "graph/ops/elementwise.h"
#include "graph/ops/nn_ops.h"

namespace kiln {
namespace {

Output Y(const Node& op) { return Output(const_cast<Node*>(&op), 0); }

// A (gradient, features-or-output) -> backprop op over floats, elementwise.
template <typename F>
KernelFn GradKernel(const char* name, F f) {
  return [=](KernelContext& c) {
    return DispatchFloat(c.input(0).dtype(), name, [&]<typename T>() {
      const T* a = c.input(0).data<T>();
      const T* b = c.input(1).data<T>();
      T* out = c.output(0).data<T>();
      for (int64_t i = 0; i < c.output(0).num_elements(); ++i) out[i] = f(a[i], b[i], c);
      return OkStatus();
    });
  };
}

Status SameShapes(InferenceContext& c) {
  StatusOr<Shape> m = c.input_shape(0).Merge(c.input_shape(1));
  if (!m.ok()) return c.error("Incompatible shapes: " + m.status().message());
  c.set_output_shape(0, *m);
  return OkStatus();
}

void RegisterGradOp(OpRegistry& r, const char* name, const char* a, const char* b, KernelFn kernel,
                    ElementwiseLoweringFn lowering, const std::string& extra_attr = "") {
  OpDefBuilder op = Op(name).Input(std::string(a) + ": T").Input(std::string(b) + ": T").Output("backprops: T")
                        .Attr("T: {float, double}").Shape(SameShapes).Kernel(std::move(kernel))
                        .Elementwise(std::move(lowering));
  if (!extra_attr.empty()) op.Attr(extra_attr);
  r.Register(op);
}

// ---- lowerings (graph/elementwise_expr.h), each the reference kernel's expression ----

// 1 / (1 + e) for x >= 0 and e / (1 + e) below, e = exp(-|x|), so exp never overflows: for
// x < -88.7 (float) the reference's 1 / (1 + exp(-x)) is 1 / inf = 0, while this keeps the
// denormal results (as TF's Eigen kernel does); elsewhere they agree within 2 ulp.
ExprValue SigmoidExpr(ExprBuilder& b, ExprValue x) {
  ExprValue one = b.ConstantLike(x, 1);
  ExprValue e = b.Exp(b.Neg(b.Abs(x)));
  ExprValue d = b.Add(one, e);
  return b.Select(b.Ge(x, b.ConstantLike(x, 0)), b.Div(one, d), b.Div(e, d));
}

// expm1(x) = (u - 1) * (x / log(u)) with u = exp(x): the error of u cancels between u - 1 and
// log(u) (Kahan's trick; Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., 1.14.1),
// so it keeps its relative accuracy near 0 where exp(x) - 1 would not. u = 1 gives x; u = 0
// (x < -104 in float) gives -1.
ExprValue Expm1Expr(ExprBuilder& b, ExprValue x) {
  ExprValue one = b.ConstantLike(x, 1);
  ExprValue u = b.Exp(x);
  ExprValue u_minus_1 = b.Sub(u, one);
  ExprValue kahan = b.Mul(u_minus_1, b.Div(x, b.Log(u)));
  return b.Select(b.Eq(u, one), x, b.Select(b.Eq(u_minus_1, b.ConstantLike(x, -1)), u_minus_1, kahan));
}

// x > 0 ? x : alpha * x, with alpha the float attr widened to T as the reference's T(alpha).
Status LowerLeakyRelu(const Node& node, ExprBuilder& b, const std::vector<ExprValue>& in, std::vector<ExprValue>* out) {
  ExprValue x = in[0];
  ExprValue alpha = b.ConstantLike(x, node.attr<float>("alpha"));
  (*out)[0] = b.Select(b.Gt(x, b.ConstantLike(x, 0)), x, b.Mul(alpha, x));
  return OkStatus();
}

// gradients if features > 0, else alpha * gradients.
Status LowerLeakyReluGrad(const Node& node, ExprBuilder& b, const std::vector<ExprValue>& in,
                          std::vector<ExprValue>* out) {
  ExprValue g = in[0], f = in[1];
  ExprValue alpha = b.ConstantLike(g, node.attr<float>("alpha"));
  (*out)[0] = b.Select(b.Gt(f, b.ConstantLike(f, 0)), g, b.Mul(alpha, g));
  return OkStatus();
}

}  // namespace

void RegisterActivationOps(OpRegistry& r) {
  const std::string kFloat = "{float, double}";
  RegisterUnary(r, "Sigmoid", kFloat, UnaryFloatKernel("Sigmoid", [](auto x) {
                  using T = decltype(x);
                  return T(1) / (T(1) + std::exp(-x));
                }),
                [](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                  (*dx)[0] = MakeOp("SigmoidGrad", {Y(op), dy[0]}, {});
                  return OkStatus();
                },
                LowerUnary(SigmoidExpr));
  RegisterUnary(r, "Tanh", kFloat, UnaryFloatKernel("Tanh", [](auto x) { return std::tanh(x); }),
                [](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                  (*dx)[0] = MakeOp("TanhGrad", {Y(op), dy[0]}, {});
                  return OkStatus();
                },
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Tanh(x); }));
  RegisterUnary(r, "Relu6", kFloat, UnaryFloatKernel("Relu6", [](auto x) {
                  using T = decltype(x);
                  return x > T(0) ? (x < T(6) ? x : T(6)) : T(0);
                }),
                [](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                  (*dx)[0] = MakeOp("Relu6Grad", {dy[0], op.input(0)}, {});
                  return OkStatus();
                },
                LowerUnary([](ExprBuilder& b, ExprValue x) {
                  ExprValue six = b.ConstantLike(x, 6), zero = b.ConstantLike(x, 0);
                  return b.Select(b.Gt(x, zero), b.Select(b.Lt(x, six), x, six), zero);
                }));
  RegisterUnary(r, "Elu", kFloat, UnaryFloatKernel("Elu", [](auto x) {
                  using T = decltype(x);
                  return x > T(0) ? x : std::expm1(x);
                }),
                [](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                  (*dx)[0] = MakeOp("EluGrad", {dy[0], Y(op)}, {});
                  return OkStatus();
                },
                LowerUnary([](ExprBuilder& b, ExprValue x) {
                  return b.Select(b.Gt(x, b.ConstantLike(x, 0)), x, Expm1Expr(b, x));
                }));
  r.Register(Op("LeakyRelu").Input("features: T").Output("activations: T").Attr("alpha: float = 0.2")
                 .Attr("T: {float, double} = DT_FLOAT").Shape(UnchangedShape)
                 .Kernel([](KernelContext& c) {
                   float alpha = c.attr<float>("alpha");
                   return DispatchFloat(c.input(0).dtype(), "LeakyRelu", [&]<typename T>() {
                     const T* x = c.input(0).data<T>();
                     T* y = c.output(0).data<T>();
                     for (int64_t i = 0; i < c.output(0).num_elements(); ++i) y[i] = x[i] > T(0) ? x[i] : T(alpha) * x[i];
                     return OkStatus();
                   });
                 })
                 .Grad([](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                   (*dx)[0] = MakeOp("LeakyReluGrad", {dy[0], op.input(0)}, {{"alpha", op.attr<float>("alpha")}});
                   return OkStatus();
                 })
                 .Elementwise(LowerLeakyRelu));

  // Backprop ops, named and ordered as TF's (SigmoidGrad(y, dy), Relu6Grad(gradients, features)).
  RegisterGradOp(r, "SigmoidGrad", "y", "dy", GradKernel("SigmoidGrad", [](auto y, auto d, auto&) { return d * y * (decltype(y)(1) - y); }),
                 LowerBinary([](ExprBuilder& b, ExprValue y, ExprValue d) {
                   return b.Mul(b.Mul(d, y), b.Sub(b.ConstantLike(y, 1), y));
                 }));
  // TF's gradient graphs for Rsqrt use RsqrtGrad(y, dy) = dy * -y^3 / 2 (Kiln's own Rsqrt gradient is
  // built from Mul ops; this op is here so TF-built training graphs load).
  RegisterGradOp(r, "RsqrtGrad", "y", "dy", GradKernel("RsqrtGrad", [](auto y, auto d, auto&) {
                   return d * decltype(y)(-0.5) * y * y * y;
                 }),
                 LowerBinary([](ExprBuilder& b, ExprValue y, ExprValue d) {
                   return b.Mul(b.Mul(b.Mul(b.Mul(d, b.ConstantLike(y, -0.5)), y), y), y);
                 }));
  RegisterGradOp(r, "TanhGrad", "y", "dy", GradKernel("TanhGrad", [](auto y, auto d, auto&) { return d * (decltype(y)(1) - y * y); }),
                 LowerBinary([](ExprBuilder& b, ExprValue y, ExprValue d) {
                   return b.Mul(d, b.Sub(b.ConstantLike(y, 1), b.Mul(y, y)));
                 }));
  RegisterGradOp(r, "Relu6Grad", "gradients", "features", GradKernel("Relu6Grad", [](auto g, auto f, auto&) {
                   using T = decltype(g);
                   return f > T(0) && f < T(6) ? g : T(0);
                 }),
                 LowerBinary([](ExprBuilder& b, ExprValue g, ExprValue f) {
                   ExprValue inside = b.And(b.Gt(f, b.ConstantLike(f, 0)), b.Lt(f, b.ConstantLike(f, 6)));
                   return b.Select(inside, g, b.ConstantLike(g, 0));
                 }));
  RegisterGradOp(r, "EluGrad", "gradients", "outputs", GradKernel("EluGrad", [](auto g, auto y, auto&) {
                   using T = decltype(g);
                   return y > T(0) ? g : g * (y + T(1));
                 }),
                 LowerBinary([](ExprBuilder& b, ExprValue g, ExprValue y) {
                   return b.Select(b.Gt(y, b.ConstantLike(y, 0)), g, b.Mul(g, b.Add(y, b.ConstantLike(y, 1))));
                 }));
  RegisterGradOp(r, "LeakyReluGrad", "gradients", "features", GradKernel("LeakyReluGrad", [](auto g, auto f, KernelContext& c) {
                   using T = decltype(g);
                   return f > T(0) ? g : T(c.attr<float>("alpha")) * g;
                 }), LowerLeakyReluGrad, "alpha: float = 0.2");
}

namespace nn {

Output sigmoid(const Output& x, const std::string& name) { return MakeOp("Sigmoid", {x}, {}, name); }
Output tanh(const Output& x, const std::string& name) { return MakeOp("Tanh", {x}, {}, name); }
Output relu6(const Output& x, const std::string& name) { return MakeOp("Relu6", {x}, {}, name); }
Output elu(const Output& x, const std::string& name) { return MakeOp("Elu", {x}, {}, name); }
Output leaky_relu(const Output& x, double alpha, const std::string& name) {
  return MakeOp("LeakyRelu", {x}, {{"alpha", static_cast<float>(alpha)}}, name);
}

}  // namespace nn
}  // namespace kiln
