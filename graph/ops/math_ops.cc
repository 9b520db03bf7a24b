// Elementwise math: broadcasting binary arithmetic, comparisons, unary functions, Cast, AddN.
#include "graph/ops/math_ops.h"

#include <cmath>
#include <type_traits>
#include <limits>

#include "graph/op_registry.h"
#include "graph/ops/array_ops.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/elementwise.h"
#include "graph/ops/kernel_util.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

// Float -> integer casts truncate toward zero like TF; NaN and out-of-range values saturate
// instead of being undefined behaviour.
template <typename To, typename From>
To CastValue(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<From>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

Status CastKernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  return DispatchAll(x.dtype(), "Cast", [&]<typename From>() {
    return DispatchAll(y.dtype(), "Cast", [&]<typename To>() {
      const From* in = x.data<From>();
      To* out = y.data<To>();
      for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = CastValue<To, From>(in[i]);
      return OkStatus();
    });
  });
}

Status AddNKernel(KernelContext& c) {
  return DispatchNumeric(c.output(0).dtype(), "AddN", [&]<typename T>() {
    T* out = c.output(0).data<T>();
    int64_t n = c.output(0).num_elements();
    for (int64_t i = 0; i < n; ++i) out[i] = T(0);
    for (int k = 0; k < c.num_inputs(); ++k) {
      const T* in = c.input(k).data<T>();
      for (int64_t i = 0; i < n; ++i) out[i] += in[i];
    }
    return OkStatus();
  });
}

Status AddNShape(InferenceContext& c) {
  Shape merged = c.input_shape(0);
  for (int i = 1; i < c.num_inputs(); ++i) {
    StatusOr<Shape> m = merged.Merge(c.input_shape(i));
    if (!m.ok()) return c.error("Shapes of all inputs must match: " + m.status().message());
    merged = *m;
  }
  c.set_output_shape(0, merged);
  return OkStatus();
}

// ---- gradients (TF's math_grad.py) ----

Status AddGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  BroadcastBinaryGrads(op, dy[0], dy[0], dx);
  return OkStatus();
}
Status SubGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  BroadcastBinaryGrads(op, dy[0], negative(dy[0]), dx);
  return OkStatus();
}
Status MulGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  BroadcastBinaryGrads(op, multiply(dy[0], op.input(1)), multiply(op.input(0), dy[0]), dx);
  return OkStatus();
}
Status RealDivGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0), y = op.input(1);
  // d(x/y)/dy = -x / y^2
  BroadcastBinaryGrads(op, divide(dy[0], y), multiply(dy[0], divide(divide(negative(x), y), y)), dx);
  return OkStatus();
}
// TF's _FloorModGrad: x - floor(x / y) * y.
Status FloorModGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0), y = op.input(1);
  BroadcastBinaryGrads(op, dy[0], multiply(negative(dy[0]), floor(divide(x, y))), dx);
  return OkStatus();
}
// d (x - y)^2 = 2 (x - y) dy for x, and its negation for y (TF's _SquaredDifferenceGrad).
Status SquaredDifferenceGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output g = multiply(ScalarLike(dy[0], 2.0), multiply(dy[0], subtract(op.input(0), op.input(1))));
  BroadcastBinaryGrads(op, g, negative(g), dx);
  return OkStatus();
}
Status NegGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = negative(dy[0]);
  return OkStatus();
}
Status ExpGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = multiply(dy[0], Output(const_cast<Node*>(&op), 0));  // d exp(x) = exp(x), reuse y
  return OkStatus();
}
Status LogGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = multiply(dy[0], reciprocal(op.input(0)));
  return OkStatus();
}
Status SquareGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = multiply(dy[0], multiply(ScalarLike(op.input(0), 2.0), op.input(0)));
  return OkStatus();
}
Status SqrtGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output y(const_cast<Node*>(&op), 0);  // d sqrt(x) = 0.5 / sqrt(x)
  (*dx)[0] = divide(multiply(dy[0], ScalarLike(y, 0.5)), y);
  return OkStatus();
}
Status ReciprocalGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output y(const_cast<Node*>(&op), 0);  // d (1/x) = -1/x^2 = -y^2
  (*dx)[0] = negative(multiply(dy[0], multiply(y, y)));
  return OkStatus();
}
// d max(x, y): dy flows to whichever input is selected (x on ties, as TF's GreaterEqual mask).
template <bool kMax>
Status MaxMinGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0), y = op.input(1);
  Output mask = kMax ? greater_equal(x, y) : less_equal(x, y);
  Output zeros = zeros_like(dy[0]);  // the mask, a broadcasting comparison, already has dy's shape
  BroadcastBinaryGrads(op, select(mask, dy[0], zeros), select(mask, zeros, dy[0]), dx);
  return OkStatus();
}
Status PowGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0), y = op.input(1), z(const_cast<Node*>(&op), 0);
  // dz/dx = y x^(y-1); dz/dy = z log(x), taken as 0 where x <= 0 (TF's convention).
  Output gx = dy[0] * y * pow(x, y - 1.0);
  Output zeros = zeros_like(x);
  Output log_x = select(greater(x, zeros), log(x), zeros);
  BroadcastBinaryGrads(op, gx, dy[0] * z * log_x, dx);
  return OkStatus();
}
Status RsqrtGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output y(const_cast<Node*>(&op), 0);  // d x^(-1/2) = -0.5 y^3
  (*dx)[0] = dy[0] * (y * y * y) * -0.5;
  return OkStatus();
}
Status AbsGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = dy[0] * sign(op.input(0));
  return OkStatus();
}
Status Log1pGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = dy[0] / (op.input(0) + 1.0);
  return OkStatus();
}

