// tf.train optimizers. They build graph nodes (gradients via passes/gradients, then the TF update
// op per variable), so they sit above passes/ and below runtime/: a minimize() is a graph, run by a
// Session like any other op.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph/builder/kiln.h"

namespace kiln {
namespace train {

using GradAndVar = std::pair<Output, Variable>;

// A learning rate given as a number or as a tensor (e.g. exponential_decay of global_step).
struct LearningRate {
  LearningRate(double v) : value(v) {}        // NOLINT
  LearningRate(const Output& t) : tensor(t) {}  // NOLINT
  double value = 0;
  Output tensor;
};

// tf.train.get_or_create_global_step(): an int64 scalar variable "global_step", not trainable.
Variable get_or_create_global_step(Graph* graph = nullptr);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Gradients of loss for var_list (all trainable variables when empty). A null gradient means the
  // loss does not depend on that variable.
  std::vector<GradAndVar> compute_gradients(const Output& loss, std::vector<Variable> var_list = {});
  // One update op per (grad, var) with a gradient, grouped into one op named `name`; with a
  // global_step, the returned op is its increment, run after every update (as TF).
  Operation apply_gradients(const std::vector<GradAndVar>& grads_and_vars, const Variable& global_step = Variable(),
                            const std::string& name = "");
  // compute_gradients + apply_gradients. Errors (no variables, no gradient for any variable) are
  // recorded in the graph and reported by Session::Run, as TF raises at construction.
  Operation minimize(const Output& loss, std::vector<Variable> var_list = {}, const Variable& global_step = Variable(),
                     const std::string& name = "");

 protected:
  Optimizer(std::string name, LearningRate lr) : name_(std::move(name)), learning_rate_(std::move(lr)) {}
  // Creates the optimizer's slot variables for `vars` (before the update ops, outside any scope).
  virtual void CreateSlots(Graph& g, const std::vector<Variable>& vars) {}
  // Adds the update op for one variable (inside name scope "update_<var>").
  virtual Operation ApplyDense(const Output& grad, const Variable& var) = 0;
  // Ops that must follow all updates (Adam's beta powers); returns the op to group with them.
  virtual std::vector<Operation> Finish(const std::vector<Operation>& updates) { return {}; }

  // The learning rate (or another hyperparameter) as a tensor of `dtype` in scope "<name>/".
  Output Hyper(const std::string& hyper_name, double value, DataType dtype);
  Output LearningRateFor(DataType dtype);
  // TF's slot variable "<var>/<slot_name>", same shape and dtype as var, filled with `init`,
  // created at the top level outside control dependencies, not trainable.
  Variable CreateSlot(Graph& g, const Variable& var, const std::string& slot_name, double init);
  // A non-slot scalar variable at the top level ("beta1_power").
  Variable CreateNonSlot(Graph& g, const std::string& var_name, double init);
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  LearningRate learning_rate_;
  std::map<std::pair<std::string, DataType>, Output> hypers_;
};

// tf.train.GradientDescentOptimizer: var -= learning_rate * grad (ApplyGradientDescent).
class GradientDescentOptimizer : public Optimizer {
 public:
  explicit GradientDescentOptimizer(LearningRate learning_rate, const std::string& name = "GradientDescent")
      : Optimizer(name, std::move(learning_rate)) {}

 protected:
  Operation ApplyDense(const Output& grad, const Variable& var) override;
};

// tf.train.MomentumOptimizer: accum = momentum * accum + grad; var -= lr * accum (or Nesterov's
// form). Slot "<var>/Momentum".
class MomentumOptimizer : public Optimizer {
 public:
  MomentumOptimizer(LearningRate learning_rate, double momentum, bool use_nesterov = false,
                    const std::string& name = "Momentum")
      : Optimizer(name, std::move(learning_rate)), momentum_(momentum), use_nesterov_(use_nesterov) {}

 protected:
  void CreateSlots(Graph& g, const std::vector<Variable>& vars) override;
  Operation ApplyDense(const Output& grad, const Variable& var) override;

 private:
  double momentum_;
  bool use_nesterov_;
  std::map<Node*, Variable> accum_;
};

// tf.train.AdamOptimizer (Kingma & Ba 2015) with TF's defaults. Slots "<var>/Adam" (m) and
// "<var>/Adam_1" (v); non-slot variables beta1_power, beta2_power, advanced after the updates.
class AdamOptimizer : public Optimizer {
 public:
  explicit AdamOptimizer(LearningRate learning_rate = 0.001, double beta1 = 0.9, double beta2 = 0.999,
                         double epsilon = 1e-8, const std::string& name = "Adam")
      : Optimizer(name, std::move(learning_rate)), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {}

 protected:
  void CreateSlots(Graph& g, const std::vector<Variable>& vars) override;
  Operation ApplyDense(const Output& grad, const Variable& var) override;
  std::vector<Operation> Finish(const std::vector<Operation>& updates) override;

 private:
  double beta1_, beta2_, epsilon_;
  std::map<Node*, std::pair<Variable, Variable>> slots_;
  Variable beta1_power_, beta2_power_;
};

// tf.train.RMSPropOptimizer with TF's defaults (decay 0.9, momentum 0, epsilon 1e-10). Slots
// "<var>/RMSProp" (mean square, starting at ones as in TF1) and "<var>/RMSProp_1" (momentum).
class RMSPropOptimizer : public Optimizer {
 public:
  explicit RMSPropOptimizer(LearningRate learning_rate, double decay = 0.9, double momentum = 0.0,
                            double epsilon = 1e-10, const std::string& name = "RMSProp")
      : Optimizer(name, std::move(learning_rate)), decay_(decay), momentum_(momentum), epsilon_(epsilon) {}

 protected:
  void CreateSlots(Graph& g, const std::vector<Variable>& vars) override;
  Operation ApplyDense(const Output& grad, const Variable& var) override;

 private:
  double decay_, momentum_, epsilon_;
  std::map<Node*, std::pair<Variable, Variable>> slots_;
};

}  // namespace train
}  // namespace kiln
