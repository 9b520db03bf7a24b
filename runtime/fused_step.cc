#include "runtime/fused_step.h"

#include <algorithm>
#include <set>

#include "codegen/elementwise_kernel.h"
#include "graph/elementwise_lowering.h"
#include "runtime/thread_pool.h"

namespace kiln {
namespace {

// Elements per chunk below which a second thread costs more than it saves: waking a worker takes
// a few microseconds, in which one core streams some tens of thousands of floats.
constexpr int64_t kMinElementsPerChunk = 32 * 1024;

bool IsColumnSum(const FusionCluster& cluster, size_t output) {
  return output < cluster.column_sum_divisors.size() && cluster.column_sum_divisors[output] != 0;
}

// The sums of each column-sum output: its partial rows added in chunk order, divided, rounded to T.
template <typename T>
void FinishColumnSum(const FusedStep::ColumnSum& sum, const double* partials, int chunks, T* out) {
  for (int64_t col = 0; col < sum.columns; ++col) {
    double total = 0;
    for (int c = 0; c < chunks; ++c) total += partials[c * sum.columns + col];
    out[col] = static_cast<T>(sum.divisor == 1 ? total : total / sum.divisor);
  }
}

// Runs a cluster with column sums: explicit chunks, each naming its partial row (the fourth size).
void RunWithColumnSums(const FusedStep& step, void* const* buffers) {
  std::copy(buffers, buffers + step.kernel_buffers.size(), step.kernel_buffers.begin());
  for (const FusedStep::ColumnSum& sum : step.column_sums) {
    step.kernel_buffers[sum.operand] = step.partials.data() + sum.partials_offset;
  }
  const bool split = step.pool && step.range_size >= 2 * step.min_grain;
  const int chunks = split ? std::min(step.max_chunks, step.pool->NumChunks(step.range_size, step.min_grain)) : 1;
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t range[4] = {step.range_size * c / chunks, step.range_size * (c + 1) / chunks, step.range_size, c};
      step.kernel(nullptr, step.kernel_buffers.data(), range);
    }
  };
  if (chunks > 1) {
    step.pool->ParallelFor(chunks, 1, run);
  } else {
    run(0, 1);
  }
  for (const FusedStep::ColumnSum& sum : step.column_sums) {
    const double* partials = step.partials.data() + sum.partials_offset;
    if (sum.dtype == DT_FLOAT) {
      FinishColumnSum(sum, partials, chunks, static_cast<float*>(buffers[sum.operand]));
    } else {
      FinishColumnSum(sum, partials, chunks, static_cast<double*>(buffers[sum.operand]));
    }
  }
}

}  // namespace

StatusOr<std::unique_ptr<FusedStep>> CompileFusedStep(codegen::Jit& jit, const FusionCluster& cluster, ThreadPool* pool) {
  // A column reduction is not lowered: its output is its input's value, summed down the columns.
  std::vector<const Node*> nodes;
  std::vector<Output> values = cluster.outputs;
  std::set<const Node*> reductions;
  for (size_t j = 0; j < cluster.outputs.size(); ++j) {
    if (!IsColumnSum(cluster, j)) continue;
    reductions.insert(cluster.outputs[j].node);
    values[j] = cluster.outputs[j].node->input(0);
  }
  for (const Node* n : cluster.nodes) {
    if (!reductions.count(n)) nodes.push_back(n);
  }
  KILN_ASSIGN_OR_RETURN(ElementwiseExpr expr, LowerElementwiseCluster(cluster.inputs, nodes, values));
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
  if (!reductions.empty()) {
    for (size_t j = 0; j < cluster.outputs.size(); ++j) {
      spec.output_reductions.push_back(IsColumnSum(cluster, j) ? codegen::OutputReduction::kColumnSum
                                                               : codegen::OutputReduction::kNone);
    }
  }
  KILN_ASSIGN_OR_RETURN(codegen::CompiledElementwise compiled, codegen::CompileElementwise(jit, spec));
  auto step = std::make_unique<FusedStep>();
  step->kernel = compiled.fn;
  step->range_size = compiled.range_size;
  step->min_grain = std::max<int64_t>(1, kMinElementsPerChunk / std::max<int64_t>(1, compiled.range_unit_elements));
  step->pool = pool;
  if (!reductions.empty()) {
    step->max_chunks = pool ? pool->num_threads() : 1;
    const int num_inputs = static_cast<int>(cluster.inputs.size());
    size_t offset = 0;
    for (size_t j = 0; j < cluster.outputs.size(); ++j) {
      if (!IsColumnSum(cluster, j)) continue;
      const int64_t columns = cluster.shape.back();
      step->column_sums.push_back({num_inputs + static_cast<int>(j), columns, cluster.column_sum_divisors[j],
                                   cluster.outputs[j].dtype(), offset});
      offset += static_cast<size_t>(step->max_chunks) * columns;
    }
    step->partials.resize(offset);
    step->kernel_buffers.resize(cluster.inputs.size() + cluster.outputs.size());
  }
  return step;
}

extern "C" int32_t RunFusedStep(const void* closure, void* const* buffers, const int64_t*) {
  const FusedStep& step = *static_cast<const FusedStep*>(closure);
  if (!step.column_sums.empty()) {
    RunWithColumnSums(step, buffers);
    return 0;
  }
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
