// Branch resolution (passes/branch_resolution.cc): a cond on a predicate known when compiling
// keeps only its taken branch, gradients included; side effects of the other branch are gone; an
// unknown predicate or a dead fetch leaves the graph alone; and the Session compiles one executable
// per value of a fed scalar bool, each without Switch or Merge.
#include "passes/branch_resolution.h"

#include "graph/builder/kiln.h"
#include "passes/gradients.h"
#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::CountOp;
using testing::ExpectSameTensors;
using testing::ExpectTopologicalIds;
using testing::RunPass;
using testing::RunUnoptimized;
using testing::Values;

using BranchResolutionTest = testing::GraphTest;

int ControlFlowNodes(const Graph& g) { return CountOp(g, "Switch") + CountOp(g, "Merge"); }

TEST_F(BranchResolutionTest, ConstantPredicateKeepsOnlyTheTakenBranch) {
  auto x = placeholder(float32, {3}, "x");
  auto y = cond(constant(Tensor::Scalar(false)), [&] { return exp(x); }, [&] { return log(x) * 2.0f; });
  FeedDict feeds{{x, Values({1, 2, 3}, {3})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("branches", g, run));
  EXPECT_EQ(ControlFlowNodes(g), 0);
  EXPECT_EQ(CountOp(g, "Exp"), 0) << "the untaken branch is deleted";
  EXPECT_EQ(CountOp(g, "Log"), 1);
  ExpectTopologicalIds(g);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(BranchResolutionTest, GradientOfAResolvedCondFollowsTheTakenBranch) {
  // The gradient's own Switches test Equal(Merge:1, k): they resolve once the forward Merge does.
  auto x = placeholder(float32, {2}, "x");
  for (bool taken : {true, false}) {
    auto pred = constant(Tensor::Scalar(taken));
    auto y = cond(pred, [&] { return x * x; }, [&] { return x * 3.0f; });
    StatusOr<std::vector<Output>> dx = Gradients({reduce_sum(y)}, {x});
    ASSERT_TRUE(dx.ok()) << dx.status().ToString();
    FeedDict feeds{{x, Values({1.5, -2}, {2})}};
    std::vector<Tensor> before = RunUnoptimized(g, {y, (*dx)[0]}, feeds);
    ExpectSameTensors({taken ? Values({3, -4}, {2}) : Values({3, 3}, {2})}, {before[1]});
    PassContext run{.fetches = {y, (*dx)[0]}, .feeds = {x}};
    ASSERT_TRUE(RunPass("branches", g, run));
    EXPECT_EQ(ControlFlowNodes(g), 0) << "taken " << taken;
    ExpectTopologicalIds(g);
    ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
  }
}

TEST_F(BranchResolutionTest, UntakenBranchsSideEffectsAreDeleted) {
  Variable v(constant(Values({1}, {1})), "v");
  auto pred = logical_not(constant(Tensor::Scalar(true)));
  auto y = cond(pred, [&] { return identity(assign_add(v, constant(Values({10}, {1})))); },
                [&] { return identity(v.value()); });
  PassContext run{.fetches = {y}};
  ASSERT_TRUE(RunPass("branches", g, run));
  EXPECT_EQ(CountOp(g, "AssignAdd"), 0);
  Session sess(g);
  ASSERT_TRUE(sess.run(v.initializer()).ok());
  ExpectSameTensors({Values({1}, {1})}, {sess.run(run.fetches[0]).value()});
  ExpectSameTensors({Values({1}, {1})}, {sess.run(v.value()).value()});  // the assign never ran
}

TEST_F(BranchResolutionTest, PredicateKnownOnlyWhenRunningLeavesTheGraphAlone) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  auto y = cond(pred, [&] { return x * 2.0f; }, [&] { return x + 1.0f; });
  const int nodes = g.num_nodes();
  PassContext run{.fetches = {y}, .feeds = {pred, x}};
  EXPECT_FALSE(RunPass("branches", g, run));
  EXPECT_EQ(g.num_nodes(), nodes);
}

TEST_F(BranchResolutionTest, FetchInTheUntakenBranchLeavesTheGraphForTheRunToReport) {
  auto x = placeholder(float32, {}, "x");
  Output inside;
  auto y = cond(constant(Tensor::Scalar(true)), [&] { return x * 2.0f; }, [&] { return inside = x + 1.0f; });
  const int nodes = g.num_nodes();
  PassContext run{.fetches = {y, inside}, .feeds = {x}};
  EXPECT_FALSE(RunPass("branches", g, run));
  EXPECT_EQ(g.num_nodes(), nodes);
}

TEST_F(BranchResolutionTest, SessionCompilesOneExecutablePerValueOfAFedBool) {
  auto is_training = placeholder(boolean, {}, "is_training");
  auto x = placeholder(float32, {2}, "x");
  auto y = cond(is_training, [&] { return x * 2.0f; }, [&] { return x + 1.0f; });
  Session sess(g);
  for (int round = 0; round < 2; ++round) {
    for (bool training : {true, false}) {
      StatusOr<Tensor> out = sess.run(y, {{is_training, Tensor::Scalar(training)}, {x, Values({1, 2}, {2})}});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ExpectSameTensors({training ? Values({2, 4}, {2}) : Values({2, 3}, {2})}, {*out});
      if (round == 0) EXPECT_EQ(ControlFlowNodes(*sess.last_compile().graph), 0) << "training " << training;
    }
  }
  EXPECT_EQ(sess.num_compiled(), 2);
  // The flag itself can still be fetched, and a wrong dtype is still the feed's error.
  ExpectSameTensors({Tensor::Scalar(true)}, {sess.run(is_training, {{is_training, Tensor::Scalar(true)}}).value()});
  StatusOr<Tensor> bad = sess.run(y, {{is_training, Tensor::Scalar(1.0f)}, {x, Values({1, 2}, {2})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is_training"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace kiln
