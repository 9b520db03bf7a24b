#include "graph/kernel_context.h"

namespace kiln {

Status KernelContext::error(const std::string& message) const {
  return InvalidArgument(message + "\n\t [[node " + node_.name() + " (op: " + node_.op() + ")]]");
}

Status KernelContext::uninitialized(const std::string& variable) const {
  return FailedPrecondition("Attempting to use uninitialized value " + variable + "\n\t [[node " + node_.name() +
                            " (op: " + node_.op() + ")]]");
}

Status VariableStorage::Assign(const Tensor& v) {
  if (!value.valid() || value.dims() != v.dims() || value.dtype() != v.dtype()) {
    KILN_ASSIGN_OR_RETURN(value, Tensor::Make(v.dtype(), v.dims()));
  }
  if (v.num_bytes() > 0) std::memcpy(value.raw_data(), v.raw_data(), v.num_bytes());
  initialized = true;
  return OkStatus();
}

StatusOr<std::vector<Tensor>> RunReferenceKernel(const Node& node, const std::vector<Tensor>& inputs) {
  if (!node.def().kernel) return Unimplemented("op " + node.op() + " has no reference kernel");
  std::vector<Tensor> outputs;
  for (const TensorType& t : node.output_types()) {
    if (!t.shape.IsFullyDefined()) {
      return InvalidArgument("cannot run " + node.DebugName() + ": output shape " + t.shape.ToString() +
                             " is not fully defined");
    }
    KILN_ASSIGN_OR_RETURN(Tensor out, Tensor::Make(t.dtype, t.shape.dims()));
    outputs.push_back(std::move(out));
  }
  KernelContext ctx(node, inputs, outputs);
  KILN_RETURN_IF_ERROR(node.def().kernel(ctx));
  return outputs;
}

}  // namespace kiln
