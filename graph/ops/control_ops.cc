#include "graph/ops/control_ops.h"

#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {

void RegisterControlOps(OpRegistry& r) {
  r.Register(Op("NoOp").Shape(NoOutputsShape).Kernel([](KernelContext&) { return OkStatus(); }).NotDifferentiable()
                 .Doc("Does nothing; its control inputs are what runs."));
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

}  // namespace kiln
