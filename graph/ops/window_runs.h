// The copy between a tensor and a window of a larger one of the same rank (Pad writes the smaller
// one into the larger at an offset, Slice reads the window out) as runs of elements contiguous in
// both: a padded NHWC image copies a row of W*C at a time. Shared by the reference kernels and the
// runtime's parallel library kernels for Pad and Slice.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace kiln {

struct WindowRuns {
  int64_t run = 0;  // elements per run
  // Per run, in row-major order: (offset in the smaller tensor, offset in the larger one).
  std::vector<std::pair<int64_t, int64_t>> offsets;
};

// Each dim's padding before, from Pad's paddings flattened as [before0, after0, before1, ...]: the
// offset of the input in the padded output.
std::vector<int64_t> PadsBefore(const std::vector<int64_t>& paddings);

// The runs copying `small_dims` to or from the window of `large_dims` starting at `offset`
// (offset[d] + small_dims[d] <= large_dims[d]). No runs when the smaller tensor is empty.
WindowRuns MakeWindowRuns(const std::vector<int64_t>& small_dims, const std::vector<int64_t>& large_dims,
                          const std::vector<int64_t>& offset);

}  // namespace kiln
