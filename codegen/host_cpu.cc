#include "codegen/host_cpu.h"

#include <algorithm>
#include <string>
#include <vector>

#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/Host.h>

#include "graph/isa_cap.h"

namespace kiln::codegen {

HostCpu DetectHostCpu() {
  HostCpu cpu;
  cpu.name = llvm::sys::getHostCPUName().str();
  // LLVM 19 returns the map by value (earlier versions filled an out-parameter). getHostCPUFeatures
  // also asks the OS (XGETBV) whether it saves the AVX-512 registers, so "+avx512f" means usable.
  const llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> flags;
  for (const auto& f : features) flags.push_back((f.second ? "+" : "-") + f.first().str());
  // StringMap iterates in hash order; sorting makes the string stable, so it can key a kernel cache.
  std::sort(flags.begin(), flags.end());
  for (const std::string& flag : flags) cpu.features += (cpu.features.empty() ? "" : ",") + flag;
  auto enabled = [&](const char* name) {
    auto it = features.find(name);
    return it != features.end() && it->second;
  };
  cpu.vector_bits = enabled("avx512f") ? 512 : enabled("avx2") ? 256 : 128;
  // KILN_MAX_ISA: LLVM applies features in order and turning one off turns off every feature that
  // implies it, so one disable at the end removes AVX-512 (or AVX and all built on it) whatever the
  // CPU name and the host's list enable.
  switch (MaxIsaFromEnvironment()) {
    case IsaCap::kAvx2:
      if (cpu.vector_bits > 256) {
        cpu.features += ",-avx512f";
        cpu.vector_bits = 256;
      }
      break;
    case IsaCap::kBaseline:
      if (cpu.vector_bits > 128) {
        cpu.features += ",-avx";
        cpu.vector_bits = 128;
      }
      break;
    case IsaCap::kAvx512: break;
  }
  return cpu;
}

}  // namespace kiln::codegen
