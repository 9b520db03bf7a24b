// The one pass interface (frozen early, like XLA's HloPassInterface): a name and a Run that
// rewrites the graph and says whether it changed anything.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace kiln {

// What a pass may need to know beyond the graph: which tensors are fed, which are wanted.
// Fetches and targets are the run's handles into the graph being rewritten: a pass that replaces a
// fetched tensor or a target node points them at the replacement (passes/rewrite.h does that with
// the rewiring), so they are mutable through the frozen `const PassContext&` interface, as the graph
// itself is mutable through `Graph&`. Fed tensors are never replaced: their values come from the run.
struct PassContext {
  mutable std::vector<Output> fetches;
  mutable std::vector<Node*> targets;
  std::vector<Output> feeds;
};

class GraphPass {
 public:
  virtual ~GraphPass() = default;
  virtual std::string name() const = 0;
  virtual StatusOr<bool> Run(Graph& graph, const PassContext& context) = 0;
};

}  // namespace kiln
