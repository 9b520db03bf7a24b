// Algebraic simplification (passes/simplify.cc): each rule's rewrite, the cases where it must not
// fire (broadcasting, variable reads, control inputs, deadness, feeds), and equal values before and
// after.
#include "passes/simplify.h"

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

class SimplifyTest : public testing::GraphTest {
 protected:
  // Runs simplify fetching an Identity of each of `results` (fetched nodes stay, so the Identity
  // shows what its input became), fed with x = [[1,-2,3],[4,5,-6]]; checks the values stayed.
  void SimplifyAndCompare(const Output& x, const std::vector<Output>& results) {
    std::vector<Output> fetches;
    for (const Output& r : results) fetches.push_back(identity(r, "out"));
    FeedDict feeds{{x, Values({1, -2, 3, 4, 5, -6}, {2, 3})}};
    std::vector<Tensor> before = RunUnoptimized(g, fetches, feeds);
    run = PassContext{.fetches = fetches, .feeds = {x}};
    changed = RunPass("simplify", g, run);
    ExpectTopologicalIds(g);
    ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
  }
  // What result i became.
  Output Result(int i) const { return run.fetches[i].node->input(0); }
  PassContext run;
  bool changed = false;
};

TEST_F(SimplifyTest, NeutralOperandsDisappear) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto y = divide(subtract(add(constant(0.0), multiply(constant(1.0), x * 1.0)), zeros_like(x)), ones({2, 3}));
  SimplifyAndCompare(x, {y});
  EXPECT_TRUE(changed);
  for (const char* op : {"Mul", "AddV2", "Sub", "RealDiv"}) EXPECT_EQ(CountOp(g, op), 0) << op;
  EXPECT_EQ(Result(0), x);
}

TEST_F(SimplifyTest, OnesLikeAndFillOfOneAreNeutral) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto y = (x * ones_like(x)) * fill(shape(x), constant(1.0));
  SimplifyAndCompare(x, {y});
  EXPECT_EQ(CountOp(g, "Mul"), 0);
}

TEST_F(SimplifyTest, NeutralOperandThatBroadcastsStays) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto row = reduce_sum(x, {0}, true);  // [1,3]
  auto y = row * ones({2, 3});          // broadcasts to x's shape: the Mul is a broadcast
  auto z = row + constant(0.0);         // same shape as row: goes
  SimplifyAndCompare(x, {y, z});
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  EXPECT_EQ(CountOp(g, "AddV2"), 0);
}

TEST_F(SimplifyTest, ZeroSummandsOfAnAddNGo) {
  // A resolved cond's gradient: the taken branch's gradient plus the untaken branch's zeros.
  auto x = placeholder(float32, {2, 3}, "x");
  auto g1 = x * 2.0;
  auto sum = add_n({g1, zeros_like(x)});
  auto kept = add_n({g1, x, zeros_like(x)});  // two real summands: stays
  SimplifyAndCompare(x, {sum, kept});
  EXPECT_TRUE(changed);
  EXPECT_EQ(Result(0), g1);
  EXPECT_EQ(Result(1).node->op(), "AddN");
}

TEST_F(SimplifyTest, DoubleNegationCancels) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto even = -(-(-(-x)));
  auto odd = -(-(-x));
  SimplifyAndCompare(x, {even, odd});
  EXPECT_EQ(Result(0), x);
  EXPECT_EQ(CountOp(g, "Neg"), 1);
}

TEST_F(SimplifyTest, TransposesCompose) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto x3 = reshape(x, {1, 2, 3});
  auto back = transpose(transpose(x3, {1, 2, 0}), {2, 0, 1});  // the identity
  auto composed = transpose(transpose(x3, {1, 0, 2}), {0, 2, 1});
  auto plain = transpose(x, {0, 1});
  SimplifyAndCompare(x, {back, composed, plain});
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(Result(0), x3);
  EXPECT_EQ(Result(2), x);
  Node* t = Result(1).node;
  ASSERT_EQ(t->op(), "Transpose");
  EXPECT_EQ(t->input(0), x3);
  testing::ExpectValues(*t->input(1).node->known_value(0), {3}, {1, 2, 0});
}

