// Constant folding: a node whose inputs are all known values is evaluated once, at compile time,
// through its reference kernel and replaced by Const nodes (grappler's ConstantFolding, TF's
// common_runtime/constant_folding.cc). Nodes whose value shape inference already knows (Shape,
// Size, BroadcastGradientArgs of known shapes) fold without running anything.
//
// Never folded: stateful ops (variables, random, updates), Switch/Merge, placeholders (they may be
// fed), fed tensors, outputs over the size cap, and nodes whose kernel fails (the run reports it).
// Deadness is kept: the new Const carries the folded node's control inputs, the control inputs of
// the constants it read (inside a cond branch a constant hangs off the branch's pivot), and a
// control edge from any non-constant input that may be dead (a Shape read in an untaken branch).
#pragma once

#include <cstdint>
#include <memory>

#include "passes/pass.h"

namespace kiln {

struct ConstantFoldingOptions {
  // Largest folded output, in bytes (grappler's kMaxConstantSize): a bigger constant costs more in
  // the graph than computing it costs at run time.
  int64_t max_constant_bytes = 10 << 20;
};

std::unique_ptr<GraphPass> MakeConstantFoldingPass(ConstantFoldingOptions options = {});

}  // namespace kiln
