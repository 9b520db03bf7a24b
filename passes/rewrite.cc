#include "passes/rewrite.h"

#include <algorithm>
#include <unordered_set>

#include "graph/ops/kernel_util.h"

namespace kiln {

bool IsFed(const PassContext& context, const Node& node) {
  for (const Output& f : context.feeds) if (f.node == &node) return true;
  return false;
}

bool IsTarget(const PassContext& context, const Node& node) {
  return std::find(context.targets.begin(), context.targets.end(), &node) != context.targets.end();
}

bool IsPinned(const PassContext& context, const Node& node) {
  if (IsFed(context, node) || IsTarget(context, node)) return true;
  for (const Output& f : context.fetches) if (f.node == &node) return true;
  return false;
}

void ReplaceTensor(Graph& graph, const PassContext& context, const Output& from, const Output& to) {
  std::vector<Use> uses;
  for (const Use& u : from.node->uses()) {
    if (u.input_index >= 0 && u.node->input(u.input_index) == from) uses.push_back(u);
  }
  for (const Use& u : uses) graph.UpdateInput(u.node, u.input_index, to);
  for (Output& f : context.fetches) if (f == from) f = to;
}

void MoveControlUses(Graph& graph, Node* from, Node* to) {
  std::vector<Node*> consumers;
  for (const Use& u : from->uses()) if (u.input_index < 0) consumers.push_back(u.node);
  for (Node* c : consumers) {
    graph.RemoveControlInput(c, from);
    if (c != to) graph.AddControlInput(c, to);
  }
}

void ReplaceNode(Graph& graph, const PassContext& context, Node* from, Node* to) {
  for (int i = 0; i < from->num_outputs(); ++i) ReplaceTensor(graph, context, Output(from, i), Output(to, i));
  MoveControlUses(graph, from, to);
  for (Node*& t : context.targets) if (t == from) t = to;
}

StatusOr<Node*> ReplaceWithNewNode(Graph& graph, const PassContext& context, Node* old, NodeSpec spec) {
  spec.name = graph.UniqueName(spec.name);
  KILN_ASSIGN_OR_RETURN(Node* added, graph.AddNode(std::move(spec)));
  const std::string name = old->name();
  ReplaceNode(graph, context, old, added);
  RemoveIfUnused(graph, context, old);
  KILN_RETURN_IF_ERROR(graph.RenameNode(added, name));
  return added;
}

int RemoveIfUnused(Graph& graph, const PassContext& context, Node* node, std::vector<Node*>* removed) {
  // A node reached twice (read by two removed nodes) is skipped the second time: it may be freed.
  std::unordered_set<Node*> gone;
  std::vector<Node*> stack{node};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (gone.count(n) || !n->uses().empty() || n->def().is_stateful || IsPinned(context, *n)) continue;
    std::vector<Node*> inputs;
    for (const Output& in : n->inputs()) inputs.push_back(in.node);
    for (Node* c : n->control_inputs()) inputs.push_back(c);
    graph.RemoveNode(n);
    gone.insert(n);
    if (removed) removed->push_back(n);
    for (Node* in : inputs) stack.push_back(in);
  }
  return static_cast<int>(gone.size());
}

const Use* SoleDataUse(const Node& node) {
  if (node.uses().size() != 1 || node.uses()[0].input_index < 0) return nullptr;
  return &node.uses()[0];
}

std::vector<Node*> IdentityChain(Output t) {
  std::vector<Node*> chain;
  while (t.node->op() == "Identity") {
    chain.push_back(t.node);
    t = t.node->input(0);
  }
  return chain;
}

Output ThroughIdentities(const Output& t) {
  std::vector<Node*> chain = IdentityChain(t);
  return chain.empty() ? t : chain.back()->input(0);
}

bool DependsOn(const Node* node, const Node* target) {
  std::vector<const Node*> stack = {node};
  std::unordered_set<const Node*> seen;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n == target) return true;
    if (!seen.insert(n).second) continue;
    for (const Output& in : n->inputs()) stack.push_back(in.node);
    for (const Node* dep : n->control_inputs()) stack.push_back(dep);
  }
  return false;
}

