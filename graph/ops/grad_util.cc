#include "graph/ops/grad_util.h"

#include "graph/ops/array_ops.h"
#include "graph/ops/math_ops.h"

namespace kiln {

Output SumToShapeOf(const Output& grad, const Output& x) {
  if (!grad || !x) return Output();
  const Shape& gs = grad.shape();
  const Shape& xs = x.shape();
  if (gs.IsFullyDefined() && xs.IsFullyDefined()) {
    if (gs == xs) return grad;
    // Axes where x was broadcast: leading axes x lacks, and axes where x has 1 and grad does not.
    std::vector<int64_t> axes;
    int offset = gs.rank() - xs.rank();
    for (int i = 0; i < gs.rank(); ++i) {
      if (i < offset || (xs.dim(i - offset) == 1 && gs.dim(i) != 1)) axes.push_back(i);
    }
    Output summed = axes.empty() ? grad : reduce_sum(grad, axes);
    return summed.shape() == xs ? summed : reshape(summed, xs.dims());
  }
  Output sx = shape(x);
  Node* bga = MakeNode("BroadcastGradientArgs", {shape(grad), sx}, {});
  if (!bga) return Output();
  return reshape(ReduceSumOverAxes(grad, Output(bga, 1)), sx);
}

void BroadcastBinaryGrads(const Node& op, const Output& gx, const Output& gy, std::vector<Output>* dx) {
  if (gx) (*dx)[0] = SumToShapeOf(gx, op.input(0));
  if (gy) (*dx)[1] = SumToShapeOf(gy, op.input(1));
}

}  // namespace kiln
