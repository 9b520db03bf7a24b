// The host CPU as LLVM sees it: name ("sapphirerapids", "znver5"), feature string, and the vector
// width the code generator should target.
#pragma once

#include <string>

namespace kiln::codegen {

struct HostCpu {
  std::string name;
  std::string features;  // "+avx2,+avx512f,..." (enabled features only)
  int vector_bits = 128;  // 512 with AVX-512F, 256 with AVX2, else 128 (SSE2 is x86-64's baseline)
};

HostCpu DetectHostCpu();

}  // namespace kiln::codegen
