// Pad (constant zeros, as tf.pad 'CONSTANT') and Slice, each the other's gradient.
#include <algorithm>
#include <cstring>

#include "graph/ops/array_ops.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/window_runs.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

// Copies `in` into `out` at per-dim offset `offset` (Pad), or the window of `out`'s shape starting
// at `offset` out of `in` (Slice), one memcpy per run.
void CopyWindow(const Tensor& in, Tensor& out, const std::vector<int64_t>& offset, bool into_larger) {
  const Tensor& small = into_larger ? in : out;
  const Tensor& large = into_larger ? out : in;
  WindowRuns runs = MakeWindowRuns(small.dims(), large.dims(), offset);
  const size_t elem = DataTypeSize(in.dtype()), bytes = runs.run * elem;
  const char* src = static_cast<const char*>(in.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (const auto& [small_at, large_at] : runs.offsets) {
    if (into_larger) std::memcpy(dst + large_at * elem, src + small_at * elem, bytes);
    else std::memcpy(dst + small_at * elem, src + large_at * elem, bytes);
  }
}

Status PadKernel(KernelContext& c) {
  std::memset(c.output(0).raw_data(), 0, c.output(0).num_bytes());
  CopyWindow(c.input(0), c.output(0), PadsBefore(TensorToInts(c.input(1))), true);
  return OkStatus();
}

Status PadShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  std::vector<int64_t> p;
  if (!c.InputAsInts(1, &p)) {
    c.set_output_shape(0, in.unknown_rank() ? in : Shape::Unknown(in.rank()));
    return OkStatus();
  }
  const Shape& ps = c.input_shape(1);
  if (ps.rank() != 2 || ps.dim(1) != 2 || (!in.unknown_rank() && ps.dim(0) != in.rank())) {
    return c.error("paddings must be a matrix of shape [rank, 2], got " + ps.ToString() + " for an input of shape " + in.ToString());
  }
  std::vector<int64_t> dims;
  for (int d = 0; d < ps.dim(0); ++d) {
    if (p[2 * d] < 0 || p[2 * d + 1] < 0) return c.error("paddings must be non-negative");
    int64_t size = in.unknown_rank() ? -1 : in.dim(d);
    dims.push_back(size < 0 ? -1 : size + p[2 * d] + p[2 * d + 1]);
  }
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// d pad(x) = the window of dy where x sits: Slice(dy, paddings[:, 0], shape(x)).
Status PadGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  const Tensor* p = op.input(1).node->known_value(op.input(1).index);
  if (!p) return InvalidArgument("the gradient of Pad needs constant paddings (node " + op.name() + ")");
  Output x = op.input(0);
  Output size = x.shape().IsFullyDefined() ? IntsLike(x, x.shape().dims()) : shape(x);
  (*dx)[0] = MakeOp("Slice", {dy[0], IntsLike(x, PadsBefore(TensorToInts(*p))), size}, {});
  return OkStatus();
}

Status SliceKernel(KernelContext& c) {
  CopyWindow(c.input(0), c.output(0), TensorToInts(c.input(1)), false);
  return OkStatus();
}

