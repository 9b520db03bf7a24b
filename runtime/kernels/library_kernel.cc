#include "runtime/kernels/library_kernel.h"

namespace kiln {

LibraryKernelFactory FindLibraryKernel(const std::string& name) {
  static const LibraryKernelTable* table = [] {
    auto* t = new LibraryKernelTable();
    AddGemmKernels(*t);
    AddConvKernels(*t);
    AddPoolKernels(*t);
    AddReductionKernels(*t);
    AddOptimizerKernels(*t);
    AddBatchNormKernels(*t);
    AddWindowKernels(*t);
    return t;
  }();
  for (const auto& [kernel_name, factory] : *table) {
    if (kernel_name == name) return factory;
  }
  return nullptr;
}

extern "C" int32_t RunLibraryStep(const void* closure, void* const* buffers, const int64_t*) {
  auto* step = const_cast<LibraryStep*>(static_cast<const LibraryStep*>(closure));
  step->status = step->kernel->Run(buffers);
  return step->status.ok() ? 0 : 1;
}

}  // namespace kiln
