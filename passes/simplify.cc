#include "passes/simplify.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_set>

#include "graph/ops/kernel_util.h"
#include "passes/deadness.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// Whether `reader` already waits for everything in `deps` (so it loses nothing when a node between
// them that waited on `deps` goes). TF1 code builds whole gradient graphs under
// control_dependencies(UPDATE_OPS), so most gradient nodes and all their readers share these.
bool WaitsForAll(const Node& reader, const std::vector<Node*>& deps) {
  const auto& own = reader.control_inputs();
  return std::all_of(deps.begin(), deps.end(), [&](Node* d) { return std::find(own.begin(), own.end(), d) != own.end(); });
}

// What a rule works with, and the one safe way to make a node disappear.
class Simplifier {
 public:
  Simplifier(Graph& graph, const PassContext& context) : graph_(graph), context_(context), deadness_(graph) {}

  Graph& graph() { return graph_; }
  const DeadnessAnalysis& deadness() const { return deadness_; }
  bool removed(Node* n) const { return removed_.count(n) > 0; }

  // Whether `node` (and the chain `also` between it and x) may be skipped, readers taking x: not
  // fetched, a target or fed (those keep their names, grappler's nodes_to_preserve), the same dtype
  // and fully known shape, no dropped operand that is dead where x is live, and no control input
  // that a reader does not already wait for, by itself or through x (ImpliedBy).
  bool CanBypass(const Node& node, const Output& x, const std::vector<const Node*>& also = {}) const {
    if (IsPinned(context_, node)) return false;
    const TensorType& out = node.output_type(0);
    if (x.type().is_ref || x.dtype() != out.dtype || !out.shape.IsFullyDefined() || !(x.shape() == out.shape)) return false;
    std::vector<const Node*> skipped = also;
    skipped.push_back(&node);
    std::vector<Node*> waits;
    for (const Node* n : skipped) {
      for (Node* c : n->control_inputs()) {
        if (!ImpliedBy(*c, x)) waits.push_back(c);
      }
    }
    for (const Use& u : node.uses()) if (!WaitsForAll(*u.node, waits)) return false;
    for (const Node* n : skipped) {
      if (IsFed(context_, *n)) return false;
      for (const Output& in : n->inputs()) {
        bool on_path = in == x || std::find(skipped.begin(), skipped.end(), in.node) != skipped.end();
        if (!on_path && !deadness_.LiveWhenever(in, x)) return false;
      }
    }
    // A reader waiting on `node` will wait on x's node instead; on a Switch that waits for the
    // Switch, not for the output x, and would lose x's deadness.
    bool control_uses = std::any_of(node.uses().begin(), node.uses().end(), [](const Use& u) { return u.input_index < 0; });
    return !(control_uses && x.node->def().control_flow == ControlFlowKind::kSwitch);
  }

  // Whether waiting for x's node already gives a reader all that waiting for `dep` would: dep is
  // x's node or a node it reads directly (a dead one would make x dead too, unless x's node is a
  // Merge, which is never assumed), a source, a NoOp whose control inputs all are so (recursively,
  // as the unread pass leaves chains of them where unread gradients were), or a pure
  // node whose value nobody reads (its only uses are waits by `waiter`) and that is live whenever x
  // is. TF's gradients build a NoOp for each op's input gradients (gradients/<op>_grad/tuple/
  // group_deps) and an Identity per gradient waiting on it. For a gradient computed from the others
  // (Sub's Neg(g) beside g), or beside one nobody reads (the gradient of a fed input, which the
  // unread pass has made a NoOp), the wait adds nothing, but the Identity kept the gradient chain
  // from fusing.
  bool ImpliedBy(const Node& dep, const Output& x, const Node* waiter = nullptr, int depth = 0) const {
    if (x.node->def().control_flow == ControlFlowKind::kMerge) return false;
    if (&dep == x.node) return true;
    const std::vector<Output>& direct = x.node->inputs();
    if (std::any_of(direct.begin(), direct.end(), [&](const Output& in) { return in.node == &dep; })) return true;
    // A source (a placeholder, constant or variable) is there before anything runs, and never dead.
    if (dep.inputs().empty() && dep.control_inputs().empty() && (!dep.def().is_stateful || dep.op() == "VariableV2")) {
      return true;
    }
    if (dep.op() == "NoOp" && dep.inputs().empty() && depth < 8) {
      return std::all_of(dep.control_inputs().begin(), dep.control_inputs().end(),
                         [&](const Node* c) { return ImpliedBy(*c, x, &dep, depth + 1); });
    }
    bool only_waited_on = waiter && std::all_of(dep.uses().begin(), dep.uses().end(), [&](const Use& u) {
      return u.node == waiter && u.input_index < 0;
    });
    return only_waited_on && !dep.def().is_stateful && dep.num_outputs() > 0 && !IsPinned(context_, dep) &&
           deadness_.LiveWhenever(Output(const_cast<Node*>(&dep), 0), x);
  }

