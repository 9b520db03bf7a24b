// The direct convolution kernels (direct_conv_kernels.inc) on 8-float AVX2+FMA vectors, while the
// rest of Kiln stays at the x86-64 baseline; called only when direct_conv::Available(). As in
// gemm_avx2.cc, every header is included before `#pragma GCC target`, and the code after it calls
// no inline library function, so no AVX2 copy of a shared inline function can reach the rest of
// the program.
#include "runtime/kernels/direct_conv_isa.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)

#include <immintrin.h>

#pragma GCC target("avx2,fma")

namespace kiln::direct_conv::avx2 {

#include "runtime/kernels/avx2_lanes.inc"

using ForwardLanes = Avx2Lanes;
using TileLanes = Avx2Lanes;

#include "runtime/kernels/direct_conv_kernels.inc"

}  // namespace kiln::direct_conv::avx2

#else  // not x86-64 GCC: Available() is false there, so these are never called.

namespace kiln::direct_conv::avx2 {

void Forward(const ConvDims&, const float*, const float*, float*, float*, int64_t, int64_t, const Epilogue&) {}
void InputGradientPhaseRows(const ConvDims&, const InputGradientPhase&, const float*, const float*, float*, float*,
                            int64_t, int64_t, const Epilogue&) {}
void FilterGradient(const ConvDims&, const float*, const float*, float*, float*, int64_t, int64_t) {}

}  // namespace kiln::direct_conv::avx2

#endif
