// kiln dump GRAPH: every node with its op, inputs, attrs and inferred output types.
#include <cstdio>

#include "tools/command.h"
#include "tools/graph_loading.h"

namespace kiln::cli {
namespace {

std::string InputName(const Output& in) {
  return in.index == 0 ? in.node->name() : in.node->name() + ":" + std::to_string(in.index);
}

int Run(const std::vector<std::string>& args) {
  Options options({}, {});
  std::string error;
  if (!options.Parse(args, &error)) return Fail("dump", error, 2);
  if (options.positional().size() != 1) return Fail("dump", "expected one GRAPH argument (see kiln dump --help)", 2);
  std::unique_ptr<Graph> g = LoadGraphOrReport("dump", options.positional()[0]);
  if (!g) return 1;
  for (Node* n : g->nodes()) {
    std::string inputs;
    for (const Output& in : n->inputs()) inputs += (inputs.empty() ? "" : ", ") + InputName(in);
    for (Node* c : n->control_inputs()) inputs += (inputs.empty() ? "^" : ", ^") + c->name();
    std::string types;
    for (const TensorType& t : n->output_types()) types += (types.empty() ? "" : ", ") + t.ToString();
    std::printf("%s = %s(%s)%s%s\n", n->name().c_str(), n->op().c_str(), inputs.c_str(), types.empty() ? "" : " -> ",
                types.c_str());
    for (const auto& [key, value] : n->attrs()) {
      std::printf("    %s = %s\n", key.c_str(), AttrValueToString(value).c_str());
    }
  }
  return 0;
}

}  // namespace

Command DumpCommand() {
  return {"dump", "print every node: op, inputs, attrs, inferred output types",
          "usage: kiln dump GRAPH\n\nPrints each node of GRAPH (.pb binary or .pbtxt text GraphDef) as\n"
          "  name = Op(inputs) -> output types\nfollowed by its attrs, one per line.",
          Run};
}

}  // namespace kiln::cli
