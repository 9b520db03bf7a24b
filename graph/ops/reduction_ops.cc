// Reductions over axes (Sum, Mean, Max, Min, Prod) and ArgMax/ArgMin.
#include <algorithm>
#include <limits>
#include <set>

#include "graph/op_registry.h"
#include "graph/ops/array_ops.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/math_ops.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

enum class Reducer { kSum, kMean, kMax, kMin, kProd };

// Canonical, sorted, de-duplicated axes; error in TF's words for out-of-range ones.
Status NormalizeAxes(const std::vector<int64_t>& raw, int rank, std::set<int64_t>* axes, const std::string& who) {
  for (int64_t a : raw) {
    if (a < -rank || a >= rank) {
      return InvalidArgument("Invalid reduction dimension " + std::to_string(a) + " for input with " +
                             std::to_string(rank) + " dimensions" + who);
    }
    axes->insert(a < 0 ? a + rank : a);
  }
  return OkStatus();
}

template <Reducer R>
Status ReduceKernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  std::set<int64_t> axes;
  KILN_RETURN_IF_ERROR(NormalizeAxes(TensorToInts(c.input(1)), x.rank(), &axes, " [[node " + c.node().name() + "]]"));
  // Each input element accumulates into the output element with the reduced coordinates dropped:
  // a cursor over the input whose strides are zero along reduced axes.
  std::vector<int64_t> kept_dims = x.dims();
  for (int64_t a : axes) kept_dims[a] = 1;

  int64_t count = 1;
  for (int64_t a : axes) count *= x.dim(a);
  return DispatchNumeric(x.dtype(), c.node().op(), [&]<typename T>() {
    T* out = c.output(0).data<T>();
    int64_t n_out = c.output(0).num_elements();
    // Max/Min start from -inf/+inf for floats (so a window of infinities reduces to infinity),
    // and from the extreme values for integers.
    constexpr bool kFloat = std::is_floating_point_v<T>;
    T lowest = kFloat ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    T highest = kFloat ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
    T init = R == Reducer::kMax ? lowest : R == Reducer::kMin ? highest : R == Reducer::kProd ? T(1) : T(0);
    // Accumulate sums in double for float types: the reference must not lose precision.
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
    std::vector<Acc> acc(n_out, static_cast<Acc>(init));
    const T* in = x.data<T>();
    BroadcastCursor out_at(x.dims(), kept_dims);  // input element -> its output element
    for (int64_t i = 0; i < x.num_elements(); ++i, out_at.Next()) {
      Acc& a = acc[out_at.offset()];
      Acc v = in[i];
      if constexpr (R == Reducer::kSum || R == Reducer::kMean) a += v;
      else if constexpr (R == Reducer::kProd) a *= v;
      else if constexpr (R == Reducer::kMax) a = (v > a || v != v) ? v : a;  // NaN propagates
      else a = (v < a || v != v) ? v : a;
    }
    for (int64_t i = 0; i < n_out; ++i) {
      if constexpr (R == Reducer::kMean) out[i] = count ? static_cast<T>(acc[i] / static_cast<Acc>(count)) : T(0);
      else out[i] = static_cast<T>(acc[i]);
    }
    return OkStatus();
  });
}

Status ReduceShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  bool keep = c.attr<bool>("keep_dims");
  std::vector<int64_t> raw;
  if (!c.InputAsInts(1, &raw)) {
    c.set_output_shape(0, keep && !in.unknown_rank() ? Shape::Unknown(in.rank()) : Shape::UnknownRank());
    return OkStatus();
  }
  if (in.unknown_rank()) {
    c.set_output_shape(0, Shape::UnknownRank());
    return OkStatus();
  }
  std::set<int64_t> axes;
  Status s = NormalizeAxes(raw, in.rank(), &axes, "");
  if (!s.ok()) return c.error(s.message());
  std::vector<int64_t> dims;
  for (int i = 0; i < in.rank(); ++i) {
    if (axes.count(i)) { if (keep) dims.push_back(1); }
    else dims.push_back(in.dim(i));
  }
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// dy broadcast back over the reduced axes: reshape to the keep_dims shape, then BroadcastTo x.
Output BroadcastReducedGrad(const Node& op, const Output& dy) {
  Output x = op.input(0);
  const Shape& xs = x.shape();
  std::vector<int64_t> raw;
  const Tensor* axes_value = op.input(1).node->known_value(op.input(1).index);
  if (axes_value && !xs.unknown_rank()) {
    raw = TensorToInts(*axes_value);
    std::set<int64_t> axes;
    if (NormalizeAxes(raw, xs.rank(), &axes, "").ok()) {
      std::vector<int64_t> kept = xs.dims();
      int unknown = 0;
      for (int i = 0; i < xs.rank(); ++i) {
        if (axes.count(i)) kept[i] = 1;
        else unknown += kept[i] < 0;
      }
      if (unknown <= 1) {  // Reshape infers a single -1
        Output target = xs.IsFullyDefined() ? IntsLike(x, xs.dims()) : shape(x);
        return broadcast_to(reshape(dy, kept), target);
      }
    }
  }
  // Fully dynamic: the keep_dims shape is the shape of the same reduction with keep_dims=true.
  Output kept_shape = shape(MakeOp(op.op(), {x, op.input(1)}, {{"keep_dims", true}}));
  return broadcast_to(reshape(dy, kept_shape), shape(x));
}

