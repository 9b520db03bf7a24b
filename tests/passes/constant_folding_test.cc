// Constant folding (passes/constant_folding.cc): what folds into which Const, what never folds,
// deadness inside cond branches, and that the folded graph computes what the original did.
#include "passes/constant_folding.h"

#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::CountOp;
using testing::ExpectSameTensors;
using testing::ExpectTopologicalIds;
using testing::ExpectValues;
using testing::RunPass;
using testing::RunUnoptimized;
using testing::Values;

using ConstantFoldingTest = testing::GraphTest;

TEST_F(ConstantFoldingTest, ArithmeticOnConstantsBecomesOneConstKeepingTheFetchedName) {
  auto c = constant(std::vector<float>{1, 2, 3}, {3}, "c");
  auto y = add(c * constant(2.0), constant(1.0), "y");
  std::vector<Tensor> before = RunUnoptimized(g, {y});
  PassContext run{.fetches = {y}};
  ASSERT_TRUE(RunPass("fold", g, run));
  EXPECT_EQ(CountOp(g, "Mul"), 0);
  EXPECT_EQ(CountOp(g, "AddV2"), 0);
  Node* folded = g.FindNode("y");
  ASSERT_NE(folded, nullptr);  // the fetch is still found by its name
  EXPECT_EQ(folded->op(), "Const");
  EXPECT_EQ(run.fetches[0].node, folded);
  ExpectValues(folded->attr<Tensor>("value"), {3}, {3, 5, 7});
  EXPECT_EQ(g.num_nodes(), 1);  // the constants only the sum read are gone with it
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches));
}

TEST_F(ConstantFoldingTest, ShapesKnownFromFeedsFoldWithoutTheirInput) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto n = cast(reduce_prod(shape(x)), float32, "n");
  auto y = reshape(x, {-1}) * n;
  FeedDict feeds{{x, Values({1, 2, 3, 4, 5, 6}, {2, 3})}};
  std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("fold", g, run));
  EXPECT_EQ(CountOp(g, "Shape"), 0);
  EXPECT_EQ(CountOp(g, "Prod"), 0);
  ExpectValues(g.FindNode("n")->attr<Tensor>("value"), {}, {6});
  EXPECT_EQ(g.FindNode("n")->control_inputs().size(), 0u);  // no cond: nothing can be dead
  ExpectTopologicalIds(g);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(ConstantFoldingTest, MultiOutputNodeFoldsToAConstPerOutput) {
  Node* args = MakeNode("BroadcastGradientArgs", {constant(std::vector<int32_t>{2, 3}), constant(std::vector<int32_t>{1, 3})},
                        {}, "args");
  ASSERT_NE(args, nullptr);
  auto r0 = identity(Output(args, 0), "r0");
  auto r1 = identity(Output(args, 1), "r1");
  PassContext run{.fetches = {r0, r1}};
  ASSERT_TRUE(RunPass("fold", g, run));
  EXPECT_EQ(CountOp(g, "BroadcastGradientArgs"), 0);
  ASSERT_NE(g.FindNode("r1"), nullptr);
  EXPECT_EQ(g.FindNode("r1")->op(), "Const");
  ExpectValues(g.FindNode("r1")->attr<Tensor>("value"), {1}, {0});
  ExpectTopologicalIds(g);
}

TEST_F(ConstantFoldingTest, ControlInputsOfFoldedNodesMoveToTheConst) {
  auto v = placeholder(float32, {}, "v");
  Output c;
  {
    control_dependencies deps({Operation(identity(v, "dep"))});
    c = constant(2.0, DT_FLOAT, "c");
  }
  auto y = add(c, constant(3.0), "y");
  PassContext run{.fetches = {y}, .feeds = {v}};
  ASSERT_TRUE(RunPass("fold", g, run));
  Node* folded = g.FindNode("y");
  ASSERT_EQ(folded->op(), "Const");
  ASSERT_EQ(folded->control_inputs().size(), 1u);
  EXPECT_EQ(folded->control_inputs()[0]->name(), "dep");
}

TEST_F(ConstantFoldingTest, StatefulOpsAndTheirReadersNeverFold) {
  auto r = random_uniform({3}, 0.0, 1.0, DT_FLOAT, 7, "r");
  auto y = r + 1.0;
  PassContext run{.fetches = {y}};
  EXPECT_FALSE(RunPass("fold", g, run));
  EXPECT_EQ(CountOp(g, "RandomUniform"), 1);
  EXPECT_EQ(y.node->op(), "AddV2");
}

TEST_F(ConstantFoldingTest, PlaceholderDefaultsAndFedTensorsNeverFold) {
  auto d = placeholder_with_default(constant(std::vector<float>{1, 2}, {2}), {2}, "d");
  auto fed = constant(std::vector<float>{5, 6}, {2}, "fed") * 1.0;
  auto y = d + fed;
  PassContext run{.fetches = {y}, .feeds = {fed}};
  RunPass("fold", g, run);
  EXPECT_EQ(CountOp(g, "PlaceholderWithDefault"), 1);  // a run may still feed it
  EXPECT_EQ(fed.node->op(), "Mul");                      // fed: its value comes from the run
  EXPECT_EQ(CountOp(g, "AddV2"), 1);                     // reads both
}

TEST_F(ConstantFoldingTest, OutputsOverTheSizeCapStay) {
  auto big = fill(constant(std::vector<int32_t>{100}), constant(1.0), "big");
  PassContext run{.fetches = {big}};
  std::unique_ptr<GraphPass> pass = MakeConstantFoldingPass({.max_constant_bytes = 399});
  StatusOr<bool> changed = pass->Run(g, run);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_FALSE(*changed);
  EXPECT_EQ(big.node->op(), "Fill");
  changed = MakeConstantFoldingPass({.max_constant_bytes = 400})->Run(g, run);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
}

