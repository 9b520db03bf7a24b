// MaxPool and MaxPoolGrad as library kernels over NHWC: per output pixel, the window's taps are
// visited row by row and each tap updates all channels at once (a contiguous run the compiler
// vectorizes), where the reference kernel walks one channel's window at a time. Work splits by
// images, whose windows (and, for the gradient, input regions) never overlap. Ties and NaNs follow
// the reference kernel: the first in-bounds tap starts the maximum and only a strictly greater value
// replaces it.
//
// The gradient of the seeds' pools (2x2, stride 2: windows that never overlap) takes a vectorized
// path: each window's maximum per channel, then each tap's dx is dy where it is the first tap equal
// to that maximum (the reference's argmax) and 0 elsewhere. The general path tracks the argmax per
// channel with a branchy select and scatters, which ran at a fifth of the speed.
#include <limits>

#include "graph/ops/conv_geometry.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"
#include "runtime/kernels/vector_clones.h"

namespace kiln {
namespace {

// Calls tap(input pixel offset, first) for each in-bounds tap of output pixel (b, oy, ox), in the
// reference kernel's order; `first` is true for the first one.
template <typename F>
void ForEachTap(const PoolDims& d, int64_t b, int64_t oy, int64_t ox, F tap) {
  bool first = true;
  for (int64_t ky = 0; ky < d.kh; ++ky) {
    int64_t iy = oy * d.sh - d.pad_h + ky;
    if (iy < 0 || iy >= d.h) continue;
    for (int64_t kx = 0; kx < d.kw; ++kx) {
      int64_t ix = ox * d.sw - d.pad_w + kx;
      if (ix < 0 || ix >= d.w) continue;
      tap(((b * d.h + iy) * d.w + ix) * d.c, first);
      first = false;
    }
  }
}

// m = max(m, x) per channel, as the reference's running maximum (a NaN m stays, a NaN x is skipped).
template <typename T>
KILN_VECTOR_CLONES void MaxInto(const T* x, int64_t c, T* m) {
  for (int64_t ch = 0; ch < c; ++ch) m[ch] = x[ch] > m[ch] ? x[ch] : m[ch];
}

// One tap of a window: dx = g where x is the window maximum m and no earlier tap was (done == 0).
template <typename T>
KILN_VECTOR_CLONES void RouteToFirstMax(const T* x, const T* m, const T* g, int64_t c, T* done, T* dx) {
  for (int64_t ch = 0; ch < c; ++ch) {
    bool hit = (done[ch] == T(0)) & (x[ch] == m[ch]);  // `&`, not `&&`: a branch would stop vectorization
    dx[ch] = hit ? g[ch] : T(0);
    done[ch] = hit ? T(1) : done[ch];
  }
}

// The seeds' pools, 2x2 windows of stride 2 tiling the image exactly, one output row per call (the
// AVX2 clone is reached through an indirect call: once per row, not per tap). The four taps of a
// window are visited in the reference's order (top left, top right, bottom left, bottom right),
// the first starting the maximum and only a strictly greater one replacing it, so ties and NaNs
// resolve as the reference's argmax does. Inputs and outputs never overlap (`__restrict__` lets the
// vectorizer skip the run-time overlap checks: with five streams it had given up and branched).
template <typename T>
KILN_VECTOR_CLONES void MaxPool2x2Row(const T* __restrict__ top, const T* __restrict__ bottom, int64_t ow, int64_t c,
                                      T* __restrict__ out) {
  for (int64_t ox = 0; ox < ow; ++ox) {
    const T* a = top + 2 * ox * c;
    const T* b = bottom + 2 * ox * c;
    T* o = out + ox * c;
    for (int64_t ch = 0; ch < c; ++ch) {
      T m = a[ch];
      m = a[c + ch] > m ? a[c + ch] : m;
      m = b[ch] > m ? b[ch] : m;
      m = b[c + ch] > m ? b[c + ch] : m;
      o[ch] = m;
    }
  }
}

template <typename T>
KILN_VECTOR_CLONES void MaxPool2x2GradRow(const T* __restrict__ top, const T* __restrict__ bottom,
                                          const T* __restrict__ grad, int64_t ow, int64_t c, T* __restrict__ dx_top,
                                          T* __restrict__ dx_bottom) {
  for (int64_t ox = 0; ox < ow; ++ox) {
    const int64_t at = 2 * ox * c;
    const T* a = top + at;
    const T* b = bottom + at;
    const T* g = grad + ox * c;
    T* da = dx_top + at;
    T* db = dx_bottom + at;
    for (int64_t ch = 0; ch < c; ++ch) {
      T m = a[ch], tap = T(0);
      bool up = a[c + ch] > m;
      m = up ? a[c + ch] : m, tap = up ? T(1) : tap;
      up = b[ch] > m;
      m = up ? b[ch] : m, tap = up ? T(2) : tap;
      up = b[c + ch] > m;
      tap = up ? T(3) : tap;
      da[ch] = tap == T(0) ? g[ch] : T(0);
      da[c + ch] = tap == T(1) ? g[ch] : T(0);
      db[ch] = tap == T(2) ? g[ch] : T(0);
      db[c + ch] = tap == T(3) ? g[ch] : T(0);
    }
  }
}

// Whether `d` is 2x2 windows of stride 2 that tile the input exactly (every pixel in one window).
bool Tiles2x2(const PoolDims& d) {
  return d.kh == 2 && d.kw == 2 && d.sh == 2 && d.sw == 2 && d.pad_h == 0 && d.pad_w == 0 && d.oh * 2 == d.h &&
         d.ow * 2 == d.w;
}

template <typename T>
class MaxPoolKernel final : public LibraryKernel {
 public:
  MaxPoolKernel(const PoolDims& d, ThreadPool* pool) : d_(d), pool_(pool), chunks_(ChunkCount(pool, d.n)) {}
  Status Run(void* const* buffers) override {
    const T* in = static_cast<const T*>(buffers[0]);
    T* out = static_cast<T*>(buffers[1]);
    const PoolDims& d = d_;
    if (Tiles2x2(d)) {
      const int64_t row = d.w * d.c;
      ForEachChunk(pool_, chunks_, d.n * d.oh, [&](int, int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) MaxPool2x2Row(in + 2 * r * row, in + (2 * r + 1) * row, d.ow, d.c, out + r * d.ow * d.c);
      });
      return OkStatus();
    }
    ForEachChunk(pool_, chunks_, d.n, [&](int, int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t oy = 0; oy < d.oh; ++oy)
          for (int64_t ox = 0; ox < d.ow; ++ox) {
            T* o = out + ((b * d.oh + oy) * d.ow + ox) * d.c;
            std::fill_n(o, d.c, std::numeric_limits<T>::lowest());
            ForEachTap(d, b, oy, ox, [&](int64_t at, bool first) {
              const T* x = in + at;
              if (first) {
                std::copy_n(x, d.c, o);
              } else {
                for (int64_t ch = 0; ch < d.c; ++ch) o[ch] = x[ch] > o[ch] ? x[ch] : o[ch];
              }
            });
          }
    });
    return OkStatus();
  }

