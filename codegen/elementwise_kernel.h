// Fused elementwise kernels: a cluster (a primitive expression over N inputs, an iteration shape,
// each input's broadcast shape, M outputs, optionally some of them reduced along the innermost
// dim or summed down the columns) compiled into one vectorized loop nest by the JIT.
//
// How the runtime calls a compiled cluster (one KilnKernelFn, graph/kernel_abi.h):
//
//   CompiledElementwise k = *CompileElementwise(jit, cluster);
//   void* buffers[] = {in_0, ..., in_{N-1}, out_0, ..., out_{M-1}};  // whole tensors, not offset
//   int64_t sizes[] = {begin, end, k.range_size};  // a part of [0, k.range_size), and that size
//   k.fn(/*closure=*/nullptr, buffers, sizes);                         // returns 0
//
// The range indexes the flattened (row-major) iteration space: elements for a plain elementwise
// cluster (range_size = prod(shape)), whole rows of the innermost dim for a cluster with reduced
// outputs (range_size = prod(shape[:-1]); a row's reduction is never split). A call computes the
// outputs of its range and touches nothing else, so the runtime splits [0, k.range_size) over its
// threads (ParallelFor) and calls the kernel once per chunk: chunks may be any size and need no
// alignment (each call handles its partial rows and vector tails). The range is clamped to
// [0, sizes[2]), which must be k.range_size (a flat kernel serves clusters of any length, so it
// takes its size from the caller); an empty range does nothing. k.range_unit_elements says how many elements one
// unit of the range stands for (1, or the row length), for choosing chunk sizes.
//
// Column sums (OutputReduction::kColumnSum) sum every row of the range into one row of partial
// sums, which the caller adds up: chunks run at once, so each needs its own. Their output buffer
// holds rows of prod(shape[-1]) doubles, and a call takes a fourth size, the row of it to fill
// (sizes = {begin, end, range_size, partial}); the call zeroes that row first, even for an empty
// range, then adds its rows' values (in double) into it.
//
// Buffers: element alignment suffices (Kiln's 64-byte alignment is faster). Input i holds
// prod(input_shapes[i]) elements of expr.input_dtypes[i]; bools are one byte, 0 or 1. Output j
// holds prod(shape) elements of expr.output_dtype(j), row-major in `shape`, or prod(shape[:-1]) if
// it is reduced. An output may share its buffer with an input of the same dtype that does not
// broadcast (in-place); never with a broadcasting input or another output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/host_cpu.h"
#include "codegen/jit.h"
#include "graph/elementwise_expr.h"
#include "graph/kernel_abi.h"
#include "graph/status.h"

namespace kiln::codegen {

// How an output leaves the loop nest: stored per element, or reduced along the innermost dim.
enum class OutputReduction {
  kNone,
  kSum,  // as the Sum reference kernel: a float or double sum accumulates in double
  kMax,  // as the Max reference kernel: NaN propagates; -inf for an empty row (integers: lowest)
  // Summed over every dim but the innermost (a Sum or Mean over the batch, a bias gradient) into a
  // row of double partial sums (see above); float or double outputs only.
  kColumnSum,
};

struct ElementwiseCluster {
  // Names the kernel (its JIT symbol is "kiln_elementwise_<name>_<hash of the cluster>") and
  // errors; letters, digits and '_' are kept, anything else becomes '_'.
  std::string name;
  // Input i of the expression is buffer i; output j is buffer N + j.
  ElementwiseExpr expr;
  // The iteration shape: every output's shape. Fully defined (no -1).
  std::vector<int64_t> shape;
  // One per expression input: its shape, right-aligned against `shape` as NumPy broadcasts (each
  // dim equal to the aligned dim of `shape`, or 1 to repeat). A bias of [C] against [N, C] is [C];
  // an NCHW bias against [N, C, H, W] is [C, 1, 1]; a scalar is [] or [1].
  std::vector<std::vector<int64_t>> input_shapes;
  // Empty (every output elementwise), or one per output. Reduced outputs must be numeric (not
  // bool), and `shape` must then have a rank of at least 1. Softmax is three clusters:
  // {m = max(x)}, {e = exp(x - m) stored, s = sum(e) reduced} reading m as a [rows, 1] input,
  // then {e / s}.
  std::vector<OutputReduction> output_reductions;

  bool has_reductions() const;
};

struct CompiledElementwise {
  KilnKernelFn fn = nullptr;  // lives as long as the Jit
  std::string symbol;
  int num_inputs = 0;
  int num_outputs = 0;
  // prod(shape).
  int64_t num_elements = 0;
  // The range a call's {begin, end} indexes (see above): num_elements, or the number of rows.
  int64_t range_size = 0;
  int64_t range_unit_elements = 1;
  // Elements per vector iteration (host vector width / widest element type), a natural grain for
  // splitting the range.
  int vector_lanes = 0;
  // The iteration space after merging dims with the same broadcast pattern ([N*H*W, C] for a
  // bias-add): rank 1 means the contiguous fast path (no input broadcasts but scalars).
  std::vector<int64_t> loop_dims;
};

// Validates the cluster (the expression, one shape per input, shapes that broadcast), emits the
// loop nest for the Jit's host CPU and compiles it. An equal cluster (same name, expression and
// shapes) compiled again by the same Jit returns the same function without compiling; with a
// disk cache (JitOptions::cache_dir) a new process loads it instead of compiling. Errors name the
// cluster: InvalidArgument for a malformed cluster, Internal for an emitter bug LLVM's verifier
// caught.
StatusOr<CompiledElementwise> CompileElementwise(Jit& jit, const ElementwiseCluster& cluster);

}  // namespace kiln::codegen
