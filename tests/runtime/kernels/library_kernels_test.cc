// Library kernels (runtime/kernels/*_kernel(s).cc) against the ops' reference kernels: the same graph
// run by a Session compiled with reference kernels only and by one using library kernels on a
// thread pool, over the geometries the seed models use and the edge cases (padding, strides, 1x1
// filters, ties in max pooling, more threads than work).
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "graph/builder/kiln.h"
#include "graph/ops/conv_geometry.h"
#include "passes/gradients.h"
#include "tests/testing/library_kernel_testing.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

class LibraryKernelsTest : public testing::GraphTest {
 protected:
  // A tensor of uniform(-1, 1) values, or of small integers (0, 1, 2) to make max-pool ties.
  Tensor Random(const std::vector<int64_t>& dims, DataType dtype = DT_FLOAT, bool small_integers = false) {
    std::vector<double> v(Shape(dims).num_elements());
    std::uniform_real_distribution<double> u(-1, 1);
    std::uniform_int_distribution<int> k(0, 2);
    for (double& x : v) x = small_integers ? k(rng_) : u(rng_);
    return testing::Values(v, dims, dtype);
  }

  void ExpectSameAsReference(Graph& graph, const std::vector<Output>& fetches, const FeedDict& feeds, int threads,
                             double tol) {
    testing::ExpectLibraryMatchesReference(graph, fetches, feeds, threads, tol);
  }

  // Conv2D's output and both gradients of sum(conv * r) for one geometry.
  void CheckConv(std::vector<int64_t> input, std::vector<int64_t> filter, int64_t stride, const std::string& padding,
                 DataType dtype, int threads) {
    auto x = placeholder(dtype, Shape(input), "x");
    auto w = placeholder(dtype, Shape(filter), "w");
    auto y = nn::conv2d(x, w, {1, stride, stride, 1}, padding);
    auto r = placeholder(dtype, y.shape(), "r");
    auto grads = gradients(reduce_sum(y * r), {x, w});
    double tol = dtype == DT_FLOAT ? 2e-5 : 1e-12;
    ExpectSameAsReference(g, {y, grads[0], grads[1]},
                          {{x, Random(input, dtype)}, {w, Random(filter, dtype)}, {r, Random(y.shape().dims(), dtype)}},
                          threads, tol);
  }

  std::mt19937 rng_{7};
};

TEST_F(LibraryKernelsTest, ConvolutionAndGradientsMatchReferenceOnSeedGeometries) {
  CheckConv({4, 28, 28, 1}, {3, 3, 1, 8}, 1, "VALID", DT_FLOAT, 2);   // cnn's first layer
  CheckConv({3, 13, 13, 8}, {3, 3, 8, 16}, 1, "VALID", DT_FLOAT, 2);  // cnn's second layer
  CheckConv({2, 28, 28, 1}, {5, 5, 1, 8}, 1, "SAME", DT_FLOAT, 2);    // cnn_tutorial
  CheckConv({2, 14, 14, 4}, {3, 3, 4, 8}, 2, "SAME", DT_FLOAT, 2);    // conv_bn's strided layers
}

TEST_F(LibraryKernelsTest, ConvolutionMatchesReferenceForOddStridesPaddingAndPointwiseFilters) {
  CheckConv({2, 9, 7, 3}, {1, 1, 3, 5}, 1, "SAME", DT_DOUBLE, 2);   // a 1x1 filter is one plain product
  CheckConv({2, 9, 7, 3}, {1, 1, 3, 5}, 2, "VALID", DT_DOUBLE, 2);  // strided 1x1 still needs patches
  CheckConv({1, 8, 8, 2}, {4, 2, 2, 3}, 3, "SAME", DT_DOUBLE, 2);   // even filter, uneven padding
  CheckConv({3, 5, 6, 2}, {5, 6, 2, 4}, 1, "VALID", DT_DOUBLE, 3);  // filter as large as the image
  CheckConv({1, 6, 6, 2}, {3, 3, 2, 2}, 1, "SAME", DT_DOUBLE, 4);   // one image, more threads than images
}