Status CastGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  DataType src = op.attr<DataType>("SrcT"), dst = op.attr<DataType>("DstT");
  if (IsFloating(src) && IsFloating(dst)) (*dx)[0] = cast(dy[0], src);
  return OkStatus();
}
Status AddNGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  for (auto& d : *dx) d = dy[0];
  return OkStatus();
}

// ---- lowerings (graph/elementwise_expr.h); each mirrors its reference kernel's C++ expression ----

// log1p(x) = log(u) * (x / (u - 1)) with u = 1 + x, and x itself where u rounds to 1: the
// rounding error of u cancels between log(u) and u - 1 (Goldberg, "What every computer scientist
// should know about floating-point arithmetic", 1991, theorem 4), so the result is within a few
// ulp without a log1p primitive. Dividing first keeps x * log(u) from overflowing for huge x;
// x = inf gives inf / inf = NaN, hence the last select.
ExprValue Log1pExpr(ExprBuilder& b, ExprValue x) {
  ExprValue one = b.ConstantLike(x, 1);
  ExprValue u = b.Add(one, x);
  ExprValue ratio = b.Mul(b.Log(u), b.Div(x, b.Sub(u, one)));
  ExprValue inf = b.ConstantLike(x, std::numeric_limits<double>::infinity());
  return b.Select(b.Eq(u, one), x, b.Select(b.Eq(x, inf), x, ratio));
}

// (0 < x) - (x < 0), as the reference: 0 for NaN and for 0 of either sign.
ExprValue SignExpr(ExprBuilder& b, ExprValue x) {
  ExprValue zero = b.ConstantLike(x, 0);
  return b.Select(b.Gt(x, zero), b.ConstantLike(x, 1), b.Select(b.Lt(x, zero), b.ConstantLike(x, -1), zero));
}

Status LowerCast(const Node& node, ExprBuilder& b, const std::vector<ExprValue>& in, std::vector<ExprValue>* out) {
  (*out)[0] = b.Cast(in[0], node.attr<DataType>("DstT"));
  return OkStatus();
}

// ((x0 + x1) + x2) + ...: the reference accumulates into zeros in input order (0 + x0 = x0 except
// that -0 becomes +0, which compares equal).
Status LowerAddN(const Node&, ExprBuilder& b, const std::vector<ExprValue>& in, std::vector<ExprValue>* out) {
  ExprValue sum = in[0];
  for (size_t i = 1; i < in.size(); ++i) sum = b.Add(sum, in[i]);
  (*out)[0] = sum;
  return OkStatus();
}

}  // namespace

