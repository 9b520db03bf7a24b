// Batch norm epilogue fusion (passes/batch_norm_epilogue.cc): a batch norm and its ReLU become one
// _FusedBatchNormEx and their gradient one _FusedBatchNormGradEx, reading through the gradient
// tuples; a ReLU fetched, or a batch norm output read by something else, keeps the ops apart; the
// rewritten graph computes the same values.
#include "passes/batch_norm_epilogue.h"

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
using testing::Wavy;

class BatchNormEpilogueTest : public testing::GraphTest {
 protected:
  // x [2,3,3,4] -> batch norm (training, as tf.layers builds it) -> ReLU -> weighted sum; the
  // gradients of that loss with respect to x, scale and offset.
  void Build() {
    x = placeholder(float32, {2, 3, 3, 4}, "x");
    scale = placeholder(float32, {4}, "scale");
    offset = placeholder(float32, {4}, "offset");
    auto empty = constant(std::vector<float>{}, {0});
    bn = nn::fused_batch_norm(x, scale, offset, empty, empty, 0.001, true)[0];
    act = nn::relu(bn, "act");
    loss = reduce_sum(act * constant(Wavy({2, 3, 3, 4}, 1.0)));
    StatusOr<std::vector<Output>> g3 = Gradients({loss}, {x, scale, offset});
    ASSERT_TRUE(g3.ok()) << g3.status().ToString();
    grads = *g3;
    feeds = {{x, Wavy({2, 3, 3, 4}, 0.0)}, {scale, Values({1, 0.5, 2, 1.5}, {4})}, {offset, Values({0, 0.3, -0.2, 0.1}, {4})}};
  }

  Output x, scale, offset, bn, act, loss;
  std::vector<Output> grads;
  FeedDict feeds;
};

TEST_F(BatchNormEpilogueTest, BatchNormReluAndTheirGradientsFuse) {
  Build();
  std::vector<Output> fetches = {loss, grads[0], grads[1], grads[2]};
  std::vector<Tensor> before = RunUnoptimized(g, fetches, feeds);
  PassContext run{.fetches = fetches, .feeds = {x, scale, offset}};
  ASSERT_TRUE(RunPass("batchnorm", g, run));
  EXPECT_EQ(CountOp(g, "_FusedBatchNormEx"), 1);
  EXPECT_EQ(CountOp(g, "_FusedBatchNormGradEx"), 1);
  for (const char* op : {"FusedBatchNormV3", "FusedBatchNormGradV3", "Relu", "ReluGrad"}) EXPECT_EQ(CountOp(g, op), 0) << op;
  ExpectTopologicalIds(g);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(BatchNormEpilogueTest, FetchedReluKeepsTheOpsApart) {
  Build();
  std::vector<Output> fetches = {act, grads[0]};
  std::vector<Tensor> before = RunUnoptimized(g, fetches, feeds);
  PassContext run{.fetches = fetches, .feeds = {x, scale, offset}};
  EXPECT_FALSE(RunPass("batchnorm", g, run));
  EXPECT_EQ(CountOp(g, "Relu"), 1);
  ExpectSameTensors(before, RunUnoptimized(g, run.fetches, feeds));
}

TEST_F(BatchNormEpilogueTest, BatchNormOutputReadElsewhereKeepsTheOpsApart) {
  Build();
  auto other = reduce_sum(bn);  // y itself is wanted, before the ReLU
  std::vector<Output> fetches = {other, grads[0]};
  PassContext run{.fetches = fetches, .feeds = {x, scale, offset}};
  EXPECT_FALSE(RunPass("batchnorm", g, run));
  EXPECT_EQ(CountOp(g, "FusedBatchNormV3"), 1);
}

}  // namespace
}  // namespace kiln
