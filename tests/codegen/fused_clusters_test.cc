// Multi-op clusters as the fuser will hand them over: a subgraph of elementwise nodes lowered by
// LowerElementwiseCluster into one expression and compiled into one kernel, against the same
// subgraph run node by node through the reference kernels. Each is also run as several range
// calls, as the runtime's threads would.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "graph/builder/kiln.h"
#include "graph/elementwise_lowering.h"
#include "runtime/session.h"
#include "tests/codegen/elementwise_test_util.h"

namespace kiln::codegen {
namespace {

using testing::CompileOrFail;
using testing::MakeJit;
using testing::Random;
using testing::RunKernel;
using testing::UlpError;

// The nodes between `inputs` and `outputs` (an iterative walk up from the outputs, along the inputs
// each node's expression reads).
std::vector<const Node*> NodesBetween(const std::vector<Output>& inputs, const std::vector<Output>& outputs) {
  std::set<const Node*> stop, seen;
  for (const Output& in : inputs) stop.insert(in.node);
  std::vector<const Node*> stack, nodes;
  for (const Output& out : outputs) stack.push_back(out.node);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (stop.count(n) || !seen.insert(n).second) continue;
    nodes.push_back(n);
    for (int i = 0; i < ExpressionInputs(*n); ++i) stack.push_back(n->input(i).node);
  }
  return nodes;
}

// Compiles the cluster between `inputs` and `outputs`, runs it on `values` in one call and in
// three range calls, and checks both against the Session within `ulps` (0: equal values).
template <typename T>
void ExpectClusterMatchesSession(Graph& g, const std::vector<Output>& inputs, const std::vector<Tensor>& values,
                                 const std::vector<Output>& outputs, double ulps, size_t expected_nodes) {
  std::vector<const Node*> nodes = NodesBetween(inputs, outputs);
  EXPECT_EQ(nodes.size(), expected_nodes);
  StatusOr<ElementwiseExpr> expr = LowerElementwiseCluster(inputs, nodes, outputs);
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  FeedDict feeds;
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    feeds.push_back({inputs[i], values[i]});
    shapes.push_back(values[i].dims());
  }
  Session session(g);
  std::vector<Fetch> fetches(outputs.begin(), outputs.end());
  StatusOr<std::vector<Tensor>> want = session.run(fetches, feeds);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  ElementwiseCluster cluster{"fused", *expr, (*want)[0].dims(), shapes};
  CompiledElementwise k = CompileOrFail(*jit, cluster);
  ASSERT_NE(k.fn, nullptr);
  const int64_t n = k.num_elements;
  for (const std::vector<int64_t>& splits : {std::vector<int64_t>{}, std::vector<int64_t>{n / 5, n / 2 + 1, n - 3}}) {
    std::vector<Tensor> got = RunKernel(k, cluster, values, splits);
    for (size_t o = 0; o < outputs.size(); ++o) {
      for (int64_t i = 0; i < n; ++i) {
        const T g_i = got[o].data<T>()[i], w_i = (*want)[o].data<T>()[i];
        ASSERT_LE(UlpError<T>(g_i, w_i), ulps) << "output " << o << " element " << i << ": " << g_i << " vs " << w_i
                                               << "\n" << expr->ToString();
      }
    }
  }
}

// A dense layer's epilogue: relu(x + b), b broadcast over the rows. Pure arithmetic: equal.
TEST(FusedClustersTest, BiasAddReluEqualsTheReferenceKernels) {
  Graph g;
  DefaultGraphGuard guard{g};
  Output x = placeholder(DT_FLOAT, Shape({64, 10}), "x");
  Output b = placeholder(DT_FLOAT, Shape({10}), "b");
  Output y = nn::relu(nn::bias_add(x, b));
  std::mt19937 rng(1);
  ExpectClusterMatchesSession<float>(g, {x, b}, {Random<float>({64, 10}, -2, 2, rng), Random<float>({10}, -1, 1, rng)}, {y}, 0, 2);
}

