// Direct convolution, AVX2+FMA or AVX-512: no patch matrix, no GEMM packing.
//
// im2col + GEMM suits wide layers; the seed nets' narrow ones (conv_bn's 4 to 20 channels, every
// first layer's single input channel) spend more on building and packing the patch matrix than on
// multiply-adds, and Eigen's kernel wastes most of its 24x4 register tile when C has 4 columns.
// Wider layers gain too, once the input rows are padded and the filter packed: cnn_tutorial's 32->64
// layer ran at 85-89 GFLOP/s on one Zen 3 core against 61-70 through im2col and Eigen.
// These kernels keep a block of output pixels x up to 32 output channels in registers and read the
// input in place (after padding its rows):
//   forward: out[pixel, 0:o] = sum over taps and input channels of x * filter row (broadcast x,
//     one vector FMA per 8 output channels), 3-8 pixels at a time sharing the filter loads, wider
//     layers in groups of 32 channels;
//   filter gradient: dw[ky, kx * C + ci, co] = sum over pixels of padded x[pixel + (ky, kx), ci] *
//     dy[pixel, co]: along a kernel row the taps and input channels are one contiguous run of the
//     padded image, so a tile of 24 of them (3 vectors) x 4 output channels (broadcast) sits in
//     registers while the pixels stream by (for short runs, output channels in the lanes instead);
//   input gradient (stride 1): the forward kernel on dy with the filter flipped and transposed.
// Input rows are laid out with their padding around them, so borders need no special case. Each
// forward or input-gradient output is computed by one thread in a fixed order, so those results do
// not depend on the thread count; filter gradients are summed per image, per chunk of images, then
// across chunks in order: deterministic for a given thread count.
//
// Only call when Available(): the code uses AVX2 and FMA instructions, and on hosts that have
// AVX-512 (F, DQ, BW, VL) the pixel-broadcast forward kernel and the filter gradients run on
// 16-float vectors with 32 registers instead: blocks of up to 12 pixels x 32 channels.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/ops/conv_geometry.h"

