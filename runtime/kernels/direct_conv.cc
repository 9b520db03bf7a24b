// The portable half of the direct convolution: filter packing and geometry (direct_conv_avx2.cc
// has the kernels).
#include "runtime/kernels/direct_conv.h"

#include <algorithm>

#include "runtime/kernels/gemm_block.h"

namespace kiln::direct_conv {

bool Available() { return gemm_internal::HostHasAvx2Fma(); }

void PackFilter(const ConvDims& d, const float* filter, float* packed) {
  const int64_t width = PackedWidth(d.o), rows = d.kh * d.kw * d.c;
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(filter + r * d.o, d.o, packed + r * width);
    std::fill(packed + r * width + d.o, packed + (r + 1) * width, 0.0f);
  }
}

void PackFlippedTransposedFilter(const ConvDims& d, const float* filter, float* packed) {
  const int64_t width = PackedWidth(d.c);
  for (int64_t ky = 0; ky < d.kh; ++ky) {
    for (int64_t kx = 0; kx < d.kw; ++kx) {
      const float* tap = filter + ((d.kh - 1 - ky) * d.kw + (d.kw - 1 - kx)) * d.c * d.o;  // [c][o]
      for (int64_t co = 0; co < d.o; ++co) {
        float* row = packed + ((ky * d.kw + kx) * d.o + co) * width;
        for (int64_t ci = 0; ci < d.c; ++ci) row[ci] = tap[ci * d.o + co];
        std::fill(row + d.c, row + width, 0.0f);
      }
    }
  }
}

ConvDims InputGradientAsConvolution(const ConvDims& d) {
  ConvDims t = d;
  t.h = d.oh, t.w = d.ow, t.c = d.o;
  t.o = d.c, t.oh = d.h, t.ow = d.w;
  t.sh = t.sw = 1;
  // dx[iy] = sum over ky of dy[iy + pad_h - ky] * filter[ky]; with ky' = kh - 1 - ky that is a
  // convolution of dy whose top padding is kh - 1 - pad_h.
  t.pad_h = d.kh - 1 - d.pad_h;
  t.pad_w = d.kw - 1 - d.pad_w;
  return t;
}

}  // namespace kiln::direct_conv
