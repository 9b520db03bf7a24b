#include "passes/constant_folding.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_set>

#include "graph/kernel_context.h"
#include "passes/deadness.h"
#include "passes/fusion.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

class ConstantFoldingPass : public GraphPass {
 public:
  explicit ConstantFoldingPass(ConstantFoldingOptions options) : options_(options) {}
  std::string name() const override { return "fold"; }
  StatusOr<bool> Run(Graph& graph, const PassContext& context) override;

 private:
  bool MayFold(const Node& node, const PassContext& context) const;
  // The node's output values, or nothing when they cannot be computed at compile time.
  std::vector<Tensor> Evaluate(const Node& node) const;
  // What the replacement Consts wait for, so they are dead exactly when the node was.
  std::optional<std::vector<Node*>> DeadnessInputs(Graph& graph, DeadnessAnalysis& deadness, const Node& node) const;
  // False when the node could not be replaced and stays as it was.
  bool Fold(Graph& graph, const PassContext& context, DeadnessAnalysis& deadness, Node* node,
            std::vector<Tensor> values, std::unordered_set<Node*>* removed) const;

  ConstantFoldingOptions options_;
};

// A node whose value is far larger than its inputs (a BroadcastTo, a Fill, a gradient's broadcast
// of a scalar), when the fuser can compute it instead: as a Const it would be read from memory at
// every step (the autoencoder's mean gradient, 10 MB), where a fused kernel makes its elements in
// registers from the few its inputs hold.
bool GrowsIntoFusableConstant(const Node& node) {
  constexpr int64_t kMinBytes = 64 << 10, kMinGrowth = 16;
  if (!CanFuse(node)) return false;
  const TensorType& out = node.output_type(0);
  const int64_t elements = out.shape.num_elements();
  if (elements * static_cast<int64_t>(DataTypeSize(out.dtype)) < kMinBytes) return false;
  int64_t input_elements = 0;
  for (const Output& in : node.inputs()) input_elements += std::max<int64_t>(in.shape().num_elements(), 0);
  return elements >= kMinGrowth * std::max<int64_t>(input_elements, 1);
}

