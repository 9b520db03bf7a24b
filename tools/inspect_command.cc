// kiln inspect GRAPH: op histogram, placeholders, variables and their parameter counts.
#include <algorithm>
#include <cstdio>
#include <map>

#include "tools/command.h"
#include "tools/graph_loading.h"

namespace kiln::cli {
namespace {

int Run(const std::vector<std::string>& args) {
  Options options({}, {});
  std::string error;
  if (!options.Parse(args, &error)) return Fail("inspect", error, 2);
  if (options.positional().size() != 1) return Fail("inspect", "expected one GRAPH argument (see kiln inspect --help)", 2);
  std::unique_ptr<Graph> g = LoadGraphOrReport("inspect", options.positional()[0]);
  if (!g) return 1;
  std::map<std::string, int> histogram;
  for (Node* n : g->nodes()) ++histogram[n->op()];
  std::vector<std::pair<std::string, int>> ops(histogram.begin(), histogram.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::printf("graph: %d nodes, producer version %d\n\nops:\n", g->num_nodes(), g->producer_version());
  for (const auto& [op, count] : ops) std::printf("  %6d  %s\n", count, op.c_str());
  std::printf("\nplaceholders:\n");
  for (Node* n : g->nodes()) {
    if (n->op() == "Placeholder" || n->op() == "PlaceholderWithDefault") {
      std::printf("  %-30s %s\n", n->name().c_str(), n->output_type(0).ToString().c_str());
    }
  }
  std::printf("\nvariables:\n");
  int64_t total = 0;
  for (Node* n : g->nodes()) {
    if (n->op() != "VariableV2") continue;
    const TensorType& t = n->output_type(0);
    int64_t count = t.shape.num_elements();
    std::printf("  %-30s %-8s %-14s %s\n", n->name().c_str(), DataTypeName(t.dtype).c_str(), t.shape.ToString().c_str(),
                count < 0 ? "?" : WithThousands(count).c_str());
    if (count > 0) total += count;
  }
  std::printf("\ntotal parameters: %s\n", WithThousands(total).c_str());
  return 0;
}

}  // namespace

Command InspectCommand() {
  return {"inspect", "op histogram, placeholders, variables and parameter counts",
          "usage: kiln inspect GRAPH\n\nSummarizes GRAPH (.pb or .pbtxt): node count, op histogram, placeholders\n"
          "with dtypes and shapes, variables with parameter counts, and the total.",
          Run};
}

}  // namespace kiln::cli
