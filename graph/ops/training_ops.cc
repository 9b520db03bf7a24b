// Optimizer update ops with TF's names and semantics (training_ops.cc in TF): each updates a
// variable in place through its ref input.
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/kernel_util.h"
#include "graph/ops/training_updates.h"
#include "graph/shape_inference.h"

namespace kiln {
namespace {

// var and the gradient (input `grad_index`) must agree; the output is var's ref.
ShapeFn ApplyShape(int grad_index) {
  return [grad_index](InferenceContext& c) {
    StatusOr<Shape> m = c.input_shape(0).Merge(c.input_shape(grad_index));
    if (!m.ok()) return c.error("var and grad do not have the same shape: " + m.status().message());
    c.set_output_shape(0, *m);
    return OkStatus();
  };
}

// The variables behind an Apply* op's ref inputs, all initialized and of the gradient's shape.
Status RefsReady(KernelContext& c, int num_refs, const Tensor& grad, std::vector<VariableStorage*>* refs) {
  for (int i = 0; i < num_refs; ++i) {
    VariableStorage* v = c.ref_input(i);
    if (!v || !v->initialized) {
      return c.uninitialized(v ? v->name : std::string("<unbound>"));
    }
    if (v->value.dims() != grad.dims()) {
      return c.error("var " + v->name + " of shape " + v->value.shape().ToString() +
                     " does not match the gradient's shape " + grad.shape().ToString());
    }
    refs->push_back(v);
  }
  return OkStatus();
}

template <typename T>
T ScalarInput(KernelContext& c, int i) { return c.input(i).data<T>()[0]; }

Status ApplyGradientDescentKernel(KernelContext& c) {
  std::vector<VariableStorage*> refs;
  KILN_RETURN_IF_ERROR(RefsReady(c, 1, c.input(2), &refs));
  return DispatchFloat(c.input(2).dtype(), "ApplyGradientDescent", [&]<typename T>() {
    GradientDescentUpdate(ScalarInput<T>(c, 1), c.input(2).data<T>(), refs[0]->value.data<T>(), 0, c.input(2).num_elements());
    return OkStatus();
  });
}

Status ApplyMomentumKernel(KernelContext& c) {
  const Tensor& grad = c.input(3);
  std::vector<VariableStorage*> refs;
  KILN_RETURN_IF_ERROR(RefsReady(c, 2, grad, &refs));
  bool nesterov = c.attr<bool>("use_nesterov");
  return DispatchFloat(grad.dtype(), "ApplyMomentum", [&]<typename T>() {
    MomentumUpdate(ScalarInput<T>(c, 2), ScalarInput<T>(c, 4), nesterov, grad.data<T>(), refs[0]->value.data<T>(),
                   refs[1]->value.data<T>(), 0, grad.num_elements());
    return OkStatus();
  });
}

Status ApplyAdamKernel(KernelContext& c) {
  const Tensor& grad = c.input(9);
  std::vector<VariableStorage*> refs;
  KILN_RETURN_IF_ERROR(RefsReady(c, 3, grad, &refs));
  bool nesterov = c.attr<bool>("use_nesterov");
  return DispatchFloat(grad.dtype(), "ApplyAdam", [&]<typename T>() {
    T lr_t = AdamStepSize(ScalarInput<T>(c, 5), ScalarInput<T>(c, 3), ScalarInput<T>(c, 4));
    AdamUpdate(lr_t, ScalarInput<T>(c, 6), ScalarInput<T>(c, 7), ScalarInput<T>(c, 8), nesterov, grad.data<T>(),
               refs[0]->value.data<T>(), refs[1]->value.data<T>(), refs[2]->value.data<T>(), 0, grad.num_elements());
    return OkStatus();
  });
}

// ms = rho ms + (1 - rho) g^2; mom = momentum mom + lr g / sqrt(ms + eps); var -= mom
Status ApplyRMSPropKernel(KernelContext& c) {
  const Tensor& grad = c.input(7);
  std::vector<VariableStorage*> refs;
  KILN_RETURN_IF_ERROR(RefsReady(c, 3, grad, &refs));
  return DispatchFloat(grad.dtype(), "ApplyRMSProp", [&]<typename T>() {
    T lr = ScalarInput<T>(c, 3), rho = ScalarInput<T>(c, 4), momentum = ScalarInput<T>(c, 5), eps = ScalarInput<T>(c, 6);
    T* w = refs[0]->value.data<T>();
    T* ms = refs[1]->value.data<T>();
    T* mom = refs[2]->value.data<T>();
    const T* g = grad.data<T>();
    for (int64_t i = 0; i < grad.num_elements(); ++i) {
      ms[i] += (g[i] * g[i] - ms[i]) * (T(1) - rho);
      mom[i] = mom[i] * momentum + lr * g[i] / std::sqrt(ms[i] + eps);
      w[i] -= mom[i];
    }
    return OkStatus();
  });
}

// An Apply* op whose gradient comes last (ref inputs, then scalars); its output is the var ref.
void RegisterApply(OpRegistry& r, const char* name, const std::vector<std::string>& refs,
                   const std::vector<std::string>& scalars, const std::string& grad, KernelFn kernel,
                   const std::string& library_kernel = "") {
  OpDefBuilder op = Op(name);
  for (const std::string& ref : refs) op.Input(ref + ": Ref(T)");
  for (const std::string& s : scalars) op.Input(s + ": T");
  op.Input(grad + ": T").Output("out: Ref(T)").Attr("T: {float, double}").Attr("use_locking: bool = false");
  int grad_index = static_cast<int>(refs.size() + scalars.size());
  op.Shape(ApplyShape(grad_index)).Kernel(std::move(kernel)).Stateful().NotDifferentiable();
  if (!library_kernel.empty()) op.Lowering({OpLowering::Kind::kLibrary, library_kernel});
  r.Register(op);
}

}  // namespace

void RegisterTrainingOps(OpRegistry& r) {
  RegisterApply(r, "ApplyGradientDescent", {"var"}, {"alpha"}, "delta", ApplyGradientDescentKernel, "apply_gradient_descent");
  // TF's order puts momentum after grad.
  r.Register(Op("ApplyMomentum").Input("var: Ref(T)").Input("accum: Ref(T)").Input("lr: T").Input("grad: T")
                 .Input("momentum: T").Output("out: Ref(T)").Attr("T: {float, double}").Attr("use_locking: bool = false")
                 .Attr("use_nesterov: bool = false").Shape(ApplyShape(3)).Kernel(ApplyMomentumKernel).Stateful()
                 .NotDifferentiable().Lowering({OpLowering::Kind::kLibrary, "apply_momentum"}));
  r.Register(Op("ApplyAdam").Input("var: Ref(T)").Input("m: Ref(T)").Input("v: Ref(T)").Input("beta1_power: T")
                 .Input("beta2_power: T").Input("lr: T").Input("beta1: T").Input("beta2: T").Input("epsilon: T")
                 .Input("grad: T").Output("out: Ref(T)").Attr("T: {float, double}").Attr("use_locking: bool = false")
                 .Attr("use_nesterov: bool = false").Shape(ApplyShape(9)).Kernel(ApplyAdamKernel).Stateful().NotDifferentiable()
                 .Lowering({OpLowering::Kind::kLibrary, "apply_adam"}));
  RegisterApply(r, "ApplyRMSProp", {"var", "ms", "mom"}, {"lr", "rho", "momentum", "epsilon"}, "grad",
                ApplyRMSPropKernel);
}

}  // namespace kiln
