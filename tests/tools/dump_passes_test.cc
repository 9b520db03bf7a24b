// `kiln dump --after=PASS`, --fetch, --feed-shape and --time-passes: the graph pipeline as the CLI
// shows it, with the pipeline's pass names, and bad names as one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "graph/builder/kiln.h"
#include "graph/graphdef.h"
#include "tests/testing/kiln_cli.h"

namespace kiln {
namespace {

using testing::ExpectOneLineError;
using testing::RunKiln;

// The dump line of node `name` ("name = Op(...) -> types"), or "" if the dump has none.
std::string DumpLine(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) == 0 && line.find(" = ") != std::string::npos &&
        line.substr(0, line.find(" = ")).find_last_not_of(' ') + 1 == name.size()) {
      return line;
    }
  }
  return "";
}

class DumpPassesTest : public ::testing::Test {
 protected:
  // y = x * (2 * 3) + 0 read by "out", an unread exp(x) named "side", and n = the element count.
  void SetUp() override {
    Graph g;
    auto guard = as_default(g);
    auto x = placeholder(float32, {-1, 3}, "x");
    auto six = multiply(constant(2.0), constant(3.0), "six");
    identity(add(x * six, constant(0.0), "y"), "out");
    exp(x, "side");
    cast(reduce_prod(shape(x)), float32, "n");
    ASSERT_TRUE(g.build_status().ok());
    std::filesystem::create_directories(testing::CliTestDir());
    graph_ = (testing::CliTestDir() / "passes.pbtxt").string();
    ASSERT_TRUE(SaveGraph(g, graph_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(testing::CliTestDir()); }
  std::string graph_;
};

TEST_F(DumpPassesTest, AfterFoldShowsTheFoldedConstantUnderItsName) {
  auto r = RunKiln("dump --after=fold " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(DumpLine(r.out, "six").find("= Const() -> float[]"), std::string::npos) << r.out;
  EXPECT_NE(DumpLine(r.out, "y").find("= AddV2("), std::string::npos) << r.out;  // simplify has not run yet
  EXPECT_NE(DumpLine(r.out, "side"), "");  // a sink: fetched by default, so not pruned
}

TEST_F(DumpPassesTest, AfterSimplifyTheAddOfZeroIsGone) {
  auto r = RunKiln("dump --after simplify --feed-shape x=4,3 --fetch out " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(DumpLine(r.out, "y"), "") << r.out;
  EXPECT_EQ(r.out.find("AddV2("), std::string::npos) << r.out;
}

TEST_F(DumpPassesTest, FetchNarrowsWhatPruneKeeps) {
  auto r = RunKiln("dump --after=prune --fetch y " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(DumpLine(r.out, "y"), "");
  EXPECT_EQ(DumpLine(r.out, "side"), "") << r.out;
  EXPECT_EQ(DumpLine(r.out, "n"), "") << r.out;
}

TEST_F(DumpPassesTest, FeedShapeCompilesAsARunWouldSoShapesFold) {
  auto r = RunKiln("dump --after=fold --fetch n --feed-shape x=4,3 " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string n = DumpLine(r.out, "n");
  EXPECT_NE(n.find("= Const() -> float[]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("value=float[] {12}"), std::string::npos) << r.out;
  // Without a feed shape the batch is unknown and the shape cannot fold.
  auto unknown = RunKiln("dump --after=fold --fetch n " + graph_);
  ASSERT_EQ(unknown.exit_code, 0) << unknown.err;
  EXPECT_NE(DumpLine(unknown.out, "n").find("= Cast("), std::string::npos) << unknown.out;
}

TEST_F(DumpPassesTest, TimePassesPrintsOneLinePerPassOnStderr) {
  auto r = RunKiln("dump --time-passes " + graph_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.err);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const std::vector<std::string> names = {"prune", "branches", "unread", "fold", "simplify", "cse", "pad", "pool_relu", "epilogue", "matmul_epilogue", "batchnorm"};
  ASSERT_EQ(lines.size(), names.size() + 1) << r.err;
  EXPECT_EQ(lines[0].rfind("pass", 0), 0u);
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(lines[i + 1].rfind(names[i], 0), 0u) << lines[i + 1];
    bool yes = lines[i + 1].find(" yes") != std::string::npos, no = lines[i + 1].find(" no") != std::string::npos;
    EXPECT_NE(yes, no) << lines[i + 1];
  }
  EXPECT_NE(lines[4].find(" yes"), std::string::npos) << r.err;  // fold folded `six`
}

TEST_F(DumpPassesTest, BadPassFetchAndShapeAreOneLineErrors) {
  auto unknown = RunKiln("dump --after=fuse-all " + graph_);
  ExpectOneLineError(unknown, 2);
  EXPECT_NE(unknown.err.find("unknown pass 'fuse-all'; the passes are: prune, branches, unread, fold, simplify, cse"), std::string::npos)
      << unknown.err;
  ExpectOneLineError(RunKiln("dump --after= " + graph_), 2);
  auto fetch = RunKiln("dump --after=fold --fetch nowhere " + graph_);
  ExpectOneLineError(fetch, 1);
  EXPECT_NE(fetch.err.find("nowhere"), std::string::npos) << fetch.err;
  ExpectOneLineError(RunKiln("dump --feed-shape x=4,three " + graph_), 2);
  ExpectOneLineError(RunKiln("dump --feed-shape x " + graph_), 2);
  auto shape = RunKiln("dump --feed-shape x=4,5 " + graph_);  // x is [?,3]
  ExpectOneLineError(shape, 1);
  EXPECT_NE(shape.err.find("Cannot feed value of shape [4,5]"), std::string::npos) << shape.err;
}

TEST_F(DumpPassesTest, HelpNamesTheOptionsAndThePasses) {
  auto r = RunKiln("dump --help");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* text : {"--after=PASS", "--fetch NAME", "--feed-shape", "--time-passes", "prune, branches, unread, fold, simplify, cse"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace kiln
