// Conv2D (NHWC input, HWIO filter) and its two backprop ops. The reference kernels lower the
// convolution to im2col + GEMM: patches [N*OH*OW, KH*KW*C] times the filter viewed as
// [KH*KW*C, O]; the backprops are the two transposed products (col2im for the input).
#include <algorithm>

#include <Eigen/Core>

#include "graph/ops/array_ops.h"
#include "graph/ops/conv_geometry.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/nn_ops.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Images per block: im2col of a whole batch can take gigabytes (conv2 of a 1000-image eval chunk),
// so kernels work on blocks whose patch matrix stays near 8 MB.
int64_t ImagesPerBlock(const ConvDims& d, size_t elem) {
  int64_t per_image = d.oh * d.ow * d.patch_size() * static_cast<int64_t>(elem);
  return std::max<int64_t>(1, (int64_t{8} << 20) / std::max<int64_t>(1, per_image));
}

// Visits every (patch row, patch column, input offset or -1 for padding) of images [b0, b1);
// rows count from the block's first image.
template <typename F>
void ForEachPatchElement(const ConvDims& d, int64_t b0, int64_t b1, F f) {
  int64_t row = 0;
  for (int64_t b = b0; b < b1; ++b)
    for (int64_t oy = 0; oy < d.oh; ++oy)
      for (int64_t ox = 0; ox < d.ow; ++ox, ++row) {
        int64_t col = 0;
        for (int64_t ky = 0; ky < d.kh; ++ky) {
          int64_t iy = oy * d.sh - d.pad_h + ky;
          for (int64_t kx = 0; kx < d.kw; ++kx) {
            int64_t ix = ox * d.sw - d.pad_w + kx;
            bool inside = iy >= 0 && iy < d.h && ix >= 0 && ix < d.w;
            int64_t base = inside ? ((b * d.h + iy) * d.w + ix) * d.c : -1;
            for (int64_t ch = 0; ch < d.c; ++ch, ++col) f(row, col, inside ? base + ch : -1);
          }
        }
      }
}

template <typename T>
void Im2Col(const ConvDims& d, const T* input, int64_t b0, int64_t b1, RowMatrix<T>* patches) {
  patches->resize((b1 - b0) * d.oh * d.ow, d.patch_size());
  ForEachPatchElement(d, b0, b1, [&](int64_t r, int64_t c, int64_t at) { (*patches)(r, c) = at < 0 ? T(0) : input[at]; });
}

Status Conv2DKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(ConvDims d, ConvDimsOf(c.input(0).dims(), c.input(1).dims(), c.node()));
  return DispatchFloat(c.input(0).dtype(), "Conv2D", [&]<typename T>() {
    Eigen::Map<const RowMatrix<T>> filter(c.input(1).data<T>(), d.patch_size(), d.o);
    RowMatrix<T> patches;
    int64_t block = ImagesPerBlock(d, sizeof(T)), rows_per_image = d.oh * d.ow;
    for (int64_t b0 = 0; b0 < d.n; b0 += block) {
      int64_t b1 = std::min(d.n, b0 + block);
      Im2Col(d, c.input(0).data<T>(), b0, b1, &patches);
      Eigen::Map<RowMatrix<T>> out(c.output(0).data<T>() + b0 * rows_per_image * d.o, (b1 - b0) * rows_per_image, d.o);
      out.noalias() = patches * filter;
    }
    return OkStatus();
  });
}

// The convolution, then + bias per output channel and, for [BiasAdd, Relu], max(0, .).
Status FusedConv2DKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(bool relu, FusedConvHasRelu(c.node().attr<std::vector<std::string>>("fused_ops")));
  KILN_RETURN_IF_ERROR(Conv2DKernel(c));
  return DispatchFloat(c.input(0).dtype(), "_FusedConv2D", [&]<typename T>() {
    AddBiasThenRelu(c.output(0).data<T>(), c.output(0).num_elements(), c.input(2).data<T>(), c.input(2).num_elements(),
                    relu);
    return OkStatus();
  });
}

