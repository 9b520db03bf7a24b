#include "runtime/update_group.h"

#include <algorithm>
#include <set>

#include "runtime/thread_pool.h"

namespace kiln {
namespace {

// Elements per chunk below which another thread costs more than it saves (as for one update alone).
constexpr int64_t kMinChunkElements = 16 * 1024;

bool Intersects(const std::vector<int>& ids, const std::set<int>& set) {
  return std::any_of(ids.begin(), ids.end(), [&](int id) { return set.count(id) > 0; });
}

// The updates held back so far, and what they touch.
struct HeldUpdates {
  std::vector<int> steps;
  std::set<int> step_set;
  std::set<int> writes;
  std::set<int> touches;  // reads and writes

  // Whether `step` may run before the held updates.
  bool MayPass(const StepAccess& step) const {
    return !Intersects(step.waits_for, step_set) && !Intersects(step.reads, writes) &&
           !Intersects(step.writes, touches);
  }
  void Add(int index, const StepAccess& step) {
    steps.push_back(index);
    step_set.insert(index);
    writes.insert(step.writes.begin(), step.writes.end());
    touches.insert(step.reads.begin(), step.reads.end());
    touches.insert(step.writes.begin(), step.writes.end());
  }
  // Appends the held updates to `order` as one entry (a lone update is an ordinary step) and clears them.
  void Release(std::vector<std::vector<int>>& order) {
    if (!steps.empty()) order.push_back(steps);
    *this = HeldUpdates();
  }
};

}  // namespace

std::vector<std::vector<int>> PlanUpdateGroups(const std::vector<StepAccess>& steps) {
  std::vector<std::vector<int>> order;
  HeldUpdates held;
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepAccess& step = steps[i];
    if (!held.MayPass(step)) held.Release(order);
    if (step.groupable) {
      held.Add(static_cast<int>(i), step);
    } else {
      order.push_back({static_cast<int>(i)});
    }
  }
  held.Release(order);
  return order;
}

UpdateGroup::UpdateGroup(std::vector<ElementwiseUpdateKernel*> members, ThreadPool* pool)
    : members_(std::move(members)), offsets_{0}, pool_(pool) {
  for (ElementwiseUpdateKernel* m : members_) offsets_.push_back(offsets_.back() + m->elements());
}

void UpdateGroup::Run(const std::vector<std::vector<void*>>& member_buffers) const {
  const int64_t n = elements();
  if (pool_ && n >= 2 * kMinChunkElements) {
    pool_->ParallelFor(n, kMinChunkElements, [&](int64_t b, int64_t e) { RunJoined(member_buffers, b, e); });
  } else {
    RunJoined(member_buffers, 0, n);
  }
}

void UpdateGroup::RunJoined(const std::vector<std::vector<void*>>& member_buffers, int64_t begin, int64_t end) const {
  // The first member that ends after `begin`; members with no elements are stepped over.
  size_t m = std::upper_bound(offsets_.begin(), offsets_.end(), begin) - offsets_.begin() - 1;
  for (; m < members_.size() && offsets_[m] < end; ++m) {
    int64_t from = std::max(begin, offsets_[m]) - offsets_[m];
    int64_t to = std::min(end, offsets_[m + 1]) - offsets_[m];
    if (from < to) members_[m]->RunRange(member_buffers[m].data(), from, to);
  }
}

}  // namespace kiln
