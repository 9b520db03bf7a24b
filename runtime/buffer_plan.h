// Static buffer plan: places every intermediate buffer of an Executable at an offset in one arena,
// so buffers whose lifetimes do not overlap share memory. Lifetimes are step ranges of the compiled
// plan; the plan is fixed at compile time, so a run allocates nothing and the step's working set is
// as small as the liveness allows (what TFLite's and XLA's buffer assignment do).
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

struct BufferLifetime {
  int64_t bytes = 0;
  int first_step = 0;  // the first step that writes or reads the buffer
  int last_step = -1;  // the last one; last_step < first_step: never used, gets no memory
};

struct BufferPlan {
  std::vector<int64_t> offsets;  // per buffer: its byte offset in the arena, -1 if it gets no memory
  int64_t arena_bytes = 0;
};

// Greedy by size (largest first, each at the lowest offset that does not collide with a placed
// buffer whose lifetime overlaps; lifetimes are inclusive, so a step's inputs and outputs never
// share). Offsets are multiples of `alignment`.
BufferPlan PlanBuffers(const std::vector<BufferLifetime>& buffers, int64_t alignment = 64);

}  // namespace kiln
