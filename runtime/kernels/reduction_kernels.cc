// Sum, Mean and Max over constant axes, BiasAddGrad and L2Loss, as library kernels. Each sees its input as
// [outer, kept, inner] and reduces over outer and inner into [kept]: a reduction whose kept axes form
// one contiguous run once size-1 dims are dropped. That covers the reductions training steps make:
// the gradient of a broadcast ([N, C] -> [C], outer only), a per-row loss ([N, C] -> [N], inner
// only) and BiasAddGrad in both layouts (NHWC: [N*H*W, C, 1]; NCHW: [N, C, H*W]). Any other pattern
// keeps the reference kernel.
//
// Sums accumulate in double for float, as the reference kernel does, so a float result is the
// correctly rounded value of a double sum and, barring a tie at float rounding, the reference's
// value: only the order of the double additions differs (per chunk, then across chunks, and in
// eight lanes along a contiguous run). Max is exact in any order; NaN propagates as in the reference.
//
// Work splits over the outer rows when there are enough of them, each chunk filling its own partial
// row (sized at construction: a run allocates nothing), then the partials are combined in parallel
// over the kept elements; with few outer rows (a row-wise reduction) it splits the kept elements,
// whose results are independent.
#include <algorithm>
#include <limits>
#include <optional>

#include "graph/ops/kernel_util.h"
#include "runtime/kernels/library_kernel.h"
#include "runtime/kernels/parallel_chunks.h"
#include "runtime/kernels/vector_clones.h"

namespace kiln {
namespace {

// Below this many input elements per chunk, waking another thread costs more than it saves.
constexpr int64_t kMinChunkElements = 8192;
// Lane blocks of an outer reduction over rows of few kept elements (CombineLanes).
constexpr int64_t kMinLanes = 64;

struct ReduceView {
  int64_t outer = 1, kept = 1, inner = 1;
};

// The [outer, kept, inner] view of `dims` reduced over the axes flagged in `reduced`, or nullopt when
// the kept axes (of size > 1) do not form one contiguous run.
std::optional<ReduceView> ViewOf(const std::vector<int64_t>& dims, const std::vector<bool>& reduced) {
  ReduceView v;
  int phase = 0;  // 0: leading reduced axes, 1: the kept run, 2: trailing reduced axes
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;  // reduced or not, a size-1 axis changes no offsets
    if (reduced[i]) {
      if (phase == 1) phase = 2;
      (phase == 0 ? v.outer : v.inner) *= dims[i];
    } else {
      if (phase == 2) return std::nullopt;
      phase = 1;
      v.kept *= dims[i];
    }
  }
  return v;
}

template <typename T>
struct SumOp {
  using Acc = double;  // float sums in double, as the reference kernel does
  static constexpr Acc kInit = 0;
  static Acc Combine(Acc a, Acc v) { return a + v; }
  static T Finish(Acc a, int64_t) { return static_cast<T>(a); }
};

template <typename T>
struct MeanOp : SumOp<T> {
  static T Finish(double a, int64_t count) { return static_cast<T>(a / static_cast<double>(count)); }
};

template <typename T>
struct MaxOp {
  using Acc = T;  // a maximum is exact in any type
  static constexpr Acc kInit = -std::numeric_limits<T>::infinity();
  static Acc Combine(Acc a, Acc v) { return (v > a || v != v) ? v : a; }  // NaN propagates
  static T Finish(Acc a, int64_t) { return a; }
};

// The reduction of the contiguous run x[0, n), in eight independent lanes: one serial chain of
// dependent additions would leave the adder mostly idle, and the compiler may not reorder a sum.
template <typename T, typename Op>
typename Op::Acc ReduceRun(const T* x, int64_t n) {
  using Acc = typename Op::Acc;
  Acc lane[8];
  std::fill_n(lane, 8, Op::kInit);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) lane[j] = Op::Combine(lane[j], static_cast<Acc>(x[i + j]));
  }
  Acc s = Op::kInit;
  for (int j = 0; j < 8; ++j) s = Op::Combine(s, lane[j]);
  for (; i < n; ++i) s = Op::Combine(s, static_cast<Acc>(x[i]));
  return s;
}

// acc[j] = Combine(acc[j], x[b + j]) for every block of `lanes` elements of x[0, n), the last block
// possibly short. With the rows of an outer reduction laid end to end, lane j holds kept element
// j % kept when lanes is a multiple of kept: a bias gradient's 16 or 32 channels then still fill
// whole vectors, where a loop over one row's kept elements had left the 2-wide SSE2 doubles of the
// baseline build mostly waiting on its loop overhead.
template <typename T, typename Op>
KILN_VECTOR_CLONES void CombineLanes(const T* x, int64_t n, int64_t lanes, typename Op::Acc* acc) {
  using Acc = typename Op::Acc;
  const int64_t full = n - n % lanes;
  for (int64_t b = 0; b < full; b += lanes) {
    for (int64_t j = 0; j < lanes; ++j) acc[j] = Op::Combine(acc[j], static_cast<Acc>(x[b + j]));
  }
  for (int64_t j = 0; j < n - full; ++j) acc[j] = Op::Combine(acc[j], static_cast<Acc>(x[full + j]));
}

