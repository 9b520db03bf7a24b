// A training step's optimizer updates run as one kernel (runtime/executable_update_groups.cc): the
// plan holds one group step where there were an update step per variable, the group computes what
// the reference kernels compute, and every read of a variable in the step still sees the value its
// place in the graph gives it.
#include <gtest/gtest.h>

#include "passes/gradients.h"
#include "runtime/executable.h"
#include "runtime/thread_pool.h"
#include "tests/testing/op_testing.h"
#include "train/optimizer.h"

namespace kiln {
namespace {

using testing::ExpectValues;
using testing::Ramp;
using testing::Values;
using testing::Wavy;

class ExecutableUpdateGroupsTest : public testing::GraphTest {
 protected:
  // A compiled plan with its own variables, run on a pool of three threads (so a group large
  // enough is split on any host), or on the reference kernels.
  struct Plan {
    VariableStore variables;
    std::map<std::string, RngState> rng;
    std::unique_ptr<Executable> init, step;
  };
  void Compile(Plan& plan, const std::vector<std::pair<Output, Tensor>>& feeds, const std::vector<Output>& fetches,
               const std::vector<Node*>& targets, bool reference) {
    CompileOptions options;
    options.reference_kernels_only = reference;
    options.thread_pool = &pool_;
    auto init = Executable::Compile({}, {}, {global_variables_initializer().node}, &plan.variables, &plan.rng, options);
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    plan.init = std::move(*init);
    std::vector<FeedSpec> specs;
    for (const auto& [t, v] : feeds) specs.push_back({t, v.dtype(), v.dims()});
    auto step = Executable::Compile(specs, fetches, targets, &plan.variables, &plan.rng, options);
    ASSERT_TRUE(step.ok()) << step.status().ToString();
    plan.step = std::move(*step);
    std::vector<Tensor> none;
    ASSERT_TRUE(plan.init->Run({}, &none).ok());
  }
  static Status Run(Plan& plan, const std::vector<std::pair<Output, Tensor>>& feeds, std::vector<Tensor>* out,
                    RunMetadata* trace = nullptr) {
    std::vector<Tensor> values;
    for (const auto& f : feeds) values.push_back(f.second);
    return plan.step->Run(values, out, trace);
  }
  static int CountKernels(const RunMetadata& trace, const std::string& prefix) {
    int n = 0;
    for (const NodeExecStats& s : trace.step_stats) n += s.kernel.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }
  static void ExpectClose(const Tensor& got, const Tensor& want) {
    ASSERT_EQ(got.dims(), want.dims());
    for (int64_t i = 0; i < want.num_elements(); ++i) {
      float w = want.data<float>()[i];
      ASSERT_NEAR(got.data<float>()[i], w, 1e-5f * std::max(1.0f, std::abs(w))) << "element " << i;
    }
  }

  // Compiles the step both ways, runs each three times, and checks that every fast run has one
  // step labelled `group` and none of apply_momentum's own, and fetches what the reference does.
  void RunBesideReference(const std::vector<std::pair<Output, Tensor>>& feeds, const Output& fetch,
                          const std::vector<Node*>& targets, const std::string& group, Plan* fast, Plan* reference) {
    Compile(*fast, feeds, {fetch}, targets, false);
    Compile(*reference, feeds, {fetch}, targets, true);
    ASSERT_NE(fast->step, nullptr);
    ASSERT_NE(reference->step, nullptr);
    for (int i = 0; i < 3; ++i) {
      std::vector<Tensor> got, want;
      RunMetadata trace;
      ASSERT_TRUE(Run(*fast, feeds, &got, &trace).ok());
      ASSERT_TRUE(Run(*reference, feeds, &want).ok());
      EXPECT_EQ(CountKernels(trace, group), 1);
      EXPECT_EQ(CountKernels(trace, "library apply_momentum"), 0);
      ExpectClose(got[0], want[0]);
    }
  }

