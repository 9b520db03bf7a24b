// FusedBatchNormV3 and FusedBatchNormGradV3 (NHWC, T == U in {float, double}), and their ReLU forms
// _FusedBatchNormEx (y through Relu) and _FusedBatchNormGradEx (dy kept where the ReLU's y > 0) that
// the `batchnorm` pass makes, as library kernels,
// computing exactly the reference kernels' formulas (graph/ops/batch_norm_ops.cc) in the same
// precision, but split over the thread pool:
//   forward, training: per channel over the N*H*W rows, in one pass, the sums of d = x - shift and
//     of d * d with the shift the channel's first value (the reference takes two passes: the mean,
//     then squared deviations from it; in double the shifted sums agree with it far below float
//     rounding), as per-chunk partial rows in double, combined in chunk order; the biased variance normalizes,
//     the Bessel-corrected one (n / (n - 1)) is reported as batch_variance, blended with the given
//     moving statistics when exponential_avg_factor != 1 and they have one value per channel;
//   forward, inference: the given mean and variance are used and reported as they are;
//   then y = (x - mean) * (rsqrt(var + eps) * scale) + offset in double, split over the rows.
//   grad: sum(dy) and sum(dy * xhat) as per-chunk partial rows in double, then dx in a second pass
//     (training: scale * inv * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n); inference: dy * scale * inv).
// Only the order of the double additions (and, for dx, dividing by n once per channel) differs from the reference (per chunk, then across chunks),
// so float results match it up to a tie at float rounding. Everything a run needs (partial rows and
// per-channel coefficients) is sized at construction: a run allocates nothing.
//
// Every row loop walks a chunk in "lanes" (see LaneWidth): L = q * C contiguous elements, q whole rows,
// with one accumulator or coefficient per lane, lane j standing for channel j % C. The seeds' conv
// nets have 4 to 20 channels, where a loop over one row's channels is too short to vectorize and each
// channel's sum is a single dependency chain; a loop over 64 or more lanes is long, contiguous and has
// independent accumulators (5-7x faster for 4 to 16 channels on a Zen 3 core).
// Other layouts and mixed T/U keep the reference kernel, as does an empty tensor (the reference
// reports the error for an empty batch in training).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <cmath>
#include <vector>

#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"
#include "runtime/kernels/vector_clones.h"

