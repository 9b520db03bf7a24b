// Codegen-private (LLVM headers; only codegen/*.cc include it): the accumulators of outputs a
// fused cluster reduces along its innermost dim (OutputReduction, elementwise_kernel.h). A row's
// values are combined lane-wise into a vector accumulator as the strip loop runs, then the lanes
// are combined pairwise (a shuffle tree) into the row's result.
//
// The combines follow the reference kernels (graph/ops/reduction_ops.cc): a float or double sum
// accumulates in double; max is `(v > a || v != v) ? v : a` with NaN, once there, kept.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include "codegen/elementwise_kernel.h"
#include "graph/types.h"

namespace kiln::codegen {

// The vector type a reduction of `dtype` values accumulates in: <lanes x double> for a floating
// sum, else <lanes x dtype>.
llvm::Type* AccumulatorType(llvm::LLVMContext& ctx, OutputReduction kind, DataType dtype, unsigned lanes);
// The accumulator before any value: 0 for sums, -inf (integers: the lowest value) for max.
llvm::Value* ReductionIdentity(llvm::Type* accumulator_type, OutputReduction kind);
// acc combined with `value` (a vector of dtype in register form); lanes outside `mask` (when not
// null) leave acc unchanged.
llvm::Value* Accumulate(llvm::IRBuilder<>& b, OutputReduction kind, llvm::Value* acc, llvm::Value* value,
                        llvm::Value* mask);
// The accumulator's lanes combined into one value of `dtype` (a scalar in register form).
llvm::Value* FinishReduction(llvm::IRBuilder<>& b, OutputReduction kind, DataType dtype, llvm::Value* acc);

}  // namespace kiln::codegen
