// Neural-network ops over the last axis or channels: Softmax, LogSoftmax, Relu, BiasAdd, and the
// fused softmax cross-entropy.
#include "graph/ops/nn_ops.h"

#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/array_ops.h"
#include "graph/ops/elementwise.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/math_ops.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

// Rows of the last axis: (rows, cols) view of a tensor.
std::pair<int64_t, int64_t> RowsCols(const Tensor& t) {
  int64_t cols = t.rank() ? t.dim(t.rank() - 1) : 1;
  return {cols ? t.num_elements() / cols : 0, cols};
}

// Numerically stable (max-subtracted) softmax or log-softmax of each row.
template <bool kLog>
Status SoftmaxKernel(KernelContext& c) {
  auto [rows, cols] = RowsCols(c.input(0));
  return DispatchFloat(c.input(0).dtype(), c.node().op(), [&]<typename T>() {
    const T* x = c.input(0).data<T>();
    T* y = c.output(0).data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      T m = *std::max_element(xr, xr + cols);
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j) sum += std::exp(static_cast<double>(xr[j] - m));
      for (int64_t j = 0; j < cols; ++j) {
        yr[j] = kLog ? static_cast<T>(xr[j] - m - std::log(sum)) : static_cast<T>(std::exp(static_cast<double>(xr[j] - m)) / sum);
      }
    }
    return OkStatus();
  });
}

Status SoftmaxShape(InferenceContext& c) {
  Shape s;
  KILN_RETURN_IF_ERROR(c.WithRankAtLeast(0, 1, &s));
  c.set_output_shape(0, s);
  return OkStatus();
}

// d softmax: dx = (dy - sum(dy * y, -1, keepdims)) * y
Status SoftmaxGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output y(const_cast<Node*>(&op), 0);
  (*dx)[0] = (dy[0] - reduce_sum(dy[0] * y, {-1}, true)) * y;
  return OkStatus();
}

// d log_softmax: dx = dy - sum(dy, -1, keepdims) * exp(y)
Status LogSoftmaxGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output y(const_cast<Node*>(&op), 0);
  (*dx)[0] = dy[0] - reduce_sum(dy[0], {-1}, true) * exp(y);
  return OkStatus();
}

Status ReluKernel(KernelContext& c) {
  return DispatchNumeric(c.input(0).dtype(), "Relu", [&]<typename T>() {
    const T* x = c.input(0).data<T>();
    T* y = c.output(0).data<T>();
    // x < 0 rather than x > 0: NaN stays NaN, as TF's CPU kernel returns it.
    for (int64_t i = 0; i < c.output(0).num_elements(); ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
    return OkStatus();
  });
}

Status ReluGradKernel(KernelContext& c) {
  return DispatchNumeric(c.input(0).dtype(), "ReluGrad", [&]<typename T>() {
    const T* g = c.input(0).data<T>();
    const T* f = c.input(1).data<T>();
    T* out = c.output(0).data<T>();
    for (int64_t i = 0; i < c.output(0).num_elements(); ++i) out[i] = f[i] > T(0) ? g[i] : T(0);
    return OkStatus();
  });
}

// As TF's _ReluGrad, on the Relu's output (y > 0 exactly where x > 0): the pre-activation then
// has the Relu as its only reader, so a convolution's bias and ReLU can fuse into it.
Status ReluGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = MakeOp("ReluGrad", {dy[0], Output(const_cast<Node*>(&op), 0)}, {});
  return OkStatus();
}

Status SameShapeBinary(InferenceContext& c) {
  StatusOr<Shape> m = c.input_shape(0).Merge(c.input_shape(1));
  if (!m.ok()) return c.error("Incompatible shapes: " + m.status().message());
  c.set_output_shape(0, *m);
  return OkStatus();
}

// The channel axis of BiasAdd: last for NHWC, 1 for NCHW.
int ChannelAxis(const std::string& format, int rank) { return format == "NCHW" ? 1 : rank - 1; }

