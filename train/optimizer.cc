#include "train/optimizer.h"

#include "passes/gradients.h"

namespace kiln {
namespace train {

std::vector<GradAndVar> Optimizer::compute_gradients(const Output& loss, std::vector<Variable> var_list) {
  if (!loss) return {};
  Graph* g = loss.graph();
  if (var_list.empty()) var_list = trainable_variables(g);
  if (var_list.empty()) {
    g->RecordBuildError(InvalidArgument("No variables to optimize."));
    return {};
  }
  std::vector<Output> xs;
  for (const Variable& v : var_list) xs.push_back(v.value());
  std::vector<Output> grads = gradients({loss}, xs);
  std::vector<GradAndVar> result;
  for (size_t i = 0; i < var_list.size(); ++i) result.emplace_back(grads[i], var_list[i]);
  return result;
}

Operation Optimizer::apply_gradients(const std::vector<GradAndVar>& grads_and_vars, const std::string& name) {
  Graph* g = nullptr;
  for (const auto& [grad, var] : grads_and_vars) if (var) { g = var.node()->graph(); break; }
  if (!g) return BuildError(nullptr, InvalidArgument("apply_gradients() got no variables")).node;
  bool any = false;
  for (const auto& gv : grads_and_vars) any = any || gv.first;
  if (!any) {
    std::string names;
    for (const auto& gv : grads_and_vars) names += (names.empty() ? "" : ", ") + gv.second.name();
    g->RecordBuildError(InvalidArgument("No gradients provided for any variable, check your graph for ops that do not "
                                        "support gradients, between variables [" + names + "] and loss"));
    return Operation();
  }
  // As TF: the updates live under the scope "GradientDescent/..." and the grouping op takes the
  // scope's own name ("GradientDescent"), the name users fetch as the train op.
  name_scope scope(*g, name.empty() ? name_ : name);
  Prepare(*g);
  std::vector<Operation> updates;
  for (const auto& [grad, var] : grads_and_vars) {
    if (!grad) continue;
    name_scope update(*g, "update_" + var.name());
    updates.push_back(ApplyDense(grad, var));
  }
  return group(updates, scope.prefix());
}

Operation Optimizer::minimize(const Output& loss, std::vector<Variable> var_list, const std::string& name) {
  std::vector<GradAndVar> gv = compute_gradients(loss, std::move(var_list));
  if (gv.empty()) return Operation();
  return apply_gradients(gv, name);
}

void GradientDescentOptimizer::Prepare(Graph& g) {
  lr_ = constant(Tensor::Scalar<float>(static_cast<float>(learning_rate_)), "learning_rate", &g);
}

Operation GradientDescentOptimizer::ApplyDense(const Output& grad, const Variable& var) {
  Output lr = lr_;
  if (var.value().dtype() != DT_FLOAT) lr = cast(lr_, var.value().dtype());
  return MakeNode("ApplyGradientDescent", {var.ref(), lr, grad}, {}, "ApplyGradientDescent");
}

}  // namespace train
}  // namespace kiln
