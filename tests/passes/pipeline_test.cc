// The graph pipeline (passes/pipeline.cc): order, stopping and switching off by name, the logger,
// errors for unknown names, and the pipeline as Session::Run compiles it: a training step with a
// batch-norm cond computes bit for bit what it computes without any pass.
#include "passes/pipeline.h"

#include "passes/specialize.h"
#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"
#include "train/optimizer.h"

namespace kiln {
namespace {

using testing::ExpectSameTensors;
using testing::Values;

using PipelineTest = testing::GraphTest;

std::vector<std::string> Names(const std::vector<PassEvent>& events) {
  std::vector<std::string> names;
  for (const PassEvent& e : events) names.push_back(e.pass);
  return names;
}

TEST_F(PipelineTest, PassesRunInOrderAndTheLoggerHearsEach) {
  auto x = placeholder(float32, {2}, "x");
  exp(x, "unused");
  auto y = (x * constant(1.0)) + (constant(2.0) * constant(3.0));
  PipelineOptions options;
  std::vector<PassEvent> events;
  options.after_each_pass = [&](const PassEvent& e) { events.push_back(e); };
  PassContext run{.fetches = {y}, .feeds = {x}};
  StatusOr<bool> changed = RunGraphPipeline(g, run, options);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(Names(events), (std::vector<std::string>{"prune", "branches", "unread", "fold", "simplify", "cse", "pad", "pool_relu", "epilogue", "matmul_epilogue", "batchnorm"}));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_GE(events[i].ms, 0);
    EXPECT_EQ(events[i].graph, &g);
    if (i > 0) {
      EXPECT_EQ(events[i].nodes_before, events[i - 1].nodes_after);
    }
    EXPECT_EQ(events[i].changed, events[i].nodes_after != events[i].nodes_before) << events[i].pass;
  }
  EXPECT_EQ(g.num_nodes(), 3);  // x, the folded 6, x + 6
  EXPECT_EQ(g.FindNode("unused"), nullptr) << "pruned: the fetch does not read it";
}

TEST_F(PipelineTest, StopAfterAndDisabledUseThePassNames) {
  auto x = placeholder(float32, {2}, "x");
  auto y = identity(x * constant(1.0), "y");
  std::vector<PassEvent> events;
  PipelineOptions options{.disabled = {"prune"}, .stop_after = "simplify",
                          .after_each_pass = [&](const PassEvent& e) { events.push_back(e); }};
  PassContext run{.fetches = {y}, .feeds = {x}};
  ASSERT_TRUE(RunGraphPipeline(g, run, options).ok());
  EXPECT_EQ(Names(events), (std::vector<std::string>{"branches", "unread", "fold", "simplify"}));
  EXPECT_EQ(y.node->input(0), x);

  events.clear();
  ASSERT_TRUE(RunGraphPipeline(g, run, {.disabled = PipelineOptions::NoPasses().disabled,
                                        .after_each_pass = [&](const PassEvent& e) { events.push_back(e); }}).ok());
  EXPECT_TRUE(events.empty());
}

TEST_F(PipelineTest, EveryRegisteredNameMakesItsPass) {
  for (const PassInfo& info : RegisteredPasses()) {
    StatusOr<std::unique_ptr<GraphPass>> pass = MakePass(info.name);
    ASSERT_TRUE(pass.ok()) << info.name;
    EXPECT_EQ((*pass)->name(), info.name);
  }
  EXPECT_EQ(RegisteredPassNames(), "prune, branches, unread, fold, simplify, cse, pad, pool_relu, epilogue, matmul_epilogue, batchnorm");
}

TEST_F(PipelineTest, UnknownPassNamesAreErrorsListingTheValidOnes) {
  StatusOr<std::unique_ptr<GraphPass>> pass = MakePass("fuse-everything");
  ASSERT_FALSE(pass.ok());
  EXPECT_EQ(pass.status().message(), "unknown pass 'fuse-everything'; the passes are: prune, branches, unread, fold, simplify, cse, pad, pool_relu, epilogue, matmul_epilogue, batchnorm");
  auto x = placeholder(float32, {2}, "x");
  PassContext run{.fetches = {x}, .feeds = {x}};
  StatusOr<bool> stop = RunGraphPipeline(g, run, {.stop_after = "folding"});
  ASSERT_FALSE(stop.ok());
  EXPECT_EQ(stop.status().code(), Code::kInvalidArgument);
  EXPECT_NE(stop.status().message().find("unknown pass 'folding' to stop after; the passes are: prune, branches, unread, fold"),
            std::string::npos) << stop.status().message();
  StatusOr<bool> off = RunGraphPipeline(g, run, {.disabled = {"CSE"}});
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.status().message().find("unknown pass 'CSE' to switch off"), std::string::npos);
}

