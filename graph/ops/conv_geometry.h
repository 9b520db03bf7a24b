// NHWC window geometry shared by convolution and pooling: output sizes and padding for TF's
// "SAME" and "VALID" schemes (TF's GetWindowedOutputSize).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/status.h"

namespace kiln {

struct Window1D {
  int64_t out = 0;       // output size
  int64_t pad_before = 0;
};

// VALID: out = ceil((in - k + 1) / stride); SAME: out = ceil(in / stride) with the padding split
// as TF does (the extra element after). Unknown (-1) in gives -1 out.
StatusOr<Window1D> WindowedOutput(int64_t in, int64_t k, int64_t stride, const std::string& padding);

// Reads a 4-int NHWC list attr (strides, ksize): batch and channel entries must be 1.
Status SpatialPair(const std::vector<int64_t>& v, const std::string& what, int64_t* h, int64_t* w);

}  // namespace kiln
