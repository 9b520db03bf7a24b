#include "graph/builder/layers.h"

#include "graph/ops/array_ops.h"
#include "graph/ops/math_ops.h"
#include "graph/ops/nn_ops.h"

namespace kiln::layers {

Output dense(const Output& inputs, int64_t units, const DenseOptions& options) {
  if (!inputs) return Output();
  Graph& g = *inputs.graph();
  const Shape& in = inputs.shape();
  if (in.rank() < 2 || in.dim(in.rank() - 1) < 0) {
    return BuildError(&g, InvalidArgument("The last dimension of the inputs to `dense` should be defined. Found " +
                                          in.ToString() + " for input " + inputs.name()));
  }
  if (in.rank() != 2) {
    return BuildError(&g, Unimplemented("dense on inputs of rank " + std::to_string(in.rank()) + " (flatten them first)"));
  }
  auto guard = as_default(g);
  name_scope scope(g, options.name.empty() ? "dense" : options.name);
  int64_t in_units = in.dim(1);
  Initializer kernel_init = options.kernel_initializer ? options.kernel_initializer : glorot_uniform_initializer();
  Variable kernel(kernel_init({in_units, units}, inputs.dtype()), "kernel", options.trainable);
  if (!kernel) return Output();
  if (options.kernel_regularizer) {
    Output penalty = options.kernel_regularizer(kernel.value());
    if (penalty) g.AddToCollection(GraphKeys::REGULARIZATION_LOSSES, penalty.node);
  }
  Output out = matmul(inputs, kernel, false, false, "MatMul");
  if (options.use_bias) {
    Initializer bias_init = options.bias_initializer ? options.bias_initializer : zeros_initializer();
    Variable bias(bias_init({units}, inputs.dtype()), "bias", options.trainable);
    out = nn::bias_add(out, bias, "BiasAdd");
  }
  return options.activation ? options.activation(out, "") : out;
}

Output flatten(const Output& inputs, const std::string& name) {
  if (!inputs) return Output();
  const Shape& s = inputs.shape();
  if (s.unknown_rank()) return BuildError(inputs.graph(), InvalidArgument("flatten needs inputs of known rank"));
  int64_t rest = 1;
  for (int i = 1; i < s.rank(); ++i) {
    if (s.dim(i) < 0) {
      return BuildError(inputs.graph(), InvalidArgument("flatten needs known non-batch dims, got " + s.ToString()));
    }
    rest *= s.dim(i);
  }
  return reshape(inputs, {-1, rest}, name.empty() ? "flatten" : name);
}

Regularizer l2_regularizer(double scale) {
  return [scale](const Output& w) { return nn::l2_loss(w) * scale; };
}

}  // namespace kiln::layers
