// Common subexpression elimination (passes/cse.cc): what merges, what must never merge, fetches
// that follow the merge, and a deep graph without recursion.
#include "passes/cse.h"

#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::CountOp;
using testing::ExpectSameTensors;
using testing::RunPass;
using testing::RunUnoptimized;
using testing::Values;

using CseTest = testing::GraphTest;

TEST_F(CseTest, IdenticalMatMulsMergeIntoOne) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto w = constant(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 4}, "w");
  auto y = matmul(x, w) + matmul(x, w);
  FeedDict feeds{{x, Values({1, -1, 2, 0, 3, 1}, {2, 3})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("cse", g, run));
  EXPECT_EQ(CountOp(g, "MatMul"), 1);
  EXPECT_EQ(y.node->input(0), y.node->input(1));
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(CseTest, CommutativeOpsMatchInEitherOperandOrder) {
  auto a = placeholder(float32, {2}, "a");
  auto b = placeholder(float32, {2}, "b");
  auto products = (a * b) + (b * a);
  auto differences = (a - b) + (b - a);
  PassContext run{.fetches = {products, differences}, .feeds = {a, b}};
  ASSERT_TRUE(RunPass("cse", g, run));
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  EXPECT_EQ(CountOp(g, "Sub"), 2);  // a-b is not b-a
}

TEST_F(CseTest, ConstantsMergeOnlyWithEqualDtypeShapeAndValue) {
  auto x = placeholder(float32, {2}, "x");
  auto y = (x + constant(2.0)) * (x + constant(2.0));                          // one Const, one AddV2
  auto z = (x - constant(std::vector<float>{2, 2}, {2})) * (x - constant(std::vector<float>{2, 3}, {2}));         // different values
  auto w = cast(x, float64) * constant(2.0, DT_DOUBLE);                       // a double 2
  PassContext run{.fetches = {y, z, w}, .feeds = {x}};
  ASSERT_TRUE(RunPass("cse", g, run));
  int twos = 0, vectors = 0;
  for (Node* n : g.nodes()) {
    if (n->op() != "Const") continue;
    const Tensor& v = n->attr<Tensor>("value");
    twos += v.rank() == 0;
    vectors += v.rank() == 1;
  }
  EXPECT_EQ(twos, 2);  // float 2 and double 2
  EXPECT_EQ(vectors, 2);
  EXPECT_EQ(CountOp(g, "AddV2"), 1);
  EXPECT_EQ(CountOp(g, "Sub"), 2);
}

TEST_F(CseTest, StatefulOpsAndPlaceholdersNeverMerge) {
  auto r1 = random_uniform({3}, 0.0, 1.0, DT_FLOAT, 5);
  auto r2 = random_uniform({3}, 0.0, 1.0, DT_FLOAT, 5);
  auto p1 = placeholder(float32, {3}, "p1");
  auto p2 = placeholder(float32, {3}, "p2");
  auto y = r1 + r2 + p1 + p2;
  PassContext run{.fetches = {y}, .feeds = {p1, p2}};
  RunPass("cse", g, run);
  EXPECT_EQ(CountOp(g, "RandomUniform"), 2);
  EXPECT_EQ(CountOp(g, "Placeholder"), 2);
}

TEST_F(CseTest, DifferentControlInputsOrDevicesKeepNodesApart) {
  auto x = placeholder(float32, {2}, "x");
  auto plain = exp(x);
  Output waits;
  {
    control_dependencies deps({Operation(identity(x, "first"))});
    waits = exp(x);
  }
  Node* elsewhere = MakeNode("Exp", {x}, {});
  ASSERT_NE(elsewhere, nullptr);
  NodeSpec spec{.name = "on_gpu", .op = "Exp", .inputs = {x}, .device = "/device:GPU:0"};
  StatusOr<Node*> gpu = g.AddNode(spec);
  ASSERT_TRUE(gpu.ok());
  auto y = add_n({plain, waits, Output(elsewhere, 0), Output(*gpu, 0)});
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("cse", g, run));
  EXPECT_EQ(CountOp(g, "Exp"), 3);  // plain and elsewhere merge; the waiting one and the GPU one stay
}

TEST_F(CseTest, SwitchMergeAndConstantsOfDifferentBranchesStayApart) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  auto y = cond(pred, [&] { return x * constant(2.0); }, [&] { return x * constant(2.0); });
  auto z = cond(pred, [&] { return x * constant(2.0); }, [&] { return x * constant(2.0); }, "cond_1");
  auto sum = y + z;
  int switches = CountOp(g, "Switch"), merges = CountOp(g, "Merge");
  PassContext run{.fetches = {sum}, .feeds = {pred, x}};
  RunPass("cse", g, run);
  EXPECT_EQ(CountOp(g, "Switch"), switches);
  EXPECT_EQ(CountOp(g, "Merge"), merges);
  // Within one cond each branch keeps its own constant (a different pivot, different deadness).
  for (bool p : {true, false}) {
    FeedDict feeds{{pred, Tensor::Scalar<bool>(p)}, {x, Tensor::Scalar<float>(3)}};
    testing::ExpectValues(RunUnoptimized(g, {sum}, feeds)[0], {}, {12});
  }
}

// Fetches keep their names: a fetched duplicate survives the merge (moving before the readers of
// the one it replaces), and two fetched duplicates both stay.
TEST_F(CseTest, FetchedDuplicateSurvivesTheMerge) {
  auto x = placeholder(float32, {2}, "x");
  auto first = exp(x, "first");
  auto reader = first * 2.0;
  auto second = exp(x, "second");
  auto y = reader + second;
  FeedDict feeds{{x, Values({1, 2}, {2})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y, second}, feeds);
  PassContext run{.fetches = {y, second}, .feeds = {x}};
  ASSERT_TRUE(RunPass("cse", g, run));
  EXPECT_EQ(g.FindNode("first"), nullptr);
  EXPECT_EQ(reader.node->input(0), second);
  EXPECT_EQ(run.fetches[1], second);
  testing::ExpectTopologicalIds(g);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));

  auto third = exp(x, "third");
  run.fetches.push_back(third);
  EXPECT_FALSE(RunPass("cse", g, run));
  EXPECT_EQ(CountOp(g, "Exp"), 2);
}

TEST_F(CseTest, TwoHundredThousandNodeDuplicateChainsMergeWithoutOverflow) {
  auto x = placeholder(float32, {}, "x");
  Output a = x, b = x;
  for (int i = 0; i < 50000; ++i) {
    a = a + 1.0;
    b = b + 1.0;
  }
  auto y = a * b;
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("cse", g, run));
  EXPECT_EQ(CountOp(g, "AddV2"), 50000);
  EXPECT_EQ(CountOp(g, "Const"), 1);
  EXPECT_EQ(y.node->input(0), y.node->input(1));
}

}  // namespace
}  // namespace kiln
