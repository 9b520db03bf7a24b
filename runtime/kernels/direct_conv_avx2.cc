// The direct convolution kernels (direct_conv.h), compiled for AVX2+FMA while the rest of Kiln stays
// at the x86-64 baseline; called only when direct_conv::Available(). As in gemm_avx2.cc, every
// header is included before `#pragma GCC target`, and the code after it calls no inline library
// function, so no AVX2 copy of a shared inline function can reach the rest of the program.
#include "runtime/kernels/direct_conv.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)

#include <immintrin.h>

#pragma GCC target("avx2,fma")

namespace kiln::direct_conv {
namespace {

inline int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t Max(int64_t a, int64_t b) { return a > b ? a : b; }

// Lanes [0, n) of a vector of 8 set, for the last, partial vector of a channel row.
inline __m256i LaneMask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// A plain vector copy: padded rows are short (28 to 900 floats), and this file calls no library
// function.
void CopyFloats(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

// Floats of an input row a padded row holds: the input columns some tap reaches.
int64_t PaddedRowCopy(const ConvDims& d) { return Max(0, Min(d.w, PaddedRowLength(d) / d.c - d.pad_w)) * d.c; }

// The input rows of one output row as padded rows: row ky of the scratch holds input row iy with
// pad_w columns of zeros before it and zeros after it out to the last column a tap reaches. The
// padding columns are zeroed when the kernel is built and never written, so laying out a row copies
// only its w * C input values. When no tap reaches outside the row (no left padding, the last tap
// inside), the input row itself is used.
class RowSource {
 public:
  RowSource(const ConvDims& d, float* scratch)
      : d_(d), scratch_(scratch), length_(PaddedRowLength(d)),
        copy_(PaddedRowCopy(d)),
        in_place_(d.pad_w == 0 && PaddedRowLength(d) <= d.w * d.c) {}

  // Lays out input row iy of image b as padded row ky, and returns that row.
  const float* Load(const float* input, int64_t b, int64_t iy, int64_t ky) const {
    if (in_place_) return InputRow(input, b, iy);
    float* dst = scratch_ + ky * length_;
    CopyFloats(dst + d_.pad_w * d_.c, InputRow(input, b, iy), copy_);
    return dst;
  }

 private:
  const float* InputRow(const float* input, int64_t b, int64_t iy) const {
    return input + (b * d_.h + iy) * d_.w * d_.c;
  }
  const ConvDims& d_;
  float* scratch_;
  int64_t length_, copy_;
  bool in_place_;
};

// One output row of one group of output channels: V vectors of them (og <= 8V channels, starting
// at `out`, pixels out_stride floats apart) for P output pixels at a time. `rows[ky]` are the padded input
// rows (RowSource) for the taps ky in [ky0, ky1): each pixel's taps along a kernel row are one
// contiguous run of kw * C floats, matched by a contiguous run of the group's packed filter rows,
// so the inner loop has no bounds tests and no per-tap set-up (which, for the few input channels
// of first layers, had cost more than the multiply-adds).
//
// ForwardGroupPixels computes the block of P pixels from ox0 (`pixels` of them stored); the row
// goes in blocks of PMax, and a last block of one or two pixels takes a block of that size: with
// cnn's 13-pixel rows a 3-pixel block for the last pixel spent a tenth of the row's work on pixels
// nobody stores.
template <int V, int P>
void ForwardGroupPixels(const ConvDims& d, const float* const* rows, int64_t ky0, int64_t ky1, const float* packed,
                        int64_t og, const float* bias, bool relu, const float* gate, float* out, int64_t out_stride,
                        int64_t ox0, int64_t pixels) {
  const int64_t width = 8 * V, last = og - 8 * (V - 1), run = d.kw * d.c, step = d.sw * d.c;
  const __m256i last_mask = LaneMask(last);
  // Vector v of a row of og channels: whole, a 128-bit half (conv_bn's 4-channel layers: Zen 3 runs
  // a masked load far slower), or masked.
  auto load_channels = [&](const float* row, int v) __attribute__((always_inline)) {
    if (v + 1 < V || last == 8) return _mm256_loadu_ps(row + 8 * v);
    if (last == 4) return _mm256_castps128_ps256(_mm_loadu_ps(row + 8 * v));
    return _mm256_maskload_ps(row + 8 * v, last_mask);
  };
  {
    __m256 acc[P][V];
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[p][v] = _mm256_setzero_ps();
    }
    for (int64_t ky = ky0; ky < ky1; ++ky) {
      // Pixels past the row's end re-read the last pixel's taps; their sums are not stored.
      const float* src[P];
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) src[p] = rows[ky] + (ox0 + Min(p, pixels - 1)) * step;
      const float* w = packed + ky * run * width;
      for (int64_t j = 0; j < run; ++j, w += width) {
        __m256 wv[V];
#pragma GCC unroll 16
        for (int v = 0; v < V; ++v) wv[v] = _mm256_loadu_ps(w + 8 * v);
#pragma GCC unroll 16
        for (int p = 0; p < P; ++p) {
          __m256 x = _mm256_broadcast_ss(src[p] + j);
#pragma GCC unroll 16
          for (int v = 0; v < V; ++v) acc[p][v] = _mm256_fmadd_ps(x, wv[v], acc[p][v]);
        }
      }
    }
    // A constant trip count with a test inside, not `p < pixels`: indexing acc by a run-time
    // value would force it out of registers for the whole block.
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      if (p >= pixels) break;
      float* dst = out + (ox0 + p) * out_stride;
      if (bias || relu || gate) {
#pragma GCC unroll 16
        for (int v = 0; v < V; ++v) {
          if (bias) acc[p][v] = _mm256_add_ps(acc[p][v], load_channels(bias, v));
          // MAXPS returns its second operand when either is NaN: a NaN sum stays NaN.
          if (relu) acc[p][v] = _mm256_max_ps(_mm256_setzero_ps(), acc[p][v]);
          if (gate) {
            const __m256 features = load_channels(gate + (ox0 + p) * out_stride, v);
            const __m256 keep = _mm256_cmp_ps(features, _mm256_setzero_ps(), _CMP_GT_OQ);
            acc[p][v] = _mm256_and_ps(acc[p][v], keep);
          }
        }
      }
#pragma GCC unroll 16
      for (int v = 0; v + 1 < V; ++v) _mm256_storeu_ps(dst + 8 * v, acc[p][v]);
      if (last == 8) {
        _mm256_storeu_ps(dst + 8 * (V - 1), acc[p][V - 1]);
      } else if (last == 4) {
        // Half a vector (conv_bn's 4-channel layers): a plain 128-bit store. Zen 3 runs a masked
        // store far slower, and these layers store one per pixel.
        _mm_storeu_ps(dst + 8 * (V - 1), _mm256_castps256_ps128(acc[p][V - 1]));
      } else {
        _mm256_maskstore_ps(dst + 8 * (V - 1), last_mask, acc[p][V - 1]);
      }
    }
  }
}

