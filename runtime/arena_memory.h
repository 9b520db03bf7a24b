// The memory an Executable's buffers live in (runtime/buffer_plan.h places them): one anonymous
// mapping, aligned to 2 MB and advised for huge pages (Linux's transparent huge pages, which Debian
// gives only to regions that ask). A training step sweeps tens of megabytes of activations every
// run; on 4 KB pages each sweep walks thousands of page-table entries, and in a VM every miss walks
// the host's tables as well. The pages are not touched here: the kernel zeroes them as they are
// first written, so compiling an executable stays cheap however large its arena.
#pragma once

#include <cstddef>
#include <cstdint>

#include "graph/status.h"

namespace kiln {

class ArenaMemory {
 public:
  ArenaMemory() = default;
  ~ArenaMemory();
  ArenaMemory(ArenaMemory&& other) noexcept;
  ArenaMemory& operator=(ArenaMemory&& other) noexcept;
  ArenaMemory(const ArenaMemory&) = delete;
  ArenaMemory& operator=(const ArenaMemory&) = delete;

  // `bytes` of zeroed memory; ResourceExhausted past the allocation cap (TensorBuffer) or when the
  // system refuses.
  static StatusOr<ArenaMemory> Map(int64_t bytes);

  void* data() const { return data_; }

 private:
  void Release();

  void* mapping_ = nullptr;  // what the system returned (data_ is inside it, aligned)
  size_t mapped_ = 0;
  void* data_ = nullptr;
};

}  // namespace kiln
