// Pruning to what a run needs: the nodes the fetches and targets depend on, through data and
// control edges, stopping at fed tensors (a fed tensor's producer does not run unless needed
// otherwise). Iterative.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace kiln {

// The needed nodes, in a topological order (Kahn's algorithm over data + control edges, taking the
// earliest-created ready node first, so the order is the program's wherever dependencies allow).
// InvalidArgument naming nodes on a cycle if there is one.
StatusOr<std::vector<Node*>> PrunedTopologicalOrder(const std::vector<Output>& fetches, const std::vector<Node*>& targets,
                                                    const std::set<Output>& fed);

// The pass "prune": deletes every node that no fetch, target or fed tensor needs (through data and
// control edges). Unlike the order above it does not cut at fed tensors: a node cannot lose its
// inputs, so a fed node keeps what it reads; SpecializeForRun cuts those off by feeding placeholders.
std::unique_ptr<GraphPass> MakePrunePass();

}  // namespace kiln
