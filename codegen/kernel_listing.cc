#include "codegen/kernel_listing.h"

#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/kernel_module.h"
#include "codegen/llvm_pipeline.h"

namespace kiln::codegen {
namespace {

// Optimizes `m` exactly as the JIT does, then prints its IR and runs the backend to assembly.
StatusOr<KernelListing> List(KernelModule m, const HostCpu& target) {
  KILN_ASSIGN_OR_RETURN(llvm::orc::JITTargetMachineBuilder jtmb, MachineBuilderFor(target));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<llvm::TargetMachine> tm, CreateTargetMachine(jtmb));
  KILN_RETURN_IF_ERROR(VerifyAndOptimize(m, *tm, target.vector_bits));
  KernelListing listing;
  llvm::raw_string_ostream ir(listing.optimized_ir);
  m.module->print(ir, nullptr);
  ir.flush();
  // The backend still runs on the legacy pass manager (LLVM 19).
  llvm::SmallString<0> assembly;
  llvm::raw_svector_ostream os(assembly);
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
    return Internal("LLVM cannot emit assembly for " + target.name);
  }
  codegen.run(*m.module);
  listing.assembly = assembly.str().str();
  return listing;
}

}  // namespace

StatusOr<KernelListing> ListAffineReluKernel(DataType dtype, const HostCpu& target) {
  KILN_ASSIGN_OR_RETURN(KernelModule m, EmitAffineReluKernel(dtype, target.vector_bits, "kiln_affine_relu"));
  return List(std::move(m), target);
}

StatusOr<KernelListing> ListElementwiseKernel(const ElementwiseCluster& cluster, const HostCpu& target) {
  KILN_ASSIGN_OR_RETURN(KernelModule m, EmitElementwiseKernel(cluster, target.vector_bits, "kiln_elementwise"));
  return List(std::move(m), target);
}

}  // namespace kiln::codegen
