// The reduction library kernels (runtime/kernels/reduction_kernels.cc) against the reference kernels
// of Sum, Mean, Max, BiasAddGrad and L2Loss: leading, trailing and leading-plus-trailing axes, size-1 dims,
// keep_dims, both BiasAdd layouts, float and double, and thread counts above the rows to split.
// Each case first checks that the library kernel accepts the node, so that a match is not just the
// reference kernel agreeing with itself.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "graph/builder/kiln.h"
#include "graph/ops/kernel_util.h"
#include "tests/testing/library_kernel_testing.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::ExpectLibraryMatchesReference;
using testing::LibraryKernelCovers;

// Float results: the kernel sums in double as the reference does, so they differ only when a double
// sum in another order rounds to a neighbouring float (one ulp). Double: reordering, a few ulps per term.
double Tolerance(DataType dtype) { return dtype == DT_FLOAT ? 2e-7 : 1e-12; }

class ReductionKernelsTest : public testing::GraphTest {
 protected:
  // uniform(-1, 1) plus an offset, so that sums do not cancel to nothing (a relative check of a sum
  // near zero would hide errors).
  Tensor Random(const std::vector<int64_t>& dims, DataType dtype) {
    std::vector<double> v(Shape(dims).num_elements());
    std::uniform_real_distribution<double> u(-1, 1);
    for (double& x : v) x = 0.25 + u(rng_);
    return testing::Values(v, dims, dtype);
  }

  // `op` ("Sum", "Mean", "Max") of a random x of `dims` over `axes`, library against reference.
  void CheckReduce(const std::string& op, std::vector<int64_t> dims, std::vector<int64_t> axes, bool keep_dims,
                   DataType dtype, int threads) {
    Graph graph;
    DefaultGraphGuard guard(graph);
    auto x = placeholder(dtype, Shape(dims), "x");
    auto y = MakeOp(op, {x, constant(IntsToTensor(axes))}, {{"keep_dims", keep_dims}});
    SCOPED_TRACE(op + " of " + Shape(dims).ToString() + " over " + ::testing::PrintToString(axes) +
                 (keep_dims ? " keeping dims" : "") + " with " + std::to_string(threads) + " threads");
    ASSERT_TRUE(LibraryKernelCovers(*y.node, threads));
    ExpectLibraryMatchesReference(graph, {y}, {{x, Random(dims, dtype)}}, threads, Tolerance(dtype));
  }

  void CheckBiasAddGrad(std::vector<int64_t> dims, const std::string& format, DataType dtype, int threads) {
    Graph graph;
    DefaultGraphGuard guard(graph);
    auto dy = placeholder(dtype, Shape(dims), "dy");
    auto db = MakeOp("BiasAddGrad", {dy}, {{"data_format", format}});
    SCOPED_TRACE("BiasAddGrad of " + Shape(dims).ToString() + " " + format + " with " + std::to_string(threads) + " threads");
    ASSERT_TRUE(LibraryKernelCovers(*db.node, threads));
    ExpectLibraryMatchesReference(graph, {db}, {{dy, Random(dims, dtype)}}, threads, Tolerance(dtype));
  }

  std::mt19937 rng_{11};
};

TEST_F(ReductionKernelsTest, SumAndMeanOverLeadingAxesMatchReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (const char* op : {"Sum", "Mean"}) {
      for (bool keep : {false, true}) {
        CheckReduce(op, {1037, 53}, {0}, keep, dtype, 2);          // the gradient of a broadcast bias
        CheckReduce(op, {9, 13, 11, 17}, {0, 1, 2}, keep, dtype, 3);  // batch-norm statistics over NHW
        CheckReduce(op, {7, 5}, {0}, keep, dtype, 2);              // too small to split
      }
    }
  }
}

TEST_F(ReductionKernelsTest, SumAndMeanOverTrailingAxesMatchReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (const char* op : {"Sum", "Mean"}) {
      for (bool keep : {false, true}) {
        CheckReduce(op, {301, 67}, {1}, keep, dtype, 2);      // a per-row loss
        CheckReduce(op, {301, 67}, {-1}, keep, dtype, 3);     // negative axis
        CheckReduce(op, {5, 9, 413}, {1, 2}, keep, dtype, 2);  // long contiguous runs, eight lanes and a tail
      }
    }
  }
}

