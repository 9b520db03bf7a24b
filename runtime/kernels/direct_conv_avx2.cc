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
// Floor and ceiling of a / b for b > 0 and any sign of a.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

// Lanes [0, n) of a vector of 8 set, for the last, partial vector of a channel row.
inline __m256i LaneMask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// V vectors of output channels (o <= 8V) for P output pixels at a time.
template <int V>
void ForwardRows(const ConvDims& d, const float* input, const float* packed, const float* zeros, float* output,
                 int64_t r0, int64_t r1) {
  constexpr int P = V <= 2 ? 4 : 3;  // P * V accumulators, at most 12 of the 16 vector registers
  const int64_t C = d.c, width = 8 * V, last = d.o - 8 * (V - 1);
  const __m256i last_mask = LaneMask(last);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t b = r / d.oh, oy = r % d.oh;
    float* out_row = output + r * d.ow * d.o;
    const int64_t ky0 = Max(0, d.pad_h - oy * d.sh), ky1 = Min(d.kh, d.h + d.pad_h - oy * d.sh);
    for (int64_t ox0 = 0; ox0 < d.ow; ox0 += P) {
      const int64_t pixels = Min(P, d.ow - ox0);
      __m256 acc[P][V];
      for (int p = 0; p < P; ++p) {
        for (int v = 0; v < V; ++v) acc[p][v] = _mm256_setzero_ps();
      }
      for (int64_t ky = ky0; ky < ky1; ++ky) {
        const float* in_row = input + (b * d.h + oy * d.sh - d.pad_h + ky) * d.w * C;
        for (int64_t kx = 0; kx < d.kw; ++kx) {
          const float* src[P];
          bool any_inside = false;
          for (int p = 0; p < P; ++p) {
            int64_t ix = (ox0 + p) * d.sw - d.pad_w + kx;
            bool inside = p < pixels && ix >= 0 && ix < d.w;
            src[p] = inside ? in_row + ix * C : zeros;
            any_inside |= inside;
          }
          if (!any_inside) continue;  // the whole block's tap is padding (wide borders of a full convolution)
          const float* w = packed + (ky * d.kw + kx) * C * width;
          for (int64_t ci = 0; ci < C; ++ci, w += width) {
            __m256 wv[V];
            for (int v = 0; v < V; ++v) wv[v] = _mm256_loadu_ps(w + 8 * v);
            for (int p = 0; p < P; ++p) {
              __m256 x = _mm256_broadcast_ss(src[p] + ci);
              for (int v = 0; v < V; ++v) acc[p][v] = _mm256_fmadd_ps(x, wv[v], acc[p][v]);
            }
          }
        }
      }
      // A constant trip count with a test inside, not `p < pixels`: indexing acc by a run-time
      // value would force it out of registers for the whole block.
      for (int p = 0; p < P; ++p) {
        if (p >= pixels) break;
        float* dst = out_row + (ox0 + p) * d.o;
        for (int v = 0; v + 1 < V; ++v) _mm256_storeu_ps(dst + 8 * v, acc[p][v]);
        if (last == 8) {
          _mm256_storeu_ps(dst + 8 * (V - 1), acc[p][V - 1]);
        } else {
          _mm256_maskstore_ps(dst + 8 * (V - 1), last_mask, acc[p][V - 1]);
        }
      }
    }
  }
}

