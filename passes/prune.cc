#include "passes/prune.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace kiln {

StatusOr<std::vector<Node*>> PrunedTopologicalOrder(const std::vector<Output>& fetches, const std::vector<Node*>& targets,
                                                    const std::set<Output>& fed) {
  std::unordered_set<Node*> needed;
  std::vector<Node*> stack;
  auto visit = [&](Node* n) { if (needed.insert(n).second) stack.push_back(n); };
  for (const Output& f : fetches) if (!fed.count(f)) visit(f.node);
  for (Node* t : targets) visit(t);
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Output& in : n->inputs()) if (!fed.count(in)) visit(in.node);
    for (Node* c : n->control_inputs()) visit(c);
  }
  // Kahn's algorithm restricted to needed nodes; an edge from a fed tensor imposes no order.
  std::unordered_map<Node*, int> indegree;
  for (Node* n : needed) {
    int d = 0;
    for (const Output& in : n->inputs()) d += !fed.count(in) && needed.count(in.node);
    for (Node* c : n->control_inputs()) d += needed.count(c) > 0;
    indegree[n] = d;
  }
  // Among ready nodes the one created first runs first: creation order is the program's order,
  // and it matters once variables are updated in place. Gradients are built before the updates
  // that use them, so an update (assign_sub, ApplyAdam) never runs before a backprop op that
  // still reads the old value of its variable (the race TF's GATE_OP exists to prevent).
  auto later = [](Node* a, Node* b) { return a->id() > b->id(); };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later)> ready(later);
  std::vector<Node*> order;
  std::vector<Node*> sorted(needed.begin(), needed.end());
  std::sort(sorted.begin(), sorted.end(), [](Node* a, Node* b) { return a->id() < b->id(); });
  for (Node* n : sorted) if (indegree[n] == 0) ready.push(n);
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    order.push_back(n);
    for (const Use& u : n->uses()) {
      if (!needed.count(u.node)) continue;
      if (u.input_index >= 0 && fed.count(u.node->input(u.input_index))) continue;
      if (--indegree[u.node] == 0) ready.push(u.node);
    }
  }
  if (order.size() != needed.size()) {
    std::string names;
    int shown = 0;
    for (Node* n : sorted) {
      if (indegree[n] > 0 && shown++ < 5) names += (names.empty() ? "" : ", ") + n->name();
    }
    return InvalidArgument("Graph has a cycle among the nodes this run needs (e.g. " + names + ")");
  }
  return order;
}

namespace {

class PrunePass : public GraphPass {
 public:
  std::string name() const override { return "prune"; }

  StatusOr<bool> Run(Graph& graph, const PassContext& context) override {
    std::unordered_set<Node*> needed;
    std::vector<Node*> stack;
    auto visit = [&](Node* n) { if (needed.insert(n).second) stack.push_back(n); };
    for (const Output& f : context.fetches) visit(f.node);
    for (const Output& f : context.feeds) visit(f.node);
    for (Node* t : context.targets) visit(t);
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Output& in : n->inputs()) visit(in.node);
      for (Node* c : n->control_inputs()) visit(c);
    }
    // Readers first (ids are topological), so every removed node has no uses left.
    std::vector<Node*> nodes = graph.nodes();
    bool changed = false;
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      if (needed.count(*it)) continue;
      graph.RemoveNode(*it);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<GraphPass> MakePrunePass() { return std::make_unique<PrunePass>(); }

}  // namespace kiln
