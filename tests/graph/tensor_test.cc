// Tensor storage (graph/tensor.h): new tensors read as zero, small or large, fresh from the kernel or
// reusing freed memory (calloc clears only the latter); they are writable, aligned and released with
// their last reference.
#include "graph/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace kiln {
namespace {

void ExpectZeroAlignedAndWritable(DataType dtype, int64_t n) {
  Tensor t(dtype, {n});
  ASSERT_TRUE(t.valid());
  ASSERT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % kTensorAlignment, 0u);
  const auto* bytes = static_cast<const uint8_t*>(t.raw_data());
  const int64_t size = n * static_cast<int64_t>(DataTypeSize(dtype));
  for (int64_t i = 0; i < size; i += 4093) ASSERT_EQ(bytes[i], 0) << "byte " << i << " of " << size;
  ASSERT_EQ(bytes[size - 1], 0);
  auto* writable = static_cast<uint8_t*>(t.raw_data());
  writable[0] = 1;
  writable[size - 1] = 2;
  Tensor copy = t;  // shares the buffer: released once, with the last of the two
  EXPECT_EQ(static_cast<const uint8_t*>(copy.raw_data())[size - 1], 2);
}

TEST(TensorTest, NewTensorsReadAsZeroHoweverTheyAreAllocated) {
  ExpectZeroAlignedAndWritable(DT_FLOAT, 1000);                       // from the heap
  ExpectZeroAlignedAndWritable(DT_UINT8, (int64_t{1} << 20) - 64);     // just under 1 MB
  ExpectZeroAlignedAndWritable(DT_FLOAT, int64_t{1} << 18);            // exactly 1 MB
  ExpectZeroAlignedAndWritable(DT_DOUBLE, (int64_t{3} << 20) + 5);     // 24 MB, fresh pages, a ragged end
  // Memory is reused: tensors after freed, written ones of the same sizes still read as zero.
  for (int i = 0; i < 3; ++i) {
    ExpectZeroAlignedAndWritable(DT_INT32, 777);
    ExpectZeroAlignedAndWritable(DT_FLOAT, (int64_t{1} << 18) + 3);
  }
}

}  // namespace
}  // namespace kiln
