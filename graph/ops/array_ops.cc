// Array ops: placeholders, constants, identity, shapes and reshaping, one-hot, fills.
#include "graph/ops/array_ops.h"

#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/elementwise.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/math_ops.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

// ---- kernels ----

// Element copy that also covers string tensors (whose elements are std::string objects).
void CopyElements(const Tensor& from, Tensor& to) {
  if (from.dtype() == DT_STRING) {
    std::copy_n(from.strings(), from.num_elements(), to.strings());
  } else if (from.num_bytes()) {
    std::memcpy(to.raw_data(), from.raw_data(), from.num_bytes());
  }
}

Status CopyInputKernel(KernelContext& c) {
  CopyElements(c.input(0), c.output(0));
  return OkStatus();
}

Status ConstKernel(KernelContext& c) {
  CopyElements(c.node().attr<Tensor>("value"), c.output(0));
  return OkStatus();
}

Status PlaceholderKernel(KernelContext& c) {
  return c.error("You must feed a value for placeholder tensor '" + c.node().name() + "' with dtype " +
                 DataTypeName(c.node().attr<DataType>("dtype")) + " and shape " +
                 c.node().attr<Shape>("shape").ToString());
}

Status ShapeNKernel(KernelContext& c) {
  for (int i = 0; i < c.num_inputs(); ++i) {
    Tensor t = IntsToTensor(c.input(i).dims(), c.output(i).dtype());
    std::memcpy(c.output(i).raw_data(), t.raw_data(), t.num_bytes());
  }
  return OkStatus();
}

Status SizeKernel(KernelContext& c) {
  if (c.output(0).dtype() == DT_INT64) c.output(0).data<int64_t>()[0] = c.input(0).num_elements();
  else c.output(0).data<int32_t>()[0] = static_cast<int32_t>(c.input(0).num_elements());
  return OkStatus();
}

Status FillValue(Tensor& out, const Tensor& value) {
  return DispatchAll(out.dtype(), "Fill", [&]<typename T>() {
    T v = value.data<T>()[0];
    for (int64_t i = 0; i < out.num_elements(); ++i) out.data<T>()[i] = v;
    return OkStatus();
  });
}

Status OneHotKernel(KernelContext& c) {
  const Tensor& indices = c.input(0);
  int64_t depth = TensorToInts(c.input(1))[0];
  int64_t axis = c.attr<int64_t>("axis");
  int rank = indices.rank();
  if (axis < 0) axis = rank;  // -1: the new axis is last
  // Output dims = indices dims with `depth` inserted at `axis`: outer x depth x inner.
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= indices.dim(i);
  for (int i = axis; i < rank; ++i) inner *= indices.dim(i);
  std::vector<int64_t> idx = TensorToInts(indices);
  return DispatchAll(c.output(0).dtype(), "OneHot", [&]<typename T>() {
    T on = c.input(2).data<T>()[0], off = c.input(3).data<T>()[0];
    T* out = c.output(0).data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t d = 0; d < depth; ++d)
        for (int64_t i = 0; i < inner; ++i)
          out[(o * depth + d) * inner + i] = idx[o * inner + i] == d ? on : off;
    return OkStatus();
  });
}

// Copies `n` elements of `elem` bytes from each of `count` runs; a typed loop for the common sizes
// so that no element costs a library call.
void FillRun(char* out, const char* value, int64_t count, int64_t elem) {
  if (elem == 4) {
    uint32_t v;
    std::memcpy(&v, value, 4);
    std::fill_n(reinterpret_cast<uint32_t*>(out), count, v);
  } else if (elem == 8) {
    uint64_t v;
    std::memcpy(&v, value, 8);
    std::fill_n(reinterpret_cast<uint64_t*>(out), count, v);
  } else {
    for (int64_t i = 0; i < count; ++i) std::memcpy(out + i * elem, value, elem);
  }
}

