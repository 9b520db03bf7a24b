// The LLVM JIT skeleton: host detection, a vectorized kernel compiled through ORC LLJIT and called
// through the kernel ABI, checked against the plain C++ reference; errors come back as Status.
#include "codegen/jit.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <vector>

namespace kiln::codegen {
namespace {

template <typename T>
T ReferenceAffineRelu(T a, T x, T b) {
  T v = a * x + b;
  return v > T(0) ? v : T(0);
}

std::unique_ptr<Jit> MakeJit() {
  auto jit = Jit::Create();
  EXPECT_TRUE(jit.ok()) << jit.status().ToString();
  return jit.ok() ? std::move(*jit) : nullptr;
}

TEST(JitTest, DetectsTheHostCpu) {
  HostCpu cpu = DetectHostCpu();
  EXPECT_FALSE(cpu.name.empty());
  EXPECT_TRUE(cpu.vector_bits == 128 || cpu.vector_bits == 256 || cpu.vector_bits == 512);
  std::cout << "host cpu: " << cpu.name << ", vector width " << cpu.vector_bits << " bits\n";
}

template <typename T>
void CheckAffineReluMatchesReference(DataType dtype) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  auto fn = jit->CompileAffineRelu(dtype, "affine_relu_" + DataTypeName(dtype));
  ASSERT_TRUE(fn.ok()) << fn.status().ToString();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> dist(-3, 3);
  for (int64_t n : {0, 1, 7, 15, 16, 17, 31, 33, 1000, 100003}) {
    // One extra element on each side, so the kernel also runs on unaligned sub-buffers.
    std::vector<T> x(n + 2), y(n + 2, T(-7)), expected(n + 2, T(-7));
    for (T& v : x) v = static_cast<T>(dist(rng));
    T a = static_cast<T>(1.25), b = static_cast<T>(-0.5);
    for (int offset : {0, 1}) {
      for (int64_t i = 0; i < n; ++i) expected[offset + i] = ReferenceAffineRelu(a, x[offset + i], b);
      void* buffers[] = {x.data() + offset, &a, &b, y.data() + offset};
      int64_t sizes[] = {n};
      ASSERT_EQ((*fn)(nullptr, buffers, sizes), 0);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(std::memcmp(&y[offset + i], &expected[offset + i], sizeof(T)), 0)
            << "n=" << n << " offset=" << offset << " i=" << i << ": " << y[offset + i] << " vs " << expected[offset + i];
      }
      EXPECT_EQ(y[offset + n], T(-7)) << "wrote past the end, n=" << n;
      std::fill(y.begin(), y.end(), T(-7));
      std::fill(expected.begin(), expected.end(), T(-7));
    }
  }
}

TEST(JitTest, AffineReluFloatIsBitwiseEqualToReference) { CheckAffineReluMatchesReference<float>(DT_FLOAT); }
TEST(JitTest, AffineReluDoubleIsBitwiseEqualToReference) { CheckAffineReluMatchesReference<double>(DT_DOUBLE); }

TEST(JitTest, FiftyKernelsCompile) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < 50; ++k) {
    auto fn = jit->CompileAffineRelu(DT_FLOAT, "kernel_" + std::to_string(k));
    ASSERT_TRUE(fn.ok()) << fn.status().ToString();
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "50 kernels compiled in " << ms << " ms\n";  // a figure, not an assertion: no timed tests
}

TEST(JitTest, InvalidModuleIsAnErrorNotACrash) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  Status s = jit->CompileInvalidModuleForTest();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("verification"), std::string::npos) << s.message();
}

TEST(JitTest, UnknownSymbolIsAnError) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  auto fn = jit->Lookup("no_such_kernel");
  EXPECT_FALSE(fn.ok());
}

TEST(JitTest, UnsupportedDtypeIsAnError) {
  auto jit = MakeJit();
  ASSERT_NE(jit, nullptr);
  EXPECT_EQ(jit->CompileAffineRelu(DT_INT32, "int_kernel").status().code(), Code::kUnimplemented);
}

}  // namespace
}  // namespace kiln::codegen
