#include "graph/elementwise_lowering.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace kiln {
namespace {

using TensorKey = std::pair<const Node*, int>;

TensorKey Key(const Output& o) { return {o.node, o.index}; }

}  // namespace

bool HasElementwiseLowering(const Node& node) {
  const OpLowering& l = node.def().lowering;
  return l.kind == OpLowering::Kind::kElementwise && static_cast<bool>(l.elementwise);
}

int ExpressionInputs(const Node& node) {
  const int declared = node.def().lowering.expr_inputs;
  return declared < 0 ? node.num_inputs() : std::min(declared, node.num_inputs());
}

Status LowerElementwiseNode(const Node& node, ExprBuilder& b, const std::vector<ExprValue>& inputs,
                            std::vector<ExprValue>* outputs) {
  auto context = [&](const Status& s) { return s.WithContext("lowering node " + node.DebugName()); };
  if (!HasElementwiseLowering(node)) return Unimplemented("op " + node.op() + " (node " + node.DebugName() + ") has no elementwise lowering");
  if (static_cast<int>(inputs.size()) != ExpressionInputs(node)) {
    return context(InvalidArgument(std::to_string(inputs.size()) + " input values for " +
                                   std::to_string(ExpressionInputs(node)) + " expression inputs"));
  }
  for (int i = 0; i < node.num_outputs(); ++i) {
    if (!IsExprDataType(node.output_type(i).dtype)) {
      return context(Unimplemented("output " + std::to_string(i) + " has dtype " + DataTypeName(node.output_type(i).dtype) +
                                   ", which elementwise expressions do not support"));
    }
  }
  outputs->assign(node.num_outputs(), ExprValue{});
  KILN_RETURN_IF_ERROR(context(node.def().lowering.elementwise(node, b, inputs, outputs)));
  KILN_RETURN_IF_ERROR(context(b.status()));
  for (int i = 0; i < node.num_outputs(); ++i) {
    DataType want = node.output_type(i).dtype, got = b.dtype((*outputs)[i]);
    if (got != want) {
      return context(Internal("the lowering of output " + std::to_string(i) + " has dtype " + DataTypeName(got) +
                              ", the node " + DataTypeName(want) + " (a bug in the op's lowering)"));
    }
  }
  return OkStatus();
}

StatusOr<ElementwiseExpr> LowerElementwiseCluster(const std::vector<Output>& inputs, const std::vector<const Node*>& nodes,
                                                  const std::vector<Output>& outputs) {
  ExprBuilder b;
  std::map<TensorKey, ExprValue> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    values[Key(inputs[i])] = b.Input(static_cast<int>(i), inputs[i].dtype());
    KILN_RETURN_IF_ERROR(b.status().WithContext("cluster input " + inputs[i].name()));
  }
  // Kahn's order over the cluster's internal edges: a node is ready once every input it takes
  // from another cluster node has a value. Ties follow the order of `nodes`, so one cluster always
  // gives the same expression text (a kernel cache key).
  const std::set<const Node*> members(nodes.begin(), nodes.end());
  std::set<const Node*> seen;
  std::map<const Node*, int> waiting;
  std::map<const Node*, std::vector<const Node*>> consumers;
  std::deque<const Node*> ready;
  for (const Node* n : nodes) {
    if (!seen.insert(n).second) continue;
    for (int i = 0; i < ExpressionInputs(*n); ++i) {
      const Output& in = n->input(i);
      if (values.count(Key(in))) continue;
      if (!members.count(in.node)) {
        return InvalidArgument("input " + in.name() + " of cluster node " + n->DebugName() +
                               " is neither a cluster input nor an output of a cluster node");
      }
      ++waiting[n];
      consumers[in.node].push_back(n);
    }
    if (!waiting.count(n)) ready.push_back(n);
  }
  size_t lowered = 0;
  for (; !ready.empty(); ready.pop_front(), ++lowered) {
    const Node* n = ready.front();
    std::vector<ExprValue> in, out;
    for (int i = 0; i < ExpressionInputs(*n); ++i) in.push_back(values.at(Key(n->input(i))));
    KILN_RETURN_IF_ERROR(LowerElementwiseNode(*n, b, in, &out));
    for (int i = 0; i < n->num_outputs(); ++i) values[{n, i}] = out[i];
    for (const Node* c : consumers[n]) {
      if (--waiting[c] == 0) ready.push_back(c);
    }
  }
  if (lowered != members.size()) return InvalidArgument("the cluster's nodes form a cycle");
  std::vector<ExprValue> result;
  for (const Output& o : outputs) {
    auto it = values.find(Key(o));
    if (it == values.end()) return InvalidArgument("cluster output " + o.name() + " is not computed by the cluster");
    result.push_back(it->second);
  }
  return std::move(b).Build(result);
}

}  // namespace kiln