template <typename T, typename Op>
class ReduceKernel final : public LibraryKernel {
 public:
  using Acc = typename Op::Acc;

  // out_operand: 2 for Sum/Mean/Max (after the input and the axes), 1 for BiasAddGrad.
  ReduceKernel(ReduceView v, ThreadPool* pool, int out_operand)
      : v_(v), pool_(pool), count_(v.outer * v.inner), out_operand_(out_operand) {
    int threads = pool ? pool->num_threads() : 1;
    int64_t by_size = std::max<int64_t>(1, v.outer * v.kept * v.inner / kMinChunkElements);
    split_outer_ = v.outer >= threads || v.outer >= v.kept;
    chunks_ = static_cast<int>(std::min<int64_t>(ChunkCount(pool, split_outer_ ? v.outer : v.kept), by_size));
    if (split_outer_) {
      lanes_ = v.inner == 1 ? v.kept * std::max<int64_t>(1, (kMinLanes + v.kept - 1) / v.kept) : v.kept;
      partials_.assign(static_cast<size_t>(chunks_) * lanes_, Op::kInit);
      combine_chunks_ = static_cast<int>(std::min<int64_t>(
          ChunkCount(pool, v.kept), std::max<int64_t>(1, v.kept * chunks_ / kMinChunkElements)));
    }
  }

  Status Run(void* const* buffers) override {
    const T* in = static_cast<const T*>(buffers[0]);
    T* out = static_cast<T*>(buffers[out_operand_]);
    if (!split_outer_) {
      ForEachChunk(pool_, chunks_, v_.kept, [&](int, int64_t k0, int64_t k1) { ReduceKept(in, k0, k1, out); });
      return OkStatus();
    }
    ForEachChunk(pool_, chunks_, v_.outer, [&](int chunk, int64_t a0, int64_t a1) {
      ReduceOuter(in, a0, a1, partials_.data() + chunk * lanes_);
    });
    ForEachChunk(pool_, combine_chunks_, v_.kept, [&](int, int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        Acc s = Op::kInit;
        for (int c = 0; c < chunks_; ++c) {
          for (int64_t j = k; j < lanes_; j += v_.kept) s = Op::Combine(s, partials_[c * lanes_ + j]);
        }
        out[k] = Op::Finish(s, count_);
      }
    });
    return OkStatus();
  }

 private:
  // Outer rows [a0, a1) into the partial row acc[lanes_]. With inner == 1 the rows are one
  // contiguous run, taken in blocks of lanes_ (CombineLanes).
  void ReduceOuter(const T* in, int64_t a0, int64_t a1, Acc* acc) {
    const int64_t kept = v_.kept, inner = v_.inner;
    std::fill_n(acc, lanes_, Op::kInit);
    if (inner == 1) {
      CombineLanes<T, Op>(in + a0 * kept, (a1 - a0) * kept, lanes_, acc);
      return;
    }
    for (int64_t a = a0; a < a1; ++a) {
      const T* row = in + a * kept * inner;
      for (int64_t k = 0; k < kept; ++k) acc[k] = Op::Combine(acc[k], ReduceRun<T, Op>(row + k * inner, inner));
    }
  }

  // Kept elements [k0, k1), each reduced over every outer row and its inner run, into out.
  void ReduceKept(const T* in, int64_t k0, int64_t k1, T* out) {
    for (int64_t k = k0; k < k1; ++k) {
      Acc s = Op::kInit;
      for (int64_t a = 0; a < v_.outer; ++a) s = Op::Combine(s, ReduceRun<T, Op>(in + (a * v_.kept + k) * v_.inner, v_.inner));
      out[k] = Op::Finish(s, count_);
    }
  }

  ReduceView v_;
  ThreadPool* pool_;
  int64_t count_;  // elements reduced into each output element
  int out_operand_;
  bool split_outer_ = false;
  int chunks_ = 1, combine_chunks_ = 1;
  int64_t lanes_ = 1;          // partial row length: kept, or for inner == 1 a multiple of it >= kMinLanes
  std::vector<Acc> partials_;  // [chunks_, lanes_]: one partial result row per outer chunk
};

// L2Loss, sum(x^2) / 2 over the whole tensor (cnn_tutorial's weight decay on its 1.6M-weight dense
// layer): contiguous chunks, each summing squares in eight double lanes, the partials added in chunk
// order. The reference adds the squares in one serial double chain; only that order differs.
template <typename T>
class L2LossKernel final : public LibraryKernel {
 public:
  L2LossKernel(int64_t n, ThreadPool* pool)
      : n_(n), pool_(pool),
        chunks_(static_cast<int>(std::min<int64_t>(ChunkCount(pool, n), std::max<int64_t>(1, n / kMinChunkElements)))),
        partials_(chunks_) {}