namespace kiln::direct_conv {

// Output channels one pass keeps in registers. The forward kernel (and so the stride-1 input
// gradient) runs wider layers in groups of this many channels, over the same padded input rows;
// the filter gradient takes at most this many.
constexpr int64_t kMaxChannels = 32;
// Kernel rows the forward kernel holds row pointers for; taller filters go through im2col.
constexpr int64_t kMaxKernelHeight = 16;

// The host has AVX2+FMA (the kernels' instruction set).
bool Available();

// Floats per packed filter row: o rounded up to whole 8-float vectors.
inline int64_t PackedWidth(int64_t o) { return (o + 7) / 8 * 8; }

// The forward filter in groups of kMaxChannels output channels: group g holds
// [ky][kx][ci][0:PackedWidth(its channels)], zeros past the last; kh*kw*c*PackedWidth(o) floats.
void PackFilter(const ConvDims& d, const float* filter, float* packed);

// The filter of the input gradient as a stride-1 convolution of dy, packed the same way: for `d`
// the forward geometry, row (ky, kx, co) column ci is filter[kh-1-ky][kw-1-kx][ci][co].
void PackFlippedTransposedFilter(const ConvDims& d, const float* filter, float* packed);

// Floats in one padded input row of the forward kernel: every column a tap of some output pixel
// reaches, ((ow - 1) * sw + kw) pixels of c channels, the first pad_w of them left padding.
inline int64_t PaddedRowLength(const ConvDims& d) { return ((d.ow - 1) * d.sw + d.kw) * d.c; }

// Layers with few output channels, or one input channel, run "planar" instead: output pixels in
// the lanes. With 8 output channels or fewer a pixel's channels fill at most one vector, so the
// kernel above does one broadcast load per FMA and loads bound it (conv_bn's 4->8 layer ran at 30
// GFLOP/s on a Zen 3 core, its 4-channel input gradient at 19 with half of each vector idle);
// with one input channel a kernel row is a run of 3 to 5 taps, too short to amortize anything.
// The planar kernel first lays the image's input rows out channel by channel ([c][row][column],
// padded), so that 8 neighbouring output pixels read 8 consecutive floats of a channel plane; a
// block of 16 pixels x 4 output channels (8 accumulators) then takes 2 vector loads and 4
// broadcasts per 8 FMAs, and is transposed back to NHWC when stored. Stride 1 along the width only.
inline bool UsePlanarForward(const ConvDims& d) {
  return d.sw == 1 && (d.kw == 1 || d.kw == 3 || d.kw == 5) && d.o <= 4;
}
// Floats per row of a channel plane: every column a block of 16 pixels reads, padding included.
inline int64_t PlanarRowLength(const ConvDims& d) { return (d.ow + 15) / 16 * 16 + d.kw - 1; }

// Floats of scratch Forward needs per calling thread: kh padded rows, or for the planar kernel the
// image's channel planes, ((oh - 1) * sh + kh) padded rows each. It must be zeroed once before the
// first call; Forward writes only the input columns, so the padding stays zero.
inline int64_t ForwardScratchSize(const ConvDims& d) {
  if (UsePlanarForward(d)) return d.c * ((d.oh - 1) * d.sh + d.kh) * PlanarRowLength(d);
  return d.kh * PaddedRowLength(d);
}

// The geometry of that convolution: input dy [n, oh, ow, o], output dx [n, h, w, c].
ConvDims InputGradientAsConvolution(const ConvDims& d);

// Output rows [r0, r1) (row r is image r / oh, output row r % oh) of the convolution `d` with a
// packed filter, each output going through `epilogue` as it is stored. `scratch`:
// ForwardScratchSize(d) floats, zeroed once, for this thread alone.
// Requires d.kh <= kMaxKernelHeight.
struct Epilogue {
  const float* bias = nullptr;  // when set: + bias[output channel]
  bool relu = false;            // then max(0, .), NaN staying NaN as Relu's kernel has it
  const float* gate = nullptr;  // when set (laid out as the output): kept where gate > 0, else 0,
                                // as ReluGrad selects (a NaN gate gives 0)
};
void Forward(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output, int64_t r0,
             int64_t r1, const Epilogue& epilogue = {});

// A strided convolution's input gradient as sh * sw stride-1 convolutions of dy, one per "phase"
// (py, px): dx pixel (sh * i + py, sw * j + px) takes dy pixel (i + t, j + u) through filter tap
// (ky, kx) exactly when sh * t = py + pad_h - ky (and likewise for the width), so each phase is a
// plain convolution of dy with the taps of its parity, flipped, and writes every sh-th row and
// sw-th column of dx. This replaces im2col's patch matrix and scatter-add (conv_bn's stride-2 layer,
// whose product has only 12 channels to sum over, spent its time there).
struct InputGradientPhase {
  ConvDims t;              // dy [n, oh, ow, o] -> this phase's dx pixels [n, t.oh, t.ow, c]
  int64_t py, px;          // its first dx row and column
  int64_t ky_top, kx_top;  // its tap (u, v) is filter tap (ky_top - sh * u, kx_top - sw * v)
};
// The phases of `d`, or none when the direct kernels cannot take them: some phase has no tap (a
// filter smaller than the stride) or would need the input cut rather than padded.
std::vector<InputGradientPhase> InputGradientPhases(const ConvDims& d);
// The phase's filter packed as PackFilter packs a forward filter: row (u, v, co), column ci is
// filter[ky_top - sh * u][kx_top - sw * v][ci][co]. t.kh * t.kw * t.c * PackedWidth(t.o) floats.
void PackPhaseFilter(const ConvDims& d, const InputGradientPhase& phase, const float* filter, float* packed);
// Rows [r0, r1) of the phase's convolution (row r: image r / t.oh, phase row r % t.oh) into dx, each
// output through `epilogue` (its gate laid out as dx). `scratch`: ForwardScratchSize(t) floats, zeroed
// once; the pixel-broadcast kernel always (the phase's pixels are not adjacent in dx).
void InputGradientPhaseRows(const ConvDims& d, const InputGradientPhase& phase, const float* dy, const float* packed,
                            float* scratch, float* dx, int64_t r0, int64_t r1, const Epilogue& epilogue = {});
inline int64_t PhaseScratchSize(const InputGradientPhase& phase) { return phase.t.kh * PaddedRowLength(phase.t); }

// The filter gradient runs one of two ways. Mostly with taps in the lanes: along a kernel row the
// taps and input channels are one contiguous run of the padded image, kw * C floats, read as
// vectors against broadcast dy values. A run shorter than 16 floats (one input channel) would
// leave most lanes idle, so such layers put their output channels in the lanes instead (at most
// kMaxChannels of them; wider layers with short runs go through im2col).
inline bool TapsInLanes(const ConvDims& d) { return d.kw * d.c >= 16; }
inline bool FilterGradientAvailable(const ConvDims& d) { return TapsInLanes(d) || d.o <= kMaxChannels; }
// Whether the filter gradient should run here rather than through im2col and GEMM: layers of at
// most kMaxChannels output channels, and on AVX-512 hosts wider ones too. With AVX2 a wider layer
// measured slower this way (cnn_tutorial's 32 -> 64: 26 against 22 ms per step on a Zen 3); with
// 16-float tiles of up to 5 vectors it runs at 243-254 GFLOP/s on one Zen 5 core against 175 for
// im2col and Eigen's AVX-512 GEMM.
bool PreferredForFilterGradient(const ConvDims& d);

// Scratch and partial sums. Either way the image is laid out padded, PaddedImageRows rows of
// PaddedRowLength floats (from input row -pad_h, column -pad_w), plus slack for the last vectors'
// overreach. With taps in the lanes the partial holds dw transposed, [co][ky][kx * c + ci] with
// rows of PartialRowStride floats; otherwise it is [ky][kx][ci][0:PackedWidth(o)].
inline int64_t PaddedImageRows(const ConvDims& d) { return (d.oh - 1) * d.sh + d.kh; }
inline int64_t FilterGradientScratchSize(const ConvDims& d) { return PaddedImageRows(d) * PaddedRowLength(d) + 32; }
// Partial rows are whole 16-float vectors, so a tile of the widest kernels' vectors never reaches
// the next row.
inline int64_t PartialRowStride(const ConvDims& d) { return (d.kw * d.c + 15) / 16 * 16; }
inline int64_t FilterGradientPartialSize(const ConvDims& d) {
  return TapsInLanes(d) ? d.o * d.kh * PartialRowStride(d) : d.patch_size() * PackedWidth(d.o);
}
inline int64_t PartialIndex(const ConvDims& d, int64_t ky, int64_t kx, int64_t ci, int64_t co) {
  return TapsInLanes(d) ? (co * d.kh + ky) * PartialRowStride(d) + kx * d.c + ci
                        : ((ky * d.kw + kx) * d.c + ci) * PackedWidth(d.o) + co;
}

// partial += the filter gradient over images [b0, b1) (PartialIndex says where dw[ky][kx][ci][co]
// is). `scratch`: FilterGradientScratchSize(d) floats, zeroed once, for this thread alone.
// Requires FilterGradientAvailable(d).
void FilterGradient(const ConvDims& d, const float* input, const float* dy, float* scratch, float* partial, int64_t b0,
                    int64_t b1);

}  // namespace kiln::direct_conv
