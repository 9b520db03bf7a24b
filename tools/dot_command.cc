// kiln dot GRAPH: Graphviz source for the graph (render with `dot -Tsvg`).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/command.h"
#include "tools/graph_loading.h"

namespace kiln::cli {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string NodeStyle(const Node& n) {
  if (n.op() == "Placeholder" || n.op() == "PlaceholderWithDefault") return "shape=invhouse, style=filled, fillcolor=\"#cfe8ff\"";
  if (n.op() == "VariableV2") return "shape=cylinder, style=filled, fillcolor=\"#ffe3b3\"";
  if (n.op() == "Const") return "shape=note, style=filled, fillcolor=\"#eeeeee\"";
  return "shape=box, style=rounded";
}

std::string ToDot(const Graph& g) {
  std::ostringstream os;
  os << "digraph kiln {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (Node* n : g.nodes()) {
    os << "  n" << n->id() << " [label=\"" << Escape(n->name()) << "\\n" << Escape(n->op()) << "\", " << NodeStyle(*n)
       << "];\n";
  }
  for (Node* n : g.nodes()) {
    for (const Output& in : n->inputs()) {
      os << "  n" << in.node->id() << " -> n" << n->id() << " [label=\"" << Escape(in.type().ToString()) << "\"];\n";
    }
    for (Node* c : n->control_inputs()) os << "  n" << c->id() << " -> n" << n->id() << " [style=dashed];\n";
  }
  os << "}\n";
  return os.str();
}

int Run(const std::vector<std::string>& args) {
  Options options({"o"}, {});
  std::string error;
  if (!options.Parse(args, &error)) return Fail("dot", error, 2);
  if (options.positional().size() != 1) return Fail("dot", "expected one GRAPH argument (see kiln dot --help)", 2);
  std::unique_ptr<Graph> g = LoadGraphOrReport("dot", options.positional()[0]);
  if (!g) return 1;
  std::string dot = ToDot(*g);
  if (!options.Has("o")) {
    std::fwrite(dot.data(), 1, dot.size(), stdout);
    return 0;
  }
  std::ofstream out(options.Get("o"));
  out << dot;
  if (!out) return Fail("dot", "cannot write " + options.Get("o"));
  return 0;
}

}  // namespace

Command DotCommand() {
  return {"dot", "Graphviz source for a graph",
          "usage: kiln dot GRAPH [--o FILE]\n\nWrites Graphviz DOT for GRAPH to stdout (or FILE): one box per node\n"
          "(name and op), data edges labelled with their tensor types, control edges dashed.\n"
          "Render it with: kiln dot g.pb | dot -Tsvg > g.svg",
          Run};
}

}  // namespace kiln::cli
