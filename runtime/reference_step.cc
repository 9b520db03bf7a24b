#include "runtime/reference_step.h"

namespace kiln {
namespace {

// Marks a bound tensor that has never been bound (no buffer pointer is ever this).
void* const kUnbound = reinterpret_cast<void*>(uintptr_t{1});

}  // namespace

extern "C" int32_t RunReferenceStep(const void* closure, void* const* buffers, const int64_t* sizes) {
  auto* step = const_cast<ReferenceStep*>(static_cast<const ReferenceStep*>(closure));
  const size_t n_in = step->inputs.size(), n_out = step->outputs.size();
  if (step->bound_data.size() != n_in + n_out) {
    step->bound_data.assign(n_in + n_out, kUnbound);
    step->bound_inputs.resize(n_in);
    step->bound_outputs.resize(n_out);
  }
  // The tensors of the last run are reused while their buffers stay put (every planned buffer
  // does; feeds and variables may move), so a warm step allocates nothing here.
  for (size_t i = 0; i < n_in; ++i) {
    VariableStorage* var = step->ref_inputs[i];
    // A ref input is the variable itself (possibly uninitialized, for Assign); others are views.
    void* data = var ? var->value.raw_data() : buffers[i];
    if (data == step->bound_data[i] && (!var || step->bound_inputs[i].dims() == var->value.dims())) continue;
    step->bound_inputs[i] = var ? var->value : Tensor::Wrap(step->inputs[i].dtype, step->inputs[i].shape.dims(), data);
    step->bound_data[i] = data;
  }
  for (size_t i = 0; i < n_out; ++i) {
    if (buffers[n_in + i] == step->bound_data[n_in + i]) continue;
    step->bound_outputs[i] = Tensor::Wrap(step->outputs[i].dtype, step->outputs[i].shape.dims(), buffers[n_in + i]);
    step->bound_data[n_in + i] = buffers[n_in + i];
  }
  KernelContext ctx(*step->node, std::move(step->bound_inputs), std::move(step->bound_outputs));
  ctx.set_ref_inputs(std::move(step->ref_inputs));
  ctx.set_rng(step->rng);
  step->status = step->node->def().kernel(ctx);
  ctx.Release(&step->bound_inputs, &step->bound_outputs, &step->ref_inputs);
  // A kernel that replaced an output tensor instead of writing into it must be rebound next time.
  for (size_t i = 0; i < n_out; ++i) {
    if (step->bound_outputs[i].raw_data() != buffers[n_in + i]) step->bound_data[n_in + i] = kUnbound;
  }
  return step->status.ok() ? 0 : 1;
}

}  // namespace kiln