bool ConstantFoldingPass::MayFold(const Node& node, const PassContext& context) const {
  const OpDef& def = node.def();
  if (def.is_stateful || def.control_flow != ControlFlowKind::kNone || !def.kernel) return false;
  // A placeholder's default is not its value: the run may feed it.
  if (node.op() == "Const" || node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") return false;
  if (node.num_outputs() == 0 || IsFed(context, node)) return false;
  for (const TensorType& t : node.output_types()) {
    if (t.is_ref || DataTypeSize(t.dtype) == 0 || !t.shape.IsFullyDefined()) return false;
    int64_t n = t.shape.num_elements();
    if (n < 0 || n > options_.max_constant_bytes / static_cast<int64_t>(DataTypeSize(t.dtype))) return false;
  }
  for (const Output& in : node.inputs()) if (in.type().is_ref) return false;  // reads a variable
  return !GrowsIntoFusableConstant(node);
}

std::vector<Tensor> ConstantFoldingPass::Evaluate(const Node& node) const {
  std::vector<Tensor> values;
  for (int i = 0; i < node.num_outputs() && node.known_value(i); ++i) values.push_back(*node.known_value(i));
  if (static_cast<int>(values.size()) == node.num_outputs()) return values;  // shape inference knew it
  // ZerosLike and OnesLike read only their input's shape, known here: their kernels never touch
  // the input tensor.
  const bool shape_only = node.op() == "ZerosLike" || node.op() == "OnesLike";
  std::vector<Tensor> inputs;
  for (const Output& in : node.inputs()) {
    const Tensor* v = in.node->known_value(in.index);
    if (!v && !shape_only) return {};
    inputs.push_back(v ? *v : Tensor());
  }
  StatusOr<std::vector<Tensor>> outputs = RunReferenceKernel(node, inputs);
  if (!outputs.ok()) return {};  // left to run, which reports the error where it happens
  return std::move(*outputs);
}

std::optional<std::vector<Node*>> ConstantFoldingPass::DeadnessInputs(Graph& graph, DeadnessAnalysis& deadness,
                                                                      const Node& node) const {
  std::vector<Node*> deps = node.control_inputs();
  for (const Output& in : node.inputs()) {
    if (in.node->op() == "Const") {
      for (Node* c : in.node->control_inputs()) deps.push_back(c);
      continue;
    }
    if (!deadness.MayBeDead(in)) continue;
    // An Identity of an existing tensor always validates; if it did not, depending on the Switch
    // instead would make the Const live where the node was dead, so the node stays.
    StatusOr<Node*> anchor = ControlAnchor(graph, deadness, in);
    if (!anchor.ok()) return std::nullopt;
    deps.push_back(*anchor);
  }
  return deps;  // AddNode drops repeats
}

bool ConstantFoldingPass::Fold(Graph& graph, const PassContext& context, DeadnessAnalysis& deadness, Node* node,
                               std::vector<Tensor> values, std::unordered_set<Node*>* removed) const {
  const std::string name = node->name();
  const bool single = node->num_outputs() == 1;
  std::optional<std::vector<Node*>> deadness_inputs = DeadnessInputs(graph, deadness, *node);
  if (!deadness_inputs) return false;
  const std::vector<Node*>& deps = *deadness_inputs;
  bool control_uses = false;
  std::vector<bool> used(node->num_outputs(), false);
  for (const Use& u : node->uses()) {
    if (u.input_index < 0) control_uses = true;
    else used[u.node->input(u.input_index).index] = true;
  }
  for (const Output& f : context.fetches) if (f.node == node) used[f.index] = true;
  if (control_uses || IsTarget(context, *node)) used[0] = true;

  Node* first = nullptr;
  for (int i = 0; i < node->num_outputs(); ++i) {
    if (!used[i]) continue;
    // Grappler's names: a single output keeps the node's name (renamed below, once the node is
    // gone); output i of a multi-output node becomes ConstantFolding/name-i.
    std::string const_name = graph.UniqueName("ConstantFolding/" + name + (single ? "" : "-" + std::to_string(i)));
    DataType dtype = values[i].dtype();
    StatusOr<Node*> c = graph.AddNode({.name = const_name, .op = "Const", .control_inputs = deps,
                                       .attrs = {{"value", std::move(values[i])}, {"dtype", dtype}},
                                       .device = node->device()});
    if (!c.ok()) return first != nullptr;  // a Const of a computed tensor always validates
    deadness.AddNode(**c);
    ReplaceTensor(graph, context, Output(node, i), Output(*c, 0));
    if (!first) first = *c;
  }
  if (first) {
    MoveControlUses(graph, node, first);
    for (Node*& t : context.targets) if (t == node) t = first;
  }
  std::vector<Node*> gone;
  RemoveIfUnused(graph, context, node, &gone);
  removed->insert(gone.begin(), gone.end());
  if (single && first && removed->count(node)) (void)graph.RenameNode(first, name);
  return true;
}

StatusOr<bool> ConstantFoldingPass::Run(Graph& graph, const PassContext& context) {
  DeadnessAnalysis deadness(graph);
  // A fed tensor with a build-time value (a fed Const, or anything computed from constants) makes
  // every value computed from it stale: the run overrides it. Shapes stay right (a fed value must
  // have the tensor's shape), and a fed placeholder has no value, so in a specialized graph nothing
  // is stale.
  std::set<Output> overridden;
  for (const Output& f : context.feeds) if (f.node->known_value(f.index)) overridden.insert(f);
  std::unordered_set<const Node*> feed_dependent;
  std::unordered_set<Node*> removed;
  bool changed = false;
  for (Node* node : graph.nodes()) {  // id order is topological: inputs fold before their readers
    if (removed.count(node)) continue;
    bool reads_feed = false;
    for (const Output& in : node->inputs()) reads_feed = reads_feed || overridden.count(in) || feed_dependent.count(in.node);
    if (reads_feed) {
      feed_dependent.insert(node);
      continue;
    }
    if (!MayFold(*node, context)) continue;
    std::vector<Tensor> values = Evaluate(*node);
    if (values.empty()) continue;
    changed = Fold(graph, context, deadness, node, std::move(values), &removed) || changed;
  }
  if (changed) RestoreTopologicalIds(graph);
  return changed;
}

}  // namespace

std::unique_ptr<GraphPass> MakeConstantFoldingPass(ConstantFoldingOptions options) {
  return std::make_unique<ConstantFoldingPass>(options);
}

}  // namespace kiln
