// NoOp, tf.group, and the dataflow control ops a TF1 cond is built from (Switch, RefSwitch, Merge).
// Switch and Merge have no kernel: the executor implements them (graph/op_def.h, ControlFlowKind).
#include "graph/ops/control_ops.h"

#include "graph/ops/array_ops.h"
#include "graph/ops/math_ops.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

Status SwitchShape(InferenceContext& c) {
  const Shape& pred = c.input_shape(1);
  if (!pred.unknown_rank() && pred.rank() != 0) {
    return c.error("the predicate of a Switch must be a scalar, got shape " + pred.ToString());
  }
  c.set_output_shape(0, c.input_shape(0));
  c.set_output_shape(1, c.input_shape(0));
  return OkStatus();
}

// The most specific shape every input can have: branches of a cond may disagree on unknown dims.
Status MergeShape(InferenceContext& c) {
  Shape merged = c.input_shape(0);
  for (int i = 1; i < c.num_inputs() && !merged.unknown_rank(); ++i) {
    const Shape& s = c.input_shape(i);
    if (s.unknown_rank() || s.rank() != merged.rank()) {
      merged = Shape::UnknownRank();
      break;
    }
    std::vector<int64_t> dims = merged.dims();
    for (int d = 0; d < s.rank(); ++d) if (dims[d] != s.dim(d)) dims[d] = -1;
    merged = Shape(dims);
  }
  c.set_output_shape(0, merged);
  c.set_output_shape(1, Shape::Scalar());
  return OkStatus();
}

// d switch: the two branches' gradients meet again in a Merge. The gradient pass gives an unused
// output ZerosLike(that output), which is dead exactly when that branch was not taken, so the Merge
// always finds one live input. (TF's _SwitchGrad for a cond context.)
Status SwitchGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  if (!dy[0] || !dy[1]) return OkStatus();
  (*dx)[0] = merge({dy[0], dy[1]}, "cond_grad")[0];
  return OkStatus();
}

// d merge: dy goes back to whichever input was forwarded, found from value_index (TF's _MergeGrad
// outside a cond context, which needs nothing but the graph).
Status MergeGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output value_index(const_cast<Node*>(&op), 1);
  for (int i = 0; i < op.num_inputs(); ++i) {
    Output taken = equal(value_index, constant(Tensor::Scalar<int32_t>(i), "", op.graph()));
    (*dx)[i] = switch_(dy[0], taken, "cond_grad")[1];
  }
  return OkStatus();
}

}  // namespace

void RegisterControlOps(OpRegistry& r) {
  r.Register(Op("NoOp").Shape(NoOutputsShape).Kernel([](KernelContext&) { return OkStatus(); }).NotDifferentiable()
                 .Lowering({OpLowering::Kind::kNothing, ""})
                 .Doc("Does nothing; its control inputs are what runs."));
  r.Register(Op("Switch").Input("data: T").Input("pred: bool").Output("output_false: T").Output("output_true: T")
                 .Attr("T: type").Shape(SwitchShape).Grad(SwitchGrad).ControlFlow(ControlFlowKind::kSwitch)
                 .Doc("Forwards data to output_true if pred, else to output_false; the other output is dead."));
  r.Register(Op("RefSwitch").Input("data: Ref(T)").Input("pred: bool").Output("output_false: Ref(T)")
                 .Output("output_true: Ref(T)").Attr("T: type").Shape(SwitchShape).Grad(SwitchGrad)
                 .ControlFlow(ControlFlowKind::kSwitch).Doc("Switch of a variable: forwards the reference itself."));
  r.Register(Op("Merge").Input("inputs: N * T").Output("output: T").Output("value_index: int32").Attr("T: type")
                 .Attr("N: int >= 1").Shape(MergeShape).Grad(MergeGrad).ControlFlow(ControlFlowKind::kMerge)
                 .Doc("Forwards the first live input and its index."));
}

Operation no_op(const std::string& name) { return MakeNode("NoOp", {}, {}, name); }

Operation group(const std::vector<Operation>& ops, const std::string& name) {
  Graph* g = nullptr;
  for (const Operation& op : ops) {
    if (!op.node) return BuildError(g, InvalidArgument("group() got a null operation (an earlier error?)")).node;
    g = op.node->graph();
  }
  if (!g) g = &get_default_graph();
  control_dependencies deps(ops);
  return MakeNode("NoOp", {}, {}, name.empty() ? "group_deps" : name, g);
}

std::array<Output, 2> switch_(const Output& data, const Output& pred, const std::string& name) {
  const char* op = data && data.type().is_ref ? "RefSwitch" : "Switch";
  Node* n = MakeNode(op, {data, pred}, {}, name.empty() ? "Switch" : name);
  if (!n) return {Output(), Output()};
  return {Output(n, 0), Output(n, 1)};
}

std::array<Output, 2> merge(const std::vector<Output>& inputs, const std::string& name) {
  Node* n = MakeNode("Merge", inputs, {}, name.empty() ? "Merge" : name);
  if (!n) return {Output(), Output()};
  return {Output(n, 0), Output(n, 1)};
}

}  // namespace kiln
