// `kiln bench --profile`: where a model's step spends its time, from the traced runs' step stats
// (runtime/run_metadata.h) totalled over the timed runs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "runtime/run_metadata.h"

namespace kiln::cli {

// Prints, after a model's benchmark line, the `top` slowest steps (share of the traced time,
// milliseconds per run, op, kernel, output shape, node) and then the time per op type, most first:
//   profile model=NAME steps=S traced_ms_per_run=X
//     18.2%   5.421 ms  Conv2DBackpropFilter  library conv2d_backprop_filter  [3,3,16,20]  gradients/...
//   by op:
//     35.0%  10.432 ms  Conv2DBackpropFilter (5 steps)
// `totals` holds each step's duration summed over `runs` runs.
void PrintStepProfile(std::FILE* out, const char* model, const std::vector<NodeExecStats>& totals, int64_t runs,
                      size_t top = 15);

}  // namespace kiln::cli
