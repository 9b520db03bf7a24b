// Pad and Slice library kernels (runtime/kernels/window_kernels.cc) against the reference kernels:
// padding on every side of every dim, no padding at all, windows that leave whole dims or runs
// uncut, integer dtypes (bytes are copied as they are), empty tensors, more threads than runs.
#include <gtest/gtest.h>

#include <numeric>

#include "graph/builder/kiln.h"
#include "tests/testing/library_kernel_testing.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectLibraryMatchesReference;
using testing::LibraryKernelCovers;

Tensor Counting(const std::vector<int64_t>& dims, DataType dtype) {
  std::vector<double> v(Shape(dims).num_elements());
  std::iota(v.begin(), v.end(), 1.0);
  return testing::Values(v, dims, dtype);
}

void CheckPad(const std::vector<int64_t>& dims, const std::vector<int64_t>& paddings, DataType dtype, int threads) {
  Graph graph;
  DefaultGraphGuard guard(graph);
  auto x = placeholder(dtype, Shape(dims), "x");
  Tensor p = testing::Values(std::vector<double>(paddings.begin(), paddings.end()),
                             {static_cast<int64_t>(dims.size()), 2}, DT_INT32);
  auto y = pad(x, p);
  SCOPED_TRACE("Pad of " + Shape(dims).ToString() + " on " + std::to_string(threads) + " threads");
  ASSERT_TRUE(LibraryKernelCovers(*y.node, threads));
  ExpectLibraryMatchesReference(graph, {y}, {{x, Counting(dims, dtype)}}, threads, 0);
}

void CheckSlice(const std::vector<int64_t>& dims, const std::vector<int64_t>& begin, const std::vector<int64_t>& size,
                DataType dtype, int threads) {
  Graph graph;
  DefaultGraphGuard guard(graph);
  auto x = placeholder(dtype, Shape(dims), "x");
  auto y = slice(x, begin, size);
  SCOPED_TRACE("Slice of " + Shape(dims).ToString() + " on " + std::to_string(threads) + " threads");
  ASSERT_TRUE(LibraryKernelCovers(*y.node, threads));
  ExpectLibraryMatchesReference(graph, {y}, {{x, Counting(dims, dtype)}}, threads, 0);
}

TEST(WindowKernelsTest, PadMatchesReferenceForEverySideAndDtype) {
  CheckPad({64, 28, 28, 32}, {0, 0, 1, 1, 1, 1, 0, 0}, DT_FLOAT, 2);  // convnet3's second pad
  CheckPad({3, 5, 7, 2}, {1, 2, 0, 3, 2, 0, 1, 1}, DT_FLOAT, 2);      // every dim, uneven sides
  CheckPad({4, 6}, {0, 0, 0, 0}, DT_DOUBLE, 2);                         // nothing to pad: one run
  CheckPad({2, 3, 4}, {1, 0, 0, 0, 0, 0}, DT_INT32, 3);                 // only leading padding
  CheckPad({5}, {2, 3}, DT_INT64, 4);                                   // more threads than runs
}

TEST(WindowKernelsTest, PadOfAnEmptyTensorIsAllZeros) { CheckPad({0, 3}, {1, 1, 2, 0}, DT_FLOAT, 2); }

TEST(WindowKernelsTest, SliceMatchesReferenceForWindowsAndDtypes) {
  CheckSlice({64, 30, 30, 32}, {0, 1, 1, 0}, {64, 28, 28, 32}, DT_FLOAT, 2);  // the gradient of that pad
  CheckSlice({3, 5, 7, 2}, {1, 2, 3, 1}, {2, 3, 4, 1}, DT_FLOAT, 2);
  CheckSlice({4, 6}, {1, 0}, {2, 6}, DT_INT32, 3);  // whole rows: one run
  CheckSlice({4, 6}, {0, 0}, {4, 6}, DT_DOUBLE, 2);
  CheckSlice({4, 6}, {2, 3}, {0, 2}, DT_FLOAT, 2);  // empty window
}

}  // namespace
}  // namespace kiln