Status Conv2DBackpropInputKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(ConvDims d, ConvDimsOf(TensorToInts(c.input(0)), c.input(1).dims(), c.node()));
  return DispatchFloat(c.input(1).dtype(), "Conv2DBackpropInput", [&]<typename T>() {
    Eigen::Map<const RowMatrix<T>> filter(c.input(1).data<T>(), d.patch_size(), d.o);
    T* dx = c.output(0).data<T>();
    std::fill(dx, dx + c.output(0).num_elements(), T(0));
    RowMatrix<T> dpatches;
    int64_t block = ImagesPerBlock(d, sizeof(T)), rows_per_image = d.oh * d.ow;
    for (int64_t b0 = 0; b0 < d.n; b0 += block) {
      int64_t b1 = std::min(d.n, b0 + block);
      Eigen::Map<const RowMatrix<T>> dy(c.input(2).data<T>() + b0 * rows_per_image * d.o, (b1 - b0) * rows_per_image, d.o);
      dpatches.noalias() = dy * filter.transpose();
      ForEachPatchElement(d, b0, b1, [&](int64_t r, int64_t col, int64_t at) { if (at >= 0) dx[at] += dpatches(r, col); });
    }
    return OkStatus();
  });
}

// The input gradient, then kept where `features` (input 3, the Relu's output) is positive, as
// ReluGrad computes it.
Status FusedConv2DBackpropInputKernel(KernelContext& c) {
  KILN_RETURN_IF_ERROR(CheckFusedBackpropInputOps(c.node().attr<std::vector<std::string>>("fused_ops")));
  KILN_RETURN_IF_ERROR(Conv2DBackpropInputKernel(c));
  return DispatchFloat(c.input(1).dtype(), "_FusedConv2DBackpropInput", [&]<typename T>() {
    const T* features = c.input(3).data<T>();
    T* dx = c.output(0).data<T>();
    for (int64_t i = 0; i < c.output(0).num_elements(); ++i) dx[i] = features[i] > T(0) ? dx[i] : T(0);
    return OkStatus();
  });
}

Status Conv2DBackpropFilterKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(ConvDims d, ConvDimsOf(c.input(0).dims(), TensorToInts(c.input(1)), c.node()));
  return DispatchFloat(c.input(0).dtype(), "Conv2DBackpropFilter", [&]<typename T>() {
    Eigen::Map<RowMatrix<T>> dw(c.output(0).data<T>(), d.patch_size(), d.o);
    dw.setZero();
    RowMatrix<T> patches;
    int64_t block = ImagesPerBlock(d, sizeof(T)), rows_per_image = d.oh * d.ow;
    for (int64_t b0 = 0; b0 < d.n; b0 += block) {
      int64_t b1 = std::min(d.n, b0 + block);
      Im2Col(d, c.input(0).data<T>(), b0, b1, &patches);
      Eigen::Map<const RowMatrix<T>> dy(c.input(2).data<T>() + b0 * rows_per_image * d.o, (b1 - b0) * rows_per_image, d.o);
      dw.noalias() += patches.transpose() * dy;
    }
    return OkStatus();
  });
}

// The filter gradient, and as a second output the bias gradient: out_backprop summed per channel.
Status FusedConv2DBackpropFilterKernel(KernelContext& c) {
  KILN_RETURN_IF_ERROR(CheckFusedBackpropFilterOps(c.node().attr<std::vector<std::string>>("fused_ops")));
  KILN_RETURN_IF_ERROR(Conv2DBackpropFilterKernel(c));
  return DispatchFloat(c.input(2).dtype(), "_FusedConv2DBackpropFilter", [&]<typename T>() {
    const T* dy = c.input(2).data<T>();
    T* db = c.output(1).data<T>();
    const int64_t channels = c.output(1).num_elements(), rows = c.input(2).num_elements() / std::max<int64_t>(1, channels);
    std::fill(db, db + channels, T(0));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t ch = 0; ch < channels; ++ch) db[ch] += dy[r * channels + ch];
    }
    return OkStatus();
  });
}

// Attrs every Conv2D-family op carries (TF's names and defaults).
Status CheckConvAttrs(InferenceContext& c) {
  if (c.attr<std::string>("data_format") != "NHWC") return c.error("only data_format NHWC is supported");
  for (int64_t d : c.attr<std::vector<int64_t>>("dilations")) {
    if (d != 1) return c.error("dilations other than 1 are not supported");
  }
  Status s = CheckConvPadding(c.attr<std::string>("padding"), c.attr<std::vector<int64_t>>("explicit_paddings"));
  if (!s.ok()) return c.error(s.message());
  int64_t sh, sw;
  s = SpatialPair(c.attr<std::vector<int64_t>>("strides"), "strides", &sh, &sw);
  return s.ok() ? s : c.error(s.message());
}

