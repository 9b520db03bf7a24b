// Pieces gradient functions share.
#pragma once

#include "graph/graph.h"

namespace kiln {

// Sums `grad` (shaped like a broadcast result) down to the shape of `x`, the operand it flows to.
// Uses a static reduction when shapes are fully known, else TF's BroadcastGradientArgs pattern
// (which the compiler folds once feed shapes are known).
Output SumToShapeOf(const Output& grad, const Output& x);

// For a broadcasting binary op z = f(x, y): dx = SumToShapeOf(gx, x), dy = SumToShapeOf(gy, y).
void BroadcastBinaryGrads(const Node& op, const Output& gx, const Output& gy, std::vector<Output>* dx);

}  // namespace kiln
