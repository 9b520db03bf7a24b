#include "passes/fusion.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "graph/elementwise_lowering.h"
#include "passes/deadness.h"

namespace kiln {
namespace {

bool IsFusableDtype(DataType t) { return t == DT_FLOAT || t == DT_DOUBLE || t == DT_BOOL; }

// Whether `in` broadcasts against `shape` (NumPy's rule, right-aligned, only 1s repeat).
bool BroadcastsTo(const std::vector<int64_t>& in, const std::vector<int64_t>& shape) {
  if (in.size() > shape.size()) return false;
  size_t offset = shape.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] != 1 && in[d] != shape[offset + d]) return false;
  }
  return true;
}

// One more than the largest node id (ids may have gaps after passes removed nodes).
size_t IdBound(const Graph& graph) {
  std::vector<Node*> nodes = graph.nodes();
  return nodes.empty() ? 0 : static_cast<size_t>(nodes.back()->id()) + 1;
}

bool WritesVariable(const Node& node) {
  for (const ArgDef& arg : node.def().inputs) {
    if (arg.is_ref) return true;
  }
  return false;
}

// A column reduction's sums are divided by the rows they add up for Mean, by 1 otherwise.
double ColumnSumDivisor(const Node& n) {
  if (n.op() != "Mean") return 1;
  const Shape& in = n.input(0).shape();
  return static_cast<double>(in.num_elements() / in.dims().back());
}

// The clusters under construction: a union-find over node ids with each root's member list.
class Partition {
 public:
  explicit Partition(size_t id_bound) : parent_(id_bound), members_(id_bound) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int Find(int id) {
    while (parent_[id] != id) id = parent_[id] = parent_[parent_[id]];
    return id;
  }
  void Add(Node* n) { members_[n->id()] = {n}; }
  std::vector<Node*>& members(int root) { return members_[root]; }
  // Makes `from`'s members part of `into`'s cluster.
  void Merge(int into, int from) {
    parent_[from] = into;
    std::vector<Node*>& dst = members_[into];
    dst.insert(dst.end(), members_[from].begin(), members_[from].end());
    std::sort(dst.begin(), dst.end(), [](Node* a, Node* b) { return a->id() < b->id(); });
    members_[from].clear();
  }

 private:
  std::vector<int> parent_;
  std::vector<std::vector<Node*>> members_;
};

class Fuser {
 public:
  Fuser(const Graph& graph, const FusionOptions& options)
      : graph_(graph),
        options_(options),
        deadness_(graph),
        partition_(IdBound(graph)),
        in_cluster_(IdBound(graph), false),
        column_reduction_(IdBound(graph), false) {
    for (Node* n : graph.nodes()) {
      if (WritesVariable(*n)) writer_ids_.push_back(n->id());
      if (IsColumnReduction(*n)) column_reduction_[n->id()] = true;
    }
    for (const Output& f : options.fetches) fetched_.insert({f.node, f.index});
  }

  std::vector<FusionCluster> Run() {
    for (Node* n : graph_.nodes()) {
      if (column_reduction_[n->id()]) {
        JoinInputsCluster(n);
        continue;
      }
      if (!CanFuse(*n) || (options_.may_fuse && !options_.may_fuse(*n))) continue;
      in_cluster_[n->id()] = true;
      partition_.Add(n);
      // Pull each fusable producer's cluster into this node's, when the rules in fusion.h allow.
      for (const Output& in : n->inputs()) {
        if (!in_cluster_[in.node->id()]) continue;
        int into = partition_.Find(n->id()), from = partition_.Find(in.node->id());
        if (into != from && MayMerge(into, from)) partition_.Merge(into, from);
      }
    }
    std::vector<FusionCluster> clusters;
    std::set<int> done;
    for (Node* n : graph_.nodes()) {  // by last node: a cluster is complete once its root is seen last
      if (!in_cluster_[n->id()]) continue;
      int root = partition_.Find(n->id());
      const std::vector<Node*>& members = partition_.members(root);
      if (members.back() == n) clusters.push_back(Describe(members));
    }
    return clusters;
  }

 private:
  bool IsReduction(const Node* n) const { return column_reduction_[n->id()]; }
  // The inputs of a member its loop reads: a column reduction's axes are not data.
  int MemberInputs(const Node& n) const { return IsReduction(&n) ? 1 : ExpressionInputs(n); }
  // The shape a member's loop walks: its output's, or a column reduction's input's.
  const std::vector<int64_t>& WalkedShape(const Node* m) const {
    if (!IsReduction(m)) return m->output_type(0).shape.dims();
    const Output& in = m->input(0);
    return in.node->output_type(in.index).shape.dims();
  }
  // The shape the cluster's loop walks: every member's (MayMerge checks).
  const std::vector<int64_t>& IterationShape(const std::vector<Node*>& members) const {
    return WalkedShape(members.front());
  }

  // A column reduction joins the cluster of the member computing its input, if the rules allow;
  // otherwise it stays out of every cluster and runs its library kernel.
  void JoinInputsCluster(Node* n) {
    if (options_.may_fuse && !options_.may_fuse(*n)) return;
    const Node* producer = n->input(0).node;
    if (!in_cluster_[producer->id()]) return;
    partition_.Add(n);
    int into = partition_.Find(producer->id());
    if (!MayMerge(into, n->id())) return;
    partition_.Merge(into, n->id());
    in_cluster_[n->id()] = true;
  }

