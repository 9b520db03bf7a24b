// The graph-level pipeline: one straight-line function listing the passes in order, with the
// reasons for the order (Halide's lower_impl), and one name -> pass table (LLVM's PassRegistry.def)
// that `kiln dump --after=NAME`, `--time-passes` and the tests all use, so a pass has one name.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "passes/constant_folding.h"
#include "passes/pass.h"

namespace kiln {

// What the logger hears after each pass that ran (Halide's LoweringLogger).
struct PassEvent {
  std::string pass;
  const Graph* graph = nullptr;  // as the pass left it
  double ms = 0;
  bool changed = false;
  int nodes_before = 0;
  int nodes_after = 0;
};

struct PipelineOptions {
  // Passes switched off, by name; the others run in pipeline order.
  std::set<std::string> disabled;
  // The last pass to run (`kiln dump --after=NAME`); empty runs the whole pipeline.
  std::string stop_after;
  // Called after every pass that ran: timing tables, dumps of what changed.
  std::function<void(const PassEvent&)> after_each_pass;
  ConstantFoldingOptions fold;

  // Every pass off: the graph runs as specialized (reference runs in tests, bisecting a bad pass).
  static PipelineOptions NoPasses();
};

struct PassInfo {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<GraphPass>(const PipelineOptions&)> make;
};

// The table, in pipeline order.
const std::vector<PassInfo>& RegisteredPasses();
// "prune, unread, fold, simplify, cse": for errors and help texts.
std::string RegisteredPassNames();
// InvalidArgument listing the valid names when `name` is not one.
StatusOr<std::unique_ptr<GraphPass>> MakePass(const std::string& name, const PipelineOptions& options = {});

// Runs the pipeline on `graph` for the run `context` describes; fetches and targets follow the
// nodes that replace them. Returns whether any pass changed the graph. Unknown pass names in
// `options` are an InvalidArgument before anything runs.
StatusOr<bool> RunGraphPipeline(Graph& graph, const PassContext& context, const PipelineOptions& options = {});

}  // namespace kiln
