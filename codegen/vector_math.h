// Codegen-private (LLVM headers; only codegen/*.cc include it): exp, log and tanh as polynomial
// approximations in LLVM IR, the way XLA's CPU backend and Eigen's packet math do it, so a fused
// loop stays vectorized instead of calling libm once per lane. Each takes a float or double value,
// scalar or vector, and returns the same type. No fast-math flags: IEEE special values come out as
// libm's (exp(-inf) = 0, log(0) = -inf, log(-1) = NaN, NaN in gives NaN out), and denormal inputs
// and results are handled, not flushed.
//
// Accuracy against the exact value over the whole input range (tests/codegen/vector_math_test.cc
// measures it): exp and log within 1 ulp, tanh within 2, for float and double, on CPUs with FMA; on
// one without (KILN_MAX_ISA=baseline), exp within 1.25.
#pragma once

#include <llvm/IR/IRBuilder.h>

namespace kiln::codegen {

llvm::Value* EmitExp(llvm::IRBuilder<>& b, llvm::Value* x);
llvm::Value* EmitLog(llvm::IRBuilder<>& b, llvm::Value* x);
llvm::Value* EmitTanh(llvm::IRBuilder<>& b, llvm::Value* x);

}  // namespace kiln::codegen