namespace kiln {
namespace {

// Below this many elements per chunk, waking another thread costs more than it saves.
constexpr int64_t kMinChunkElements = 16384;

int ChunksFor(ThreadPool* pool, int64_t rows, int64_t channels) {
  int64_t by_size = std::max<int64_t>(1, rows * channels / kMinChunkElements);
  return static_cast<int>(std::min<int64_t>(ChunkCount(pool, rows), by_size));
}

// Lanes per block for `channels`: a multiple of the channel count and of 8 (whole AVX2 vectors of
// floats), at least 64 (enough independent accumulators to hide the adds' latency); wide rows are
// their own block.
int64_t LaneWidth(int64_t channels) {
  if (channels >= 64) return channels;
  int64_t q = 1;
  while ((q * channels) % 8 != 0 || q * channels < 64) ++q;
  return q * channels;
}

// dst[j] = src[j % channels] for j in [0, lanes): a per-channel coefficient, one per lane.
template <typename D, typename S>
void SpreadOverLanes(const S* src, int64_t channels, std::vector<D>& dst) {
  for (size_t j = 0; j < dst.size(); ++j) dst[j] = static_cast<D>(src[j % channels]);
}

// out[k] = sum over chunks of the lanes of channel k in partial[chunk * lanes ...], in chunk order.
void CombinePartials(const std::vector<double>& partial, int chunks, int64_t channels, int64_t lanes, double* out) {
  for (int64_t k = 0; k < channels; ++k) {
    double s = 0;
    for (int c = 0; c < chunks; ++c) {
      for (int64_t j = k; j < lanes; j += channels) s += partial[c * lanes + j];
    }
    out[k] = s;
  }
}

// The row loops. Each walks n elements (whole rows of one chunk) in blocks of `lanes`, the last
// block possibly short; lane-indexed arrays have `lanes` entries.
template <typename Body>
inline __attribute__((always_inline)) void ForEachLane(int64_t n, int64_t lanes, Body body) {
  int64_t full = n - n % lanes;
  for (int64_t b = 0; b < full; b += lanes) {
    for (int64_t j = 0; j < lanes; ++j) body(b + j, j);
  }
  for (int64_t j = 0; j < n - full; ++j) body(full + j, j);
}

// The sums of d and d * d for d = x - shift, per lane, in one pass: with the shift a value of the
// channel (its first row), the variance S2/n - (S1/n)^2 loses nothing measurable in double against
// the two-pass sum of squared deviations from the mean, and the activation is read once, not twice.
template <typename T>
KILN_VECTOR_CLONES void ShiftedMomentLanes(const T* x, int64_t n, int64_t lanes, const double* shift, double* acc,
                                           double* acc_sq) {
  ForEachLane(n, lanes, [&](int64_t i, int64_t j) {
    double d = x[i] - shift[j];
    acc[j] += d;
    acc_sq[j] += d * d;
  });
}

// With Relu (_FusedBatchNormEx), y goes through Relu's x < 0 ? 0 : x once rounded to T.
template <typename T, bool Relu>
KILN_VECTOR_CLONES void NormalizeLanes(const T* x, int64_t n, int64_t lanes, const double* mean, const double* inv,
                                       const double* offset, T* y) {
  ForEachLane(n, lanes, [&](int64_t i, int64_t j) {
    const T v = static_cast<T>((x[i] - mean[j]) * inv[j] + offset[j]);
    y[i] = Relu && v < T(0) ? T(0) : v;
  });
}

// dy as the batch norm sees it: with a gate (_FusedBatchNormGradEx's y, the ReLU's output) only
// where the gate is positive, as ReluGrad(dy, y) passes it on.
// A template flag rather than a null test, so that each row loop stays one straight vector loop.
template <typename T, bool Gated>
inline __attribute__((always_inline)) T GatedDy(const T* g, const T* gate, int64_t i) {
  // As a bit mask (all ones where the gate is positive), which GCC vectorizes to a compare and an
  // AND; written as a select of dy or 0 the loop stayed scalar, with a branch per element.
  if constexpr (Gated) {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    const Bits keep = -static_cast<Bits>(gate[i] > T(0));
    return std::bit_cast<T>(std::bit_cast<Bits>(g[i]) & keep);
  }
  return g[i];
}

// sum(dy) and sum(dy * xhat), with dy * (x - mean) in T and then scaled by inv in double, as the
// reference computes it.
template <typename T, bool Gated>
KILN_VECTOR_CLONES void GradSumLanes(const T* g, const T* gate, const T* x, int64_t n, int64_t lanes, const T* mean,
                                     const double* inv, double* acc_dy, double* acc_dy_xhat) {
  ForEachLane(n, lanes, [&](int64_t i, int64_t j) {
    const T dy = GatedDy<T, Gated>(g, gate, i);
    acc_dy[j] += dy;
    acc_dy_xhat[j] += dy * (x[i] - mean[j]) * inv[j];
  });
}

template <typename T, bool Gated>
KILN_VECTOR_CLONES void TrainingDxLanes(const T* g, const T* gate, const T* x, int64_t n, int64_t lanes, const T* mean,
                                        const double* inv, const double* scale_inv, const double* mean_dy,
                                        const double* mean_dy_xhat, T* dx) {
  ForEachLane(n, lanes, [&](int64_t i, int64_t j) {
    double xhat = (x[i] - mean[j]) * inv[j];
    dx[i] = static_cast<T>(scale_inv[j] * (GatedDy<T, Gated>(g, gate, i) - mean_dy[j] - xhat * mean_dy_xhat[j]));
  });
}

template <typename T, bool Gated>
KILN_VECTOR_CLONES void InferenceDxLanes(const T* g, const T* gate, int64_t n, int64_t lanes, const T* scale,
                                         const double* inv, T* dx) {
  ForEachLane(n, lanes, [&](int64_t i, int64_t j) { dx[i] = static_cast<T>(GatedDy<T, Gated>(g, gate, i) * scale[j] * inv[j]); });
}

template <typename T>
class FusedBatchNormKernel final : public LibraryKernel {
 public:
  FusedBatchNormKernel(int64_t rows, int64_t channels, double eps, double factor, bool training, bool blend,
                       bool relu, ThreadPool* pool)
      : rows_(rows), channels_(channels), lanes_(LaneWidth(channels)), eps_(eps), factor_(factor),
        training_(training), blend_(blend), relu_(relu), pool_(pool), chunks_(ChunksFor(pool, rows, channels)),
        partial_(training ? static_cast<size_t>(chunks_) * lanes_ : 0), partial_sq_(partial_.size()), mean_(channels),
        var_(channels),
        inv_(channels), mean_lanes_(lanes_), inv_lanes_(lanes_), offset_lanes_(lanes_) {}

