#include "passes/unread_values.h"

#include <algorithm>

#include "passes/deadness.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// Computed, but only waited on: pure, not a feed, fetch or target, and read only by control edges.
bool IsUnreadValue(const Node& node, const PassContext& context) {
  const OpDef& def = node.def();
  if (def.is_stateful || def.control_flow != ControlFlowKind::kNone || node.num_outputs() == 0) return false;
  // A Const costs nothing to keep; a placeholder left unfed must still fail the run.
  if (node.op() == "Const" || node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") return false;
  // An Identity of a Switch output is what a control edge on that output has to go through (a
  // branch pivot): as a NoOp it would need just such an Identity to wait on.
  if (node.op() == "Identity" && node.input(0).node->def().control_flow == ControlFlowKind::kSwitch) return false;
  if (node.uses().empty() || IsPinned(context, node)) return false;
  for (const Use& u : node.uses()) if (u.input_index >= 0) return false;
  for (const TensorType& t : node.output_types()) if (t.is_ref) return false;
  for (const Output& in : node.inputs()) if (in.type().is_ref) return false;
  return true;
}

class UnreadValuesPass : public GraphPass {
 public:
  std::string name() const override { return "unread"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    DeadnessAnalysis deadness(graph);
    std::vector<Node*> nodes = graph.nodes();
    bool changed = false;
    // Readers first: once a node is a NoOp its inputs are only waited on too (the labels'
    // gradient LogSoftmax -> Neg -> Mul goes in one sweep).
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      Node* node = *it;
      if (!IsUnreadValue(*node, context)) continue;
      std::vector<Node*> waits = node->control_inputs();
      for (const Output& in : node->inputs()) {
        // A fed tensor is there from the start of the run and never dead: nothing to wait for
        // (and a control edge would make the run need the placeholder behind the feed).
        if (std::find(context.feeds.begin(), context.feeds.end(), in) != context.feeds.end()) continue;
        KILN_ASSIGN_OR_RETURN(Node* anchor, ControlAnchor(graph, deadness, in));
        waits.push_back(anchor);
      }
      const std::string name = node->name();
      KILN_ASSIGN_OR_RETURN(Node* noop, graph.AddNode({.name = graph.UniqueName(name + "/unread"), .op = "NoOp",
                                                       .control_inputs = waits, .device = node->device()}));
      MoveControlUses(graph, node, noop);
      RemoveIfUnused(graph, context, node);  // only the node: its inputs are now waited on by the NoOp
      KILN_RETURN_IF_ERROR(graph.RenameNode(noop, name));
      changed = true;
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeUnreadValuesPass() { return std::make_unique<UnreadValuesPass>(); }

}  // namespace kiln
