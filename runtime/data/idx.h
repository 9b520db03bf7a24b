// The IDX format of the MNIST files: big-endian magic (0, 0, type, ndims), ndims big-endian
// uint32 dims, then the row-major data. Every header field is checked before anything is
// allocated from it.
#pragma once

#include <string>

#include "graph/tensor.h"

namespace kiln::data {

// uint8 stays uint8; int8/int16 widen to int32; int32, float32, float64 map directly. Plain or
// gzipped (detected from the bytes).
StatusOr<Tensor> ReadIdx(const std::string& path);

// Parses IDX bytes (already decompressed); `name` is used in errors.
StatusOr<Tensor> ParseIdx(const std::string& bytes, const std::string& name);

}  // namespace kiln::data
