// Conv2D and its two backprops as library kernels: on AVX2 hosts, float layers take the direct
// kernels of direct_conv.h for the forward pass and the stride-1 input gradient, and for the filter
// gradient when there are at most 32 output channels; everything else is im2col + GEMM, in panels
// of output pixels.
//
// The patch matrix of a whole batch is large (cnn_tutorial's second convolution: 12,544 x 800
// floats, 40 MB), and building it all before one big product streams it through memory twice. A
// panel of rows small enough to stay in L2 (kPanelElements) is built and consumed at once instead,
// each chunk of panels on its own thread with its own panel buffer. The filter gradient sums panel
// products into one partial per chunk, then adds the partials; the input gradient scatters each
// panel's patch gradients back (col2im), so it splits work by whole images, whose input regions
// are disjoint.
#include <cstring>
#include <type_traits>

#include "graph/ops/conv_geometry.h"
#include "runtime/kernels/direct_conv.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"

namespace kiln {
namespace {

constexpr int64_t kPanelElements = 64 * 1024;  // 256 KB of floats: half of a Zen 3 or Sapphire Rapids L2

// The in-bounds tap columns [kx0, kx1) of output column ox: kx with 0 <= ox*sw - pad_w + kx < w.
void ValidTaps(const ConvDims& d, int64_t ox, int64_t* kx0, int64_t* kx1) {
  int64_t ix0 = ox * d.sw - d.pad_w;
  *kx0 = std::clamp<int64_t>(-ix0, 0, d.kw);
  *kx1 = std::clamp<int64_t>(d.w - ix0, *kx0, d.kw);
}

// Calls f(patch row offset, input offset, count) for every in-bounds run of a patch row's taps
// (count elements contiguous in both the patch row and the input), and z(patch row offset, count)
// for every run that falls in the padding. Row r is output pixel (b, oy, ox) in NHWC order.
template <typename Copy, typename Zero>
void ForEachTapRun(const ConvDims& d, int64_t r, Copy f, Zero z) {
  int64_t ox = r % d.ow, t = r / d.ow, oy = t % d.oh, b = t / d.oh;
  int64_t kx0, kx1;
  ValidTaps(d, ox, &kx0, &kx1);
  int64_t ix0 = ox * d.sw - d.pad_w, row_len = d.kw * d.c;
  for (int64_t ky = 0; ky < d.kh; ++ky) {
    int64_t iy = oy * d.sh - d.pad_h + ky, at = ky * row_len;
    if (iy < 0 || iy >= d.h || kx0 == kx1) {
      z(at, row_len);
      continue;
    }
    if (kx0 > 0) z(at, kx0 * d.c);
    f(at + kx0 * d.c, ((b * d.h + iy) * d.w + ix0 + kx0) * d.c, (kx1 - kx0) * d.c);
    if (kx1 < d.kw) z(at + kx1 * d.c, (d.kw - kx1) * d.c);
  }
}

// memcpy and memset for im2col's runs, inlined. A run is one kernel row of taps, kw * channels
// values: 3 to 48 floats in the conv_bn seed, where a library call per run (300,000 of them per
// convolution) cost more than the copy. Whole 32-byte blocks, then one more block ending exactly at
// the end (overlapping the previous one) instead of a byte loop; below 32 bytes, the same with
// 16, 8 and 4. Every T here is 4 or 8 bytes, so no run is shorter than 4.
inline void CopyRun(void* dst, const void* src, size_t bytes) {
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  auto copy_with_tail = [&](auto block) {
    constexpr size_t kBlock = decltype(block)::value;
    for (size_t i = 0; i + kBlock <= bytes; i += kBlock) std::memcpy(d + i, s + i, kBlock);
    std::memcpy(d + bytes - kBlock, s + bytes - kBlock, kBlock);
  };
  if (bytes >= 32) copy_with_tail(std::integral_constant<size_t, 32>());
  else if (bytes >= 16) copy_with_tail(std::integral_constant<size_t, 16>());
  else if (bytes >= 8) copy_with_tail(std::integral_constant<size_t, 8>());
  else if (bytes >= 4) copy_with_tail(std::integral_constant<size_t, 4>());
}

inline void ZeroRun(void* dst, size_t bytes) {
  alignas(32) static constexpr char kZeros[32] = {};
  char* d = static_cast<char*>(dst);
  if (bytes > 256) {
    std::memset(d, 0, bytes);
    return;
  }
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) std::memcpy(d + i, kZeros, 32);
  if (i < bytes) CopyRun(d + i, kZeros, bytes - i);
}

template <typename T>
void Im2Col(const ConvDims& d, const T* input, int64_t r0, int64_t r1, T* patches) {
  const int64_t k = d.patch_size();
  for (int64_t r = r0; r < r1; ++r) {
    T* row = patches + (r - r0) * k;
    ForEachTapRun(
        d, r, [&](int64_t at, int64_t in, int64_t n) { CopyRun(row + at, input + in, n * sizeof(T)); },
        [&](int64_t at, int64_t n) { ZeroRun(row + at, n * sizeof(T)); });
  }
}

// dx += the patch gradients of rows [r0, r1) put back where their taps came from.
template <typename T>
void Col2ImAdd(const ConvDims& d, const T* dpatches, int64_t r0, int64_t r1, T* dx) {
  const int64_t k = d.patch_size();
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = dpatches + (r - r0) * k;
    ForEachTapRun(
        d, r,
        [&](int64_t at, int64_t in, int64_t n) {
          for (int64_t i = 0; i < n; ++i) dx[in + i] += row[at + i];
        },
        [](int64_t, int64_t) {});
  }
}