// Output rows (all dims but the last) are walked with a BroadcastCursor over the leading dims;
// each row is one memcpy of an input row, or a fill when the last dim is broadcast too.
// A row-wise walk, not an element-wise one: mean_grad/variance_grad broadcast [1, C] to [N, C] in
// every batch-norm backward pass.
Status BroadcastToKernel(KernelContext& c) {
  const std::vector<int64_t>& out_dims = c.output(0).dims();
  const std::vector<int64_t>& in_dims = c.input(0).dims();
  const int64_t n = c.output(0).num_elements();
  if (n == 0) return OkStatus();
  if (c.output(0).dtype() == DT_STRING) {  // objects: assigned one by one
    BroadcastCursor from(out_dims, in_dims);
    for (int64_t i = 0; i < n; ++i, from.Next()) {
      c.output(0).data<std::string>()[i] = c.input(0).data<std::string>()[from.offset()];
    }
    return OkStatus();
  }
  const char* in = static_cast<const char*>(c.input(0).raw_data());
  char* out = static_cast<char*>(c.output(0).raw_data());
  const int64_t elem = DataTypeSize(c.output(0).dtype());
  if (out_dims.empty()) {  // a scalar to a scalar
    std::memcpy(out, in, elem);
    return OkStatus();
  }
  const int64_t inner = out_dims.back(), rows = n / inner;
  const bool inner_broadcast = in_dims.empty() || (in_dims.back() == 1 && inner != 1);
  BroadcastCursor row(out_dims, in_dims, static_cast<int>(out_dims.size()) - 1);
  for (int64_t r = 0; r < rows; ++r, row.Next()) {
    char* dst = out + r * inner * elem;
    if (inner_broadcast) {
      FillRun(dst, in + row.offset() * elem, inner, elem);
    } else {
      std::memcpy(dst, in + row.offset() * elem, inner * elem);
    }
  }
  return OkStatus();
}

// r0, r1 = the axes along which each input was broadcast (what its gradient must sum over).
std::pair<std::vector<int64_t>, std::vector<int64_t>> BroadcastGradientAxes(std::vector<int64_t> a,
                                                                           std::vector<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  a.insert(a.begin(), rank - a.size(), 1);
  b.insert(b.begin(), rank - b.size(), 1);
  std::vector<int64_t> ra, rb;
  for (size_t i = 0; i < rank; ++i) {
    if (a[i] == 1 && b[i] != 1) ra.push_back(i);
    else if (b[i] == 1 && a[i] != 1) rb.push_back(i);
    else if (a[i] == 1 && b[i] == 1) { ra.push_back(i); rb.push_back(i); }
  }
  return {ra, rb};
}

Status BroadcastGradientArgsKernel(KernelContext& c) {
  auto [ra, rb] = BroadcastGradientAxes(TensorToInts(c.input(0)), TensorToInts(c.input(1)));
  if (c.output(0).num_elements() != static_cast<int64_t>(ra.size()) ||
      c.output(1).num_elements() != static_cast<int64_t>(rb.size())) {
    return c.error("BroadcastGradientArgs: output sizes disagree with shape inference");
  }
  for (int k = 0; k < 2; ++k) {
    Tensor t = IntsToTensor(k == 0 ? ra : rb, c.output(k).dtype());
    if (t.num_bytes()) std::memcpy(c.output(k).raw_data(), t.raw_data(), t.num_bytes());
  }
  return OkStatus();
}

// ---- shape functions ----

Status PlaceholderShape(InferenceContext& c) {
  c.set_output_shape(0, c.attr<Shape>("shape"));
  return OkStatus();
}

Status PlaceholderWithDefaultShape(InferenceContext& c) {
  Shape declared = c.attr<Shape>("shape");
  if (!declared.IsCompatibleWith(c.input_shape(0))) {
    return c.error("The default value of shape " + c.input_shape(0).ToString() +
                   " is incompatible with the placeholder shape " + declared.ToString());
  }
  c.set_output_shape(0, declared);
  return OkStatus();
}

