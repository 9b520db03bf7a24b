// The direct convolution kernels (direct_conv_kernels.inc) for AVX-512 hosts: the pixel-broadcast
// forward kernel (so the stride-1 and phase input gradients) and the taps-in-lanes filter gradient
// on 16-float vectors with 32 registers, the rest as in direct_conv_avx2.cc. Built the same way
// (headers first, then `#pragma GCC target`, no library calls after it).
//
// On a Zen 5 core, whose FMA units are 512 bits wide, the 8-float kernels reach at most half its
// multiply-add rate; blocks of up to 12 pixels x 32 channels (24 accumulators) also load each filter
// vector for twice the pixels.
#include "runtime/kernels/direct_conv_isa.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)

#include <immintrin.h>

#pragma GCC target("avx2,fma,avx512f,avx512dq,avx512bw,avx512vl")
// GCC 12 reads the `_mm512_undefined_ps()` inside its own AVX-512 intrinsics as uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace kiln::direct_conv::avx512 {

#include "runtime/kernels/avx2_lanes.inc"

struct Avx512Lanes {
  using Vec = __m512;
  static constexpr int kLanes = 16;
  // 32 registers: P * V accumulators, V filter vectors and a broadcast.
  static constexpr int ForwardPixels(int v) { return v == 1 ? 16 : 12; }

  static constexpr int RunBlock(int v) { return v == 1 ? 8 : 5; }

  KILN_LANES_INLINE Vec Zero() { return _mm512_setzero_ps(); }
  KILN_LANES_INLINE Vec Load(const float* p) { return _mm512_loadu_ps(p); }
  KILN_LANES_INLINE void Store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
  KILN_LANES_INLINE Vec Broadcast(const float* p) { return _mm512_set1_ps(*p); }
  KILN_LANES_INLINE Vec Fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  KILN_LANES_INLINE Vec Add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  // VMAXPS returns its second operand when either is NaN, so a NaN stays NaN.
  KILN_LANES_INLINE Vec Relu(Vec v) { return _mm512_max_ps(_mm512_setzero_ps(), v); }
  KILN_LANES_INLINE Vec KeepWherePositive(Vec v, Vec gate) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(gate, _mm512_setzero_ps(), _CMP_GT_OQ), v);
  }
  // Masked loads and stores suppress faults on the masked-off lanes, and are as fast as plain ones.
  KILN_LANES_INLINE __mmask16 FirstLanes(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
  KILN_LANES_INLINE Vec LoadFirst(const float* p, int64_t n) {
    return n == 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(FirstLanes(n), p);
  }
  KILN_LANES_INLINE void StoreFirst(float* p, Vec v, int64_t n) {
    if (n == 16) return _mm512_storeu_ps(p, v);
    _mm512_mask_storeu_ps(p, FirstLanes(n), v);
  }
};

using ForwardLanes = Avx512Lanes;
using TileLanes = Avx512Lanes;

#include "runtime/kernels/direct_conv_kernels.inc"

}  // namespace kiln::direct_conv::avx512

#else  // not x86-64 GCC: direct_conv.cc never picks these there.

namespace kiln::direct_conv::avx512 {

void Forward(const ConvDims&, const float*, const float*, float*, float*, int64_t, int64_t, const Epilogue&) {}
void InputGradientPhaseRows(const ConvDims&, const InputGradientPhase&, const float*, const float*, float*, float*,
                            int64_t, int64_t, const Epilogue&) {}
void FilterGradient(const ConvDims&, const float*, const float*, float*, float*, int64_t, int64_t) {}

}  // namespace kiln::direct_conv::avx512

#endif
