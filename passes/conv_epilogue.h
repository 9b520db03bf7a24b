// Epilogue fusion for convolutions, after gradients: Conv2D -> BiasAdd (or Add of a per-channel
// bias) [-> Relu] becomes one _FusedConv2D (grappler's remapper makes the same op), whose kernel
// adds the bias and applies the ReLU to each block of outputs while it is still in registers,
// instead of a separate elementwise pass over the whole activation (cnn_tutorial's first layer:
// 6.4 MB read and written again per step).
//
// The backward step gets the same treatment where it pays: an input gradient read only by a
// ReluGrad (Conv2DBackpropInput -> ReluGrad against the Relu's output) becomes one
// _FusedConv2DBackpropInput, which masks the gradient while it is still in registers instead of
// writing it and reading it back (convnet3: 0.8 ms of a 19 ms step). And a filter gradient and
// the bias gradient of the same out_backprop (BiasAddGrad, or the Sum over batch, height and width
// that `conv + b` differentiates to) become one _FusedConv2DBackpropFilter with two outputs, which
// sums the bias gradient from each image while the filter gradient has it in cache.
//
// The chain fuses when its intermediate values have no other reader: the Conv2D feeds only the
// add, the add only the Relu (or is the last node), none of them is fetched, a target, fed or
// waited on through a control edge except the last, whose readers, control uses, fetches and name
// move to the fused node. The fused node waits for every control input of the chain. Its deadness
// is the chain's: a dead input makes the whole chain dead either way. float and double, NHWC.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeConvEpiloguePass();

}  // namespace kiln