  // Readers of node's output 0 read x; the node and whatever only it used go.
  bool Bypass(Node* node, const Output& x, const std::vector<const Node*>& also = {}) {
    if (!CanBypass(*node, x, also)) return false;
    ReplaceTensor(graph_, context_, Output(node, 0), x);
    MoveControlUses(graph_, node, x.node);
    Remove(node);
    return true;
  }

  void Remove(Node* node) {
    std::vector<Node*> gone;
    RemoveIfUnused(graph_, context_, node, &gone);
    removed_.insert(gone.begin(), gone.end());
  }

  // Rewires input i of `node` (kept in place) to `source`, re-inferring its type.
  bool Rewire(Node* node, int i, const Output& source) {
    graph_.UpdateInput(node, i, source);
    return graph_.InferNode(node).ok();
  }

  const PassContext& context() const { return context_; }

 private:
  Graph& graph_;
  const PassContext& context_;
  DeadnessAnalysis deadness_;
  std::unordered_set<Node*> removed_;
};

// Whether every element of t is `value`: a known constant, or OnesLike/ZerosLike/Fill saying so.
bool IsSplat(const Output& t, double value) {
  if (const Tensor* v = t.node->known_value(t.index)) return AllElementsEqual(*v, value);
  const std::string& op = t.node->op();
  if (op == "OnesLike") return value == 1;
  if (op == "ZerosLike") return value == 0;
  if (op == "Fill") {
    const Tensor* fill = t.node->input(1).node->known_value(t.node->input(1).index);
    return fill && AllElementsEqual(*fill, value);
  }
  return false;
}

bool IsIdentityPermutation(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i) if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

using Rule = bool (*)(Simplifier&, Node*);

bool ForwardIdentity(Simplifier& s, Node* n) {
  // `W/read` reads a variable by reference: the runtime aliases it, and it is not ours to drop.
  if (n->input(0).type().is_ref) return false;
  return s.Bypass(n, n->input(0));
}

// x op e -> x where e is the identity element on that side.
bool DropNeutralOperand(Simplifier& s, Node* n) {
  const std::string& op = n->op();
  double neutral = (op == "Mul" || op == "RealDiv") ? 1 : 0;
  bool commutes = op == "Mul" || op == "Add" || op == "AddV2";
  if (IsSplat(n->input(1), neutral) && s.Bypass(n, n->input(0))) return true;
  return commutes && IsSplat(n->input(0), neutral) && s.Bypass(n, n->input(1));
}

bool CancelDoubleNegation(Simplifier& s, Node* n) {
  Node* inner = n->input(0).node;
  return inner->op() == "Neg" && s.Bypass(n, inner->input(0), {inner});
}

// Transpose(Transpose(x, p), q)[i] reads x[p[q[i]]]: one Transpose by p∘q, none if that is the identity.
bool ComposeTransposes(Simplifier& s, Node* n) {
  std::optional<std::vector<int64_t>> outer = KnownInts(n->input(1));
  if (!outer) return false;
  if (IsIdentityPermutation(*outer)) return s.Bypass(n, n->input(0));
  Node* inner = n->input(0).node;
  if (inner->op() != "Transpose" || n->input(0).index != 0) return false;
  std::optional<std::vector<int64_t>> p = KnownInts(inner->input(1));
  if (!p || p->size() != outer->size()) return false;
  std::vector<int64_t> composed;
  for (int64_t i : *outer) composed.push_back((*p)[i]);
  const Output x = inner->input(0);
  if (IsIdentityPermutation(composed)) return s.Bypass(n, x, {inner});
  const DeadnessAnalysis& dead = s.deadness();
  if (!WaitsForAll(*n, inner->control_inputs()) || IsFed(s.context(), *inner) || !dead.LiveWhenever(inner->input(1), x) ||
      !dead.LiveWhenever(n->input(1), x)) {
    return false;
  }
  Graph& g = s.graph();
  StatusOr<Node*> perm = g.AddNode({.name = g.UniqueName(n->name() + "/perm"), .op = "Const",
                                    .attrs = {{"value", IntsToTensor(composed, n->input(1).dtype())},
                                              {"dtype", n->input(1).dtype()}},
                                    .device = n->device()});
  if (!perm.ok()) return false;
  Node* old_perm = n->input(1).node;
  if (!s.Rewire(n, 0, x) || !s.Rewire(n, 1, Output(*perm, 0))) return false;
  s.Remove(inner);
  s.Remove(old_perm);
  return true;
}

