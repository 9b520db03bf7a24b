// The floating-point work of one run of a graph, for `kiln bench`'s GFLOP/s. It counts what dominates
// every seed model's training step, the matrix products and convolutions, at 2 flops per
// multiply-add (the convention of GEMM benchmarks, so model figures read against `kiln bench
// --ceiling`):
//   MatMul                      2 m n k
//   Conv2D                      2 N OH OW KH KW C O   (output [N, OH, OW, O], filter [KH, KW, C, O])
//   Conv2DBackpropInput/Filter  the same each: one product of the same sizes, transposed
// Elementwise ops, reductions, pooling, batch norm and optimizer updates are not counted: a few flops
// per element, small beside the products in these models, and their count would hinge on how each op
// is written (is a sigmoid 1 flop or 20?).
#pragma once

#include <cstdint>

#include "graph/graph.h"

namespace kiln {

// Flops of the node's op by the table above; 0 for ops it does not count or shapes not fully known.
int64_t NodeFlops(const Node& node);

// The sum of NodeFlops over the graph. Give it a graph specialized to the fed shapes (Session's
// last_compile().graph), where every shape is concrete; a graph with Switch counts both branches.
int64_t CountFlops(const Graph& graph);

}  // namespace kiln