// A Mean's gradient times its input, as the autoencoder's loss has it: dy [6] broadcast to [4, 6]
// (the gradient's BroadcastTo, its shape operand a Const the kernel never reads). Equal.
TEST(FusedClustersTest, BroadcastToOfAGradientRowEqualsTheReferenceKernels) {
  Graph g;
  DefaultGraphGuard guard{g};
  Output x = placeholder(DT_FLOAT, Shape({4, 6}), "x");
  Output dy = placeholder(DT_FLOAT, Shape({6}), "dy");
  Output y = x * broadcast_to(dy, constant(std::vector<int32_t>{4, 6}));
  std::mt19937 rng(5);
  ExpectClusterMatchesSession<float>(g, {x, dy}, {Random<float>({4, 6}, -2, 2, rng), Random<float>({6}, -1, 1, rng)}, {y}, 0, 2);
}

// tf.nn.sigmoid_cross_entropy_with_logits' body (zeros_like, greater_equal, two selects, a
// negation, mul, sub, exp, log1p, add): 10 nodes, one kernel. exp and log1p: a few ulps.
TEST(FusedClustersTest, SigmoidCrossEntropyBodyWithinFourUlp) {
  Graph g;
  DefaultGraphGuard guard{g};
  Output labels = placeholder(DT_FLOAT, Shape({32, 17}), "labels");
  Output logits = placeholder(DT_FLOAT, Shape({32, 17}), "logits");
  Output loss = nn::sigmoid_cross_entropy_with_logits(labels, logits);
  std::mt19937 rng(2);
  ExpectClusterMatchesSession<float>(g, {labels, logits},
                                     {Random<float>({32, 17}, 0, 1, rng), Random<float>({32, 17}, -20, 20, rng)}, {loss}, 4, 10);
}

// The Adam update (Kingma and Ba, algorithm 1, with TF's epsilon placement) with its scalar
// hyperparameters broadcast: three outputs from one pass over var, m, v and the gradient.
TEST(FusedClustersTest, AdamUpdateWithThreeOutputsEqualsTheReferenceKernels) {
  Graph g;
  DefaultGraphGuard guard{g};
  const std::vector<int64_t> dims = {300, 7};
  Output var = placeholder(DT_DOUBLE, Shape(dims), "var"), m = placeholder(DT_DOUBLE, Shape(dims), "m");
  Output v = placeholder(DT_DOUBLE, Shape(dims), "v"), grad = placeholder(DT_DOUBLE, Shape(dims), "grad");
  std::vector<Output> scalars;
  for (const char* name : {"lr", "beta1", "one_minus_beta1", "beta2", "one_minus_beta2", "epsilon"}) {
    scalars.push_back(placeholder(DT_DOUBLE, Shape({}), name));
  }
  Output m_new = scalars[1] * m + scalars[2] * grad;
  Output v_new = scalars[3] * v + scalars[4] * square(grad);
  Output var_new = var - scalars[0] * m_new / (sqrt(v_new) + scalars[5]);
  std::mt19937 rng(3);
  std::vector<Tensor> values = {Random<double>(dims, -1, 1, rng), Random<double>(dims, -0.1, 0.1, rng),
                                Random<double>(dims, 0, 0.01, rng), Random<double>(dims, -1, 1, rng)};
  for (double s : {1e-3, 0.9, 0.1, 0.999, 1e-3, 1e-8}) values.push_back(Tensor::Scalar<double>(s));
  std::vector<Output> inputs = {var, m, v, grad};
  inputs.insert(inputs.end(), scalars.begin(), scalars.end());
  ExpectClusterMatchesSession<double>(g, inputs, values, {m_new, v_new, var_new}, 0, 12);
}

// Softmax's elementwise half after the row max and sum (exp(x - max) / sum), with the row
// statistics broadcast as columns: the cluster shape a reduction fuser will produce.
TEST(FusedClustersTest, SoftmaxNormalizationWithColumnBroadcastsWithinTwoUlp) {
  Graph g;
  DefaultGraphGuard guard{g};
  Output x = placeholder(DT_FLOAT, Shape({50, 37}), "x");
  Output row_max = placeholder(DT_FLOAT, Shape({50, 1}), "row_max");
  Output row_sum = placeholder(DT_FLOAT, Shape({50, 1}), "row_sum");
  Output p = exp(x - row_max) / row_sum;
  std::mt19937 rng(4);
  ExpectClusterMatchesSession<float>(g, {x, row_max, row_sum},
                                     {Random<float>({50, 37}, -5, 5, rng), Random<float>({50, 1}, 4, 5, rng),
                                      Random<float>({50, 1}, 1, 30, rng)},
                                     {p}, 2, 3);
}

}  // namespace
}  // namespace kiln::codegen