// partial[tap][ci0 .. ci0+CB][0:8V] += sum over the tap's in-image pixels of image b of
// x[pixel + tap, ci] * dy[pixel, 0:o], with CB input channels x V vectors in registers, U times
// over: with few channels, U pixels in flight on separate accumulators keep the FMAs from waiting
// on each other's results (one chain per accumulator ran at the FMA latency, not its throughput).
template <int V, int CB, int U>
void FilterGradientBlock(const ConvDims& d, const float* input, const float* dy, float* partial, int64_t b,
                         int64_t ky, int64_t kx, int64_t ci0) {
  const int64_t C = d.c, width = 8 * V, last = d.o - 8 * (V - 1);
  const __m256i last_mask = LaneMask(last);
  // Output pixels whose tap (ky, kx) lands inside the image.
  const int64_t oy0 = Max(0, CeilDiv(d.pad_h - ky, d.sh)), oy1 = Min(d.oh, FloorDiv(d.h - 1 + d.pad_h - ky, d.sh) + 1);
  const int64_t ox0 = Max(0, CeilDiv(d.pad_w - kx, d.sw)), ox1 = Min(d.ow, FloorDiv(d.w - 1 + d.pad_w - kx, d.sw) + 1);
  __m256 acc[U][CB][V];
  for (int u = 0; u < U; ++u) {
    for (int j = 0; j < CB; ++j) {
      for (int v = 0; v < V; ++v) acc[u][j][v] = _mm256_setzero_ps();
    }
  }
  // Adds pixel (x, g) into accumulator set u.
  auto add_pixel = [&](int u, const float* x, const float* g) __attribute__((always_inline)) {
    __m256 gv[V];
    for (int v = 0; v + 1 < V; ++v) gv[v] = _mm256_loadu_ps(g + 8 * v);
    gv[V - 1] = last == 8 ? _mm256_loadu_ps(g + 8 * (V - 1)) : _mm256_maskload_ps(g + 8 * (V - 1), last_mask);
    for (int j = 0; j < CB; ++j) {
      __m256 xb = _mm256_broadcast_ss(x + j);
      for (int v = 0; v < V; ++v) acc[u][j][v] = _mm256_fmadd_ps(xb, gv[v], acc[u][j][v]);
    }
  };
  const int64_t x_step = d.sw * C;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const float* x = input + ((b * d.h + oy * d.sh - d.pad_h + ky) * d.w + ox0 * d.sw - d.pad_w + kx) * C + ci0;
    const float* g = dy + ((b * d.oh + oy) * d.ow + ox0) * d.o;
    int64_t ox = ox0;
    for (; ox + U <= ox1; ox += U, x += U * x_step, g += U * d.o) {
      for (int u = 0; u < U; ++u) add_pixel(u, x + u * x_step, g + u * d.o);
    }
    for (; ox < ox1; ++ox, x += x_step, g += d.o) add_pixel(0, x, g);
  }
  float* out = partial + ((ky * d.kw + kx) * C + ci0) * width;
  for (int j = 0; j < CB; ++j) {
    for (int v = 0; v < V; ++v) {
      __m256 sum = acc[0][j][v];
      for (int u = 1; u < U; ++u) sum = _mm256_add_ps(sum, acc[u][j][v]);
      float* p = out + j * width + 8 * v;
      _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), sum));
    }
  }
}

template <int V>
void FilterGradientImages(const ConvDims& d, const float* input, const float* dy, float* partial, int64_t b0,
                          int64_t b1) {
  // Input channels per register block: CB * V accumulators plus V dy vectors and a broadcast. The
  // channels left over go 4 at a time (one vector of outputs) and then one at a time, with pixels
  // unrolled so that about 8 accumulators are in flight.
  constexpr int CB = V == 1 ? 8 : V == 2 ? 5 : V == 3 ? 3 : 2;
  for (int64_t b = b0; b < b1; ++b) {
    for (int64_t ky = 0; ky < d.kh; ++ky) {
      for (int64_t kx = 0; kx < d.kw; ++kx) {
        int64_t ci = 0;
        for (; ci + CB <= d.c; ci += CB) FilterGradientBlock<V, CB, 1>(d, input, dy, partial, b, ky, kx, ci);
        if constexpr (V == 1) {
          for (; ci + 4 <= d.c; ci += 4) FilterGradientBlock<1, 4, 2>(d, input, dy, partial, b, ky, kx, ci);
        }
        for (; ci < d.c; ++ci) FilterGradientBlock<V, 1, 8 / V>(d, input, dy, partial, b, ky, kx, ci);
      }
    }
  }
}

}  // namespace

void Forward(const ConvDims& d, const float* input, const float* packed, const float* zeros, float* output, int64_t r0,
             int64_t r1) {
  switch ((d.o + 7) / 8) {
    case 1: return ForwardRows<1>(d, input, packed, zeros, output, r0, r1);
    case 2: return ForwardRows<2>(d, input, packed, zeros, output, r0, r1);
    case 3: return ForwardRows<3>(d, input, packed, zeros, output, r0, r1);
    default: return ForwardRows<4>(d, input, packed, zeros, output, r0, r1);
  }
}

void FilterGradient(const ConvDims& d, const float* input, const float* dy, float* partial, int64_t b0, int64_t b1) {
  switch ((d.o + 7) / 8) {
    case 1: return FilterGradientImages<1>(d, input, dy, partial, b0, b1);
    case 2: return FilterGradientImages<2>(d, input, dy, partial, b0, b1);
    case 3: return FilterGradientImages<3>(d, input, dy, partial, b0, b1);
    default: return FilterGradientImages<4>(d, input, dy, partial, b0, b1);
  }
}

}  // namespace kiln::direct_conv

#else  // not x86-64 GCC: Available() is false there, so these are never called.

namespace kiln::direct_conv {

void Forward(const ConvDims&, const float*, const float*, const float*, float*, int64_t, int64_t) {}
void FilterGradient(const ConvDims&, const float*, const float*, float*, int64_t, int64_t) {}

}  // namespace kiln::direct_conv

#endif
