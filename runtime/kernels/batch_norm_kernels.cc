// FusedBatchNormV3 and FusedBatchNormGradV3 (NHWC, T == U in {float, double}) as library kernels,
// computing exactly the reference kernels' formulas (graph/ops/batch_norm_ops.cc) in the same
// precision, but split over the thread pool:
//   forward, training: the per-channel sum over the N*H*W rows, then the sum of squared deviations
//     from that mean (the reference's two-pass variance, not sum-of-squares minus mean squared), each
//     as per-chunk partial rows in double, combined in chunk order; the biased variance normalizes,
//     the Bessel-corrected one (n / (n - 1)) is reported as batch_variance, blended with the given
//     moving statistics when exponential_avg_factor != 1 and they have one value per channel;
//   forward, inference: the given mean and variance are used and reported as they are;
//   then y = (x - mean) * (rsqrt(var + eps) * scale) + offset in double, split over the rows.
//   grad: sum(dy) and sum(dy * xhat) as per-chunk partial rows in double, then dx in a second pass
//     (training: scale * inv * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n); inference: dy * scale * inv).
// Only the order of the double additions (and, for dx, dividing by n once per channel) differs from the reference (per chunk, then across chunks),
// so float results match it up to a tie at float rounding. Everything a run needs (partial rows and
// per-channel coefficients) is sized at construction: a run allocates nothing.
// Other layouts and mixed T/U keep the reference kernel, as does an empty tensor (the reference
// reports the error for an empty batch in training).
#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"

namespace kiln {
namespace {

// Below this many elements per chunk, waking another thread costs more than it saves.
constexpr int64_t kMinChunkElements = 16384;

int ChunksFor(ThreadPool* pool, int64_t rows, int64_t channels) {
  int64_t by_size = std::max<int64_t>(1, rows * channels / kMinChunkElements);
  return static_cast<int>(std::min<int64_t>(ChunkCount(pool, rows), by_size));
}

// out[k] = sum over chunks of partial[c * channels + k], in chunk order.
void CombinePartials(const std::vector<double>& partial, int chunks, int64_t channels, double* out) {
  for (int64_t k = 0; k < channels; ++k) {
    double s = partial[k];
    for (int c = 1; c < chunks; ++c) s += partial[c * channels + k];
    out[k] = s;
  }
}

template <typename T>
class FusedBatchNormKernel final : public LibraryKernel {
 public:
  FusedBatchNormKernel(int64_t rows, int64_t channels, double eps, double factor, bool training, bool blend,
                       ThreadPool* pool)
      : rows_(rows), channels_(channels), eps_(eps), factor_(factor), training_(training), blend_(blend),
        pool_(pool), chunks_(ChunksFor(pool, rows, channels)),
        partial_(training ? static_cast<size_t>(chunks_) * channels : 0), mean_(channels), var_(channels),
        inv_(channels), offset_(channels) {}

  Status Run(void* const* buffers) override {
    const T* x = static_cast<const T*>(buffers[0]);
    const T* scale = static_cast<const T*>(buffers[1]);
    const T* offset = static_cast<const T*>(buffers[2]);
    const T* mean_in = static_cast<const T*>(buffers[3]);
    const T* var_in = static_cast<const T*>(buffers[4]);
    const int64_t C = channels_;
    if (training_) {
      ForEachChunk(pool_, chunks_, rows_, [&](int chunk, int64_t r0, int64_t r1) {
        double* acc = partial_.data() + chunk * C;
        std::fill_n(acc, C, 0.0);
        for (int64_t r = r0; r < r1; ++r) {
          const T* row = x + r * C;
          for (int64_t k = 0; k < C; ++k) acc[k] += row[k];
        }
      });
      CombinePartials(partial_, chunks_, C, mean_.data());
      for (double& m : mean_) m /= static_cast<double>(rows_);
      const double* mean = mean_.data();
      ForEachChunk(pool_, chunks_, rows_, [&](int chunk, int64_t r0, int64_t r1) {
        double* acc = partial_.data() + chunk * C;
        std::fill_n(acc, C, 0.0);
        for (int64_t r = r0; r < r1; ++r) {
          const T* row = x + r * C;
          for (int64_t k = 0; k < C; ++k) {
            double d = row[k] - mean[k];
            acc[k] += d * d;
          }
        }
      });
      CombinePartials(partial_, chunks_, C, var_.data());
      for (double& v : var_) v /= static_cast<double>(rows_);
    } else {
      for (int64_t k = 0; k < C; ++k) mean_[k] = mean_in[k], var_[k] = var_in[k];
    }
    for (int64_t k = 0; k < C; ++k) {
      inv_[k] = 1.0 / std::sqrt(var_[k] + eps_) * scale[k];
      offset_[k] = offset[k];
    }
    Normalize(x, static_cast<T*>(buffers[5]));
    WriteStatistics(mean_in, var_in, buffers);
    return OkStatus();
  }

 private:
  void Normalize(const T* x, T* y) {
    const int64_t C = channels_;
    const double *mean = mean_.data(), *inv = inv_.data(), *offset = offset_.data();
    ForEachChunk(pool_, chunks_, rows_, [&](int, int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* in = x + r * C;
        T* out = y + r * C;
        for (int64_t k = 0; k < C; ++k) out[k] = static_cast<T>((in[k] - mean[k]) * inv[k] + offset[k]);
      }
    });
  }

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