TEST_F(SimplifyTest, ReshapeChainsCollapseAndNoOpReshapesGo) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto y = reshape(reshape(reshape(x, {6}), {3, 2}), {1, 6});
  auto same = reshape(x, {2, 3});
  SimplifyAndCompare(x, {y, same});
  EXPECT_EQ(CountOp(g, "Reshape"), 1);
  EXPECT_EQ(Result(0).node->input(0), x);
  EXPECT_EQ(Result(1), x);
}

// MulGrad/AddGrad build Reshape(Sum(dz, rx), shape(x)) per operand; with no broadcasting rx is
// empty and both are no-ops.
TEST_F(SimplifyTest, GradientSumReshapePairsWithoutBroadcastGo) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto no_axes = MakeOp("Sum", {x, constant(std::vector<int32_t>{})}, {{"keep_dims", false}});
  auto undone = reshape(no_axes, shape(x));
  auto size_one = reduce_mean(reshape(x, {2, 1, 3}), {1}, true);
  auto tiled = tile(x, {1, 1});
  auto cast_same = cast(x, float32);
  SimplifyAndCompare(x, {undone, size_one, tiled, cast_same});
  EXPECT_EQ(CountOp(g, "Sum"), 0);
  EXPECT_EQ(CountOp(g, "Mean"), 0);
  EXPECT_EQ(CountOp(g, "Tile"), 0);
  EXPECT_EQ(CountOp(g, "Cast"), 0);
  EXPECT_EQ(Result(0), x);
  EXPECT_EQ(Result(3), x);
}

TEST_F(SimplifyTest, IdentitiesGoButVariableReadsAndGatedIdentitiesStay) {
  auto x = placeholder(float32, {2, 3}, "x");
  Variable w(zeros({2, 3}), "w");
  Output gated;
  {
    control_dependencies deps({Operation(w.initializer())});
    gated = identity(x, "gated");
  }
  auto y = identity(stop_gradient(x)) + identity(w.value()) + gated;
  PassContext context{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("simplify", g, context));
  EXPECT_EQ(CountOp(g, "StopGradient"), 0);
  ASSERT_NE(g.FindNode("w/read"), nullptr);  // aliases the variable: the runtime needs it
  ASSERT_NE(g.FindNode("gated"), nullptr);   // orders after the initializer
  EXPECT_EQ(CountOp(g, "Identity"), 2);
}

// Gradients built under control_dependencies(UPDATE_OPS) all carry the same control inputs: a
// node may go when its readers already wait for everything it waited for, and only then.
TEST_F(SimplifyTest, ControlInputsTheReadersShareDoNotBlock) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto update = exp(x, "update");
  Output shared, unshared;
  {
    control_dependencies deps({Operation(update)});
    shared = reshape(x, {2, 3}, "shared") * 2.0;
    unshared = reshape(x, {2, 3}, "unshared");
  }
  auto y = unshared * 3.0;  // does not wait for `update`
  SimplifyAndCompare(x, {shared, y});
  EXPECT_EQ(g.FindNode("shared"), nullptr);
  EXPECT_NE(g.FindNode("unshared"), nullptr);
}

