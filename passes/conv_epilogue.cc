#include "passes/conv_epilogue.h"

#include <algorithm>
#include <set>

#include "graph/ops/conv_geometry.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// The bias gradient taken from the same out_backprop as the filter gradient `grad` (or what the
// Identities it reads through read): a BiasAddGrad (NHWC) of it, or a Sum of it over batch, height
// and width without keep_dims (the barebones `conv + b` writes that); null if there is none the
// pass may take. It may be fetched (the fetch moves to the fused node's second output), not fed
// or a target.
Node* BiasGradientBeside(const PassContext& context, const Node& grad) {
  const Output dy = ThroughIdentities(grad.input(2));
  for (const Use& use : dy.node->uses()) {
    Node* r = use.node;
    if (use.input_index != 0 || r->input(0) != dy || IsTarget(context, *r) || IsFed(context, *r)) continue;
    if (r->op() == "BiasAddGrad" && r->attr<std::string>("data_format") == "NHWC") return r;
    if (r->op() != "Sum" || r->attr<bool>("keep_dims") || !r->input(1).node->control_inputs().empty()) continue;
    std::optional<std::vector<int64_t>> axes = KnownInts(r->input(1));
    if (!axes) continue;
    std::vector<int64_t> reduced = *axes;
    for (int64_t& a : reduced) a = a < 0 ? a + 4 : a;
    std::sort(reduced.begin(), reduced.end());
    if (reduced == std::vector<int64_t>{0, 1, 2}) return r;
  }
  return nullptr;
}

class ConvEpiloguePass : public GraphPass {
 public:
  std::string name() const override { return "epilogue"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    bool changed = false;
    // Convolutions first: a fusion deletes only its own chain, never another convolution.
    std::vector<Node*> convs;
    for (Node* n : graph.nodes()) if (IsFloatNhwcConv(*n, "Conv2D")) convs.push_back(n);
    for (Node* conv : convs) {
      std::optional<BiasReluChain> chain = FindBiasReluChain(context, *conv);
      if (!chain) continue;
      std::vector<Output> inputs = {conv->input(0), conv->input(1), chain->bias};
      KILN_RETURN_IF_ERROR(Fuse(graph, context, chain->nodes, *conv, "_FusedConv2D", inputs, chain->fused_ops));
      changed = true;
    }
    // Input gradients read by a ReluGrad only (convnet3's second convolution, whose input is the
    // first one's ReLU): ReluGrad(Conv2DBackpropInput(...), features) becomes one op.
    std::vector<Node*> grads;
    for (Node* n : graph.nodes()) if (IsFloatNhwcConv(*n, "Conv2DBackpropInput")) grads.push_back(n);
    for (Node* grad : grads) {
      if (IsPinned(context, *grad)) continue;
      const Use* to_gate = SoleDataUse(*grad);
      if (!to_gate || to_gate->input_index != 0) continue;
      Node* gate = to_gate->node;
      const TensorType &gated = gate->output_type(0), &produced = grad->output_type(0);
      if (gate->op() != "ReluGrad" || IsFed(context, *gate) || gated.dtype != produced.dtype ||
          gated.shape != produced.shape) {
        continue;
      }
      std::vector<Output> inputs = {grad->input(0), grad->input(1), grad->input(2), gate->input(1)};
      KILN_RETURN_IF_ERROR(
          Fuse(graph, context, {grad, gate}, *grad, "_FusedConv2DBackpropInput", inputs, {"ReluGrad"}));
      changed = true;
    }
    // A filter gradient and the bias gradient of the same out_backprop: one op with two outputs,
    // which sums the bias gradient from each block of dy the filter gradient has in cache.
    std::vector<Node*> filter_grads;
    for (Node* n : graph.nodes()) if (IsFloatNhwcConv(*n, "Conv2DBackpropFilter")) filter_grads.push_back(n);
    for (Node* grad : filter_grads) {
      if (IsFed(context, *grad)) continue;
      Node* bias = BiasGradientBeside(context, *grad);
      if (!bias) continue;
      // The gradient tuple's Identity that the filter gradient reads waits for the bias gradient
      // (directly, or through the tuple's group NoOp); the fused node computes both at once and
      // reads that Identity, so the wait would be a cycle. Its data input still orders it.
      for (Node* identity : IdentityChain(grad->input(2))) {
        const std::vector<Node*> waits = identity->control_inputs();
        for (Node* wait : waits) {
          if (DependsOn(wait, bias)) graph.RemoveControlInput(identity, wait);
        }
      }
      KILN_RETURN_IF_ERROR(
          Fuse(graph, context, {bias, grad}, *grad, "_FusedConv2DBackpropFilter", grad->inputs(), {"BiasAddGrad"},
               bias));
      changed = true;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }


 private:
  // FuseChain with `like`'s attrs and `fused_ops` (and _FusedConv2D's one bias argument).
  static Status Fuse(Graph& graph, const PassContext& context, const std::vector<Node*>& chain, const Node& like,
                     const std::string& op, const std::vector<Output>& inputs,
                     const std::vector<std::string>& fused_ops, Node* second = nullptr) {
    AttrMap attrs = like.attrs();
    attrs["fused_ops"] = fused_ops;
    if (op == "_FusedConv2D") attrs["num_args"] = int64_t{1};
    return FuseChain(graph, context, chain, op, inputs, std::move(attrs), like.device(), second);
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeConvEpiloguePass() { return std::make_unique<ConvEpiloguePass>(); }

}  // namespace kiln
