// The JIT: an LLVM ORC LLJIT for this host's CPU. Every kernel is emitted into its own module,
// checked with llvm::verifyModule, optimized at O2 for the host and compiled eagerly, and comes
// back as a KilnKernelFn, the one ABI every Executable step uses. LLVM types stay behind this
// header (only codegen/*.cc include LLVM), so the runtime sees function pointers and Status.
//
// Kernels are cached in memory by symbol (a kernel whose symbol is derived from its content, as
// CompileElementwise's is, compiles once per Jit) and, when JitOptions::cache_dir is set, on disk
// across processes (kernel_cache.h).
#pragma once

#include <memory>
#include <string>

#include "codegen/host_cpu.h"
#include "graph/kernel_abi.h"
#include "graph/status.h"
#include "graph/types.h"

namespace kiln::codegen {

struct KernelModule;  // codegen/kernel_module.h, codegen-private

struct JitOptions {
  // Where compiled kernels persist between processes; empty means no disk cache. Library code
  // never reads the environment: tools/ passes $XDG_CACHE_HOME/kiln (or ~/.cache/kiln) here.
  std::string cache_dir;
};

// What the Jit did with the kernels it was given.
struct JitStats {
  int64_t compiled = 0;            // optimized and compiled by LLVM
  int64_t loaded_from_disk = 0;    // taken from the disk cache
  int64_t reused = 0;              // already in this Jit under the same symbol
  int64_t cache_write_errors = 0;  // compiled but not stored (the cache only costs time then)
};

class Jit {
 public:
  // Fails (never aborts) when LLVM cannot generate code for this host, or the cache directory
  // cannot be created.
  static StatusOr<std::unique_ptr<Jit>> Create(const JitOptions& options = {});
  ~Jit();
  Jit(const Jit&) = delete;
  Jit& operator=(const Jit&) = delete;

  const HostCpu& cpu() const;
  JitStats stats() const;

  // y[i] = max(a * x[i] + b, 0) for i in [0, n): buffers {x, a (one scalar), b (one scalar), y},
  // sizes {n}; float or double (others are Unimplemented). Vectorized at the host's width;
  // buffers need only element alignment, and y may equal x. Returns 0. Each call compiles a new
  // kernel under a fresh symbol; the code lives as long as this Jit.
  StatusOr<KilnKernelFn> CompileElementwiseAffineRelu(DataType dtype);

  // The compiled kernel named `symbol`, or NotFound.
  StatusOr<KilnKernelFn> Lookup(const std::string& symbol);

  // Test hook: compiles a kernel whose IR is malformed (a block without a terminator), which must
  // come back as an Internal error from the verifier, not a crash.
  Status CompileInvalidKernelForTest();

  // For codegen's kernel compilers (CompileElementwise, ...): KernelModule is codegen-private, so
  // nothing outside codegen/ can call these. AddKernel is the path every kernel ends in: the
  // kernel already in this Jit under m.symbol if there is one, else the disk cache's object for
  // the module, else verify, optimize, compile (and store); then link into the LLJIT and look up.
  StatusOr<KilnKernelFn> AddKernel(KernelModule&& m);
  // The kernel this Jit already has under `symbol` (counted as reused), or null: a compiler whose
  // symbols name their content asks first, so an equal kernel is not even emitted again (deep128's
  // 128 layers give hundreds of equal clusters; emitting and hashing each one's IR was most of a
  // warm start).
  KilnKernelFn FindKernel(const std::string& symbol);
  // A symbol no other kernel of this Jit has: "kiln_<kernel>_<counter>".
  std::string FreshSymbol(const std::string& kernel);

 private:
  struct Impl;
  explicit Jit(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// The process-wide Jit executables compile their kernels with, created on first use (so a process
// that never compiles pays nothing for LLVM). SetDefaultJitOptions takes effect only before that
// first use: tools/ call it at start-up with the disk cache directory. Thread-safe.
StatusOr<Jit*> DefaultJit();
void SetDefaultJitOptions(const JitOptions& options);

}  // namespace kiln::codegen
