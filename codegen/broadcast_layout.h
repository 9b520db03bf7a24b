// The iteration space of an elementwise kernel with broadcasting inputs, reduced to as few
// dimensions as the broadcasts allow (TF's BCast and XLA's layout normalization do the same):
// dims of size 1 are dropped, and neighbouring dims are merged wherever every input either spans
// both or broadcasts along both. [64, 32, 10] + [10] becomes [2048, 10] + [1, 10]; [8, 8] + [8, 8]
// becomes [64] (the contiguous fast path); a scalar input broadcasts everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/status.h"

namespace kiln::codegen {

struct BroadcastLayout {
  std::vector<int64_t> dims;  // the merged iteration dims, row-major; at least one
  // Per input, its element stride along each of `dims`: 0 where it broadcasts, else the row-major
  // stride of its own (merged) shape.
  std::vector<std::vector<int64_t>> strides;
  int64_t num_elements = 0;

  int rank() const { return static_cast<int>(dims.size()); }
  // Rank 1: every input is either read contiguously (stride 1) or is one broadcast scalar.
  bool is_flat() const { return dims.size() == 1; }
};

// Plans `shape` (every output's) against each input's shape, right-aligned as NumPy broadcasts:
// an input's dim must equal the aligned dim of `shape` or be 1. With `keep_innermost` the last
// dim of `shape` stays a dim of its own (never merged, never dropped, even when 1 or 0), as a
// reduction along it needs: dims is then [rows..., cols]. Errors (InvalidArgument) name the input,
// its shape and `shape`.
StatusOr<BroadcastLayout> PlanBroadcast(const std::vector<int64_t>& shape,
                                        const std::vector<std::vector<int64_t>>& input_shapes,
                                        bool keep_innermost = false);

// "[2,3]" for messages.
std::string DimsToString(const std::vector<int64_t>& dims);

}  // namespace kiln::codegen