 private:
  PoolDims d_;
  ThreadPool* pool_;
  int chunks_;
};

template <typename T>
class MaxPoolGradKernel final : public LibraryKernel {
 public:
  MaxPoolGradKernel(const PoolDims& d, ThreadPool* pool)
      : d_(d), pool_(pool), chunks_(ChunkCount(pool, d.n)), disjoint_(d.sh >= d.kh && d.sw >= d.kw),
        // Windows that tile the image (stride = window, covering every row and column) write every
        // pixel's dx themselves; otherwise some pixels are in no window and must be zeroed first.
        tiles_(d.sh == d.kh && d.sw == d.kw && d.pad_h == 0 && d.pad_w == 0 && d.oh * d.sh >= d.h &&
               d.ow * d.sw >= d.w) {
    best_value_.assign(chunks_, std::vector<T>(d.c));
    best_at_.assign(chunks_, std::vector<int64_t>(d.c));
    done_.assign(chunks_, std::vector<T>(d.c));
  }
  Status Run(void* const* buffers) override {
    const T* in = static_cast<const T*>(buffers[0]);
    const T* grad = static_cast<const T*>(buffers[2]);
    T* dx = static_cast<T*>(buffers[3]);
    if (Tiles2x2(d_)) {
      const PoolDims& d = d_;
      const int64_t row = d.w * d.c;
      ForEachChunk(pool_, chunks_, d.n * d.oh, [&](int, int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          MaxPool2x2GradRow(in + 2 * r * row, in + (2 * r + 1) * row, grad + r * d.ow * d.c, d.ow, d.c, dx + 2 * r * row,
                            dx + (2 * r + 1) * row);
        }
      });
      return OkStatus();
    }
    if (disjoint_) return RunDisjoint(in, grad, dx);
    const PoolDims& d = d_;
    const int64_t image = d.h * d.w * d.c;
    ForEachChunk(pool_, chunks_, d.n, [&](int chunk, int64_t b0, int64_t b1) {
      T* value = best_value_[chunk].data();
      int64_t* at = best_at_[chunk].data();
      std::fill(dx + b0 * image, dx + b1 * image, T(0));
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t oy = 0; oy < d.oh; ++oy)
          for (int64_t ox = 0; ox < d.ow; ++ox) {
            bool any = false;
            ForEachTap(d, b, oy, ox, [&](int64_t tap, bool first) {
              any = true;
              const T* x = in + tap;
              for (int64_t ch = 0; ch < d.c; ++ch) {
                if (first || x[ch] > value[ch]) value[ch] = x[ch], at[ch] = tap + ch;
              }
            });
            if (!any) continue;
            const T* g = grad + ((b * d.oh + oy) * d.ow + ox) * d.c;
            for (int64_t ch = 0; ch < d.c; ++ch) dx[at[ch]] += g[ch];
          }
    });
    return OkStatus();
  }

 private:
  // Windows that never overlap: every input pixel is in at most one, so each tap's dx is written
  // once (pixels in no window keep the zero fill, when there are any).
  Status RunDisjoint(const T* in, const T* grad, T* dx) {
    const PoolDims& d = d_;
    const int64_t image = d.h * d.w * d.c;
    ForEachChunk(pool_, chunks_, d.n, [&](int chunk, int64_t b0, int64_t b1) {
      T* max = best_value_[chunk].data();
      T* done = done_[chunk].data();
      if (!tiles_) std::fill(dx + b0 * image, dx + b1 * image, T(0));
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t oy = 0; oy < d.oh; ++oy)
          for (int64_t ox = 0; ox < d.ow; ++ox) {
            int64_t first_tap = -1;
            ForEachTap(d, b, oy, ox, [&](int64_t tap, bool first) {
              if (first) {
                first_tap = tap;
                std::copy_n(in + tap, d.c, max);
              } else {
                MaxInto(in + tap, d.c, max);
              }
            });
            if (first_tap < 0) continue;
            const T* g = grad + ((b * d.oh + oy) * d.ow + ox) * d.c;
            std::fill_n(done, d.c, T(0));
            ForEachTap(d, b, oy, ox, [&](int64_t tap, bool) { RouteToFirstMax(in + tap, max, g, d.c, done, dx + tap); });
            // A window whose first tap is NaN keeps NaN as its maximum, which nothing equals: the
            // reference's argmax stays at that first tap.
            for (int64_t ch = 0; ch < d.c; ++ch) {
              if (done[ch] == T(0)) dx[first_tap + ch] = g[ch];
            }
          }
    });
    return OkStatus();
  }

  PoolDims d_;
  ThreadPool* pool_;
  int chunks_;
  bool disjoint_, tiles_;
  std::vector<std::vector<T>> best_value_;
  std::vector<std::vector<int64_t>> best_at_;
  std::vector<std::vector<T>> done_;
};

template <template <typename> class Kernel>
StatusOr<std::unique_ptr<LibraryKernel>> MakePoolKernel(const LibraryKernelArgs& args) {
  KILN_ASSIGN_OR_RETURN(PoolDims d, MakePoolDims(args.inputs[0].shape.dims(), args.node.attr<std::vector<int64_t>>("ksize"),
                                                 args.node.attr<std::vector<int64_t>>("strides"),
                                                 args.node.attr<std::string>("padding")));
  if (args.inputs[0].dtype == DT_FLOAT) return std::unique_ptr<LibraryKernel>(new Kernel<float>(d, args.pool));
  if (args.inputs[0].dtype == DT_DOUBLE) return std::unique_ptr<LibraryKernel>(new Kernel<double>(d, args.pool));
  return std::unique_ptr<LibraryKernel>();
}

}  // namespace

void AddPoolKernels(LibraryKernelTable& table) {
  table.emplace_back("max_pool", MakePoolKernel<MaxPoolKernel>);
  table.emplace_back("max_pool_grad", MakePoolKernel<MaxPoolGradKernel>);
}

}  // namespace kiln