// Rows per panel: a panel of patches holds about kPanelElements values.
int64_t PanelRows(const ConvDims& d) { return std::max<int64_t>(1, kPanelElements / d.patch_size()); }
int64_t NumPanels(const ConvDims& d, int64_t rows) { return (rows + PanelRows(d) - 1) / PanelRows(d); }

// A 1x1 convolution with unit strides is a plain product of the input's rows with the filter.
bool IsPointwise(const ConvDims& d) { return d.kh == 1 && d.kw == 1 && d.sh == 1 && d.sw == 1; }

// Whether the direct forward kernel (in groups of output channels) takes the convolution `d`: it
// measured faster than im2col + GEMM for every seed layer, 64 output channels included
// (cnn_tutorial's second layer: 18-21 ms -> 14-15 ms on one Zen 3 core).
template <typename T>
bool UseDirectForward(const ConvDims& d) {
  return std::is_same_v<T, float> && direct_conv::Available() && d.kh <= direct_conv::kMaxKernelHeight;
}

// Whether the direct filter gradient takes the convolution `d`: with taps in the lanes it measured
// faster than im2col + GEMM on every seed layer but cnn's 32->64 (1.1x slower; cnn_tutorial's 5x5
// 32->64 about even), so layers with more than 32 output channels keep im2col.
template <typename T>
bool UseDirectFilterGradient(const ConvDims& d) {
  return std::is_same_v<T, float> && direct_conv::Available() && direct_conv::PreferredForFilterGradient(d);
}

// What the three kernels share: geometry, pool, and for im2col the panel size and one panel buffer
// per chunk; for the direct kernels a packed filter and, per chunk, the zeroed scratch of the
// padded input rows (direct_conv::ForwardScratchSize of the convolution they run).
template <typename T>
class ConvKernelBase : public LibraryKernel {
 protected:
  ConvKernelBase(const ConvDims& d, ThreadPool* pool, int64_t work_items, bool direct, int64_t packed_size = 0,
                 int64_t scratch = 0)
      : d_(d), pool_(pool), panel_rows_(PanelRows(d)), direct_(direct) {
    chunks_ = ChunkCount(pool, work_items);
    if (direct) {
      packed_.resize(packed_size);
      scratch_.assign(chunks_, std::vector<float>(scratch, 0.0f));
    } else if (!IsPointwise(d)) {
      panels_.assign(chunks_, std::vector<T>(panel_rows_ * d.patch_size()));
    }
  }

