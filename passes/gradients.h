// Symbolic differentiation: tf.gradients. Adds gradient nodes to the graph (under the
// "gradients" name scope) by walking back from ys to xs and calling each op's gradient function.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace kiln {

// d(sum(ys))/d(xs), each ys[i] weighted by grad_ys[i] (ones when absent). Returns a null Output
// for an x that no y depends on (TF returns None). Errors name the op that has no gradient.
StatusOr<std::vector<Output>> Gradients(const std::vector<Output>& ys, const std::vector<Output>& xs,
                                        const std::vector<Output>& grad_ys = {});

// Builder-style: records an error in the graph (Session::Run reports it) and returns nulls.
std::vector<Output> gradients(const std::vector<Output>& ys, const std::vector<Output>& xs,
                              const std::vector<Output>& grad_ys = {});
inline std::vector<Output> gradients(const Output& y, const std::vector<Output>& xs) {
  return gradients(std::vector<Output>{y}, xs);
}

}  // namespace kiln
