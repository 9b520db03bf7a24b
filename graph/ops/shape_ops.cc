// Pack, Unpack, Transpose (+ InvertPermutation), ExpandDims, Squeeze and Tile: ops that rearrange
// elements without computing on them. Kernels move bytes (graph/ops/data_movement.h), so every
// dtype works; gradients are TF's array_grad.py. StridedSlice is in strided_slice_op.cc and
// ConcatV2 in concat_op.cc.
#include "graph/ops/shape_ops.h"

#include <algorithm>
#include <numeric>

#include "graph/op_registry.h"
#include "graph/ops/array_ops.h"
#include "graph/ops/data_movement.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/math_ops.h"
#include "graph/shape_inference.h"

namespace kiln {

void RegisterStridedSliceOps(OpRegistry& r);  // strided_slice_op.cc

namespace {

int64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) p *= dims[i];
  return p;
}

std::string DimsString(const std::vector<int64_t>& v) { return Shape(v).ToString(); }

// The kernel's view of its output against what shape inference promised (they differ only if the
// graph was changed under the executable; refusing beats writing out of bounds).
Status CheckOutputDims(KernelContext& c, int i, const std::vector<int64_t>& dims) {
  if (c.output(i).dims() == dims) return OkStatus();
  return c.error("computed output shape " + DimsString(dims) + " but the output buffer has shape " +
                 c.output(i).shape().ToString());
}

// A shape known only partly: the rank when known, else unknown rank.
Shape UnknownDims(int rank) { return rank < 0 ? Shape::UnknownRank() : Shape::Unknown(rank); }

// x's shape as a tensor for a gradient: a constant when fully known, else Shape(x).
Output ShapeOf(const Output& x, DataType dtype = DT_INT32) {
  if (x.shape().IsFullyDefined()) return constant(IntsToTensor(x.shape().dims(), dtype), "", x.graph());
  return shape(x, dtype);
}

// ---- Pack / Unpack ----

Status PackShape(InferenceContext& c) {
  Shape merged = Shape::UnknownRank();
  for (int i = 0; i < c.num_inputs(); ++i) {
    StatusOr<Shape> m = merged.Merge(c.input_shape(i));
    if (!m.ok()) {
      return c.error("Shapes of all inputs must match: values[0].shape = " + c.input_shape(0).ToString() +
                     " != values[" + std::to_string(i) + "].shape = " + c.input_shape(i).ToString());
    }
    merged = *m;
  }
  if (merged.unknown_rank()) {
    c.set_output_shape(0, Shape::UnknownRank());
    return OkStatus();
  }
  int rank = merged.rank() + 1;
  int64_t axis = c.attr<int64_t>("axis");
  if (axis < -rank || axis >= rank) {
    return c.error("Invalid axis: " + std::to_string(axis) + "; must be in [" + std::to_string(-rank) + "," +
                   std::to_string(rank) + ")");
  }
  if (axis < 0) axis += rank;
  std::vector<int64_t> dims = merged.dims();
  dims.insert(dims.begin() + axis, c.num_inputs());
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// out[o, k, i] = values[k][o, i], with o over the dims before `axis` and i over those after.
Status PackKernel(KernelContext& c) {
  Tensor& out = c.output(0);
  int64_t axis = c.attr<int64_t>("axis");
  if (axis < 0) axis += out.rank();
  int64_t n = c.num_inputs(), outer = Product(out.dims(), 0, axis), inner = Product(out.dims(), axis + 1, out.rank());
  for (int k = 0; k < n; ++k) {
    if (c.input(k).num_elements() != outer * inner) {
      return c.error("values[" + std::to_string(k) + "] has shape " + c.input(k).shape().ToString() +
                     ", which does not fit the output shape " + out.shape().ToString());
    }
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int k = 0; k < n; ++k) MoveElements(c.input(k), o * inner, out, (o * n + k) * inner, inner);
  }
  return OkStatus();
}

// d stack(values) = unstack(dy): each value gets its slice.
Status PackGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  std::vector<Output> parts = unstack(dy[0], op.num_inputs(), op.attr<int64_t>("axis"));
  for (size_t i = 0; i < parts.size() && i < dx->size(); ++i) (*dx)[i] = parts[i];
  return OkStatus();
}