  Status Run(void* const* buffers) override {
    const T* x = static_cast<const T*>(buffers[0]);
    const T* scale = static_cast<const T*>(buffers[1]);
    const T* offset = static_cast<const T*>(buffers[2]);
    const T* mean_in = static_cast<const T*>(buffers[3]);
    const T* var_in = static_cast<const T*>(buffers[4]);
    const int64_t C = channels_, L = lanes_;
    if (training_) {
      SpreadOverLanes(x, C, mean_lanes_);  // the shift: the first row, one value per channel
      ForEachChunk(pool_, chunks_, rows_, [&](int chunk, int64_t r0, int64_t r1) {
        double* acc = partial_.data() + chunk * L;
        double* acc_sq = partial_sq_.data() + chunk * L;
        std::fill_n(acc, L, 0.0);
        std::fill_n(acc_sq, L, 0.0);
        ShiftedMomentLanes(x + r0 * C, (r1 - r0) * C, L, mean_lanes_.data(), acc, acc_sq);
      });
      CombinePartials(partial_, chunks_, C, L, mean_.data());
      CombinePartials(partial_sq_, chunks_, C, L, var_.data());
      const double n = static_cast<double>(rows_);
      for (int64_t k = 0; k < C; ++k) {
        const double shifted_mean = mean_[k] / n;
        mean_[k] = x[k] + shifted_mean;
        var_[k] = std::max(0.0, var_[k] / n - shifted_mean * shifted_mean);
      }
      SpreadOverLanes(mean_.data(), C, mean_lanes_);
    } else {
      for (int64_t k = 0; k < C; ++k) mean_[k] = mean_in[k], var_[k] = var_in[k];
      SpreadOverLanes(mean_.data(), C, mean_lanes_);
    }
    for (int64_t k = 0; k < C; ++k) inv_[k] = 1.0 / std::sqrt(var_[k] + eps_) * scale[k];
    SpreadOverLanes(inv_.data(), C, inv_lanes_);
    SpreadOverLanes(offset, C, offset_lanes_);
    T* y = static_cast<T*>(buffers[5]);
    ForEachChunk(pool_, chunks_, rows_, [&](int, int64_t r0, int64_t r1) {
      auto normalize = relu_ ? NormalizeLanes<T, true> : NormalizeLanes<T, false>;
      normalize(x + r0 * C, (r1 - r0) * C, L, mean_lanes_.data(), inv_lanes_.data(), offset_lanes_.data(), y + r0 * C);
    });
    WriteStatistics(mean_in, var_in, buffers);
    return OkStatus();
  }