Status SumGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = BroadcastReducedGrad(op, dy[0]);
  return OkStatus();
}

Status MeanGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0);
  Output y(const_cast<Node*>(&op), 0);
  Output count;
  int64_t nx = x.shape().num_elements(), ny = y.shape().num_elements();
  if (nx >= 0 && ny > 0) count = ScalarLike(x, static_cast<double>(nx / ny));
  else count = cast(divide(cast(size(x), DT_DOUBLE), cast(size(y), DT_DOUBLE)), x.dtype());
  (*dx)[0] = divide(BroadcastReducedGrad(op, dy[0]), count);
  return OkStatus();
}

// The reduction of `x` over the op's axes with keep_dims, as `reducer` (op's own axes input, so
// this works when they are only known at run time).
Output ReduceKeepingDims(const char* reducer, const Node& op, const Output& x) {
  return MakeOp(reducer, {x, op.input(1)}, {{"keep_dims", true}});
}

// TF's _MinOrMaxGrad: dy flows to the elements equal to the result, split evenly among ties
// (so that, like the max itself, it does not depend on which of equal elements is chosen).
Status MinOrMaxGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0);
  Output y(const_cast<Node*>(&op), 0);
  Output indicators = cast(equal(BroadcastReducedGrad(op, y), x), x.dtype());
  Output num_selected = ReduceKeepingDims("Sum", op, indicators);
  (*dx)[0] = divide(indicators, num_selected) * BroadcastReducedGrad(op, dy[0]);
  return OkStatus();
}

// d prod / d x_i = the product of the other elements of x_i's group, computed without dividing by
// zero: with z the number of zeros in the group and P the product of its non-zero elements, it is
// P / x_i when z = 0, P at the zero and 0 elsewhere when z = 1, and 0 when z >= 2. (TF's _ProdGrad
// gets the same values from exclusive cumulative products.)
Status ProdGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0);
  Output zero = ScalarLike(x, 0), one = ScalarLike(x, 1);
  Output is_zero = equal(x, zero);
  Output nonzero_x = select_v2(is_zero, one, x);
  Output nonzero_product = ReduceKeepingDims("Prod", op, nonzero_x);
  Output zeros_in_group = ReduceKeepingDims("Sum", op, cast(is_zero, x.dtype()));
  Output has_gradient = logical_or(equal(zeros_in_group, zero), logical_and(equal(zeros_in_group, one), is_zero));
  Output others = select_v2(has_gradient, divide(nonzero_product, nonzero_x), zero);
  (*dx)[0] = others * BroadcastReducedGrad(op, dy[0]);
  return OkStatus();
}

template <bool kMax>
Status ArgKernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  int64_t axis = TensorToInts(c.input(1))[0];
  if (axis < 0) axis += x.rank();
  if (x.dim(axis) == 0) return c.error("Reduction axis " + std::to_string(axis) + " is empty in shape " + x.shape().ToString());
  int64_t outer = 1, inner = 1, n = x.dim(axis);
  for (int i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  bool out64 = c.output(0).dtype() == DT_INT64;
  return DispatchNumeric(x.dtype(), c.node().op(), [&]<typename T>() {
    const T* in = x.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        for (int64_t k = 1; k < n; ++k) {  // first index wins ties, as TF
          T v = in[(o * n + k) * inner + i], b = in[(o * n + best) * inner + i];
          if (kMax ? v > b : v < b) best = k;
        }
        if (out64) c.output(0).data<int64_t>()[o * inner + i] = best;
        else c.output(0).data<int32_t>()[o * inner + i] = static_cast<int32_t>(best);
      }
    }
    return OkStatus();
  });
}

