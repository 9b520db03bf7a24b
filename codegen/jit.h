// The JIT: an LLVM ORC LLJIT targeting this host. Modules are verified (llvm::verifyModule) and
// optimized at O2 before they are added; compiled kernels come back as KilnKernelFn, the ABI every
// Executable step uses. LLVM types stay behind this header (only codegen/*.cc include LLVM).
#pragma once

#include <memory>
#include <string>

#include "codegen/host_cpu.h"
#include "graph/kernel_abi.h"
#include "graph/status.h"
#include "graph/types.h"

namespace kiln::codegen {

class Jit {
 public:
  static StatusOr<std::unique_ptr<Jit>> Create();
  ~Jit();

  const HostCpu& cpu() const;

  // y[i] = relu(a * x[i] + b) over n elements: buffers {x, a (one scalar), b (one scalar), y},
  // sizes[0] = n. The skeleton kernel that puts the LLVM pipeline under test; `symbol` must be
  // unique within this Jit.
  StatusOr<KilnKernelFn> CompileAffineRelu(DataType dtype, const std::string& symbol);

  // Test hooks: a module that fails verification, and a lookup of a missing symbol, must both
  // come back as errors.
  Status CompileInvalidModuleForTest();
  StatusOr<KilnKernelFn> Lookup(const std::string& symbol);

  struct Impl;

 private:
  explicit Jit(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::codegen