  ConvDims d_;
  ThreadPool* pool_;
  int64_t panel_rows_;
  bool direct_;
  int chunks_;
  std::vector<std::vector<T>> panels_;
  std::vector<float> packed_;
  std::vector<std::vector<float>> scratch_;
};

// Rows [r0, r1) of a convolution's output (o channels each) through a _FusedConv2D's epilogue: + bias,
// then max(0, .) with NaN staying NaN, as the reference kernel computes it.
template <typename T>
void ApplyEpilogue(const T* bias, bool relu, int64_t o, int64_t r0, int64_t r1, T* out) {
  for (int64_t r = r0; r < r1; ++r) {
    T* row = out + r * o;
    for (int64_t c = 0; c < o; ++c) {
      T v = row[c] + bias[c];
      row[c] = relu && v < T(0) ? T(0) : v;
    }
  }
}

// Conv2D, or with `fused` a _FusedConv2D, whose bias (and ReLU) is applied to each block of
// outputs while it is still in registers (direct) or in cache (after a panel's GEMM).
template <typename T>
class Conv2DKernel final : public ConvKernelBase<T> {
  using Base = ConvKernelBase<T>;

 public:
  Conv2DKernel(const ConvDims& d, ThreadPool* pool, bool fused = false, bool relu = false)
      : Base(d, pool, UseDirectForward<T>(d) ? d.n * d.oh : NumPanels(d, d.patches()), UseDirectForward<T>(d),
             d.kh * d.kw * d.c * direct_conv::PackedWidth(d.o), direct_conv::ForwardScratchSize(d)),
        fused_(fused), relu_(relu) {}
  Status Run(void* const* buffers) override {
    const ConvDims& d = this->d_;
    const T* input = static_cast<const T*>(buffers[0]);
    const T* filter = static_cast<const T*>(buffers[1]);
    const T* bias = fused_ ? static_cast<const T*>(buffers[2]) : nullptr;
    T* out = static_cast<T*>(buffers[fused_ ? 3 : 2]);
    if constexpr (std::is_same_v<T, float>) {
      if (this->direct_) {
        direct_conv::PackFilter(d, filter, this->packed_.data());
        const direct_conv::Epilogue epilogue{bias, relu_};
        ForEachChunk(this->pool_, this->chunks_, d.n * d.oh, [&](int chunk, int64_t r0, int64_t r1) {
          direct_conv::Forward(d, input, this->packed_.data(), this->scratch_[chunk].data(), out, r0, r1, epilogue);
        });
        return OkStatus();
      }
    }
    const int64_t k = d.patch_size(), rows = d.patches();
    if (IsPointwise(d)) {
      Gemm(false, false, rows, d.o, k, T(1), input, k, filter, d.o, T(0), out, d.o, this->pool_);
      if (bias) ApplyEpilogue(bias, relu_, d.o, 0, rows, out);
      return OkStatus();
    }
    ForEachChunk(this->pool_, this->chunks_, NumPanels(d, rows), [&](int chunk, int64_t p0, int64_t p1) {
      T* panel = this->panels_[chunk].data();
      for (int64_t p = p0; p < p1; ++p) {
        int64_t r0 = p * this->panel_rows_, r1 = std::min(rows, r0 + this->panel_rows_);
        Im2Col(d, input, r0, r1, panel);
        Gemm(false, false, r1 - r0, d.o, k, T(1), panel, k, filter, d.o, T(0), out + r0 * d.o, d.o, nullptr);
        if (bias) ApplyEpilogue(bias, relu_, d.o, r0, r1, out);
      }
    });
    return OkStatus();
  }

 private:
  bool fused_, relu_;
};

// sums[c] += dy[r][c] over rows [r0, r1) of an [rows, o] gradient: a bias gradient's share.
template <typename T>
void AddRowSums(const T* dy, int64_t r0, int64_t r1, int64_t o, T* sums) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = dy + r * o;
    for (int64_t c = 0; c < o; ++c) sums[c] += row[c];
  }
}

