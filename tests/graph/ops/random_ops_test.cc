// Random ops: deterministic for graph seed + op seed, fresh numbers per run, right distributions.
#include <cmath>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ToDoubles;

std::vector<double> Draw(int64_t graph_seed, std::optional<int64_t> op_seed, int runs = 1) {
  Graph g;
  auto guard = as_default(g);
  set_random_seed(graph_seed);
  Output r = random_normal({5}, 0.0, 1.0, DT_FLOAT, op_seed);
  Session sess(g);
  std::vector<double> all;
  for (int i = 0; i < runs; ++i) {
    auto v = ToDoubles(sess.run(r).value());
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

struct Stats {
  double mean, stddev, min, max;
};

Stats Summarize(const std::vector<double>& v) {
  double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
  for (double x : v) {
    sum += x;
    sq += x * x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  double mean = sum / v.size();
  return {mean, std::sqrt(sq / v.size() - mean * mean), lo, hi};
}

TEST(RandomOpsTest, SameSeedsGiveTheSameNumbersInFreshSessions) {
  EXPECT_EQ(Draw(7, 3), Draw(7, 3));
  EXPECT_NE(Draw(7, 3), Draw(7, 4));
  EXPECT_NE(Draw(7, 3), Draw(8, 3));
}

TEST(RandomOpsTest, SuccessiveRunsDrawFreshNumbers) {
  std::vector<double> two = Draw(7, 3, 2);
  EXPECT_NE(std::vector<double>(two.begin(), two.begin() + 5), std::vector<double>(two.begin() + 5, two.end()));
}

TEST(RandomOpsTest, DistributionsHaveTheRightMoments) {
  Graph g;
  auto guard = as_default(g);
  set_random_seed(11);
  Output n = random_normal({100000}, 2.0, 3.0);
  Output u = random_uniform({100000}, -1.0, 5.0);
  Output t = truncated_normal({100000}, 0.0, 2.0);
  Session sess(g);
  Stats sn = Summarize(ToDoubles(sess.run(n).value()));
  EXPECT_NEAR(sn.mean, 2.0, 0.05);
  EXPECT_NEAR(sn.stddev, 3.0, 0.05);
  Stats su = Summarize(ToDoubles(sess.run(u).value()));
  EXPECT_GE(su.min, -1.0);
  EXPECT_LT(su.max, 5.0);
  EXPECT_NEAR(su.mean, 2.0, 0.05);
  Stats st = Summarize(ToDoubles(sess.run(t).value()));
  EXPECT_GE(st.min, -4.0);  // within two standard deviations
  EXPECT_LE(st.max, 4.0);
  EXPECT_NEAR(st.mean, 0.0, 0.05);
  EXPECT_NEAR(st.stddev, 2.0 * 0.8796, 0.05);  // stddev of a unit normal truncated at +-2
}

TEST(RandomOpsTest, RandomInitializersFeedVariables) {
  Graph g;
  auto guard = as_default(g);
  set_random_seed(1);
  Variable W(truncated_normal({3, 2}, 0.0, 0.1), "W");
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  Stats s = Summarize(ToDoubles(sess.run(W).value()));
  EXPECT_LE(s.max, 0.2);
  EXPECT_GE(s.min, -0.2);
  EXPECT_NE(s.max, s.min);
}

}  // namespace
}  // namespace kiln