Status UnpackShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  int64_t num = c.attr<int64_t>("num");
  if (in.unknown_rank()) {
    for (int i = 0; i < c.num_outputs(); ++i) c.set_output_shape(i, Shape::UnknownRank());
    return OkStatus();
  }
  int64_t axis = c.attr<int64_t>("axis");
  if (axis < -in.rank() || axis >= in.rank()) {
    return c.error("Invalid axis: " + std::to_string(axis) + "; must be in [" + std::to_string(-in.rank()) + "," +
                   std::to_string(in.rank()) + ")");
  }
  if (axis < 0) axis += in.rank();
  if (in.dim(axis) >= 0 && in.dim(axis) != num) {
    return c.error("Dimension must be " + std::to_string(num) + " but is " + std::to_string(in.dim(axis)) +
                   " (unstacking dimension " + std::to_string(axis) + " into num=" + std::to_string(num) + " tensors)");
  }
  std::vector<int64_t> dims = in.dims();
  dims.erase(dims.begin() + axis);
  for (int i = 0; i < c.num_outputs(); ++i) c.set_output_shape(i, Shape(dims));
  return OkStatus();
}

// output[k][o, i] = value[o, k, i].
Status UnpackKernel(KernelContext& c) {
  const Tensor& in = c.input(0);
  int64_t axis = c.attr<int64_t>("axis");
  if (axis < 0) axis += in.rank();
  int64_t n = c.num_outputs();
  if (axis < 0 || axis >= in.rank() || in.dim(axis) != n) {
    return c.error("cannot unstack a tensor of shape " + in.shape().ToString() + " into " + std::to_string(n) +
                   " tensors along axis " + std::to_string(c.attr<int64_t>("axis")));
  }
  int64_t outer = Product(in.dims(), 0, axis), inner = Product(in.dims(), axis + 1, in.rank());
  std::vector<int64_t> dims = in.dims();
  dims.erase(dims.begin() + axis);
  for (int k = 0; k < n; ++k) {
    KILN_RETURN_IF_ERROR(CheckOutputDims(c, k, dims));
    for (int64_t o = 0; o < outer; ++o) MoveElements(in, (o * n + k) * inner, c.output(k), o * inner, inner);
  }
  return OkStatus();
}

// d unstack(value) = stack(dys); an output nobody differentiates arrives as zeros.
Status UnpackGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = stack(dy, op.attr<int64_t>("axis"));
  return OkStatus();
}

// ---- Transpose / InvertPermutation ----

// Checks that `perm` is a permutation of [0, n); TF's kernel messages.
Status CheckPermutation(const std::vector<int64_t>& perm, const std::string& what) {
  int64_t n = static_cast<int64_t>(perm.size());
  std::vector<bool> seen(n, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= n) {
      return InvalidArgument(what + " " + DimsString(perm) + ": " + std::to_string(p) + " is out of range [0 .. " +
                             std::to_string(n) + ")");
    }
    if (seen[p]) return InvalidArgument(what + " " + DimsString(perm) + ": " + std::to_string(p) + " is duplicated");
    seen[p] = true;
  }
  return OkStatus();
}

std::vector<int64_t> InversePermutation(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int64_t>(i);
  return inv;
}

Status TransposeShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  Shape perm_shape;
  KILN_RETURN_IF_ERROR(c.WithRank(1, 1, &perm_shape));
  int rank = in.rank();
  if (rank >= 0 && perm_shape.dim(0) >= 0 && perm_shape.dim(0) != rank) {
    return c.error("transpose expects a vector of size " + std::to_string(rank) + " (the rank of x), but perm has " +
                   std::to_string(perm_shape.dim(0)) + " entries");
  }
  if (rank < 0 && perm_shape.dim(0) >= 0) rank = static_cast<int>(perm_shape.dim(0));
  std::vector<int64_t> perm;
  if (!c.InputAsInts(1, &perm)) {
    c.set_output_shape(0, UnknownDims(rank));
    return OkStatus();
  }
  Status s = CheckPermutation(perm, "perm");
  if (!s.ok()) return c.error(s.message());
  std::vector<int64_t> dims(perm.size(), -1);
  if (!in.unknown_rank()) {
    for (size_t i = 0; i < perm.size(); ++i) dims[i] = in.dim(static_cast<int>(perm[i]));
  }
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// y[i0, ..., in] = x at index j with j[perm[d]] = i[d]: walk y in order, stepping x by its
// permuted strides.
Status TransposeKernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> perm = TensorToInts(c.input(1));
  if (static_cast<int>(perm.size()) != x.rank()) {
    return c.error("transpose expects a vector of size " + std::to_string(x.rank()) + ", but perm has " +
                   std::to_string(perm.size()) + " entries");
  }
  Status s = CheckPermutation(perm, "perm");
  if (!s.ok()) return c.error(s.message());
  std::vector<int64_t> x_strides = RowMajorStrides(x.dims()), dims, strides;
  for (int64_t p : perm) {
    dims.push_back(x.dim(static_cast<int>(p)));
    strides.push_back(x_strides[p]);
  }
  KILN_RETURN_IF_ERROR(CheckOutputDims(c, 0, dims));
  return GatherStrided(x, c.output(0), dims, strides);
}

