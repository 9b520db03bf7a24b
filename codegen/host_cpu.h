// The CPU the code generator targets, as LLVM names it: the JIT asks for the host's (DetectHostCpu);
// the kernel listings (kernel_listing.h) accept any x86 CPU LLVM knows, to inspect code for other
// machines.
#pragma once

#include <string>

namespace kiln::codegen {

struct HostCpu {
  std::string name;      // LLVM's CPU name: "znver3", "sapphirerapids", "generic"
  // LLVM subtarget features, sorted: "+avx2,+avx512f,...,-amx-tile,...". Disabled features are kept
  // ("-avx512f") because a hypervisor may mask features the CPU name implies, and LLVM would
  // otherwise enable them from the name alone. Empty means "what `name` implies".
  std::string features;
  int vector_bits = 128;  // 512 with usable AVX-512F, 256 with AVX2, else 128 (x86-64's SSE2 baseline)
};

// Never fails: an unrecognized CPU comes back as "generic" with 128-bit vectors. KILN_MAX_ISA
// (graph/isa_cap.h) narrows what it reports: "avx2" turns AVX-512 off, "baseline" AVX.
HostCpu DetectHostCpu();

}  // namespace kiln::codegen
