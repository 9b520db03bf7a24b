// Unread values (passes/unread_values.cc): a pure node only waited on becomes a NoOp of the same
// name that waits for what it waited for; fetched, stateful and data-read nodes stay; deadness in
// a cond branch and the order of a gated gradient step are kept.
#include "passes/unread_values.h"

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

using UnreadValuesTest = testing::GraphTest;

std::vector<std::string> ControlInputNames(const Node* n) {
  std::vector<std::string> names;
  for (const Node* c : n->control_inputs()) names.push_back(c->name());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(UnreadValuesTest, OnlyWaitedOnChainBecomesNoOpsKeepingNamesAndWaits) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto waited = negative(exp(x, "e"), "n");  // read by nobody, waited on by the group
  auto kept = x * 2.0;
  Operation group_deps = group({Operation(waited), Operation(kept)}, "group_deps");
  Output y;
  {
    control_dependencies deps({group_deps});
    y = identity(kept, "y");
  }
  FeedDict feeds{{x, Values({1, 2, 3, 4, 5, 6}, {2, 3})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("unread", g, run));
  EXPECT_EQ(CountOp(g, "Exp"), 0);
  EXPECT_EQ(CountOp(g, "Neg"), 0);
  ASSERT_NE(g.FindNode("n"), nullptr);
  EXPECT_EQ(g.FindNode("n")->op(), "NoOp");
  EXPECT_EQ(ControlInputNames(g.FindNode("n")), std::vector<std::string>{"e"});
  EXPECT_TRUE(ControlInputNames(g.FindNode("e")).empty());  // x is fed: there from the start
  EXPECT_EQ(ControlInputNames(g.FindNode("group_deps")), (std::vector<std::string>{kept.node->name(), "n"}));
  EXPECT_EQ(kept.node->op(), "Mul");  // read by y
  ExpectTopologicalIds(g);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(UnreadValuesTest, FetchedStatefulAndConstantNodesStay) {
  auto x = placeholder(float32, {2}, "x");
  auto fetched = exp(x, "fetched");
  Variable v(zeros({2}), "v");
  auto c = constant(1.0, DT_FLOAT, "c");
  Operation waits = group({Operation(fetched), v.initializer(), Operation(c)}, "waits");
  PassContext run{.fetches = {fetched}, .targets = {waits.node}, .feeds = {x}};
  EXPECT_FALSE(RunPass("unread", g, run));
  EXPECT_EQ(fetched.node->op(), "Exp");
  EXPECT_EQ(v.initializer().node->op(), "Assign");
  EXPECT_EQ(c.node->op(), "Const");
}

// Inside a cond branch the unread node read a Switch output; the NoOp waits on an anchor of that
// output, so it is dead when the branch is not taken, as the node was.
TEST_F(UnreadValuesTest, UnreadValueInABranchStaysDeadWithTheBranch) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  auto y = cond(
      pred,
      [&] {
        auto waited = exp(x, "waited");
        control_dependencies deps({Operation(waited)});
        return identity(x * 2.0);
      },
      [&] { return x + 1.0; });
  std::vector<std::vector<Tensor>> before;
  for (bool p : {true, false}) before.push_back(RunUnoptimized(g, {y}, {{pred, Tensor::Scalar<bool>(p)}, {x, Tensor::Scalar<float>(3)}}));
  PassContext run{.fetches = {y}, .feeds = {pred, x}};
  ASSERT_TRUE(RunPass("unread", g, run));
  Node* waited = g.FindNode("cond/waited");
  ASSERT_NE(waited, nullptr);
  EXPECT_EQ(waited->op(), "NoOp");
  ASSERT_EQ(waited->control_inputs().size(), 1u);
  EXPECT_EQ(waited->control_inputs()[0]->name().rfind("ControlAnchor/", 0), 0u) << waited->control_inputs()[0]->name();
  int i = 0;
  for (bool p : {true, false}) {
    ExpectSameTensors(before[i++], RunUnoptimized(g, {y}, {{pred, Tensor::Scalar<bool>(p)}, {x, Tensor::Scalar<float>(3)}}));
  }
}

// tf.gradients gates each op's gradients (GATE_OP): the group waits for the gradient of x too,
// which nothing reads when only W is trained. It stops being computed, and so does the forward
// product, whose value no gradient reads (reduce_sum's gradient needs only its known shape).
TEST_F(UnreadValuesTest, GatedGradientOfAnInputIsNotComputed) {
  auto x = placeholder(float32, {4, 3}, "x");
  auto w = placeholder(float32, {3, 2}, "w");
  auto loss = reduce_sum(matmul(x, w));
  StatusOr<std::vector<Output>> grads = Gradients({loss}, {w}, {}, /*gate_gradients=*/true);
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  FeedDict feeds{{x, Values({1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3}, {4, 3})}, {w, Values({1, -1, 2, 0, 1, 3}, {3, 2})}};
  std::vector<Tensor> before = RunUnoptimized(g, {(*grads)[0]}, feeds);
  EXPECT_EQ(CountOp(g, "MatMul"), 3);
  PassContext run{.fetches = {(*grads)[0]}, .feeds = {x, w}};
  RunPass("prune", g, run);
  ASSERT_TRUE(RunPass("unread", g, run));
  ASSERT_EQ(CountOp(g, "MatMul"), 1);  // dW = x^T dz
  for (Node* n : g.nodes()) if (n->op() == "MatMul") EXPECT_EQ(n->input(0), x);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

}  // namespace
}  // namespace kiln