// d transpose(x, perm) = transpose(dy, invert_permutation(perm)).
Status TransposeGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  const Output& perm = op.input(1);
  std::vector<int64_t> p;
  if (const Tensor* v = perm.node->known_value(perm.index)) {
    p = TensorToInts(*v);
    (*dx)[0] = MakeOp("Transpose", {dy[0], constant(IntsToTensor(InversePermutation(p), perm.dtype()), "", perm.graph())}, {});
  } else {
    (*dx)[0] = MakeOp("Transpose", {dy[0], invert_permutation(perm)}, {});
  }
  return OkStatus();
}

Status InvertPermutationShape(InferenceContext& c) {
  Shape s;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 1, &s));
  c.set_output_shape(0, s);
  return OkStatus();
}

Status InvertPermutationKernel(KernelContext& c) {
  std::vector<int64_t> perm = TensorToInts(c.input(0));
  Status s = CheckPermutation(perm, "invert_permutation input");
  if (!s.ok()) return c.error(s.message());
  Tensor inv = IntsToTensor(InversePermutation(perm), c.output(0).dtype());
  MoveElements(inv, 0, c.output(0), 0, inv.num_elements());
  return OkStatus();
}

// ---- ExpandDims / Squeeze ----

Status CopyKernel(KernelContext& c) {
  if (c.input(0).num_elements() != c.output(0).num_elements()) {
    return c.error("input of shape " + c.input(0).shape().ToString() + " does not fit output shape " +
                   c.output(0).shape().ToString());
  }
  MoveElements(c.input(0), 0, c.output(0), 0, c.input(0).num_elements());
  return OkStatus();
}

Status ExpandDimsShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  std::vector<int64_t> dim;
  if (!c.InputAsInts(1, &dim)) {
    c.set_output_shape(0, UnknownDims(in.unknown_rank() ? -1 : in.rank() + 1));
    return OkStatus();
  }
  if (dim.size() != 1) {
    return c.error("'dim' input must be a tensor with a single value, got " + std::to_string(dim.size()) + " values");
  }
  if (in.unknown_rank()) {
    c.set_output_shape(0, Shape::UnknownRank());
    return OkStatus();
  }
  int rank = in.rank();
  int64_t d = dim[0];
  if (d < -rank - 1 || d > rank) {
    return c.error("Tried to expand dim index " + std::to_string(d) + " for tensor with " + std::to_string(rank) +
                   " dimensions.");
  }
  if (d < 0) d += rank + 1;
  std::vector<int64_t> dims = in.dims();
  dims.insert(dims.begin() + d, 1);
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// ExpandDims and Squeeze only relabel dimensions: the gradient is dy reshaped to x's shape.
Status ReshapeToInputGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0);
  (*dx)[0] = reshape(dy[0], ShapeOf(x));
  return OkStatus();
}

Status SqueezeShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  if (in.unknown_rank()) {
    c.set_output_shape(0, Shape::UnknownRank());
    return OkStatus();
  }
  int rank = in.rank();
  std::vector<bool> explicit_dim(rank, false);
  std::vector<int64_t> squeeze_dims = c.attr<std::vector<int64_t>>("squeeze_dims");
  for (int64_t d : squeeze_dims) {
    if (d < -rank || d >= rank) {
      return c.error("Tried to squeeze dim index " + std::to_string(d) + " for tensor with " + std::to_string(rank) +
                     " dimensions.");
    }
    explicit_dim[d < 0 ? d + rank : d] = true;
  }
  std::vector<int64_t> dims;
  for (int i = 0; i < rank; ++i) {
    int64_t d = in.dim(i);
    if (d < 0) {
      if (explicit_dim[i]) continue;  // assumed to be 1 at run time (checked then)
      if (squeeze_dims.empty()) {     // might be a 1: the rank is unknown (TF's rule)
        c.set_output_shape(0, Shape::UnknownRank());
        return OkStatus();
      }
    } else if (d == 1) {
      if (explicit_dim[i] || squeeze_dims.empty()) continue;
    } else if (explicit_dim[i]) {
      return c.error("Can not squeeze dim[" + std::to_string(i) + "], expected a dimension of 1, got " + std::to_string(d));
    }
    dims.push_back(d);
  }
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// ---- Tile ----