Status ConstShape(InferenceContext& c) {
  const Tensor& v = c.attr<Tensor>("value");
  if (v.dtype() != c.attr<DataType>("dtype")) {
    return c.error("Const value has dtype " + DataTypeName(v.dtype()) + " but attr dtype is " +
                   DataTypeName(c.attr<DataType>("dtype")));
  }
  c.set_output_shape(0, v.shape());
  c.set_output_value(0, v);  // shares the attr's buffer: known at any size, no copy
  return OkStatus();
}

// Reshape: `shape` may hold one -1, inferred from the element count (TF's rules and messages).
Status ReshapeShape(InferenceContext& c) {
  KILN_ASSIGN_OR_RETURN(Shape target, c.InputAsPartialShape(1));
  if (target.unknown_rank()) {
    c.set_output_shape(0, target);
    return OkStatus();
  }
  const Shape& in = c.input_shape(0);
  int64_t in_elems = in.num_elements();
  int64_t known = 1;
  int unknown_at = -1, unknowns = 0;
  for (int i = 0; i < target.rank(); ++i) {
    if (target.dim(i) < 0) { unknown_at = i; ++unknowns; }
    else known *= target.dim(i);
  }
  std::vector<int64_t> explicit_dims;
  bool from_value = c.InputAsInts(1, &explicit_dims);
  if (from_value) {
    int minus_ones = 0;
    for (int64_t d : explicit_dims) {
      if (d < -1) return c.error("Size " + std::to_string(d) + " must be non-negative, not " + std::to_string(d));
      if (d == -1) ++minus_ones;
    }
    if (minus_ones > 1) return c.error("Cannot infer multiple unknown dimensions in shape " + target.ToString());
  }
  if (unknowns == 0 && in_elems >= 0 && in_elems != known) {
    return c.error("Cannot reshape a tensor with " + std::to_string(in_elems) + " elements to shape " +
                   target.ToString() + " (" + std::to_string(known) + " elements)");
  }
  if (unknowns == 1 && in_elems >= 0 && from_value) {
    if (known == 0 || in_elems % known != 0) {
      return c.error("Cannot reshape a tensor with " + std::to_string(in_elems) + " elements to shape " +
                     target.ToString() + ": the number of elements is not a multiple of " + std::to_string(known));
    }
    target.set_dim(unknown_at, in_elems / known);
  }
  c.set_output_shape(0, target);
  return OkStatus();
}

// Shape, and TF's ShapeN: the shapes of N tensors at once (TF's Conv2D gradient asks for input
// and filter shapes this way). Output i is input i's shape.
Status ShapeNShape(InferenceContext& c) {
  for (int i = 0; i < c.num_inputs(); ++i) {
    const Shape& in = c.input_shape(i);
    c.set_output_shape(i, Shape({in.rank()}));
    if (in.IsFullyDefined()) c.set_output_value(i, IntsToTensor(in.dims(), c.attr<DataType>("out_type")));
  }
  return OkStatus();
}

Status SizeShape(InferenceContext& c) {
  c.set_output_shape(0, Shape::Scalar());
  int64_t n = c.input_shape(0).num_elements();
  if (n >= 0) {
    Tensor t = c.attr<DataType>("out_type") == DT_INT64 ? Tensor::Scalar<int64_t>(n) : Tensor::Scalar<int32_t>(static_cast<int32_t>(n));
    c.set_output_value(0, t);
  }
  return OkStatus();
}

Status OneHotShape(InferenceContext& c) {
  const Shape& in = c.input_shape(0);
  std::vector<int64_t> depth;
  int64_t d = c.InputAsInts(1, &depth) ? depth[0] : -1;
  if (d < -1 || (c.input_value(1) && d < 0)) return c.error("depth must be non-negative, got " + std::to_string(d));
  if (in.unknown_rank()) { c.set_output_shape(0, Shape::UnknownRank()); return OkStatus(); }
  int64_t axis = c.attr<int64_t>("axis");
  if (axis < -1 || axis > in.rank()) return c.error("Expected axis to be -1 or between [0, " + std::to_string(in.rank()) + "). But received: " + std::to_string(axis));
  std::vector<int64_t> dims = in.dims();
  dims.insert(dims.begin() + (axis < 0 ? in.rank() : axis), d);
  c.set_output_shape(0, Shape(dims));
  return OkStatus();
}

