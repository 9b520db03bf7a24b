#include "graph/ops/elementwise.h"

namespace kiln {

void RegisterBinary(OpRegistry& r, const char* name, const std::string& types, KernelFn kernel, GradFn grad,
                    bool commutative) {
  OpDefBuilder b = Op(name).Input("x: T").Input("y: T").Output("z: T").Attr("T: " + types)
                       .Shape(BroadcastBinaryShape).Grad(std::move(grad)).Kernel(std::move(kernel))
                       .Lowering({OpLowering::Kind::kElementwise, ""});
  if (commutative) b.Commutative();
  r.Register(b);
}

void RegisterCompare(OpRegistry& r, const char* name, KernelFn kernel, bool with_shape_error_attr) {
  OpDefBuilder b = Op(name).Input("x: T").Input("y: T").Output("z: bool")
                       .Attr("T: {float, double, int32, int64, uint8, bool}")
                       .Shape(BroadcastBinaryShape).Kernel(std::move(kernel)).NotDifferentiable()
                       .Lowering({OpLowering::Kind::kElementwise, ""});
  if (with_shape_error_attr) b.Attr("incompatible_shape_error: bool = true");
  r.Register(b);
}

void RegisterUnary(OpRegistry& r, const char* name, const std::string& types, KernelFn kernel, GradFn grad) {
  r.Register(Op(name).Input("x: T").Output("y: T").Attr("T: " + types).Shape(UnchangedShape)
                 .Grad(std::move(grad)).Kernel(std::move(kernel)).Lowering({OpLowering::Kind::kElementwise, ""}));
}

}  // namespace kiln
