// Internal to runtime/kernels/direct_conv*.cc: the kernels of each instruction set, which the
// entry points in direct_conv.cc choose between for the host. Same contracts as direct_conv.h's.
#pragma once

#include "runtime/kernels/direct_conv.h"

namespace kiln::direct_conv {

namespace avx2 {  // direct_conv_avx2.cc: only on hosts with AVX2 and FMA
#include "runtime/kernels/direct_conv_entry_points.inc"
}  // namespace avx2

namespace avx512 {  // direct_conv_avx512.cc: only on hosts with AVX-512 F, DQ, BW and VL
#include "runtime/kernels/direct_conv_entry_points.inc"
}  // namespace avx512

}  // namespace kiln::direct_conv
