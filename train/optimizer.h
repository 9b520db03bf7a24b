// tf.train optimizers. They build graph nodes (gradients via passes/gradients, then the TF update
// op per variable), so they sit above passes/ and below runtime/: a minimize() is a graph, run by a
// Session like any other op.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "graph/builder/kiln.h"

namespace kiln {
namespace train {

using GradAndVar = std::pair<Output, Variable>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Gradients of loss for var_list (all trainable variables when empty). A null gradient means the
  // loss does not depend on that variable.
  std::vector<GradAndVar> compute_gradients(const Output& loss, std::vector<Variable> var_list = {});
  // One update op per (grad, var) with a gradient, grouped into one op named `name`.
  Operation apply_gradients(const std::vector<GradAndVar>& grads_and_vars, const std::string& name = "");
  // compute_gradients + apply_gradients. Errors (no variables, no gradient for any variable) are
  // recorded in the graph and reported by Session::Run, as TF raises at construction.
  Operation minimize(const Output& loss, std::vector<Variable> var_list = {}, const std::string& name = "");

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  // Adds the update op for one variable (inside name scope "update_<var>").
  virtual Operation ApplyDense(const Output& grad, const Variable& var) = 0;
  // Creates shared nodes (the learning-rate constant) once per apply_gradients.
  virtual void Prepare(Graph& g) {}
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// tf.train.GradientDescentOptimizer: var -= learning_rate * grad (ApplyGradientDescent).
class GradientDescentOptimizer : public Optimizer {
 public:
  explicit GradientDescentOptimizer(double learning_rate, const std::string& name = "GradientDescent")
      : Optimizer(name), learning_rate_(learning_rate) {}

 protected:
  void Prepare(Graph& g) override;
  Operation ApplyDense(const Output& grad, const Variable& var) override;

 private:
  double learning_rate_;
  Output lr_;
};

}  // namespace train
}  // namespace kiln
