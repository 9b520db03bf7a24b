#include "codegen/host_cpu.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/Host.h>

namespace kiln::codegen {

HostCpu DetectHostCpu() {
  HostCpu cpu;
  cpu.name = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  bool avx2 = false, avx512f = false;
  for (const auto& f : features) {
    if (!f.second) continue;
    if (!cpu.features.empty()) cpu.features += ",";
    cpu.features += "+" + f.first().str();
    avx2 = avx2 || f.first() == "avx2";
    avx512f = avx512f || f.first() == "avx512f";
  }
  cpu.vector_bits = avx512f ? 512 : avx2 ? 256 : 128;
  return cpu;
}

}  // namespace kiln::codegen
