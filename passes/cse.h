// Common subexpression elimination: nodes computing the same thing from the same tensors become
// one (grappler's DedupComputations). Same op, attrs, device, data inputs (as a multiset for
// commutative ops, so a*b meets b*a), control inputs (as a set) and hence the same deadness; Consts
// merge when dtype, shape and value are equal. Stateful ops (two random draws are not one),
// Switch/Merge, placeholders and fed tensors never merge, nor two fetched nodes (each keeps its
// name; a fetched one survives a merge with an unfetched one). One pass in id order finds every
// duplicate: a node's inputs are already merged when it is visited, so hashing its key suffices.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<GraphPass> MakeCsePass();

}  // namespace kiln
