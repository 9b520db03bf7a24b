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
#include "runtime/kernels/avx512_lanes.inc"

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
