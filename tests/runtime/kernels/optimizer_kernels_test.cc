// The optimizer library kernels (runtime/kernels/optimizer_kernels.cc) against the reference kernels
// of ApplyGradientDescent, ApplyMomentum (with and without Nesterov), ApplyAdam, AssignAdd and
// AssignSub: three updates of the same variables from the same gradients, on more elements than one
// chunk so the split runs, float and double; and an uninitialized variable still gives the
// reference kernel's error.
#include <gtest/gtest.h>

#include <random>

#include "graph/builder/kiln.h"
#include "runtime/thread_pool.h"
#include "tests/testing/library_kernel_testing.h"
#include "tests/testing/op_testing.h"
#include "tests/testing/pass_testing.h"

namespace kiln {
namespace {

using testing::LibraryKernelCovers;

// The update op over `slots` (var first) with `scalars` in TF's input order and the gradient last
// or, for ApplyMomentum, between lr and momentum.
struct UpdateGraph {
  Graph graph;
  std::vector<Variable> slots;
  Output grad, update;
};

Tensor RandomTensor(int64_t n, DataType dtype, std::mt19937& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return testing::Values(v, {n}, dtype);
}

void BuildUpdate(UpdateGraph& g, const std::string& op, int num_slots, int64_t n, DataType dtype, bool nesterov,
                 std::mt19937& rng) {
  DefaultGraphGuard guard(g.graph);
  for (int i = 0; i < num_slots; ++i) {
    // var anywhere; Adam's v (the third slot) must be non-negative, as a running mean of squares.
    double lo = (op == "ApplyAdam" && i == 2) ? 0.0 : -1.0;
    g.slots.emplace_back(constant(RandomTensor(n, dtype, rng, lo, 1.0)), "slot" + std::to_string(i));
  }
  g.grad = placeholder(dtype, {n}, "grad");
  auto c = [&](double x) { return constant(testing::Values({x}, {}, dtype)); };
  std::vector<Output> in;
  for (const Variable& v : g.slots) in.push_back(v.ref());
  AttrMap attrs;
  if (op == "AssignAdd" || op == "AssignSub") {
    in.push_back(g.grad);
  } else if (op == "ApplyGradientDescent") {
    in.insert(in.end(), {c(0.1), g.grad});
  } else if (op == "ApplyMomentum") {
    in.insert(in.end(), {c(0.05), g.grad, c(0.9)});
    attrs["use_nesterov"] = nesterov;
  } else {
    in.insert(in.end(), {c(0.9 * 0.9), c(0.999 * 0.999), c(0.01), c(0.9), c(0.999), c(1e-7), g.grad});
    attrs["use_nesterov"] = nesterov;
  }
  g.update = MakeOp(op, in, attrs);
}

// Runs init and three updates with library kernels (on `threads` threads) or reference kernels only,
// and returns every slot's final value.
std::vector<Tensor> RunUpdates(const std::string& op, int num_slots, int64_t n, DataType dtype, bool nesterov,
                               bool reference_only, int threads) {
  std::mt19937 rng(5);
  UpdateGraph g;
  BuildUpdate(g, op, num_slots, n, dtype, nesterov, rng);
  EXPECT_TRUE(LibraryKernelCovers(*g.update.node, threads));
  ThreadPool pool(threads);
  SessionOptions options;
  options.compile.reference_kernels_only = reference_only;
  options.compile.thread_pool = &pool;
  Session sess(g.graph, options);
  for (const Variable& v : g.slots) EXPECT_TRUE(sess.run(Operation(v.initializer())).ok());
  for (int step = 0; step < 3; ++step) {
    StatusOr<std::vector<Tensor>> r = sess.run(std::vector<Fetch>{g.update}, FeedDict{{g.grad, RandomTensor(n, dtype, rng, -1.0, 1.0)}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  std::vector<Tensor> values;
  for (const Variable& v : g.slots) {
    StatusOr<Tensor> t = sess.run(v.value());
    EXPECT_TRUE(t.ok());
    if (t.ok()) values.push_back(*t);
  }
  return values;
}

struct Case {
  std::string op;
  int num_slots;
  bool nesterov;
};

class OptimizerKernelsTest : public ::testing::TestWithParam<Case> {};

TEST_P(OptimizerKernelsTest, ThreeUpdatesMatchTheReferenceKernel) {
  const Case& c = GetParam();
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (int64_t n : {int64_t{7}, int64_t{100003}}) {  // one chunk; several chunks with a ragged end
      SCOPED_TRACE(c.op + " " + DataTypeName(dtype) + " n=" + std::to_string(n));
      std::vector<Tensor> want = RunUpdates(c.op, c.num_slots, n, dtype, c.nesterov, true, 3);
      std::vector<Tensor> got = RunUpdates(c.op, c.num_slots, n, dtype, c.nesterov, false, 3);
      // The same formula per element in the same order: bit for bit.
      testing::ExpectSameTensors(want, got);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Updates, OptimizerKernelsTest,
                         ::testing::Values(Case{"ApplyGradientDescent", 1, false}, Case{"ApplyMomentum", 2, false},
                                           Case{"ApplyMomentum", 2, true}, Case{"ApplyAdam", 3, false},
                                           Case{"ApplyAdam", 3, true}, Case{"AssignAdd", 1, false},
                                           Case{"AssignSub", 1, false}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.op + (info.param.nesterov ? "Nesterov" : "");
                         });

TEST(OptimizerKernelsErrorTest, AnUninitializedVariableIsTheReferenceKernelsError) {
  std::mt19937 rng(1);
  UpdateGraph g;
  BuildUpdate(g, "ApplyAdam", 3, 50000, DT_FLOAT, false, rng);
  ASSERT_TRUE(LibraryKernelCovers(*g.update.node, 2));
  Session sess(g.graph);
  StatusOr<std::vector<Tensor>> r = sess.run(std::vector<Fetch>{g.update}, FeedDict{{g.grad, RandomTensor(50000, DT_FLOAT, rng, -1, 1)}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Attempting to use uninitialized value slot0"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace kiln