Status TileShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  Shape multiples_shape;
  KILN_RETURN_IF_ERROR(c.WithRank(1, 1, &multiples_shape));
  int rank = in.rank();
  if (rank >= 0 && multiples_shape.dim(0) >= 0 && multiples_shape.dim(0) != rank) {
    return c.error("Expected multiples argument to be a vector of length " + std::to_string(rank) + " but got length " +
                   std::to_string(multiples_shape.dim(0)));
  }
  if (rank < 0 && multiples_shape.dim(0) >= 0) rank = static_cast<int>(multiples_shape.dim(0));
  std::vector<int64_t> m;
  if (!c.InputAsInts(1, &m)) {
    c.set_output_shape(0, UnknownDims(rank));
    return OkStatus();
  }
  std::vector<int64_t> dims;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] < 0) {
      return c.error("Expected multiples argument to be non-negative, but got multiples[" + std::to_string(i) +
                     "] = " + std::to_string(m[i]));
    }
    int64_t d = in.unknown_rank() ? -1 : in.dim(static_cast<int>(i));
    dims.push_back(m[i] == 0 ? 0 : d < 0 ? -1 : d * m[i]);
  }
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

// Output dimension i of size m_i * d_i, read as the pair (repeat, index) of sizes [m_i, d_i],
// walks row-major exactly as the index space [m_0, d_0, m_1, d_1, ...] does; x's offset then
// has stride 0 along each repeat and x's own stride along each index.
Status TileKernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> m = TensorToInts(c.input(1));
  if (static_cast<int>(m.size()) != x.rank()) {
    return c.error("Expected multiples argument to be a vector of length " + std::to_string(x.rank()) +
                   " but got length " + std::to_string(m.size()));
  }
  std::vector<int64_t> x_strides = RowMajorStrides(x.dims()), out_dims, dims, strides;
  for (int i = 0; i < x.rank(); ++i) {
    if (m[i] < 0) return c.error("Expected multiples argument to be non-negative, but got " + DimsString(m));
    out_dims.push_back(m[i] * x.dim(i));
    dims.insert(dims.end(), {m[i], x.dim(i)});
    strides.insert(strides.end(), {0, x_strides[i]});
  }
  KILN_RETURN_IF_ERROR(CheckOutputDims(c, 0, out_dims));
  return GatherStrided(x, c.output(0), dims, strides);
}

// TF's _TileGrad: dy reshaped to [m_0, d_0, m_1, d_1, ...] and summed over the repeats.
Status TileGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0), multiples = op.input(1);
  std::vector<int64_t> m;
  const Tensor* mv = multiples.node->known_value(multiples.index);
  if (mv) m = TensorToInts(*mv);
  int rank = x.shape().rank();
  if (rank < 0 && mv) rank = static_cast<int>(m.size());
  if (rank < 0) {
    return Unimplemented("the gradient of Tile needs the rank of its input (node " + op.name() + ", input shape " +
                         x.shape().ToString() + ")");
  }
  std::vector<int64_t> repeat_axes;
  for (int i = 0; i < rank; ++i) repeat_axes.push_back(2 * i);
  Output split_shape;
  if (mv && x.shape().IsFullyDefined()) {
    std::vector<int64_t> split;
    for (int i = 0; i < rank; ++i) split.insert(split.end(), {m[i], x.shape().dim(i)});
    split_shape = IntsLike(x, split);
  } else {  // [[m_0, d_0], [m_1, d_1], ...] flattened, computed at run time
    Output pairs = transpose(stack({multiples, shape(x, multiples.dtype())}), {1, 0});
    split_shape = reshape(pairs, IntsLike(x, {-1}));
  }
  Output summed = rank == 0 ? dy[0] : reduce_sum(reshape(dy[0], split_shape), repeat_axes);
  (*dx)[0] = summed;
  return OkStatus();
}

}  // namespace

