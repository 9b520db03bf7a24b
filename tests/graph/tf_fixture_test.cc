// TensorFlow-written fixtures (tests/data/tf, made by tests/tools/make_tf_fixtures.py with real
// TensorFlow): Kiln loads TF's GraphDefs and reproduces TF's outputs, and Kiln-built models
// reproduce TF's gradients and training steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graph/builder/kiln.h"
#include "graph/graphdef.h"
#include "passes/gradients.h"
#include "runtime/data/npy.h"
#include "runtime/session.h"
#include "train/optimizer.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

fs::path FixtureDir(const std::string& name) { return fs::path(KILN_TEST_DATA) / "tf" / name; }

struct Manifest {
  std::vector<std::pair<std::string, std::string>> feeds;                 // tensor, file
  std::vector<std::tuple<std::string, std::string, double>> fetches;      // tensor, expected, tol
  std::map<std::string, std::string> values;                              // name -> file
};

Manifest ReadManifest(const fs::path& dir) {
  Manifest m;
  std::ifstream in(dir / "manifest.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string kind, a, b;
    double tol = 0;
    ss >> kind >> a >> b;
    if (kind == "feed") m.feeds.emplace_back(a, b);
    if (kind == "fetch") { ss >> tol; m.fetches.emplace_back(a, b, tol); }
    if (kind == "value") m.values[a] = b;
  }
  return m;
}

Tensor Npy(const fs::path& path) {
  StatusOr<Tensor> t = data::ReadNpy(path.string());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : Tensor();
}

// Max |a - b| over two tensors of the same shape, compared as doubles.
double MaxAbsDiff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.dims(), b.dims());
  EXPECT_EQ(a.dtype(), b.dtype());
  if (a.dims() != b.dims() || a.dtype() != b.dtype()) return INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    double x = 0, y = 0;
    switch (a.dtype()) {
      case DT_FLOAT: x = a.data<float>()[i]; y = b.data<float>()[i]; break;
      case DT_DOUBLE: x = a.data<double>()[i]; y = b.data<double>()[i]; break;
      case DT_INT32: x = a.data<int32_t>()[i]; y = b.data<int32_t>()[i]; break;
      case DT_INT64: x = static_cast<double>(a.data<int64_t>()[i]); y = static_cast<double>(b.data<int64_t>()[i]); break;
      case DT_BOOL: x = a.data<bool>()[i]; y = b.data<bool>()[i]; break;
      default: ADD_FAILURE() << "dtype " << DataTypeName(a.dtype());
    }
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
    if (std::isinf(x) || std::isinf(y)) { if (x != y) return INFINITY; continue; }
    worst = std::max(worst, std::abs(x - y));
  }
  return worst;
}

// Loads a TF-written graph, feeds the manifest's inputs and compares every fetch.
void CheckGraphFixture(const std::string& name) {
  fs::path dir = FixtureDir(name);
  if (!fs::exists(dir / "graph.pb")) GTEST_SKIP() << "fixture " << name << " missing";
  Manifest m = ReadManifest(dir);
  ASSERT_FALSE(m.fetches.empty());
  for (const char* file : {"graph.pb", "graph.pbtxt"}) {
    SCOPED_TRACE(file);
    StatusOr<std::unique_ptr<Graph>> g = LoadGraph((dir / file).string());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    FeedDict feeds;
    for (const auto& [tensor, f] : m.feeds) {
      StatusOr<Output> o = (*g)->FindOutput(tensor);
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      feeds.emplace_back(*o, Npy(dir / f));
    }
    Session sess(**g);
    for (const auto& [tensor, expected, tol] : m.fetches) {
      StatusOr<Output> o = (*g)->FindOutput(tensor);
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      StatusOr<Tensor> got = sess.run(*o, feeds);
      ASSERT_TRUE(got.ok()) << tensor << ": " << got.status().ToString();
      EXPECT_LE(MaxAbsDiff(*got, Npy(dir / expected)), tol) << tensor;
    }
  }
}

