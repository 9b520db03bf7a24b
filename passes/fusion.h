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
//
// A column reduction (IsColumnReduction: a Sum or Mean over the batch, a bias gradient) joins the
// cluster that computes its input, whose shape must be the iteration shape; the loop sums the input
// down the columns as it walks the rows, so the input is written out only if something else reads
// it, and never read back (XLA's multi-output fusion of a reduction with its producer). Nothing in
// the cluster may read the reduction's output, which exists only once every row is done.
#pragma once

#include <functional>
#include <vector>

#include "graph/graph.h"

namespace kiln {

struct FusionCluster {
  std::vector<Node*> nodes;       // in id order; the last one is where the cluster runs
  std::vector<Output> inputs;     // tensors entering the cluster, in first-use order
  std::vector<Output> outputs;    // member outputs read outside the cluster or fetched
  // Per output: 0 when it is stored element by element; for a column reduction's output, what its
  // column sums are divided by (1 for Sum and BiasAddGrad, the rows summed for Mean).
  std::vector<double> column_sum_divisors;
  std::vector<int64_t> shape;     // the iteration shape: every stored output's shape
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

// Whether the node sums a tensor down its columns: Sum or Mean over every dim but the innermost
// (as a constant axes input, keep_dims either way), or BiasAddGrad in NHWC, of a float or double
// input of known shape, rank 2 or more and at least one element.
bool IsColumnReduction(const Node& node);

// Every node for which CanFuse and options.may_fuse hold ends up in exactly one cluster (perhaps of
// one node), and so does every column reduction that may join its input's cluster; clusters come
// in the order of their last node.
std::vector<FusionCluster> FindElementwiseClusters(const Graph& graph, const FusionOptions& options);

}  // namespace kiln