Status ArgShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  std::vector<int64_t> axis;
  if (in.unknown_rank()) { c.set_output_shape(0, Shape::UnknownRank()); return OkStatus(); }
  if (!c.InputAsInts(1, &axis)) { c.set_output_shape(0, Shape::Unknown(in.rank() - 1)); return OkStatus(); }
  if (axis.size() != 1) return c.error("dimension must be a scalar");
  int64_t a;
  KILN_RETURN_IF_ERROR(CanonicalAxis(c, axis[0], in.rank(), &a));
  std::vector<int64_t> dims = in.dims();
  dims.erase(dims.begin() + a);
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// `library_kernel`: the runtime's kernel for float/double over constant axes whose kept axes are
// contiguous (runtime/kernels/reduction_kernels.cc); empty for reductions that have none.
void RegisterReduce(OpRegistry& r, const char* name, KernelFn kernel, GradFn grad, const char* library_kernel = "") {
  OpLowering lowering{OpLowering::Kind::kReduction, ""};
  if (*library_kernel) lowering = {OpLowering::Kind::kLibrary, library_kernel};
  OpDefBuilder b = Op(name).Input("input: T").Input("reduction_indices: Tidx").Output("output: T")
                       .Attr("keep_dims: bool = false").Attr("T: {float, double, int32, int64, uint8}")
                       .Attr("Tidx: {int32, int64} = DT_INT32").Shape(ReduceShape).Kernel(std::move(kernel))
                       .Lowering(lowering);
  if (grad) b.Grad(std::move(grad));
  r.Register(b);
}

Output Reduce(const char* op, const Output& x, const std::vector<int64_t>& axis, bool keepdims, const std::string& name) {
  if (!x) return Output();
  std::vector<int64_t> axes = axis;
  if (axes.empty()) {  // tf.reduce_*(x) with axis=None reduces everything
    int rank = x.shape().rank();
    if (rank < 0) {
      return BuildError(x.graph(), Unimplemented(std::string(op) + " over all axes of a tensor of unknown rank"));
    }
    for (int i = 0; i < rank; ++i) axes.push_back(i);
  }
  return MakeOp(op, {x, IntsLike(x, axes)}, {{"keep_dims", keepdims}}, name);
}

}  // namespace

void RegisterReductionOps(OpRegistry& r) {
  RegisterReduce(r, "Sum", ReduceKernel<Reducer::kSum>, SumGrad, "reduce_sum");
  RegisterReduce(r, "Mean", ReduceKernel<Reducer::kMean>, MeanGrad, "reduce_mean");
  RegisterReduce(r, "Max", ReduceKernel<Reducer::kMax>, MinOrMaxGrad, "reduce_max");
  RegisterReduce(r, "Min", ReduceKernel<Reducer::kMin>, MinOrMaxGrad);
  RegisterReduce(r, "Prod", ReduceKernel<Reducer::kProd>, ProdGrad);
  const std::string kIn = "T: {float, double, int32, int64, uint8}";
  r.Register(Op("ArgMax").Input("input: T").Input("dimension: Tidx").Output("output: output_type").Attr(kIn)
                 .Attr("Tidx: {int32, int64} = DT_INT32").Attr("output_type: {int32, int64} = DT_INT64")
                 .Shape(ArgShape).Kernel(ArgKernel<true>).NotDifferentiable());
  r.Register(Op("ArgMin").Input("input: T").Input("dimension: Tidx").Output("output: output_type").Attr(kIn)
                 .Attr("Tidx: {int32, int64} = DT_INT32").Attr("output_type: {int32, int64} = DT_INT64")
                 .Shape(ArgShape).Kernel(ArgKernel<false>).NotDifferentiable());
}

Output reduce_sum(const Output& x, const std::vector<int64_t>& axis, bool keepdims, const std::string& name) {
  return Reduce("Sum", x, axis, keepdims, name);
}
Output reduce_mean(const Output& x, const std::vector<int64_t>& axis, bool keepdims, const std::string& name) {
  return Reduce("Mean", x, axis, keepdims, name);
}
Output reduce_max(const Output& x, const std::vector<int64_t>& axis, bool keepdims, const std::string& name) {
  return Reduce("Max", x, axis, keepdims, name);
}
Output reduce_min(const Output& x, const std::vector<int64_t>& axis, bool keepdims, const std::string& name) {
  return Reduce("Min", x, axis, keepdims, name);
}
Output reduce_prod(const Output& x, const std::vector<int64_t>& axis, bool keepdims, const std::string& name) {
  return Reduce("Prod", x, axis, keepdims, name);
}
Output ReduceSumOverAxes(const Output& x, const Output& axis, bool keepdims, const std::string& name) {
  return MakeOp("Sum", {x, axis}, {{"keep_dims", keepdims}}, name);
}
Output argmax(const Output& x, int64_t axis, DataType output_type, const std::string& name) {
  if (!x) return Output();
  return MakeOp("ArgMax", {x, constant(Tensor::Scalar<int32_t>(static_cast<int32_t>(axis)), "", x.graph())}, {{"output_type", output_type}}, name);
}
Output argmin(const Output& x, int64_t axis, DataType output_type, const std::string& name) {
  if (!x) return Output();
  return MakeOp("ArgMin", {x, constant(Tensor::Scalar<int32_t>(static_cast<int32_t>(axis)), "", x.graph())}, {{"output_type", output_type}}, name);
}

}  // namespace kiln
