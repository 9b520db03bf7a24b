// KILN_VECTOR_CLONES: compiles a hot loop three times, for AVX-512, for AVX2 and for the x86-64 baseline
// the rest of Kiln is built for, and lets the loader pick one per host (GCC's target_clones, resolved
// once through an ifunc). For memory-bound library loops that do not justify a JIT kernel of their
// own: on a Zen 3 core, 256-bit loads and conversions run batch-norm statistics 1.3-2x faster than
// SSE2; on a Zen 5 the 512-bit clone took conv_bn's batch-norm kernels from 2.5-2.6 to 2.0-2.2 ms per
// step.
//
// The files using it are built with -ffp-contract=off (CMakeLists.txt), and the clones name no "fma":
// a * b + c is never contracted, so every clone rounds every operation the same way, and the loops
// keep their sums in explicit lanes, so a kernel's results do not depend on the host.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KILN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KILN_VECTOR_CLONES
#endif