  ThreadPool pool_{3};
};

TEST_F(ExecutableUpdateGroupsTest, MomentumUpdatesOfEveryVariableAreOneStepAndMatchTheReferenceKernels) {
  auto x = placeholder(float32, {8, 300}, "x");
  Variable w1(constant(Wavy({300, 150}, 0.3, 0)) * 0.05f, "w1");  // 45,000 elements: split over threads
  Variable b1(constant(Wavy({150}, 1.1, 0)) * 0.1f, "b1");
  Variable w2(constant(Wavy({150, 3}, 2.0, 0)) * 0.1f, "w2");
  Variable b2(zeros({3}), "b2");
  auto h = nn::tanh(matmul(x, w1) + b1);
  Output loss = reduce_mean(square(matmul(h, w2) + b2 - 1.0f));
  Operation train_op = train::MomentumOptimizer(0.1, 0.9).minimize(loss);
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  std::vector<std::pair<Output, Tensor>> feeds = {{x, Wavy({8, 300}, 0.5, 0.1)}};

  Plan fast, reference;
  RunBesideReference(feeds, loss, {train_op.node}, "library update group (4 updates)", &fast, &reference);
  for (const char* name : {"w1", "b1", "w2", "b2", "w1/Momentum", "b2/Momentum"}) {
    SCOPED_TRACE(name);
    ExpectClose(fast.variables.Find(name)->value, reference.variables.Find(name)->value);
  }
}

TEST_F(ExecutableUpdateGroupsTest, TheBarebonesPatternReturnsTheLossFromBeforeTheUpdates) {
  // CS231n's TF notebook: assign_sub(w, lr * g) for each parameter, then
  // `with control_dependencies(updates): return identity(loss)`.
  auto x = placeholder(float32, {4, 3}, "x");
  Variable w(constant(Values({1, 0, -1, 2, 0.5, 0}, {3, 2})), "w");
  Variable b(constant(Values({0.5, -0.5}, {2})), "b");
  Output loss = reduce_sum(square(matmul(x, w) + b));
  std::vector<Output> grads = gradients(loss, {w.value(), b.value()});
  std::vector<Operation> updates = {Operation(assign_sub(w, grads[0] * 0.01f)), Operation(assign_sub(b, grads[1] * 0.01f))};
  Output reported;
  {
    control_dependencies deps(updates);
    reported = identity(loss);
  }
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  std::vector<std::pair<Output, Tensor>> feeds = {{x, Ramp({4, 3}, 0.25)}};

  Plan fast, reference;
  RunBesideReference(feeds, reported, {}, "library update group (2 updates)", &fast, &reference);
  ExpectClose(fast.variables.Find("w")->value, reference.variables.Find("w")->value);
  ExpectClose(fast.variables.Find("b")->value, reference.variables.Find("b")->value);
}

TEST_F(ExecutableUpdateGroupsTest, AReadThatWaitsForTheUpdatesSeesTheirResult) {
  Variable a(constant(Values({10, 20}, {2})), "a");
  Variable b(constant(Values({1, 2}, {2})), "b");
  Output ua = assign_sub(a, constant(Values({1, 1}, {2})));
  Output ub = assign_add(b, constant(Values({5, 5}, {2})));
  Output y;
  {
    control_dependencies deps({Operation(ua), Operation(ub)});
    y = identity(a) * 2.0f + identity(b);
  }
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  Plan plan;
  Compile(plan, {}, {y}, {}, false);
  ASSERT_NE(plan.step, nullptr);
  std::vector<Tensor> out;
  RunMetadata trace;
  ASSERT_TRUE(Run(plan, {}, &out, &trace).ok());
  EXPECT_EQ(CountKernels(trace, "library update group (2 updates)"), 1);
  ExpectValues(out[0], {2}, {9 * 2 + 6, 19 * 2 + 7});
  ASSERT_TRUE(Run(plan, {}, &out).ok());
  ExpectValues(out[0], {2}, {8 * 2 + 11, 18 * 2 + 12});
}

TEST_F(ExecutableUpdateGroupsTest, AnUninitializedVariableInAGroupIsReportedAsTfDoes) {
  Variable a(constant(Values({10, 20}, {2})), "a");
  Variable b(constant(Values({1, 2}, {2})), "b");
  Output ua = assign_sub(a, constant(Values({1, 1}, {2})));
  Output ub = assign_sub(b, constant(Values({1, 1}, {2})));
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  VariableStore variables;
  std::map<std::string, RngState> rng;
  CompileOptions options;
  options.thread_pool = &pool_;
  auto init_a = Executable::Compile({}, {}, {a.initializer().node}, &variables, &rng, options);
  auto step = Executable::Compile({}, {}, {ua.node, ub.node}, &variables, &rng, options);
  ASSERT_TRUE(init_a.ok() && step.ok());
  std::vector<Tensor> out;
  ASSERT_TRUE((*init_a)->Run({}, &out).ok());
  Status s = (*step)->Run({}, &out);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("uninitialized value b"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace kiln