template <int V>
void ForwardGroupRow(const ConvDims& d, const float* const* rows, int64_t ky0, int64_t ky1, const float* packed,
                     int64_t og, const float* bias, bool relu, const float* gate, float* out, int64_t out_stride) {
  constexpr int PMax = V == 1 ? 8 : V == 2 ? 6 : V == 3 ? 4 : 3;  // P * V accumulators, at most 12 of 16 registers
  for (int64_t ox0 = 0; ox0 < d.ow; ox0 += PMax) {
    const int64_t pixels = Min(PMax, d.ow - ox0);
    if (pixels == 1) {
      ForwardGroupPixels<V, 1>(d, rows, ky0, ky1, packed, og, bias, relu, gate, out, out_stride, ox0, 1);
    } else if (pixels == 2) {
      ForwardGroupPixels<V, 2>(d, rows, ky0, ky1, packed, og, bias, relu, gate, out, out_stride, ox0, 2);
    } else {
      ForwardGroupPixels<V, PMax>(d, rows, ky0, ky1, packed, og, bias, relu, gate, out, out_stride, ox0, pixels);
    }
  }
}

// The filter gradient with output channels in the lanes, for layers whose kernel rows are short
// runs (kw * C < 16, as first layers with one input channel): over the padded image (so every tap
// covers every output pixel), for kernel row ky and the CB run elements j0 .. j0 + CB - 1 (element
// j = kx * C + ci, consecutive in a padded row), with og <= 8V output channels:
//   partial[ky * run + j][0:8V] += sum over pixels of padded[oy * sh + ky][ox * sw * C + j] * dy[pixel, 0:og].
// Per pixel: V loads of dy, CB broadcasts, CB * V FMAs. Blocking the run rather than taking one tap
// at a time (which loaded dy V times per V FMAs, bound by loads) is what makes the 5x5 first layers
// of cnn_tutorial and convnet3 fast.
template <int V, int CB, int U>
void FilterGradientRunBlock(const ConvDims& d, const float* padded, const float* dy, float* partial, int64_t width,
                            int64_t og, int64_t b, int64_t ky, int64_t j0) {
  const int64_t row_length = PaddedRowLength(d), step = d.sw * d.c, last = og - 8 * (V - 1);
  const __m256i last_mask = LaneMask(last);
  // U sets of accumulators, for U pixels in flight: with few of them per set, one set's FMAs would
  // wait on each other's results (the FMA latency), not on the FMA units.
  __m256 acc[U][CB][V];
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
#pragma GCC unroll 16
    for (int j = 0; j < CB; ++j) {
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[u][j][v] = _mm256_setzero_ps();
    }
  }
  auto add_pixel = [&](int u, const float* x, const float* g) __attribute__((always_inline)) {
    __m256 gv[V];
#pragma GCC unroll 16
    for (int v = 0; v + 1 < V; ++v) gv[v] = _mm256_loadu_ps(g + 8 * v);
    // The last vector whole, as a 128-bit half (4 channels: Zen 3 runs a masked load far slower;
    // the upper lanes then sum garbage into the partial's padding, which nothing reads), or masked.
    const float* g_last = g + 8 * (V - 1);
    gv[V - 1] = last == 8   ? _mm256_loadu_ps(g_last)
                : last == 4 ? _mm256_castps128_ps256(_mm_loadu_ps(g_last))
                            : _mm256_maskload_ps(g_last, last_mask);
#pragma GCC unroll 16
    for (int j = 0; j < CB; ++j) {
      const __m256 xb = _mm256_broadcast_ss(x + j);
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[u][j][v] = _mm256_fmadd_ps(xb, gv[v], acc[u][j][v]);
    }
  };
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    const float* x = padded + (oy * d.sh + ky) * row_length + j0;
    const float* g = dy + (b * d.oh + oy) * d.ow * d.o;
    int64_t ox = 0;
    for (; ox + U <= d.ow; ox += U, x += U * step, g += U * d.o) {
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) add_pixel(u, x + u * step, g + u * d.o);
    }
    for (; ox < d.ow; ++ox, x += step, g += d.o) add_pixel(0, x, g);
  }
  float* out = partial + (ky * d.kw * d.c + j0) * width;
