// The static buffer planner (runtime/buffer_plan.h): buffers alive at the same step never share a
// byte, buffers that are not do, and the arena is no bigger than the buffers side by side.
#include "runtime/buffer_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace kiln {
namespace {

bool Overlap(int64_t a, int64_t a_bytes, int64_t b, int64_t b_bytes) { return a < b + b_bytes && b < a + a_bytes; }

TEST(BufferPlanTest, BuffersWithDisjointLifetimesShareMemory) {
  BufferPlan plan = PlanBuffers({{1000, 0, 1}, {1000, 2, 3}, {1000, 4, 5}});
  EXPECT_EQ(plan.offsets, (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(plan.arena_bytes, 1024);  // one buffer, rounded up to the alignment
}

TEST(BufferPlanTest, AStepsInputsAndOutputsNeverShare) {
  // The first buffer is last read at step 1, where the second is written: lifetimes are inclusive.
  BufferPlan plan = PlanBuffers({{256, 0, 1}, {256, 1, 2}});
  EXPECT_FALSE(Overlap(plan.offsets[0], 256, plan.offsets[1], 256));
  EXPECT_EQ(plan.arena_bytes, 512);
}

TEST(BufferPlanTest, UnusedAndEmptyBuffersGetNoMemory) {
  BufferPlan plan = PlanBuffers({{64, 3, 2}, {0, 0, 5}, {64, 0, 0}});
  EXPECT_EQ(plan.offsets[0], -1);
  EXPECT_EQ(plan.offsets[1], -1);
  EXPECT_EQ(plan.offsets[2], 0);
  EXPECT_EQ(plan.arena_bytes, 64);
}

TEST(BufferPlanTest, OffsetsAreAligned) {
  BufferPlan plan = PlanBuffers({{100, 0, 2}, {7, 0, 2}, {33, 1, 2}}, 64);
  for (int64_t offset : plan.offsets) EXPECT_EQ(offset % 64, 0);
}

TEST(BufferPlanTest, RandomPlansNeverOverlapLiveBuffersAndFitInTheSumOfSizes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferLifetime> buffers(1 + rng() % 60);
    int64_t sum = 0;
    for (BufferLifetime& b : buffers) {
      b.bytes = 1 + rng() % 5000;
      b.first_step = static_cast<int>(rng() % 40);
      b.last_step = b.first_step + static_cast<int>(rng() % 10);
      sum += (b.bytes + 63) / 64 * 64;
    }
    BufferPlan plan = PlanBuffers(buffers);
    EXPECT_LE(plan.arena_bytes, sum);
    for (size_t i = 0; i < buffers.size(); ++i) {
      ASSERT_GE(plan.offsets[i], 0);
      EXPECT_LE(plan.offsets[i] + buffers[i].bytes, plan.arena_bytes);
      for (size_t j = i + 1; j < buffers.size(); ++j) {
        bool alive_together =
            buffers[i].first_step <= buffers[j].last_step && buffers[j].first_step <= buffers[i].last_step;
        if (alive_together) {
          EXPECT_FALSE(Overlap(plan.offsets[i], buffers[i].bytes, plan.offsets[j], buffers[j].bytes))
              << "trial " << trial << ": buffers " << i << " and " << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace kiln
