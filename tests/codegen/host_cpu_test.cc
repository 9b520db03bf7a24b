// Host CPU detection: a name LLVM knows, a vector width that agrees with the feature string, and a
// feature string stable enough to key a kernel cache.
#include "codegen/host_cpu.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace kiln::codegen {
namespace {

std::vector<std::string> Split(const std::string& features) {
  std::vector<std::string> out;
  std::stringstream in(features);
  for (std::string f; std::getline(in, f, ',');) out.push_back(f);
  return out;
}

bool Has(const HostCpu& cpu, const std::string& feature) {
  std::vector<std::string> all = Split(cpu.features);
  return std::find(all.begin(), all.end(), feature) != all.end();
}

// The widest vectors the features the host reports allow, before any KILN_MAX_ISA cap.
int HostWidth(const HostCpu& cpu) { return Has(cpu, "+avx512f") ? 512 : Has(cpu, "+avx2") ? 256 : 128; }

// The cap KILN_MAX_ISA puts on the width (graph/isa_cap.h), and the disable it appends.
int CapWidth() {
  const char* cap = std::getenv("KILN_MAX_ISA");
  std::string value = cap ? cap : "";
  return value == "avx2" ? 256 : (value == "baseline" || value == "sse2") ? 128 : 512;
}

// Sets KILN_MAX_ISA for one scope and puts back what was there.
class ScopedIsaCap {
 public:
  explicit ScopedIsaCap(const char* value) {
    if (const char* old = std::getenv("KILN_MAX_ISA")) old_ = old, had_ = true;
    setenv("KILN_MAX_ISA", value, 1);
  }
  ~ScopedIsaCap() {
    if (had_) {
      setenv("KILN_MAX_ISA", old_.c_str(), 1);
    } else {
      unsetenv("KILN_MAX_ISA");
    }
  }

 private:
  std::string old_;
  bool had_ = false;
};

TEST(HostCpuTest, DetectsANamedCpuWithAKnownVectorWidth) {
  HostCpu cpu = DetectHostCpu();
  EXPECT_FALSE(cpu.name.empty());
  EXPECT_TRUE(cpu.vector_bits == 128 || cpu.vector_bits == 256 || cpu.vector_bits == 512) << cpu.vector_bits;
  ::testing::Test::RecordProperty("host_cpu", cpu.name);
  ::testing::Test::RecordProperty("vector_bits", cpu.vector_bits);
  std::cout << "host cpu: " << cpu.name << ", vector width " << cpu.vector_bits << " bits\n";
}

TEST(HostCpuTest, VectorWidthFollowsTheFeatures) {
  HostCpu cpu = DetectHostCpu();
  EXPECT_EQ(cpu.vector_bits, std::min(HostWidth(cpu), CapWidth())) << cpu.features;
}

TEST(HostCpuTest, FeaturesAreSignedSortedAndStable) {
  HostCpu cpu = DetectHostCpu();
  std::vector<std::string> features = Split(cpu.features);
  for (const std::string& f : features) {
    ASSERT_TRUE(f.size() > 1 && (f[0] == '+' || f[0] == '-')) << "'" << f << "' in " << cpu.features;
  }
  if (CapWidth() < HostWidth(cpu)) features.pop_back();  // the cap's disable comes last, out of order
  EXPECT_TRUE(std::is_sorted(features.begin(), features.end()));
  EXPECT_EQ(DetectHostCpu().features, cpu.features);
}

TEST(HostCpuTest, KilnMaxIsaTurnsTheWiderInstructionSetsOff) {
  const int host = [] {
    ScopedIsaCap none("avx512");
    return HostWidth(DetectHostCpu());
  }();
  {
    ScopedIsaCap cap("avx2");
    HostCpu cpu = DetectHostCpu();
    EXPECT_EQ(cpu.vector_bits, std::min(host, 256));
    // Last, so that LLVM applies it after the host's "+avx512..." entries.
    if (host > 256) EXPECT_TRUE(cpu.features.ends_with(",-avx512f")) << cpu.features;
  }
  {
    ScopedIsaCap cap("baseline");
    HostCpu cpu = DetectHostCpu();
    EXPECT_EQ(cpu.vector_bits, 128);
    if (host > 128) EXPECT_TRUE(cpu.features.ends_with(",-avx")) << cpu.features;
  }
}

}  // namespace
}  // namespace kiln::codegen
