// Resolves conds whose predicate is known when the run is compiled. The seed programs switch
// batch norm and dropout on an `is_training` bool placeholder; the Session compiles one executable
// per value of a fed scalar bool (runtime/session.cc), where that placeholder is a Const. Then each
// Switch on it sends its data down one branch only, and the other branch, with every gradient of it
// (whose Switches test Equal(Merge:1, k), "the Merge forwarded input k"), can never run:
//   Switch(x, known p)   -> Identity(x) on the taken side; the untaken side's readers are dead
//   node with a dead data or control input -> dead (deleted, side effects included: they never ran)
//   Merge with one input that can be live  -> Identity(that input); its value_index a Const
// This is TF's executor's deadness computed once when compiling instead of at every step, so the
// result is the same, and what is left is a plain dataflow graph: later passes fuse batch norm with
// its ReLU and drop the zero gradient the untaken branch contributes (AddN(g, ZerosLike)), and the
// inference half of the graph is no longer compiled into the training step.
// Dead and untouched: a Merge with more than one input that can be live keeps its dead inputs' nodes.
// When a fetch or target would be dead, nothing changes (the run then reports it, as TF does).
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeBranchResolutionPass();

}  // namespace kiln