TEST(TfFixtureTest, FrozenSoftmaxMatchesTensorFlow) { CheckGraphFixture("softmax_frozen"); }
TEST(TfFixtureTest, FrozenSoftmaxWithBiasAddMatchesTensorFlow) { CheckGraphFixture("softmax_frozen_biasadd"); }
TEST(TfFixtureTest, FrozenMlpMatchesTensorFlow) { CheckGraphFixture("mlp_frozen"); }
TEST(TfFixtureTest, EveryFoundationOpMatchesTensorFlow) { CheckGraphFixture("ops_mix"); }
// Conv2D with padding EXPLICIT as TF writes it (and its gradient ops carrying explicit_paddings),
// next to the same convolution written as tf.pad + VALID, which Kiln's pad pass folds into one.
TEST(TfFixtureTest, ExplicitPaddingConvolutionsMatchTensorFlow) { CheckGraphFixture("conv_explicit"); }
TEST(TfFixtureTest, SeededRandomOpsDrawTensorFlowsNumbers) { CheckGraphFixture("random_ops"); }

// The second run continues each op's stream as TF's does (TF reserves 256 blocks per output).
TEST(TfFixtureTest, SeededRandomOpsSecondRunMatchesTensorFlow) {
  fs::path dir = FixtureDir("random_ops");
  if (!fs::exists(dir / "manifest.txt")) GTEST_SKIP() << "fixture missing";
  Manifest m = ReadManifest(dir);
  proto::GraphDef graph_def;
  ASSERT_TRUE(ReadGraphDefFile((dir / "graph.pb").string(), &graph_def).ok());
  Graph g;
  ASSERT_TRUE(ImportGraphDef(graph_def, &g).ok());
  std::vector<Fetch> fetches;
  for (const auto& [tensor, file, tol] : m.fetches) fetches.push_back(tensor);
  Session sess(g);
  ASSERT_TRUE(sess.run(fetches).ok());
  auto second = sess.run(fetches);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  for (size_t i = 0; i < m.fetches.size(); ++i) {
    std::string op = std::get<0>(m.fetches[i]).substr(0, std::get<0>(m.fetches[i]).find(':'));
    std::replace(op.begin(), op.end(), '/', '_');
    EXPECT_EQ(MaxAbsDiff((*second)[i], Npy(dir / m.values.at("second_" + op))), 0.0) << op;
  }
}

