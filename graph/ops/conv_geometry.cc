#include "graph/ops/conv_geometry.h"

#include <algorithm>

#include "graph/graph.h"
#include "graph/ops/kernel_util.h"

namespace kiln {

StatusOr<Window1D> WindowedOutput(int64_t in, int64_t k, int64_t stride, const std::string& padding) {
  if (stride <= 0 || k <= 0) return InvalidArgument("window and stride must be positive");
  Window1D w;
  if (in < 0) {
    w.out = -1;
    return w;
  }
  if (padding == "VALID") {
    if (in < k) return InvalidArgument("window size " + std::to_string(k) + " is larger than the input " + std::to_string(in) + " with VALID padding");
    w.out = (in - k + stride) / stride;
  } else if (padding == "SAME") {
    w.out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>((w.out - 1) * stride + k - in, 0);
    w.pad_before = total / 2;
  } else {
    return InvalidArgument("padding must be SAME or VALID, got '" + padding + "'");
  }
  return w;
}

Status SpatialPair(const std::vector<int64_t>& v, const std::string& what, int64_t* h, int64_t* w) {
  if (v.size() != 4) return InvalidArgument(what + " must have 4 entries (NHWC), got " + std::to_string(v.size()));
  if (v[0] != 1 || v[3] != 1) return Unimplemented(what + " over the batch or channel dimension");
  *h = v[1];
  *w = v[2];
  return OkStatus();
}

Status CheckConvPadding(const std::string& padding, const std::vector<int64_t>& explicit_paddings) {
  if (padding == "SAME" || padding == "VALID") {
    if (explicit_paddings.empty()) return OkStatus();
    return InvalidArgument("explicit_paddings must be empty unless padding is EXPLICIT (padding is " + padding + ")");
  }
  if (padding != "EXPLICIT") return InvalidArgument("padding must be SAME, VALID or EXPLICIT, got '" + padding + "'");
  if (explicit_paddings.size() != 8) {
    return InvalidArgument("explicit_paddings must have 8 entries (before and after per NHWC dimension), got " +
                           std::to_string(explicit_paddings.size()));
  }
  for (int64_t p : explicit_paddings) {
    if (p < 0) return InvalidArgument("explicit_paddings must be non-negative, got " + std::to_string(p));
  }
  if (explicit_paddings[0] || explicit_paddings[1] || explicit_paddings[6] || explicit_paddings[7]) {
    return Unimplemented("explicit padding of the batch or channel dimension");
  }
  return OkStatus();
}

StatusOr<Window1D> ConvWindow(int64_t in, int64_t k, int64_t stride, const std::string& padding,
                              const std::vector<int64_t>& explicit_paddings, int dim) {
  if (padding != "EXPLICIT") return WindowedOutput(in, k, stride, padding);
  KILN_RETURN_IF_ERROR(CheckConvPadding(padding, explicit_paddings));
  if (stride <= 0 || k <= 0) return InvalidArgument("window and stride must be positive");
  Window1D w;
  w.pad_before = explicit_paddings[2 * dim];
  if (in < 0) {
    w.out = -1;
    return w;
  }
  const int64_t padded = in + explicit_paddings[2 * dim] + explicit_paddings[2 * dim + 1];
  if (padded < k) {
    return InvalidArgument("window size " + std::to_string(k) + " is larger than the input " + std::to_string(in) +
                           " with its explicit padding (" + std::to_string(padded) + ")");
  }
  w.out = (padded - k) / stride + 1;
  return w;
}

StatusOr<std::vector<int64_t>> AsExplicitPaddings(const std::vector<int64_t>& input, const std::vector<int64_t>& filter,
                                                  const std::vector<int64_t>& strides, const std::string& padding,
                                                  const std::vector<int64_t>& explicit_paddings) {
  KILN_RETURN_IF_ERROR(CheckConvPadding(padding, explicit_paddings));
  if (padding == "EXPLICIT") return explicit_paddings;
  std::vector<int64_t> pads(8, 0);
  if (padding == "VALID") return pads;
  int64_t stride[2];
  KILN_RETURN_IF_ERROR(SpatialPair(strides, "strides", &stride[0], &stride[1]));
  for (int dim = 1; dim <= 2; ++dim) {
    KILN_ASSIGN_OR_RETURN(Window1D w, WindowedOutput(input[dim], filter[dim - 1], stride[dim - 1], padding));
    const int64_t total = std::max<int64_t>((w.out - 1) * stride[dim - 1] + filter[dim - 1] - input[dim], 0);
    pads[2 * dim] = w.pad_before;
    pads[2 * dim + 1] = total - w.pad_before;
  }
  return pads;
}

StatusOr<ConvDims> MakeConvDims(const std::vector<int64_t>& input, const std::vector<int64_t>& filter,
                                const std::vector<int64_t>& strides, const std::string& padding,
                                const std::vector<int64_t>& explicit_paddings) {
  ConvDims d{};
  d.n = input[0], d.h = input[1], d.w = input[2], d.c = input[3];
  d.kh = filter[0], d.kw = filter[1], d.o = filter[3];
  KILN_RETURN_IF_ERROR(SpatialPair(strides, "strides", &d.sh, &d.sw));
  KILN_ASSIGN_OR_RETURN(Window1D y, ConvWindow(d.h, d.kh, d.sh, padding, explicit_paddings, 1));
  KILN_ASSIGN_OR_RETURN(Window1D x, ConvWindow(d.w, d.kw, d.sw, padding, explicit_paddings, 2));
  d.oh = y.out, d.ow = x.out, d.pad_h = y.pad_before, d.pad_w = x.pad_before;
  return d;
}

StatusOr<ConvDims> ConvDimsOf(const std::vector<int64_t>& input, const std::vector<int64_t>& filter, const Node& node) {
  return MakeConvDims(input, filter, node.attr<std::vector<int64_t>>("strides"), node.attr<std::string>("padding"),
                      node.attr<std::vector<int64_t>>("explicit_paddings"));
}

bool IsFloatNhwcConv(const Node& node, const std::string& op) {
  if (node.op() != op) return false;
  const DataType t = node.output_type(0).dtype;
  return (t == DT_FLOAT || t == DT_DOUBLE) && node.attr<std::string>("data_format") == "NHWC";
}

StatusOr<PoolDims> MakePoolDims(const std::vector<int64_t>& input, const std::vector<int64_t>& ksize,
                                const std::vector<int64_t>& strides, const std::string& padding) {
  PoolDims d{};
  d.n = input[0], d.h = input[1], d.w = input[2], d.c = input[3];
  KILN_RETURN_IF_ERROR(SpatialPair(ksize, "ksize", &d.kh, &d.kw));
  KILN_RETURN_IF_ERROR(SpatialPair(strides, "strides", &d.sh, &d.sw));
  KILN_ASSIGN_OR_RETURN(Window1D y, WindowedOutput(d.h, d.kh, d.sh, padding));
  KILN_ASSIGN_OR_RETURN(Window1D x, WindowedOutput(d.w, d.kw, d.sw, padding));
  d.oh = y.out, d.ow = x.out, d.pad_h = y.pad_before, d.pad_w = x.pad_before;
  return d;
}

namespace {

std::string ListOf(const std::vector<std::string>& ops) {
  std::string list;
  for (const std::string& op : ops) list += (list.empty() ? "" : ", ") + op;
  return "[" + list + "]";
}

}  // namespace

StatusOr<bool> FusedConvHasRelu(const std::vector<std::string>& fused_ops) {
  return BiasReluHasRelu("_FusedConv2D", fused_ops);
}

Status CheckFusedBackpropInputOps(const std::vector<std::string>& fused_ops) {
  if (fused_ops == std::vector<std::string>{"ReluGrad"}) return OkStatus();
  return InvalidArgument("_FusedConv2DBackpropInput supports fused_ops [ReluGrad], got " + ListOf(fused_ops));
}

Status CheckFusedBackpropFilterOps(const std::vector<std::string>& fused_ops) {
  if (fused_ops == std::vector<std::string>{"BiasAddGrad"}) return OkStatus();
  return InvalidArgument("_FusedConv2DBackpropFilter supports fused_ops [BiasAddGrad], got " + ListOf(fused_ops));
}

}  // namespace kiln
