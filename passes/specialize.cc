#include "passes/specialize.h"

#include <map>
#include <unordered_map>

#include "passes/prune.h"

namespace kiln {

StatusOr<SpecializedGraph> SpecializeForRun(const std::vector<FeedSpec>& feeds, const std::vector<Output>& fetches,
                                            const std::vector<Node*>& targets, const PipelineOptions& passes) {
  std::set<Output> fed;
  for (const FeedSpec& f : feeds) {
    const TensorType& t = f.tensor.type();
    if (f.dtype != t.dtype) {
      return InvalidArgument("Cannot feed value of dtype " + DataTypeName(f.dtype) + " for Tensor '" + f.tensor.name() +
                             "', which has dtype " + DataTypeName(t.dtype));
    }
    if (!t.shape.IsCompatibleWith(Shape(f.dims))) {
      return InvalidArgument("Cannot feed value of shape " + Shape(f.dims).ToString() + " for Tensor '" + f.tensor.name() +
                             "', which has shape " + t.shape.ToString());
    }
    if (!fed.insert(f.tensor).second) return InvalidArgument("Tensor '" + f.tensor.name() + "' is fed twice");
  }
  KILN_ASSIGN_OR_RETURN(std::vector<Node*> order, PrunedTopologicalOrder(fetches, targets, fed));

  SpecializedGraph out;
  out.graph = std::make_unique<Graph>();
  Graph& g = *out.graph;
  std::map<Output, Output> mapped;  // user-graph tensor -> specialized tensor
  std::unordered_map<Node*, Node*> node_map;
  for (const FeedSpec& f : feeds) {
    NodeSpec spec;
    spec.name = g.UniqueName("_feed/" + f.tensor.node->name() + "_" + std::to_string(f.tensor.index));
    spec.op = "Placeholder";
    spec.attrs = {{"dtype", f.dtype}, {"shape", Shape(f.dims)}};
    KILN_ASSIGN_OR_RETURN(Node* n, g.AddNode(std::move(spec)));
    out.feed_nodes.push_back(n);
    mapped[f.tensor] = Output(n, 0);
    if (f.known_bool) {
      KILN_ASSIGN_OR_RETURN(Node* value, g.AddNode({.name = g.UniqueName(n->name() + "/value"), .op = "Const",
                                                    .attrs = {{"value", Tensor::Scalar<bool>(*f.known_bool)},
                                                              {"dtype", DT_BOOL}}}));
      mapped[f.tensor] = Output(value, 0);
    }
  }
  for (Node* n : order) {
    // TF's rule, checked here so the error comes before anything runs.
    if (n->op() == "Placeholder") {
      return InvalidArgument("You must feed a value for placeholder tensor '" + n->name() + "' with dtype " +
                             DataTypeName(n->attr<DataType>("dtype")) + " and shape " + n->attr<Shape>("shape").ToString());
    }
    NodeSpec spec;
    spec.name = n->name();
    spec.op = n->op();
    spec.attrs = n->attrs();
    if (n->op() == "PlaceholderWithDefault") {
      // Unfed (a fed one was cut off above), it is its default: an Identity, which takes the
      // default's concrete shape instead of the declared partial one (grappler does the same).
      spec.op = "Identity";
      spec.attrs = {{"T", n->attr<DataType>("dtype")}};
    }
    spec.device = n->device();
    for (const Output& in : n->inputs()) {
      auto it = mapped.find(in);
      spec.inputs.push_back(it != mapped.end() ? it->second : Output(node_map.at(in.node), in.index));
    }
    for (Node* c : n->control_inputs()) {
      auto it = node_map.find(c);
      if (it != node_map.end()) spec.control_inputs.push_back(it->second);
    }
    KILN_ASSIGN_OR_RETURN(Node* copy, g.AddNode(std::move(spec)));
    node_map[n] = copy;
  }
  for (const Output& f : fetches) {
    auto it = mapped.find(f);
    out.fetches.push_back(it != mapped.end() ? it->second : Output(node_map.at(f.node), f.index));
  }
  for (Node* t : targets) out.targets.push_back(node_map.at(t));
  // The pipeline runs here rather than on the user's graph: with the feeds concrete placeholders,
  // every shape is known, so Shape/BroadcastGradientArgs fold and shape-equality rules apply.
  PassContext context{.fetches = out.fetches, .targets = out.targets};
  for (Node* f : out.feed_nodes) context.feeds.push_back(Output(f, 0));
  KILN_RETURN_IF_ERROR(RunGraphPipeline(g, context, passes).status());
  out.fetches = std::move(context.fetches);
  out.targets = std::move(context.targets);
  return out;
}

}  // namespace kiln
