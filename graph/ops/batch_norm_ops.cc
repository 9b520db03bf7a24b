// FusedBatchNormV3 and FusedBatchNormGradV3 (NHWC), as TF's CPU kernels compute them:
//   training:  mean and biased variance over N, H, W per channel; y = (x - mean) * rsqrt(var + eps)
//              * scale + offset; batch_variance is the unbiased (Bessel-corrected) variance, blended
//              into the inputs with exponential_avg_factor; the reserve spaces keep mean and biased
//              variance for the gradient.
//   inference: the given mean and variance (moving averages) replace the batch statistics.
// T is float (TF) or double (Kiln's gradient checks run in double).
#include <cmath>

#include "graph/ops/array_ops.h"
#include "graph/ops/math_ops.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/nn_ops.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

Status CheckNhwc(const std::string& data_format, const std::string& op) {
  if (data_format == "NHWC") return OkStatus();
  return Unimplemented(op + " supports data_format NHWC only, got " + data_format);
}

// Per-channel view of an NHWC tensor: rows = N*H*W, channels = C.
struct ChannelView {
  int64_t rows;
  int64_t channels;
};
ChannelView ViewOf(const Tensor& x) {
  int64_t c = x.dim(x.rank() - 1);
  return {c == 0 ? 0 : x.num_elements() / c, c};
}

Status FusedBatchNormShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(CheckNhwc(c.attr<std::string>("data_format"), "FusedBatchNormV3"));
  Shape x;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 4, &x));
  int64_t channels = x.unknown_rank() ? -1 : x.dim(3);
  for (int i = 1; i <= 2; ++i) {  // scale, offset
    Shape s;
    KILN_RETURN_IF_ERROR(c.WithRank(i, 1, &s));
    KILN_RETURN_IF_ERROR(c.MergeDim(channels, s.dim(0), &channels));
  }
  if (!c.attr<bool>("is_training")) {  // the moving statistics are used, so they must fit
    for (int i = 3; i <= 4; ++i) {
      Shape s;
      KILN_RETURN_IF_ERROR(c.WithRank(i, 1, &s));
      KILN_RETURN_IF_ERROR(c.MergeDim(channels, s.dim(0), &channels));
    }
  }
  if (!x.unknown_rank()) x.set_dim(3, channels);
  c.set_output_shape(0, x);
  for (int i = 1; i <= 4; ++i) c.set_output_shape(i, Shape({channels}));
  c.set_output_shape(5, Shape({0}));
  return OkStatus();
}

// `relu`: _FusedBatchNormEx's activation, as Relu's kernel applies it to y (x < 0 ? 0 : x, NaN
// staying NaN).
Status BatchNormForward(KernelContext& c, bool relu) {
  const Tensor& x = c.input(0);
  ChannelView v = ViewOf(x);
  double eps = static_cast<double>(c.attr<float>("epsilon"));
  double factor = static_cast<double>(c.attr<float>("exponential_avg_factor"));
  bool training = c.attr<bool>("is_training");
  return DispatchFloat(x.dtype(), "FusedBatchNormV3", [&]<typename T>() {
    const T* in = x.data<T>();
    const T* scale = c.input(1).data<T>();
    const T* offset = c.input(2).data<T>();
    std::vector<double> mean(v.channels, 0.0), var(v.channels, 0.0);
    if (training) {
      if (v.rows == 0) return c.error("FusedBatchNormV3 in training mode needs a non-empty batch");
      for (int64_t r = 0; r < v.rows; ++r)
        for (int64_t k = 0; k < v.channels; ++k) mean[k] += in[r * v.channels + k];
      for (double& m : mean) m /= static_cast<double>(v.rows);
      for (int64_t r = 0; r < v.rows; ++r)
        for (int64_t k = 0; k < v.channels; ++k) {
          double d = in[r * v.channels + k] - mean[k];
          var[k] += d * d;
        }
      for (double& s : var) s /= static_cast<double>(v.rows);
    } else {
      for (int64_t k = 0; k < v.channels; ++k) {
        mean[k] = c.input(3).data<T>()[k];
        var[k] = c.input(4).data<T>()[k];
      }
    }
    T* y = c.output(0).data<T>();
    for (int64_t k = 0; k < v.channels; ++k) {
      double inv = 1.0 / std::sqrt(var[k] + eps) * scale[k];
      for (int64_t r = 0; r < v.rows; ++r) {
        int64_t i = r * v.channels + k;
        y[i] = static_cast<T>((in[i] - mean[k]) * inv + offset[k]);
        if (relu && y[i] < T(0)) y[i] = T(0);
      }
    }
    double bessel = v.rows > 1 ? static_cast<double>(v.rows) / static_cast<double>(v.rows - 1) : 1.0;
    bool blend = training && factor != 1.0 && c.input(3).num_elements() == v.channels;
    for (int64_t k = 0; k < v.channels; ++k) {
      double batch_mean = mean[k], batch_var = training ? var[k] * bessel : var[k];
      if (blend) {
        batch_mean = (1 - factor) * c.input(3).data<T>()[k] + factor * batch_mean;
        batch_var = (1 - factor) * c.input(4).data<T>()[k] + factor * batch_var;
      }
      c.output(1).data<T>()[k] = static_cast<T>(batch_mean);
      c.output(2).data<T>()[k] = static_cast<T>(batch_var);
      c.output(3).data<T>()[k] = static_cast<T>(mean[k]);
      c.output(4).data<T>()[k] = static_cast<T>(var[k]);
    }
    return OkStatus();
  });
}

