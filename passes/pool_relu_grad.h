// Moves a ReLU's gradient through the max pool after it: for x = Relu(...) and y = MaxPool(x),
//   ReluGrad(MaxPoolGrad(x, y, g), x)  ->  MaxPoolGrad(x, y, ReluGrad(g, y))
// Both are the same tensor: MaxPoolGrad sends g[w] to the position p of window w's maximum, where
// x[p] = y[w], so "x > 0 at p" and "y > 0 at w" are one test, for every window that p wins (ties and
// overlapping windows included). The mask then runs over the pooled gradient, a quarter of the size
// for 2x2 pools, and where that gradient comes from a convolution's input gradient the epilogue pass
// folds the mask into it: cnn_tutorial's first layer loses a pass over 6.4 MB (ReluGrad, 0.3 ms).
//
// Applies when the MaxPoolGrad is read only by the ReluGrad, neither is fed, the MaxPoolGrad is not
// fetched or a target, its orig_output is output 0 of a MaxPool of x with the same window, and the
// ReluGrad's features are that x. The new MaxPoolGrad takes the ReluGrad's name, fetches and
// readers, and waits for both nodes' control inputs.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakePoolReluGradPass();

}  // namespace kiln
