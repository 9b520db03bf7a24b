#include "passes/pipeline.h"

#include <chrono>

#include "passes/batch_norm_epilogue.h"
#include "passes/branch_resolution.h"
#include "passes/conv_epilogue.h"
#include "passes/cse.h"
#include "passes/matmul_epilogue.h"
#include "passes/pad_folding.h"
#include "passes/pool_relu_grad.h"
#include "passes/prune.h"
#include "passes/simplify.h"
#include "passes/unread_values.h"

namespace kiln {
namespace {

Status UnknownPass(const std::string& name, const std::string& role) {
  return InvalidArgument("unknown pass '" + name + "'" + role + "; the passes are: " + RegisteredPassNames());
}

Status CheckPassName(const std::string& name, const std::string& role) {
  for (const PassInfo& p : RegisteredPasses()) if (p.name == name) return OkStatus();
  return UnknownPass(name, role);
}

// Runs passes by name as the pipeline lists them, honoring what the options switch off, where
// they stop, and who listens.
class PassRunner {
 public:
  PassRunner(Graph& graph, const PassContext& context, const PipelineOptions& options)
      : graph_(graph), context_(context), options_(options) {}

  Status Run(const std::string& name) {
    if (stopped_) return OkStatus();
    stopped_ = name == options_.stop_after;
    if (options_.disabled.count(name)) return OkStatus();
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<GraphPass> pass, MakePass(name, options_));
    const int before = graph_.num_nodes();
    const auto start = std::chrono::steady_clock::now();
    StatusOr<bool> changed = pass->Run(graph_, context_);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!changed.ok()) return Status(changed.status().code(), "pass '" + name + "': " + changed.status().message());
    changed_ = changed_ || *changed;
    if (options_.after_each_pass) {
      options_.after_each_pass({.pass = name, .graph = &graph_, .ms = ms, .changed = *changed,
                                .nodes_before = before, .nodes_after = graph_.num_nodes()});
    }
    return OkStatus();
  }

  bool changed() const { return changed_; }

 private:
  Graph& graph_;
  const PassContext& context_;
  const PipelineOptions& options_;
  bool stopped_ = false;
  bool changed_ = false;
};

}  // namespace

PipelineOptions PipelineOptions::NoPasses() {
  PipelineOptions options;
  for (const PassInfo& p : RegisteredPasses()) options.disabled.insert(p.name);
  return options;
}

const std::vector<PassInfo>& RegisteredPasses() {
  static const auto* passes = new std::vector<PassInfo>{
      {"prune", "delete what no fetch, target or feed needs", [](const PipelineOptions&) { return MakePrunePass(); }},
      {"branches", "a Switch on a predicate known when compiling (a fed is_training) keeps only its taken branch",
       [](const PipelineOptions&) { return MakeBranchResolutionPass(); }},
      {"unread", "a value only waited on (a gated gradient no variable needs) becomes a NoOp",
       [](const PipelineOptions&) { return MakeUnreadValuesPass(); }},
      {"fold", "evaluate constant subgraphs once, through the reference kernels",
       [](const PipelineOptions& o) { return MakeConstantFoldingPass(o.fold); }},
      {"simplify", "x*1, x+0, Neg(Neg x), Transpose/Reshape chains, Identity, no-op reshapes and reductions",
       [](const PipelineOptions&) { return MakeSimplifyPass(); }},
      {"cse", "merge nodes computing the same thing from the same tensors", [](const PipelineOptions&) { return MakeCsePass(); }},
      {"pad", "zero padding folds into the convolutions that read it (padding EXPLICIT), and its gradient's Slice into theirs",
       [](const PipelineOptions&) { return MakePadFoldingPass(); }},
      {"pool_relu", "ReluGrad(MaxPoolGrad(x, MaxPool(x), g), x) masks g instead: MaxPoolGrad(x, y, ReluGrad(g, y))",
       [](const PipelineOptions&) { return MakePoolReluGradPass(); }},
      {"epilogue", "Conv2D -> bias add [-> Relu] becomes one _FusedConv2D",
       [](const PipelineOptions&) { return MakeConvEpiloguePass(); }},
      {"matmul_epilogue", "MatMul -> bias add [-> Relu] becomes one _FusedMatMul",
       [](const PipelineOptions&) { return MakeMatMulEpiloguePass(); }},
      {"batchnorm", "FusedBatchNormV3 -> Relu becomes one _FusedBatchNormEx, and its gradient one _FusedBatchNormGradEx",
       [](const PipelineOptions&) { return MakeBatchNormEpiloguePass(); }},
  };
  return *passes;
}

std::string RegisteredPassNames() {
  std::string names;
  for (const PassInfo& p : RegisteredPasses()) names += (names.empty() ? "" : ", ") + p.name;
  return names;
}

StatusOr<std::unique_ptr<GraphPass>> MakePass(const std::string& name, const PipelineOptions& options) {
  for (const PassInfo& p : RegisteredPasses()) if (p.name == name) return p.make(options);
  return UnknownPass(name, "");
}

StatusOr<bool> RunGraphPipeline(Graph& graph, const PassContext& context, const PipelineOptions& options) {
  for (const std::string& name : options.disabled) KILN_RETURN_IF_ERROR(CheckPassName(name, " to switch off"));
  if (!options.stop_after.empty()) KILN_RETURN_IF_ERROR(CheckPassName(options.stop_after, " to stop after"));
  PassRunner run(graph, context, options);
  // Prune first: every later pass then spends its time only on nodes this run needs.
  KILN_RETURN_IF_ERROR(run.Run("prune"));
  // Next, so no later pass spends time on a branch that cannot run; with the conds gone, batch
  // norm, dropout and their gradients are plain dataflow that fusion and simplify see through.
  KILN_RETURN_IF_ERROR(run.Run("branches"));
  // Right after prune, which keeps whatever a control edge reaches: stop computing the values
  // among them nobody reads, before any later pass spends time on them.
  KILN_RETURN_IF_ERROR(run.Run("unread"));
  // Fold before simplifying: Fill(Shape(x), 1) and the gradients' shape arithmetic become Consts,
  // whose values the x*1, x+0, Transpose and Reshape rules read.
  KILN_RETURN_IF_ERROR(run.Run("fold"));
  // Simplify before CSE: once Identities and no-op reshapes are gone, more nodes read the very
  // same tensors, which is what CSE compares.
  KILN_RETURN_IF_ERROR(run.Run("simplify"));
  KILN_RETURN_IF_ERROR(run.Run("cse"));
  // After fold, which makes the gradient's Slice bounds constants; before epilogue, which knows
  // Conv2D, not _FusedConv2D.
  KILN_RETURN_IF_ERROR(run.Run("pad"));
  // Before epilogue, which folds the moved ReluGrad into the input gradient that computes g.
  KILN_RETURN_IF_ERROR(run.Run("pool_relu"));
  // Last: the rules above know Conv2D, BiasAdd and Relu, not the fused op.
  KILN_RETURN_IF_ERROR(run.Run("epilogue"));
  KILN_RETURN_IF_ERROR(run.Run("matmul_epilogue"));
  // After simplify, which removes the Identities a resolved cond leaves between a batch norm and
  // its ReLU.
  KILN_RETURN_IF_ERROR(run.Run("batchnorm"));
  return run.changed();
}

}  // namespace kiln
