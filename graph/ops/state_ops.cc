// Variable ops: VariableV2 (a ref to Session-owned storage) and the assignments that write it.
#include "graph/ops/state_ops.h"

#include "graph/op_registry.h"
#include "graph/ops/array_ops.h"
#include "graph/ops/control_ops.h"
#include "graph/ops/kernel_util.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

Status VariableShape(InferenceContext& c) {
  c.set_output_shape(0, c.attr<Shape>("shape"));
  return OkStatus();
}

// The executable binds VariableV2's ref output to the variable's storage; nothing to compute.
Status VariableKernel(KernelContext& c) { return OkStatus(); }

Status AssignShape(InferenceContext& c) {
  if (c.attr<bool>("validate_shape")) {
    const Shape& a = c.input_shape(0);
    const Shape& b = c.input_shape(1);
    StatusOr<Shape> m = a.Merge(b);
    if (!m.ok()) {
      if (a.rank() != b.rank()) {
        return c.error("Shapes must be equal rank, but are " + std::to_string(a.rank()) + " and " + std::to_string(b.rank()));
      }
      for (int d = 0; d < a.rank(); ++d) {
        if (a.dim(d) >= 0 && b.dim(d) >= 0 && a.dim(d) != b.dim(d)) {
          return c.error("Dimension " + std::to_string(d) + " in both shapes must be equal, but are " +
                         std::to_string(a.dim(d)) + " and " + std::to_string(b.dim(d)));
        }
      }
      return c.error(m.status().message());
    }
    c.set_output_shape(0, *m);
  } else {
    c.set_output_shape(0, c.input_shape(1));
  }
  return OkStatus();
}

Status AssignKernel(KernelContext& c) {
  VariableStorage* var = c.ref_input(0);
  if (!var) return c.error("Assign has no variable bound to its ref input");
  const Tensor& v = c.input(1);
  if (c.attr<bool>("validate_shape") && !var->shape.IsCompatibleWith(v.shape())) {
    return c.error("Assign requires shapes of both tensors to match. lhs shape= " + var->shape.ToString() +
                   " rhs shape= " + v.shape().ToString());
  }
  return var->Assign(v);
}

template <bool kAdd>
Status AssignUpdateKernel(KernelContext& c) {
  VariableStorage* var = c.ref_input(0);
  if (!var) return c.error("no variable bound to the ref input");
  if (!var->initialized) return c.uninitialized(var->name);
  const Tensor& d = c.input(1);
  if (var->value.dims() != d.dims()) {
    return c.error("Update shape " + d.shape().ToString() + " does not match variable shape " + var->value.shape().ToString());
  }
  return DispatchNumeric(d.dtype(), c.node().op(), [&]<typename T>() {
    T* w = var->value.data<T>();
    const T* u = d.data<T>();
    for (int64_t i = 0; i < d.num_elements(); ++i) w[i] = kAdd ? w[i] + u[i] : w[i] - u[i];
    return OkStatus();
  });
}

Status AssignUpdateShape(InferenceContext& c) {
  StatusOr<Shape> m = c.input_shape(0).Merge(c.input_shape(1));
  if (!m.ok()) return c.error("Shapes must be equal: " + m.status().message());
  c.set_output_shape(0, *m);
  return OkStatus();
}

}  // namespace

void RegisterStateOps(OpRegistry& r) {
  r.Register(Op("VariableV2").Output("ref: Ref(dtype)").Attr("shape: shape").Attr("dtype: type")
                 .Attr("container: string = \"\"").Attr("shared_name: string = \"\"")
                 .Shape(VariableShape).Kernel(VariableKernel).Stateful().NotDifferentiable()
                 .Lowering({OpLowering::Kind::kNothing, ""}));
  r.Register(Op("Assign").Input("ref: Ref(T)").Input("value: T").Output("output_ref: Ref(T)").Attr("T: type")
                 .Attr("validate_shape: bool = true").Attr("use_locking: bool = true")
                 .Shape(AssignShape).Kernel(AssignKernel).Stateful().NotDifferentiable());
  const std::string kNumeric = "T: {float, double, int32, int64}";
  r.Register(Op("AssignAdd").Input("ref: Ref(T)").Input("value: T").Output("output_ref: Ref(T)").Attr(kNumeric)
                 .Attr("use_locking: bool = false").Shape(AssignUpdateShape).Kernel(AssignUpdateKernel<true>)
                 .Stateful().NotDifferentiable().Lowering({OpLowering::Kind::kLibrary, "assign_add"}));
  r.Register(Op("AssignSub").Input("ref: Ref(T)").Input("value: T").Output("output_ref: Ref(T)").Attr(kNumeric)
                 .Attr("use_locking: bool = false").Shape(AssignUpdateShape).Kernel(AssignUpdateKernel<false>)
                 .Stateful().NotDifferentiable().Lowering({OpLowering::Kind::kLibrary, "assign_sub"}));
}

