// NumPy .npy files (format 1.0/2.0): little-endian, C-order arrays of float32/64, int32/64,
// uint8 and bool. Used for `kiln run` feeds and the TensorFlow fixtures in tests/data.
#pragma once

#include <string>

#include "graph/tensor.h"

namespace kiln::data {

StatusOr<Tensor> ReadNpy(const std::string& path);
StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& name);
// Writes format 1.0 with the data 64-byte aligned, atomically (temp file + rename).
Status WriteNpy(const std::string& path, const Tensor& t);

}  // namespace kiln::data
