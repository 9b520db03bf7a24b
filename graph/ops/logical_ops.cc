// Boolean logic and selection: LogicalAnd/Or/Not, Select (TF1's tf.where) and SelectV2.
#include "graph/ops/array_ops.h"
#include "graph/ops/elementwise.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/math_ops.h"

namespace kiln {
namespace {

template <typename F>
KernelFn BoolBinaryKernel(F f) {
  return [=](KernelContext& c) {
    BroadcastBinary<bool, bool>(c.input(0), c.input(1), c.output(0), f);
    return OkStatus();
  };
}

// TF1 Select: condition has the shape of t/e, is a scalar, or is a vector over t's first dim.
Status SelectShape(InferenceContext& c) {
  StatusOr<Shape> te = c.input_shape(1).Merge(c.input_shape(2));
  if (!te.ok()) return c.error("'then' and 'else' must have the same shape: " + te.status().message());
  const Shape& cond = c.input_shape(0);
  bool ok = cond.unknown_rank() || te->unknown_rank() || cond.rank() == 0 || cond.IsCompatibleWith(*te) ||
            (cond.rank() == 1 && te->rank() >= 1 && (cond.dim(0) < 0 || te->dim(0) < 0 || cond.dim(0) == te->dim(0)));
  if (!ok) return c.error("condition must be a scalar, a vector over the first dimension, or the shape of 'then'");
  c.set_output_shape(0, *te);
  return OkStatus();
}

Status SelectKernel(KernelContext& c) {
  const Tensor& cond = c.input(0);
  const Tensor& t = c.input(1);
  int64_t n = c.output(0).num_elements();
  // Elements per condition value: 1 (same shape), all (scalar), or one row (vector over dim 0).
  int64_t per = cond.num_elements() == n ? 1 : cond.rank() == 0 ? n : (t.dim(0) ? n / t.dim(0) : 1);
  size_t elem = DataTypeSize(t.dtype());
  const bool* cv = cond.data<bool>();
  const char* tv = static_cast<const char*>(t.raw_data());
  const char* ev = static_cast<const char*>(c.input(2).raw_data());
  char* out = static_cast<char*>(c.output(0).raw_data());
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * elem, (cv[i / per] ? tv : ev) + i * elem, elem);
  return OkStatus();
}

Status SelectV2Shape(InferenceContext& c) {
  Shape te, all;
  KILN_RETURN_IF_ERROR(c.BroadcastShapes(c.input_shape(1), c.input_shape(2), &te));
  KILN_RETURN_IF_ERROR(c.BroadcastShapes(c.input_shape(0), te, &all));
  c.set_output_shape(0, all);
  return OkStatus();
}

Status SelectV2Kernel(KernelContext& c) {
  const std::vector<int64_t>& out_dims = c.output(0).dims();
  BroadcastCursor ic(out_dims, c.input(0).dims()), it(out_dims, c.input(1).dims()), ie(out_dims, c.input(2).dims());
  size_t elem = DataTypeSize(c.output(0).dtype());
  const bool* cv = c.input(0).data<bool>();
  const char* tv = static_cast<const char*>(c.input(1).raw_data());
  const char* ev = static_cast<const char*>(c.input(2).raw_data());
  char* out = static_cast<char*>(c.output(0).raw_data());
  for (int64_t i = 0; i < c.output(0).num_elements(); ++i, ic.Next(), it.Next(), ie.Next()) {
    std::memcpy(out + i * elem, cv[ic.offset()] ? tv + it.offset() * elem : ev + ie.offset() * elem, elem);
  }
  return OkStatus();
}

// d select(c, t, e): dy where c picks t, zeros elsewhere (and the reverse for e).
Status SelectGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output zeros = zeros_like(dy[0]);
  bool v2 = op.op() == "SelectV2";
  Output gt = v2 ? select_v2(op.input(0), dy[0], zeros) : select(op.input(0), dy[0], zeros);
  Output ge = v2 ? select_v2(op.input(0), zeros, dy[0]) : select(op.input(0), zeros, dy[0]);
  (*dx)[1] = v2 ? SumToShapeOf(gt, op.input(1)) : gt;
  (*dx)[2] = v2 ? SumToShapeOf(ge, op.input(2)) : ge;
  return OkStatus();
}

Status LowerSelect(const Node&, ExprBuilder& b, const std::vector<ExprValue>& in, std::vector<ExprValue>* out) {
  (*out)[0] = b.Select(in[0], in[1], in[2]);
  return OkStatus();
}

}  // namespace

void RegisterLogicalOps(OpRegistry& r) {
  for (auto [name, fn] : {std::pair{"LogicalAnd", +[](bool a, bool b) { return a && b; }},
                          std::pair{"LogicalOr", +[](bool a, bool b) { return a || b; }}}) {
    r.Register(Op(name).Input("x: bool").Input("y: bool").Output("z: bool").Shape(BroadcastBinaryShape)
                   .Kernel(BoolBinaryKernel(fn)).Commutative().NotDifferentiable()
                   .Elementwise(LowerBinary([is_and = name == std::string("LogicalAnd")](ExprBuilder& b, ExprValue x, ExprValue y) {
                     return is_and ? b.And(x, y) : b.Or(x, y);
                   })));
  }
  r.Register(Op("LogicalNot").Input("x: bool").Output("y: bool").Shape(UnchangedShape)
                 .Kernel([](KernelContext& c) {
                   for (int64_t i = 0; i < c.output(0).num_elements(); ++i) c.output(0).data<bool>()[i] = !c.input(0).data<bool>()[i];
                   return OkStatus();
                 })
                 .NotDifferentiable().Elementwise(LowerUnary([](ExprBuilder& b, ExprValue x) { return b.Not(x); })));
  // Select's condition, when a vector over t's first dim, broadcasts along dim 0, not NumPy's
  // right-aligned way: the fuser gives it the shape [N, 1, ..., 1].
  r.Register(Op("Select").Input("condition: bool").Input("t: T").Input("e: T").Output("output: T").Attr("T: type")
                 .Shape(SelectShape).Kernel(SelectKernel).Grad(SelectGrad).Elementwise(LowerSelect));
  r.Register(Op("SelectV2").Input("condition: bool").Input("t: T").Input("e: T").Output("output: T").Attr("T: type")
                 .Shape(SelectV2Shape).Kernel(SelectV2Kernel).Grad(SelectGrad).Elementwise(LowerSelect));
}

Output logical_and(const Output& x, const Output& y, const std::string& name) { return MakeOp("LogicalAnd", {x, y}, {}, name); }
Output logical_or(const Output& x, const Output& y, const std::string& name) { return MakeOp("LogicalOr", {x, y}, {}, name); }
Output logical_not(const Output& x, const std::string& name) { return MakeOp("LogicalNot", {x}, {}, name); }
Output select(const Output& c, const Output& t, const Output& e, const std::string& name) {
  return MakeOp("Select", {c, t, e}, {}, name);
}
Output select_v2(const Output& c, const Output& t, const Output& e, const std::string& name) {
  return MakeOp("SelectV2", {c, t, e}, {}, name);
}

}  // namespace kiln