// A broadcast of a few values to a large shape stays for the fuser to compute in registers, where a
// folded Const would be read from memory at every step; a small one, or one the fuser cannot take
// (Fill has no lowering), folds.
TEST_F(ConstantFoldingTest, LargeFusableBroadcastsOfFewValuesStay) {
  auto row = constant(std::vector<float>(256, 0.5f), {256}, "row");
  auto large = broadcast_to(row, constant(std::vector<int32_t>{1024, 256}), "large");  // 1 MB from 1 KB
  auto small = broadcast_to(row, constant(std::vector<int32_t>{8, 256}), "small");     // 8 KB
  auto filled = fill(constant(std::vector<int32_t>{1024, 256}), constant(1.0), "filled");
  PassContext run{.fetches = {large, small, filled}};
  ASSERT_TRUE(RunPass("fold", g, run));
  EXPECT_EQ(g.FindNode("large")->op(), "BroadcastTo");
  EXPECT_EQ(g.FindNode("small")->op(), "Const");
  EXPECT_EQ(g.FindNode("filled")->op(), "Const");
}

TEST_F(ConstantFoldingTest, AFailingKernelIsLeftForTheRunToReport) {
  auto params = constant(std::vector<float>{1, 2, 3}, {3});
  auto y = MakeOp("GatherV2", {params, constant(std::vector<int32_t>{7}), constant(std::vector<int32_t>{0})}, {}, "y");
  ASSERT_TRUE(y) << g.build_status().ToString();
  PassContext run{.fetches = {y}};
  EXPECT_FALSE(RunPass("fold", g, run));
  Session sess(g);
  StatusOr<Tensor> v = sess.run(y);
  EXPECT_FALSE(v.ok());
}

// The untaken branch's constants are dead in TF's executor; folded, they must stay dead, or the
// Merge would take the false branch's value even when pred is true.
TEST_F(ConstantFoldingTest, FoldedConstantsInAnUntakenBranchStayDead) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {2, 2}, "x");
  auto y = cond(
      pred, [&] { return reduce_sum(x); },
      [&] { return constant(2.0) * constant(3.0) + reduce_sum(cast(shape(x), float32)); });
  for (bool p : {true, false}) {
    FeedDict feeds{{pred, Tensor::Scalar<bool>(p)}, {x, Values({1, 2, 3, 5}, {2, 2})}};
    std::vector<Tensor> before = RunUnoptimized(g, {y}, feeds);
    ExpectValues(before[0], {}, {p ? 11.0 : 10.0});  // false: 2*3 + (2+2)
    Session optimized(g);  // every pass, as compiled for a run
    StatusOr<Tensor> after = optimized.run(y, feeds);
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    ExpectSameTensors(before, {*after});
  }
  // Folded in place: the false branch becomes one Const that waits on the branch's pivot (through
  // its constants) and on the Switch output its Shape read (through an anchor Identity).
  PassContext run{.fetches = {y}, .feeds = {pred, x}};
  ASSERT_TRUE(RunPass("fold", g, run));
  Node* merge = y.node;
  Node* folded = merge->input(0).node;
  ASSERT_EQ(folded->op(), "Const");
  std::vector<std::string> deps;
  for (Node* c : folded->control_inputs()) deps.push_back(c->name());
  EXPECT_NE(std::find(deps.begin(), deps.end(), "cond/switch_f"), deps.end()) << ::testing::PrintToString(deps);
  bool anchored = false;
  for (const std::string& d : deps) anchored |= d.rfind("ControlAnchor/", 0) == 0;
  EXPECT_TRUE(anchored) << ::testing::PrintToString(deps);
  for (bool p : {true, false}) {
    FeedDict feeds{{pred, Tensor::Scalar<bool>(p)}, {x, Values({1, 2, 3, 5}, {2, 2})}};
    ExpectValues(RunUnoptimized(g, {y}, feeds)[0], {}, {p ? 11.0 : 10.0});
  }
}

TEST_F(ConstantFoldingTest, UntakenBranchValueDoesNotWinTheMerge) {
  auto pred = placeholder(boolean, {}, "pred");
  auto y = cond(pred, [&] { return constant(1.0) + constant(0.5); }, [&] { return constant(2.0) * constant(3.0); });
  PassContext run{.fetches = {y}, .feeds = {pred}};
  ASSERT_TRUE(RunPass("fold", g, run));
  EXPECT_EQ(CountOp(g, "Mul"), 0);
  EXPECT_EQ(CountOp(g, "AddV2"), 0);
  ExpectValues(RunUnoptimized(g, {y}, {{pred, Tensor::Scalar<bool>(true)}})[0], {}, {1.5});
  ExpectValues(RunUnoptimized(g, {y}, {{pred, Tensor::Scalar<bool>(false)}})[0], {}, {6.0});
}

TEST_F(ConstantFoldingTest, HundredThousandNodeChainFoldsWithoutOverflow) {
  Output y = constant(0.0, DT_FLOAT, "c");
  for (int i = 0; i < 100000; ++i) y = y + 1.0;
  PassContext run{.fetches = {y}};
  ASSERT_TRUE(RunPass("fold", g, run));
  EXPECT_EQ(g.num_nodes(), 1);
  ExpectValues(run.fetches[0].node->attr<Tensor>("value"), {}, {100000});
}

}  // namespace
}  // namespace kiln
