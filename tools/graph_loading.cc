#include "tools/graph_loading.h"

#include "graph/graphdef.h"
#include "tools/command.h"

namespace kiln::cli {

std::unique_ptr<Graph> LoadGraphOrReport(const std::string& command, const std::string& path) {
  StatusOr<std::unique_ptr<Graph>> g = LoadGraph(path);
  if (!g.ok()) {
    Fail(command, OneLine(g.status().ToString()));
    return nullptr;
  }
  return std::move(*g);
}

std::string OneLine(std::string s) {
  for (char& c : s) if (c == '\n' || c == '\t') c = ' ';
  return s;
}

std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

}  // namespace kiln::cli
