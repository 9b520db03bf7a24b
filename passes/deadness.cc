#include "passes/deadness.h"

#include <algorithm>
#include <functional>
#include <iterator>

namespace kiln {
namespace {

// The tensor a Switch really switches on: TF's cond switches data on pred_id = Identity(pred) and
// builds its pivots from Switch(pred, pred), so both must name the same predicate.
Output CanonicalPredicate(Output t) {
  while (t.node->op() == "Identity" && t.node->control_inputs().empty() && t.node->num_inputs() == 1) t = t.node->input(0);
  return t;
}

}  // namespace

bool DeadnessAnalysis::Literal::operator<(const Literal& o) const {
  if (pred != o.pred) return std::less<const Node*>()(pred, o.pred);
  if (index != o.index) return index < o.index;
  return branch < o.branch;
}

DeadnessAnalysis::DeadnessAnalysis(const Graph& graph) {
  std::vector<Node*> nodes = graph.nodes();
  for (const Node* n : nodes) has_switch_ = has_switch_ || n->def().control_flow == ControlFlowKind::kSwitch;
  if (!has_switch_) return;
  for (const Node* n : nodes) conditions_[n] = Compute(*n);
}

void DeadnessAnalysis::AddNode(const Node& node) {
  if (has_switch_) conditions_[&node] = Compute(node);
}

DeadnessAnalysis::Condition DeadnessAnalysis::OfNode(const Node& node) const {
  if (!has_switch_) return {};
  auto it = conditions_.find(&node);
  if (it == conditions_.end()) return {.unknown = true};  // created after the analysis and not added
  return it->second;
}

DeadnessAnalysis::Condition DeadnessAnalysis::OfTensor(const Output& tensor) const {
  Condition c = OfNode(*tensor.node);
  if (!has_switch_ || tensor.node->def().control_flow != ControlFlowKind::kSwitch || c.unknown) return c;
  return Join(c, {.literals = {SwitchLiteral(tensor.node->input(1), tensor.index)}});
}

DeadnessAnalysis::Literal DeadnessAnalysis::SwitchLiteral(const Output& switch_pred, int branch) const {
  const Output pred = CanonicalPredicate(switch_pred);
  const Literal plain{pred.node, pred.index, branch};
  // Equal(Merge:1, k) or Equal(k, Merge:1), Merge of a cond's two branches (graph/ops/control_ops.cc's
  // MergeGrad): true exactly when the Merge's input k was the live one.
  const Node& eq = *pred.node;
  if (eq.op() != "Equal" || eq.num_inputs() != 2) return plain;
  const int side = eq.input(0).index == 1 && eq.input(0).node->def().control_flow == ControlFlowKind::kMerge ? 0 : 1;
  const Output index = eq.input(side);
  const Tensor* k = eq.input(1 - side).node->known_value(eq.input(1 - side).index);
  if (index.index != 1 || index.node->def().control_flow != ControlFlowKind::kMerge || index.node->num_inputs() != 2 ||
      !k || k->num_elements() != 1 || (k->dtype() != DT_INT32 && k->dtype() != DT_INT64)) {
    return plain;
  }
  const int64_t which = k->dtype() == DT_INT32 ? k->scalar<int32_t>() : k->scalar<int64_t>();
  if (which != 0 && which != 1) return plain;
  std::vector<Literal> only[2];
  Condition in[2] = {OfTensor(index.node->input(0)), OfTensor(index.node->input(1))};
  if (in[0].unknown || in[1].unknown) return plain;
  std::set_difference(in[0].literals.begin(), in[0].literals.end(), in[1].literals.begin(), in[1].literals.end(),
                      std::back_inserter(only[0]));
  std::set_difference(in[1].literals.begin(), in[1].literals.end(), in[0].literals.begin(), in[0].literals.end(),
                      std::back_inserter(only[1]));
  if (only[0].size() != 1 || only[1].size() != 1 || only[0][0].pred != only[1][0].pred ||
      only[0][0].index != only[1][0].index) {
    return plain;
  }
  // branch 1 of the Switch: "input `which` was live"; branch 0: "the other one was".
  return only[branch == 1 ? which : 1 - which][0];
}

DeadnessAnalysis::Condition DeadnessAnalysis::Join(const Condition& a, const Condition& b) {
  if (a.unknown || b.unknown) return {.unknown = true};
  Condition out;
  std::set_union(a.literals.begin(), a.literals.end(), b.literals.begin(), b.literals.end(),
                 std::back_inserter(out.literals));
  return out;
}

DeadnessAnalysis::Condition DeadnessAnalysis::MergeOf(const std::vector<Condition>& inputs) {
  if (inputs.empty()) return {};
  for (const Condition& c : inputs) if (!c.unknown && c.literals.empty()) return {};
  for (const Condition& c : inputs) if (c.unknown) return {.unknown = true};
  if (std::all_of(inputs.begin(), inputs.end(), [&](const Condition& c) { return c.literals == inputs[0].literals; })) {
    return inputs[0];
  }
  // The two branches of one cond: {A, p=0} and {A, p=1} merge to A.
  if (inputs.size() == 2) {
    const auto& a = inputs[0].literals;
    const auto& b = inputs[1].literals;
    std::vector<Literal> only_a, only_b;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
    if (only_a.size() == 1 && only_b.size() == 1 && only_a[0].pred == only_b[0].pred &&
        only_a[0].index == only_b[0].index) {
      Condition out;
      std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out.literals));
      return out;
    }
  }
  return {.unknown = true};
}

DeadnessAnalysis::Condition DeadnessAnalysis::Compute(const Node& node) const {
  Condition c;
  if (node.def().control_flow == ControlFlowKind::kMerge) {
    std::vector<Condition> inputs;
    for (const Output& in : node.inputs()) inputs.push_back(OfTensor(in));
    c = MergeOf(inputs);
  } else {
    for (const Output& in : node.inputs()) c = Join(c, OfTensor(in));
  }
  for (const Node* dep : node.control_inputs()) c = Join(c, OfNode(*dep));
  return c;
}

bool DeadnessAnalysis::MayBeDead(const Output& tensor) const {
  Condition c = OfTensor(tensor);
  return c.unknown || !c.literals.empty();
}

bool DeadnessAnalysis::LiveWhenever(const Output& a, const Output& b) const {
  Condition ca = OfTensor(a);
  if (!ca.unknown && ca.literals.empty()) return true;
  Condition cb = OfTensor(b);
  if (ca.unknown || cb.unknown) return false;
  return std::includes(cb.literals.begin(), cb.literals.end(), ca.literals.begin(), ca.literals.end());
}

StatusOr<Node*> ControlAnchor(Graph& graph, DeadnessAnalysis& deadness, const Output& tensor) {
  if (tensor.node->def().control_flow != ControlFlowKind::kSwitch) return tensor.node;
  const std::string name = "ControlAnchor/" + tensor.node->name() + "_" + std::to_string(tensor.index);
  if (Node* existing = graph.FindNode(name)) return existing;
  KILN_ASSIGN_OR_RETURN(Node* anchor, graph.AddNode({.name = name, .op = "Identity", .inputs = {tensor},
                                                     .device = tensor.node->device()}));
  deadness.AddNode(*anchor);
  return anchor;
}

}  // namespace kiln
