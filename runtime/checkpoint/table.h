// The LevelDB table (SSTable) format TF writes a checkpoint's .index in: sorted key/value entries
// in prefix-compressed blocks with restart points, each block followed by a compression byte and
// a masked CRC32C, then an (empty) metaindex block, an index block and a 48-byte footer. Kiln
// writes uncompressed tables with one data block and reads any uncompressed table.
#pragma once

#include <map>
#include <string>

#include "graph/status.h"

namespace kiln::checkpoint {

// Serializes sorted entries (a std::map keeps them sorted bytewise, as LevelDB requires).
std::string BuildTable(const std::map<std::string, std::string>& entries);

// Parses a table, checking block CRCs and bounds; `name` is used in errors.
StatusOr<std::map<std::string, std::string>> ParseTable(const std::string& bytes, const std::string& name);

}  // namespace kiln::checkpoint
