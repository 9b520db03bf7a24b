// Codegen-private (LLVM headers; only codegen/*.cc include it): the steps from an emitted
// KernelModule to machine code, shared by the JIT (jit.cc) and the listings (kernel_listing.cc)
// so both compile exactly the same way.
#pragma once

#include <memory>
#include <string>

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/Support/Error.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/host_cpu.h"
#include "codegen/kernel_module.h"
#include "graph/status.h"

namespace kiln::codegen {

// Registers the native target, its assembly printer and parser with LLVM, once per process
// (thread-safe); later calls return the first call's result.
Status InitializeLlvmNativeTarget();

// Consumes an llvm::Error (an unconsumed one aborts in builds with LLVM's ABI-breaking checks).
std::string LlvmErrorMessage(llvm::Error error);

// A target machine builder for `cpu` on the host's triple: its CPU name and features (not the
// host's, when they differ), full codegen optimization (CodeGenOptLevel::Aggressive). A CPU name
// LLVM does not know is InvalidArgument.
StatusOr<llvm::orc::JITTargetMachineBuilder> MachineBuilderFor(const HostCpu& cpu);
StatusOr<std::unique_ptr<llvm::TargetMachine>> CreateTargetMachine(llvm::orc::JITTargetMachineBuilder& jtmb);

// llvm::verifyModule (a failure is Internal naming the kernel: it is an emitter bug), then sets
// the target (data layout, triple, per-function CPU, features and vector width) and runs LLVM's
// O2 pipeline with `tm`'s cost model, so the loop vectorizer and instcombine see the real target.
Status VerifyAndOptimize(KernelModule& m, llvm::TargetMachine& tm, int vector_bits);

// Runs `tm`'s backend over the optimized module: a relocatable object file, as ORC's compile layer
// would produce (the JIT compiles through this so it can also keep the object on disk).
StatusOr<std::string> EmitObjectFile(KernelModule& m, llvm::TargetMachine& tm);

// The first `hex_chars` hex digits of the SHA-256 of `text`: content-derived kernel symbols and
// cache keys.
std::string HexDigest(const std::string& text, size_t hex_chars);

}  // namespace kiln::codegen