  int64_t rows_, channels_;
  double eps_, factor_;
  bool training_, blend_;
  ThreadPool* pool_;
  int chunks_;
  std::vector<double> partial_;              // [chunks_, channels]: sums, then squared deviations
  std::vector<double> mean_, var_;           // per channel: the statistics that normalize
  std::vector<double> inv_, offset_;         // per channel: rsqrt(var + eps) * scale, and offset
};

template <typename T>
class FusedBatchNormGradKernel final : public LibraryKernel {
 public:
  FusedBatchNormGradKernel(int64_t rows, int64_t channels, double eps, bool training, ThreadPool* pool)
      : rows_(rows), channels_(channels), eps_(eps), training_(training), pool_(pool),
        chunks_(ChunksFor(pool, rows, channels)), partial_dy_(static_cast<size_t>(chunks_) * channels),
        partial_dy_xhat_(static_cast<size_t>(chunks_) * channels), inv_(channels), sum_dy_(channels),
        sum_dy_xhat_(channels), scale_inv_(channels), mean_dy_(channels), mean_dy_xhat_(channels) {}

  Status Run(void* const* buffers) override {
    const T* g = static_cast<const T*>(buffers[0]);
    const T* x = static_cast<const T*>(buffers[1]);
    const T* scale = static_cast<const T*>(buffers[2]);
    const T* mean = static_cast<const T*>(buffers[3]);
    const T* var = static_cast<const T*>(buffers[4]);
    T* dx = static_cast<T*>(buffers[6]);
    T* dscale = static_cast<T*>(buffers[7]);
    T* doffset = static_cast<T*>(buffers[8]);
    const int64_t C = channels_;
    for (int64_t k = 0; k < C; ++k) inv_[k] = 1.0 / std::sqrt(static_cast<double>(var[k]) + eps_);
    const double* inv = inv_.data();
    // The reference computes dy * (x - mean) in T, then scales by inv in double; so does this.
    ForEachChunk(pool_, chunks_, rows_, [&](int chunk, int64_t r0, int64_t r1) {
      double* acc_dy = partial_dy_.data() + chunk * C;
      double* acc_dy_xhat = partial_dy_xhat_.data() + chunk * C;
      std::fill_n(acc_dy, C, 0.0);
      std::fill_n(acc_dy_xhat, C, 0.0);
      for (int64_t r = r0; r < r1; ++r) {
        const T* gr = g + r * C;
        const T* xr = x + r * C;
        for (int64_t k = 0; k < C; ++k) {
          acc_dy[k] += gr[k];
          acc_dy_xhat[k] += gr[k] * (xr[k] - mean[k]) * inv[k];
        }
      }
    });
    CombinePartials(partial_dy_, chunks_, C, sum_dy_.data());
    CombinePartials(partial_dy_xhat_, chunks_, C, sum_dy_xhat_.data());
    for (int64_t k = 0; k < C; ++k) {
      dscale[k] = static_cast<T>(sum_dy_xhat_[k]);
      doffset[k] = static_cast<T>(sum_dy_[k]);
    }
    // The per-channel factors of dx, hoisted out of the row loop: the reference's
    // scale * inv * (dy - sum_dy / n - xhat * sum_dy_xhat / n) with the two divisions by n done once
    // per channel, which changes only the double rounding, far below T's.
    const double n = static_cast<double>(rows_);
    for (int64_t k = 0; k < C; ++k) {
      scale_inv_[k] = scale[k] * inv[k];
      mean_dy_[k] = sum_dy_[k] / n;
      mean_dy_xhat_[k] = sum_dy_xhat_[k] / n;
    }
    const double *scale_inv = scale_inv_.data(), *mean_dy = mean_dy_.data(), *mean_dy_xhat = mean_dy_xhat_.data();
    ForEachChunk(pool_, chunks_, rows_, [&](int, int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* gr = g + r * C;
        const T* xr = x + r * C;
        T* out = dx + r * C;
        if (training_) {
          for (int64_t k = 0; k < C; ++k) {
            double xhat = (xr[k] - mean[k]) * inv[k];
            out[k] = static_cast<T>(scale_inv[k] * (gr[k] - mean_dy[k] - xhat * mean_dy_xhat[k]));
          }
        } else {
          for (int64_t k = 0; k < C; ++k) out[k] = static_cast<T>(gr[k] * scale[k] * inv[k]);
        }
      }
    });
    return OkStatus();
  }

 private:
  int64_t rows_, channels_;
  double eps_;
  bool training_;
  ThreadPool* pool_;
  int chunks_;
  std::vector<double> partial_dy_, partial_dy_xhat_;  // [chunks_, channels] each
  std::vector<double> inv_, sum_dy_, sum_dy_xhat_;    // per channel
  std::vector<double> scale_inv_, mean_dy_, mean_dy_xhat_;  // per channel: dx's factors
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
  if (args.inputs[0].dtype == DT_FLOAT)
    return std::unique_ptr<LibraryKernel>(
        new FusedBatchNormKernel<float>(rows, channels, eps, factor, training, blend, args.pool));
  return std::unique_ptr<LibraryKernel>(
      new FusedBatchNormKernel<double>(rows, channels, eps, factor, training, blend, args.pool));
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
  if (args.inputs[1].dtype == DT_FLOAT)
    return std::unique_ptr<LibraryKernel>(new FusedBatchNormGradKernel<float>(rows, channels, eps, training, args.pool));
  return std::unique_ptr<LibraryKernel>(new FusedBatchNormGradKernel<double>(rows, channels, eps, training, args.pool));
}

}  // namespace

void AddBatchNormKernels(LibraryKernelTable& table) {
  table.emplace_back("fused_batch_norm", MakeFusedBatchNormKernel);
  table.emplace_back("fused_batch_norm_grad", MakeFusedBatchNormGradKernel);
}

}  // namespace kiln
