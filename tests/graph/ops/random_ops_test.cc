// Random ops (graph/ops/random_ops.cc): TF1's seeding rules (graph seed + op seed), deterministic
// across fresh Sessions, fresh numbers on every run, and the right distributions.
#include <cmath>
#include <functional>

#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ToDoubles;

using RandomFn = std::function<Output(std::optional<int64_t> seed)>;

const RandomFn kNormal = [](std::optional<int64_t> s) { return random_normal({5}, 0.0, 1.0, DT_FLOAT, s); };
const RandomFn kUniform = [](std::optional<int64_t> s) { return random_uniform({5}, 0.0, 1.0, DT_FLOAT, s); };
const RandomFn kTruncated = [](std::optional<int64_t> s) { return truncated_normal({5}, 0.0, 1.0, DT_FLOAT, s); };

// Builds a fresh graph (graph seed if given) with one random op, runs it `runs` times in one fresh
// Session, and returns every value drawn.
std::vector<double> Draw(const RandomFn& make, std::optional<int64_t> graph_seed, std::optional<int64_t> op_seed,
                         int runs = 1) {
  Graph g;
  auto guard = as_default(g);
  if (graph_seed) set_random_seed(*graph_seed);
  Output r = make(op_seed);
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
  for (const RandomFn& make : {kNormal, kUniform, kTruncated}) {
    std::vector<double> first = Draw(make, 7, 3, 2);
    EXPECT_EQ(first, Draw(make, 7, 3, 2));
    EXPECT_NE(first, Draw(make, 7, 4, 2));
    EXPECT_NE(first, Draw(make, 8, 3, 2));
  }
}

TEST(RandomOpsTest, AnOpSeedAloneIsDeterministic) {
  // TF: an op seed without a graph seed uses DEFAULT_GRAPH_SEED.
  EXPECT_EQ(Draw(kNormal, std::nullopt, 5), Draw(kNormal, std::nullopt, 5));
  EXPECT_NE(Draw(kNormal, std::nullopt, 5), Draw(kNormal, std::nullopt, 6));
}

TEST(RandomOpsTest, AGraphSeedAloneIsDeterministicAndDistinctPerOp) {
  auto two_ops = [](int64_t seed) {
    Graph g;
    auto guard = as_default(g);
    set_random_seed(seed);
    Output a = random_uniform({4});
    Output b = random_uniform({4});
    Session sess(g);
    auto r = sess.run({a, b}).value();
    return std::make_pair(ToDoubles(r[0]), ToDoubles(r[1]));
  };
  auto first = two_ops(42), second = two_ops(42);
  EXPECT_EQ(first, second);
  EXPECT_NE(first.first, first.second);  // each op takes the next op seed
}

