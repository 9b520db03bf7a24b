// KILN_MAX_ISA: caps the instruction set Kiln's kernels use below what the host has, for both the
// library kernels (runtime/kernels/) and the JIT's code (codegen/host_cpu.h). "avx2" keeps an
// AVX-512 host on AVX2 code, "baseline" (or "sse2") keeps every host on x86-64's SSE2 baseline; unset
// or anything else means no cap. For comparing the code paths on one machine, and for testing each
// path on a host that would pick another (CTest reruns the kernel tests under both caps).
#pragma once

namespace kiln {

enum class IsaCap { kBaseline, kAvx2, kAvx512 };

// Read from the environment once per call; callers cache what they derive from it.
IsaCap MaxIsaFromEnvironment();

}  // namespace kiln
