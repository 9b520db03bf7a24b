#include "runtime/reference_step.h"

namespace kiln {

extern "C" int32_t RunReferenceStep(const void* closure, void* const* buffers, const int64_t* sizes) {
  auto* step = const_cast<ReferenceStep*>(static_cast<const ReferenceStep*>(closure));
  std::vector<Tensor> inputs, outputs;
  inputs.reserve(step->inputs.size());
  for (size_t i = 0; i < step->inputs.size(); ++i) {
    VariableStorage* var = step->ref_inputs[i];
    // A ref input is the variable itself (possibly uninitialized, for Assign); others are views.
    inputs.push_back(var ? var->value : Tensor::Wrap(step->inputs[i].dtype, step->inputs[i].shape.dims(), buffers[i]));
  }
  size_t n_in = step->inputs.size();
  for (size_t i = 0; i < step->outputs.size(); ++i) {
    outputs.push_back(Tensor::Wrap(step->outputs[i].dtype, step->outputs[i].shape.dims(), buffers[n_in + i]));
  }
  KernelContext ctx(*step->node, std::move(inputs), std::move(outputs));
  ctx.set_ref_inputs(step->ref_inputs);
  ctx.set_rng(step->rng);
  step->status = step->node->def().kernel(ctx);
  return step->status.ok() ? 0 : 1;
}

}  // namespace kiln
