// Which nodes can be dead, and when: what a pass must know before it drops an edge. TF's executor
// (and Kiln's, runtime/executable.cc) marks the untaken output of a Switch dead; a node with a dead
// data or control input is dead and does not run; a Merge is dead only when all its inputs are.
// So a rewrite that bypasses an operand, or folds a node into a Const with no inputs, must keep
// every dependency that could make the result dead.
//
// A node's liveness condition is a conjunction of literals "predicate p took branch b" (p followed
// through Identities to the tensor the cond switches on): live exactly when all hold. A Merge of
// the two branches of one cond, {A, p=0} and {A, p=1}, is live when A holds; a Merge this analysis
// cannot reduce gets an unknown condition, treated as "may be dead, no one knows when". A cond's
// gradient switches on Equal(Merge:1, k), "the Merge forwarded input k": for such a Merge of the
// two branches of p that is the literal p=(input k's branch), so the gradient's own Merges reduce too.
#pragma once

#include <unordered_map>
#include <vector>

#include "graph/graph.h"

namespace kiln {

class DeadnessAnalysis {
 public:
  // Walks the graph in id order (a topological order). Graphs without Switch cost one scan.
  explicit DeadnessAnalysis(const Graph& graph);

  // Whether the tensor can be dead in some run.
  bool MayBeDead(const Output& tensor) const;
  // Whether `a` is live whenever `b` is (a's condition is implied by b's), so a node reading b can
  // drop a dependency on a without becoming live where it used to be dead.
  bool LiveWhenever(const Output& a, const Output& b) const;
  // Adds a node created after the analysis ran (its inputs must be known to the analysis).
  void AddNode(const Node& node);

 private:
  struct Literal {
    const Node* pred;  // the predicate tensor's node and output index
    int index;
    int branch;
    bool operator<(const Literal& o) const;
    bool operator==(const Literal& o) const { return pred == o.pred && index == o.index && branch == o.branch; }
  };
  struct Condition {
    bool unknown = false;
    std::vector<Literal> literals;  // sorted, unique
  };

  Condition OfTensor(const Output& tensor) const;
  // The literal "Switch on `pred` took `branch`", in terms of a cond predicate where possible.
  Literal SwitchLiteral(const Output& pred, int branch) const;
  Condition OfNode(const Node& node) const;
  Condition Compute(const Node& node) const;
  static Condition Join(const Condition& a, const Condition& b);  // both must hold
  static Condition MergeOf(const std::vector<Condition>& inputs);  // any may hold

  bool has_switch_ = false;
  std::unordered_map<const Node*, Condition> conditions_;  // every node, once the graph has a Switch
};

// The node a control edge must come from to carry `tensor`'s deadness: its producer, except for a
// Switch output, whose deadness a control edge from the Switch would lose (the Switch itself runs
// either way). Then it is an Identity of that output, made once per output (grappler's
// ConstantFoldingCtrl nodes) and added to `deadness`.
StatusOr<Node*> ControlAnchor(Graph& graph, DeadnessAnalysis& deadness, const Output& tensor);

}  // namespace kiln
