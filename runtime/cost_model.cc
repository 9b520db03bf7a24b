#include "runtime/cost_model.h"

#include <functional>
#include <map>
#include <string>

namespace kiln {
namespace {

const Shape& InputShape(const Node& node, int i) {
  const Output& in = node.input(i);
  return in.node->output_type(in.index).shape;
}

bool Known(const Shape& shape, int rank) { return shape.rank() == rank && shape.IsFullyDefined(); }

// MatMul: product [m, n] from a [m, k] (or [k, m] with transpose_a).
int64_t MatMulFlops(const Node& node) {
  const Shape& a = InputShape(node, 0);
  const Shape& product = node.output_type(0).shape;
  bool transpose_a = false;
  if (!Known(a, 2) || !Known(product, 2) || !node.GetAttr("transpose_a", &transpose_a).ok()) return 0;
  return 2 * product.num_elements() * a.dim(transpose_a ? 0 : 1);
}

// A convolution's work is 2 multiply-adds' flops per (output element, filter tap, input channel):
// 2 * |y| * KH * KW * C with y [N, OH, OW, O] and the filter [KH, KW, C, O]. The backprops multiply
// the same operands, so the same count with y the incoming gradient and the filter's shape taken
// from wherever the op has it.
int64_t ConvFlops(const Shape& y, const Shape& filter) {
  if (!Known(y, 4) || !Known(filter, 4)) return 0;
  return 2 * y.num_elements() * filter.dim(0) * filter.dim(1) * filter.dim(2);
}

int64_t ForwardConvFlops(const Node& n) { return ConvFlops(n.output_type(0).shape, InputShape(n, 1)); }
int64_t InputGradientFlops(const Node& n) { return ConvFlops(InputShape(n, 2), InputShape(n, 1)); }
int64_t FilterGradientFlops(const Node& n) { return ConvFlops(InputShape(n, 2), n.output_type(0).shape); }

const std::map<std::string, std::function<int64_t(const Node&)>>& FlopsByOp() {
  static const std::map<std::string, std::function<int64_t(const Node&)>> table = {
      {"MatMul", MatMulFlops},
      {"_FusedMatMul", MatMulFlops},
      // The fused forms (the epilogue pass's) count their convolution only: the bias, ReLU or
      // ReluGrad mask and bias sums they add are a few flops per output, as elementwise ops count.
      {"Conv2D", ForwardConvFlops},
      {"_FusedConv2D", ForwardConvFlops},
      // (input_sizes, filter, out_backprop)
      {"Conv2DBackpropInput", InputGradientFlops},
      {"_FusedConv2DBackpropInput", InputGradientFlops},
      // (input, filter_sizes, out_backprop) -> the filter's gradient, of the filter's shape
      {"Conv2DBackpropFilter", FilterGradientFlops},
      {"_FusedConv2DBackpropFilter", FilterGradientFlops},
  };
  return table;
}

}  // namespace

int64_t NodeFlops(const Node& node) {
  auto it = FlopsByOp().find(node.op());
  return it == FlopsByOp().end() ? 0 : it->second(node);
}

int64_t CountFlops(const Graph& graph) {
  int64_t total = 0;
  for (const Node* n : graph.nodes()) total += NodeFlops(*n);
  return total;
}

}  // namespace kiln
