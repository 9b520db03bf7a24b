// All the optimizer updates of a training step as one kernel. A step of deep128 ends with 258
// updates (a weight and a bias per layer), each too small to be worth splitting over the pool on
// its own, so they ran one after another on one thread; as one range over all their elements they
// split evenly over every thread, and the step pays for one dispatch instead of 258.
//
// Two halves: where the updates may run together (PlanUpdateGroups, over what each step of an
// Executable reads, writes and waits for), and the kernel that runs a group (UpdateGroup).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kernels/library_kernel.h"

namespace kiln {

class ThreadPool;

// What the planner needs of one step of a plan, in run order.
struct StepAccess {
  bool groupable = false;       // an elementwise update (ElementwiseUpdateKernel)
  std::vector<int> waits_for;   // earlier steps whose results (data or control) it needs
  std::vector<int> reads;       // variables it reads (any ids; updates read what they write too)
  std::vector<int> writes;      // variables it writes
};

// The steps regrouped, in their new run order: each entry lists the original steps it runs, one
// for an ordinary step, two or more for a group of updates run as one kernel. An update is held
// back and run with the later updates unless a step in between needs it: one that waits for it,
// reads a variable it writes, or writes a variable it reads or writes. Such a step first runs the
// updates held so far. Updates that touch a variable another held update writes start a new group
// too, since a group's elements run in any order. The result runs every step after the steps it
// waits for, and every variable sees its reads and writes in their original order.
std::vector<std::vector<int>> PlanUpdateGroups(const std::vector<StepAccess>& steps);

// The kernel of one group: its members' ranges laid end to end as one range, split over the pool.
class UpdateGroup {
 public:
  UpdateGroup(std::vector<ElementwiseUpdateKernel*> members, ThreadPool* pool);

  // member_buffers[m]: member m's operands, as its own Run takes them.
  void Run(const std::vector<std::vector<void*>>& member_buffers) const;

  int64_t elements() const { return offsets_.back(); }

 private:
  // Runs elements [begin, end) of the joined range: the members it covers, each on its own part.
  void RunJoined(const std::vector<std::vector<void*>>& member_buffers, int64_t begin, int64_t end) const;

  std::vector<ElementwiseUpdateKernel*> members_;
  std::vector<int64_t> offsets_;  // member m covers [offsets_[m], offsets_[m + 1]) of the joined range
  ThreadPool* pool_;
};

}  // namespace kiln
