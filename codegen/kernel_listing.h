// A kernel's optimized LLVM IR and assembly for any CPU LLVM knows, without running it: for reading
// what the code generator made (a future `kiln dump --asm`) and for tests that check the vector
// width chosen for a machine other than the one they run on (AVX-512 code on an AVX2 host).
#pragma once

#include <string>

#include "codegen/elementwise_kernel.h"
#include "codegen/host_cpu.h"
#include "graph/status.h"
#include "graph/types.h"

namespace kiln::codegen {

struct KernelListing {
  std::string optimized_ir;  // after verification and the O2 pipeline, as the JIT would compile it
  std::string assembly;      // AT&T syntax, as `llc` prints it
};

// The affine-relu kernel of Jit::CompileElementwiseAffineRelu, compiled for `target` (for example
// {"skylake-avx512", "", 512}; empty features mean those the CPU name implies). An unknown CPU
// name is InvalidArgument.
StatusOr<KernelListing> ListAffineReluKernel(DataType dtype, const HostCpu& target);

// The kernel CompileElementwise would make of `cluster` (elementwise_kernel.h), for `target`.
StatusOr<KernelListing> ListElementwiseKernel(const ElementwiseCluster& cluster, const HostCpu& target);

}  // namespace kiln::codegen
