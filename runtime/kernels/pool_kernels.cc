// MaxPool and MaxPoolGrad as library kernels over NHWC: per output pixel, the window's taps are
// visited row by row and each tap updates all channels at once (a contiguous run the compiler
// vectorizes), where the reference kernel walks one channel's window at a time. Work splits by
// images, whose windows (and, for the gradient, input regions) never overlap. Ties and NaNs follow
// the reference kernel: the first in-bounds tap starts the maximum and only a strictly greater value
// replaces it.
#include <limits>

#include "graph/ops/conv_geometry.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"

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

template <typename T>
class MaxPoolKernel final : public LibraryKernel {
 public:
  MaxPoolKernel(const PoolDims& d, ThreadPool* pool) : d_(d), pool_(pool), chunks_(ChunkCount(pool, d.n)) {}
  Status Run(void* const* buffers) override {
    const T* in = static_cast<const T*>(buffers[0]);
    T* out = static_cast<T*>(buffers[1]);
    const PoolDims& d = d_;
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
  MaxPoolGradKernel(const PoolDims& d, ThreadPool* pool) : d_(d), pool_(pool), chunks_(ChunkCount(pool, d.n)) {
    best_value_.assign(chunks_, std::vector<T>(d.c));
    best_at_.assign(chunks_, std::vector<int64_t>(d.c));
  }
  Status Run(void* const* buffers) override {
    const T* in = static_cast<const T*>(buffers[0]);
    const T* grad = static_cast<const T*>(buffers[2]);
    T* dx = static_cast<T*>(buffers[3]);
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
  PoolDims d_;
  ThreadPool* pool_;
  int chunks_;
  std::vector<std::vector<T>> best_value_;
  std::vector<std::vector<int64_t>> best_at_;
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