// ---- builder API ----

Variable::Variable(const Output& initial_value, const std::string& name, bool trainable) {
  if (!initial_value) return;
  Graph* g = initial_value.graph();
  const Shape& shape = initial_value.shape();
  if (!shape.IsFullyDefined()) {
    BuildError(g, InvalidArgument("initial_value of Variable '" + name + "' must have a fully defined shape, got " +
                                  shape.ToString()));
    return;
  }
  name_scope scope(*g, name.empty() ? "Variable" : name);
  std::string full = scope.prefix();  // "W/" -> the variable node itself is "W"
  {
    // The variable and its initializer are outside any control-dependency context, as in TF.
    auto saved = std::move(g->control_dependency_stack());
    g->control_dependency_stack().clear();
    node_ = MakeNode("VariableV2", {}, {{"shape", shape}, {"dtype", initial_value.dtype()}}, full, g);
    if (node_) {
      initializer_ = MakeNode("Assign", {Output(node_, 0), initial_value}, {}, "Assign", g);
      read_ = MakeOp("Identity", {Output(node_, 0)}, {}, "read", g);
    }
    g->control_dependency_stack() = std::move(saved);
  }
  if (!node_ || !initializer_ || !read_) {
    node_ = nullptr;
    return;
  }
  g->AddToCollection(GraphKeys::GLOBAL_VARIABLES, node_);
  if (trainable) g->AddToCollection(GraphKeys::TRAINABLE_VARIABLES, node_);
}

Variable Variable::FromNode(Node* n) {
  Variable v;
  if (!n) return v;
  v.node_ = n;
  Graph* g = n->graph();
  Node* read = g->FindNode(n->name() + "/read");
  v.read_ = read ? Output(read, 0) : Output(n, 0);
  v.initializer_ = g->FindNode(n->name() + "/Assign");
  return v;
}

Output Variable::assign(const Output& value, const std::string& name) const { return kiln::assign(*this, value, true, name); }
Output Variable::assign_add(const Output& d, const std::string& name) const { return kiln::assign_add(*this, d, name); }
Output Variable::assign_sub(const Output& d, const std::string& name) const { return kiln::assign_sub(*this, d, name); }

Output assign(const Variable& ref, const Output& value, bool validate_shape, const std::string& name) {
  if (!ref) return BuildError(value.graph(), InvalidArgument("assign() to a null variable"));
  return MakeOp("Assign", {ref.ref(), value}, {{"validate_shape", validate_shape}}, name);
}
Output assign_add(const Variable& ref, const Output& delta, const std::string& name) {
  if (!ref) return BuildError(delta.graph(), InvalidArgument("assign_add() to a null variable"));
  return MakeOp("AssignAdd", {ref.ref(), delta}, {}, name);
}
Output assign_sub(const Variable& ref, const Output& delta, const std::string& name) {
  if (!ref) return BuildError(delta.graph(), InvalidArgument("assign_sub() to a null variable"));
  return MakeOp("AssignSub", {ref.ref(), delta}, {}, name);
}

namespace {
std::vector<Variable> VariablesIn(Graph* graph, const std::string& key) {
  Graph& g = graph ? *graph : get_default_graph();
  std::vector<Variable> vars;
  for (Node* n : g.GetCollection(key)) vars.push_back(Variable::FromNode(n));
  return vars;
}
}  // namespace

std::vector<Variable> global_variables(Graph* graph) { return VariablesIn(graph, GraphKeys::GLOBAL_VARIABLES); }
std::vector<Variable> trainable_variables(Graph* graph) { return VariablesIn(graph, GraphKeys::TRAINABLE_VARIABLES); }

Operation variables_initializer(const std::vector<Variable>& vars, const std::string& name) {
  std::vector<Operation> inits;
  for (const Variable& v : vars) if (v.initializer()) inits.push_back(v.initializer());
  return group(inits, name);
}

Operation global_variables_initializer(Graph* graph) {
  std::vector<Variable> vars = global_variables(graph);
  if (vars.empty()) {
    Graph& g = graph ? *graph : get_default_graph();
    return MakeNode("NoOp", {}, {}, "init", &g);
  }
  return variables_initializer(vars, "init");
}

}  // namespace kiln
