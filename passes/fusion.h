// Elementwise fusion: groups the elementwise nodes of a specialized graph (every shape concrete)
// into clusters that codegen compiles into one loop nest each (codegen/elementwise_kernel.h), so a
// chain such as BiasAdd -> Relu, or Adam's dozen scalar-broadcast updates, reads its inputs once and
// writes only the values something outside the cluster reads.
//
// The graph is not rewritten: the result is a partition the Executable turns into steps. Each
// cluster runs where its last node (by id, the graph's topological order) stood, so a merge is
// allowed only if that stays correct:
//  - every node outside the cluster that reads a member's output, or waits on a member, comes after
//    the cluster's last node (this also makes the cluster convex: no path leaves it and comes back);
//  - no node that writes a variable (an op with a ref input: Assign, ApplyAdam, ...) lies between
//    its first and last node, so a member reading a variable reads the value it read before;
//  - all members have the same liveness condition (passes/deadness.h), so a cond's untaken branch
//    never runs, and the Executable's deadness walk can treat the cluster as one step;
//  - all members' outputs have the iteration shape; inputs from outside broadcast against it.
// Merging is greedy producer-into-consumer in id order (XLA's instruction fusion, without
// duplication).
#pragma once

#include <functional>
#include <vector>

#include "graph/graph.h"

namespace kiln {

struct FusionCluster {
  std::vector<Node*> nodes;       // in id order; the last one is where the cluster runs
  std::vector<Output> inputs;     // tensors entering the cluster, in first-use order
  std::vector<Output> outputs;    // member outputs read outside the cluster or fetched
  std::vector<int64_t> shape;     // the iteration shape: every member output's shape
  std::vector<std::vector<int64_t>> input_shapes;  // per input, its shape (broadcasts against `shape`)
};

struct FusionOptions {
  // Whether the caller can run this node inside a cluster at all (not fed, its outputs planned as
  // plain buffers, ...). Nodes must also have an elementwise lowering; see CanFuse.
  std::function<bool(const Node&)> may_fuse;
  std::vector<Output> fetches;  // always materialized as cluster outputs
  int max_nodes = 64;           // keeps one kernel's expression, and its compile time, bounded
};

// Whether the node could be a member: an elementwise lowering, not stateful, no control flow,
// float/double/bool inputs and outputs of fully known shape, all outputs of one shape, and every
// data input broadcastable against it (NCHW BiasAdd is left out: its bias would need [C, 1, 1]).
bool CanFuse(const Node& node);

// Every node for which CanFuse and options.may_fuse hold ends up in exactly one cluster (perhaps of
// one node); clusters come in the order of their last node.
std::vector<FusionCluster> FindElementwiseClusters(const Graph& graph, const FusionOptions& options);

}  // namespace kiln
