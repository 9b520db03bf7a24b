// What a reference kernel sees: its node (attrs, name), input tensors, preallocated outputs (their
// shapes come from shape inference), variables behind ref inputs, and random state.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/variable.h"

namespace kiln {

class KernelContext {
 public:
  KernelContext(const Node& node, std::vector<Tensor> inputs, std::vector<Tensor> outputs)
      : node_(node), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}

  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  const Tensor& input(int i) const { return inputs_[i]; }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  Tensor& output(int i) { return outputs_[i]; }
  template <typename T>
  T attr(const std::string& name) const { return node_.attr<T>(name); }

  // The variable behind ref input i (Assign's `ref`), or, for ops with a ref output and no ref
  // input (VariableV2), the variable the node names. Null when there is none.
  VariableStorage* ref_input(int i) const { return i < static_cast<int>(ref_inputs_.size()) ? ref_inputs_[i] : nullptr; }
  void set_ref_inputs(std::vector<VariableStorage*> refs) { ref_inputs_ = std::move(refs); }
  // Hands the tensors back (the context is done with them), so a caller that runs the same kernel
  // again can reuse them without allocating.
  void Release(std::vector<Tensor>* inputs, std::vector<Tensor>* outputs, std::vector<VariableStorage*>* refs) {
    *inputs = std::move(inputs_);
    *outputs = std::move(outputs_);
    *refs = std::move(ref_inputs_);
  }
  RngState* rng() const { return rng_; }
  void set_rng(RngState* rng) { rng_ = rng; }

  // InvalidArgument naming the node and op: "<msg>\n\t [[node x (op: Foo)]]" like TF's runtime errors.
  Status error(const std::string& message) const;
  // FailedPrecondition for a read of a variable that was never initialized, TF's
  // "Attempting to use uninitialized value <name>" (what an Executable says for a read by value too).
  Status uninitialized(const std::string& variable) const;

 private:
  const Node& node_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> outputs_;
  std::vector<VariableStorage*> ref_inputs_;
  RngState* rng_ = nullptr;
};

// Runs node's reference kernel on owned input tensors, allocating outputs from the inferred output
// shapes (which must be fully defined). Used for constant folding and by tests.
StatusOr<std::vector<Tensor>> RunReferenceKernel(const Node& node, const std::vector<Tensor>& inputs);

}  // namespace kiln