Status BiasAddKernel(KernelContext& c) {
  const Tensor& x = c.input(0);
  int axis = ChannelAxis(c.attr<std::string>("data_format"), x.rank());
  int64_t channels = x.dim(axis), inner = 1;
  for (int i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  return DispatchNumeric(x.dtype(), "BiasAdd", [&]<typename T>() {
    const T* in = x.data<T>();
    const T* b = c.input(1).data<T>();
    T* out = c.output(0).data<T>();
    for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = in[i] + b[(i / inner) % channels];
    return OkStatus();
  });
}

Status BiasAddShape(InferenceContext& c) {
  Shape x, b;
  KILN_RETURN_IF_ERROR(c.WithRankAtLeast(0, 2, &x));
  KILN_RETURN_IF_ERROR(c.WithRank(1, 1, &b));
  if (x.unknown_rank()) { c.set_output_shape(0, x); return OkStatus(); }
  int axis = ChannelAxis(c.attr<std::string>("data_format"), x.rank());
  int64_t merged;
  KILN_RETURN_IF_ERROR(c.MergeDim(x.dim(axis), b.dim(0), &merged));
  x.set_dim(axis, merged);
  c.set_output_shape(0, x);
  return OkStatus();
}

Status BiasAddGradKernel(KernelContext& c) {
  const Tensor& g = c.input(0);
  int axis = ChannelAxis(c.attr<std::string>("data_format"), g.rank());
  int64_t channels = g.dim(axis), inner = 1;
  for (int i = axis + 1; i < g.rank(); ++i) inner *= g.dim(i);
  return DispatchNumeric(g.dtype(), "BiasAddGrad", [&]<typename T>() {
    std::vector<double> acc(channels, 0.0);
    const T* in = g.data<T>();
    for (int64_t i = 0; i < g.num_elements(); ++i) acc[(i / inner) % channels] += in[i];
    for (int64_t k = 0; k < channels; ++k) c.output(0).data<T>()[k] = static_cast<T>(acc[k]);
    return OkStatus();
  });
}

Status BiasAddGradShape(InferenceContext& c) {
  Shape g;
  KILN_RETURN_IF_ERROR(c.WithRankAtLeast(0, 2, &g));
  if (g.unknown_rank()) { c.set_output_shape(0, Shape::Unknown(1)); return OkStatus(); }
  c.set_output_shape(0, Shape({g.dim(ChannelAxis(c.attr<std::string>("data_format"), g.rank()))}));
  return OkStatus();
}

Status BiasAddGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  (*dx)[0] = dy[0];
  (*dx)[1] = MakeOp("BiasAddGrad", {dy[0]}, {{"data_format", op.attr<std::string>("data_format")}});
  return OkStatus();
}

// loss[r] = -sum_j labels[r,j] * log_softmax(logits)[r,j]; backprop = softmax(logits) - labels.
Status SoftmaxXentKernel(KernelContext& c) {
  auto [rows, cols] = RowsCols(c.input(0));
  return DispatchFloat(c.input(0).dtype(), "SoftmaxCrossEntropyWithLogits", [&]<typename T>() {
    const T* x = c.input(0).data<T>();
    const T* lab = c.input(1).data<T>();
    T* loss = c.output(0).data<T>();
    T* back = c.output(1).data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = x + r * cols;
      const T* lr = lab + r * cols;
      T m = cols ? *std::max_element(xr, xr + cols) : T(0);
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j) sum += std::exp(static_cast<double>(xr[j] - m));
      double log_sum = std::log(sum), l = 0;
      for (int64_t j = 0; j < cols; ++j) {
        double log_p = static_cast<double>(xr[j] - m) - log_sum;
        l -= static_cast<double>(lr[j]) * log_p;
        back[r * cols + j] = static_cast<T>(std::exp(log_p) - static_cast<double>(lr[j]));
      }
      loss[r] = static_cast<T>(l);
    }
    return OkStatus();
  });
}

Status SoftmaxXentShape(InferenceContext& c) {
  Shape logits, labels;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 2, &logits));
  KILN_RETURN_IF_ERROR(c.WithRank(1, 2, &labels));
  StatusOr<Shape> m = logits.Merge(labels);
  if (!m.ok()) return c.error("logits and labels must be same size: logits_size=" + logits.ToString() + " labels_size=" + labels.ToString());
  c.set_output_shape(0, Shape({m->dim(0)}));
  c.set_output_shape(1, *m);
  return OkStatus();
}

// The backprop output (p - labels, p = softmax(logits)) differentiated with gradient gg: its
// Jacobian w.r.t. logits is the softmax Jacobian, giving (gg - sum(gg * p)) * p. Null when gg is
// absent or the gradients pass's ZerosLike filler (TF's `_is_zeros_tensor` check), so first-order
// training graphs carry no extra nodes.
Output BackpropOutputGrad(const Output& gg, const Output& logits) {
  if (!gg || gg.node->op() == "ZerosLike") return Output();
  Output p = nn::softmax(logits);
  return (gg - reduce_sum(gg * p, {1}, true)) * p;
}

