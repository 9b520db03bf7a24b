// Algebraic simplification: rewrites that make a node disappear without changing any value
// (grappler's ArithmeticOptimizer, Halide's simplifier in spirit). The rules, one table keyed by op:
//   x*1, 1*x, x+0, 0+x, x-0, x/1 -> x   (1 and 0: constants, OnesLike/ZerosLike, Fill of 1 or 0)
//   Neg(Neg(x)) -> x
//   Transpose(Transpose(x, p), q) -> Transpose(x, p∘q), or x when that is the identity
//   Reshape(Reshape(x, s), t) -> Reshape(x, t)
//   Identity(x), StopGradient(x) -> x   (not a variable's `W/read`)
//   a shape-preserving Reshape, Squeeze, Tile, BroadcastTo, Pad, Slice, Cast, one-input
//   ConcatV2/AddN, or reduction over no axis of size > 1 -> its input (the gradient code's
//   Reshape(Sum(dz, []), shape(dz)) pairs where nothing was broadcast)
// Fetched and target nodes stay, so a fetch by name finds the same node after the pass (their
// inputs still simplify). A rule applies only when the result's dtype and shape equal x's (no broadcast is lost), and when
// the nodes it bypasses have no operand that could make the result dead in a run where x is live
// (passes/deadness.h) and no control input their readers do not already wait for: a gated
// gradient Identity(x, ^group_deps) stays, while the many gradient nodes TF1 builds under
// control_dependencies(UPDATE_OPS), whose readers share those control inputs, simplify.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeSimplifyPass();

}  // namespace kiln