// TF's gradients gate each op's input gradients with a tuple: a NoOp waiting for all of them and
// an Identity per gradient waiting on it. Where the NoOp waits only for the gradient's own node and
// what that reads (Neg(g) beside g), for sources, or for values nobody reads, the Identity goes and
// the gradient chain can fuse; where it waits for a node that reads the gradient, it stays.
TEST_F(SimplifyTest, GradientTupleIdentitiesGoWhereTheirWaitAddsNothing) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto g2 = x * 2.0;
  auto n = negative(g2, "n");
  auto unread = exp(x, "unread");  // a gradient nobody reads: the NoOp is its only user
  Operation deps = group({Operation(g2), Operation(n), Operation(unread), Operation(constant(1.0))}, "group_deps");
  Output dn, dg;
  {
    control_dependencies c({deps});
    dn = identity(n, "dn");
    dg = identity(g2, "dg");
  }
  SimplifyAndCompare(x, {nn::sigmoid(dn, "s"), dg});
  EXPECT_EQ(g.FindNode("dn"), nullptr);
  EXPECT_EQ(g.FindNode("s")->input(0).node, n.node);
  EXPECT_NE(g.FindNode("dg"), nullptr);  // waits for n, which reads g2
}

TEST_F(SimplifyTest, FetchedNodesKeepTheirNames) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto y = multiply(x, constant(1.0), "y");
  PassContext context{.fetches = {y}, .feeds = {x}};
  EXPECT_FALSE(RunPass("simplify", g, context));
  EXPECT_EQ(g.FindNode("y"), y.node);
}

TEST_F(SimplifyTest, FedTensorsAreNotBypassed) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto fed = identity(x * 1.0, "fed");
  auto y = fed + 2.0;
  PassContext context{.fetches = {y}, .feeds = {fed}};
  RunPass("simplify", g, context);
  EXPECT_EQ(y.node->input(0), fed);  // the run's value of `fed`, not x
}

// A neutral operand that is dead where x is live (a constant on the untaken side of a Switch)
// makes the product dead; bypassed, the Merge would take x instead of the live branch.
TEST_F(SimplifyTest, OperandThatCanBeDeadIsNotDropped) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  auto pivot = identity(switch_(pred, pred)[1], "pivot");
  StatusOr<Node*> one = g.AddNode({.name = "one", .op = "Const", .control_inputs = {pivot.node},
                                   .attrs = {{"value", Tensor::Scalar<float>(1)}, {"dtype", DT_FLOAT}}});
  ASSERT_TRUE(one.ok());
  auto only_if_true = x * Output(*one, 0);
  auto y = merge({only_if_true, x + 5.0})[0];
  PassContext context{.fetches = {y}, .feeds = {pred, x}};
  RunPass("simplify", g, context);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  FeedDict feeds{{pred, Tensor::Scalar<bool>(false)}, {x, Tensor::Scalar<float>(1)}};
  testing::ExpectValues(RunUnoptimized(g, {y}, feeds)[0], {}, {6});
}

TEST_F(SimplifyTest, NeutralConstantInsideTheSameBranchIsDropped) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {}, "x");
  auto y = cond(pred, [&] { return x * constant(1.0); }, [&] { return x + 5.0; });
  PassContext context{.fetches = {y}, .feeds = {pred, x}};
  ASSERT_TRUE(RunPass("simplify", g, context));
  EXPECT_EQ(CountOp(g, "Mul"), 0);  // the 1 hangs off the true pivot: dead exactly when x's Switch output is
  for (bool p : {true, false}) {
    FeedDict feeds{{pred, Tensor::Scalar<bool>(p)}, {x, Tensor::Scalar<float>(1)}};
    testing::ExpectValues(RunUnoptimized(g, {y}, feeds)[0], {}, {p ? 1.0 : 6.0});
  }
}

TEST_F(SimplifyTest, HundredThousandIdentityChainGoesWithoutOverflow) {
  auto x = placeholder(float32, {2}, "x");
  Output y = x;
  for (int i = 0; i < 100000; ++i) y = identity(y);
  PassContext context{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunPass("simplify", g, context));
  EXPECT_EQ(g.num_nodes(), 2);  // x and the fetched last Identity, which keeps its name
  EXPECT_EQ(context.fetches[0], y);
  EXPECT_EQ(y.node->input(0), x);
}

}  // namespace
}  // namespace kiln
