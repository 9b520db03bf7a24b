// Adapts a reference kernel (C++ over Tensors) to the kernel ABI (void** buffers + sizes), so the
// Executable calls every step the same way. The closure carries what the ABI does not: the node
// (attrs), operand dtypes and shapes, the variables behind ref inputs, random state, and a slot
// for the error.
#pragma once

#include <vector>

#include "graph/kernel_abi.h"
#include "graph/kernel_context.h"

namespace kiln {

struct ReferenceStep {
  const Node* node = nullptr;
  std::vector<TensorType> inputs;    // concrete shapes
  std::vector<TensorType> outputs;
  std::vector<VariableStorage*> ref_inputs;  // per input: the variable behind a ref input, else null
  RngState* rng = nullptr;
  Status status;  // set when the kernel fails
  // RunReferenceStep's tensors from the last run and the buffers they view, reused while those
  // buffers stay where they were.
  std::vector<Tensor> bound_inputs, bound_outputs;
  std::vector<void*> bound_data;
};

// The KilnKernelFn for reference steps; `closure` is a ReferenceStep.
extern "C" int32_t RunReferenceStep(const void* closure, void* const* buffers, const int64_t* sizes);

}  // namespace kiln
