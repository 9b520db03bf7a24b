// Shape specialization: copies the pruned subgraph a run needs into a fresh graph in which every
// fed tensor is replaced by a placeholder of the fed (concrete) shape. Re-inferring types there
// propagates concrete shapes everywhere and makes shape computations (Shape, BroadcastGradientArgs,
// reshape targets) known values, which the executable then treats as constants.
#pragma once

#include <memory>
#include <vector>

#include "graph/graph.h"
#include "passes/pipeline.h"

namespace kiln {

struct FeedSpec {
  Output tensor;                // in the user's graph
  DataType dtype;
  std::vector<int64_t> dims;    // the fed value's concrete shape
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