// The softmax-regression loss and its gradients, built with Kiln's API, equal TF's tf.gradients.
TEST(TfFixtureTest, SoftmaxGradientsMatchTensorFlow) {
  fs::path dir = FixtureDir("softmax_grad");
  if (!fs::exists(dir / "manifest.txt")) GTEST_SKIP() << "fixture missing";
  Manifest m = ReadManifest(dir);
  auto v = [&](const std::string& k) { return Npy(dir / m.values.at(k)); };
  for (bool manual : {false, true}) {
    SCOPED_TRACE(manual ? "-sum(y*log(softmax))" : "softmax_cross_entropy_with_logits_v2");
    Graph g;
    auto guard = as_default(g);
    Tensor xv = v("x");
    auto x = placeholder(float64, {-1, xv.dim(1)}, "x");
    auto y = placeholder(float64, {-1, 10}, "y");
    auto W = placeholder(float64, {xv.dim(1), 10}, "W");
    auto b = placeholder(float64, {10}, "b");
    auto logits = matmul(x, W) + b;
    Output loss = manual ? reduce_mean(-reduce_sum(y * log(nn::softmax(logits)), {1}))
                         : reduce_mean(nn::softmax_cross_entropy_with_logits_v2(y, logits));
    StatusOr<std::vector<Output>> grads = Gradients({loss}, {W, b});
    ASSERT_TRUE(grads.ok()) << grads.status().ToString();
    Session sess(g);
    auto out = sess.run({loss, (*grads)[0], (*grads)[1]}, {{x, xv}, {y, v("y")}, {W, v("W")}, {b, v("b")}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    std::string sfx = manual ? "_manual" : "";
    EXPECT_LE(MaxAbsDiff((*out)[0], v("loss" + sfx)), 1e-12);
    EXPECT_LE(MaxAbsDiff((*out)[1], v("dW" + sfx)), 1e-12);
    EXPECT_LE(MaxAbsDiff((*out)[2], v("db" + sfx)), 1e-12);
  }
}

// One GradientDescentOptimizer step from the same start gives TF's updated variables.
TEST(TfFixtureTest, GradientDescentStepMatchesTensorFlow) {
  fs::path dir = FixtureDir("softmax_train_step");
  if (!fs::exists(dir / "manifest.txt")) GTEST_SKIP() << "fixture missing";
  Manifest m = ReadManifest(dir);
  auto v = [&](const std::string& k) { return Npy(dir / m.values.at(k)); };
  Graph g;
  auto guard = as_default(g);
  Tensor xv = v("x");
  auto x = placeholder(float32, {-1, xv.dim(1)}, "x");
  auto y = placeholder(float32, {-1, 10}, "y");
  Variable W(constant(v("W0")), "W");
  Variable b(constant(v("b0")), "b");
  auto loss = reduce_mean(nn::softmax_cross_entropy_with_logits_v2(y, matmul(x, W) + b));
  auto step = train::GradientDescentOptimizer(0.5).minimize(loss);
  ASSERT_TRUE(g.build_status().ok()) << g.build_status().ToString();
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  auto out = sess.run({loss, step}, {{x, xv}, {y, v("y")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_LE(MaxAbsDiff((*out)[0], v("loss0")), 1e-5);
  EXPECT_LE(MaxAbsDiff(sess.run(W).value(), v("W1")), 1e-5);
  EXPECT_LE(MaxAbsDiff(sess.run(b).value(), v("b1")), 1e-5);
}

// The seed-002 mlp_bn training graph exactly as TF builds it (tf.layers BN with cond/RefSwitch moving
// averages, moments, UPDATE_OPS control dependencies, Adam and TF's own gradient graph) loads in
// Kiln, and one training step gives TF's variables; inference afterwards gives TF's logits.
TEST(TfFixtureTest, MlpBnTrainingGraphStepMatchesTensorFlow) {
  fs::path dir = FixtureDir("mlp_bn_train_step");
  if (!fs::exists(dir / "manifest.txt")) GTEST_SKIP() << "fixture missing";
  std::map<std::string, std::string> ops, vars;
  Manifest m = ReadManifest(dir);
  {
    std::ifstream in(dir / "manifest.txt");
    std::string line, kind, a, b;
    while (std::getline(in, line)) {
      std::istringstream ss(line);
      ss >> kind >> a >> b;
      if (kind == "op") ops[a] = b;
      if (kind == "var") vars[a] = b;
    }
  }
  auto v = [&](const std::string& k) { return Npy(dir / m.values.at(k)); };
  proto::GraphDef graph_def;
  Status read = ReadGraphDefFile((dir / "graph.pb").string(), &graph_def);
  ASSERT_TRUE(read.ok()) << read.ToString();
  Graph g;
  Status imported = ImportGraphDef(graph_def, &g);
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  auto find = [&](const std::string& role) {
    StatusOr<Output> o = g.FindOutput(ops.at(role));
    EXPECT_TRUE(o.ok()) << role << ": " << o.status().ToString();
    return o.ok() ? *o : Output();
  };
  Output inputs = find("inputs"), labels = find("labels"), is_training = find("is_training");
  Output loss = find("loss"), logits = find("logits");
  Node* init = g.FindNode(ops.at("init"));
  Node* train = g.FindNode(ops.at("train"));
  ASSERT_TRUE(init && train);

  Session sess(g);
  ASSERT_TRUE(sess.run(Operation(init)).ok());
  FeedDict feeds = {{inputs, v("x")}, {labels, v("y")}, {is_training, Tensor::Scalar<bool>(true)}};
  auto out = sess.run({loss, Operation(train)}, feeds);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_LE(MaxAbsDiff((*out)[0], v("loss0")), 1e-5);
  ASSERT_GT(vars.size(), 20u);
  for (const auto& [name, file] : vars) {
    auto value = sess.run(std::vector<Fetch>{name + ":0"});
    ASSERT_TRUE(value.ok()) << name << ": " << value.status().ToString();
    EXPECT_LE(MaxAbsDiff((*value)[0], Npy(dir / file)), 1e-5) << name;
  }
  auto eval = sess.run(logits, {{inputs, v("x")}, {is_training, Tensor::Scalar<bool>(false)}});
  ASSERT_TRUE(eval.ok()) << eval.status().ToString();
  EXPECT_LE(MaxAbsDiff(*eval, v("logits_eval")), 1e-4);
}

}  // namespace
}  // namespace kiln