#pragma GCC unroll 16
  for (int j = 0; j < CB; ++j) {
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      __m256 sum = acc[0][j][v];
#pragma GCC unroll 16
      for (int u = 1; u < U; ++u) sum = _mm256_add_ps(sum, acc[u][j][v]);
      float* p = out + j * width + 8 * v;
      _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), sum));
    }
  }
}

// Run elements [j, j + CB) of kernel row ky, with enough pixels in flight for about 8 accumulators.
template <int V, int CB>
void FilterGradientRunBlock(const ConvDims& d, const float* padded, const float* dy, float* partial, int64_t width,
                            int64_t og, int64_t b, int64_t ky, int64_t j) {
  constexpr int U = CB * V >= 8 ? 1 : (8 + CB * V - 1) / (CB * V);
  FilterGradientRunBlock<V, CB, U>(d, padded, dy, partial, width, og, b, ky, j);
}

template <int V>
void FilterGradientRuns(const ConvDims& d, const float* padded, const float* dy, float* partial, int64_t width,
                        int64_t og, int64_t b) {
  // Run elements per register block: CB * V of the 16 registers accumulate, V hold dy, one the
  // broadcast; what is left of a run goes four (one vector of outputs), two and then one at a time.
  constexpr int CB = V == 1 ? 8 : V == 2 ? 5 : V == 3 ? 4 : 3;
  const int64_t run = d.kw * d.c;
  for (int64_t ky = 0; ky < d.kh; ++ky) {
    int64_t j = 0;
    for (; j + CB <= run; j += CB) FilterGradientRunBlock<V, CB>(d, padded, dy, partial, width, og, b, ky, j);
    if constexpr (CB > 4) {
      for (; j + 4 <= run; j += 4) FilterGradientRunBlock<V, 4>(d, padded, dy, partial, width, og, b, ky, j);
    }
    for (; j + 2 <= run; j += 2) FilterGradientRunBlock<V, 2>(d, padded, dy, partial, width, og, b, ky, j);
    for (; j < run; ++j) FilterGradientRunBlock<V, 1>(d, padded, dy, partial, width, og, b, ky, j);
  }
}

