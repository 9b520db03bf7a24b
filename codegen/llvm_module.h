// Codegen-private: what kernel emitters share — a module with the kernel ABI signature set up,
// and the Jit's compile path. Included only by codegen/*.cc (it pulls in LLVM headers).
#pragma once

#include <memory>
#include <string>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "codegen/jit.h"

namespace kiln::codegen {

// A module holding one kernel function `i32 symbol(ptr closure, ptr buffers, ptr sizes)`.
struct KernelModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  llvm::Function* function = nullptr;
  llvm::Value* closure = nullptr;
  llvm::Value* buffers = nullptr;
  llvm::Value* sizes = nullptr;
};

KernelModule NewKernelModule(const std::string& symbol);

// Loads buffers[index] (a pointer) and sizes[index] (an i64).
llvm::Value* LoadBuffer(llvm::IRBuilder<>& b, const KernelModule& m, int index);
llvm::Value* LoadSize(llvm::IRBuilder<>& b, const KernelModule& m, int index);

// Verifies, optimizes at O2 for the host, adds to the JIT, and looks the kernel up.
StatusOr<KilnKernelFn> CompileKernelModule(Jit::Impl& jit, KernelModule module, const std::string& symbol);

// The host CPU of a Jit (emitters pick vector widths from it).
const HostCpu& HostOf(const Jit::Impl& jit);

}  // namespace kiln::codegen
