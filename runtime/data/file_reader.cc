#include "runtime/data/file_reader.h"

#include <zlib.h>

#include <cstdio>
#include <filesystem>

namespace kiln::data {

Status ReadMaybeGzipped(const std::string& path, size_t max_bytes, std::string* contents, std::string* resolved) {
  namespace fs = std::filesystem;
  std::string p = path;
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    if (fs::exists(p + ".gz", ec)) p += ".gz";
    else if (p.size() > 3 && p.compare(p.size() - 3, 3, ".gz") == 0 && fs::exists(p.substr(0, p.size() - 3), ec)) p = p.substr(0, p.size() - 3);
    else return NotFound(path + ": no such file (nor with/without .gz)");
  }
  *resolved = p;
  // gzread reads plain files unchanged, so one path handles both.
  gzFile f = gzopen(p.c_str(), "rb");
  if (!f) return NotFound(p + ": cannot open");
  contents->clear();
  char buf[1 << 16];
  while (true) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      return DataLoss(p + ": corrupt or truncated gzip stream (" + msg + ")");
    }
    if (n == 0) break;
    if (contents->size() + n > max_bytes) {
      gzclose(f);
      return ResourceExhausted(p + ": more than " + std::to_string(max_bytes) + " bytes (the allocation cap)");
    }
    contents->append(buf, n);
  }
  // A gzip stream cut short reads as a clean EOF in some zlib versions; gzclose reports it.
  int rc = gzclose(f);
  if (rc != Z_OK) return DataLoss(p + ": truncated or corrupt gzip stream");
  return OkStatus();
}

}  // namespace kiln::data