// Conv2DBackpropFilter, or with `bias` a _FusedConv2DBackpropFilter, which also sums dy per output
// channel (the bias gradient) from each image or panel while the filter gradient has it in cache.
template <typename T>
class Conv2DBackpropFilterKernel final : public ConvKernelBase<T> {
  using Base = ConvKernelBase<T>;

 public:
  Conv2DBackpropFilterKernel(const ConvDims& d, ThreadPool* pool, bool bias = false)
      : Base(d, pool, UseDirectFilterGradient<T>(d) ? d.n : NumPanels(d, d.patches()), UseDirectFilterGradient<T>(d), 0,
             direct_conv::FilterGradientScratchSize(d)),
        bias_(bias) {
    int64_t size = this->direct_ ? direct_conv::FilterGradientPartialSize(d) : d.patch_size() * d.o;
    partials_.assign(this->chunks_, std::vector<T>(size));
    if (bias) bias_partials_.assign(this->chunks_, std::vector<T>(d.o));
  }
  Status Run(void* const* buffers) override {
    const ConvDims& d = this->d_;
    const T* input = static_cast<const T*>(buffers[0]);
    const T* dy = static_cast<const T*>(buffers[2]);
    T* dw = static_cast<T*>(buffers[3]);
    T* db = bias_ ? static_cast<T*>(buffers[4]) : nullptr;
    if constexpr (std::is_same_v<T, float>) {
      if (this->direct_) {
        RunDirect(input, dy, dw);
        SumBiasPartials(db);
        return OkStatus();
      }
    }
    const int64_t k = d.patch_size(), rows = d.patches();
    if (IsPointwise(d)) {
      Gemm(true, false, k, d.o, rows, T(1), input, k, dy, d.o, T(0), dw, d.o, this->pool_);
      if (db) {
        std::fill(db, db + d.o, T(0));
        AddRowSums(dy, 0, rows, d.o, db);
      }
      return OkStatus();
    }
    ForEachChunk(this->pool_, this->chunks_, NumPanels(d, rows), [&](int chunk, int64_t p0, int64_t p1) {
      T* panel = this->panels_[chunk].data();
      T* partial = partials_[chunk].data();
      std::fill(partials_[chunk].begin(), partials_[chunk].end(), T(0));
      if (db) std::fill(bias_partials_[chunk].begin(), bias_partials_[chunk].end(), T(0));
      for (int64_t p = p0; p < p1; ++p) {
        int64_t r0 = p * this->panel_rows_, r1 = std::min(rows, r0 + this->panel_rows_);
        Im2Col(d, input, r0, r1, panel);
        Gemm(true, false, k, d.o, r1 - r0, T(1), panel, k, dy + r0 * d.o, d.o, T(1), partial, d.o, nullptr);
        if (db) AddRowSums(dy, r0, r1, d.o, bias_partials_[chunk].data());
      }
    });
    const int64_t size = k * d.o;
    std::copy_n(partials_[0].data(), size, dw);
    for (int c = 1; c < this->chunks_; ++c) {
      const T* partial = partials_[c].data();
      for (int64_t i = 0; i < size; ++i) dw[i] += partial[i];
    }
    SumBiasPartials(db);
    return OkStatus();
  }

 private:
  // Per-chunk partial gradients over whole images, then their sum in chunk order.
  void RunDirect(const float* input, const float* dy, float* dw) {
    const ConvDims& d = this->d_;
    const int64_t rows_per_image = d.oh * d.ow;
    ForEachChunk(this->pool_, this->chunks_, d.n, [&](int chunk, int64_t b0, int64_t b1) {
      std::fill(partials_[chunk].begin(), partials_[chunk].end(), 0.0f);
      if (bias_) std::fill(bias_partials_[chunk].begin(), bias_partials_[chunk].end(), 0.0f);
      for (int64_t b = b0; b < b1; ++b) {
        direct_conv::FilterGradient(d, input, dy, this->scratch_[chunk].data(), partials_[chunk].data(), b, b + 1);
        if (bias_) AddRowSums(dy, b * rows_per_image, (b + 1) * rows_per_image, d.o, bias_partials_[chunk].data());
      }
    });
    for (int64_t ky = 0; ky < d.kh; ++ky) {
      for (int64_t kx = 0; kx < d.kw; ++kx) {
        for (int64_t ci = 0; ci < d.c; ++ci) {
          float* row = dw + ((ky * d.kw + kx) * d.c + ci) * d.o;
          for (int64_t co = 0; co < d.o; ++co) {
            const int64_t at = direct_conv::PartialIndex(d, ky, kx, ci, co);
            float sum = partials_[0][at];
            for (int c = 1; c < this->chunks_; ++c) sum += partials_[c][at];
            row[co] = sum;
          }
        }
      }
    }
  }

