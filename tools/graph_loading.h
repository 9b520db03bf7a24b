// Loading a graph for the inspection commands, with one-line errors.
#pragma once

#include <memory>
#include <string>

#include "graph/graph.h"

namespace kiln::cli {

// Loads GRAPH (binary or text GraphDef) or prints "kiln CMD: <error>" and returns null.
std::unique_ptr<Graph> LoadGraphOrReport(const std::string& command, const std::string& path);
// Tabs and newlines (TF's "\n\t [[node ...]]" suffix) as spaces, for one-line errors.
std::string OneLine(std::string s);
// "7,850"
std::string WithThousands(int64_t n);

}  // namespace kiln::cli
