// The one pass interface (frozen early, like XLA's HloPassInterface): a name and a Run that
// rewrites the graph and says whether it changed anything.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace kiln {

// What a pass may need to know beyond the graph: which tensors are fed, which are wanted.
struct PassContext {
  std::vector<Output> fetches;
  std::vector<Node*> targets;
  std::vector<Output> feeds;
};

class GraphPass {
 public:
  virtual ~GraphPass() = default;
  virtual std::string name() const = 0;
  virtual StatusOr<bool> Run(Graph& graph, const PassContext& context) = 0;
};

}  // namespace kiln