TEST_F(LibraryKernelsTest, DirectConvolutionMatchesReferenceOnEdgeGeometries) {
  // Float layers with at most 32 output channels take the direct kernels on AVX2 hosts: channel
  // counts that fill 1 to 4 vectors exactly or partly, even filters with uneven padding, strides
  // (whose input gradient runs as phases), filters as large as the image, more threads than rows,
  // rows whose width is no multiple of the pixel block, strided VALID layers whose last input
  // columns no tap reaches (padded rows copy only what taps read).
  CheckConv({2, 9, 7, 3}, {4, 2, 3, 5}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({1, 8, 8, 2}, {4, 2, 2, 3}, 3, "SAME", DT_FLOAT, 2);
  CheckConv({3, 5, 6, 2}, {5, 6, 2, 12}, 1, "VALID", DT_FLOAT, 3);
  CheckConv({2, 10, 11, 6}, {3, 3, 6, 20}, 2, "SAME", DT_FLOAT, 2);
  CheckConv({2, 7, 9, 32}, {3, 3, 32, 32}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({2, 7, 9, 8}, {3, 3, 8, 16}, 2, "VALID", DT_FLOAT, 2);
  CheckConv({1, 6, 6, 2}, {3, 3, 2, 2}, 1, "SAME", DT_FLOAT, 4);
  CheckConv({2, 11, 13, 1}, {5, 5, 1, 4}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({2, 10, 12, 3}, {3, 3, 3, 7}, 2, "VALID", DT_FLOAT, 2);
  CheckConv({1, 9, 9, 5}, {2, 3, 5, 9}, 1, "VALID", DT_FLOAT, 2);
  // One vector of output channels (at most 8 or 16), stride 1, 3 or 5 wide: the kernel that
  // broadcasts each input value once for all its taps, over rows that split into unequal blocks (29
  // and 19 pixels), forward and input gradient (whose output channels are the layer's inputs).
  CheckConv({2, 6, 29, 12}, {3, 3, 12, 16}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({1, 7, 19, 5}, {5, 5, 5, 7}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({2, 8, 23, 16}, {3, 5, 16, 9}, 1, "VALID", DT_FLOAT, 2);
  // Filter gradients with taps in the lanes: kernel-row runs of 18, 24, 64 and 112 floats (tiles of
  // one to five vectors), output channels in blocks of 4 with 1 or 2 left over.
  CheckConv({1, 6, 9, 32}, {3, 2, 32, 6}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({1, 9, 10, 16}, {2, 7, 16, 5}, 1, "VALID", DT_FLOAT, 2);
  CheckConv({1, 7, 8, 9}, {2, 2, 9, 5}, 1, "SAME", DT_FLOAT, 2);
  CheckConv({2, 10, 12, 8}, {3, 3, 8, 6}, 2, "VALID", DT_FLOAT, 2);
}

TEST_F(LibraryKernelsTest, PlanarConvolutionsMatchReference) {
  // Forward convolutions (and stride-1 input gradients) with at most 4 output channels take the
  // planar kernel: rows of 16-pixel blocks with a partial last block (widths 19, 33, 7), a partial
  // channel group (3), kernel widths 1, 3 and 5, channel planes transposed 8 x 8 (8 and 16 channels,
  // the input gradient's dy) or one by one (3, 5), and strides down the height only.
  CheckConv({2, 9, 19, 1}, {3, 3, 1, 4}, 1, "SAME", DT_FLOAT, 2);    // conv_bn's first layer
  CheckConv({2, 6, 33, 4}, {3, 3, 4, 8}, 1, "SAME", DT_FLOAT, 2);    // its input gradient: 8 -> 4
  CheckConv({1, 7, 21, 4}, {5, 5, 4, 16}, 1, "VALID", DT_FLOAT, 2);  // 16 -> 4
  CheckConv({2, 5, 7, 5}, {1, 1, 5, 3}, 1, "SAME", DT_FLOAT, 3);
  CheckConv({1, 8, 18, 3}, {5, 5, 3, 2}, 1, "SAME", DT_FLOAT, 2);
  auto x = placeholder(float32, {2, 9, 20, 2}, "xs");
  auto w = placeholder(float32, {3, 3, 2, 4}, "ws");
  auto y = nn::conv2d(x, w, {1, 2, 1, 1}, "SAME");
  ExpectSameAsReference(g, {y}, {{x, Random({2, 9, 20, 2})}, {w, Random({3, 3, 2, 4})}}, 2, 2e-5);
}

TEST_F(LibraryKernelsTest, StridedInputGradientsRunAsPhasesAndMatchReference) {
  // Float input gradients of strided layers run as sh * sw stride-1 phases (direct_conv.h): conv_bn's
  // 3x3 stride-2 SAME layer, VALID layers whose last rows and columns no window reaches (those come
  // out zero), stride 3 with an even filter, uneven strides, more output channels than one group;
  // a 1x1 stride-2 filter leaves phases without taps and stays on im2col, as does padding so large
  // that a phase would start inside dy (EXPLICIT 3 with a 3x3 stride-2 filter).
  CheckConv({4, 28, 28, 8}, {3, 3, 8, 12}, 2, "SAME", DT_FLOAT, 2);
  CheckConv({2, 11, 12, 3}, {3, 3, 3, 7}, 2, "VALID", DT_FLOAT, 2);
  CheckConv({1, 13, 11, 2}, {4, 4, 2, 5}, 3, "SAME", DT_FLOAT, 3);
  CheckConv({2, 9, 9, 40}, {3, 3, 40, 6}, 2, "SAME", DT_FLOAT, 2);
  CheckConv({2, 9, 7, 3}, {1, 1, 3, 5}, 2, "VALID", DT_FLOAT, 2);
  auto x = placeholder(float32, {2, 9, 10, 3}, "xp");
  auto w = placeholder(float32, {3, 2, 3, 4}, "wp");
  auto y = nn::conv2d(x, w, {1, 2, 3, 1}, "SAME");
  auto y3 = nn::conv2d(x, w, {1, 2, 2, 1}, {{0, 0}, {3, 3}, {1, 2}, {0, 0}});
  auto r = placeholder(float32, y.shape(), "rp");
  auto r3 = placeholder(float32, y3.shape(), "r3");
  auto grads = gradients(reduce_sum(y * r) + reduce_sum(y3 * r3), {x});
  ExpectSameAsReference(g, {grads[0]},
                        {{x, Random({2, 9, 10, 3})}, {w, Random({3, 2, 3, 4})}, {r, Random(y.shape().dims())},
                         {r3, Random(y3.shape().dims())}},
                        2, 2e-5);
}

TEST_F(LibraryKernelsTest, WideFloatConvolutionsRunInChannelGroupsAndMatchReference) {
  // The direct forward kernel takes more than 32 output channels in groups of 32 (the last one
  // partial). The filter gradient of such layers runs with taps in the lanes on AVX-512 hosts (runs
  // of 16 floats or more), through im2col otherwise.
  CheckConv({2, 7, 9, 40}, {3, 3, 40, 24}, 1, "SAME", DT_FLOAT, 2);  // input gradient: groups of 32 + 8
  CheckConv({2, 6, 6, 4}, {3, 3, 4, 48}, 1, "VALID", DT_FLOAT, 2);   // forward: 32 + 16
  CheckConv({2, 8, 8, 3}, {3, 3, 3, 64}, 2, "SAME", DT_FLOAT, 2);    // two full groups, strided
  CheckConv({2, 7, 8, 16}, {3, 3, 16, 42}, 1, "SAME", DT_FLOAT, 2);  // filter gradient: 10 x 4 + 2 channels
}

TEST_F(LibraryKernelsTest, FiltersTallerThanTheDirectKernelTakesGoThroughIm2col) {
  CheckConv({1, 20, 5, 2}, {17, 2, 2, 3}, 1, "VALID", DT_FLOAT, 2);
}

// One convolution of a fused-op test: its geometry and dtype, with the attrs and shapes its op needs.
struct FusedCase {
  std::vector<int64_t> input, filter;
  int64_t stride;
  const char* padding;
  DataType dtype;

  AttrMap Attrs(const std::string& fused_op) const {
    std::vector<std::string> ops = {fused_op};
    if (fused_op == "BiasAdd+Relu") ops = {"BiasAdd", "Relu"};
    return {{"strides", std::vector<int64_t>{1, stride, stride, 1}}, {"padding", std::string(padding)}, {"fused_ops", ops}};
  }
  std::vector<int64_t> OutputDims() const {
    auto d = MakeConvDims(input, filter, {1, stride, stride, 1}, padding);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::vector<int64_t>{d->n, d->oh, d->ow, d->o} : std::vector<int64_t>{};
  }
  double Tolerance() const { return dtype == DT_FLOAT ? 2e-5 : 1e-12; }
};

TEST_F(LibraryKernelsTest, FusedConvolutionEpiloguesMatchReference) {
  // Bias and ReLU applied in the direct kernel's registers (float, 1-2 groups, partial vectors), after
  // each im2col panel (double) and after a pointwise product; a NaN input must come out NaN.
  for (const FusedCase& c : {FusedCase{{2, 9, 7, 3}, {3, 3, 3, 5}, 1, "SAME", DT_FLOAT},
                             FusedCase{{2, 6, 21, 1}, {3, 3, 1, 4}, 1, "SAME", DT_FLOAT},  // planar
                             FusedCase{{2, 5, 9, 2}, {3, 3, 2, 3}, 1, "SAME", DT_FLOAT},   // planar, 3 channels
                             FusedCase{{2, 8, 8, 4}, {3, 3, 4, 44}, 2, "VALID", DT_FLOAT},
                             FusedCase{{2, 7, 6, 3}, {3, 2, 3, 6}, 1, "SAME", DT_DOUBLE},
                             FusedCase{{2, 5, 5, 4}, {1, 1, 4, 8}, 1, "VALID", DT_DOUBLE}}) {
    for (bool relu : {false, true}) {
      Graph graph;
      DefaultGraphGuard guard(graph);
      auto x = placeholder(c.dtype, Shape(c.input), "x");
      auto w = placeholder(c.dtype, Shape(c.filter), "w");
      auto b = placeholder(c.dtype, Shape({c.filter[3]}), "b");
      auto y = MakeOp("_FusedConv2D", {x, w, b}, c.Attrs(relu ? "BiasAdd+Relu" : "BiasAdd"));
      ASSERT_TRUE(testing::LibraryKernelCovers(*y.node, 2));
      Tensor input = Random(c.input, c.dtype);
      if (c.dtype == DT_FLOAT) input.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
      ExpectSameAsReference(graph, {y}, {{x, input}, {w, Random(c.filter, c.dtype)}, {b, Random({c.filter[3]}, c.dtype)}}, 2,
                            c.Tolerance());
    }
  }
}

TEST_F(LibraryKernelsTest, FusedMatMulEpiloguesMatchReference) {
  // The bias and ReLU applied to each block of the product as the GEMM finishes it: on the calling
  // thread (small), to row blocks, to column blocks, and after a split k's sum (both ways of summing),
  // every transpose. A NaN in A comes out NaN, through the ReLU too (as Relu's).
  struct Case {
    int64_t m, n, k;
  };
  for (const Case& c : {Case{5, 7, 3}, Case{200, 100, 64}, Case{40, 300, 100}, Case{16, 20, 5000}, Case{40, 16, 5000}}) {
    for (int t = 0; t < 4; ++t) {
      for (bool relu : {false, true}) {
        const bool ta = t & 1, tb = t & 2;
        Graph graph;
        DefaultGraphGuard guard(graph);
        const std::vector<int64_t> a_dims = ta ? std::vector<int64_t>{c.k, c.m} : std::vector<int64_t>{c.m, c.k};
        const std::vector<int64_t> b_dims = tb ? std::vector<int64_t>{c.n, c.k} : std::vector<int64_t>{c.k, c.n};
        auto a = placeholder(float32, Shape(a_dims), "a");
        auto b = placeholder(float32, Shape(b_dims), "b");
        auto bias = placeholder(float32, Shape({c.n}), "bias");
        std::vector<std::string> ops = {"BiasAdd"};
        if (relu) ops.push_back("Relu");
        auto y = MakeOp("_FusedMatMul", {a, b, bias},
                        {{"transpose_a", ta}, {"transpose_b", tb}, {"fused_ops", ops}, {"num_args", int64_t{1}}});
        ASSERT_TRUE(graph.build_status().ok()) << graph.build_status().ToString();
        ASSERT_TRUE(testing::LibraryKernelCovers(*y.node, 2));
        Tensor a_value = Random(a_dims);
        a_value.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
        ExpectSameAsReference(graph, {y}, {{a, a_value}, {b, Random(b_dims)}, {bias, Random({c.n})}}, 2,
                              2e-5 * std::sqrt(static_cast<double>(c.k)));
      }
    }
  }
}

TEST_F(LibraryKernelsTest, FusedInputGradientsWithReluGradMatchReference) {
  // The ReluGrad mask applied in the direct kernel's registers (float, stride 1, 1-2 channel groups
  // of the input gradient, a 4-channel half vector) and after each chunk of images (stride 2, double,
  // pointwise). Features hold zeros, negatives and a NaN (all masked to 0); a NaN gradient where the
  // feature is positive stays NaN.
  for (const FusedCase& c : {FusedCase{{2, 9, 7, 4}, {3, 3, 4, 6}, 1, "SAME", DT_FLOAT},
                             FusedCase{{2, 5, 19, 4}, {3, 3, 4, 8}, 1, "SAME", DT_FLOAT},  // planar, dy 8 x 8
                             FusedCase{{2, 8, 8, 40}, {3, 3, 40, 5}, 1, "VALID", DT_FLOAT},
                             FusedCase{{2, 8, 8, 3}, {3, 3, 3, 4}, 2, "SAME", DT_FLOAT},
                             FusedCase{{2, 9, 11, 8}, {3, 3, 8, 12}, 2, "SAME", DT_FLOAT},  // phases
                             FusedCase{{2, 7, 6, 3}, {3, 2, 3, 6}, 1, "SAME", DT_DOUBLE},
                             FusedCase{{2, 5, 5, 4}, {1, 1, 4, 8}, 1, "VALID", DT_DOUBLE}}) {
    Graph graph;
    DefaultGraphGuard guard(graph);
    const std::vector<int64_t> out = c.OutputDims();
    auto w = placeholder(c.dtype, Shape(c.filter), "w");
    auto dy = placeholder(c.dtype, Shape(out), "dy");
    auto features = placeholder(c.dtype, Shape(c.input), "features");
    auto dx = MakeOp("_FusedConv2DBackpropInput", {IntsLike(w, c.input), w, dy, features}, c.Attrs("ReluGrad"));
    ASSERT_TRUE(testing::LibraryKernelCovers(*dx.node, 3));
    Tensor f = Random(c.input, c.dtype), g = Random(out, c.dtype);
    if (c.dtype == DT_FLOAT) {
      f.data<float>()[1] = 0.0f;
      f.data<float>()[2] = std::numeric_limits<float>::quiet_NaN();
      g.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
    }
    ExpectSameAsReference(graph, {dx}, {{w, Random(c.filter, c.dtype)}, {dy, g}, {features, f}}, 3, c.Tolerance());
  }
}

TEST_F(LibraryKernelsTest, FusedFilterAndBiasGradientsMatchReference) {
  // The bias sums taken per image beside the direct filter gradient (float, both of its layouts),
  // per panel beside im2col (more than 32 output channels, and double), and beside a pointwise
  // product; 1 and 2 threads.
  for (const FusedCase& c : {FusedCase{{3, 9, 7, 4}, {3, 3, 4, 6}, 1, "SAME", DT_FLOAT},
                             FusedCase{{3, 8, 8, 1}, {5, 5, 1, 8}, 1, "SAME", DT_FLOAT},
                             FusedCase{{2, 8, 8, 3}, {3, 3, 3, 40}, 2, "VALID", DT_FLOAT},
                             FusedCase{{2, 7, 6, 3}, {3, 2, 3, 6}, 1, "SAME", DT_DOUBLE},
                             FusedCase{{2, 5, 5, 4}, {1, 1, 4, 8}, 1, "VALID", DT_DOUBLE}}) {
    for (int threads : {1, 2}) {
      Graph graph;
      DefaultGraphGuard guard(graph);
      const std::vector<int64_t> out = c.OutputDims();
      auto x = placeholder(c.dtype, Shape(c.input), "x");
      auto dy = placeholder(c.dtype, Shape(out), "dy");
      Node* fused = MakeNode("_FusedConv2DBackpropFilter", {x, IntsLike(x, c.filter), dy}, c.Attrs("BiasAddGrad"));
      ASSERT_NE(fused, nullptr);
      ASSERT_TRUE(testing::LibraryKernelCovers(*fused, threads));
      ExpectSameAsReference(graph, {Output(fused, 0), Output(fused, 1)},
                            {{x, Random(c.input, c.dtype)}, {dy, Random(out, c.dtype)}}, threads, c.Tolerance());
    }
  }
}

TEST_F(LibraryKernelsTest, LargeConvolutionSpanningManyPanelsMatchesReference) {
  // 800 taps per patch: 81 rows per panel, so panels cross image boundaries.
  CheckConv({3, 14, 14, 32}, {5, 5, 32, 16}, 1, "SAME", DT_FLOAT, 2);
}

TEST_F(LibraryKernelsTest, DisjointMaxPoolGradientMatchesReferenceWithTiesNaNsAndUncoveredPixels) {
  // Stride >= window: the vectorized path. 2x2/2 as the seeds pool (SAME pads the odd edge), 2x2/3
  // leaves pixels in no window, and NaNs at a window's first and later taps keep the reference's argmax.
  struct Case {
    std::vector<int64_t> ksize, strides;
    std::string padding;
  };
  for (const Case& c : {Case{{1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"}, Case{{1, 2, 2, 1}, {1, 2, 2, 1}, "VALID"},
                        Case{{1, 2, 2, 1}, {1, 3, 3, 1}, "VALID"}, Case{{1, 3, 1, 1}, {1, 3, 2, 1}, "SAME"}}) {
    for (bool ties : {false, true}) {
      Graph fresh;
      DefaultGraphGuard guard(fresh);
      auto x = placeholder(DT_FLOAT, Shape({3, 7, 9, 21}), "x");
      auto y = nn::max_pool(x, c.ksize, c.strides, c.padding);
      auto r = placeholder(DT_FLOAT, y.shape(), "r");
      auto dx = gradients(reduce_sum(y * r), {x})[0];
      Tensor xv = Random({3, 7, 9, 21}, DT_FLOAT, ties);
      float* v = xv.data<float>();
      v[0] = std::numeric_limits<float>::quiet_NaN();         // a window's first tap
      v[21 + 4] = std::numeric_limits<float>::quiet_NaN();    // a later tap of the same window
      v[9 * 21 + 30] = std::numeric_limits<float>::quiet_NaN();
      ExpectSameAsReference(fresh, {dx}, {{x, xv}, {r, Random(y.shape().dims())}}, 2, 0);
    }
  }
}

TEST_F(LibraryKernelsTest, TilingTwoByTwoPoolsMatchReferenceWithTiesAndNaNs) {
  // 2x2 windows of stride 2 covering even images exactly (the seeds' pools) take their own path:
  // the maximum and the argmax over the four taps in the reference's order.
  for (DataType dtype : {DT_FLOAT, DT_DOUBLE}) {
    for (bool ties : {false, true}) {
      Graph fresh;
      DefaultGraphGuard guard(fresh);
      auto x = placeholder(dtype, Shape({3, 8, 10, 21}), "x");
      auto y = nn::max_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, ties ? "SAME" : "VALID");
      auto r = placeholder(dtype, y.shape(), "r");
      auto dx = gradients(reduce_sum(y * r), {x})[0];
      ASSERT_TRUE(testing::LibraryKernelCovers(*y.node, 2));
      Tensor xv = Random({3, 8, 10, 21}, dtype, ties);
      if (dtype == DT_FLOAT) {
        float* v = xv.data<float>();
        v[0] = std::numeric_limits<float>::quiet_NaN();        // a window's first tap
        v[21 + 4] = std::numeric_limits<float>::quiet_NaN();   // the second tap of another channel's window
        v[10 * 21 + 30] = std::numeric_limits<float>::quiet_NaN();  // a bottom tap
      }
      ExpectSameAsReference(fresh, {y, dx}, {{x, xv}, {r, Random(y.shape().dims(), dtype)}}, 2, 0);
    }
  }
}

TEST_F(LibraryKernelsTest, MaxPoolAndGradientMatchReferenceIncludingTies) {
  for (bool ties : {false, true}) {
    for (const std::string padding : {"VALID", "SAME"}) {
      Graph fresh;
      DefaultGraphGuard guard(fresh);
      auto x = placeholder(DT_FLOAT, Shape({3, 7, 9, 5}), "x");
      auto y = nn::max_pool(x, {1, 3, 2, 1}, {1, 2, 2, 1}, padding);
      auto r = placeholder(DT_FLOAT, y.shape(), "r");
      auto dx = gradients(reduce_sum(y * r), {x})[0];
      ExpectSameAsReference(fresh, {y, dx}, {{x, Random({3, 7, 9, 5}, DT_FLOAT, ties)}, {r, Random(y.shape().dims())}},
                            2, 0);
    }
  }
}

TEST_F(LibraryKernelsTest, MatMulMatchesReferenceForEveryTransposeCase) {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      auto a = placeholder(DT_FLOAT, Shape(ta ? std::vector<int64_t>{70, 130} : std::vector<int64_t>{130, 70}));
      auto b = placeholder(DT_FLOAT, Shape(tb ? std::vector<int64_t>{90, 70} : std::vector<int64_t>{70, 90}));
      auto c = matmul(a, b, ta, tb);
      ExpectSameAsReference(g, {c}, {{a, Random(a.shape().dims())}, {b, Random(b.shape().dims())}}, 2, 1e-5);
    }
  }
}

TEST_F(LibraryKernelsTest, IntegerMatMulStaysOnTheReferenceKernel) {
  auto a = constant(Tensor::FromVector<int32_t>({1, 2, 3, 4}, {2, 2}));
  auto c = matmul(a, a);
  ExpectSameAsReference(g, {c}, {}, 2, 0);
}

}  // namespace
}  // namespace kiln