void RegisterMathOps(OpRegistry& r) {
  const std::string kNumeric = "{float, double, int32, int64, uint8}";
  const std::string kFloat = "{float, double}";
  auto add = [](auto a, auto b) { return a + b; };
  auto lower_add = LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Add(x, y); });
  RegisterBinary(r, "Add", kNumeric, BinaryKernel<false>("Add", add), AddGrad, true, lower_add);
  RegisterBinary(r, "AddV2", kNumeric, BinaryKernel<false>("AddV2", add), AddGrad, true, lower_add);
  RegisterBinary(r, "Sub", kNumeric, BinaryKernel<false>("Sub", [](auto a, auto b) { return a - b; }), SubGrad, false,
                 LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Sub(x, y); }));
  // Floor modulo (the result has the divisor's sign), as TF's FloorMod; an integer modulo by zero
  // gives 0 instead of a crash. TF's gradient graphs use it on shapes and axes. No lowering: the
  // primitives have no fmod or integer remainder.
  RegisterBinary(r, "FloorMod", kNumeric, BinaryKernel<false>("FloorMod", [](auto a, auto b) {
                   using T = decltype(a);
                   T m;
                   if constexpr (std::is_integral_v<T>) {
                     if (b == 0) return T(0);
                     m = a % b;
                   } else {
                     m = std::fmod(a, b);
                   }
                   return (m != 0 && ((m < 0) != (b < 0))) ? T(m + b) : m;
                 }), FloorModGrad, false, nullptr);
  RegisterBinary(r, "SquaredDifference", kNumeric, BinaryKernel<false>("SquaredDifference", [](auto a, auto b) {
                   return (a - b) * (a - b);
                 }), SquaredDifferenceGrad, true, LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) {
                   ExprValue d = b.Sub(x, y);
                   return b.Mul(d, d);
                 }));
  RegisterBinary(r, "Mul", kNumeric, BinaryKernel<false>("Mul", [](auto a, auto b) { return a * b; }), MulGrad, true,
                 LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Mul(x, y); }));
  RegisterBinary(r, "RealDiv", kFloat, BinaryKernel<true>("RealDiv", [](auto a, auto b) { return a / b; }),
                 RealDivGrad, false, LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Div(x, y); }));

  RegisterBinary(r, "Maximum", kNumeric, BinaryKernel<false>("Maximum", [](auto a, auto b) { return a >= b ? a : b; }),
                 MaxMinGrad<true>, true, LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Max(x, y); }));
  RegisterBinary(r, "Minimum", kNumeric, BinaryKernel<false>("Minimum", [](auto a, auto b) { return a <= b ? a : b; }),
                 MaxMinGrad<false>, true, LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Min(x, y); }));
  // No lowering: exp(y log x) loses |y log x| ulp and is NaN for negative x with integral y.
  RegisterBinary(r, "Pow", kFloat, BinaryKernel<true>("Pow", [](auto a, auto b) { return std::pow(a, b); }), PowGrad,
                 false, nullptr);
  RegisterCompare(r, "GreaterEqual", CompareKernel("GreaterEqual", [](auto a, auto b) { return a >= b; }), false,
                  LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Ge(x, y); }));
  RegisterCompare(r, "LessEqual", CompareKernel("LessEqual", [](auto a, auto b) { return a <= b; }), false,
                  LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Le(x, y); }));
  RegisterUnary(r, "Rsqrt", kFloat, UnaryFloatKernel("Rsqrt", [](auto x) { return decltype(x)(1) / std::sqrt(x); }), RsqrtGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Rsqrt(x); }));
  RegisterUnary(r, "Abs", kNumeric, UnaryNumericKernel("Abs", [](auto x) { return x < 0 ? -x : x; }), AbsGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Abs(x); }));
  RegisterUnary(r, "Log1p", kFloat, UnaryFloatKernel("Log1p", [](auto x) { return std::log1p(x); }), Log1pGrad,
                LowerUnary(Log1pExpr));
  r.Register(Op("Sign").Input("x: T").Output("y: T").Attr("T: " + kNumeric).Shape(UnchangedShape).NotDifferentiable()
                 .Kernel(UnaryNumericKernel("Sign", [](auto x) { return (decltype(x)(0) < x) - (x < decltype(x)(0)); }))
                 .Elementwise(LowerUnary(SignExpr)));
  // Piecewise constant: TF defines its gradient as None.
  r.Register(Op("Floor").Input("x: T").Output("y: T").Attr("T: " + kFloat).Shape(UnchangedShape).NotDifferentiable()
                 .Kernel(UnaryFloatKernel("Floor", [](auto x) { return std::floor(x); }))
                 .Elementwise(LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Floor(x); })));
  RegisterCompare(r, "Equal", CompareKernel("Equal", [](auto a, auto b) { return a == b; }), true,
                  LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Eq(x, y); }));
  RegisterCompare(r, "NotEqual", CompareKernel("NotEqual", [](auto a, auto b) { return a != b; }), true,
                  LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Ne(x, y); }));
  RegisterCompare(r, "Greater", CompareKernel("Greater", [](auto a, auto b) { return a > b; }), false,
                  LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Gt(x, y); }));
  RegisterCompare(r, "Less", CompareKernel("Less", [](auto a, auto b) { return a < b; }), false,
                  LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue y) { return b.Lt(x, y); }));

  RegisterUnary(r, "Neg", kNumeric, UnaryNumericKernel("Neg", [](auto x) { return -x; }), NegGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Neg(x); }));
  RegisterUnary(r, "Square", kNumeric, UnaryNumericKernel("Square", [](auto x) { return x * x; }), SquareGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Mul(x, x); }));
  RegisterUnary(r, "Exp", kFloat, UnaryFloatKernel("Exp", [](auto x) { return std::exp(x); }), ExpGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Exp(x); }));
  RegisterUnary(r, "Log", kFloat, UnaryFloatKernel("Log", [](auto x) { return std::log(x); }), LogGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Log(x); }));
  RegisterUnary(r, "Sqrt", kFloat, UnaryFloatKernel("Sqrt", [](auto x) { return std::sqrt(x); }), SqrtGrad,
                LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Sqrt(x); }));
  RegisterUnary(r, "Reciprocal", kFloat, UnaryFloatKernel("Reciprocal", [](auto x) { return decltype(x)(1) / x; }),
                ReciprocalGrad, LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Div(b.ConstantLike(x, 1), x); }));

  r.Register(Op("Cast").Input("x: SrcT").Output("y: DstT").Attr("SrcT: type").Attr("DstT: type")
                 .Attr("Truncate: bool = false").Shape(UnchangedShape).Grad(CastGrad).Kernel(CastKernel)
                 .Elementwise(LowerCast));
  r.Register(Op("AddN").Input("inputs: N * T").Output("sum: T").Attr("N: int >= 1").Attr("T: " + kNumeric)
                 .Shape(AddNShape).Grad(AddNGrad).Kernel(AddNKernel).Commutative().Elementwise(LowerAddN));
  RegisterLogicalOps(r);
  RegisterMatMulOp(r);
  RegisterReductionOps(r);
}

