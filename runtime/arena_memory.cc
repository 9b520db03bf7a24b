#include "runtime/arena_memory.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include "graph/tensor.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kiln {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

StatusOr<ArenaMemory> ArenaMemory::Map(int64_t bytes) {
  if (bytes < 0 || static_cast<uint64_t>(bytes) > TensorBuffer::AllocationCap()) {
    return ResourceExhausted("an arena of " + std::to_string(bytes) + " bytes is over the allocation cap");
  }
  ArenaMemory arena;
  const size_t size = std::max<size_t>(static_cast<size_t>(bytes), 1);
#if defined(__linux__)
  // One huge page more than asked, so that the data can start on a huge-page boundary.
  arena.mapped_ = size + kHugePage;
  void* mapping = mmap(nullptr, arena.mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) return ResourceExhausted("could not map an arena of " + std::to_string(bytes) + " bytes");
  arena.mapping_ = mapping;
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(mapping) + kHugePage - 1) & ~(kHugePage - 1);
  arena.data_ = reinterpret_cast<void*>(aligned);
#if defined(MADV_HUGEPAGE)
  madvise(arena.data_, size, MADV_HUGEPAGE);  // advice: where it is refused, 4 KB pages serve
#endif
#else
  arena.mapped_ = size;
  arena.mapping_ = std::calloc(1, size + kTensorAlignment);
  if (!arena.mapping_) return ResourceExhausted("could not allocate an arena of " + std::to_string(bytes) + " bytes");
  arena.data_ = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(arena.mapping_) + kTensorAlignment - 1) &
                                        ~(uintptr_t{kTensorAlignment} - 1));
#endif
  return arena;
}

void ArenaMemory::Release() {
  if (!mapping_) return;
#if defined(__linux__)
  munmap(mapping_, mapped_);
#else
  std::free(mapping_);
#endif
  mapping_ = data_ = nullptr;
  mapped_ = 0;
}

ArenaMemory::~ArenaMemory() { Release(); }

ArenaMemory::ArenaMemory(ArenaMemory&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      data_(std::exchange(other.data_, nullptr)) {}

ArenaMemory& ArenaMemory::operator=(ArenaMemory&& other) noexcept {
  if (this != &other) {
    Release();
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
    data_ = std::exchange(other.data_, nullptr);
  }
  return *this;
}

}  // namespace kiln