void RestoreTopologicalIds(Graph& graph) {
  std::vector<Node*> nodes = graph.nodes();
  bool in_order = true;
  for (Node* n : nodes) {
    for (const Output& in : n->inputs()) in_order = in_order && in.node->id() < n->id();
    for (Node* c : n->control_inputs()) in_order = in_order && c->id() < n->id();
  }
  if (in_order) return;
  // Post-order DFS from each node in id order (explicit stack): a node is emitted once all of its
  // inputs are, so an old node keeps its place and a new one lands just before its first reader.
  const size_t max_id = nodes.empty() ? 0 : static_cast<size_t>(nodes.back()->id()) + 1;
  std::vector<uint8_t> state(max_id, 0);  // 0 new, 1 on the stack, 2 emitted
  std::vector<Node*> order;
  order.reserve(nodes.size());
  auto predecessor = [](Node* n, size_t k) -> Node* {
    return k < n->inputs().size() ? n->input(static_cast<int>(k)).node : n->control_inputs()[k - n->inputs().size()];
  };
  std::vector<std::pair<Node*, size_t>> stack;
  for (Node* root : nodes) {
    if (state[root->id()]) continue;
    state[root->id()] = 1;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      auto& [n, k] = stack.back();
      if (k < n->inputs().size() + n->control_inputs().size()) {
        Node* p = predecessor(n, k++);
        if (state[p->id()] == 0) {
          state[p->id()] = 1;
          stack.push_back({p, 0});
        }
        continue;
      }
      state[n->id()] = 2;
      order.push_back(n);
      stack.pop_back();
    }
  }
  graph.RenumberNodes(order);
}

bool AllElementsEqual(const Tensor& t, double value) {
  if (t.num_elements() == 0) return false;
  bool all = false;
  Status s = DispatchNumeric(t.dtype(), "AllElementsEqual", [&]<typename T>() {
    const T* p = t.data<T>();
    all = std::all_of(p, p + t.num_elements(), [&](T v) { return static_cast<double>(v) == value; });
    return OkStatus();
  });
  return s.ok() && all;
}

std::optional<std::vector<int64_t>> KnownInts(const Output& t) {
  const Tensor* v = t.node->known_value(t.index);
  if (!v || (v->dtype() != DT_INT32 && v->dtype() != DT_INT64)) return std::nullopt;
  return TensorToInts(*v);
}

namespace {

// The bias `add` adds along the innermost dim of `producer`'s output (FindBiasReluChain), or null.
const Output* BiasAddedTo(const Node& add, const Node& producer) {
  const TensorType& out = producer.output_type(0);
  if (add.op() == "BiasAdd") {
    const bool innermost = add.attr<std::string>("data_format") == "NHWC" || out.shape.rank() == 2;
    return add.input(0).node == &producer && innermost ? &add.input(1) : nullptr;
  }
  if (add.op() != "AddV2" && add.op() != "Add") return nullptr;
  const int other = add.input(0).node == &producer ? 1 : 0;
  const Output& bias = add.input(other);
  if (bias.node == &producer || add.input(1 - other).node != &producer) return nullptr;
  const Shape& b = bias.node->output_type(bias.index).shape;
  const int rank = out.shape.rank();
  const bool per_channel = b.rank() == 1 && rank >= 1 && b.dim(0) >= 0 && b.dim(0) == out.shape.dim(rank - 1);
  const bool same_result = add.output_type(0).shape == out.shape && bias.dtype() == out.dtype;
  return per_channel && same_result ? &bias : nullptr;
}

}  // namespace

std::optional<BiasReluChain> FindBiasReluChain(const PassContext& context, Node& producer) {
  if (IsPinned(context, producer)) return std::nullopt;
  const Use* to_add = SoleDataUse(producer);
  if (!to_add) return std::nullopt;
  Node* add = to_add->node;
  const Output* bias = BiasAddedTo(*add, producer);
  if (!bias || IsFed(context, *add)) return std::nullopt;
  BiasReluChain chain{{&producer, add}, *bias, {"BiasAdd"}};
  // The last node of the chain may be fetched or a target (those move to the fused node); one
  // before it may not.
  const Use* to_relu = IsPinned(context, *add) ? nullptr : SoleDataUse(*add);
  if (to_relu && to_relu->node->op() == "Relu" && !IsFed(context, *to_relu->node)) {
    chain.nodes.push_back(to_relu->node);
    chain.fused_ops.push_back("Relu");
  }
  return chain;
}

Status FuseChain(Graph& graph, const PassContext& context, const std::vector<Node*>& chain, const std::string& op,
                 const std::vector<Output>& inputs, AttrMap attrs, const std::string& device, Node* second) {
  Node* last = chain.back();
  std::vector<Node*> waits;
  for (Node* n : chain) {
    for (Node* dep : n->control_inputs()) {
      if (std::find(chain.begin(), chain.end(), dep) == chain.end()) waits.push_back(dep);
    }
  }
  KILN_ASSIGN_OR_RETURN(Node* fused, ReplaceWithNewNode(graph, context, last,
                                                        {.name = last->name() + "/fused", .op = op, .inputs = inputs,
                                                         .control_inputs = waits, .attrs = std::move(attrs),
                                                         .device = device}));
  if (second) {
    ReplaceTensor(graph, context, Output(second, 0), Output(fused, 1));
    MoveControlUses(graph, second, fused);
    RemoveIfUnused(graph, context, second);
  }
  return OkStatus();
}

}  // namespace kiln
