#include "runtime/buffer_plan.h"

#include <algorithm>
#include <numeric>

namespace kiln {

BufferPlan PlanBuffers(const std::vector<BufferLifetime>& buffers, int64_t alignment) {
  BufferPlan plan;
  plan.offsets.assign(buffers.size(), -1);
  std::vector<size_t> order;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].bytes > 0 && buffers[i].first_step <= buffers[i].last_step) order.push_back(i);
  }
  // Largest first: the big activations fix the arena's shape and the small ones fill the gaps.
  // Ties by first use keep the plan deterministic and roughly in step order.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first_step < buffers[b].first_step;
  });
  auto aligned = [&](int64_t bytes) { return (bytes + alignment - 1) / alignment * alignment; };
  std::vector<size_t> placed;
  std::vector<std::pair<int64_t, int64_t>> taken;  // [begin, end) of the placed buffers alive with this one
  for (size_t i : order) {
    const BufferLifetime& b = buffers[i];
    taken.clear();
    for (size_t j : placed) {
      const BufferLifetime& p = buffers[j];
      if (p.first_step <= b.last_step && b.first_step <= p.last_step) {
        taken.push_back({plan.offsets[j], plan.offsets[j] + aligned(p.bytes)});
      }
    }
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0, size = aligned(b.bytes);
    for (const auto& [begin, end] : taken) {
      if (offset + size <= begin) break;  // fits in the gap before this one
      offset = std::max(offset, end);
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(i);
  }
  return plan;
}

}  // namespace kiln