 private:
  // batch_mean, batch_variance and the two reserve spaces, as the reference writes them. Each
  // channel's moving statistics are read before its outputs are written, so a buffer shared between
  // them (in-place planning) is safe.
  void WriteStatistics(const T* mean_in, const T* var_in, void* const* buffers) {
    T* batch_mean = static_cast<T*>(buffers[6]);
    T* batch_var = static_cast<T*>(buffers[7]);
    T* saved_mean = static_cast<T*>(buffers[8]);
    T* saved_var = static_cast<T*>(buffers[9]);
    double bessel = rows_ > 1 ? static_cast<double>(rows_) / static_cast<double>(rows_ - 1) : 1.0;
    for (int64_t k = 0; k < channels_; ++k) {
      double m = mean_[k], v = training_ ? var_[k] * bessel : var_[k];
      if (blend_) {
        m = (1 - factor_) * mean_in[k] + factor_ * m;
        v = (1 - factor_) * var_in[k] + factor_ * v;
      }
      batch_mean[k] = static_cast<T>(m);
      batch_var[k] = static_cast<T>(v);
      saved_mean[k] = static_cast<T>(mean_[k]);
      saved_var[k] = static_cast<T>(var_[k]);
    }
  }

  int64_t rows_, channels_, lanes_;
  double eps_, factor_;
  bool training_, blend_, relu_;
  ThreadPool* pool_;
  int chunks_;
  std::vector<double> partial_, partial_sq_;  // [chunks_, lanes_]: sums of x - shift and of its squares
  std::vector<double> mean_, var_;  // per channel: the statistics that normalize
  std::vector<double> inv_;         // per channel: rsqrt(var + eps) * scale
  std::vector<double> mean_lanes_, inv_lanes_, offset_lanes_;  // per lane: what y is computed from
};

template <typename T>
class FusedBatchNormGradKernel final : public LibraryKernel {
 public:
  // `gated`: _FusedBatchNormGradEx, whose inputs 6 and 7 are the offset and the ReLU's output y.
  FusedBatchNormGradKernel(int64_t rows, int64_t channels, double eps, bool training, bool gated, ThreadPool* pool)
      : rows_(rows), channels_(channels), lanes_(LaneWidth(channels)), eps_(eps), training_(training), gated_(gated),
        pool_(pool),
        chunks_(ChunksFor(pool, rows, channels)), partial_dy_(static_cast<size_t>(chunks_) * lanes_),
        partial_dy_xhat_(static_cast<size_t>(chunks_) * lanes_), inv_(channels), sum_dy_(channels),
        sum_dy_xhat_(channels), scale_inv_(channels), mean_dy_(channels), mean_dy_xhat_(channels),
        mean_lanes_(lanes_), scale_lanes_(lanes_), inv_lanes_(lanes_), scale_inv_lanes_(lanes_),
        mean_dy_lanes_(lanes_), mean_dy_xhat_lanes_(lanes_) {}

