// Compiled kernels kept on disk between processes: a directory of relocatable object files, each
// named by a key that hashes everything its machine code depends on (the kernel's IR before
// optimization, the LLVM version, the CPU name and features, the vector width and the cache
// format). The JIT (jit.h) loads an object instead of compiling when the key matches, so a second
// run of the same graph on the same machine skips LLVM's optimizer and backend.
//
// Files are written through a temp file and a rename, so concurrent processes never see half an
// object; they are not fsynced (that was most of a cold compile's time), so each carries a SHA-256
// checksum of its object, and what a crash left torn fails it. What is read back is checked before
// the JIT sees it (size cap, checksum, ELF magic; the JIT then parses it and looks for the kernel's
// symbol), and anything unusable counts as a miss and is overwritten by the next compile.
#pragma once

#include <optional>
#include <string>

#include "graph/status.h"

namespace kiln::codegen {

class KernelCache {
 public:
  // The cache in `dir`, created (with its parents) if missing; an error if it cannot be.
  static StatusOr<KernelCache> Open(const std::string& dir);

  // The object stored under `key`, or nullopt when there is none or it is not a plausible object
  // file (empty, over 64 MiB, checksum wrong, no ELF magic).
  std::optional<std::string> Load(const std::string& key) const;
  // Stores `object` under `key`, replacing any previous file.
  Status Store(const std::string& key, const std::string& object) const;
  std::string PathFor(const std::string& key) const { return dir_ + "/" + key + ".o"; }
  const std::string& dir() const { return dir_; }

 private:
  explicit KernelCache(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace kiln::codegen