  Status Run(void* const* buffers) override {
    const T* x = static_cast<const T*>(buffers[0]);
    ForEachChunk(pool_, chunks_, n_, [&](int chunk, int64_t i0, int64_t i1) {
      double lane[8] = {};
      int64_t i = i0;
      for (; i + 8 <= i1; i += 8) {
        for (int j = 0; j < 8; ++j) {
          double v = x[i + j];
          lane[j] += v * v;
        }
      }
      double s = 0;
      for (double l : lane) s += l;
      for (; i < i1; ++i) {
        double v = x[i];
        s += v * v;
      }
      partials_[chunk] = s;
    });
    double sum = 0;
    for (double p : partials_) sum += p;
    static_cast<T*>(buffers[1])[0] = static_cast<T>(sum / 2);
    return OkStatus();
  }

 private:
  int64_t n_;
  ThreadPool* pool_;
  int chunks_;
  std::vector<double> partials_;
};

StatusOr<std::unique_ptr<LibraryKernel>> MakeL2LossKernel(const LibraryKernelArgs& args) {
  const int64_t n = args.inputs[0].shape.num_elements();
  if (n <= 0) return std::unique_ptr<LibraryKernel>();
  if (args.inputs[0].dtype == DT_FLOAT) return std::unique_ptr<LibraryKernel>(new L2LossKernel<float>(n, args.pool));
  if (args.inputs[0].dtype == DT_DOUBLE) return std::unique_ptr<LibraryKernel>(new L2LossKernel<double>(n, args.pool));
  return std::unique_ptr<LibraryKernel>();
}

template <template <typename> class Op>
std::unique_ptr<LibraryKernel> MakeForDtype(DataType dtype, ReduceView v, ThreadPool* pool, int out_operand) {
  if (dtype == DT_FLOAT) return std::make_unique<ReduceKernel<float, Op<float>>>(v, pool, out_operand);
  if (dtype == DT_DOUBLE) return std::make_unique<ReduceKernel<double, Op<double>>>(v, pool, out_operand);
  return nullptr;
}

// Sum/Mean/Max: the axes input must have a value known when the Executable is built. A run that
// feeds the axes cannot make that value stale: shape specialization (passes/specialize.h) turns a
// fed tensor into a placeholder, which has no known value, so such a run keeps the reference kernel.
template <template <typename> class Op>
StatusOr<std::unique_ptr<LibraryKernel>> MakeReduceKernel(const LibraryKernelArgs& args) {
  const std::vector<int64_t>& dims = args.inputs[0].shape.dims();
  const Output& axes_input = args.node.input(1);
  const Tensor* axes_value = axes_input.node->known_value(axes_input.index);
  if (!axes_value || args.inputs[0].shape.num_elements() <= 0) return std::unique_ptr<LibraryKernel>();
  std::vector<int64_t> axes = TensorToInts(*axes_value);
  std::vector<bool> reduced(dims.size(), false);
  const int rank = static_cast<int>(dims.size());
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return std::unique_ptr<LibraryKernel>();  // the reference kernel reports it
    reduced[a < 0 ? a + rank : a] = true;
  }
  std::optional<ReduceView> v = ViewOf(dims, reduced);
  if (!v) return std::unique_ptr<LibraryKernel>();
  return MakeForDtype<Op>(args.inputs[0].dtype, *v, args.pool, /*out_operand=*/2);
}

// BiasAddGrad: the sum over every axis but the channel axis (last for NHWC, 1 for NCHW).
StatusOr<std::unique_ptr<LibraryKernel>> MakeBiasAddGradKernel(const LibraryKernelArgs& args) {
  const std::vector<int64_t>& dims = args.inputs[0].shape.dims();
  if (dims.size() < 2 || args.inputs[0].shape.num_elements() <= 0) return std::unique_ptr<LibraryKernel>();
  size_t channel = args.node.attr<std::string>("data_format") == "NCHW" ? 1 : dims.size() - 1;
  ReduceView v;
  for (size_t i = 0; i < dims.size(); ++i) (i < channel ? v.outer : i == channel ? v.kept : v.inner) *= dims[i];
  return MakeForDtype<SumOp>(args.inputs[0].dtype, v, args.pool, /*out_operand=*/1);
}

}  // namespace

void AddReductionKernels(LibraryKernelTable& table) {
  table.emplace_back("reduce_sum", MakeReduceKernel<SumOp>);
  table.emplace_back("reduce_mean", MakeReduceKernel<MeanOp>);
  table.emplace_back("reduce_max", MakeReduceKernel<MaxOp>);
  table.emplace_back("bias_add_grad", MakeBiasAddGradKernel);
  table.emplace_back("l2_loss", MakeL2LossKernel);
}

}  // namespace kiln
