// Running the kiln binary as a user does, for the CLI tests: exit code, stdout and stderr of one
// command line. Header-only: it needs KILN_BINARY_DIR, which only the test binaries define.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace kiln::testing {

struct CliResult {
  int exit_code = -1;
  bool signaled = false;
  std::string out;  // stdout
  std::string err;  // stderr
};

// ctest runs each test in its own process, two at a time: every path carries the pid.
inline std::filesystem::path CliTestDir() {
  return std::filesystem::temp_directory_path() / ("kiln_cli_test_" + std::to_string(::getpid()));
}

inline CliResult RunKiln(const std::string& args) {
  std::filesystem::create_directories(CliTestDir());
  std::string err_path = (CliTestDir() / "stderr").string();
  std::string cmd = std::string(KILN_BINARY_DIR) + "/kiln " + args + " 2>" + err_path;
  CliResult r;
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

// A clean one-line error: exit 1 or 2 (a shell reports a crashed child as 128+signal), one stderr
// line from kiln, no abort message or trace.
inline void ExpectOneLineError(const CliResult& r, int code) {
  EXPECT_FALSE(r.signaled);
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("kiln", 0), 0u) << r.err;
  for (const char* crash : {"terminate", "Abort", "Segmentation", "what()"}) {
    EXPECT_EQ(r.err.find(crash), std::string::npos) << r.err;
  }
}

}  // namespace kiln::testing
