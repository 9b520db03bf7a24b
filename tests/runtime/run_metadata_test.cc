// Session::Run with RunOptions(trace_level=FULL_TRACE) and RunMetadata (runtime/run_metadata.h):
// one record per executed step, naming its node, op, kernel and output shape, in execution order.
#include "runtime/run_metadata.h"

#include <algorithm>

#include "runtime/session.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Values;

class RunMetadataTest : public testing::GraphTest {
 protected:
  static const NodeExecStats* Find(const RunMetadata& md, const std::string& op) {
    for (const NodeExecStats& s : md.step_stats) {
      if (s.op == op) return &s;
    }
    return nullptr;
  }
  RunOptions full_trace{RunOptions::TraceLevel::kFullTrace};
};

TEST_F(RunMetadataTest, AFullTraceRecordsEachStepsNodeOpKernelShapeAndTimes) {
  auto x = placeholder(float32, {4, 3}, "x");
  auto w = constant(Values({1, 2, 3, 4, 5, 6}, {3, 2}));
  auto h = nn::relu(matmul(x, w, false, false, "logits") * 2.0f + 1.0f);
  auto best = argmax(h, 1);
  Session sess(g);
  RunMetadata md;
  std::vector<Tensor> out;
  ASSERT_TRUE(sess.Run(full_trace, {{x, Values(std::vector<double>(12, 1.0), {4, 3})}}, {h, best}, {}, &out, &md).ok());
  ASSERT_GE(md.step_stats.size(), 3u);  // the product, the fused Mul/Add/Relu, the ArgMax
  const NodeExecStats* mm = Find(md, "MatMul");
  ASSERT_NE(mm, nullptr);
  EXPECT_EQ(mm->node_name, "logits");
  EXPECT_EQ(mm->kernel, "library gemm");
  EXPECT_EQ(mm->output_shape, "[4,2]");
  const NodeExecStats* relu = Find(md, "Relu");
  ASSERT_NE(relu, nullptr) << "a fused cluster is recorded under its last node";
  EXPECT_EQ(relu->kernel, "fused (3 ops)");
  const NodeExecStats* am = Find(md, "ArgMax");
  ASSERT_NE(am, nullptr);
  EXPECT_EQ(am->kernel, "reference");
  EXPECT_EQ(am->output_shape, "[4]");
  for (size_t i = 0; i < md.step_stats.size(); ++i) {
    EXPECT_GE(md.step_stats[i].duration_nanos, 0);
    if (i > 0) EXPECT_GE(md.step_stats[i].start_nanos, md.step_stats[i - 1].start_nanos) << "execution order";
  }
}

TEST_F(RunMetadataTest, WithoutFullTraceTheMetadataIsEmptiedAndLeftEmpty) {
  auto x = placeholder(float32, {2}, "x");
  auto y = x * 3.0f;
  Session sess(g);
  RunMetadata md;
  md.step_stats.resize(5);  // from an earlier run
  std::vector<Tensor> out;
  ASSERT_TRUE(sess.Run(RunOptions(), {{x, Values({1, 2}, {2})}}, {y}, {}, &out, &md).ok());
  EXPECT_TRUE(md.step_stats.empty());
  ASSERT_TRUE(sess.Run(full_trace, {{x, Values({1, 2}, {2})}}, {y}, {}, &out, nullptr).ok()) << "null metadata";
}

TEST_F(RunMetadataTest, OnlyTheTakenCondBranchIsTraced) {
  // A predicate computed in the run, so the cond switches at run time (a fed bool would be
  // resolved when compiling: SessionTest has that case).
  auto x = placeholder(float32, {3}, "x");
  auto pred = less(reduce_sum(x), constant(100.0f));
  auto y = cond(
      pred, [&] { return exp(x); }, [&] { return log(x); });
  Session sess(g);
  RunMetadata md;
  std::vector<Tensor> out;
  ASSERT_TRUE(sess.Run(full_trace, {{x, Values({1, 2, 3}, {3})}}, {y}, {}, &out, &md).ok());
  auto ran = [&](const std::string& op) {
    return std::any_of(md.step_stats.begin(), md.step_stats.end(), [&](const NodeExecStats& s) { return s.op == op; });
  };
  EXPECT_TRUE(ran("Switch"));
  EXPECT_TRUE(ran("Merge"));
  EXPECT_TRUE(ran("Exp"));
  EXPECT_FALSE(ran("Log")) << "the untaken branch runs nothing";
}

}  // namespace
}  // namespace kiln
