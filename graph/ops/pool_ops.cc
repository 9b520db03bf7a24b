// MaxPool and AvgPool over NHWC windows, with TF's gradient ops. Padding positions never take part:
// a SAME max pool ignores them, a SAME average divides by the in-bounds count (as TF does).
#include <limits>

#include "graph/ops/array_ops.h"
#include "graph/ops/conv_geometry.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/nn_ops.h"
#include "graph/op_registry.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

StatusOr<PoolDims> MakePoolDims(const std::vector<int64_t>& in, const Node& node) {
  return kiln::MakePoolDims(in, node.attr<std::vector<int64_t>>("ksize"), node.attr<std::vector<int64_t>>("strides"),
                      node.attr<std::string>("padding"));
}

// Calls f(output index, in-bounds input indices of the window) for every output element.
template <typename F>
void ForEachWindow(const PoolDims& d, F f) {
  std::vector<int64_t> window;
  for (int64_t b = 0; b < d.n; ++b)
    for (int64_t oy = 0; oy < d.oh; ++oy)
      for (int64_t ox = 0; ox < d.ow; ++ox)
        for (int64_t ch = 0; ch < d.c; ++ch) {
          window.clear();
          for (int64_t ky = 0; ky < d.kh; ++ky) {
            int64_t iy = oy * d.sh - d.pad_h + ky;
            if (iy < 0 || iy >= d.h) continue;
            for (int64_t kx = 0; kx < d.kw; ++kx) {
              int64_t ix = ox * d.sw - d.pad_w + kx;
              if (ix >= 0 && ix < d.w) window.push_back(((b * d.h + iy) * d.w + ix) * d.c + ch);
            }
          }
          f(((b * d.oh + oy) * d.ow + ox) * d.c + ch, window);
        }
}

// The first maximum of a window (TF's tie rule), or -1 for an empty window.
template <typename T>
int64_t ArgMaxOf(const T* in, const std::vector<int64_t>& window) {
  int64_t best = -1;
  for (int64_t i : window) if (best < 0 || in[i] > in[best]) best = i;
  return best;
}

Status MaxPoolKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(PoolDims d, MakePoolDims(c.input(0).dims(), c.node()));
  return DispatchFloat(c.input(0).dtype(), "MaxPool", [&]<typename T>() {
    const T* in = c.input(0).data<T>();
    T* out = c.output(0).data<T>();
    ForEachWindow(d, [&](int64_t o, const std::vector<int64_t>& w) {
      int64_t best = ArgMaxOf(in, w);
      out[o] = best < 0 ? std::numeric_limits<T>::lowest() : in[best];
    });
    return OkStatus();
  });
}

Status MaxPoolGradKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(PoolDims d, MakePoolDims(c.input(0).dims(), c.node()));
  return DispatchFloat(c.input(0).dtype(), "MaxPoolGrad", [&]<typename T>() {
    const T* in = c.input(0).data<T>();
    const T* grad = c.input(2).data<T>();
    T* dx = c.output(0).data<T>();
    std::fill(dx, dx + c.output(0).num_elements(), T(0));
    ForEachWindow(d, [&](int64_t o, const std::vector<int64_t>& w) {
      int64_t best = ArgMaxOf(in, w);
      if (best >= 0) dx[best] += grad[o];
    });
    return OkStatus();
  });
}

Status AvgPoolKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(PoolDims d, MakePoolDims(c.input(0).dims(), c.node()));
  return DispatchFloat(c.input(0).dtype(), "AvgPool", [&]<typename T>() {
    const T* in = c.input(0).data<T>();
    T* out = c.output(0).data<T>();
    ForEachWindow(d, [&](int64_t o, const std::vector<int64_t>& w) {
      T sum = 0;
      for (int64_t i : w) sum += in[i];
      out[o] = w.empty() ? T(0) : sum / static_cast<T>(w.size());
    });
    return OkStatus();
  });
}

Status AvgPoolGradKernel(KernelContext& c) {
  KILN_ASSIGN_OR_RETURN(PoolDims d, MakePoolDims(TensorToInts(c.input(0)), c.node()));
  return DispatchFloat(c.input(1).dtype(), "AvgPoolGrad", [&]<typename T>() {
    const T* grad = c.input(1).data<T>();
    T* dx = c.output(0).data<T>();
    std::fill(dx, dx + c.output(0).num_elements(), T(0));
    ForEachWindow(d, [&](int64_t o, const std::vector<int64_t>& w) {
      for (int64_t i : w) dx[i] += grad[o] / static_cast<T>(w.size());
    });
    return OkStatus();
  });
}

