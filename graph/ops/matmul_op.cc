// MatMul: C = op(A) x op(B) with op = transpose or not. The reference kernel uses Eigen's GEMM so
// the reference path is fast enough to train the seed models. And _FusedMatMul, grappler's
// remapper's op for a product with its bias and ReLU, which Kiln's matmul_epilogue pass builds.
#include <Eigen/Core>

#include "graph/op_registry.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/math_ops.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMatrix<T>>;

Status MatMulKernel(KernelContext& c) {
  bool ta = c.attr<bool>("transpose_a"), tb = c.attr<bool>("transpose_b");
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  Tensor& out = c.output(0);
  return DispatchTypes<float, double, int32_t, int64_t>(a.dtype(), "MatMul", [&]<typename T>() {
    ConstMap<T> A(a.data<T>(), a.dim(0), a.dim(1));
    ConstMap<T> B(b.data<T>(), b.dim(0), b.dim(1));
    Eigen::Map<RowMatrix<T>> C(out.data<T>(), out.dim(0), out.dim(1));
    if (!ta && !tb) C.noalias() = A * B;
    else if (!ta && tb) C.noalias() = A * B.transpose();
    else if (ta && !tb) C.noalias() = A.transpose() * B;
    else C.noalias() = A.transpose() * B.transpose();
    return OkStatus();
  });
}

Status MatMulShape(InferenceContext& c) {
  Shape a, b;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 2, &a));
  KILN_RETURN_IF_ERROR(c.WithRank(1, 2, &b));
  bool ta = c.attr<bool>("transpose_a"), tb = c.attr<bool>("transpose_b");
  int64_t m = a.dim(ta ? 1 : 0), ka = a.dim(ta ? 0 : 1);
  int64_t kb = b.dim(tb ? 1 : 0), n = b.dim(tb ? 0 : 1);
  int64_t k;
  KILN_RETURN_IF_ERROR(c.MergeDim(ka, kb, &k));
  c.set_output_shape(0, Shape({m, n}));
  return OkStatus();
}

// The product, then + bias per column and, for [BiasAdd, Relu], max(0, .) (NaN stays NaN, as Relu's).
Status FusedMatMulKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(bool relu, BiasReluHasRelu("_FusedMatMul", c.attr<std::vector<std::string>>("fused_ops")));
  KILN_RETURN_IF_ERROR(MatMulKernel(c));
  return DispatchFloat(c.input(0).dtype(), "_FusedMatMul", [&]<typename T>() {
    AddBiasThenRelu(c.output(0).data<T>(), c.output(0).num_elements(), c.input(2).data<T>(), c.input(2).num_elements(),
                    relu);
    return OkStatus();
  });
}

Status FusedMatMulShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(MatMulShape(c));
  StatusOr<bool> relu = BiasReluHasRelu("_FusedMatMul", c.attr<std::vector<std::string>>("fused_ops"));
  if (!relu.ok()) return c.error(relu.status().message());
  Shape bias;
  KILN_RETURN_IF_ERROR(c.WithRank(2, 1, &bias));
  const Shape& b = c.input_shape(1);
  int64_t columns;
  return c.MergeDim(bias.dim(0), b.unknown_rank() ? -1 : b.dim(c.attr<bool>("transpose_b") ? 0 : 1), &columns);
}

// TF's _MatMulGrad: the four transpose cases.
Status MatMulGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  bool ta = op.attr<bool>("transpose_a"), tb = op.attr<bool>("transpose_b");
  Output a = op.input(0), b = op.input(1), g = dy[0];
  if (!ta && !tb) {
    (*dx)[0] = matmul(g, b, false, true);
    (*dx)[1] = matmul(a, g, true, false);
  } else if (!ta && tb) {
    (*dx)[0] = matmul(g, b, false, false);
    (*dx)[1] = matmul(g, a, true, false);
  } else if (ta && !tb) {
    (*dx)[0] = matmul(b, g, false, true);
    (*dx)[1] = matmul(a, g, false, false);
  } else {
    (*dx)[0] = matmul(b, g, true, true);
    (*dx)[1] = matmul(g, a, true, true);
  }
  return OkStatus();
}

}  // namespace

void RegisterMatMulOp(OpRegistry& r) {
  r.Register(Op("MatMul").Input("a: T").Input("b: T").Output("product: T")
                 .Attr("transpose_a: bool = false").Attr("transpose_b: bool = false")
                 .Attr("grad_a: bool = false").Attr("grad_b: bool = false")
                 .Attr("T: {float, double, int32, int64}")
                 .Shape(MatMulShape).Grad(MatMulGrad).Kernel(MatMulKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "gemm"}));
  // One bias argument (TF's takes a list of num_args). Built only after gradients: no gradient.
  r.Register(Op("_FusedMatMul").Input("a: T").Input("b: T").Input("bias: T").Output("product: T")
                 .Attr("transpose_a: bool = false").Attr("transpose_b: bool = false")
                 .Attr("T: {float, double}").Attr("num_args: int = 1").Attr("fused_ops: list(string) = []")
                 .Attr("epsilon: float = 0.0001").Attr("leakyrelu_alpha: float = 0.2")
                 .Shape(FusedMatMulShape).Kernel(FusedMatMulKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "fused_matmul"}));
}

Output matmul(const Output& a, const Output& b, bool transpose_a, bool transpose_b, const std::string& name) {
  return MakeOp("MatMul", {a, b}, {{"transpose_a", transpose_a}, {"transpose_b", transpose_b}}, name);
}

}  // namespace kiln
