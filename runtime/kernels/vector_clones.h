// KILN_VECTOR_CLONES: compiles a hot loop twice, for AVX2 and for the x86-64 baseline the rest of Kiln
// is built for, and lets the loader pick one per host (GCC's target_clones, resolved once through an
// ifunc). For memory-bound library loops that do not justify a JIT kernel of their own: on the Zen 3
// test machine, 256-bit loads and conversions run batch-norm statistics 1.3-2x faster than SSE2.
//
// Only "avx2", not "fma": without FMA the compiler cannot contract a * b + c, so both clones round
// every operation the same way and a kernel's results do not depend on the host.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KILN_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KILN_VECTOR_CLONES
#endif