Status Conv2DShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(CheckConvAttrs(c));
  Shape in, f;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 4, &in));
  KILN_RETURN_IF_ERROR(c.WithRank(1, 4, &f));
  int64_t channels;
  KILN_RETURN_IF_ERROR(c.MergeDim(in.dim(3), f.dim(2), &channels));
  int64_t sh, sw;
  KILN_RETURN_IF_ERROR(SpatialPair(c.attr<std::vector<int64_t>>("strides"), "strides", &sh, &sw));
  const std::string padding = c.attr<std::string>("padding");
  const auto explicit_paddings = c.attr<std::vector<int64_t>>("explicit_paddings");
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    if (f.dim(i) < 0) { out[i] = -1; continue; }
    StatusOr<Window1D> w = ConvWindow(in.dim(1 + i), f.dim(i), i ? sw : sh, padding, explicit_paddings, 1 + i);
    if (!w.ok()) return c.error(w.status().message());
    out[i] = w->out;
  }
  c.set_output_shape(0, Shape({in.dim(0), out[0], out[1], f.dim(3)}));
  return OkStatus();
}

// Conv2D's shape, with a bias of one value per output channel.
Status FusedConv2DShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(Conv2DShape(c));
  StatusOr<bool> relu = FusedConvHasRelu(c.attr<std::vector<std::string>>("fused_ops"));
  if (!relu.ok()) return c.error(relu.status().message());
  Shape bias;
  KILN_RETURN_IF_ERROR(c.WithRank(2, 1, &bias));
  int64_t channels;
  return c.MergeDim(bias.dim(0), c.input_shape(1).unknown_rank() ? -1 : c.input_shape(1).dim(3), &channels);
}

Status BackpropShape(InferenceContext& c, int sizes_input) {
  KILN_RETURN_IF_ERROR(CheckConvAttrs(c));
  KILN_ASSIGN_OR_RETURN(Shape s, c.InputAsPartialShape(sizes_input));
  if (!s.unknown_rank() && s.rank() != 4) return c.error("sizes must describe a rank-4 tensor");
  c.set_output_shape(0, s.unknown_rank() ? Shape::Unknown(4) : s);
  return OkStatus();
}

// The input gradient's shape; the features must have it.
Status FusedBackpropInputShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(BackpropShape(c, 0));
  Status ops = CheckFusedBackpropInputOps(c.attr<std::vector<std::string>>("fused_ops"));
  if (!ops.ok()) return c.error(ops.message());
  StatusOr<Shape> merged = c.input_shape(3).Merge(c.output_shape(0));
  if (!merged.ok()) return c.error("features and the input gradient differ in shape: " + merged.status().message());
  c.set_output_shape(0, *merged);
  return OkStatus();
}

// The filter gradient's shape, and a vector of one value per output channel.
Status FusedBackpropFilterShape(InferenceContext& c) {
  KILN_RETURN_IF_ERROR(BackpropShape(c, 1));
  Status ops = CheckFusedBackpropFilterOps(c.attr<std::vector<std::string>>("fused_ops"));
  if (!ops.ok()) return c.error(ops.message());
  const Shape& dy = c.input_shape(2);
  c.set_output_shape(1, Shape({dy.unknown_rank() ? -1 : dy.dim(dy.rank() - 1)}));
  return OkStatus();
}

AttrMap ConvAttrs(const Node& op) {
  AttrMap attrs = {{"strides", op.attr<std::vector<int64_t>>("strides")}, {"padding", op.attr<std::string>("padding")}};
  if (op.attr<std::string>("padding") == "EXPLICIT") {
    attrs["explicit_paddings"] = op.attr<std::vector<int64_t>>("explicit_paddings");
  }
  return attrs;
}

Output ShapeOrConst(const Output& x) {
  return x.shape().IsFullyDefined() ? IntsLike(x, x.shape().dims()) : shape(x);
}

// TF's _Conv2DGrad.
Status Conv2DGrad(const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  Output x = op.input(0), f = op.input(1);
  (*dx)[0] = MakeOp("Conv2DBackpropInput", {ShapeOrConst(x), f, dy[0]}, ConvAttrs(op));
  (*dx)[1] = MakeOp("Conv2DBackpropFilter", {x, ShapeOrConst(f), dy[0]}, ConvAttrs(op));
  return OkStatus();
}

