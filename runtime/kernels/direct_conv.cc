// The portable half of the direct convolution: filter packing and geometry (direct_conv_avx2.cc
// has the kernels).
#include "runtime/kernels/direct_conv.h"

#include <algorithm>

#include "runtime/kernels/gemm_block.h"

namespace kiln::direct_conv {

bool Available() { return gemm_internal::HostHasAvx2Fma(); }

namespace {

// packed = the [rows][o] matrix value(r, co) in groups of kMaxChannels columns, each group's rows
// PackedWidth(group) floats wide with zeros past the group's last column.
template <typename Value>
void PackGroups(int64_t rows, int64_t o, float* packed, Value value) {
  for (int64_t g = 0; g * kMaxChannels < o; ++g) {
    const int64_t first = g * kMaxChannels, og = std::min(kMaxChannels, o - first), width = PackedWidth(og);
    float* group = packed + rows * first;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t co = 0; co < og; ++co) group[r * width + co] = value(r, first + co);
      std::fill(group + r * width + og, group + (r + 1) * width, 0.0f);
    }
  }
}

}  // namespace

void PackFilter(const ConvDims& d, const float* filter, float* packed) {
  PackGroups(d.kh * d.kw * d.c, d.o, packed, [&](int64_t r, int64_t co) { return filter[r * d.o + co]; });
}

void PackFlippedTransposedFilter(const ConvDims& d, const float* filter, float* packed) {
  // Row (ky, kx, co) of the packed filter, column ci: filter[kh-1-ky][kw-1-kx][ci][co].
  PackGroups(d.kh * d.kw * d.o, d.c, packed, [&](int64_t r, int64_t ci) {
    const int64_t co = r % d.o, tap = r / d.o, ky = tap / d.kw, kx = tap % d.kw;
    return filter[(((d.kh - 1 - ky) * d.kw + (d.kw - 1 - kx)) * d.c + ci) * d.o + co];
  });
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
