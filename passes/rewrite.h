// Rewiring the graph passes share: replacing a tensor or a node everywhere it is used (the run's
// fetches and targets included), deleting what a rewrite left unused, and restoring the invariant
// every pass leaves behind: id order is a topological order (executables read it as program order).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace kiln {

// One of the node's outputs is fed: its value comes from the run, so no pass may replace or merge it.
bool IsFed(const PassContext& context, const Node& node);
// The run names the node as a target.
bool IsTarget(const PassContext& context, const Node& node);
// Fetched, a target, or fed: the node must outlive any rewrite of its consumers.
bool IsPinned(const PassContext& context, const Node& node);

// Points every data use of `from`, and every fetch of it, at `to`.
void ReplaceTensor(Graph& graph, const PassContext& context, const Output& from, const Output& to);
// Output i of `from` becomes output i of `to` everywhere; control uses and targets follow.
void ReplaceNode(Graph& graph, const PassContext& context, Node* from, Node* to);
// Moves the control uses of `from` (consumers that wait for it) onto `to`.
void MoveControlUses(Graph& graph, Node* from, Node* to);

// Adds `spec` (its name is only a prefix: the node comes in under a unique name), points every use
// of `old`'s outputs, its control uses, fetches and targets at it, deletes `old` (and what only
// it read), and gives the new node old's name, so fetches by name still find it. For rewrites
// that replace a node by a fused or rewritten one.
StatusOr<Node*> ReplaceWithNewNode(Graph& graph, const PassContext& context, Node* old, NodeSpec spec);

// Replaces `chain` (each node read only by the next; the last may be fetched or a target) by one
// node of `op` with `attrs` reading `inputs`: it takes the last node's place and name and waits for
// every control input the chain's nodes have from outside it. With `second`, the new node's output
// 1 also takes the place of second's output 0 (a fused op with two results). Epilogue fusions.
Status FuseChain(Graph& graph, const PassContext& context, const std::vector<Node*>& chain, const std::string& op,
                 const std::vector<Output>& inputs, AttrMap attrs, const std::string& device, Node* second = nullptr);

// The chain grappler's remapper fuses into a product (a convolution, a MatMul): producer -> a bias
// add on its innermost dim (BiasAdd in NHWC or on a matrix, or Add/AddV2 of a vector of that
// length with an unchanged result) [-> Relu], each read only by the next. The producer must not be
// fetched, fed or a target, nor the add fed; the Relu joins only when the add is not pinned either.
struct BiasReluChain {
  std::vector<Node*> nodes;             // producer, add [, Relu]
  Output bias;
  std::vector<std::string> fused_ops;  // [BiasAdd] or [BiasAdd, Relu]
};
std::optional<BiasReluChain> FindBiasReluChain(const PassContext& context, Node& producer);

// Deletes `node` if nothing uses it, then, transitively, the inputs that lost their last use.
// Pinned and stateful nodes stay (a variable or a random op is not garbage because one reader went
// away). Iterative. Appends what it removed to `removed` when given; returns how many.
int RemoveIfUnused(Graph& graph, const PassContext& context, Node* node, std::vector<Node*>* removed = nullptr);

// Renumbers the graph so every node comes after its data and control inputs, if some does not
// (a pass added a node that older nodes now read). Nodes already in order keep their relative
// order, so the program order of stateful ops is untouched; each new node moves to just before its
// first consumer.
void RestoreTopologicalIds(Graph& graph);

// The node's only use: one data input of one reader, and no control use; null otherwise.
const Use* SoleDataUse(const Node& node);

// The nodes from `t` back through Identities: a gradient read through the tuple TF's gradients
// make (gradients/<op>_grad/tuple/control_dependency, an Identity waiting for the op's other
// gradients) comes from the last one's input.
std::vector<Node*> IdentityChain(Output t);
// What that chain starts from (t itself when it is no Identity).
Output ThroughIdentities(const Output& t);

// Whether `node` waits, through data or control inputs, for `target`.
bool DependsOn(const Node* node, const Node* target);

// All elements of a numeric tensor equal `value` (false for bool, string and empty tensors).
bool AllElementsEqual(const Tensor& t, double value);

// The tensor's statically known value as integers (an int32 or int64 constant, a folded shape),
// or nothing.
std::optional<std::vector<int64_t>> KnownInts(const Output& t);

}  // namespace kiln
