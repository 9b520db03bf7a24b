// The kiln CLI as a user runs it: each command on a real graph, and bad input as one-line errors
// with exit codes 1 or 2, never a crash.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "graph/builder/kiln.h"
#include "graph/graphdef.h"
#include "runtime/data/npy.h"
#include "train/optimizer.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  bool signaled = false;
  std::string out;  // stdout
  std::string err;  // stderr
};

// ctest runs each test in its own process, two at a time: every path carries the pid.
fs::path TestDir() {
  return fs::temp_directory_path() / ("kiln_cli_test_" + std::to_string(::getpid()));
}

Result RunKiln(const std::string& args) {
  fs::create_directories(TestDir());
  std::string err_path = (TestDir() / "stderr").string();
  std::string cmd = std::string(KILN_BINARY_DIR) + "/kiln " + args + " 2>" + err_path;
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.signaled = WIFSIGNALED(status);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_path);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

// A clean one-line error: exit 1 or 2, one stderr line, no abort or trace.
void ExpectOneLineError(const Result& r, int code) {
  EXPECT_FALSE(r.signaled);
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Abort"), std::string::npos) << r.err;
}

class CliTest : public ::testing::Test {
 protected:
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
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  fs::path dir_;
  std::string graph_;
};

TEST_F(CliTest, HelpListsCommandsAndOptions) {
  Result r = RunKiln("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"dump", "inspect", "dot", "convert", "train"}) EXPECT_NE(r.out.find(cmd), std::string::npos);
  Result t = RunKiln("train --help");
  EXPECT_EQ(t.exit_code, 0);
  for (const char* opt : {"--data", "--epochs", "--batch", "--lr", "--seed", "--save-graph", "softmax"}) {
    EXPECT_NE(t.out.find(opt), std::string::npos) << opt;
  }
}

TEST_F(CliTest, DumpListsEveryNodeWithTypes) {
  Result r = RunKiln("dump " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("x = Placeholder() -> float[?,784]"), std::string::npos) << r.out.substr(0, 500);
  EXPECT_NE(r.out.find("MatMul = MatMul(x, W/read) -> float[?,10]"), std::string::npos);
  EXPECT_NE(r.out.find("transpose_a = false"), std::string::npos);
  EXPECT_NE(r.out.find("GradientDescent = NoOp(^GradientDescent/update_W"), std::string::npos);
}

TEST_F(CliTest, InspectCountsParameters) {
  Result r = RunKiln("inspect " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("7,840"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total parameters: 7,850"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("float[?,784]"), std::string::npos);
}

TEST_F(CliTest, ConvertBinaryTextBinaryIsByteIdentical) {
  ASSERT_EQ(RunKiln("convert " + graph_ + " " + Path("g.pbtxt")).exit_code, 0);
  ASSERT_EQ(RunKiln("convert " + Path("g.pbtxt") + " " + Path("g2.pb") + " --check").exit_code, 0);
  std::string a, b;
  ASSERT_TRUE(ReadFileToString(graph_, &a).ok());
  ASSERT_TRUE(ReadFileToString(Path("g2.pb"), &b).ok());
  EXPECT_TRUE(a == b);
}

TEST_F(CliTest, DotOutputIsValidGraphviz) {
  Result r = RunKiln("dot " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph", 0), 0u);
  EXPECT_NE(r.out.find("style=dashed"), std::string::npos);  // control edges
  EXPECT_NE(r.out.find("float[?,784]"), std::string::npos);  // typed data edges
  EXPECT_EQ(r.out.back(), '\n');
  if (std::system("command -v dot >/dev/null 2>&1") != 0) GTEST_SKIP() << "graphviz not installed";
  ASSERT_EQ(RunKiln("dot " + graph_ + " --o " + Path("g.dot")).exit_code, 0);
  EXPECT_EQ(std::system(("dot -Tsvg " + Path("g.dot") + " -o " + Path("g.svg")).c_str()), 0);
}

TEST_F(CliTest, MissingFileIsOneLineErrorExit1) {
  ExpectOneLineError(RunKiln("dump " + Path("no_such_graph.pb")), 1);
  ExpectOneLineError(RunKiln("inspect " + Path("no_such_graph.pb")), 1);
}

TEST_F(CliTest, TruncatedFileIsErrorNotCrash) {
  std::string bytes;
  ASSERT_TRUE(ReadFileToString(graph_, &bytes).ok());
  ASSERT_TRUE(WriteFileAtomically(Path("cut.pb"), bytes.substr(0, bytes.size() / 3)).ok());
  ExpectOneLineError(RunKiln("dump " + Path("cut.pb")), 1);
  ExpectOneLineError(RunKiln("convert " + Path("cut.pb") + " " + Path("cut.pbtxt")), 1);
}

TEST_F(CliTest, NonGraphFileIsError) {
  ASSERT_TRUE(WriteFileAtomically(Path("junk.pb"), std::string("\x89PNG\r\n\x1a\n\x00\x00 random bytes \xff\xfe", 28)).ok());
  ExpectOneLineError(RunKiln("inspect " + Path("junk.pb")), 1);
  ASSERT_TRUE(WriteFileAtomically(Path("junk.pbtxt"), "node { name: \"a\" op: \n").ok());
  ExpectOneLineError(RunKiln("dot " + Path("junk.pbtxt")), 1);
}

TEST_F(CliTest, UnknownOptionsAndCommandsAreUsageErrorsExit2) {
  ExpectOneLineError(RunKiln("dump --frobnicate " + graph_), 2);
  ExpectOneLineError(RunKiln("train softmax --epochs nope"), 2);
  ExpectOneLineError(RunKiln("train softmax --colour blue"), 2);
  ExpectOneLineError(RunKiln("train no_such_model"), 2);
  ExpectOneLineError(RunKiln("frobnicate"), 2);
  ExpectOneLineError(RunKiln("dump"), 2);
}

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
