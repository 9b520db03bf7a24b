// The kiln CLI as a user runs it: each command on a real graph, and bad input as one-line errors
// with exit codes 1 or 2, never a crash.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "graph/builder/kiln.h"
#include "graph/graphdef.h"
#include "runtime/data/npy.h"
#include "tests/testing/kiln_cli.h"
#include "train/optimizer.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

using Result = testing::CliResult;
using testing::ExpectOneLineError;
using testing::RunKiln;

fs::path TestDir() { return testing::CliTestDir(); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// `kiln dump` output by node name: the header after "name = " and the indented attr line, if any.
struct DumpEntry {
  std::string header, attrs;
};
std::map<std::string, DumpEntry> ParseDump(const std::string& out, std::vector<std::string>* order) {
  std::map<std::string, DumpEntry> entries;
  std::string last;
  for (const std::string& line : Lines(out)) {
    if (line.empty()) continue;
    if (line[0] == ' ') {
      entries[last].attrs = line.substr(line.find_first_not_of(' '));
      continue;
    }
    size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    last = line.substr(0, line.find_last_not_of(' ', eq) + 1);
    entries[last].header = line.substr(eq + 3);
    order->push_back(last);
  }
  return entries;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

bool HaveGraphviz() { return std::system("command -v dot >/dev/null 2>&1") == 0; }

class CliTest : public ::testing::Test {
 protected:
  // Softmax regression on MNIST-sized inputs with a gradient-descent step and an initializer.
  void SetUp() override {
    dir_ = TestDir();
    fs::create_directories(dir_);
    Graph g;
    auto guard = as_default(g);
    auto x = placeholder(float32, {-1, 784}, "x");
    auto y_ = placeholder(float32, {-1, 10}, "y_");
    Variable W(zeros({784, 10}), "W");
    Variable b(zeros({10}), "b");
    auto logits = matmul(x, W) + b;
    auto loss = reduce_mean(nn::softmax_cross_entropy_with_logits(y_, logits), {}, false, "loss");
    train::GradientDescentOptimizer(0.5).minimize(loss);
    global_variables_initializer();
    ASSERT_TRUE(g.build_status().ok());
    graph_ = (dir_ / "softmax.pb").string();
    ASSERT_TRUE(SaveGraph(g, graph_).ok());
    for (Node* n : g.nodes()) {
      node_names_.push_back(n->name());
      num_edges_ += n->num_inputs();
      num_control_edges_ += static_cast<int>(n->control_inputs().size());
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& contents) {
    EXPECT_TRUE(WriteFileAtomically(Path(name), contents).ok());
    return Path(name);
  }

  fs::path dir_;
  std::string graph_;
  std::vector<std::string> node_names_;  // in graph order
  int num_edges_ = 0, num_control_edges_ = 0;
};

// --- help and usage ---

TEST_F(CliTest, HelpListsCommands) {
  Result r = RunKiln("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"dump", "inspect", "dot", "convert", "run", "train"}) {
    EXPECT_NE(r.out.find("  " + std::string(cmd) + " "), std::string::npos) << cmd;
  }
}

TEST_F(CliTest, CommandHelpListsOptions) {
  std::map<std::string, std::vector<std::string>> options = {
      {"dump", {"usage: kiln dump GRAPH"}},
      {"inspect", {"usage: kiln inspect GRAPH"}},
      {"dot", {"usage: kiln dot GRAPH", "-o FILE", "--output"}},
      {"convert", {"usage: kiln convert IN OUT", "--check"}},
      {"train", {"--data", "--epochs", "--batch", "--lr", "--seed", "--save-graph", "softmax"}},
  };
  for (const auto& [cmd, expected] : options) {
    Result r = RunKiln(cmd + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    for (const std::string& text : expected) EXPECT_NE(r.out.find(text), std::string::npos) << cmd << ": " << text;
  }
}

// --- dump ---

TEST_F(CliTest, DumpListsEveryNodeWithTypes) {
  Result r = RunKiln("dump " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> order;
  std::map<std::string, DumpEntry> dump = ParseDump(r.out, &order);
  EXPECT_EQ(order, node_names_);  // every node, once, in graph order
  EXPECT_EQ(dump["x"].header, "Placeholder() -> float[?,784]");
  EXPECT_EQ(dump["x"].attrs, "dtype=float, shape=[?,784]");
  EXPECT_EQ(dump["W"].header, "VariableV2() -> float_ref[784,10]");
  EXPECT_EQ(dump["MatMul"].header, "MatMul(x, W/read) -> float[?,10]");
  EXPECT_NE(dump["MatMul"].attrs.find("transpose_a=false, transpose_b=false"), std::string::npos);
  EXPECT_EQ(dump["init"].header, "NoOp(^W/Assign, ^b/Assign)");  // no outputs: no arrow
  // Multi-output ops list every output type; consumers of output 1 name it "node:1".
  bool saw_two_outputs = false, saw_input_1 = false;
  for (const auto& [name, e] : dump) {
    saw_two_outputs |= e.header.rfind("BroadcastGradientArgs(", 0) == 0 && e.header.find("-> int32[?], int32[?]") != std::string::npos;
    saw_input_1 |= e.header.find("BroadcastGradientArgs:1") != std::string::npos;
  }
  EXPECT_TRUE(saw_two_outputs) << r.out;
  EXPECT_TRUE(saw_input_1);
}

TEST_F(CliTest, DumpAlignsOpsInAColumn) {
  Result r = RunKiln("dump " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Names are padded to one width (capped, so long gradient names overflow instead of pushing every
  // line right): every name shorter than the cap puts " = " at the same column.
  std::map<size_t, int> columns;
  std::vector<std::pair<size_t, size_t>> name_and_column;
  for (const std::string& line : Lines(r.out)) {
    if (line.empty() || line[0] == ' ') continue;
    size_t eq = line.find(" = ");
    name_and_column.push_back({line.substr(0, line.find(' ')).size(), eq});
    ++columns[eq];
  }
  auto most = std::max_element(columns.begin(), columns.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  ASSERT_NE(most, columns.end());
  int short_names = 0;
  for (const auto& [length, column] : name_and_column) {
    if (length >= most->first) continue;
    ++short_names;
    EXPECT_EQ(column, most->first) << r.out;
  }
  EXPECT_GT(short_names, 10);
}

TEST_F(CliTest, DumpSummarizesLargeConstants) {
  Graph g;
  auto guard = as_default(g);
  constant(std::vector<float>(100000, 0.25f), {1000, 100}, "table");
  ASSERT_TRUE(SaveGraph(g, Path("const.pb")).ok());
  Result r = RunKiln("dump " + Path("const.pb"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.out.size(), 300u) << r.out;
  EXPECT_NE(r.out.find("value=float[1000,100] {0.25 0.25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("...}"), std::string::npos) << r.out;
}

// Every walk in the CLI is iterative: a 100,000-node chain must not overflow the stack.
TEST_F(CliTest, DeepChainDumpsAndDrawsWithoutOverflow) {
  Graph g;
  auto guard = as_default(g);
  Output y = constant(1.0, DT_FLOAT, "c");
  for (int i = 0; i < 100000; ++i) y = identity(y);
  ASSERT_TRUE(SaveGraph(g, Path("chain.pb")).ok());
  Result dump = RunKiln("dump " + Path("chain.pb"));
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(Count(dump.out, "= Identity("), 100000u);
  Result dot = RunKiln("dot " + Path("chain.pb"));
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_EQ(Count(dot.out, " -> n"), 100000u);
}

// --- inspect ---

TEST_F(CliTest, InspectCountsParameters) {
  Result r = RunKiln("inspect " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nodes: " + std::to_string(node_names_.size()) + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("producer version: 26"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  W  float  [784,10]  7,840\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  b  float  [10]         10\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total parameters: 7,850\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  x   float  [?,784]\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  y_  float  [?,10]\n"), std::string::npos) << r.out;
}

TEST_F(CliTest, InspectSortsOpsByCountThenName) {
  Result r = RunKiln("inspect " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::pair<int, std::string>> ops;
  bool in_ops = false;
  for (const std::string& line : Lines(r.out)) {
    if (line.rfind("ops (", 0) == 0) { in_ops = true; continue; }
    if (!in_ops) continue;
    if (line.empty()) break;
    std::istringstream fields(line);
    std::string op;
    int count = 0;
    fields >> op >> count;
    ops.push_back({-count, op});
  }
  ASSERT_GT(ops.size(), 5u) << r.out;
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end())) << r.out;
  int total = 0;
  for (const auto& [negative_count, op] : ops) total -= negative_count;
  EXPECT_EQ(total, static_cast<int>(node_names_.size()));
}

// --- convert ---

TEST_F(CliTest, ConvertBinaryTextBinaryIsByteIdentical) {
  ASSERT_EQ(RunKiln("convert " + graph_ + " " + Path("g.pbtxt")).exit_code, 0);
  ASSERT_EQ(RunKiln("convert " + Path("g.pbtxt") + " " + Path("g2.pb") + " --check").exit_code, 0);
  std::string a, b, text;
  ASSERT_TRUE(ReadFileToString(graph_, &a).ok());
  ASSERT_TRUE(ReadFileToString(Path("g2.pb"), &b).ok());
  ASSERT_TRUE(ReadFileToString(Path("g.pbtxt"), &text).ok());
  EXPECT_TRUE(a == b);
  EXPECT_NE(text.find("name: \"MatMul\""), std::string::npos);  // really text
}

// TensorFlow's serializer orders map entries its own way, so compare the GraphDefs, not the bytes.
TEST_F(CliTest, ConvertRoundTripsTensorFlowGraphsLosslessly) {
  int converted = 0;
  for (const auto& dir : fs::directory_iterator(std::string(KILN_TEST_DATA) + "/tf")) {
    std::string pb = (dir.path() / "graph.pb").string();
    if (!fs::exists(pb)) continue;
    ASSERT_EQ(RunKiln("convert " + pb + " " + Path("tf.pbtxt")).exit_code, 0) << pb;
    ASSERT_EQ(RunKiln("convert " + Path("tf.pbtxt") + " " + Path("tf.pb")).exit_code, 0) << pb;
    proto::GraphDef original, round_trip;
    ASSERT_TRUE(ReadGraphDefFile(pb, &original).ok());
    ASSERT_TRUE(ReadGraphDefFile(Path("tf.pb"), &round_trip).ok());
    EXPECT_TRUE(SerializeDeterministic(original) == SerializeDeterministic(round_trip)) << pb;
    ++converted;
  }
  if (converted == 0) GTEST_SKIP() << "no TensorFlow fixtures in " << KILN_TEST_DATA << "/tf";
}

TEST_F(CliTest, ConvertKeepsOpsKilnLacksAndCheckReportsThem) {
  std::string in = Write("frob.pbtxt", "node { name: \"a\" op: \"Frobnicate\" attr { key: \"k\" value { i: 7 } } }\n");
  ASSERT_EQ(RunKiln("convert " + in + " " + Path("frob.pb")).exit_code, 0);
  ASSERT_EQ(RunKiln("convert " + Path("frob.pb") + " " + Path("frob2.pbtxt")).exit_code, 0);
  proto::GraphDef a, b;
  ASSERT_TRUE(ReadGraphDefFile(in, &a).ok());
  ASSERT_TRUE(ReadGraphDefFile(Path("frob2.pbtxt"), &b).ok());
  EXPECT_TRUE(SerializeDeterministic(a) == SerializeDeterministic(b));
  Result check = RunKiln("convert " + in + " " + Path("checked.pb") + " --check");
  ExpectOneLineError(check, 1);
  EXPECT_NE(check.err.find("Frobnicate"), std::string::npos) << check.err;
  EXPECT_FALSE(fs::exists(Path("checked.pb")));  // a failed check writes nothing
}

// Fields a newer TF added survive in binary; text could only print them by number, so it refuses.
TEST_F(CliTest, ConvertCarriesUnknownFieldsInBinaryAndRefusesText) {
  std::string bytes;
  ASSERT_TRUE(ReadFileToString(graph_, &bytes).ok());
  bytes += std::string("\x98\x06\x05", 3);  // field 99, varint 5
  std::string in = Write("future.pb", bytes);
  ASSERT_EQ(RunKiln("convert " + in + " " + Path("future2.pb")).exit_code, 0);
  std::string out;
  ASSERT_TRUE(ReadFileToString(Path("future2.pb"), &out).ok());
  EXPECT_TRUE(out == bytes);
  ExpectOneLineError(RunKiln("convert " + in + " " + Path("future.pbtxt")), 1);
  EXPECT_FALSE(fs::exists(Path("future.pbtxt")));
}

// --- dot ---

TEST_F(CliTest, DotOutputIsValidGraphviz) {
  Result r = RunKiln("dot " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph kiln {\n", 0), 0u);
  EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n");
  EXPECT_EQ(Count(r.out, "{"), Count(r.out, "}"));
  // One declaration per node, one edge per data and control input.
  EXPECT_EQ(Count(r.out, " [label=\""), node_names_.size() + num_edges_);
  EXPECT_EQ(Count(r.out, " -> n"), static_cast<size_t>(num_edges_ + num_control_edges_));
  EXPECT_EQ(Count(r.out, "[style=dashed]"), static_cast<size_t>(num_control_edges_));
  EXPECT_NE(r.out.find("[label=\"x\\nPlaceholder\", shape=invhouse"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[label=\"W\\nVariableV2\", shape=cylinder"), std::string::npos);
  EXPECT_NE(r.out.find("[label=\"float[?,784]\"]"), std::string::npos);  // typed data edges
  EXPECT_NE(r.out.find("subgraph \"cluster_gradients\" {"), std::string::npos);
  EXPECT_NE(r.out.find("subgraph \"cluster_W\" {"), std::string::npos);
  // -o writes the same text to a file.
  ASSERT_EQ(RunKiln("dot " + graph_ + " -o " + Path("g.dot")).exit_code, 0);
  std::string file;
  ASSERT_TRUE(ReadFileToString(Path("g.dot"), &file).ok());
  EXPECT_TRUE(file == r.out);
  if (!HaveGraphviz()) GTEST_SKIP() << "graphviz not installed";
  EXPECT_EQ(std::system(("dot -Tsvg " + Path("g.dot") + " -o " + Path("g.svg") + " 2>/dev/null").c_str()), 0);
  EXPECT_GT(fs::file_size(Path("g.svg")), 1000u);
}

TEST_F(CliTest, DotEscapesQuotesAndBackslashesInNames) {
  std::string in = Write("odd.pbtxt", "node { name: \"a\\\"b\" op: \"NoOp\" }\n"
                                      "node { name: \"c\\\\d\" op: \"NoOp\" input: \"^a\\\"b\" }\n");
  Result r = RunKiln("dot " + in);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[label=\"a\\\"b\\nNoOp\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[label=\"c\\\\d\\nNoOp\""), std::string::npos) << r.out;
  if (!HaveGraphviz()) GTEST_SKIP() << "graphviz not installed";
  ASSERT_EQ(RunKiln("dot " + in + " --output " + Path("odd.dot")).exit_code, 0);
  EXPECT_EQ(std::system(("dot -Tsvg " + Path("odd.dot") + " -o /dev/null 2>/dev/null").c_str()), 0);
}

// --- bad input ---

TEST_F(CliTest, DirectoryGivenAsAGraphIsOneLineErrorExit1) {
  fs::create_directories(TestDir() / "a_directory");
  std::string dir = (TestDir() / "a_directory").string();
  for (const char* cmd : {"dump ", "inspect ", "dot "}) {
    Result r = RunKiln(cmd + dir);
    ExpectOneLineError(r, 1);
    EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  }
}

TEST_F(CliTest, MissingFileIsOneLineErrorExit1) {
  std::string missing = Path("no_such_graph.pb");
  for (const char* cmd : {"dump ", "inspect ", "dot "}) ExpectOneLineError(RunKiln(cmd + missing), 1);
  ExpectOneLineError(RunKiln("convert " + missing + " " + Path("out.pbtxt")), 1);
  EXPECT_FALSE(fs::exists(Path("out.pbtxt")));
}

TEST_F(CliTest, TruncatedFileIsErrorNotCrash) {
  std::string bytes;
  ASSERT_TRUE(ReadFileToString(graph_, &bytes).ok());
  for (size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    std::string path = Write("cut.pb", bytes.substr(0, cut));
    SCOPED_TRACE("cut at " + std::to_string(cut));
    for (const char* cmd : {"dump ", "inspect ", "dot "}) ExpectOneLineError(RunKiln(cmd + path), 1);
    ExpectOneLineError(RunKiln("convert " + path + " " + Path("cut.pbtxt")), 1);
  }
}

TEST_F(CliTest, NonGraphFileIsError) {
  std::string png = Write("junk.pb", std::string("\x89PNG\r\n\x1a\n\x00\x00 random bytes \xff\xfe", 28));
  for (const char* cmd : {"dump ", "inspect ", "dot "}) ExpectOneLineError(RunKiln(cmd + png), 1);
  ExpectOneLineError(RunKiln("convert " + png + " " + Path("junk.pbtxt")), 1);
  std::string text = Write("junk.pbtxt", "node { name: \"a\" op: \n");
  for (const char* cmd : {"dump ", "inspect ", "dot "}) ExpectOneLineError(RunKiln(cmd + text), 1);
}

TEST_F(CliTest, UnknownOptionIsUsageErrorExit2) {
  for (const char* cmd : {"dump", "inspect", "dot"}) {
    ExpectOneLineError(RunKiln(std::string(cmd) + " --frobnicate " + graph_), 2);
    ExpectOneLineError(RunKiln(cmd), 2);                                  // GRAPH missing
    ExpectOneLineError(RunKiln(std::string(cmd) + " " + graph_ + " " + graph_), 2);  // one too many
  }
  ExpectOneLineError(RunKiln("dot " + graph_ + " -o"), 2);  // -o without FILE
  ExpectOneLineError(RunKiln("convert " + graph_), 2);
  ExpectOneLineError(RunKiln("convert " + graph_ + " " + Path("a.pb") + " --check=yes"), 2);
  ExpectOneLineError(RunKiln("train softmax --epochs nope"), 2);
  ExpectOneLineError(RunKiln("train softmax --colour blue"), 2);
  ExpectOneLineError(RunKiln("train no_such_model"), 2);
  ExpectOneLineError(RunKiln("frobnicate"), 2);
}

// --- run and train ---

TEST_F(CliTest, RunFeedsNpyRunsTargetsAndSavesFetches) {
  Tensor x(DT_FLOAT, {2, 784}), y(DT_FLOAT, {2, 10});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = (i % 7) / 7.0f;
  y.data<float>()[3] = y.data<float>()[10 + 5] = 1.0f;
  ASSERT_TRUE(data::WriteNpy(Path("x.npy"), x).ok());
  ASSERT_TRUE(data::WriteNpy(Path("y.npy"), y).ok());
  Result r = RunKiln("run " + graph_ + " --feed x=" + Path("x.npy") + " --feed y_=" + Path("y.npy") +
                     " --target init --target GradientDescent --fetch loss:0=" + Path("loss.npy") + " --fetch b");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("loss:0: float[]"), std::string::npos) << r.out;
  auto loss = data::ReadNpy(Path("loss.npy"));
  ASSERT_TRUE(loss.ok());
  // After one step from zero weights the loss is below log(10), the loss of a uniform guess.
  EXPECT_LT(loss->scalar<float>(), std::log(10.0f));
  ExpectOneLineError(RunKiln("run " + graph_ + " --fetch loss"), 1);  // x not fed
  ExpectOneLineError(RunKiln("run " + graph_ + " --feed x"), 2);
}

TEST_F(CliTest, TrainOnAMissingDataDirectoryIsAnError) {
  ExpectOneLineError(RunKiln("train softmax --data " + Path("no_data_here")), 1);
}

}  // namespace
}  // namespace kiln