// Reshape(Reshape(x, s), t) -> Reshape(x, t): only the last shape matters.
bool CollapseReshapes(Simplifier& s, Node* n) {
  Node* inner = n->input(0).node;
  if (inner->op() != "Reshape") return false;
  const Output x = inner->input(0);
  if (!WaitsForAll(*n, inner->control_inputs()) || IsFed(s.context(), *inner) ||
      !s.deadness().LiveWhenever(inner->input(1), x)) {
    return false;
  }
  if (!s.Rewire(n, 0, x)) return false;
  s.Remove(inner);
  return true;
}

// An op whose output 0 is its input 0 whenever the two have the same shape and dtype: a reshape to
// the same shape, a reduction over size-1 (or no) axes, a tile by ones, a zero pad, a full slice, a
// cast to the same type, a concat or sum of one tensor.
bool DropShapePreservingOp(Simplifier& s, Node* n) {
  if ((n->op() == "ConcatV2" || n->op() == "AddN") && n->attr<int64_t>("N") != 1) return false;
  return s.Bypass(n, n->input(0));
}

// AddN(g, ZerosLike(..)) -> g: a resolved cond's gradient adds the zeros its untaken branch
// contributes to the taken branch's gradient of the same tensor.
bool DropZeroSummands(Simplifier& s, Node* n) {
  if (n->attr<int64_t>("N") == 1) return DropShapePreservingOp(s, n);
  std::vector<Output> nonzero;
  for (const Output& in : n->inputs()) if (!IsSplat(in, 0)) nonzero.push_back(in);
  return nonzero.size() == 1 && s.Bypass(n, nonzero[0]);
}

bool SimplifyReshape(Simplifier& s, Node* n) { return DropShapePreservingOp(s, n) || CollapseReshapes(s, n); }

const std::map<std::string, std::vector<Rule>>& RulesByOp() {
  static const auto* rules = new std::map<std::string, std::vector<Rule>>{
      {"Identity", {ForwardIdentity}},
      {"StopGradient", {ForwardIdentity}},
      {"Mul", {DropNeutralOperand}},
      {"Add", {DropNeutralOperand}},
      {"AddV2", {DropNeutralOperand}},
      {"Sub", {DropNeutralOperand}},
      {"RealDiv", {DropNeutralOperand}},
      {"Neg", {CancelDoubleNegation}},
      {"Transpose", {ComposeTransposes}},
      {"Reshape", {SimplifyReshape}},
      {"Squeeze", {DropShapePreservingOp}},
      {"ExpandDims", {DropShapePreservingOp}},
      {"Tile", {DropShapePreservingOp}},
      {"BroadcastTo", {DropShapePreservingOp}},
      {"Pad", {DropShapePreservingOp}},
      {"Slice", {DropShapePreservingOp}},
      {"Cast", {DropShapePreservingOp}},
      {"ConcatV2", {DropShapePreservingOp}},
      {"AddN", {DropZeroSummands}},
      {"Sum", {DropShapePreservingOp}},
      {"Mean", {DropShapePreservingOp}},
      {"Max", {DropShapePreservingOp}},
      {"Min", {DropShapePreservingOp}},
      {"Prod", {DropShapePreservingOp}},
  };
  return *rules;
}

class SimplifyPass : public GraphPass {
 public:
  std::string name() const override { return "simplify"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    Simplifier s(graph, context);
    const auto& rules = RulesByOp();
    bool changed = false;
    // Id order is topological, so a chain (Neg(Neg(Neg(Neg x)))) simplifies in one sweep: each
    // node sees its inputs already rewritten.
    for (Node* node : graph.nodes()) {
      if (s.removed(node) || node->num_outputs() != 1 || IsFed(context, *node)) continue;
      auto it = rules.find(node->op());
      if (it == rules.end()) continue;
      for (Rule rule : it->second) {
        if (rule(s, node)) {
          changed = true;
          break;
        }
      }
    }
    if (changed) RestoreTopologicalIds(graph);
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeSimplifyPass() { return std::make_unique<SimplifyPass>(); }

}  // namespace kiln
