// NHWC window geometry shared by convolution and pooling: output sizes and padding for TF's
// "SAME" and "VALID" schemes (TF's GetWindowedOutputSize), and for convolutions also "EXPLICIT"
// with its explicit_paddings attr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/status.h"

namespace kiln {

class Node;

struct Window1D {
  int64_t out = 0;       // output size
  int64_t pad_before = 0;
};

// VALID: out = ceil((in - k + 1) / stride); SAME: out = ceil(in / stride) with the padding split
// as TF does (the extra element after). Unknown (-1) in gives -1 out.
StatusOr<Window1D> WindowedOutput(int64_t in, int64_t k, int64_t stride, const std::string& padding);

// One NHWC convolution: input [n, h, w, c], filter [kh, kw, c, o], output [n, oh, ow, o]. Lowered to
// matrix products, its patch matrix has one row per output pixel and one column per filter tap.
struct ConvDims {
  int64_t n, h, w, c, kh, kw, o, sh, sw, oh, ow, pad_h, pad_w;
  int64_t patches() const { return n * oh * ow; }
  int64_t patch_size() const { return kh * kw * c; }
};
// `explicit_paddings` is the convolution attr of that name: empty unless padding is "EXPLICIT",
// then 8 numbers, (before, after) per NHWC dimension, the batch and channel pairs zero.
StatusOr<ConvDims> MakeConvDims(const std::vector<int64_t>& input, const std::vector<int64_t>& filter,
                                const std::vector<int64_t>& strides, const std::string& padding,
                                const std::vector<int64_t>& explicit_paddings = {});

// The geometry of a Conv2D-family node (its strides, padding and explicit_paddings attrs) for
// these input and filter dims.
StatusOr<ConvDims> ConvDimsOf(const std::vector<int64_t>& input, const std::vector<int64_t>& filter, const Node& node);

// A node of op `op` (one of the Conv2D family) that the convolution passes may rewrite: NHWC, with
// a float or double result, which the library kernels compute.
bool IsFloatNhwcConv(const Node& node, const std::string& op);

// TF's rules for a convolution's padding attrs: SAME or VALID with no explicit_paddings, or
// EXPLICIT with 8 non-negative numbers whose batch and channel pairs are zero.
Status CheckConvPadding(const std::string& padding, const std::vector<int64_t>& explicit_paddings);

// Output size of one spatial dimension (1 for height, 2 for width) of a convolution under any of
// the three schemes; with EXPLICIT, out = (in + before + after - k) / stride + 1.
StatusOr<Window1D> ConvWindow(int64_t in, int64_t k, int64_t stride, const std::string& padding,
                              const std::vector<int64_t>& explicit_paddings, int dim);

// The padding a convolution of an input of `input` dims applies, written as EXPLICIT would:
// 8 numbers, (before, after) per NHWC dimension. VALID pads nothing; SAME pads as TF splits it.
StatusOr<std::vector<int64_t>> AsExplicitPaddings(const std::vector<int64_t>& input, const std::vector<int64_t>& filter,
                                                  const std::vector<int64_t>& strides, const std::string& padding,
                                                  const std::vector<int64_t>& explicit_paddings);

// One NHWC pooling window: input [n, h, w, c], output [n, oh, ow, c].
struct PoolDims {
  int64_t n, h, w, c, kh, kw, sh, sw, oh, ow, pad_h, pad_w;
};
StatusOr<PoolDims> MakePoolDims(const std::vector<int64_t>& input, const std::vector<int64_t>& ksize,
                                const std::vector<int64_t>& strides, const std::string& padding);

// What a _FusedConv2D applies after its convolution, from its fused_ops attr: [BiasAdd] or
// [BiasAdd, Relu], the two lists the epilogue pass builds. Whether the ReLU is applied, or
// InvalidArgument naming any other list.
StatusOr<bool> FusedConvHasRelu(const std::vector<std::string>& fused_ops);

// What a _FusedConv2DBackpropInput applies after its input gradient, from its fused_ops attr: only
// [ReluGrad] (the gradient kept where the Relu's output `features` is positive, else 0), which the
// epilogue pass builds. OK, or InvalidArgument naming any other list.
Status CheckFusedBackpropInputOps(const std::vector<std::string>& fused_ops);

// The same for a _FusedConv2DBackpropFilter: only [BiasAddGrad] (its second output is the sum of
// out_backprop over batch, height and width, the gradient of a per-channel bias).
Status CheckFusedBackpropFilterOps(const std::vector<std::string>& fused_ops);

// Reads a 4-int NHWC list attr (strides, ksize): batch and channel entries must be 1.
Status SpatialPair(const std::vector<int64_t>& v, const std::string& what, int64_t* h, int64_t* w);

}  // namespace kiln