Status PoolShape(InferenceContext& c) {
  if (c.attr<std::string>("data_format") != "NHWC") return c.error("only data_format NHWC is supported");
  Shape in;
  KILN_RETURN_IF_ERROR(c.WithRank(0, 4, &in));
  int64_t kh, kw, sh, sw;
  Status s = SpatialPair(c.attr<std::vector<int64_t>>("ksize"), "ksize", &kh, &kw);
  if (s.ok()) s = SpatialPair(c.attr<std::vector<int64_t>>("strides"), "strides", &sh, &sw);
  if (!s.ok()) return c.error(s.message());
  StatusOr<Window1D> y = WindowedOutput(in.dim(1), kh, sh, c.attr<std::string>("padding"));
  if (!y.ok()) return c.error(y.status().message());
  StatusOr<Window1D> x = WindowedOutput(in.dim(2), kw, sw, c.attr<std::string>("padding"));
  if (!x.ok()) return c.error(x.status().message());
  c.set_output_shape(0, Shape({in.dim(0), y->out, x->out, in.dim(3)}));
  return OkStatus();
}

AttrMap PoolAttrs(const Node& op) {
  return {{"ksize", op.attr<std::vector<int64_t>>("ksize")}, {"strides", op.attr<std::vector<int64_t>>("strides")},
          {"padding", op.attr<std::string>("padding")}};
}

OpDefBuilder PoolOp(const char* name, bool explicit_paddings) {
  OpDefBuilder op = Op(name).Attr("T: {float, double} = DT_FLOAT").Attr("ksize: list(int)").Attr("strides: list(int)")
                        .Attr("padding: string").Attr("data_format: string = \"NHWC\"");
  if (explicit_paddings) op.Attr("explicit_paddings: list(int) = []");  // TF2's MaxPool and MaxPoolGrad only
  return op;
}

}  // namespace

void RegisterPoolOps(OpRegistry& r) {
  r.Register(PoolOp("MaxPool", true).Input("input: T").Output("output: T").Shape(PoolShape).Kernel(MaxPoolKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "max_pool"})
                 .Grad([](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                   (*dx)[0] = MakeOp("MaxPoolGrad", {op.input(0), Output(const_cast<Node*>(&op), 0), dy[0]}, PoolAttrs(op));
                   return OkStatus();
                 }));
  r.Register(PoolOp("MaxPoolGrad", true).Input("orig_input: T").Input("orig_output: T").Input("grad: T")
                 .Output("output: T").Shape(UnchangedShape).Kernel(MaxPoolGradKernel)
                 .Lowering({OpLowering::Kind::kLibrary, "max_pool_grad"}));
  r.Register(PoolOp("AvgPool", false).Input("value: T").Output("output: T").Shape(PoolShape).Kernel(AvgPoolKernel)
                 .Grad([](const Node& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
                   Output x = op.input(0);
                   Output sizes = x.shape().IsFullyDefined() ? IntsLike(x, x.shape().dims()) : shape(x);
                   (*dx)[0] = MakeOp("AvgPoolGrad", {sizes, dy[0]}, PoolAttrs(op));
                   return OkStatus();
                 }));
  r.Register(PoolOp("AvgPoolGrad", false).Input("orig_input_shape: int32").Input("grad: T").Output("output: T")
                 .Shape([](InferenceContext& c) {
                   KILN_ASSIGN_OR_RETURN(Shape target, c.InputAsPartialShape(0));
                   c.set_output_shape(0, target);
                   return OkStatus();
                 })
                 .Kernel(AvgPoolGradKernel));
}

namespace nn {

Output max_pool(const Output& value, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                const std::string& padding, const std::string& name) {
  return MakeOp("MaxPool", {value}, {{"ksize", ksize}, {"strides", strides}, {"padding", padding}}, name);
}
Output avg_pool(const Output& value, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                const std::string& padding, const std::string& name) {
  return MakeOp("AvgPool", {value}, {{"ksize", ksize}, {"strides", strides}, {"padding", padding}}, name);
}

}  // namespace nn
}  // namespace kiln
