// The deadness analysis the rewrites consult (passes/deadness.cc): a cond's branches may be dead,
// its Merge may not; a branch constant is live whenever the branch's data is; the gradient of a
// cond (Switch on Equal(Merge:1, k)) reduces like the cond itself; nested conds.
#include "passes/deadness.h"

#include "passes/gradients.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using DeadnessTest = testing::GraphTest;

TEST_F(DeadnessTest, BranchesMayBeDeadTheirMergeNot) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  Output in_true, const_true, in_false;
  auto y = cond(
      pred, [&] { const_true = constant(2.0); return in_true = x * const_true; },
      [&] { return in_false = x + 1.0; });
  DeadnessAnalysis deadness(g);
  EXPECT_FALSE(deadness.MayBeDead(x));
  EXPECT_TRUE(deadness.MayBeDead(in_true));
  EXPECT_TRUE(deadness.MayBeDead(const_true));
  EXPECT_FALSE(deadness.MayBeDead(y));
  EXPECT_TRUE(deadness.LiveWhenever(const_true, in_true));
  EXPECT_TRUE(deadness.LiveWhenever(x, in_true));       // never dead
  EXPECT_FALSE(deadness.LiveWhenever(const_true, in_false));  // the other branch
  EXPECT_FALSE(deadness.LiveWhenever(in_true, x));
}

TEST_F(DeadnessTest, NestedCondIsDeadWithEitherPredicate) {
  auto p = placeholder(boolean, {}, "p");
  auto q = placeholder(boolean, {}, "q");
  auto x = placeholder(float32, {}, "x");
  Output inner_branch, inner_merge;
  auto y = cond(
      p,
      [&] {
        inner_merge = cond(q, [&] { return inner_branch = x * 2.0; }, [&] { return x * 3.0; }, "inner");
        return inner_merge;
      },
      [&] { return x; });
  DeadnessAnalysis deadness(g);
  EXPECT_TRUE(deadness.MayBeDead(inner_merge));  // dead when p is false
  EXPECT_TRUE(deadness.LiveWhenever(inner_merge, inner_branch));
  EXPECT_FALSE(deadness.LiveWhenever(inner_branch, inner_merge));
  EXPECT_FALSE(deadness.MayBeDead(y));
}

TEST_F(DeadnessTest, GradientOfACondIsNeverDead) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  auto y = cond(pred, [&] { return x * 2.0; }, [&] { return x * 3.0; });
  StatusOr<std::vector<Output>> dx = Gradients({y}, {x});
  ASSERT_TRUE(dx.ok()) << dx.status().ToString();
  DeadnessAnalysis deadness(g);
  EXPECT_FALSE(deadness.MayBeDead((*dx)[0]));
}

TEST_F(DeadnessTest, MergeOfUnrelatedPredicatesIsUnknown) {
  auto p = placeholder(boolean, {}, "p");
  auto q = placeholder(boolean, {}, "q");
  auto x = placeholder(float32, {}, "x");
  auto y = merge({switch_(x, p)[0], switch_(x, q)[1]})[0];
  DeadnessAnalysis deadness(g);
  EXPECT_TRUE(deadness.MayBeDead(y));
  EXPECT_FALSE(deadness.LiveWhenever(y, y * 2.0));  // unknown: nothing is implied
}

}  // namespace
}  // namespace kiln
