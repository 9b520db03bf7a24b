#include "passes/batch_norm_epilogue.h"

#include <algorithm>

#include "passes/rewrite.h"

namespace kiln {
namespace {

bool Contains(const std::vector<Node*>& nodes, const Node* n) {
  return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
}

// The Relu that is the only reader of the batch norm's y, and may go: not fed or fetched, and
// waiting for nothing the batch norm does not wait for (the fused node takes the batch norm's place,
// and a wait added to it could be a cycle through its other outputs).
Node* FusibleRelu(const PassContext& context, const Node& bn) {
  Node* relu = nullptr;
  for (const Use& u : bn.uses()) {
    if (u.input_index < 0 || u.node->input(u.input_index).index != 0) continue;
    if (relu || u.node->op() != "Relu") return nullptr;
    relu = u.node;
  }
  if (!relu || IsPinned(context, *relu)) return nullptr;
  for (const Node* dep : relu->control_inputs()) if (!Contains(bn.control_inputs(), dep)) return nullptr;
  return relu;
}

// Relu(FusedBatchNormV3(...)) -> _FusedBatchNormEx(...), under the batch norm's name.
Status FuseForward(Graph& graph, const PassContext& context, Node* bn, Node* relu) {
  AttrMap attrs = bn->attrs();
  attrs["activation_mode"] = std::string("Relu");
  attrs["num_side_inputs"] = int64_t{0};
  KILN_ASSIGN_OR_RETURN(Node* fused, ReplaceWithNewNode(graph, context, bn,
                                                        {.name = bn->name() + "/relu", .op = "_FusedBatchNormEx",
                                                         .inputs = bn->inputs(), .control_inputs = bn->control_inputs(),
                                                         .attrs = attrs, .device = bn->device()}));
  ReplaceTensor(graph, context, Output(relu, 0), Output(fused, 0));
  MoveControlUses(graph, relu, fused);
  RemoveIfUnused(graph, context, relu);
  return OkStatus();
}

// The ReluGrad(dy, y) the batch norm gradient `grad` reads (through the gradient tuples'
// Identities), with y the output of a fused forward batch norm of the same x; null otherwise.
Node* FusibleReluGrad(const PassContext& context, const Node& grad) {
  const Output src = ThroughIdentities(grad.input(0));
  Node* relu_grad = src.node;
  if (relu_grad->op() != "ReluGrad" || IsPinned(context, *relu_grad)) return nullptr;
  const Output y = relu_grad->input(1);
  if (y.index != 0 || y.node->op() != "_FusedBatchNormEx" || y.node->input(0) != grad.input(1)) return nullptr;
  if (relu_grad->output_type(0).shape != grad.input(1).shape()) return nullptr;
  return relu_grad;
}

// FusedBatchNormGradV3(ReluGrad(dy, y), ...) -> _FusedBatchNormGradEx(dy, ..., offset, y). The
// Identities between them wait for the gradient tuple's group, which waits for the ReluGrad: the
// fused node computes that ReluGrad itself, so it drops those waits (and the ReluGrad then goes
// with the Identities, unless something else reads it). Every other wait is kept.
Status FuseBackward(Graph& graph, const PassContext& context, Node* grad, Node* relu_grad) {
  std::vector<Node*> waits;
  auto wait_for = [&](Node* dep) {
    if (!Contains(waits, dep) && !DependsOn(dep, relu_grad)) waits.push_back(dep);
  };
  for (Node* dep : grad->control_inputs()) wait_for(dep);
  for (Node* dep : relu_grad->control_inputs()) wait_for(dep);
  for (Node* identity : IdentityChain(grad->input(0))) {
    for (Node* dep : identity->control_inputs()) wait_for(dep);
  }
  const Output y = relu_grad->input(1);
  std::vector<Output> inputs = {relu_grad->input(0)};
  for (int i = 1; i < 6; ++i) inputs.push_back(grad->input(i));
  inputs.push_back(y.node->input(2));  // the forward batch norm's offset
  inputs.push_back(y);
  AttrMap attrs = grad->attrs();
  attrs["activation_mode"] = std::string("Relu");
  attrs["num_side_inputs"] = int64_t{0};
  return ReplaceWithNewNode(graph, context, grad,
                            {.name = grad->name() + "/relu", .op = "_FusedBatchNormGradEx", .inputs = inputs,
                             .control_inputs = waits, .attrs = attrs, .device = grad->device()})
      .status();
}

class BatchNormEpiloguePass : public GraphPass {
 public:
  std::string name() const override { return "batchnorm"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    bool changed = false;
    std::vector<Node*> norms, grads;
    for (Node* n : graph.nodes()) {
      if (n->op() == "FusedBatchNormV3") norms.push_back(n);
      if (n->op() == "FusedBatchNormGradV3") grads.push_back(n);
    }
    for (Node* bn : norms) {
      if (IsPinned(context, *bn)) continue;
      Node* relu = FusibleRelu(context, *bn);
      if (!relu) continue;
      KILN_RETURN_IF_ERROR(FuseForward(graph, context, bn, relu));
      changed = true;
    }
    for (Node* grad : grads) {
      if (IsFed(context, *grad)) continue;
      Node* relu_grad = FusibleReluGrad(context, *grad);
      if (!relu_grad) continue;
      KILN_RETURN_IF_ERROR(FuseBackward(graph, context, grad, relu_grad));
      changed = true;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeBatchNormEpiloguePass() { return std::make_unique<BatchNormEpiloguePass>(); }

}  // namespace kiln
