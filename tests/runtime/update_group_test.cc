// Grouping a step's optimizer updates into one kernel (runtime/update_group.h): where the planner
// may hold an update back to run with later ones, and that a group's kernel updates every element of
// every member exactly once however the joined range is split.
#include "runtime/update_group.h"

#include <gtest/gtest.h>

#include "runtime/thread_pool.h"

namespace kiln {
namespace {

using Order = std::vector<std::vector<int>>;

StepAccess Update(std::vector<int> writes, std::vector<int> waits_for = {}, std::vector<int> reads = {}) {
  return StepAccess{true, std::move(waits_for), std::move(reads), std::move(writes)};
}
StepAccess Other(std::vector<int> waits_for = {}, std::vector<int> reads = {}, std::vector<int> writes = {}) {
  return StepAccess{false, std::move(waits_for), std::move(reads), std::move(writes)};
}

TEST(PlanUpdateGroupsTest, UpdatesOfDifferentVariablesRunAsOneGroupWhereTheLastStood) {
  // gradient, update, gradient, update, gradient, update (a training step's backward pass)
  std::vector<StepAccess> steps = {Other(), Update({0}, {0}), Other(), Update({1}, {2}), Other(), Update({2}, {4})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0}, {2}, {4}, {1, 3, 5}}));
}

TEST(PlanUpdateGroupsTest, AStepThatWaitsForAHeldUpdateRunsAfterIt) {
  // Adam's beta-power assigns wait for every update (control dependencies).
  std::vector<StepAccess> steps = {Update({0}), Update({1}), Other({0, 1}, {2}, {2}), Update({3})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0, 1}, {2}, {3}}));
}

TEST(PlanUpdateGroupsTest, AStepReadingAVariableAHeldUpdateWritesRunsAfterIt) {
  std::vector<StepAccess> steps = {Update({0}), Update({1}), Other({}, {1})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0, 1}, {2}}));
}

TEST(PlanUpdateGroupsTest, AStepWritingAVariableAHeldUpdateReadsRunsAfterIt) {
  // The update reads variable 5 (a learning rate held in a variable); the assign to it comes later.
  std::vector<StepAccess> steps = {Update({0}, {}, {5}), Update({1}), Other({}, {}, {5})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0, 1}, {2}}));
}

TEST(PlanUpdateGroupsTest, StepsIndependentOfTheHeldUpdatesRunBeforeThem) {
  std::vector<StepAccess> steps = {Update({0}), Other({}, {7}, {8}), Update({1}), Other()};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{1}, {3}, {0, 2}}));
}

TEST(PlanUpdateGroupsTest, TwoUpdatesOfOneVariableGoInSuccessiveGroups) {
  // A group's elements run in any order, so the second update of variable 0 must see the first done.
  std::vector<StepAccess> steps = {Update({0}), Update({1}), Update({0}), Update({2})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0, 1}, {2, 3}}));
}

TEST(PlanUpdateGroupsTest, AnUpdateThatWaitsForAHeldOneStartsANewGroup) {
  std::vector<StepAccess> steps = {Update({0}), Update({1}, {0})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0}, {1}}));
}

TEST(PlanUpdateGroupsTest, WithoutUpdatesTheOrderIsUnchanged) {
  std::vector<StepAccess> steps = {Other(), Other({0}, {1}, {2}), Other({1})};
  EXPECT_EQ(PlanUpdateGroups(steps), (Order{{0}, {1}, {2}}));
}

// Adds its own index + 1 to every element in its range, so a test sees which member touched what.
class CountingUpdate : public ElementwiseUpdateKernel {
 public:
  explicit CountingUpdate(int64_t elements) : elements_(elements) {}
  Status Run(void* const* buffers) override {
    RunRange(buffers, 0, elements_);
    return OkStatus();
  }
  int64_t elements() const override { return elements_; }
  void RunRange(void* const* buffers, int64_t begin, int64_t end) override {
    auto* data = static_cast<int*>(buffers[0]);
    for (int64_t i = begin; i < end; ++i) data[i] += 1;
  }

 private:
  int64_t elements_;
};

TEST(UpdateGroupTest, EveryElementOfEveryMemberIsUpdatedOnceWhateverTheSplit) {
  // Uneven members, an empty one among them, large enough to split over the pool's threads.
  const std::vector<int64_t> sizes = {7, 40000, 0, 129, 65536, 1, 30001};
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    std::vector<CountingUpdate> kernels;
    for (int64_t n : sizes) kernels.emplace_back(n);
    std::vector<ElementwiseUpdateKernel*> members;
    for (CountingUpdate& k : kernels) members.push_back(&k);
    UpdateGroup group(members, &pool);
    EXPECT_EQ(group.elements(), 7 + 40000 + 129 + 65536 + 1 + 30001);
    std::vector<std::vector<int>> data;
    for (int64_t n : sizes) data.emplace_back(n, 0);
    std::vector<std::vector<void*>> buffers;
    for (std::vector<int>& d : data) buffers.push_back({d.data()});
    group.Run(buffers);
    group.Run(buffers);
    for (size_t m = 0; m < sizes.size(); ++m) {
      for (int64_t i = 0; i < sizes[m]; ++i) {
        ASSERT_EQ(data[m][i], 2) << threads << " threads, member " << m << ", element " << i;
      }
    }
  }
}

}  // namespace
}  // namespace kiln
