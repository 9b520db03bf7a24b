// Splitting a library kernel's work items over the pool so that each piece of work knows which
// chunk it runs in: kernels size one scratch buffer (a patch panel, a partial sum) per chunk at build
// time and index it by chunk, so a run allocates nothing and no two threads share scratch.
#pragma once

#include <algorithm>
#include <cstdint>

#include "runtime/thread_pool.h"

namespace kiln {

// How many chunks ForEachChunk uses for `items` work items on `pool` (null: 1).
inline int ChunkCount(ThreadPool* pool, int64_t items) {
  int64_t threads = pool ? pool->num_threads() : 1;
  return static_cast<int>(std::max<int64_t>(1, std::min(threads, items)));
}

// Calls fn(chunk, begin, end) for chunk in [0, chunks), the items [0, items) split into contiguous
// ranges whose sizes differ by at most one; the chunks run in parallel on `pool` when it is not null.
template <typename Fn>
void ForEachChunk(ThreadPool* pool, int chunks, int64_t items, Fn&& fn) {
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) fn(static_cast<int>(c), items * c / chunks, items * (c + 1) / chunks);
  };
  if (pool && chunks > 1) {
    pool->ParallelFor(chunks, 1, run);
  } else {
    run(0, chunks);
  }
}

}  // namespace kiln