Status FusedBatchNormKernel(KernelContext& c) { return BatchNormForward(c, false); }
Status FusedBatchNormExKernel(KernelContext& c) { return BatchNormForward(c, true); }

// TF's _BaseFusedBatchNormGrad: in training the statistics come from the reserve spaces, at
// inference from the mean and variance inputs; only y's gradient matters.
Status FusedBatchNormGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Node* node = const_cast<Node*>(&op);
  bool training = op.attr<bool>("is_training");
  Output mean = training ? Output(node, 3) : op.input(3);
  Output variance = training ? Output(node, 4) : op.input(4);
  Node* grad = MakeNode("FusedBatchNormGradV3", {dy[0], op.input(0), op.input(1), mean, variance, Output(node, 5)},
                        {{"epsilon", op.attr<float>("epsilon")},
                         {"data_format", op.attr<std::string>("data_format")},
                         {"is_training", training}});
  if (!grad) return op.graph()->build_status();
  (*dx)[0] = Output(grad, 0);
  (*dx)[1] = Output(grad, 1);
  (*dx)[2] = Output(grad, 2);
  return OkStatus();
}

Status FusedBatchNormGradShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(CheckNhwc(c.attr<std::string>("data_format"), "FusedBatchNormGradV3"));
  Shape dy, x;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 4, &dy));
  KILN_RETURN_IF_ERROR(c.WithRank(1, 4, &x));
  int64_t channels = x.unknown_rank() ? -1 : x.dim(3);
  for (int i = 2; i <= 4; ++i) {
    Shape s;
    KILN_RETURN_IF_ERROR(c.WithRank(i, 1, &s));
    KILN_RETURN_IF_ERROR(c.MergeDim(channels, s.dim(0), &channels));
  }
  c.set_output_shape(0, x.unknown_rank() ? dy : x);
  c.set_output_shape(1, Shape({channels}));
  c.set_output_shape(2, Shape({channels}));
  c.set_output_shape(3, Shape({0}));
  c.set_output_shape(4, Shape({0}));
  return OkStatus();
}

