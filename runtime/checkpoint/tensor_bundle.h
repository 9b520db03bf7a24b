// TensorFlow's V2 checkpoint format (a "tensor bundle"): <prefix>.index, a LevelDB table mapping
// "" to a BundleHeaderProto and each tensor name to a BundleEntryProto (dtype, shape, byte range,
// masked CRC32C), and <prefix>.data-00000-of-00001 with the raw little-endian tensor bytes.
// tf.train.Saver / tf.train.load_checkpoint read what this writes, and this reads what they write
// (single shard, numeric dtypes, unpartitioned variables).
#pragma once

#include <map>
#include <string>

#include "graph/tensor.h"

namespace kiln::checkpoint {

std::string DataFilePath(const std::string& prefix);  // <prefix>.data-00000-of-00001
std::string IndexFilePath(const std::string& prefix);  // <prefix>.index

// Each file is written to a temp file and renamed into place, the data file first.
Status WriteBundle(const std::string& prefix, const std::map<std::string, Tensor>& tensors);
// Every check a hostile file could fail is made before use: CRCs, byte ranges, sizes vs shapes.
StatusOr<std::map<std::string, Tensor>> ReadBundle(const std::string& prefix);

}  // namespace kiln::checkpoint
