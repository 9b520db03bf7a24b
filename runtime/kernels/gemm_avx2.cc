// The GEMM block kernel built for AVX2+FMA, chosen at run time on hosts that have them, while the rest
// of Kiln stays at the x86-64 baseline (so the binary still runs anywhere). On a Zen 3 core this roughly
// doubles Eigen's SSE2 throughput: 8-wide fused multiply-adds instead of 4-wide multiplies and adds.
//
// How, with nothing but this file (no per-file compiler flags):
// 1. Every standard header Eigen/Core includes is included first, at the baseline ISA, so the library
//    functions this file instantiates are the same code as everyone else's (the linker keeps one copy of
//    each inline function, and an AVX2 copy chosen for the whole program would crash a pre-AVX2 host).
// 2. `#pragma GCC target` compiles everything after it for AVX2+FMA. GCC does not define the ISA macros
//    for a pragma, so they are defined by hand: Eigen reads them to pick its AVX packet types.
// 3. `Eigen` is renamed to `kiln_eigen_avx2` for this file, so its AVX2 instantiations of Eigen's
//    templates cannot be merged with the SSE2 ones of other files (matmul_op.cc's, gemm_portable.cc's).
#include "runtime/kernels/gemm_block.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)

#include "runtime/kernels/eigen_baseline_headers.inc"

#pragma GCC target("sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma")
#include "runtime/kernels/avx2_isa_macros.inc"

#define EIGEN_DONT_PARALLELIZE  // Kiln's ThreadPool does the threading; see gemm.h
#define Eigen kiln_eigen_avx2
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"  // Eigen 3.4's AVX F32ToBf16 has an unused local
#include <Eigen/Core>
#pragma GCC diagnostic pop

#if !defined(EIGEN_VECTORIZE_AVX2) || !defined(EIGEN_VECTORIZE_FMA)
#error "Eigen did not pick AVX2+FMA for gemm_avx2.cc"
#endif

#include "runtime/kernels/gemm_block.inc"
// The lanes types in an unnamed namespace: their inline functions are this ISA's alone, never merged
// with another file's copy.
namespace {
#include "runtime/kernels/avx2_lanes.inc"
}  // namespace
#include "runtime/kernels/gemm_narrow.inc"

namespace kiln::gemm_internal {

void GemmBlockAvx2(const BlockArgs<float>& args) {
  if (!TryNarrowGemm<Avx2Lanes>(args)) GemmBlock(args);
}
void GemmBlockAvx2(const BlockArgs<double>& args) { GemmBlock(args); }

}  // namespace kiln::gemm_internal

#else  // not x86-64 GCC: no AVX2 build; HostHasAvx2Fma() is false, so these are never called.

namespace kiln::gemm_internal {

void GemmBlockAvx2(const BlockArgs<float>& args) { GemmBlockPortable(args); }
void GemmBlockAvx2(const BlockArgs<double>& args) { GemmBlockPortable(args); }

}  // namespace kiln::gemm_internal

#endif