Status FillShape(InferenceContext& c) {
  KILN_ASSIGN_OR_RETURN(Shape target, c.InputAsPartialShape(0));
  c.set_output_shape(0, target);
  return OkStatus();
}

Status BroadcastToShape(InferenceContext& c) {
  KILN_ASSIGN_OR_RETURN(Shape target, c.InputAsPartialShape(1));
  Shape out;
  KILN_RETURN_IF_ERROR(c.BroadcastShapes(c.input_shape(0), target, &out));
  if (!target.unknown_rank() && out.rank() != target.rank()) return c.error("BroadcastTo cannot reduce rank");
  c.set_output_shape(0, target.unknown_rank() ? out : *target.Merge(out));
  return OkStatus();
}

Status BroadcastGradientArgsShape(InferenceContext& c) {
  std::vector<int64_t> a, b;
  if (c.InputAsInts(0, &a) && c.InputAsInts(1, &b)) {
    auto [ra, rb] = BroadcastGradientAxes(a, b);
    DataType t = c.attr<DataType>("T");
    c.set_output_shape(0, Shape({static_cast<int64_t>(ra.size())}));
    c.set_output_shape(1, Shape({static_cast<int64_t>(rb.size())}));
    c.set_output_value(0, IntsToTensor(ra, t));
    c.set_output_value(1, IntsToTensor(rb, t));
    return OkStatus();
  }
  c.set_output_shape(0, Shape::Unknown(1));
  c.set_output_shape(1, Shape::Unknown(1));
  return OkStatus();
}

// ---- gradients ----

Status IdentityGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = dy[0];
  return OkStatus();
}

Status ReshapeGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  const Shape& s = op.input(0).shape();
  (*dx)[0] = s.IsFullyDefined() ? reshape(dy[0], s.dims()) : reshape(dy[0], shape(op.input(0)));
  return OkStatus();
}

Status BroadcastToGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = SumToShapeOf(dy[0], op.input(0));
  return OkStatus();
}

Status FillGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[1] = reduce_sum(dy[0]);
  return OkStatus();
}

}  // namespace