  // db = the chunks' bias sums, added in chunk order (nothing without a bias output).
  void SumBiasPartials(T* db) const {
    if (!db) return;
    std::copy(bias_partials_[0].begin(), bias_partials_[0].end(), db);
    for (int c = 1; c < this->chunks_; ++c) {
      for (int64_t co = 0; co < this->d_.o; ++co) db[co] += bias_partials_[c][co];
    }
  }

  bool bias_;
  std::vector<std::vector<T>> partials_, bias_partials_;
};

// Elements [begin, end) of an input gradient through ReluGrad: kept where features > 0, else 0.
template <typename T>
void ApplyReluGate(const T* features, int64_t begin, int64_t end, T* dx) {
  for (int64_t i = begin; i < end; ++i) dx[i] = features[i] > T(0) ? dx[i] : T(0);
}

// Conv2DBackpropInput, or with `gated` a _FusedConv2DBackpropInput, whose ReluGrad mask is applied
// while the gradient is in registers (direct) or to each chunk of images as it is finished.
template <typename T>
class Conv2DBackpropInputKernel final : public ConvKernelBase<T> {
  using Base = ConvKernelBase<T>;
  static bool Direct(const ConvDims& d) {
    return d.sh == 1 && d.sw == 1 && UseDirectForward<T>(direct_conv::InputGradientAsConvolution(d));
  }
  // A strided input gradient as stride-1 phases (direct_conv.h), when the direct kernels take them
  // (a phase's filter is never taller than the layer's, which UseDirectForward has checked).
  static std::vector<direct_conv::InputGradientPhase> Phases(const ConvDims& d) {
    if (Direct(d) || !UseDirectForward<T>(d)) return {};
    return direct_conv::InputGradientPhases(d);
  }
  static int64_t PhasesPackedSize(const std::vector<direct_conv::InputGradientPhase>& phases) {
    int64_t size = 0;
    for (const auto& p : phases) size += p.t.patch_size() * direct_conv::PackedWidth(p.t.o);
    return size;
  }
  // Each phase has its own part of a thread's scratch: their padded rows differ in layout, and each
  // relies on its padding staying zero.
  static int64_t PhasesScratchSize(const std::vector<direct_conv::InputGradientPhase>& phases) {
    int64_t size = 0;
    for (const auto& p : phases) size += direct_conv::PhaseScratchSize(p);
    return size;
  }
  Conv2DBackpropInputKernel(const ConvDims& d, ThreadPool* pool, bool gated,
                            std::vector<direct_conv::InputGradientPhase> phases)
      : Base(d, pool, Direct(d) ? d.n * d.h : d.n, Direct(d) || !phases.empty(),
             phases.empty() ? d.kh * d.kw * d.o * direct_conv::PackedWidth(d.c) : PhasesPackedSize(phases),
             phases.empty() ? direct_conv::ForwardScratchSize(direct_conv::InputGradientAsConvolution(d))
                            : PhasesScratchSize(phases)),
        gated_(gated), phases_(std::move(phases)) {}