  Status Run(void* const* buffers) override {
    const T* g = static_cast<const T*>(buffers[0]);
    const T* x = static_cast<const T*>(buffers[1]);
    const T* scale = static_cast<const T*>(buffers[2]);
    const T* mean = static_cast<const T*>(buffers[3]);
    const T* var = static_cast<const T*>(buffers[4]);
    const T* gate = gated_ ? static_cast<const T*>(buffers[7]) : nullptr;
    void* const* outputs = buffers + (gated_ ? 8 : 6);
    T* dx = static_cast<T*>(outputs[0]);
    T* dscale = static_cast<T*>(outputs[1]);
    T* doffset = static_cast<T*>(outputs[2]);
    const int64_t C = channels_, L = lanes_;
    for (int64_t k = 0; k < C; ++k) inv_[k] = 1.0 / std::sqrt(static_cast<double>(var[k]) + eps_);
    SpreadOverLanes(inv_.data(), C, inv_lanes_);
    SpreadOverLanes(mean, C, mean_lanes_);
    ForEachChunk(pool_, chunks_, rows_, [&](int chunk, int64_t r0, int64_t r1) {
      double* acc_dy = partial_dy_.data() + chunk * L;
      double* acc_dy_xhat = partial_dy_xhat_.data() + chunk * L;
      std::fill_n(acc_dy, L, 0.0);
      std::fill_n(acc_dy_xhat, L, 0.0);
      auto sums = gate ? GradSumLanes<T, true> : GradSumLanes<T, false>;
      sums(g + r0 * C, gate ? gate + r0 * C : nullptr, x + r0 * C, (r1 - r0) * C, L, mean_lanes_.data(),
                   inv_lanes_.data(), acc_dy, acc_dy_xhat);
    });
    CombinePartials(partial_dy_, chunks_, C, L, sum_dy_.data());
    CombinePartials(partial_dy_xhat_, chunks_, C, L, sum_dy_xhat_.data());
    for (int64_t k = 0; k < C; ++k) {
      dscale[k] = static_cast<T>(sum_dy_xhat_[k]);
      doffset[k] = static_cast<T>(sum_dy_[k]);
    }
    // The per-channel factors of dx, hoisted out of the row loop: the reference's
    // scale * inv * (dy - sum_dy / n - xhat * sum_dy_xhat / n) with the two divisions by n done once
    // per channel, which changes only the double rounding, far below T's.
    const double n = static_cast<double>(rows_);
    for (int64_t k = 0; k < C; ++k) {
      scale_inv_[k] = scale[k] * inv_[k];
      mean_dy_[k] = sum_dy_[k] / n;
      mean_dy_xhat_[k] = sum_dy_xhat_[k] / n;
    }
    if (training_) {
      SpreadOverLanes(scale_inv_.data(), C, scale_inv_lanes_);
      SpreadOverLanes(mean_dy_.data(), C, mean_dy_lanes_);
      SpreadOverLanes(mean_dy_xhat_.data(), C, mean_dy_xhat_lanes_);
    } else {
      SpreadOverLanes(scale, C, scale_lanes_);
    }
    ForEachChunk(pool_, chunks_, rows_, [&](int, int64_t r0, int64_t r1) {
      if (training_) {
        auto dx_lanes = gate ? TrainingDxLanes<T, true> : TrainingDxLanes<T, false>;
        dx_lanes(g + r0 * C, gate ? gate + r0 * C : nullptr, x + r0 * C, (r1 - r0) * C, L, mean_lanes_.data(),
                        inv_lanes_.data(), scale_inv_lanes_.data(), mean_dy_lanes_.data(), mean_dy_xhat_lanes_.data(),
                        dx + r0 * C);
      } else {
        auto dx_lanes = gate ? InferenceDxLanes<T, true> : InferenceDxLanes<T, false>;
        dx_lanes(g + r0 * C, gate ? gate + r0 * C : nullptr, (r1 - r0) * C, L, scale_lanes_.data(),
                         inv_lanes_.data(), dx + r0 * C);
      }
    });
    return OkStatus();
  }

