// Values nobody reads are not computed: a pure node whose only readers wait on it through control
// edges becomes a NoOp that waits for what the node waited for (its data inputs and control
// inputs), so every reader still runs after the same things and is dead in the same runs. TF1's
// gradient gating makes these: each op's gradients are grouped (GATE_OP), and the group waits for
// the gradient of every input, including ones no variable needs (the input images' gradient, a
// whole Conv2DBackpropInput). Grappler's DependencyOptimizer does the same.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeUnreadValuesPass();

}  // namespace kiln
