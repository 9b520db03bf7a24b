// Fuses batch norm with the ReLU after it, forward and backward, as grappler does on CPU. The seed
// conv net (conv -> batch norm -> ReLU, five times) otherwise writes each normalized activation,
// reads it back for the ReLU and writes it again; backward, ReluGrad writes the masked gradient that
// the batch norm's gradient then reads twice.
//   Relu(FusedBatchNormV3(x, ...))          -> _FusedBatchNormEx(x, ...), activation_mode Relu
//   FusedBatchNormGradV3(ReluGrad(dy, y), x, scale, r1, r2, r3), y that fused node's output
//                                            -> _FusedBatchNormGradEx(dy, x, scale, r1, r2, r3, offset, y)
// The gradient may be read through the Identities of TF's gradient tuples. Only a batch norm whose
// y nothing but the Relu reads fuses (not fetched, fed or a target), and a ReluGrad fuses into the
// batch norm gradient that is its only reader. After `branches`: a cond on is_training between
// the two hides the pattern until it is resolved.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeBatchNormEpiloguePass();

}  // namespace kiln