OpDefBuilder ConvOp(const char* name) {
  return Op(name).Attr("T: {float, double}").Attr("strides: list(int)").Attr("use_cudnn_on_gpu: bool = true")
      .Attr("padding: string").Attr("explicit_paddings: list(int) = []").Attr("data_format: string = \"NHWC\"")
      .Attr("dilations: list(int) = [1, 1, 1, 1]");
}

}  // namespace

void RegisterConvOps(OpRegistry& r) {
  r.Register(ConvOp("Conv2D").Input("input: T").Input("filter: T").Output("output: T").Shape(Conv2DShape)
                 .Grad(Conv2DGrad).Kernel(Conv2DKernel).Lowering({OpLowering::Kind::kLibrary, "conv2d"}));
  // TF's grappler remapper's op for a convolution with its bias and activation (one bias argument
  // here; TF's takes a list of them). Built only by Kiln's epilogue pass, after gradients: it has no
  // gradient of its own.
  r.Register(ConvOp("_FusedConv2D").Input("input: T").Input("filter: T").Input("bias: T").Output("output: T")
                 .Attr("num_args: int = 1").Attr("fused_ops: list(string) = []").Shape(FusedConv2DShape)
                 .Kernel(FusedConv2DKernel).Lowering({OpLowering::Kind::kLibrary, "fused_conv2d"}));
  r.Register(ConvOp("Conv2DBackpropInput").Input("input_sizes: int32").Input("filter: T").Input("out_backprop: T")
                 .Output("output: T").Shape([](InferenceContext& c) { return BackpropShape(c, 0); })
                 .Kernel(Conv2DBackpropInputKernel).Lowering({OpLowering::Kind::kLibrary, "conv2d_backprop_input"}));
  // Conv2DBackpropInput followed by ReluGrad against the Relu's output, as one op (the epilogue pass
  // builds it; TF has no such op): the mask is applied while the gradient is in registers.
  r.Register(ConvOp("_FusedConv2DBackpropInput").Input("input_sizes: int32").Input("filter: T").Input("out_backprop: T")
                 .Input("features: T").Output("output: T").Attr("fused_ops: list(string) = []")
                 .Shape(FusedBackpropInputShape).Kernel(FusedConv2DBackpropInputKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "fused_conv2d_backprop_input"}));
  // Conv2DBackpropFilter and the gradient of the convolution's bias from the same out_backprop, as
  // one op (the epilogue pass builds it; TF has no such op): the bias sums come from each block of
  // images while it is in cache, not from a second pass over the whole gradient.
  r.Register(ConvOp("_FusedConv2DBackpropFilter").Input("input: T").Input("filter_sizes: int32")
                 .Input("out_backprop: T").Output("output: T").Output("bias_backprop: T")
                 .Attr("fused_ops: list(string) = []")
                 .Shape(FusedBackpropFilterShape).Kernel(FusedConv2DBackpropFilterKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "fused_conv2d_backprop_filter"}));
  r.Register(ConvOp("Conv2DBackpropFilter").Input("input: T").Input("filter_sizes: int32").Input("out_backprop: T")
                 .Output("output: T").Shape([](InferenceContext& c) { return BackpropShape(c, 1); })
                 .Kernel(Conv2DBackpropFilterKernel).Lowering({OpLowering::Kind::kLibrary, "conv2d_backprop_filter"}));
}

namespace nn {

Output conv2d(const Output& input, const Output& filter, const std::vector<int64_t>& strides, const std::string& padding,
              const std::string& name) {
  return MakeOp("Conv2D", {input, filter}, {{"strides", strides}, {"padding", padding}}, name);
}

Output conv2d(const Output& input, const Output& filter, const std::vector<int64_t>& strides,
              const std::vector<std::vector<int64_t>>& padding, const std::string& name) {
  // Anything but 4 pairs leaves the list empty, which the shape function reports as a wrong count.
  std::vector<int64_t> explicit_paddings;
  bool pairs = padding.size() == 4;
  for (const std::vector<int64_t>& pair : padding) pairs = pairs && pair.size() == 2;
  for (size_t i = 0; pairs && i < padding.size(); ++i) {
    explicit_paddings.insert(explicit_paddings.end(), padding[i].begin(), padding[i].end());
  }
  return MakeOp("Conv2D", {input, filter},
                {{"strides", strides}, {"padding", std::string("EXPLICIT")}, {"explicit_paddings", explicit_paddings}}, name);
}

}  // namespace nn
}  // namespace kiln