void RegisterArrayOps(OpRegistry& r) {
  RegisterPadSliceOps(r);
  const std::string kAll = "T: {float, double, int32, int64, uint8, bool}";
  r.Register(Op("Placeholder").Output("output: dtype").Attr("dtype: type").Attr("shape: shape = unknown")
                 .Shape(PlaceholderShape).Kernel(PlaceholderKernel).NotDifferentiable()
                 .Doc("A value that must be fed at run time."));
  r.Register(Op("PlaceholderWithDefault").Input("input: dtype").Output("output: dtype").Attr("dtype: type")
                 .Attr("shape: shape").Shape(PlaceholderWithDefaultShape).Grad(IdentityGrad).Kernel(CopyInputKernel));
  r.Register(Op("Const").Output("output: dtype").Attr("value: tensor").Attr("dtype: type")
                 .Shape(ConstShape).Kernel(ConstKernel).NotDifferentiable());
  // Inside a fused cluster a copy is the value itself.
  auto same_value = LowerUnary([](ExprBuilder&, ExprValue x) { return x; });
  r.Register(Op("Identity").Input("input: T").Output("output: T").Attr("T: type")
                 .Shape(UnchangedShape).Grad(IdentityGrad).Kernel(CopyInputKernel).ForwardsRefInput()
                 .SharesInputBuffer().Elementwise(same_value));
  r.Register(Op("StopGradient").Input("input: T").Output("output: T").Attr("T: type")
                 .Shape(UnchangedShape).Kernel(CopyInputKernel).NotDifferentiable().SharesInputBuffer()
                 .Elementwise(same_value));
  r.Register(Op("Reshape").Input("tensor: T").Input("shape: Tshape").Output("output: T").Attr("T: type")
                 .Attr("Tshape: {int32, int64} = DT_INT32").Shape(ReshapeShape).Grad(ReshapeGrad).Kernel(CopyInputKernel)
                 .SharesInputBuffer());
  r.Register(Op("Shape").Input("input: T").Output("output: out_type").Attr("T: type")
                 .Attr("out_type: {int32, int64} = DT_INT32").Shape(ShapeNShape).Kernel(ShapeNKernel).NotDifferentiable());
  r.Register(Op("ShapeN").Input("input: N * T").Output("output: N * out_type").Attr("N: int >= 1").Attr("T: type")
                 .Attr("out_type: {int32, int64} = DT_INT32").Shape(ShapeNShape).Kernel(ShapeNKernel).NotDifferentiable());
  r.Register(Op("Size").Input("input: T").Output("output: out_type").Attr("T: type")
                 .Attr("out_type: {int32, int64} = DT_INT32").Shape(SizeShape).Kernel(SizeKernel).NotDifferentiable());
  r.Register(Op("OneHot").Input("indices: TI").Input("depth: int32").Input("on_value: T").Input("off_value: T")
                 .Output("output: T").Attr("axis: int = -1").Attr(kAll).Attr("TI: {uint8, int32, int64} = DT_INT64")
                 .Shape(OneHotShape).Kernel(OneHotKernel).NotDifferentiable());
  r.Register(Op("ZerosLike").Input("x: T").Output("y: T").Attr(kAll).Shape(UnchangedShape)
                 .Kernel([](KernelContext& c) { std::memset(c.output(0).raw_data(), 0, c.output(0).num_bytes()); return OkStatus(); })
                 .NotDifferentiable().Elementwise(LowerUnary([](ExprBuilder& b, ExprValue x) { return b.ConstantLike(x, 0); })));
  r.Register(Op("OnesLike").Input("x: T").Output("y: T").Attr(kAll).Shape(UnchangedShape)
                 .Kernel([](KernelContext& c) {
                   return DispatchAll(c.output(0).dtype(), "OnesLike", [&]<typename T>() {
                     for (int64_t i = 0; i < c.output(0).num_elements(); ++i) c.output(0).data<T>()[i] = T(1);
                     return OkStatus();
                   });
                 })
                 .NotDifferentiable().Elementwise(LowerUnary([](ExprBuilder& b, ExprValue x) { return b.ConstantLike(x, 1); })));
  r.Register(Op("Fill").Input("dims: index_type").Input("value: T").Output("output: T").Attr("T: type")
                 .Attr("index_type: {int32, int64} = DT_INT32").Shape(FillShape).Grad(FillGrad)
                 .Kernel([](KernelContext& c) { return FillValue(c.output(0), c.input(1)); }));
  r.Register(Op("BroadcastTo").Input("input: T").Input("shape: Tidx").Output("output: T").Attr("T: type")
                 .Attr("Tidx: {int32, int64} = DT_INT32").Shape(BroadcastToShape).Grad(BroadcastToGrad)
                 // Fused, the value is the input itself: a cluster's inputs broadcast against its
                 // shape as they are read, and the shape operand only says what the output's shape is.
                 .Kernel(BroadcastToKernel).Elementwise(same_value, /*expr_inputs=*/1));
  r.Register(Op("BroadcastGradientArgs").Input("s0: T").Input("s1: T").Output("r0: T").Output("r1: T")
                 .Attr("T: {int32, int64} = DT_INT32").Shape(BroadcastGradientArgsShape)
                 .Kernel(BroadcastGradientArgsKernel).NotDifferentiable());
}

// ---- builder API ----

Output placeholder(DataType dtype, const Shape& shape, const std::string& name) {
  return MakeOp("Placeholder", {}, {{"dtype", dtype}, {"shape", shape}}, name.empty() ? "Placeholder" : name);
}

Output placeholder_with_default(const Output& input, const Shape& shape, const std::string& name) {
  if (!input) return Output();
  return MakeOp("PlaceholderWithDefault", {input}, {{"dtype", input.dtype()}, {"shape", shape}}, name);
}

Output constant(const Tensor& value, const std::string& name, Graph* graph) {
  if (!value.valid()) return BuildError(graph, InvalidArgument("constant(): invalid tensor value"));
  return MakeOp("Const", {}, {{"value", value}, {"dtype", value.dtype()}}, name.empty() ? "Const" : name, graph);
}

