// Internal to runtime/kernels/direct_conv*.cc: the kernels of each instruction set, which the
// entry points in direct_conv.cc choose between for the host. Same contracts as direct_conv.h's.
#pragma once

#include "runtime/kernels/direct_conv.h"

namespace kiln::direct_conv {

namespace avx2 {  // direct_conv_avx2.cc: only on hosts with AVX2 and FMA
void Forward(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output, int64_t r0,
             int64_t r1, const Epilogue& epilogue);
void InputGradientPhaseRows(const ConvDims& d, const InputGradientPhase& phase, const float* dy, const float* packed,
                            float* scratch, float* dx, int64_t r0, int64_t r1, const Epilogue& epilogue);
void FilterGradient(const ConvDims& d, const float* input, const float* dy, float* scratch, float* partial, int64_t b0,
                    int64_t b1);
}  // namespace avx2

namespace avx512 {  // direct_conv_avx512.cc: only on hosts with AVX-512 F, DQ, BW and VL
void Forward(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output, int64_t r0,
             int64_t r1, const Epilogue& epilogue);
void InputGradientPhaseRows(const ConvDims& d, const InputGradientPhase& phase, const float* dy, const float* packed,
                            float* scratch, float* dx, int64_t r0, int64_t r1, const Epilogue& epilogue);
void FilterGradient(const ConvDims& d, const float* input, const float* dy, float* scratch, float* partial, int64_t b0,
                    int64_t b1);
}  // namespace avx512

}  // namespace kiln::direct_conv