TEST_F(ReductionKernelsTest, LeadingAndTrailingAxesAroundOneKeptRunMatchReference) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    CheckReduce("Sum", {13, 6, 7, 501}, {0, 3}, false, dtype, 2);
    CheckReduce("Mean", {13, 6, 7, 501}, {0, 3}, true, dtype, 3);
    // Size-1 axes do not break the run whether reduced or kept.
    CheckReduce("Sum", {4, 1, 6, 1, 503}, {0, 1, 4}, false, dtype, 2);
    CheckReduce("Sum", {4, 1, 6, 1, 503}, {0, 3, 4}, true, dtype, 2);
    CheckReduce("Mean", {6, 1, 7, 501}, {1, 3}, false, dtype, 2);  // a reduced size-1 axis inside the kept run
  }
}

TEST_F(ReductionKernelsTest, MoreThreadsThanRowsMatchesReference) {
  CheckReduce("Sum", {3, 2, 8011}, {0, 2}, false, DT_FLOAT, 4);  // three outer rows, one chunk each
  CheckReduce("Sum", {3, 5003}, {0}, false, DT_FLOAT, 4);        // split over the kept elements instead
  CheckReduce("Mean", {2, 20011}, {1}, true, DT_DOUBLE, 8);      // two rows, each summed whole
  CheckReduce("Mean", {70001, 3}, {0}, false, DT_DOUBLE, 8);     // partial rows narrower than the chunks
}

TEST_F(ReductionKernelsTest, MaxMatchesReferenceIncludingNaNAndInfinity) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    CheckReduce("Max", {2001, 37}, {0}, false, dtype, 3);
    CheckReduce("Max", {37, 2001}, {1}, true, dtype, 3);
  }
  Graph graph;
  DefaultGraphGuard guard(graph);
  std::vector<int64_t> dims = {4001, 5};
  auto x = placeholder(DT_FLOAT, Shape(dims), "x");
  auto columns = reduce_max(x, {0});
  auto rows = reduce_max(x, {1});
  std::vector<double> v = testing::ToDoubles(Random(dims, DT_FLOAT));
  v[3000 * 5 + 1] = NAN;       // column 1 and row 3000 are NaN, whatever precedes or follows
  v[17 * 5 + 2] = INFINITY;    // column 2's maximum
  v[2 * 5 + 3] = NAN;          // a NaN early in column 3, in another chunk than its maximum
  for (int r = 0; r < 4001; ++r) v[r * 5 + 4] = -INFINITY;  // column 4 is all -inf
  ASSERT_TRUE(LibraryKernelCovers(*columns.node, 2));
  ExpectLibraryMatchesReference(graph, {columns, rows}, {{x, testing::Values(v, dims)}}, 2, 0);
}

TEST_F(ReductionKernelsTest, BiasAddGradMatchesReferenceInBothLayouts) {
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (const std::string format : {"NHWC", "NCHW"}) {
      CheckBiasAddGrad({7, 13, 11, 19}, format, dtype, 2);
      CheckBiasAddGrad({3, 29, 31, 5}, format, dtype, 5);  // more threads than images
      CheckBiasAddGrad({1031, 10}, format, dtype, 2);       // a dense layer's bias
    }
  }
}

TEST_F(ReductionKernelsTest, L2LossMatchesReferenceOverOneOrManyChunks) {
  // A bias (one chunk, fewer than 8 lanes' worth), a conv filter, and a dense kernel large enough
  // to split over the threads with a ragged last chunk.
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (std::vector<int64_t> dims : std::vector<std::vector<int64_t>>{{5}, {5, 5, 32, 64}, {3137, 51}}) {
      for (int threads : {1, 3}) {
        Graph graph;
        DefaultGraphGuard guard(graph);
        auto x = placeholder(dtype, Shape(dims), "x");
        auto loss = nn::l2_loss(x);
        ASSERT_TRUE(LibraryKernelCovers(*loss.node, threads));
        ExpectLibraryMatchesReference(graph, {loss}, {{x, Random(dims, dtype)}}, threads, Tolerance(dtype));
      }
    }
  }
}

TEST_F(ReductionKernelsTest, OtherAxesPatternsAndIntegersStayOnTheReferenceKernel) {
  auto x = placeholder(DT_FLOAT, Shape({3, 4, 5}), "x");
  auto middle = reduce_sum(x, {1});  // kept axes 0 and 2 are not one run
  EXPECT_FALSE(LibraryKernelCovers(*middle.node, 2));
  auto n = placeholder(DT_INT32, Shape({3, 4}), "n");
  auto integers = reduce_sum(n, {0});
  EXPECT_FALSE(LibraryKernelCovers(*integers.node, 2));
  ExpectLibraryMatchesReference(g, {middle}, {{x, Random({3, 4, 5}, DT_FLOAT)}}, 2, 0);
}

}  // namespace
}  // namespace kiln
