#include "passes/pool_relu_grad.h"

#include <algorithm>

#include "passes/rewrite.h"

namespace kiln {
namespace {

// Whether the MaxPoolGrad's orig_output is output 0 of a MaxPool of `x` with its window.
bool PoolsX(const Node& pool_grad, const Output& x) {
  const Output& y = pool_grad.input(1);
  const Node& pool = *y.node;
  if (pool.op() != "MaxPool" || y.index != 0 || pool.input(0) != x) return false;
  for (const char* attr : {"ksize", "strides"}) {
    if (pool.attr<std::vector<int64_t>>(attr) != pool_grad.attr<std::vector<int64_t>>(attr)) return false;
  }
  for (const char* attr : {"padding", "data_format"}) {
    if (pool.attr<std::string>(attr) != pool_grad.attr<std::string>(attr)) return false;
  }
  return true;
}

class PoolReluGradPass : public GraphPass {
 public:
  std::string name() const override { return "pool_relu"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    bool changed = false;
    std::vector<Node*> relu_grads;
    for (Node* n : graph.nodes()) if (n->op() == "ReluGrad") relu_grads.push_back(n);
    for (Node* relu_grad : relu_grads) {
      Node* pool_grad = relu_grad->input(0).node;
      const Output x = relu_grad->input(1);
      if (pool_grad->op() != "MaxPoolGrad" || IsPinned(context, *pool_grad) || IsFed(context, *relu_grad)) continue;
      const Use* sole = SoleDataUse(*pool_grad);
      if (!sole || sole->node != relu_grad || sole->input_index != 0) continue;
      if (pool_grad->input(0) != x || !PoolsX(*pool_grad, x)) continue;
      const Output y = pool_grad->input(1), g = pool_grad->input(2);
      std::vector<Node*> waits = relu_grad->control_inputs();
      for (Node* w : pool_grad->control_inputs()) {
        if (std::find(waits.begin(), waits.end(), w) == waits.end()) waits.push_back(w);
      }
      KILN_ASSIGN_OR_RETURN(Node* masked, graph.AddNode({.name = graph.UniqueName(relu_grad->name() + "/pooled"),
                                                         .op = "ReluGrad",
                                                         .inputs = {g, y},
                                                         .control_inputs = waits,
                                                         .attrs = relu_grad->attrs(),
                                                         .device = relu_grad->device()}));
      KILN_RETURN_IF_ERROR(ReplaceWithNewNode(graph, context, relu_grad,
                                              {.name = relu_grad->name() + "/moved",
                                               .op = "MaxPoolGrad",
                                               .inputs = {x, y, Output(masked, 0)},
                                               .attrs = pool_grad->attrs(),
                                               .device = pool_grad->device()})
                               .status());
      changed = true;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakePoolReluGradPass() { return std::make_unique<PoolReluGradPass>(); }

}  // namespace kiln