// `relu_output`: _FusedBatchNormGradEx's y, the activation's output; dy counts only where y > 0,
// as ReluGrad(dy, y) passes it on.
Status BatchNormBackward(KernelContext& c, const Tensor* relu_output) {
  const Tensor& x = c.input(1);
  ChannelView v = ViewOf(x);
  double eps = static_cast<double>(c.attr<float>("epsilon"));
  bool training = c.attr<bool>("is_training");
  return DispatchFloat(x.dtype(), "FusedBatchNormGradV3", [&]<typename T>() {
    const T* g = c.input(0).data<T>();
    std::vector<T> gated;
    if (relu_output) {
      const T* y = relu_output->data<T>();
      gated.resize(x.num_elements());
      for (size_t i = 0; i < gated.size(); ++i) gated[i] = y[i] > T(0) ? g[i] : T(0);
      g = gated.data();
    }
    const T* in = x.data<T>();
    const T* scale = c.input(2).data<T>();
    const T* mean = c.input(3).data<T>();
    const T* var = c.input(4).data<T>();
    T* dx = c.output(0).data<T>();
    for (int64_t k = 0; k < v.channels; ++k) {
      double inv = 1.0 / std::sqrt(static_cast<double>(var[k]) + eps);
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t r = 0; r < v.rows; ++r) {
        int64_t i = r * v.channels + k;
        sum_dy += g[i];
        sum_dy_xhat += g[i] * (in[i] - mean[k]) * inv;
      }
      c.output(1).data<T>()[k] = static_cast<T>(sum_dy_xhat);
      c.output(2).data<T>()[k] = static_cast<T>(sum_dy);
      double n = static_cast<double>(v.rows);
      for (int64_t r = 0; r < v.rows; ++r) {
        int64_t i = r * v.channels + k;
        if (training) {
          double xhat = (in[i] - mean[k]) * inv;
          dx[i] = static_cast<T>(scale[k] * inv * (g[i] - sum_dy / n - xhat * sum_dy_xhat / n));
        } else {
          dx[i] = static_cast<T>(g[i] * scale[k] * inv);
        }
      }
    }
    return OkStatus();
  });
}

Status FusedBatchNormGradKernel(KernelContext& c) { return BatchNormBackward(c, nullptr); }
Status FusedBatchNormGradExKernel(KernelContext& c) { return BatchNormBackward(c, &c.input(7)); }

Status CheckReluActivation(InferenceContext& c) {
  if (c.attr<int64_t>("num_side_inputs") != 0) return c.error("Kiln's fused batch norm takes no side input");
  if (c.attr<std::string>("activation_mode") != "Relu") {
    return c.error("Kiln's fused batch norm supports activation_mode Relu only, got " +
                   c.attr<std::string>("activation_mode"));
  }
  return OkStatus();
}

}  // namespace

void RegisterBatchNormOps(OpRegistry& r) {
  // TF allows T in {half, bfloat16, float} and U = float; Kiln computes float and double.
  r.Register(Op("FusedBatchNormV3").Input("x: T").Input("scale: U").Input("offset: U").Input("mean: U")
                 .Input("variance: U").Output("y: T").Output("batch_mean: U").Output("batch_variance: U")
                 .Output("reserve_space_1: U").Output("reserve_space_2: U").Output("reserve_space_3: U")
                 .Attr("T: {float, double}").Attr("U: {float, double}").Attr("epsilon: float = 0.0001")
                 .Attr("exponential_avg_factor: float = 1.0").Attr("data_format: string = \"NHWC\"")
                 .Attr("is_training: bool = true").Shape(FusedBatchNormShape).Grad(FusedBatchNormGrad)
                 .Kernel(FusedBatchNormKernel).Lowering({OpLowering::Kind::kLibrary, "fused_batch_norm"}));
  r.Register(Op("FusedBatchNormGradV3").Input("y_backprop: T").Input("x: T").Input("scale: U")
                 .Input("reserve_space_1: U").Input("reserve_space_2: U").Input("reserve_space_3: U")
                 .Output("x_backprop: T").Output("scale_backprop: U").Output("offset_backprop: U")
                 .Output("reserve_space_4: U").Output("reserve_space_5: U").Attr("T: {float, double}")
                 .Attr("U: {float, double}").Attr("epsilon: float = 0.0001").Attr("data_format: string = \"NHWC\"")
                 .Attr("is_training: bool = true").Shape(FusedBatchNormGradShape).Kernel(FusedBatchNormGradKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "fused_batch_norm_grad"}));
  // Grappler's fused forms, made by the `batchnorm` pass after differentiation (so no gradient):
  // FusedBatchNormV3 -> Relu as one op, and its gradient ReluGrad(dy, y) -> FusedBatchNormGradV3
  // taking dy and the activation y. TF's signatures without the side input (num_side_inputs 0).
  r.Register(Op("_FusedBatchNormEx").Input("x: T").Input("scale: U").Input("offset: U").Input("mean: U")
                 .Input("variance: U").Output("y: T").Output("batch_mean: U").Output("batch_variance: U")
                 .Output("reserve_space_1: U").Output("reserve_space_2: U").Output("reserve_space_3: U")
                 .Attr("T: {float, double}").Attr("U: {float, double}").Attr("epsilon: float = 0.0001")
                 .Attr("exponential_avg_factor: float = 1.0").Attr("num_side_inputs: int = 0")
                 .Attr("activation_mode: string = \"Relu\"").Attr("data_format: string = \"NHWC\"")
                 .Attr("is_training: bool = true")
                 .Shape([](InferenceContext& c) {
                   KILN_RETURN_IF_ERROR(CheckReluActivation(c));
                   return FusedBatchNormShape(c);
                 })
                 .Kernel(FusedBatchNormExKernel).Lowering({OpLowering::Kind::kLibrary, "fused_batch_norm"}));
  r.Register(Op("_FusedBatchNormGradEx").Input("y_backprop: T").Input("x: T").Input("scale: U")
                 .Input("reserve_space_1: U").Input("reserve_space_2: U").Input("reserve_space_3: U")
                 .Input("offset: U").Input("y: T").Output("x_backprop: T").Output("scale_backprop: U")
                 .Output("offset_backprop: U").Output("reserve_space_4: U").Output("reserve_space_5: U")
                 .Attr("T: {float, double}").Attr("U: {float, double}").Attr("epsilon: float = 0.0001")
                 .Attr("num_side_inputs: int = 0").Attr("activation_mode: string = \"Relu\"")
                 .Attr("data_format: string = \"NHWC\"").Attr("is_training: bool = true")
                 .Shape([](InferenceContext& c) {
                   KILN_RETURN_IF_ERROR(CheckReluActivation(c));
                   if (!c.input_shape(7).IsCompatibleWith(c.input_shape(1))) {
                     return c.error("y must have x's shape");
                   }
                   return FusedBatchNormGradShape(c);
                 })
                 .Kernel(FusedBatchNormGradExKernel).Lowering({OpLowering::Kind::kLibrary, "fused_batch_norm_grad"}));
}