TEST_F(PipelineTest, SpecializedRunKeepsFetchesTargetsAndFeedsValid) {
  auto x = placeholder(float32, {-1, 3}, "x");
  auto scaled = identity(x * ones_like(x), "scaled");
  auto rows = cast(shape(x), float32, "rows");
  Variable v(zeros({3}), "v");
  auto update = v.assign_add(reduce_sum(scaled, {0}));
  StatusOr<SpecializedGraph> s = SpecializeForRun({{x, DT_FLOAT, {4, 3}}}, {scaled, rows}, {update.node});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<Node*> live = s->graph->nodes();
  auto in_graph = [&](const Node* n) { return std::find(live.begin(), live.end(), n) != live.end(); };
  ASSERT_EQ(s->fetches.size(), 2u);
  EXPECT_EQ(s->fetches[0].node->name(), "scaled");  // fetched: stays, reading the feed (x * 1 went)
  EXPECT_EQ(s->fetches[0].node->input(0).node, s->feed_nodes[0]);
  EXPECT_EQ(s->fetches[1].node->op(), "Const");    // the shape was known once x's was
  EXPECT_EQ(s->fetches[1].node->name(), "rows");
  for (const Output& f : s->fetches) EXPECT_TRUE(in_graph(f.node));
  for (const Node* t : s->targets) EXPECT_TRUE(in_graph(t));
  for (const Node* f : s->feed_nodes) EXPECT_TRUE(in_graph(f));
  testing::ExpectTopologicalIds(*s->graph);
}

// A small TF1 training program: dense layers, batch norm on an is_training cond (Switch/Merge,
// moving averages in UPDATE_OPS), dropout, Adam. Two sessions from the same seed, one compiling
// with every pass and one with none, take the same steps and must agree exactly.
TEST_F(PipelineTest, TrainingStepsMatchTheUnoptimizedGraphBitForBit) {
  g.set_seed(3);
  auto x = placeholder(float32, {-1, 6}, "x");
  auto labels = placeholder(int32, {-1}, "labels");
  auto is_training = placeholder_with_default(constant(false, DT_BOOL), {}, "is_training");
  auto h = layers::dense(x, 5, {.activation = nn::relu});
  h = layers::batch_normalization(h, is_training);
  h = layers::dropout(h, 0.3, is_training);
  auto logits = layers::dense(h, 3);
  auto loss = reduce_mean(nn::sparse_softmax_cross_entropy_with_logits(labels, logits), {}, false, "loss");
  Operation step;
  {
    control_dependencies deps(get_collection(GraphKeys::UPDATE_OPS));
    step = train::AdamOptimizer(0.05).minimize(loss);
  }
  Operation init = global_variables_initializer();
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();

  Session optimized(g);
  Session reference(g, SessionOptions{.compile = {.graph_passes = PipelineOptions::NoPasses()}});
  FeedDict train_feeds{{x, Values({1, 2, 0, -1, 3, 1, 0, 1, 1, 2, -2, 0, 2, -1, 0, 1, 1, 3, 1, 1, 1, 1, 1, 1}, {4, 6})},
                       {labels, Values({0, 2, 1, 2}, {4}, DT_INT32)},
                       {is_training, Tensor::Scalar<bool>(true)}};
  std::vector<Output> watched = {loss};
  for (const Variable& v : global_variables()) watched.push_back(v.value());
  for (Session* sess : {&optimized, &reference}) {
    ASSERT_TRUE(sess->run(init).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(sess->run(step, train_feeds).ok());
  }
  std::vector<Tensor> a, b;
  FeedDict eval_feeds(train_feeds.begin(), train_feeds.begin() + 2);  // is_training defaults to false
  ASSERT_TRUE(optimized.Run(eval_feeds, watched, {}, &a).ok());
  ASSERT_TRUE(reference.Run(eval_feeds, watched, {}, &b).ok());
  ExpectSameTensors(b, a);
}

}  // namespace
}  // namespace kiln
