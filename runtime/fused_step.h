// A fused elementwise cluster (passes/fusion.h) as an Executable step: the cluster lowered to one
// expression (graph/elementwise_lowering.h), compiled by the JIT (codegen/elementwise_kernel.h), and
// run through the one kernel ABI with its range split over Kiln's thread pool.
#pragma once

#include <cstdint>
#include <memory>

#include "codegen/jit.h"
#include "graph/kernel_abi.h"
#include "passes/fusion.h"

namespace kiln {

class ThreadPool;

struct FusedStep {
  KilnKernelFn kernel = nullptr;  // the JIT'd loop nest, called once per chunk with {begin, end}
  int64_t range_size = 0;         // what the kernel's range indexes (elements, or rows)
  int64_t min_grain = 1;          // range units per chunk below which splitting costs more than it saves
  ThreadPool* pool = nullptr;     // null: the calling thread only

  // Outputs summed down the columns (FusionCluster::column_sum_divisors): each chunk fills its own
  // row of partial sums in `partials`, and the step adds the rows up in chunk order, so the result
  // depends on the thread count only, as a split GEMM's does.
  struct ColumnSum {
    int operand = 0;         // the output's index among the step's operands
    int64_t columns = 0;
    double divisor = 1;      // Mean: the rows summed
    DataType dtype = DT_FLOAT;
    size_t partials_offset = 0;  // its rows in `partials`: max_chunks of them
  };
  std::vector<ColumnSum> column_sums;
  int max_chunks = 1;
  // Scratch of a run, sized when compiled (a run allocates nothing): the partial rows, and the
  // operands as the kernel sees them, with each column sum's pointing at its partial rows.
  mutable std::vector<double> partials;
  mutable std::vector<void*> kernel_buffers;
};

// The step's operands are the cluster's inputs then its outputs, in FusionCluster order.
StatusOr<std::unique_ptr<FusedStep>> CompileFusedStep(codegen::Jit& jit, const FusionCluster& cluster, ThreadPool* pool);

// The KilnKernelFn a fused step runs through; its closure is the FusedStep. Never fails.
extern "C" int32_t RunFusedStep(const void* closure, void* const* buffers, const int64_t* sizes);

}  // namespace kiln
