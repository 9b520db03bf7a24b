#include "graph/ops/elementwise.h"

namespace kiln {

ElementwiseLoweringFn LowerUnary(UnaryExprFn f) {
  return [f = std::move(f)](const Node&, ExprBuilder& b, const std::vector<ExprValue>& in, std::vector<ExprValue>* out) {
    (*out)[0] = f(b, in[0]);
    return OkStatus();
  };
}

ElementwiseLoweringFn LowerBinary(BinaryExprFn f) {
  return [f = std::move(f)](const Node&, ExprBuilder& b, const std::vector<ExprValue>& in, std::vector<ExprValue>* out) {
    (*out)[0] = f(b, in[0], in[1]);
    return OkStatus();
  };
}

void RegisterBinary(OpRegistry& r, const char* name, const std::string& types, KernelFn kernel, GradFn grad,
                    bool commutative, ElementwiseLoweringFn lowering) {
  OpDefBuilder b = Op(name).Input("x: T").Input("y: T").Output("z: T").Attr("T: " + types)
                       .Shape(BroadcastBinaryShape).Grad(std::move(grad)).Kernel(std::move(kernel))
                       .Elementwise(std::move(lowering));
  if (commutative) b.Commutative();
  r.Register(b);
}

void RegisterCompare(OpRegistry& r, const char* name, KernelFn kernel, bool with_shape_error_attr,
                     ElementwiseLoweringFn lowering) {
  OpDefBuilder b = Op(name).Input("x: T").Input("y: T").Output("z: bool")
                       .Attr("T: {float, double, int32, int64, uint8, bool}")
                       .Shape(BroadcastBinaryShape).Kernel(std::move(kernel)).NotDifferentiable()
                       .Elementwise(std::move(lowering));
  if (with_shape_error_attr) b.Attr("incompatible_shape_error: bool = true");
  r.Register(b);
}

void RegisterUnary(OpRegistry& r, const char* name, const std::string& types, KernelFn kernel, GradFn grad,
                   ElementwiseLoweringFn lowering) {
  r.Register(Op(name).Input("x: T").Output("y: T").Attr("T: " + types).Shape(UnchangedShape)
                 .Grad(std::move(grad)).Kernel(std::move(kernel)).Elementwise(std::move(lowering)));
}

}  // namespace kiln
