// Shape specialization: copies the pruned subgraph a run needs into a fresh graph in which every
// fed tensor is replaced by a placeholder of the fed (concrete) shape. Re-inferring types there
// propagates concrete shapes everywhere and makes shape computations (Shape, BroadcastGradientArgs,
// reshape targets) known values, which the executable then treats as constants.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "graph/graph.h"
#include "passes/pipeline.h"

namespace kiln {

struct FeedSpec {
  Output tensor;                // in the user's graph
  DataType dtype;
  std::vector<int64_t> dims;    // the fed value's concrete shape
  // A scalar bool whose value the executable is compiled for (the Session specializes on fed
  // is_training flags): it becomes a Const, and the `branches` pass keeps only the taken side of
  // every cond on it. The run must then feed this value.
  std::optional<bool> known_bool;
};

struct SpecializedGraph {
  std::unique_ptr<Graph> graph;
  std::vector<Node*> feed_nodes;  // one placeholder per feed, in feed order
  std::vector<Output> fetches;    // the fetches, mapped into `graph`
  std::vector<Node*> targets;
};

// Errors as TF gives them: an unfed placeholder, a fed value of the wrong dtype or shape, shape
// mismatches found with the concrete shapes (naming node, op and input shapes), cycles. The graph
// pipeline (passes/pipeline.h) then runs on the copy, where every shape is concrete.
StatusOr<SpecializedGraph> SpecializeForRun(const std::vector<FeedSpec>& feeds, const std::vector<Output>& fetches,
                                            const std::vector<Node*>& targets, const PipelineOptions& passes = {});

}  // namespace kiln