  bool MayMerge(int a, int b) {
    std::vector<Node*> merged = partition_.members(a);
    merged.insert(merged.end(), partition_.members(b).begin(), partition_.members(b).end());
    if (static_cast<int>(merged.size()) > options_.max_nodes) return false;
    std::sort(merged.begin(), merged.end(), [](Node* x, Node* y) { return x->id() < y->id(); });
    const std::vector<int64_t>& shape = IterationShape(merged);
    int first = merged.front()->id(), last = merged.back()->id();
    std::set<const Node*> member_set(merged.begin(), merged.end());
    for (Node* m : merged) {
      if (WalkedShape(m) != shape) return false;
      for (int i = 0; i < MemberInputs(*m); ++i) {
        const Node* in = m->input(i).node;
        if (member_set.count(in) && IsReduction(in)) return false;  // its sums exist only after the loop
      }
      if (!deadness_.LiveWhenever(Output(m, 0), Output(merged.front(), 0)) ||
          !deadness_.LiveWhenever(Output(merged.front(), 0), Output(m, 0))) {
        return false;
      }
      for (const Use& u : m->uses()) {
        if (!member_set.count(u.node) && u.node->id() < last) return false;  // it would read too early
      }
    }
    auto writer = std::upper_bound(writer_ids_.begin(), writer_ids_.end(), first);
    return writer == writer_ids_.end() || *writer > last;
  }

  FusionCluster Describe(const std::vector<Node*>& members) const {
    FusionCluster c;
    c.nodes = members;
    c.shape = IterationShape(members);
    std::set<const Node*> member_set(members.begin(), members.end());
    std::set<std::pair<const Node*, int>> seen_inputs, seen_outputs;
    for (Node* m : members) {
      for (int i = 0; i < MemberInputs(*m); ++i) {
        const Output& in = m->input(i);
        if (member_set.count(in.node) || !seen_inputs.insert({in.node, in.index}).second) continue;
        c.inputs.push_back(in);
        c.input_shapes.push_back(in.shape().dims());
      }
    }
    for (Node* m : members) {
      for (int o = 0; o < m->num_outputs(); ++o) {
        bool read_outside = fetched_.count({m, o}) > 0;
        for (const Use& u : m->uses()) {
          read_outside = read_outside || (u.input_index >= 0 && !member_set.count(u.node) && u.node->input(u.input_index).index == o);
        }
        if (read_outside && seen_outputs.insert({m, o}).second) {
          c.outputs.emplace_back(m, o);
          c.column_sum_divisors.push_back(IsReduction(m) ? ColumnSumDivisor(*m) : 0);
        }
      }
    }
    return c;
  }

  const Graph& graph_;
  const FusionOptions& options_;
  DeadnessAnalysis deadness_;
  Partition partition_;
  std::vector<bool> in_cluster_;
  std::vector<bool> column_reduction_;  // by node id: IsColumnReduction
  std::vector<int> writer_ids_;  // ascending
  std::set<std::pair<const Node*, int>> fetched_;  // always cluster outputs
};

}  // namespace

bool IsColumnReduction(const Node& node) {
  const std::string& op = node.op();
  if (op != "Sum" && op != "Mean" && op != "BiasAddGrad") return false;
  if (node.num_inputs() < 1 || node.num_outputs() != 1) return false;
  const TensorType& in = node.input(0).type();
  if (in.is_ref || (in.dtype != DT_FLOAT && in.dtype != DT_DOUBLE) || !in.shape.IsFullyDefined()) return false;
  if (node.output_type(0).dtype != in.dtype || node.output_type(0).is_ref) return false;
  const int64_t rank = static_cast<int64_t>(in.shape.dims().size());
  if (rank < 2 || in.shape.num_elements() == 0) return false;
  if (op == "BiasAddGrad") {
    const AttrValue* format = node.FindAttr("data_format");
    return !format || std::get<std::string>(*format) == "NHWC";
  }
  if (node.num_inputs() != 2) return false;
  const Tensor* axes = node.input(1).node->known_value(node.input(1).index);
  if (!axes || (axes->dtype() != DT_INT32 && axes->dtype() != DT_INT64)) return false;
  std::vector<bool> reduced(rank, false);
  for (int64_t i = 0; i < axes->num_elements(); ++i) {
    int64_t a = axes->dtype() == DT_INT32 ? axes->data<int32_t>()[i] : axes->data<int64_t>()[i];
    if (a < 0) a += rank;
    if (a < 0 || a >= rank - 1 || reduced[a]) return false;  // the innermost dim is kept
    reduced[a] = true;
  }
  return axes->num_elements() == rank - 1;
}

bool CanFuse(const Node& node) {
  const OpDef& def = node.def();
  if (!HasElementwiseLowering(node) || def.is_stateful || def.control_flow != ControlFlowKind::kNone) return false;
  if (node.num_outputs() == 0) return false;
  if (node.op() == "BiasAdd") {
    const AttrValue* format = node.FindAttr("data_format");
    if (format && std::get<std::string>(*format) != "NHWC") return false;
  }
  const Shape& shape = node.output_type(0).shape;
  if (!shape.IsFullyDefined()) return false;
  for (const TensorType& t : node.output_types()) {
    if (t.is_ref || !IsFusableDtype(t.dtype) || !(t.shape == shape)) return false;
  }
  for (int i = 0; i < ExpressionInputs(node); ++i) {
    const TensorType& t = node.input(i).type();
    if (t.is_ref || !IsFusableDtype(t.dtype) || !t.shape.IsFullyDefined() || !BroadcastsTo(t.shape.dims(), shape.dims())) {
      return false;
    }
  }
  return true;
}

std::vector<FusionCluster> FindElementwiseClusters(const Graph& graph, const FusionOptions& options) {
  return Fuser(graph, options).Run();
}

}  // namespace kiln
