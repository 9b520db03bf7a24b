// kiln bench as a user runs it: --ceiling --quick and model benchmarks with --quick print well-formed
// lines fast; unknown models and bad --threads / --steps values are one-line usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

Result RunKiln(const std::string& args) {
  fs::path dir = fs::temp_directory_path() / ("kiln_bench_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string err_path = (dir / "stderr").string();
  std::string cmd = std::string(KILN_BINARY_DIR) + "/kiln " + args + " 2>" + err_path;
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_path);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(BenchCommandTest, QuickCeilingPrintsOneLinePerSizeAndThreadCount) {
  auto start = std::chrono::steady_clock::now();
  Result r = RunKiln("bench --ceiling --quick --threads 2");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 10) << "--quick should take well under a second on an idle machine";
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0].rfind("cpu: ", 0), 0u) << lines[0];
  EXPECT_TRUE(lines[1] == "gemm kernel: eigen-avx512" || lines[1] == "gemm kernel: eigen-avx2-fma" ||
              lines[1] == "gemm kernel: eigen-sse2")
      << lines[1];
  const std::regex ceiling(R"(ceiling n=(\d+) threads=(\d+) gflops=(\d+\.\d))");
  const char* expected[] = {"64 1", "64 2", "128 1", "128 2"};
  for (int i = 0; i < 4; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[2 + i], m, ceiling)) << lines[2 + i];
    EXPECT_EQ(m[1].str() + " " + m[2].str(), expected[i]);
    EXPECT_GT(std::stod(m[3].str()), 0.0) << lines[2 + i];
  }
}

TEST(BenchCommandTest, OneThreadMeasuresOnlyOneThread) {
  Result r = RunKiln("bench --ceiling --quick --threads=1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[2].rfind("ceiling n=64 threads=1 gflops=", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("ceiling n=128 threads=1 gflops=", 0), 0u) << lines[3];
}

TEST(BenchCommandTest, QuickModelBenchmarksPrintOneWellFormedLinePerModel) {
  auto start = std::chrono::steady_clock::now();
  Result r = RunKiln("bench softmax mlp --quick --threads 2");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_LT(seconds, 20) << "two models' --quick runs should take a few seconds";
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const std::regex line(
      R"(model=(\w+) batch=(\d+) ms_per_step=(\d+\.\d{3}) gflops=(\d+\.\d{2}) compile_ms=(\d+\.\d) peak_mb=(\d+\.\d))");
  const char* expected[] = {"softmax 32", "mlp 128"};
  for (int i = 0; i < 2; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, line)) << lines[i];
    EXPECT_EQ(m[1].str() + " " + m[2].str(), expected[i]);
    for (int field = 3; field <= 6; ++field) EXPECT_GT(std::stod(m[field].str()), 0.0) << lines[i];
  }
}

TEST(BenchCommandTest, InferenceTimesOneForwardRunAtTheGivenBatch) {
  Result r = RunKiln("bench mlp_bn softmax --inference --batch 1 --quick --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const std::regex line(
      R"(model=(\w+) mode=inference batch=(\d+) us_per_run=(\d+\.\d+) compile_ms=(\d+\.\d) peak_mb=(\d+\.\d))");
  const char* expected[] = {"mlp_bn 1", "softmax 1"};
  for (int i = 0; i < 2; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, line)) << lines[i];
    EXPECT_EQ(m[1].str() + " " + m[2].str(), expected[i]);
    for (int field = 3; field <= 5; ++field) EXPECT_GT(std::stod(m[field].str()), 0.0) << lines[i];
  }
}

TEST(BenchCommandTest, ProfileFollowsTheModelLineWithItsSlowestStepsAndTimePerOp) {
  Result r = RunKiln("bench mlp --profile --quick --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0].rfind("model=mlp batch=128 ms_per_step=", 0), 0u) << lines[0];
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[1], m, std::regex(R"(profile model=mlp steps=(\d+) traced_ms_per_run=(\d+\.\d{3}))")))
      << lines[1];
  EXPECT_GT(std::stoi(m[1].str()), 5);
  const std::regex step(R"(\s+\d+\.\d% +\d+\.\d{3} ms  (\w+) +(fused \(\d+ ops\)|library \w+|reference|control flow) +\[[\d,]*\] +\S+)");
  ASSERT_TRUE(std::regex_match(lines[2], m, step)) << lines[2];
  EXPECT_NE(r.out.find("library gemm"), std::string::npos) << "the mlp's products are GEMMs:\n" << r.out;
  EXPECT_NE(r.out.find("  by op:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MatMul ("), std::string::npos) << r.out;
}

TEST(BenchCommandTest, InferenceOfAModelWithoutAClassifierIsAClearError) {
  Result r = RunKiln("bench autoencoder --inference --quick");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("autoencoder"), std::string::npos) << r.err;
}

TEST(BenchCommandTest, UnknownModelIsAUsageErrorNamingTheModels) {
  // probes is a seed model, but has no training step of its own to time.
  for (const char* name : {"nosuchmodel", "probes"}) {
    Result r = RunKiln(std::string("bench softmax ") + name + " --quick");
    EXPECT_EQ(r.exit_code, 2) << name;
    EXPECT_EQ(r.out, "") << "no model runs when any name is wrong";
    EXPECT_EQ(r.err, std::string("kiln bench: unknown model '") + name +
                         "'; models: softmax, mlp, mlp_bn, conv_bn, cnn, cnn_tutorial, deep128, convnet3, "
                         "autoencoder\n");
  }
}

TEST(BenchCommandTest, CeilingTakesNoModelsAndStepCountsArePositive) {
  Result r = RunKiln("bench mlp --ceiling --quick");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "kiln bench: --ceiling takes no model names, --steps, --warmup, --batch, --inference or --profile\n");
  for (const char* value : {"0", "-3", "ten", ""}) {
    r = RunKiln(std::string("bench softmax --steps '") + value + "'");
    EXPECT_EQ(r.exit_code, 2) << value;
    EXPECT_NE(r.err.find("--steps needs an integer from 1 to 1000000"), std::string::npos) << r.err;
  }
  r = RunKiln("bench softmax --warmup -1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--warmup needs an integer from 0 to 1000000"), std::string::npos) << r.err;
}

TEST(BenchCommandTest, BadThreadCountsAreUsageErrors) {
  for (const char* value : {"0", "-1", "two", "5000"}) {
    Result r = RunKiln(std::string("bench --ceiling --quick --threads ") + value);
    EXPECT_EQ(r.exit_code, 2) << value;
    EXPECT_NE(r.err.find("--threads needs an integer from 1 to 1024"), std::string::npos) << r.err;
  }
  Result r = RunKiln("bench --ceiling --threads");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "kiln bench: option --threads needs a value\n");
}

TEST(BenchCommandTest, HelpDescribesTheModelsAndTheCeiling) {
  Result r = RunKiln("bench --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("model=NAME batch=B ms_per_step=X gflops=Y compile_ms=Z peak_mb=W"), std::string::npos);
  EXPECT_NE(r.out.find("--ceiling"), std::string::npos);
  EXPECT_NE(r.out.find("--threads N"), std::string::npos);
}

}  // namespace
}  // namespace kiln