Status SliceShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  std::vector<int64_t> begin, size;
  if (!c.InputAsInts(1, &begin) || in.unknown_rank()) {
    c.set_output_shape(0, in.unknown_rank() ? in : Shape::Unknown(in.rank()));
    return OkStatus();
  }
  KILN_ASSIGN_OR_RETURN(Shape sizes, c.InputAsPartialShape(2));
  if (static_cast<int>(begin.size()) != in.rank() || sizes.rank() != in.rank()) {
    return c.error("begin and size must have one entry per input dimension");
  }
  std::vector<int64_t> dims;
  for (int d = 0; d < in.rank(); ++d) {
    int64_t s = sizes.dim(d) == -1 && in.dim(d) >= 0 ? in.dim(d) - begin[d] : sizes.dim(d);  // size -1: to the end
    if (begin[d] < 0 || (in.dim(d) >= 0 && s >= 0 && begin[d] + s > in.dim(d))) {
      return c.error("slice [" + std::to_string(begin[d]) + ", +" + std::to_string(s) + ") is out of bounds in dimension " +
                     std::to_string(d));
    }
    dims.push_back(s);
  }
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// d slice(x) = dy padded back to x's shape; needs x's shape statically (TF builds it dynamically).
Status SliceGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0);
  const Tensor* begin = op.input(1).node->known_value(op.input(1).index);
  Shape out = Output(const_cast<Node*>(&op), 0).shape();
  if (!begin || !x.shape().IsFullyDefined() || !out.IsFullyDefined()) {
    return Unimplemented("the gradient of Slice needs static shapes and begin (node " + op.name() + ")");
  }
  std::vector<int64_t> b = TensorToInts(*begin), pads;
  for (int d = 0; d < x.shape().rank(); ++d) {
    pads.push_back(b[d]);
    pads.push_back(x.shape().dim(d) - b[d] - out.dim(d));
  }
  Tensor paddings = IntsToTensor(pads);
  (*dx)[0] = pad(dy[0], paddings);
  return OkStatus();
}

}  // namespace

std::vector<int64_t> PadsBefore(const std::vector<int64_t>& paddings) {
  std::vector<int64_t> before;
  for (size_t i = 0; i < paddings.size(); i += 2) before.push_back(paddings[i]);
  return before;
}

WindowRuns MakeWindowRuns(const std::vector<int64_t>& small_dims, const std::vector<int64_t>& large_dims,
                          const std::vector<int64_t>& offset) {
  WindowRuns runs;
  const int rank = static_cast<int>(small_dims.size());
  int64_t count = 1;
  for (int64_t d : small_dims) count *= d;
  if (count == 0) return runs;
  std::vector<int64_t> large_strides = RowMajorStrides(large_dims);
  // Dims [inner, rank) are identical in both tensors, so a run over them is contiguous in both;
  // dim inner - 1 (if any) may differ but is contiguous too.
  int inner = rank;
  while (inner > 0 && offset[inner - 1] == 0 && small_dims[inner - 1] == large_dims[inner - 1]) --inner;
  const int outer = std::max(inner - 1, 0);
  runs.run = 1;
  for (int d = outer; d < rank; ++d) runs.run *= small_dims[d];
  std::vector<int64_t> idx(outer, 0);
  for (int64_t i = 0; i < count; i += runs.run) {
    int64_t large = 0;
    for (int d = 0; d < outer; ++d) large += (idx[d] + offset[d]) * large_strides[d];
    if (outer < rank) large += offset[outer] * large_strides[outer];
    runs.offsets.emplace_back(i, large);
    for (int d = outer - 1; d >= 0; --d) {
      if (++idx[d] < small_dims[d]) break;
      idx[d] = 0;
    }
  }
  return runs;
}

void RegisterPadSliceOps(OpRegistry& r) {
  r.Register(Op("Pad").Input("input: T").Input("paddings: Tpaddings").Output("output: T").Attr("T: type")
                 .Attr("Tpaddings: {int32, int64} = DT_INT32").Shape(PadShape).Grad(PadGrad).Kernel(PadKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "pad"}));
  r.Register(Op("Slice").Input("input: T").Input("begin: Index").Input("size: Index").Output("output: T").Attr("T: type")
                 .Attr("Index: {int32, int64}").Shape(SliceShape).Grad(SliceGrad).Kernel(SliceKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "slice"}));
}

Output pad(const Output& x, const Tensor& paddings, const std::string& name) {
  if (!x) return Output();
  int64_t rows = paddings.dims().empty() ? 0 : paddings.dim(0);
  Tensor p = paddings.rank() == 1 ? paddings.Reshaped({rows / 2, 2}).value() : paddings;
  return MakeOp("Pad", {x, constant(p, "", x.graph())}, {}, name);
}

Output slice(const Output& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size, const std::string& name) {
  return MakeOp("Slice", {x, IntsLike(x, begin), IntsLike(x, size)}, {}, name);
}

}  // namespace kiln