 public:
  Conv2DBackpropInputKernel(const ConvDims& d, ThreadPool* pool, bool gated = false)
      : Conv2DBackpropInputKernel(d, pool, gated, Phases(d)) {}
  Status Run(void* const* buffers) override {
    const ConvDims& d = this->d_;
    const T* filter = static_cast<const T*>(buffers[1]);
    const T* dy = static_cast<const T*>(buffers[2]);
    const T* features = gated_ ? static_cast<const T*>(buffers[3]) : nullptr;
    T* dx = static_cast<T*>(buffers[gated_ ? 4 : 3]);
    if constexpr (std::is_same_v<T, float>) {
      if (!phases_.empty()) {
        // Each phase writes its own dx pixels: every pixel is in exactly one phase.
        const direct_conv::Epilogue epilogue{.gate = features};
        float* packed = this->packed_.data();
        int64_t scratch = 0;
        for (const direct_conv::InputGradientPhase& phase : phases_) {
          direct_conv::PackPhaseFilter(d, phase, filter, packed);
          ForEachChunk(this->pool_, this->chunks_, d.n * phase.t.oh, [&](int chunk, int64_t r0, int64_t r1) {
            direct_conv::InputGradientPhaseRows(d, phase, dy, packed, this->scratch_[chunk].data() + scratch, dx, r0,
                                                r1, epilogue);
          });
          packed += phase.t.patch_size() * direct_conv::PackedWidth(phase.t.o);
          scratch += direct_conv::PhaseScratchSize(phase);
        }
        return OkStatus();
      }
      if (this->direct_) {
        // The stride-1 input gradient is a convolution of dy with the flipped, transposed filter.
        const ConvDims t = direct_conv::InputGradientAsConvolution(d);
        direct_conv::PackFlippedTransposedFilter(d, filter, this->packed_.data());
        const direct_conv::Epilogue epilogue{.gate = features};
        ForEachChunk(this->pool_, this->chunks_, d.n * d.h, [&](int chunk, int64_t r0, int64_t r1) {
          direct_conv::Forward(t, dy, this->packed_.data(), this->scratch_[chunk].data(), dx, r0, r1, epilogue);
        });
        return OkStatus();
      }
    }
    const int64_t k = d.patch_size(), rows_per_image = d.oh * d.ow, image = d.h * d.w * d.c;
    if (IsPointwise(d)) {
      Gemm(false, true, d.patches(), k, d.o, T(1), dy, d.o, filter, d.o, T(0), dx, k, this->pool_);
      if (features) ApplyReluGate(features, 0, d.n * image, dx);
      return OkStatus();
    }
    ForEachChunk(this->pool_, this->chunks_, d.n, [&](int chunk, int64_t b0, int64_t b1) {
      T* panel = this->panels_[chunk].data();
      std::fill(dx + b0 * image, dx + b1 * image, T(0));
      for (int64_t b = b0; b < b1; ++b) {
        int64_t end = (b + 1) * rows_per_image;
        for (int64_t r0 = b * rows_per_image; r0 < end; r0 += this->panel_rows_) {
          int64_t r1 = std::min(end, r0 + this->panel_rows_);
          Gemm(false, true, r1 - r0, k, d.o, T(1), dy + r0 * d.o, d.o, filter, d.o, T(0), panel, k, nullptr);
          Col2ImAdd(d, panel, r0, r1, dx);
        }
      }
      if (features) ApplyReluGate(features, b0 * image, b1 * image, dx);
    });
    return OkStatus();
  }

 private:
  bool gated_;
  std::vector<direct_conv::InputGradientPhase> phases_;
};

// Builds Kernel<float> or Kernel<double> (with any further constructor arguments); other dtypes
// keep the reference kernel.
template <template <typename> class Kernel, typename... Args>
StatusOr<std::unique_ptr<LibraryKernel>> MakeFloatKernel(DataType dtype, const ConvDims& d, ThreadPool* pool,
                                                         Args... args) {
  if (dtype == DT_FLOAT) return std::unique_ptr<LibraryKernel>(new Kernel<float>(d, pool, args...));
  if (dtype == DT_DOUBLE) return std::unique_ptr<LibraryKernel>(new Kernel<double>(d, pool, args...));
  return std::unique_ptr<LibraryKernel>();
}

// Geometry from the step's input (or, for the input gradient, output) shape and filter shape.
StatusOr<ConvDims> DimsOf(const LibraryKernelArgs& args, const std::vector<int64_t>& input,
                          const std::vector<int64_t>& filter) {
  return ConvDimsOf(input, filter, args.node);
}

