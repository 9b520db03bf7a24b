// The portable half of the direct convolution: filter packing, geometry, and the entry points that
// pick the host's kernels (direct_conv_avx2.cc, direct_conv_avx512.cc).
#include "runtime/kernels/direct_conv.h"

#include <algorithm>

#include "runtime/kernels/direct_conv_isa.h"
#include "runtime/kernels/gemm_block.h"

namespace kiln::direct_conv {

bool Available() { return gemm_internal::HostHasAvx2Fma(); }

bool PreferredForFilterGradient(const ConvDims& d) {
  return FilterGradientAvailable(d) && (d.o <= kMaxChannels || gemm_internal::HostHasAvx512());
}

void Forward(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output, int64_t r0,
             int64_t r1, const Epilogue& epilogue) {
  if (gemm_internal::HostHasAvx512()) return avx512::Forward(d, input, packed, scratch, output, r0, r1, epilogue);
  avx2::Forward(d, input, packed, scratch, output, r0, r1, epilogue);
}

void InputGradientPhaseRows(const ConvDims& d, const InputGradientPhase& phase, const float* dy, const float* packed,
                            float* scratch, float* dx, int64_t r0, int64_t r1, const Epilogue& epilogue) {
  if (gemm_internal::HostHasAvx512()) {
    return avx512::InputGradientPhaseRows(d, phase, dy, packed, scratch, dx, r0, r1, epilogue);
  }
  avx2::InputGradientPhaseRows(d, phase, dy, packed, scratch, dx, r0, r1, epilogue);
}

void FilterGradient(const ConvDims& d, const float* input, const float* dy, float* scratch, float* partial, int64_t b0,
                    int64_t b1) {
  if (gemm_internal::HostHasAvx512()) return avx512::FilterGradient(d, input, dy, scratch, partial, b0, b1);
  avx2::FilterGradient(d, input, dy, scratch, partial, b0, b1);
}

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

namespace {

// One dimension of a phase: the taps k in [0, kernel) with (phase + pad - k) divisible by stride,
// from the largest down; the phase's dx positions stride * i + phase below `in`. False if there is
// no tap or the first tap would need dy cut rather than padded (a positive offset t).
struct PhaseAxis {
  int64_t top = -1, taps = 0, pad = 0, out = 0;
};
bool PlanPhaseAxis(int64_t phase, int64_t pad, int64_t kernel, int64_t stride, int64_t in, PhaseAxis* a) {
  for (int64_t k = kernel - 1; k >= 0; --k) {
    if (((phase + pad - k) % stride + stride) % stride != 0) continue;
    if (a->top < 0) a->top = k;
    ++a->taps;
  }
  if (a->taps == 0) return false;
  const int64_t t_first = (phase + pad - a->top) / stride;  // dy offset of the first tap
  if (t_first > 0) return false;
  a->pad = -t_first;
  a->out = phase < in ? (in - phase + stride - 1) / stride : 0;
  return true;
}

}  // namespace

std::vector<InputGradientPhase> InputGradientPhases(const ConvDims& d) {
  std::vector<InputGradientPhase> phases;
  for (int64_t py = 0; py < d.sh; ++py) {
    for (int64_t px = 0; px < d.sw; ++px) {
      PhaseAxis y, x;
      if (!PlanPhaseAxis(py, d.pad_h, d.kh, d.sh, d.h, &y) || !PlanPhaseAxis(px, d.pad_w, d.kw, d.sw, d.w, &x)) return {};
      if (y.out == 0 || x.out == 0) continue;  // a phase past the image's edge has no pixels
      InputGradientPhase p;
      p.t = {.n = d.n, .h = d.oh, .w = d.ow, .c = d.o, .kh = y.taps, .kw = x.taps, .o = d.c, .sh = 1, .sw = 1,
             .oh = y.out, .ow = x.out, .pad_h = y.pad, .pad_w = x.pad};
      p.py = py, p.px = px, p.ky_top = y.top, p.kx_top = x.top;
      phases.push_back(p);
    }
  }
  return phases;
}

void PackPhaseFilter(const ConvDims& d, const InputGradientPhase& phase, const float* filter, float* packed) {
  const ConvDims& t = phase.t;
  PackGroups(t.kh * t.kw * t.c, t.o, packed, [&](int64_t r, int64_t ci) {
    const int64_t co = r % t.c, tap = r / t.c, u = tap / t.kw, v = tap % t.kw;
    const int64_t ky = phase.ky_top - d.sh * u, kx = phase.kx_top - d.sw * v;
    return filter[((ky * d.kw + kx) * d.c + ci) * d.o + co];
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
