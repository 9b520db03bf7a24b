#include "passes/branch_resolution.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "passes/rewrite.h"

namespace kiln {
namespace {

bool IsSwitch(const Node& n) { return n.def().control_flow == ControlFlowKind::kSwitch; }
bool IsMerge(const Node& n) { return n.def().control_flow == ControlFlowKind::kMerge; }

// What the sweep has learned so far, in id (topological) order: which nodes can never run, which
// Switches send their data one known way, and which Merges can only ever forward one known input.
class BranchFacts {
 public:
  bool Dead(const Output& t) const {
    if (dead_.count(t.node)) return true;
    auto it = taken_.find(t.node);
    return it != taken_.end() && t.index != it->second;
  }
  bool Dead(const Node* n) const { return dead_.count(n) > 0; }

  // Decides `node`'s fate from its inputs, which the sweep has already visited.
  void Visit(Node* node) {
    bool dead = std::any_of(node->control_inputs().begin(), node->control_inputs().end(),
                            [&](const Node* c) { return Dead(c); });
    if (IsMerge(*node)) {
      // As the executor: dead when every input is (or a control input is); otherwise it forwards the
      // first live input, which is known when only one input can be live.
      std::vector<int> can_live;
      for (int i = 0; i < node->num_inputs(); ++i) if (!Dead(node->input(i))) can_live.push_back(i);
      dead = dead || can_live.empty();
      if (!dead && can_live.size() == 1) forwarded_[node] = can_live[0];
    } else {
      for (const Output& in : node->inputs()) dead = dead || Dead(in);
      if (!dead && IsSwitch(*node)) {
        if (std::optional<bool> p = KnownBool(node->input(1))) taken_[node] = *p ? 1 : 0;
      }
    }
    if (dead) dead_.insert(node);
  }

  const std::unordered_map<Node*, int>& taken() const { return taken_; }
  const std::unordered_map<Node*, int>& forwarded() const { return forwarded_; }

 private:
  // The predicate's value if compiling knows it: a bool constant (through Identities), its
  // LogicalNot, or a cond gradient's Equal(Merge:1, k) with the Merge's forwarded input known.
  std::optional<bool> KnownBool(Output t) const {
    while (t.node->op() == "Identity") t = t.node->input(0);
    if (const Tensor* v = t.node->known_value(t.index); v && v->dtype() == DT_BOOL && v->num_elements() == 1) {
      return v->scalar<bool>();
    }
    if (t.node->op() == "LogicalNot") {
      if (std::optional<bool> p = KnownBool(t.node->input(0))) return !*p;
    }
    if (t.node->op() == "Equal" && t.node->num_inputs() == 2) {
      std::optional<int64_t> a = KnownInt(t.node->input(0)), b = KnownInt(t.node->input(1));
      if (a && b) return *a == *b;
    }
    return std::nullopt;
  }

  std::optional<int64_t> KnownInt(const Output& t) const {
    if (t.index == 1 && IsMerge(*t.node)) {
      auto it = forwarded_.find(t.node);
      if (it != forwarded_.end()) return it->second;
      return std::nullopt;
    }
    std::optional<std::vector<int64_t>> v = KnownInts(t);
    if (v && v->size() == 1 && t.shape().rank() == 0) return (*v)[0];
    return std::nullopt;
  }

  std::unordered_set<const Node*> dead_;
  std::unordered_map<Node*, int> taken_;      // Switch -> the output its data always takes
  std::unordered_map<Node*, int> forwarded_;  // Merge -> the one input it can forward
};

class BranchResolutionPass : public GraphPass {
 public:
  std::string name() const override { return "branches"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    std::vector<Node*> nodes = graph.nodes();
    if (std::none_of(nodes.begin(), nodes.end(), [](const Node* n) { return IsSwitch(*n); })) return false;
    BranchFacts facts;
    for (Node* n : nodes) facts.Visit(n);
    if (facts.taken().empty()) return false;
    for (const Output& f : context.fetches) if (facts.Dead(f)) return false;
    for (const Node* t : context.targets) if (facts.Dead(t)) return false;

    // Switches and Merges become Identities of what they forward, keeping the control inputs they
    // waited on (simplify drops the Identity where every reader already waits for those).
    for (Node* n : nodes) {
      if (facts.Dead(n)) continue;
      if (auto it = facts.taken().find(n); it != facts.taken().end()) {
        KILN_RETURN_IF_ERROR(Forward(graph, context, n, Output(n, it->second), n->input(0)));
      } else if (auto it = facts.forwarded().find(n); it != facts.forwarded().end()) {
        KILN_RETURN_IF_ERROR(Forward(graph, context, n, Output(n, 0), n->input(it->second)));
        if (!n->uses().empty()) KILN_RETURN_IF_ERROR(ReplaceValueIndex(graph, context, n, it->second));
      }
    }
    // Then the dead nodes go, readers first; the resolved Switches and Merges once nothing reads
    // them (with what only they read: the dead inputs of a Merge, which the second sweep takes).
    // A dead node a surviving Merge still reads stays (that Merge could forward another input).
    std::unordered_set<const Node*> gone;
    auto remove_dead = [&] {
      for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
        Node* n = *it;
        if (gone.count(n) || !facts.Dead(n) || !n->uses().empty()) continue;
        graph.RemoveNode(n);
        gone.insert(n);
      }
    };
    remove_dead();
    for (Node* n : nodes) {
      if (gone.count(n) || !(facts.taken().count(n) || facts.forwarded().count(n))) continue;
      std::vector<Node*> removed;
      RemoveIfUnused(graph, context, n, &removed);
      gone.insert(removed.begin(), removed.end());
    }
    remove_dead();
    RestoreTopologicalIds(graph);
    return true;
  }

 private:
  // Readers of `forwarded` (and waiters on its node) take Identity(source) instead.
  static Status Forward(Graph& graph, const PassContext& context, Node* node, const Output& forwarded,
                        const Output& source) {
    std::vector<Node*> waits;
    for (Node* c : node->control_inputs()) waits.push_back(c);
    KILN_ASSIGN_OR_RETURN(Node* identity, graph.AddNode({.name = graph.UniqueName(node->name() + "/resolved"),
                                                         .op = "Identity", .inputs = {source},
                                                         .control_inputs = waits, .device = node->device()}));
    ReplaceTensor(graph, context, forwarded, Output(identity, 0));
    MoveControlUses(graph, node, identity);
    RemoveIfUnused(graph, context, identity);  // the side nothing read (a pivot's other half)
    return OkStatus();
  }

  // A resolved Merge's value_index: the constant index of the input it forwards.
  static Status ReplaceValueIndex(Graph& graph, const PassContext& context, Node* merge, int index) {
    KILN_ASSIGN_OR_RETURN(Node* k, graph.AddNode({.name = graph.UniqueName(merge->name() + "/value_index"),
                                                  .op = "Const",
                                                  .attrs = {{"value", Tensor::Scalar<int32_t>(index)},
                                                            {"dtype", DT_INT32}},
                                                  .device = merge->device()}));
    ReplaceTensor(graph, context, Output(merge, 1), Output(k, 0));
    return OkStatus();
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakeBranchResolutionPass() { return std::make_unique<BranchResolutionPass>(); }

}  // namespace kiln
