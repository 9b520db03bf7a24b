// The GEMM block kernel built for AVX-512 (F, DQ, BW, VL), chosen at run time on hosts that have them
// (Sapphire Rapids, Zen 4 and 5): Eigen's 16-float packets and its 32-register micro-kernel. Built the
// way gemm_avx2.cc is (baseline headers first, `#pragma GCC target`, hand-defined ISA macros, Eigen
// renamed, here to `kiln_eigen_avx512`); see the comment at the top of that file.
#include "runtime/kernels/gemm_block.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)

#include "runtime/kernels/eigen_baseline_headers.inc"

#pragma GCC target("sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,avx512f,avx512dq,avx512bw,avx512vl")
#include "runtime/kernels/avx2_isa_macros.inc"
#ifndef __AVX512F__
#define __AVX512F__ 1
#endif
#ifndef __AVX512DQ__
#define __AVX512DQ__ 1
#endif
#ifndef __AVX512BW__
#define __AVX512BW__ 1
#endif
#ifndef __AVX512VL__
#define __AVX512VL__ 1
#endif

// GCC 12 reads the `_mm512_undefined_ps()` inside its own AVX-512 intrinsics as uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define EIGEN_DONT_PARALLELIZE  // Kiln's ThreadPool does the threading; see gemm.h
#define Eigen kiln_eigen_avx512
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"  // Eigen 3.4's AVX F32ToBf16 has an unused local
#include <Eigen/Core>
#pragma GCC diagnostic pop

#if !defined(EIGEN_VECTORIZE_AVX512) || !defined(EIGEN_VECTORIZE_FMA)
#error "Eigen did not pick AVX-512 for gemm_avx512.cc"
#endif

#include "runtime/kernels/gemm_block.inc"
// The lanes types in an unnamed namespace: their inline functions are this ISA's alone, never merged
// with another file's copy.
namespace {
#include "runtime/kernels/avx2_lanes.inc"
#include "runtime/kernels/avx512_lanes.inc"
}  // namespace
#include "runtime/kernels/gemm_narrow.inc"

namespace kiln::gemm_internal {

void GemmBlockAvx512(const BlockArgs<float>& args) {
  if (!TryNarrowGemm<Avx512Lanes>(args)) GemmBlock(args);
}
void GemmBlockAvx512(const BlockArgs<double>& args) { GemmBlock(args); }

}  // namespace kiln::gemm_internal

#else  // not x86-64 GCC: no AVX-512 build; HostHasAvx512() is false, so these are never called.

namespace kiln::gemm_internal {

void GemmBlockAvx512(const BlockArgs<float>& args) { GemmBlockPortable(args); }
void GemmBlockAvx512(const BlockArgs<double>& args) { GemmBlockPortable(args); }

}  // namespace kiln::gemm_internal

#endif