TEST(RandomOpsTest, SeedAttrsFollowTfsGetSeed) {
  Graph g;
  auto guard = as_default(g);
  EXPECT_EQ(GetSeeds(g, std::nullopt), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(GetSeeds(g, 3), std::make_pair(int64_t{87654321}, int64_t{3}));
  set_random_seed(7);
  EXPECT_EQ(GetSeeds(g, 3), std::make_pair(int64_t{7}, int64_t{3}));
  std::pair<int64_t, int64_t> a = GetSeeds(g, std::nullopt), b = GetSeeds(g, std::nullopt);
  EXPECT_EQ(a.first, 7);
  EXPECT_NE(a.second, b.second);
}

TEST(RandomOpsTest, NoSeedDrawsDifferentNumbersInEachFreshSession) {
  EXPECT_NE(Draw(kNormal, std::nullopt, std::nullopt), Draw(kNormal, std::nullopt, std::nullopt));
  EXPECT_NE(Draw(kUniform, std::nullopt, std::nullopt), Draw(kUniform, std::nullopt, std::nullopt));
}

TEST(RandomOpsTest, SuccessiveRunsDrawFreshNumbers) {
  for (const RandomFn& make : {kNormal, kUniform, kTruncated}) {
    std::vector<double> two = Draw(make, 7, 3, 2);
    EXPECT_NE(std::vector<double>(two.begin(), two.begin() + 5), std::vector<double>(two.begin() + 5, two.end()));
  }
}

TEST(RandomOpsTest, TheStreamContinuesAcrossRunSignatures) {
  // The generator state belongs to the Session, not to one compiled signature: a run that also
  // fetches something else draws the same next numbers a plain second run would.
  auto second_draw = [](bool other_signature) {
    Graph g;
    auto guard = as_default(g);
    set_random_seed(3);
    Output r = random_normal({4});
    Output other = constant(1.0);
    Session sess(g);
    std::vector<double> first = ToDoubles(sess.run(r).value());
    std::vector<double> second = other_signature ? ToDoubles(sess.run({r, other}).value()[0])
                                                 : ToDoubles(sess.run(r).value());
    EXPECT_NE(first, second);
    return second;
  };
  EXPECT_EQ(second_draw(true), second_draw(false));
}

TEST(RandomOpsTest, ShapesAndDtypes) {
  Graph g;
  auto guard = as_default(g);
  set_random_seed(1);
  Output n = random_normal({2, 3}, 0.0, 1.0, DT_DOUBLE);
  EXPECT_EQ(n.shape().ToString(), "[2,3]");
  EXPECT_EQ(n.dtype(), DT_DOUBLE);
  Session sess(g);
  Tensor t = sess.run(n).value();
  EXPECT_EQ(t.dtype(), DT_DOUBLE);
  EXPECT_EQ(t.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(random_uniform({2}, 0.0, 1.0, DT_INT32));  // only float types
}

TEST(RandomOpsTest, ANegativeDimensionIsAnError) {
  Graph g;
  auto guard = as_default(g);
  Output r = random_normal({-3, 2});
  EXPECT_FALSE(r) << "shape " << r.shape().ToString();
  EXPECT_NE(g.build_status().message().find("-3"), std::string::npos) << g.build_status().message();
}

TEST(RandomOpsTest, DistributionsHaveTheRightMoments) {
  Graph g;
  auto guard = as_default(g);
  set_random_seed(11);
  Output n = random_normal({100000}, 2.0, 3.0);
  Output u = random_uniform({100000}, -1.0, 5.0);
  Output t = truncated_normal({100000}, 0.0, 2.0);
  Output nd = random_normal({100000}, -1.0, 0.5, DT_DOUBLE);
  Session sess(g);
  // Standard errors at n = 1e5: mean sigma/316, stddev sigma/447; tolerances are > 4 of them.
  Stats sn = Summarize(ToDoubles(sess.run(n).value()));
  EXPECT_NEAR(sn.mean, 2.0, 0.05);
  EXPECT_NEAR(sn.stddev, 3.0, 0.05);
  Stats snd = Summarize(ToDoubles(sess.run(nd).value()));
  EXPECT_NEAR(snd.mean, -1.0, 0.01);
  EXPECT_NEAR(snd.stddev, 0.5, 0.01);
  Stats su = Summarize(ToDoubles(sess.run(u).value()));
  EXPECT_GE(su.min, -1.0);
  EXPECT_LT(su.max, 5.0);
  EXPECT_NEAR(su.mean, 2.0, 0.05);
  EXPECT_NEAR(su.stddev, 6.0 / std::sqrt(12.0), 0.03);
  EXPECT_LT(su.min, -0.99);  // and it fills the interval
  EXPECT_GT(su.max, 4.99);
  Stats st = Summarize(ToDoubles(sess.run(t).value()));
  EXPECT_GE(st.min, -4.0);  // within two standard deviations
  EXPECT_LE(st.max, 4.0);
  EXPECT_NEAR(st.mean, 0.0, 0.05);
  EXPECT_NEAR(st.stddev, 2.0 * 0.8796, 0.05);  // stddev of a unit normal truncated at +-2
}

TEST(RandomOpsTest, UniformOfTheUnitIntervalNeverReachesOne) {
  Graph g;
  auto guard = as_default(g);
  set_random_seed(5);
  Output u = random_uniform({100000});
  Output ud = random_uniform({100000}, 0.0, 1.0, DT_DOUBLE);
  Session sess(g);
  Stats s = Summarize(ToDoubles(sess.run(u).value()));
  EXPECT_GE(s.min, 0.0);
  EXPECT_LT(s.max, 1.0);
  Stats sd = Summarize(ToDoubles(sess.run(ud).value()));
  EXPECT_GE(sd.min, 0.0);
  EXPECT_LT(sd.max, 1.0);
  EXPECT_NEAR(sd.mean, 0.5, 0.01);
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
  // Reading the variable again does not redraw it.
  EXPECT_EQ(ToDoubles(sess.run(W).value()), ToDoubles(sess.run(W).value()));
}

}  // namespace
}  // namespace kiln