namespace nn {

std::array<Output, 3> fused_batch_norm(const Output& x, const Output& scale, const Output& offset, const Output& mean,
                                       const Output& variance, double epsilon, bool is_training,
                                       const std::string& name) {
  Node* n = MakeNode("FusedBatchNormV3", {x, scale, offset, mean, variance},
                     {{"epsilon", static_cast<float>(epsilon)}, {"is_training", is_training}}, name.empty() ? "FusedBatchNormV3" : name);
  if (!n) return {};
  return {Output(n, 0), Output(n, 1), Output(n, 2)};
}

}  // namespace nn
}  // namespace kiln

namespace kiln::nn {

std::array<Output, 2> moments(const Output& x, const std::vector<int64_t>& axes, bool keep_dims,
                              const std::string& name) {
  if (!x) return {};
  Graph& g = *x.graph();
  name_scope scope(g, name.empty() ? "moments" : name);
  Output mean = reduce_mean(x, axes, true, "mean");
  Output variance = reduce_mean(squared_difference(x, stop_gradient(mean)), axes, true, "variance");
  if (keep_dims) return {mean, variance};
  // Squeeze the reduced axes away (a reshape to the kept dims, which must be known).
  const Shape& s = x.shape();
  std::vector<int64_t> kept;
  for (int d = 0; d < s.rank(); ++d) {
    bool reduced = false;
    for (int64_t a : axes) reduced = reduced || (a < 0 ? a + s.rank() : a) == d;
    if (!reduced) kept.push_back(s.dim(d));
  }
  return {reshape(mean, kept, "Squeeze"), reshape(variance, kept, "Squeeze_1")};
}

Output batch_normalization(const Output& x, const Output& mean, const Output& variance, const Output& offset,
                           const Output& scale, double variance_epsilon, const std::string& name) {
  if (!x || !mean || !variance) return Output();
  Graph& g = *x.graph();
  name_scope scope(g, name.empty() ? "batchnorm" : name);
  Output inv = rsqrt(add(variance, ScalarLike(variance, variance_epsilon)));
  if (scale) inv = multiply(inv, scale);
  Output shift = offset ? subtract(offset, multiply(mean, inv)) : negative(multiply(mean, inv));
  return add(multiply(x, inv), shift);
}

}  // namespace kiln::nn