void RegisterShapeOps(OpRegistry& r) {
  const std::string kIndex = "{int32, int64} = DT_INT32";
  r.Register(Op("Pack").Input("values: N * T").Output("output: T").Attr("N: int >= 1").Attr("T: type")
                 .Attr("axis: int = 0").Shape(PackShape).Grad(PackGrad).Kernel(PackKernel)
                 .Doc("Stacks N tensors of one shape along a new axis (tf.stack)."));
  r.Register(Op("Unpack").Input("value: T").Output("output: num * T").Attr("num: int >= 0").Attr("T: type")
                 .Attr("axis: int = 0").Shape(UnpackShape).Grad(UnpackGrad).Kernel(UnpackKernel)
                 .Doc("Splits a tensor into num tensors along an axis, removing it (tf.unstack)."));
  r.Register(Op("Transpose").Input("x: T").Input("perm: Tperm").Output("y: T").Attr("T: type")
                 .Attr("Tperm: " + kIndex).Shape(TransposeShape).Grad(TransposeGrad).Kernel(TransposeKernel));
  r.Register(Op("InvertPermutation").Input("x: T").Output("y: T").Attr("T: " + kIndex)
                 .Shape(InvertPermutationShape).Kernel(InvertPermutationKernel).NotDifferentiable());
  r.Register(Op("ExpandDims").Input("input: T").Input("dim: Tdim").Output("output: T").Attr("T: type")
                 .Attr("Tdim: " + kIndex).Shape(ExpandDimsShape).Grad(ReshapeToInputGrad).Kernel(CopyKernel).SharesInputBuffer());
  // TF declares squeeze_dims as `list(int) >= 0 = []`; a minimum length of 0 constrains nothing.
  r.Register(Op("Squeeze").Input("input: T").Output("output: T").Attr("T: type").Attr("squeeze_dims: list(int) = []")
                 .Shape(SqueezeShape).Grad(ReshapeToInputGrad).Kernel(CopyKernel).SharesInputBuffer());
  r.Register(Op("Tile").Input("input: T").Input("multiples: Tmultiples").Output("output: T").Attr("T: type")
                 .Attr("Tmultiples: " + kIndex).Shape(TileShape).Grad(TileGrad).Kernel(TileKernel));
  RegisterStridedSliceOps(r);
}

// ---- builder API ----

Output stack(const std::vector<Output>& values, int64_t axis, const std::string& name) {
  if (values.empty()) return BuildError(nullptr, InvalidArgument("stack needs at least one tensor"));
  return MakeOp("Pack", values, {{"axis", axis}}, name.empty() ? "stack" : name);
}

std::vector<Output> unstack(const Output& value, int64_t num, int64_t axis, const std::string& name) {
  if (!value) return {};
  if (num < 0) {
    const Shape& s = value.shape();
    int64_t a = axis < 0 && !s.unknown_rank() ? axis + s.rank() : axis;
    if (s.unknown_rank() || a < 0 || a >= s.rank() || s.dim(static_cast<int>(a)) < 0) {
      BuildError(value.graph(), InvalidArgument("unstack: cannot infer num from shape " + s.ToString() + " along axis " +
                                                std::to_string(axis) + " of " + value.name()));
      return {};
    }
    num = s.dim(static_cast<int>(a));
  }
  Node* n = MakeNode("Unpack", {value}, {{"num", num}, {"axis", axis}}, name.empty() ? "unstack" : name);
  std::vector<Output> outputs(num);
  if (n) {
    for (int i = 0; i < num; ++i) outputs[i] = Output(n, i);
  }
  return outputs;
}

Output transpose(const Output& x, const std::vector<int64_t>& perm, const std::string& name) {
  if (!x) return Output();
  std::vector<int64_t> p = perm;
  if (p.empty()) {
    if (x.shape().unknown_rank()) {
      return BuildError(x.graph(), Unimplemented("transpose without perm needs a known rank; " + x.name() +
                                                 " has unknown rank"));
    }
    for (int i = x.shape().rank() - 1; i >= 0; --i) p.push_back(i);
  }
  return MakeOp("Transpose", {x, IntsLike(x, p)}, {}, name.empty() ? "transpose" : name);
}

Output invert_permutation(const Output& x, const std::string& name) { return MakeOp("InvertPermutation", {x}, {}, name); }

Output expand_dims(const Output& x, int64_t axis, const std::string& name) {
  if (!x) return Output();
  return MakeOp("ExpandDims", {x, constant(Tensor::Scalar<int32_t>(static_cast<int32_t>(axis)), "", x.graph())}, {}, name);
}

Output squeeze(const Output& x, const std::vector<int64_t>& axis, const std::string& name) {
  return MakeOp("Squeeze", {x}, {{"squeeze_dims", axis}}, name);
}

Output tile(const Output& x, const std::vector<int64_t>& multiples, const std::string& name) {
  return MakeOp("Tile", {x, IntsLike(x, multiples)}, {}, name);
}

}  // namespace kiln
