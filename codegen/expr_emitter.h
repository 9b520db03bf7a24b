// Codegen-private (LLVM headers; only codegen/*.cc include it): the primitive expression IR
// (graph/elementwise_expr.h) as LLVM instructions over vectors, one table entry per primitive
// (tinygrad's renderer table, not a switch over ops). The loop nest around it is
// elementwise_kernel.cc's.
#pragma once

#include <vector>

#include <llvm/IR/IRBuilder.h>

#include "graph/elementwise_expr.h"

namespace kiln::codegen {

// One element of `dtype` in registers (bool is i1) and in memory (bool is i8, as Tensor stores it).
llvm::Type* RegisterElementType(llvm::LLVMContext& ctx, DataType dtype);
llvm::Type* MemoryElementType(llvm::LLVMContext& ctx, DataType dtype);

// Memory <-> register form of a value of `dtype` (bool: i8 != 0, and zext); others unchanged.
llvm::Value* FromMemory(llvm::IRBuilder<>& b, DataType dtype, llvm::Value* loaded);
llvm::Value* ToMemory(llvm::IRBuilder<>& b, DataType dtype, llvm::Value* value);

// Emits `expr` over vectors of `lanes` elements and returns its outputs. inputs[i] is input i's
// value in register form (<lanes x T>); it may be null for an input the expression never reads.
// The expression must have passed ElementwiseExpr::Validate.
std::vector<llvm::Value*> EmitExpr(llvm::IRBuilder<>& b, const ElementwiseExpr& expr, unsigned lanes,
                                   const std::vector<llvm::Value*>& inputs);

}  // namespace kiln::codegen
