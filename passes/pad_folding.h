// Folds zero padding into the convolutions around it, after gradients. The CS231n ConvNet (and
// Keras' ZeroPadding2D) writes tf.pad followed by a VALID conv2d; its gradient then slices the
// padded input's gradient back to the input's size. Both are whole passes over an activation
// (convnet3: 0.6 ms for the Pad and 0.7 ms for the Slice per step) that a convolution with padding
// EXPLICIT does without: its kernels read the borders as zeros and write only the input's pixels.
//
//   Conv2D(Pad(x, p), f)                   -> Conv2D(x, f), padding EXPLICIT, existing padding + p
//   Conv2DBackpropFilter(Pad(x, p), s, dy) -> the same for the filter gradient
//   Slice(Conv2DBackpropInput(s, f, dy), begin, size), the slice spatial only
//                                          -> Conv2DBackpropInput(size, f, dy), existing padding
//                                             + (begin, what the slice cuts off after)
// The last holds for any spatial slice: the input gradient of a pixel does not depend on the pixels
// around it, so those may as well be padding. The Pad's paddings must be constant, non-negative
// and spatial only; the convolutions NHWC, float or double, with the input
// and filter sizes the existing padding needs known. Nothing is folded across a control edge, a fed
// tensor, or into a node fed itself; a Pad or Conv2DBackpropInput that is fetched stays as well.
// The padded tensor disappears once no reader is left.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakePadFoldingPass();

}  // namespace kiln
