// Epilogue fusion for matrix products, after gradients: MatMul -> BiasAdd (or an Add of a vector
// of one value per column) [-> Relu] becomes one _FusedMatMul (grappler's remapper makes the same
// op), whose kernel adds the bias and applies the ReLU to each block of the product while that block
// is still in the core's cache (runtime/kernels/matmul_kernel.cc), instead of an elementwise pass
// over the whole product: the forward product of a dense layer. cnn_tutorial's fc1 takes its ReLU
// too; a LeakyRelu's gradient reads the pre-activation value, so deep128's layers take only the bias.
//
// As for convolutions (conv_epilogue.h): the chain fuses when its intermediate values have no
// other reader; the last node may be fetched or a target, and the fused node takes its name and
// waits for every control input of the chain. float and double.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeMatMulEpiloguePass();

}  // namespace kiln