namespace {
Tensor ScalarOfType(DataType dtype, double v) {
  Tensor t(dtype, {});
  Status s = DispatchAll(dtype, "constant", [&]<typename T>() { t.data<T>()[0] = static_cast<T>(v); return OkStatus(); });
  (void)s;
  return t;
}
}  // namespace

Output constant(double value, DataType dtype, const std::string& name) {
  return constant(ScalarOfType(dtype, value), name);
}

Output constant(const std::vector<float>& values, const std::vector<int64_t>& dims, const std::string& name) {
  Tensor t = Tensor::FromVector<float>(values, dims);
  if (t.num_elements() != static_cast<int64_t>(values.size())) {
    return BuildError(nullptr, InvalidArgument("constant(): " + std::to_string(values.size()) +
                                               " values do not fill shape " + Shape(dims).ToString()));
  }
  return constant(t, name);
}

Output constant(const std::vector<int32_t>& values, const std::string& name) {
  return constant(Tensor::FromVector<int32_t>(values, {static_cast<int64_t>(values.size())}), name);
}

Output ScalarLike(const Output& like, double value) {
  if (!like) return Output();
  return constant(ScalarOfType(like.dtype(), value), "", like.graph());
}

Output IntsLike(const Output& like, const std::vector<int64_t>& values) {
  if (!like) return Output();
  return constant(IntsToTensor(values), "", like.graph());
}

Output identity(const Output& x, const std::string& name) { return MakeOp("Identity", {x}, {}, name); }
Output stop_gradient(const Output& x, const std::string& name) { return MakeOp("StopGradient", {x}, {}, name); }

Output reshape(const Output& x, const std::vector<int64_t>& shape, const std::string& name) {
  return reshape(x, IntsLike(x, shape), name);
}
Output reshape(const Output& x, const Output& shape, const std::string& name) {
  return MakeOp("Reshape", {x, shape}, {}, name);
}
Output shape(const Output& x, DataType out_type, const std::string& name) {
  return MakeOp("Shape", {x}, {{"out_type", out_type}}, name);
}
Output size(const Output& x, DataType out_type, const std::string& name) {
  return MakeOp("Size", {x}, {{"out_type", out_type}}, name);
}

Output one_hot(const Output& indices, int64_t depth, double on_value, double off_value, int64_t axis,
               DataType dtype, const std::string& name) {
  if (!indices) return Output();
  Graph* g = indices.graph();
  Output d = constant(Tensor::Scalar<int32_t>(static_cast<int32_t>(depth)), "", g);
  Output on = constant(ScalarOfType(dtype, on_value), "", g);
  Output off = constant(ScalarOfType(dtype, off_value), "", g);
  return MakeOp("OneHot", {indices, d, on, off}, {{"axis", axis}}, name);
}

Output zeros_like(const Output& x, const std::string& name) { return MakeOp("ZerosLike", {x}, {}, name); }
Output ones_like(const Output& x, const std::string& name) { return MakeOp("OnesLike", {x}, {}, name); }
Output fill(const Output& dims, const Output& value, const std::string& name) {
  return MakeOp("Fill", {dims, value}, {}, name);
}

Output zeros(const std::vector<int64_t>& shape, DataType dtype, const std::string& name) {
  Graph& g = get_default_graph();
  return fill(constant(IntsToTensor(shape), "", &g), constant(ScalarOfType(dtype, 0), "", &g), name.empty() ? "zeros" : name);
}
Output ones(const std::vector<int64_t>& shape, DataType dtype, const std::string& name) {
  Graph& g = get_default_graph();
  return fill(constant(IntsToTensor(shape), "", &g), constant(ScalarOfType(dtype, 1), "", &g), name.empty() ? "ones" : name);
}
Output broadcast_to(const Output& x, const Output& shape, const std::string& name) {
  return MakeOp("BroadcastTo", {x, shape}, {}, name);
}

}  // namespace kiln