 private:
  int64_t rows_, channels_, lanes_;
  double eps_;
  bool training_, gated_;
  ThreadPool* pool_;
  int chunks_;
  std::vector<double> partial_dy_, partial_dy_xhat_;        // [chunks_, lanes_] each
  std::vector<double> inv_, sum_dy_, sum_dy_xhat_;          // per channel
  std::vector<double> scale_inv_, mean_dy_, mean_dy_xhat_;  // per channel: dx's factors
  std::vector<T> mean_lanes_, scale_lanes_;                 // per lane, in T as the reference reads them
  std::vector<double> inv_lanes_, scale_inv_lanes_, mean_dy_lanes_, mean_dy_xhat_lanes_;
};

// The [rows, channels] view of an NHWC operand set whose dtypes all equal x's float or double type,
// or false when the kernel does not cover it.
bool CoveredNhwc(const LibraryKernelArgs& args, int x_operand, int64_t* rows, int64_t* channels) {
  if (args.node.attr<std::string>("data_format") != "NHWC") return false;
  const TensorType& x = args.inputs[x_operand];
  if (x.dtype != DT_FLOAT && x.dtype != DT_DOUBLE) return false;
  for (const TensorType& t : args.inputs) if (t.dtype != x.dtype) return false;
  for (const TensorType& t : args.outputs) if (t.dtype != x.dtype) return false;
  const std::vector<int64_t>& dims = x.shape.dims();
  if (dims.size() != 4 || x.shape.num_elements() <= 0) return false;
  *channels = dims[3];
  *rows = dims[0] * dims[1] * dims[2];
  const int scale_operand = x_operand + 1;  // scale follows x in both ops
  return args.inputs[scale_operand].shape.num_elements() == *channels;
}

StatusOr<std::unique_ptr<LibraryKernel>> MakeFusedBatchNormKernel(const LibraryKernelArgs& args) {
  int64_t rows, channels;
  if (!CoveredNhwc(args, 0, &rows, &channels)) return std::unique_ptr<LibraryKernel>();
  if (args.inputs[2].shape.num_elements() != channels) return std::unique_ptr<LibraryKernel>();
  bool training = args.node.attr<bool>("is_training");
  if (!training && (args.inputs[3].shape.num_elements() != channels || args.inputs[4].shape.num_elements() != channels))
    return std::unique_ptr<LibraryKernel>();
  double eps = static_cast<double>(args.node.attr<float>("epsilon"));
  double factor = static_cast<double>(args.node.attr<float>("exponential_avg_factor"));
  // As the reference: blend only in training, with a factor other than 1 and moving statistics given.
  bool blend = training && factor != 1.0 && args.inputs[3].shape.num_elements() == channels &&
               args.inputs[4].shape.num_elements() == channels;
  bool relu = args.node.op() == "_FusedBatchNormEx";
  if (args.inputs[0].dtype == DT_FLOAT)
    return std::unique_ptr<LibraryKernel>(
        new FusedBatchNormKernel<float>(rows, channels, eps, factor, training, blend, relu, args.pool));
  return std::unique_ptr<LibraryKernel>(
      new FusedBatchNormKernel<double>(rows, channels, eps, factor, training, blend, relu, args.pool));
}

StatusOr<std::unique_ptr<LibraryKernel>> MakeFusedBatchNormGradKernel(const LibraryKernelArgs& args) {
  int64_t rows, channels;
  if (!CoveredNhwc(args, 1, &rows, &channels)) return std::unique_ptr<LibraryKernel>();
  if (args.inputs[0].shape.dims() != args.inputs[1].shape.dims()) return std::unique_ptr<LibraryKernel>();
  for (int i : {3, 4}) {
    if (args.inputs[i].shape.num_elements() != channels) return std::unique_ptr<LibraryKernel>();
  }
  double eps = static_cast<double>(args.node.attr<float>("epsilon"));
  bool training = args.node.attr<bool>("is_training");
  bool gated = args.node.op() == "_FusedBatchNormGradEx";
  if (gated && args.inputs[7].shape.dims() != args.inputs[1].shape.dims()) return std::unique_ptr<LibraryKernel>();
  if (args.inputs[1].dtype == DT_FLOAT)
    return std::unique_ptr<LibraryKernel>(
        new FusedBatchNormGradKernel<float>(rows, channels, eps, training, gated, args.pool));
  return std::unique_ptr<LibraryKernel>(
      new FusedBatchNormGradKernel<double>(rows, channels, eps, training, gated, args.pool));
}

}  // namespace

void AddBatchNormKernels(LibraryKernelTable& table) {
  table.emplace_back("fused_batch_norm", MakeFusedBatchNormKernel);
  table.emplace_back("fused_batch_norm_grad", MakeFusedBatchNormGradKernel);
}

}  // namespace kiln