// The filter gradient with taps in the lanes, for every other layer: for image b, output channels [co0, co0 + CO) and tap-run columns
// [j0, j0 + 8 * VJ) of kernel row ky (column j = kx * C + ci), as CO x VJ vectors in registers:
//   partial[co][ky][j] += sum over output pixels of dy[pixel, co] * padded[oy * sh + ky][ox * sw * C + j].
// Per pixel: VJ vector loads of input, CO broadcasts of dy, CO * VJ FMAs. Lanes past the run's end
// read what follows in the padded image (or the scratch's slack) and land in the partial row's
// padding, which nothing reads.
template <int CO, int VJ>
void FilterGradientTile(const ConvDims& d, const float* padded, const float* dy, float* partial, int64_t b,
                        int64_t ky, int64_t co0, int64_t j0) {
  const int64_t row_length = PaddedRowLength(d), step = d.sw * d.c, stride = PartialRowStride(d);
  __m256 acc[CO][VJ];
#pragma GCC unroll 16
  for (int c = 0; c < CO; ++c) {
#pragma GCC unroll 16
    for (int v = 0; v < VJ; ++v) acc[c][v] = _mm256_setzero_ps();
  }
  for (int64_t oy = 0; oy < d.oh; ++oy) {
    const float* x = padded + (oy * d.sh + ky) * row_length + j0;
    const float* g = dy + (b * d.oh + oy) * d.ow * d.o + co0;
    for (int64_t ox = 0; ox < d.ow; ++ox, x += step, g += d.o) {
      __m256 xv[VJ];
#pragma GCC unroll 16
      for (int v = 0; v < VJ; ++v) xv[v] = _mm256_loadu_ps(x + 8 * v);
#pragma GCC unroll 16
      for (int c = 0; c < CO; ++c) {
        __m256 gb = _mm256_broadcast_ss(g + c);
#pragma GCC unroll 16
        for (int v = 0; v < VJ; ++v) acc[c][v] = _mm256_fmadd_ps(gb, xv[v], acc[c][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < CO; ++c) {
    float* out = partial + ((co0 + c) * d.kh + ky) * stride + j0;
#pragma GCC unroll 16
    for (int v = 0; v < VJ; ++v) _mm256_storeu_ps(out + 8 * v, _mm256_add_ps(_mm256_loadu_ps(out + 8 * v), acc[c][v]));
  }
}

// All tiles of one kernel row for output channels [co0, co0 + CO).
template <int CO>
void FilterGradientChannels(const ConvDims& d, const float* padded, const float* dy, float* partial, int64_t b,
                            int64_t ky, int64_t co0) {
  const int64_t run = d.kw * d.c;
  int64_t j = 0;
  for (; j + 24 <= run; j += 24) FilterGradientTile<CO, 3>(d, padded, dy, partial, b, ky, co0, j);
  if (run - j > 16) {
    FilterGradientTile<CO, 3>(d, padded, dy, partial, b, ky, co0, j);
  } else if (run - j > 8) {
    FilterGradientTile<CO, 2>(d, padded, dy, partial, b, ky, co0, j);
  } else if (run - j > 0) {
    FilterGradientTile<CO, 1>(d, padded, dy, partial, b, ky, co0, j);
  }
}

}  // namespace

// The planar kernel (direct_conv.h): output row `oy` of image b, in blocks of 16 pixels (two
// vectors) x 4 output channels. `planes` holds the image channel by channel, row iy + pad_h, column
// ix + pad_w of channel c at c * plane + (iy + pad_h) * row_length + ix + pad_w, zeros around.
// Pixels past the row's end compute on the padding and are not stored. KW: the kernel width, so
// that a kernel row's taps unroll (with one input channel they are all there is per kernel row).
template <int KW>
void PlanarForwardRow(const ConvDims& d, const float* planes, int64_t oy, const float* packed, float* out,
                      const Epilogue& epilogue, const float* gate) {
  const int64_t row_length = PlanarRowLength(d), plane = ((d.oh - 1) * d.sh + d.kh) * row_length;
  const int64_t group_size = d.kh * KW * d.c * kMaxChannels;
  for (int64_t co = 0; co < d.o; co += 4) {
    const int64_t g = co / kMaxChannels, in_group = co % kMaxChannels;
    const int64_t width = PackedWidth(Min(kMaxChannels, d.o - g * kMaxChannels));
    const float* w_group = packed + g * group_size + in_group;  // + ((ky * KW + kx) * C + c) * width + q
    const int64_t channels = Min(4, d.o - co);
    for (int64_t ox0 = 0; ox0 < d.ow; ox0 += 16) {
      __m256 acc[2][4];
#pragma GCC unroll 8
      for (int p = 0; p < 2; ++p) {
#pragma GCC unroll 8
        for (int q = 0; q < 4; ++q) acc[p][q] = _mm256_setzero_ps();
      }
      for (int64_t c = 0; c < d.c; ++c) {
        for (int64_t ky = 0; ky < d.kh; ++ky) {
          const float* x = planes + c * plane + (oy * d.sh + ky) * row_length + ox0;
          const float* w = w_group + (ky * KW * d.c + c) * width;
#pragma GCC unroll 8
          for (int kx = 0; kx < KW; ++kx) {
            const __m256 x0 = _mm256_loadu_ps(x + kx), x1 = _mm256_loadu_ps(x + kx + 8);
            const float* wk = w + kx * d.c * width;
#pragma GCC unroll 8
            for (int q = 0; q < 4; ++q) {
              const __m256 wq = _mm256_broadcast_ss(wk + q);
              acc[0][q] = _mm256_fmadd_ps(x0, wq, acc[0][q]);
              acc[1][q] = _mm256_fmadd_ps(x1, wq, acc[1][q]);
            }
          }
        }
      }
      // Back to NHWC: each 4 x 4 quarter of a block transposes to 4 pixels of 4 channels.
#pragma GCC unroll 8
      for (int quarter = 0; quarter < 4; ++quarter) {
        const int p = quarter / 2;
        __m128 v[4];
#pragma GCC unroll 8
        for (int q = 0; q < 4; ++q) {
          v[q] = quarter % 2 == 0 ? _mm256_castps256_ps128(acc[p][q]) : _mm256_extractf128_ps(acc[p][q], 1);
        }
        _MM_TRANSPOSE4_PS(v[0], v[1], v[2], v[3]);
#pragma GCC unroll 8
        for (int k = 0; k < 4; ++k) {
          const int64_t ox = ox0 + 4 * quarter + k;
          if (ox >= d.ow) break;
          float* dst = out + ox * d.o + co;
          if (channels == 4) {
            __m128 y = v[k];
            if (epilogue.bias) y = _mm_add_ps(y, _mm_loadu_ps(epilogue.bias + co));
            if (epilogue.relu) y = _mm_max_ps(_mm_setzero_ps(), y);  // a NaN sum stays NaN
            if (gate) y = _mm_and_ps(y, _mm_cmpgt_ps(_mm_loadu_ps(gate + ox * d.o + co), _mm_setzero_ps()));
            _mm_storeu_ps(dst, y);
          } else {
            alignas(16) float lanes[4];
            _mm_store_ps(lanes, v[k]);
            for (int64_t q = 0; q < channels; ++q) {
              float y = lanes[q];
              if (epilogue.bias) y += epilogue.bias[co + q];
              if (epilogue.relu) y = y < 0.0f ? 0.0f : y;
              if (gate && !(gate[ox * d.o + co + q] > 0.0f)) y = 0.0f;
              dst[q] = y;
            }
          }
        }
      }
    }
  }
}

// Input row `src` (w pixels of C channels) into the channel planes at `dst` (channel c at
// dst + c * plane): 8 pixels x 8 channels at a time as an 8 x 8 transpose in registers when C is a
// multiple of 8, else element by element.
void ToPlanes(const float* src, int64_t w, int64_t C, float* dst, int64_t plane) {
  if (C == 1) return CopyFloats(dst, src, w);
  int64_t ix = 0;
  if (C % 8 == 0) {
    for (; ix + 8 <= w; ix += 8) {
      for (int64_t c0 = 0; c0 < C; c0 += 8) {
        __m256 r[8];
        for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(src + (ix + k) * C + c0);
        // The usual three rounds: unpack pairs, shuffle quads, swap 128-bit halves.
        __m256 t[8];
        for (int k = 0; k < 8; k += 2) {
          t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
          t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
        }
        __m256 u[8];
        for (int k = 0; k < 8; k += 4) {
          u[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
          u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
          u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
          u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
        }
        for (int k = 0; k < 4; ++k) {
          _mm256_storeu_ps(dst + (c0 + k) * plane + ix, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
          _mm256_storeu_ps(dst + (c0 + k + 4) * plane + ix, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
        }
      }
    }
  }
  for (; ix < w; ++ix) {
    for (int64_t c = 0; c < C; ++c) dst[c * plane + ix] = src[ix * C + c];
  }
}

// Rows [r0, r1) through the planar kernel: each image's input rows are laid out as channel planes
// once, as the first output row that reads them comes up.
void PlanarForward(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output,
                   int64_t r0, int64_t r1, const Epilogue& epilogue) {
  const int64_t row_length = PlanarRowLength(d), plane = ((d.oh - 1) * d.sh + d.kh) * row_length;
  int64_t image = -1, next_iy = 0;  // rows [.., next_iy) of `image` are laid out
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t b = r / d.oh, oy = r % d.oh;
    if (b != image) image = b, next_iy = Max(0, oy * d.sh - d.pad_h);
    for (const int64_t last_iy = Min(d.h, oy * d.sh - d.pad_h + d.kh); next_iy < last_iy; ++next_iy) {
      ToPlanes(input + (b * d.h + next_iy) * d.w * d.c, d.w, d.c,
               scratch + (next_iy + d.pad_h) * row_length + d.pad_w, plane);
    }
    const float* gate = epilogue.gate ? epilogue.gate + r * d.ow * d.o : nullptr;
    float* out = output + r * d.ow * d.o;
    switch (d.kw) {
      case 3: PlanarForwardRow<3>(d, scratch, oy, packed, out, epilogue, gate); break;
      case 5: PlanarForwardRow<5>(d, scratch, oy, packed, out, epilogue, gate); break;
      default: PlanarForwardRow<1>(d, scratch, oy, packed, out, epilogue, gate); break;
    }
  }
}

// Output rows [r0, r1) of the pixel-broadcast kernel: row r's pixels start at output + row_at(r),
// out_stride floats apart (the gate laid out the same way).
template <typename RowAt>
void ForwardRows(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output, int64_t r0,
                 int64_t r1, const Epilogue& epilogue, int64_t out_stride, RowAt row_at) {
  const RowSource source(d, scratch);
  const float* rows[kMaxKernelHeight];
  const int64_t group_size = d.kh * d.kw * d.c * kMaxChannels;  // packed floats of one full group
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t b = r / d.oh, oy = r % d.oh, iy0 = oy * d.sh - d.pad_h;
    const int64_t ky0 = Max(0, -iy0), ky1 = Min(d.kh, d.h - iy0);
    for (int64_t ky = ky0; ky < ky1; ++ky) rows[ky] = source.Load(input, b, iy0 + ky, ky);
    const int64_t row_offset = row_at(r);
    // The groups share the padded rows while they are in L1.
    for (int64_t g = 0; g * kMaxChannels < d.o; ++g) {
      const int64_t og = Min(kMaxChannels, d.o - g * kMaxChannels);
      const float* group = packed + g * group_size;
      const int64_t offset = row_offset + g * kMaxChannels;
      float* out = output + offset;
      const float* bias = epilogue.bias ? epilogue.bias + g * kMaxChannels : nullptr;
      const float* gate = epilogue.gate ? epilogue.gate + offset : nullptr;
      const bool relu = epilogue.relu;
      switch ((og + 7) / 8) {
        case 1: ForwardGroupRow<1>(d, rows, ky0, ky1, group, og, bias, relu, gate, out, out_stride); break;
        case 2: ForwardGroupRow<2>(d, rows, ky0, ky1, group, og, bias, relu, gate, out, out_stride); break;
        case 3: ForwardGroupRow<3>(d, rows, ky0, ky1, group, og, bias, relu, gate, out, out_stride); break;
        default: ForwardGroupRow<4>(d, rows, ky0, ky1, group, og, bias, relu, gate, out, out_stride); break;
      }
    }
  }
}

void Forward(const ConvDims& d, const float* input, const float* packed, float* scratch, float* output, int64_t r0,
             int64_t r1, const Epilogue& epilogue) {
  if (UsePlanarForward(d)) return PlanarForward(d, input, packed, scratch, output, r0, r1, epilogue);
  const int64_t row = d.ow * d.o;
  ForwardRows(d, input, packed, scratch, output, r0, r1, epilogue, d.o, [row](int64_t r) { return r * row; });
}

void InputGradientPhaseRows(const ConvDims& d, const InputGradientPhase& phase, const float* dy, const float* packed,
                            float* scratch, float* dx, int64_t r0, int64_t r1, const Epilogue& epilogue) {
  const ConvDims& t = phase.t;
  ForwardRows(t, dy, packed, scratch, dx, r0, r1, epilogue, d.sw * d.c, [&](int64_t r) {
    const int64_t b = r / t.oh, i = r % t.oh;
    return ((b * d.h + d.sh * i + phase.py) * d.w + phase.px) * d.c;
  });
}

void FilterGradient(const ConvDims& d, const float* input, const float* dy, float* scratch, float* partial, int64_t b0,
                    int64_t b1) {
  // The image, padded, in the scratch: rows of PaddedRowLength floats from input row -pad_h on.
  // The padding was zeroed with the scratch and is never written.
  const int64_t row_length = PaddedRowLength(d), rows = PaddedImageRows(d);
  const int64_t copy_rows = Max(0, Min(d.h, rows - d.pad_h));
  const int64_t copy = PaddedRowCopy(d);
  for (int64_t b = b0; b < b1; ++b) {
    for (int64_t iy = 0; iy < copy_rows; ++iy) {
      CopyFloats(scratch + (iy + d.pad_h) * row_length + d.pad_w * d.c, input + (b * d.h + iy) * d.w * d.c, copy);
    }
    if (!TapsInLanes(d)) {
      const int64_t width = PackedWidth(d.o);
      switch ((d.o + 7) / 8) {
        case 1: FilterGradientRuns<1>(d, scratch, dy, partial, width, d.o, b); break;
        case 2: FilterGradientRuns<2>(d, scratch, dy, partial, width, d.o, b); break;
        case 3: FilterGradientRuns<3>(d, scratch, dy, partial, width, d.o, b); break;
        default: FilterGradientRuns<4>(d, scratch, dy, partial, width, d.o, b); break;
      }
      continue;
    }
    for (int64_t ky = 0; ky < d.kh; ++ky) {
      int64_t co = 0;
      for (; co + 4 <= d.o; co += 4) FilterGradientChannels<4>(d, scratch, dy, partial, b, ky, co);
      switch (d.o - co) {
        case 3: FilterGradientChannels<3>(d, scratch, dy, partial, b, ky, co); break;
        case 2: FilterGradientChannels<2>(d, scratch, dy, partial, b, ky, co); break;
        case 1: FilterGradientChannels<1>(d, scratch, dy, partial, b, ky, co); break;
        default: break;
      }
    }
  }
}

}  // namespace kiln::direct_conv

#else  // not x86-64 GCC: Available() is false there, so these are never called.

namespace kiln::direct_conv {

void Forward(const ConvDims&, const float*, const float*, float*, float*, int64_t, int64_t, const Epilogue&) {}
void InputGradientPhaseRows(const ConvDims&, const InputGradientPhase&, const float*, const float*, float*, float*,
                            int64_t, int64_t, const Epilogue&) {}
void FilterGradient(const ConvDims&, const float*, const float*, float*, float*, int64_t, int64_t) {}

}  // namespace kiln::direct_conv

#endif
