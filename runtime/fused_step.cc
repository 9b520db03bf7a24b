#include "runtime/fused_step.h"

#include <algorithm>

#include "codegen/elementwise_kernel.h"
#include "graph/elementwise_lowering.h"
#include "runtime/thread_pool.h"

namespace kiln {
namespace {

// Elements per chunk below which a second thread costs more than it saves: waking a worker takes
// a few microseconds, in which one core streams some tens of thousands of floats.
constexpr int64_t kMinElementsPerChunk = 32 * 1024;

}  // namespace

StatusOr<std::unique_ptr<FusedStep>> CompileFusedStep(codegen::Jit& jit, const FusionCluster& cluster, ThreadPool* pool) {
  std::vector<const Node*> nodes(cluster.nodes.begin(), cluster.nodes.end());
  KILN_ASSIGN_OR_RETURN(ElementwiseExpr expr, LowerElementwiseCluster(cluster.inputs, nodes, cluster.outputs));
  codegen::ElementwiseCluster spec;
  // Named for its ops, not its nodes: the 128 identical layers of deep128 then share one kernel
  // (the JIT reuses a kernel whose name, expression and shapes are equal), and a profile still says
  // what a kernel computes.
  for (const Node* n : cluster.nodes) {
    if (spec.name.size() > 48) {
      spec.name += "_etc";
      break;
    }
    spec.name += (spec.name.empty() ? "" : "_") + n->op();
  }
  spec.expr = std::move(expr);
  spec.shape = cluster.shape;
  spec.input_shapes = cluster.input_shapes;
  KILN_ASSIGN_OR_RETURN(codegen::CompiledElementwise compiled, codegen::CompileElementwise(jit, spec));
  auto step = std::make_unique<FusedStep>();
  step->kernel = compiled.fn;
  step->range_size = compiled.range_size;
  step->min_grain = std::max<int64_t>(1, kMinElementsPerChunk / std::max<int64_t>(1, compiled.range_unit_elements));
  step->pool = pool;
  return step;
}

extern "C" int32_t RunFusedStep(const void* closure, void* const* buffers, const int64_t*) {
  const FusedStep& step = *static_cast<const FusedStep*>(closure);
  auto run = [&](int64_t begin, int64_t end) {
    const int64_t range[3] = {begin, end, step.range_size};
    step.kernel(nullptr, buffers, range);
  };
  if (step.pool && step.range_size >= 2 * step.min_grain) {
    step.pool->ParallelFor(step.range_size, step.min_grain, run);
  } else {
    run(0, step.range_size);
  }
  return 0;
}

}  // namespace kiln
