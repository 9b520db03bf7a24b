// Reads a whole file, transparently gunzipping it (gzip magic 1f 8b), with a size cap so a hostile
// file cannot make Kiln allocate without bound.
#pragma once

#include <string>

#include "graph/status.h"

namespace kiln::data {

// Reads `path`; if it does not exist, tries `path + ".gz"` and, for a ".gz" path, the name
// without it. `max_bytes` bounds the decompressed size.
Status ReadMaybeGzipped(const std::string& path, size_t max_bytes, std::string* contents, std::string* resolved_path);

}  // namespace kiln::data
