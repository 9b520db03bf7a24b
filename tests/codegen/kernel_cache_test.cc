// Compiled kernels cached in memory (one Jit) and on disk (across Jits, as across processes): a
// second Jit on the same directory loads the object instead of compiling, a damaged file is
// recompiled and replaced, and the kernels behave the same either way.
#include "codegen/kernel_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "codegen/elementwise_kernel.h"
#include "codegen/jit.h"
#include "graph/graphdef.h"
#include "tests/codegen/elementwise_test_util.h"

namespace kiln::codegen {
namespace {

using testing::RunKernel;

// A fresh directory under the test temp dir, removed at the end of the test.
class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "kiln_kernel_cache_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern + "/kernels";  // not there yet: the Jit creates it
  }
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(dir_).parent_path()); }

  std::unique_ptr<Jit> MakeJit() {
    auto jit = Jit::Create({.cache_dir = dir_});
    EXPECT_TRUE(jit.ok()) << jit.status().ToString();
    return jit.ok() ? std::move(*jit) : nullptr;
  }
  std::vector<std::filesystem::path> Objects() const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) files.push_back(entry.path());
    return files;
  }

  std::string dir_;
};

// y = x * x + 1 over [100].
ElementwiseCluster Cluster(const std::string& name = "square_plus_one") {
  ExprBuilder b;
  ExprValue x = b.Input(0, DT_FLOAT);
  StatusOr<ElementwiseExpr> expr = std::move(b).Build({b.Add(b.Mul(x, x), b.ConstantLike(x, 1))});
  EXPECT_TRUE(expr.ok());
  return ElementwiseCluster{name, *expr, {100}, {{100}}};
}

void ExpectSquarePlusOne(const CompiledElementwise& k) {
  ElementwiseCluster cluster = Cluster();
  Tensor x(DT_FLOAT, {100});
  for (int i = 0; i < 100; ++i) x.data<float>()[i] = 0.5f * i;
  Tensor y = RunKernel(k, cluster, {x})[0];
  for (int i = 0; i < 100; ++i) ASSERT_EQ(y.data<float>()[i], 0.5f * i * (0.5f * i) + 1) << i;
}

TEST_F(KernelCacheTest, SecondJitLoadsTheKernelFromDisk) {
  {
    auto first = MakeJit();
    ASSERT_NE(first, nullptr);
    StatusOr<CompiledElementwise> k = CompileElementwise(*first, Cluster());
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    ExpectSquarePlusOne(*k);
    EXPECT_EQ(first->stats().compiled, 1);
    EXPECT_EQ(first->stats().loaded_from_disk, 0);
    ASSERT_EQ(Objects().size(), 1u);
    EXPECT_EQ(Objects()[0].extension(), ".o");
  }
  auto second = MakeJit();
  ASSERT_NE(second, nullptr);
  StatusOr<CompiledElementwise> k = CompileElementwise(*second, Cluster());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(second->stats().compiled, 0);
  EXPECT_EQ(second->stats().loaded_from_disk, 1);
  ExpectSquarePlusOne(*k);
  EXPECT_EQ(Objects().size(), 1u);
}

TEST_F(KernelCacheTest, EqualClusterInOneJitCompilesOnce) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  StatusOr<CompiledElementwise> a = CompileElementwise(*jit, Cluster());
  StatusOr<CompiledElementwise> b = CompileElementwise(*jit, Cluster());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fn, b->fn);
  EXPECT_EQ(jit->stats().compiled, 1);
  EXPECT_EQ(jit->stats().reused, 1);
  // Another name is another kernel (names show in profiles), with its own cache entry.
  StatusOr<CompiledElementwise> c = CompileElementwise(*jit, Cluster("renamed"));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->fn, a->fn);
  EXPECT_EQ(Objects().size(), 2u);
}

TEST_F(KernelCacheTest, DamagedObjectIsRecompiledAndReplaced) {
  {
    auto first = MakeJit();
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(CompileElementwise(*first, Cluster()).ok());
  }
  ASSERT_EQ(Objects().size(), 1u);
  const std::filesystem::path object = Objects()[0];
  for (const std::string& damage : {std::string("\x7f" "ELF truncated"), std::string("not an object"), std::string()}) {
    std::ofstream(object, std::ios::binary | std::ios::trunc) << damage;
    auto jit = MakeJit();
    ASSERT_NE(jit, nullptr);
    StatusOr<CompiledElementwise> k = CompileElementwise(*jit, Cluster());
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    EXPECT_EQ(jit->stats().compiled, 1);
    EXPECT_EQ(jit->stats().loaded_from_disk, 0);
    ExpectSquarePlusOne(*k);
    EXPECT_GT(std::filesystem::file_size(object), 1000u);  // a real object again
  }
}

TEST_F(KernelCacheTest, DirectoryThatCannotBeCreatedIsAnError) {
  const std::string file = std::filesystem::path(dir_).parent_path().string() + "/plain_file";
  std::ofstream(file) << "x";
  StatusOr<std::unique_ptr<Jit>> jit = Jit::Create({.cache_dir = file + "/kernels"});
  ASSERT_FALSE(jit.ok());
  EXPECT_NE(jit.status().message().find("plain_file"), std::string::npos) << jit.status().message();
}

TEST_F(KernelCacheTest, LoadRejectsWhatIsNotAnObjectFile) {
  StatusOr<KernelCache> cache = KernelCache::Open(dir_);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  EXPECT_FALSE(cache->Load("missing").has_value());
  ASSERT_TRUE(cache->Store("text", "hello").ok());
  EXPECT_FALSE(cache->Load("text").has_value());
  ASSERT_TRUE(cache->Store("elf", std::string("\x7f" "ELF rest")).ok());
  EXPECT_EQ(cache->Load("elf").value_or(""), std::string("\x7f" "ELF rest"));
}

TEST_F(KernelCacheTest, ObjectWhoseChecksumFailsIsAMiss) {
  // Entries are not synced to disk: a crash can leave one torn, which its checksum tells.
  StatusOr<KernelCache> cache = KernelCache::Open(dir_);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  const std::string object = std::string("\x7f" "ELF") + std::string(200, 'x');
  ASSERT_TRUE(cache->Store("k", object).ok());
  ASSERT_EQ(cache->Load("k").value_or(""), object);
  std::string file;
  ASSERT_TRUE(ReadFileToString(cache->PathFor("k"), &file).ok());
  for (size_t cut : {file.size() - 1, file.size() / 2, size_t{4}}) {
    std::ofstream(cache->PathFor("k"), std::ios::binary | std::ios::trunc) << file.substr(0, cut);
    EXPECT_FALSE(cache->Load("k").has_value()) << "cut at " << cut;
  }
  std::string flipped = file;
  flipped[100] ^= 1;  // one bit of the object
  std::ofstream(cache->PathFor("k"), std::ios::binary | std::ios::trunc) << flipped;
  EXPECT_FALSE(cache->Load("k").has_value());
}

}  // namespace
}  // namespace kiln::codegen