// ---- builder API ----

Output add(const Output& x, const Output& y, const std::string& name) { return MakeOp("AddV2", {x, y}, {}, name); }
Output subtract(const Output& x, const Output& y, const std::string& name) { return MakeOp("Sub", {x, y}, {}, name); }
Output multiply(const Output& x, const Output& y, const std::string& name) { return MakeOp("Mul", {x, y}, {}, name); }
Output divide(const Output& x, const Output& y, const std::string& name) { return MakeOp("RealDiv", {x, y}, {}, name); }
Output negative(const Output& x, const std::string& name) { return MakeOp("Neg", {x}, {}, name); }
Output exp(const Output& x, const std::string& name) { return MakeOp("Exp", {x}, {}, name); }
Output log(const Output& x, const std::string& name) { return MakeOp("Log", {x}, {}, name); }
Output square(const Output& x, const std::string& name) { return MakeOp("Square", {x}, {}, name); }
Output sqrt(const Output& x, const std::string& name) { return MakeOp("Sqrt", {x}, {}, name); }
Output reciprocal(const Output& x, const std::string& name) { return MakeOp("Reciprocal", {x}, {}, name); }
Output maximum(const Output& x, const Output& y, const std::string& name) { return MakeOp("Maximum", {x, y}, {}, name); }
Output minimum(const Output& x, const Output& y, const std::string& name) { return MakeOp("Minimum", {x, y}, {}, name); }
Output pow(const Output& x, const Output& y, const std::string& name) { return MakeOp("Pow", {x, y}, {}, name); }
Output floor(const Output& x, const std::string& name) { return MakeOp("Floor", {x}, {}, name); }
Output squared_difference(const Output& x, const Output& y, const std::string& name) {
  return MakeOp("SquaredDifference", {x, y}, {}, name);
}
Output rsqrt(const Output& x, const std::string& name) { return MakeOp("Rsqrt", {x}, {}, name); }
Output abs(const Output& x, const std::string& name) { return MakeOp("Abs", {x}, {}, name); }
Output sign(const Output& x, const std::string& name) { return MakeOp("Sign", {x}, {}, name); }
Output log1p(const Output& x, const std::string& name) { return MakeOp("Log1p", {x}, {}, name); }
Output greater_equal(const Output& x, const Output& y, const std::string& name) { return MakeOp("GreaterEqual", {x, y}, {}, name); }
Output less_equal(const Output& x, const Output& y, const std::string& name) { return MakeOp("LessEqual", {x, y}, {}, name); }
Output clip_by_value(const Output& t, double clip_min, double clip_max, const std::string& name) {
  if (!t) return Output();
  name_scope scope(*t.graph(), name.empty() ? "clip_by_value" : name);
  return maximum(minimum(t, ScalarLike(t, clip_max), "Minimum"), ScalarLike(t, clip_min), "Maximum");
}
Output equal(const Output& x, const Output& y, const std::string& name) { return MakeOp("Equal", {x, y}, {}, name); }
Output not_equal(const Output& x, const Output& y, const std::string& name) { return MakeOp("NotEqual", {x, y}, {}, name); }
Output greater(const Output& x, const Output& y, const std::string& name) { return MakeOp("Greater", {x, y}, {}, name); }
Output less(const Output& x, const Output& y, const std::string& name) { return MakeOp("Less", {x, y}, {}, name); }
Output cast(const Output& x, DataType dtype, const std::string& name) {
  if (!x) return Output();
  return MakeOp("Cast", {x}, {{"DstT", dtype}}, name);
}
Output add_n(const std::vector<Output>& inputs, const std::string& name) {
  if (inputs.size() == 1) return inputs[0];
  return MakeOp("AddN", inputs, {}, name);
}

Output operator+(const Output& x, const Output& y) { return add(x, y); }
Output operator-(const Output& x, const Output& y) { return subtract(x, y); }
Output operator*(const Output& x, const Output& y) { return multiply(x, y); }
Output operator/(const Output& x, const Output& y) { return divide(x, y); }
Output operator-(const Output& x) { return negative(x); }
Output operator+(const Output& x, double y) { return add(x, ScalarLike(x, y)); }
Output operator+(double x, const Output& y) { return add(ScalarLike(y, x), y); }
Output operator-(const Output& x, double y) { return subtract(x, ScalarLike(x, y)); }
Output operator-(double x, const Output& y) { return subtract(ScalarLike(y, x), y); }
Output operator*(const Output& x, double y) { return multiply(x, ScalarLike(x, y)); }
Output operator*(double x, const Output& y) { return multiply(ScalarLike(y, x), y); }
Output operator/(const Output& x, double y) { return divide(x, ScalarLike(x, y)); }
Output operator/(double x, const Output& y) { return divide(ScalarLike(y, x), y); }

}  // namespace kiln
