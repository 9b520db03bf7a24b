// Codegen-private (it includes LLVM headers; only codegen/*.cc include it): one kernel in its own
// LLVM module with the kernel ABI's signature, the argument loads every emitter starts with, and
// the emitters. An emitter only builds IR; verifying, optimizing and compiling are llvm_pipeline.h's.
#pragma once

#include <memory>
#include <string>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "codegen/elementwise_kernel.h"
#include "graph/status.h"
#include "graph/types.h"

namespace kiln::codegen {

// `i32 symbol(ptr closure, ptr buffers, ptr sizes)`, KilnKernelFn in IR. Each kernel owns its
// context so modules can be compiled (and later freed) independently and on different threads.
struct KernelModule {
  std::string symbol;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  llvm::Function* function = nullptr;
  llvm::Value* closure = nullptr;
  llvm::Value* buffers = nullptr;
  llvm::Value* sizes = nullptr;
};

// The function has a declaration only; the emitter appends the blocks.
KernelModule NewKernelModule(const std::string& symbol);

// Loads buffers[index] (a pointer) and sizes[index] (an i64).
llvm::Value* LoadBuffer(llvm::IRBuilder<>& b, const KernelModule& m, int index);
llvm::Value* LoadSize(llvm::IRBuilder<>& b, const KernelModule& m, int index);

// The element type of a floating dtype (float, double), or Unimplemented naming the kernel.
StatusOr<llvm::Type*> FloatElementType(llvm::LLVMContext& ctx, DataType dtype, const std::string& kernel);

// Marks `latch` (the branch closing a loop) so the loop vectorizer and unroller leave the loop
// alone: for loops Kiln has already vectorized by hand and for scalar tails shorter than a vector.
void MarkLoopDoNotOptimize(llvm::BranchInst* latch);

// --- Emitters, one file each. `vector_bits` is the register width to emit for (HostCpu).

// affine_relu_kernel.cc: y[i] = relu(a * x[i] + b), buffers {x, a, b, y}, sizes {n}.
StatusOr<KernelModule> EmitAffineReluKernel(DataType dtype, int vector_bits, const std::string& symbol);

// elementwise_kernel.cc: a fused elementwise cluster, buffers {inputs..., outputs...}, sizes
// {begin, end} (elementwise_kernel.h). Validates the cluster first (errors name it).
StatusOr<KernelModule> EmitElementwiseKernel(const ElementwiseCluster& cluster, int vector_bits, const std::string& symbol);

}  // namespace kiln::codegen
