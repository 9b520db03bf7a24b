// The Executable's plan (runtime/executable.cc): which nodes get a step of their own, which share a
// buffer instead of copying (views, Switch/Merge forwarding), and that the compiled plan computes
// what the reference kernels compute.
#include "runtime/executable.h"

#include <cmath>

#include "runtime/thread_pool.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectValues;
using testing::Values;

class ExecutableTest : public testing::GraphTest {
 protected:
  // Compiles fetches with every graph pass off, so the plan sees the graph as built.
  std::unique_ptr<Executable> Compile(const std::vector<std::pair<Output, Tensor>>& feeds, const std::vector<Output>& fetches,
                                      CompileOptions options = {}, const std::vector<Node*>& targets = {}) {
    std::vector<FeedSpec> specs;
    for (const auto& [t, v] : feeds) specs.push_back({t, v.dtype(), v.dims()});
    options.graph_passes = PipelineOptions::NoPasses();
    StatusOr<std::unique_ptr<Executable>> exe = Executable::Compile(specs, fetches, targets, &variables_, &rng_, options);
    EXPECT_TRUE(exe.ok()) << exe.status().ToString();
    return exe.ok() ? std::move(*exe) : nullptr;
  }
  std::vector<Tensor> Run(Executable& exe, const std::vector<std::pair<Output, Tensor>>& feeds) {
    std::vector<Tensor> values, out;
    for (const auto& f : feeds) values.push_back(f.second);
    Status s = exe.Run(values, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  VariableStore variables_;
  std::map<std::string, RngState> rng_;
};

TEST_F(ExecutableTest, ReshapesAndIdentitiesAreViewsWithoutSteps) {
  auto x = placeholder(float32, {2, 3}, "x");
  auto r = reshape(identity(x), {3, 2});
  auto y = matmul(r, r, true, false);  // [2, 2]
  std::vector<std::pair<Output, Tensor>> feeds = {{x, Values({1, 2, 3, 4, 5, 6}, {2, 3})}};
  std::unique_ptr<Executable> exe = Compile(feeds, {y, r});
  ASSERT_NE(exe, nullptr);
  EXPECT_EQ(exe->num_steps(), 1);  // the MatMul; the Identity and the Reshape only rename x's buffer
  std::vector<Tensor> out = Run(*exe, feeds);
  ExpectValues(out[0], {2, 2}, {1 * 1 + 3 * 3 + 5 * 5, 1 * 2 + 3 * 4 + 5 * 6, 1 * 2 + 3 * 4 + 5 * 6, 2 * 2 + 4 * 4 + 6 * 6});
  ExpectValues(out[1], {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST_F(ExecutableTest, AReshapeOfAVariableIsACopyTakenWhenItRuns) {
  // The update runs after the Reshape (control dependency); the fetched reshape must hold the value
  // from before the update, so it cannot be a view of the variable's buffer.
  Variable v(constant(Values({1, 2, 3, 4}, {4})), "v");
  auto r = reshape(v.value(), {2, 2});
  Output update;
  {
    control_dependencies deps({Operation(r)});
    update = v.assign_add(constant(Values({10, 10, 10, 10}, {4})));
  }
  std::unique_ptr<Executable> init = Compile({}, {}, {}, {v.initializer().node});
  ASSERT_NE(init, nullptr);
  Run(*init, {});
  std::unique_ptr<Executable> exe = Compile({}, {r, update});
  ASSERT_NE(exe, nullptr);
  std::vector<Tensor> out = Run(*exe, {});
  ExpectValues(out[0], {2, 2}, {1, 2, 3, 4});
  ExpectValues(out[1], {4}, {11, 12, 13, 14});
}

TEST_F(ExecutableTest, CondBranchesForwardBuffersAndGiveTheTakenValue) {
  auto pred = placeholder(boolean, {}, "pred");
  auto x = placeholder(float32, {3}, "x");
  auto y = cond(
      pred, [&] { return x * 2.0f; }, [&] { return x - 1.0f; });
  auto z = y + x;
  Tensor p_true = Tensor::Scalar(true), p_false = Tensor::Scalar(false);
  Tensor xs = Values({1, 2, 3}, {3});
  std::unique_ptr<Executable> exe = Compile({{pred, p_true}, {x, xs}}, {z, y});
  ASSERT_NE(exe, nullptr);
  std::vector<Tensor> out = Run(*exe, {{pred, p_true}, {x, xs}});
  ExpectValues(out[0], {3}, {3, 6, 9});
  ExpectValues(out[1], {3}, {2, 4, 6});
  out = Run(*exe, {{pred, p_false}, {x, xs}});
  ExpectValues(out[0], {3}, {1, 3, 5});
  ExpectValues(out[1], {3}, {0, 1, 2});
}

TEST_F(ExecutableTest, AFusedChainIsOneStepAndMatchesTheReferenceKernels) {
  auto x = placeholder(float32, {300, 257}, "x");  // large enough to split over threads, odd rows
  auto b = placeholder(float32, {257}, "b");
  auto h = nn::bias_add(x, b);
  auto y = nn::sigmoid(h) * nn::tanh(h) + square(h);
  std::vector<double> xv(300 * 257), bv(257);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(static_cast<int>(i * 37 % 1001) - 500) / 100.0;
  for (size_t i = 0; i < bv.size(); ++i) bv[i] = static_cast<double>(i % 7) - 3.0;
  std::vector<std::pair<Output, Tensor>> feeds = {{x, Values(xv, {300, 257})}, {b, Values(bv, {257})}};
  std::unique_ptr<Executable> fused = Compile(feeds, {y});
  std::unique_ptr<Executable> reference = Compile(feeds, {y}, {.reference_kernels_only = true});
  ASSERT_NE(fused, nullptr);
  ASSERT_NE(reference, nullptr);
  EXPECT_EQ(fused->num_steps(), 1);
  EXPECT_EQ(reference->num_steps(), 6);
  Tensor got = Run(*fused, feeds)[0], want = Run(*reference, feeds)[0];
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    float w = want.data<float>()[i];
    ASSERT_NEAR(got.data<float>()[i], w, 1e-5f * std::max(1.0f, std::abs(w))) << "element " << i;
  }
}

TEST_F(ExecutableTest, BuffersOfAChainShareTheArenaOnceDeadAndKeepTheirValues) {
  // Eight [64, 64] products in a row: each intermediate is dead two steps later, so the arena holds
  // about two of them (plus the fetched middle one, which must live to the end), not eight.
  auto x = placeholder(float32, {64, 64}, "x");
  std::vector<double> xv(64 * 64);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = (i % 64 == i / 64) ? 1.0 : 0.0;  // identity
  Output h = x, middle;
  for (int i = 0; i < 8; ++i) {
    h = matmul(h, x) + 1.0;  // times the identity, plus one: layer k holds x + k
    if (i == 3) middle = h;
  }
  std::vector<std::pair<Output, Tensor>> feeds = {{x, Values(xv, {64, 64})}};
  std::unique_ptr<Executable> exe = Compile(feeds, {h, middle}, {.reference_kernels_only = true});
  ASSERT_NE(exe, nullptr);
  const int64_t one = 64 * 64 * 4;
  EXPECT_EQ(exe->memory().buffer_bytes, 16 * one);  // 8 products and 8 sums
  EXPECT_LE(exe->memory().arena_bytes, 4 * one);
  for (int run = 0; run < 2; ++run) {
    std::vector<Tensor> out = Run(*exe, feeds);
    for (int64_t i = 0; i < 64 * 64; ++i) {
      double diagonal = (i % 64 == i / 64) ? 1.0 : 0.0;
      ASSERT_FLOAT_EQ(out[1].data<float>()[i], diagonal + 4) << "middle, element " << i;
    }
    EXPECT_FLOAT_EQ(out[0].data<float>()[0], 1 + 8);
    EXPECT_FLOAT_EQ(out[0].data<float>()[1], 8);
  }
}

TEST_F(ExecutableTest, ColumnReductionsFusedIntoTheirProducersMatchTheReferenceKernels) {
  // A bias gradient, a mean over the batch kept as [1, C] and a sum over N, H and W, each summed in
  // the loop that computes its input, split over three threads (partial rows added in order).
  auto x = placeholder(float32, {3000, 40}, "x");
  auto dy = placeholder(float32, {3000, 40}, "dy");
  auto g = nn::sigmoid(x) * dy;
  Output bias_grad = MakeOp("BiasAddGrad", {g}, {{"T", DT_FLOAT}, {"data_format", std::string("NHWC")}});
  auto mean = reduce_mean(square(x - dy), {0}, /*keep_dims=*/true);
  auto images = placeholder(float32, {6, 10, 10, 7}, "images");
  auto sum = reduce_sum(nn::relu(images) * 0.5f, {0, 1, 2});
  std::vector<double> xv(3000 * 40), dyv(3000 * 40), iv(6 * 10 * 10 * 7);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(static_cast<int>(i * 37 % 1001) - 500) / 100.0;
  for (size_t i = 0; i < dyv.size(); ++i) dyv[i] = std::sin(0.1 * static_cast<double>(i));
  for (size_t i = 0; i < iv.size(); ++i) iv[i] = std::cos(0.3 * static_cast<double>(i));
  std::vector<std::pair<Output, Tensor>> feeds = {
      {x, Values(xv, {3000, 40})}, {dy, Values(dyv, {3000, 40})}, {images, Values(iv, {6, 10, 10, 7})}};
  ThreadPool pool(3);
  CompileOptions threaded;
  threaded.thread_pool = &pool;
  std::unique_ptr<Executable> fused = Compile(feeds, {bias_grad, mean, sum}, threaded);
  std::unique_ptr<Executable> reference = Compile(feeds, {bias_grad, mean, sum}, {.reference_kernels_only = true});
  ASSERT_NE(fused, nullptr);
  ASSERT_NE(reference, nullptr);
  EXPECT_EQ(fused->num_steps(), 3);  // one loop each, the reductions inside
  std::vector<Tensor> got = Run(*fused, feeds), want = Run(*reference, feeds);
  for (int f = 0; f < 3; ++f) {
    ASSERT_EQ(got[f].dims(), want[f].dims()) << "fetch " << f;
    for (int64_t i = 0; i < want[f].num_elements(); ++i) {
      // Both sum in double: they differ only in the order of the additions (per thread, then across).
      float w = want[f].data<float>()[i];
      EXPECT_NEAR(got[f].data<float>()[i], w, 1e-6f * std::max(1.0f, std::abs(w))) << "fetch " << f << " element " << i;
    }
  }
}

}  // namespace
}  // namespace kiln