StatusOr<std::unique_ptr<LibraryKernel>> MakeConv2D(const LibraryKernelArgs& args) {
  KILN_ASSIGN_OR_RETURN(ConvDims d, DimsOf(args, args.inputs[0].shape.dims(), args.inputs[1].shape.dims()));
  return MakeFloatKernel<Conv2DKernel>(args.inputs[0].dtype, d, args.pool);
}

// _FusedConv2D; other fused_ops lists keep the reference kernel, which reports them.
StatusOr<std::unique_ptr<LibraryKernel>> MakeFusedConv2D(const LibraryKernelArgs& args) {
  StatusOr<bool> relu = FusedConvHasRelu(args.node.attr<std::vector<std::string>>("fused_ops"));
  if (!relu.ok()) return std::unique_ptr<LibraryKernel>();
  KILN_ASSIGN_OR_RETURN(ConvDims d, DimsOf(args, args.inputs[0].shape.dims(), args.inputs[1].shape.dims()));
  return MakeFloatKernel<Conv2DKernel>(args.inputs[0].dtype, d, args.pool, /*fused=*/true, *relu);
}

StatusOr<std::unique_ptr<LibraryKernel>> MakeConv2DBackpropInput(const LibraryKernelArgs& args) {
  KILN_ASSIGN_OR_RETURN(ConvDims d, DimsOf(args, args.outputs[0].shape.dims(), args.inputs[1].shape.dims()));
  return MakeFloatKernel<Conv2DBackpropInputKernel>(args.inputs[1].dtype, d, args.pool);
}

// _FusedConv2DBackpropInput; other fused_ops lists keep the reference kernel, which reports them.
StatusOr<std::unique_ptr<LibraryKernel>> MakeFusedConv2DBackpropInput(const LibraryKernelArgs& args) {
  if (!CheckFusedBackpropInputOps(args.node.attr<std::vector<std::string>>("fused_ops")).ok()) {
    return std::unique_ptr<LibraryKernel>();
  }
  KILN_ASSIGN_OR_RETURN(ConvDims d, DimsOf(args, args.outputs[0].shape.dims(), args.inputs[1].shape.dims()));
  return MakeFloatKernel<Conv2DBackpropInputKernel>(args.inputs[1].dtype, d, args.pool, /*gated=*/true);
}

// _FusedConv2DBackpropFilter; other fused_ops lists keep the reference kernel, which reports them.
StatusOr<std::unique_ptr<LibraryKernel>> MakeFusedConv2DBackpropFilter(const LibraryKernelArgs& args) {
  if (!CheckFusedBackpropFilterOps(args.node.attr<std::vector<std::string>>("fused_ops")).ok()) {
    return std::unique_ptr<LibraryKernel>();
  }
  KILN_ASSIGN_OR_RETURN(ConvDims d, DimsOf(args, args.inputs[0].shape.dims(), args.outputs[0].shape.dims()));
  return MakeFloatKernel<Conv2DBackpropFilterKernel>(args.inputs[0].dtype, d, args.pool, /*bias=*/true);
}

StatusOr<std::unique_ptr<LibraryKernel>> MakeConv2DBackpropFilter(const LibraryKernelArgs& args) {
  KILN_ASSIGN_OR_RETURN(ConvDims d, DimsOf(args, args.inputs[0].shape.dims(), args.outputs[0].shape.dims()));
  return MakeFloatKernel<Conv2DBackpropFilterKernel>(args.inputs[0].dtype, d, args.pool);
}

}  // namespace

void AddConvKernels(LibraryKernelTable& table) {
  table.emplace_back("conv2d", MakeConv2D);
  table.emplace_back("fused_conv2d", MakeFusedConv2D);
  table.emplace_back("conv2d_backprop_input", MakeConv2DBackpropInput);
  table.emplace_back("fused_conv2d_backprop_input", MakeFusedConv2DBackpropInput);
  table.emplace_back("conv2d_backprop_filter", MakeConv2DBackpropFilter);
  table.emplace_back("fused_conv2d_backprop_filter", MakeFusedConv2DBackpropFilter);
}

}  // namespace kiln