// TF's _SoftmaxCrossEntropyWithLogitsGrad: d logits = dloss[:,None] * backprop (+ the term
// above); d labels = dloss[:,None] * -log_softmax(logits), and -gg through backprop, which TF
// leaves out.
Status SoftmaxXentGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output backprop(const_cast<Node*>(&op), 1);
  Output g = reshape(dy[0], {-1, 1});
  Output second = BackpropOutputGrad(dy[1], op.input(0));
  (*dx)[0] = second ? g * backprop + second : g * backprop;
  Output labels = g * negative(nn::log_softmax(op.input(0)));
  (*dx)[1] = second ? labels - dy[1] : labels;
  return OkStatus();
}

// Integer labels: loss[r] = logsumexp(x[r]) - x[r, label]; backprop = softmax - one_hot(label).
Status SparseSoftmaxXentKernel(KernelContext& c) {
  auto [rows, cols] = RowsCols(c.input(0));
  std::vector<int64_t> labels = TensorToInts(c.input(1));
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || labels[r] >= cols) {
      return c.error("Received a label value of " + std::to_string(labels[r]) + " which is outside the valid range of [0, " +
                     std::to_string(cols) + ").");
    }
  }
  return DispatchFloat(c.input(0).dtype(), "SparseSoftmaxCrossEntropyWithLogits", [&]<typename T>() {
    const T* x = c.input(0).data<T>();
    T* loss = c.output(0).data<T>();
    T* back = c.output(1).data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = x + r * cols;
      T m = *std::max_element(xr, xr + cols);
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j) sum += std::exp(static_cast<double>(xr[j] - m));
      double log_sum = std::log(sum);
      loss[r] = static_cast<T>(log_sum - static_cast<double>(xr[labels[r]] - m));
      for (int64_t j = 0; j < cols; ++j) {
        back[r * cols + j] = static_cast<T>(std::exp(static_cast<double>(xr[j] - m) - log_sum) - (j == labels[r] ? 1.0 : 0.0));
      }
    }
    return OkStatus();
  });
}

Status SparseSoftmaxXentShape(InferenceContext& c) {
  Shape logits, labels;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 2, &logits));
  KILN_RETURN_IF_ERROR(c.WithRank(1, 1, &labels));
  int64_t batch;
  KILN_RETURN_IF_ERROR(c.MergeDim(logits.dim(0), labels.dim(0), &batch));
  c.set_output_shape(0, Shape({batch}));
  c.set_output_shape(1, Shape({batch, logits.dim(1)}));
  return OkStatus();
}

Status SparseSoftmaxXentGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output grad = reshape(dy[0], {-1, 1}) * Output(const_cast<Node*>(&op), 1);
  Output second = BackpropOutputGrad(dy[1], op.input(0));
  (*dx)[0] = second ? grad + second : grad;
  return OkStatus();
}

}  // namespace

