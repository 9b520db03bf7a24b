// Optimizer update ops with TF's names and semantics (training_ops.cc in TF): each updates a
// variable in place through its ref input.
#include "graph/op_registry.h"
#include "graph/ops/kernel_util.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

Status ApplyShape(InferenceContext& c) {
  StatusOr<Shape> m = c.input_shape(0).Merge(c.input_shape(c.num_inputs() - 1));
  if (!m.ok()) return c.error("var and delta do not have the same shape: " + m.status().message());
  c.set_output_shape(0, *m);
  return OkStatus();
}

// var -= alpha * delta
Status ApplyGradientDescentKernel(KernelContext& c) {
  VariableStorage* var = c.ref_input(0);
  if (!var || !var->initialized) {
    return c.error("Attempting to use uninitialized value " + (var ? var->name : std::string("<unbound>")));
  }
  const Tensor& delta = c.input(2);
  if (var->value.dims() != delta.dims()) {
    return c.error("var and delta do not have the same shape" + var->value.shape().ToString() + " " + delta.shape().ToString());
  }
  return DispatchFloat(delta.dtype(), "ApplyGradientDescent", [&]<typename T>() {
    T alpha = c.input(1).data<T>()[0];
    T* w = var->value.data<T>();
    const T* d = delta.data<T>();
    for (int64_t i = 0; i < delta.num_elements(); ++i) w[i] -= alpha * d[i];
    return OkStatus();
  });
}

}  // namespace

void RegisterTrainingOps(OpRegistry& r) {
  r.Register(Op("ApplyGradientDescent").Input("var: Ref(T)").Input("alpha: T").Input("delta: T")
                 .Output("out: Ref(T)").Attr("T: {float, double}").Attr("use_locking: bool = false")
                 .Shape(ApplyShape).Kernel(ApplyGradientDescentKernel).Stateful().NotDifferentiable());
}

}  // namespace kiln
