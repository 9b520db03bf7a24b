#include "graph/isa_cap.h"

#include <cstdlib>
#include <cstring>

namespace kiln {

IsaCap MaxIsaFromEnvironment() {
  const char* cap = std::getenv("KILN_MAX_ISA");
  if (cap == nullptr) return IsaCap::kAvx512;
  if (std::strcmp(cap, "avx2") == 0) return IsaCap::kAvx2;
  if (std::strcmp(cap, "baseline") == 0 || std::strcmp(cap, "sse2") == 0) return IsaCap::kBaseline;
  return IsaCap::kAvx512;
}

}  // namespace kiln