void RegisterNnOps(OpRegistry& r) {
  r.Register(Op("SparseSoftmaxCrossEntropyWithLogits").Input("features: T").Input("labels: Tlabels").Output("loss: T")
                 .Output("backprop: T").Attr("T: {float, double}").Attr("Tlabels: {int32, int64} = DT_INT64")
                 .Shape(SparseSoftmaxXentShape).Grad(SparseSoftmaxXentGrad).Kernel(SparseSoftmaxXentKernel));
  RegisterActivationOps(r);
  RegisterConvOps(r);
  RegisterPoolOps(r);
  r.Register(Op("L2Loss").Input("t: T").Output("output: T").Attr("T: {float, double}").Shape(ScalarShape)
                 .Kernel([](KernelContext& c) {
                   return DispatchFloat(c.input(0).dtype(), "L2Loss", [&]<typename T>() {
                     double sum = 0;
                     for (int64_t i = 0; i < c.input(0).num_elements(); ++i) {
                       double v = c.input(0).data<T>()[i];
                       sum += v * v;
                     }
                     c.output(0).data<T>()[0] = static_cast<T>(sum / 2);
                     return OkStatus();
                   });
                 })
                 .Grad([](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                   (*dx)[0] = op.input(0) * dy[0];
                   return OkStatus();
                 })
                 .Lowering({OpLowering::Kind::kLibrary, "l2_loss"}));
  const std::string kFloat = "T: {float, double}";
  const std::string kNumeric = "T: {float, double, int32, int64, uint8}";
  r.Register(Op("Softmax").Input("logits: T").Output("softmax: T").Attr(kFloat).Shape(SoftmaxShape)
                 .Grad(SoftmaxGrad).Kernel(SoftmaxKernel<false>));
  r.Register(Op("LogSoftmax").Input("logits: T").Output("logsoftmax: T").Attr(kFloat).Shape(SoftmaxShape)
                 .Grad(LogSoftmaxGrad).Kernel(SoftmaxKernel<true>));
  r.Register(Op("Relu").Input("features: T").Output("activations: T").Attr(kNumeric).Shape(UnchangedShape)
                 .Grad(ReluGrad).Kernel(ReluKernel).Elementwise(LowerUnary([](ExprBuilder& b, ExprValue x) {
                   ExprValue zero = b.ConstantLike(x, 0);
                   return b.Select(b.Lt(x, zero), zero, x);  // as the reference: NaN stays NaN
                 })));
  r.Register(Op("ReluGrad").Input("gradients: T").Input("features: T").Output("backprops: T").Attr(kNumeric)
                 .Shape(SameShapeBinary).Kernel(ReluGradKernel).Elementwise(LowerBinary([](ExprBuilder& b, ExprValue g, ExprValue f) {
                   return b.Select(b.Gt(f, b.ConstantLike(f, 0)), g, b.ConstantLike(g, 0));
                 })));
  // The bias broadcasts along the channel axis: right-aligned for NHWC, so the fuser gives it the
  // shape [C]; for NCHW the fuser gives it [C, 1, ..., 1] (one 1 per spatial dim).
  r.Register(Op("BiasAdd").Input("value: T").Input("bias: T").Output("output: T").Attr(kNumeric)
                 .Attr("data_format: string = \"NHWC\"").Shape(BiasAddShape).Grad(BiasAddGrad).Kernel(BiasAddKernel)
                 .Elementwise(LowerBinary([](ExprBuilder& b, ExprValue x, ExprValue bias) { return b.Add(x, bias); })));
  r.Register(Op("BiasAddGrad").Input("out_backprop: T").Output("output: T").Attr(kNumeric)
                 .Attr("data_format: string = \"NHWC\"").Shape(BiasAddGradShape).Kernel(BiasAddGradKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "bias_add_grad"}));
  r.Register(Op("SoftmaxCrossEntropyWithLogits").Input("features: T").Input("labels: T").Output("loss: T")
                 .Output("backprop: T").Attr(kFloat).Shape(SoftmaxXentShape).Grad(SoftmaxXentGrad)
                 .Kernel(SoftmaxXentKernel));
}

namespace nn {

Output softmax(const Output& logits, const std::string& name) { return MakeOp("Softmax", {logits}, {}, name); }
Output log_softmax(const Output& logits, const std::string& name) { return MakeOp("LogSoftmax", {logits}, {}, name); }
Output relu(const Output& features, const std::string& name) { return MakeOp("Relu", {features}, {}, name); }
Output bias_add(const Output& value, const Output& bias, const std::string& name) {
  return MakeOp("BiasAdd", {value, bias}, {}, name);
}

Output softmax_cross_entropy_with_logits(const Output& labels, const Output& logits, const std::string& name) {
  // The TF1 op's labels gradient was never used by callers; TF1 Python wraps labels in
  // stop_gradient for the v1 API, which we mirror.
  return MakeOp("SoftmaxCrossEntropyWithLogits", {logits, stop_gradient(labels)}, {}, name);
}

Output softmax_cross_entropy_with_logits_v2(const Output& labels, const Output& logits, const std::string& name) {
  return MakeOp("SoftmaxCrossEntropyWithLogits", {logits, labels}, {}, name);
}

Output sigmoid_cross_entropy_with_logits(const Output& labels, const Output& logits, const std::string& name) {
  if (!labels || !logits) return Output();
  if (!labels.shape().IsCompatibleWith(logits.shape())) {
    return BuildError(logits.graph(), InvalidArgument("logits and labels must have the same shape (" +
                                                      logits.shape().ToString() + " vs " + labels.shape().ToString() + ")"));
  }
  name_scope scope(*logits.graph(), name.empty() ? "logistic_loss" : name);
  // As TF: for x >= 0 use x - x*z + log(1 + exp(-x)), else -x*z + log(1 + exp(x)); never exp of
  // a large positive number.
  Output zeros = zeros_like(logits);
  Output cond = greater_equal(logits, zeros);
  Output relu_logits = select(cond, logits, zeros);
  Output neg_abs_logits = select(cond, -logits, logits);
  return add(relu_logits - logits * labels, log1p(exp(neg_abs_logits)));
}

Output sparse_softmax_cross_entropy_with_logits(const Output& labels, const Output& logits, const std::string& name) {
  return MakeOp("SparseSoftmaxCrossEntropyWithLogits", {logits, labels}, {}, name);
}

Output l2_loss(const Output& t, const std::string& name) { return MakeOp("L2Loss", {t}, {}, name); }

}  // namespace nn
}  // namespace kiln
