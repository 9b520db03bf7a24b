// Conv2D (SAME, VALID and EXPLICIT padding), MaxPool and AvgPool: hand values, TensorFlow's outputs and gradients (fixture written by
// tests/tools/make_tf_fixtures.py), central differences, and shape errors.
#include <cmath>
#include <filesystem>

#include "passes/gradients.h"
#include "runtime/data/npy.h"
#include "tests/testing/op_testing.h"

namespace kiln {
namespace {

using testing::Eval;
using testing::ExpectValues;
using testing::MaxGradientError;
using testing::ToDoubles;
using testing::Values;
using ConvPoolTest = testing::GraphTest;

TEST_F(ConvPoolTest, ConvolutionMatchesHandValues) {
  // 3x3 input 1..9, 2x2 filter of ones, VALID stride 1: sums of each 2x2 window.
  auto x = constant(Values({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1}));
  auto w = constant(Values({1, 1, 1, 1}, {2, 2, 1, 1}));
  ExpectValues(Eval(nn::conv2d(x, w, {1, 1, 1, 1}, "VALID")), {1, 2, 2, 1}, {12, 16, 24, 28});
  // SAME pads one row/column after (TF puts the odd padding last): the last windows see zeros.
  ExpectValues(Eval(nn::conv2d(x, w, {1, 1, 1, 1}, "SAME")), {1, 3, 3, 1}, {12, 16, 9, 24, 28, 15, 15, 17, 9});
  ExpectValues(Eval(nn::conv2d(x, w, {1, 2, 2, 1}, "SAME")), {1, 2, 2, 1}, {12, 9, 15, 9});
}

TEST_F(ConvPoolTest, PoolingMatchesHandValuesAndIgnoresPadding) {
  auto x = constant(Values({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1}));
  ExpectValues(Eval(nn::max_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID")), {1, 1, 1, 1}, {5});
  ExpectValues(Eval(nn::max_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, "SAME")), {1, 2, 2, 1}, {5, 6, 8, 9});
  // SAME average over in-bounds elements only: [1,2,4,5], [3,6], [7,8], [9].
  ExpectValues(Eval(nn::avg_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, "SAME")), {1, 2, 2, 1}, {3, 4.5, 7.5, 9});
}

TEST_F(ConvPoolTest, ShapesAndErrors) {
  auto x = placeholder(float32, {-1, 28, 28, 1}, "x");
  auto w = placeholder(float32, {5, 5, 1, 32}, "w");
  EXPECT_EQ(nn::conv2d(x, w, {1, 1, 1, 1}, "SAME").shape().ToString(), "[?,28,28,32]");
  EXPECT_EQ(nn::conv2d(x, w, {1, 2, 2, 1}, "VALID").shape().ToString(), "[?,12,12,32]");
  EXPECT_EQ(nn::max_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, "SAME").shape().ToString(), "[?,14,14,1]");
  auto bad = placeholder(float32, {5, 5, 3, 32}, "bad");
  EXPECT_FALSE(nn::conv2d(x, bad, {1, 1, 1, 1}, "SAME"));
  EXPECT_NE(g.build_status().message().find("Dimensions must be equal, but are 1 and 3"), std::string::npos)
      << g.build_status().message();
}

TEST_F(ConvPoolTest, ExplicitPaddingMatchesHandValuesAndItsGradientsCentralDifferences) {
  // tf.nn.conv2d with padding [[0, 0], [1, 0], [0, 2], [0, 0]]: a row of zeros above, two columns after.
  auto x = constant(Values({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1}));
  auto w = constant(Values({1, 1, 1, 1}, {2, 2, 1, 1}));
  auto y = nn::conv2d(x, w, {1, 1, 1, 1}, std::vector<std::vector<int64_t>>{{0, 0}, {1, 0}, {0, 2}, {0, 0}});
  EXPECT_EQ(y.node->attr<std::string>("padding"), "EXPLICIT");
  ExpectValues(Eval(y), {1, 3, 4, 1}, {3, 5, 3, 0, 12, 16, 9, 0, 24, 28, 15, 0});
  auto xp = placeholder(float64, {1, 5, 4, 2}, "xp");
  auto wp = placeholder(float64, {3, 2, 2, 3}, "wp");
  std::vector<double> xv(40), wv(36);
  for (int i = 0; i < 40; ++i) xv[i] = std::sin(0.7 * i) + 0.013 * i;
  for (int i = 0; i < 36; ++i) wv[i] = std::cos(0.3 * i);
  auto z = nn::conv2d(xp, wp, {1, 2, 1, 1}, std::vector<std::vector<int64_t>>{{0, 0}, {2, 1}, {0, 3}, {0, 0}});
  EXPECT_LT(MaxGradientError(z, {xp, wp}, {Values(xv, {1, 5, 4, 2}, DT_DOUBLE), Values(wv, {3, 2, 2, 3}, DT_DOUBLE)}),
            testing::kGradTolerance);
}

TEST_F(ConvPoolTest, BadExplicitPaddingIsAnErrorNamingTheNode) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 1}, "w");
  // Three pairs where TF wants four (one per NHWC dimension).
  EXPECT_FALSE(nn::conv2d(x, w, {1, 1, 1, 1}, std::vector<std::vector<int64_t>>{{0, 0}, {1, 1}, {1, 1}}, "three"));
  EXPECT_NE(g.build_status().message().find("explicit_paddings must have 8 entries"), std::string::npos)
      << g.build_status().message();
  EXPECT_NE(g.build_status().message().find("three"), std::string::npos) << g.build_status().message();
}

TEST_F(ConvPoolTest, ChannelExplicitPaddingIsAnError) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 1}, "w");
  EXPECT_FALSE(nn::conv2d(x, w, {1, 1, 1, 1}, std::vector<std::vector<int64_t>>{{0, 0}, {1, 1}, {1, 1}, {0, 1}}));
  EXPECT_NE(g.build_status().message().find("batch or channel"), std::string::npos) << g.build_status().message();
}

TEST_F(ConvPoolTest, NegativeExplicitPaddingIsAnError) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 1}, "w");
  EXPECT_FALSE(nn::conv2d(x, w, {1, 1, 1, 1}, std::vector<std::vector<int64_t>>{{0, 0}, {-1, 1}, {1, 1}, {0, 0}}));
  EXPECT_NE(g.build_status().message().find("non-negative"), std::string::npos) << g.build_status().message();
}

TEST_F(ConvPoolTest, UnsupportedAttrsAreErrors) {
  auto x = placeholder(float32, {1, 4, 4, 1}, "x");
  auto w = placeholder(float32, {2, 2, 1, 1}, "w");
  EXPECT_FALSE(nn::conv2d(x, w, {1, 1, 1, 1}, "EXPLICIT"));  // without its explicit_paddings
  EXPECT_FALSE(nn::conv2d(x, w, {2, 1, 1, 1}, "SAME"));
  EXPECT_FALSE(nn::max_pool(x, {1, 5, 5, 1}, {1, 1, 1, 1}, "VALID"));
}

TEST_F(ConvPoolTest, GradientsMatchCentralDifferences) {
  auto x = placeholder(float64, {1, 5, 4, 2}, "x");
  auto w = placeholder(float64, {3, 2, 2, 3}, "w");
  std::vector<double> xv(40), wv(36);
  for (int i = 0; i < 40; ++i) xv[i] = std::sin(0.7 * i) + 0.013 * i;
  for (int i = 0; i < 36; ++i) wv[i] = std::cos(0.3 * i);
  Tensor xt = Values(xv, {1, 5, 4, 2}, DT_DOUBLE), wt = Values(wv, {3, 2, 2, 3}, DT_DOUBLE);
  for (auto [strides, padding] : {std::pair{std::vector<int64_t>{1, 1, 1, 1}, "SAME"},
                                  std::pair{std::vector<int64_t>{1, 2, 1, 1}, "VALID"},
                                  std::pair{std::vector<int64_t>{1, 2, 3, 1}, "SAME"}}) {
    EXPECT_LT(MaxGradientError(nn::conv2d(x, w, strides, padding), {x, w}, {xt, wt}), testing::kGradTolerance) << padding;
  }
  // Distinct values, so max-pool windows have a unique maximum and the function is smooth.
  EXPECT_LT(MaxGradientError(nn::max_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"), {x}, {xt}), testing::kGradTolerance);
  EXPECT_LT(MaxGradientError(nn::avg_pool(x, {1, 3, 2, 1}, {1, 2, 1, 1}, "SAME"), {x}, {xt}), testing::kGradTolerance);
}

// Builds the fixture's op in Kiln and compares y and d(sum(y * seed))/dx with TensorFlow's.
TEST_F(ConvPoolTest, OutputsAndGradientsMatchTensorFlow) {
  std::filesystem::path dir = std::filesystem::path(KILN_TEST_DATA) / "tf" / "conv_pool";
  if (!std::filesystem::exists(dir / "x.npy")) GTEST_SKIP() << "fixture missing";
  auto npy = [&](const std::string& name) { return data::ReadNpy((dir / (name + ".npy")).string()).value(); };
  Tensor xv = npy("x");
  auto x = placeholder(float64, Shape(xv.dims()), "x");
  struct Case {
    std::string name;
    Output y;
  };
  std::vector<Case> cases = {
      {"conv_same_s1", nn::conv2d(x, constant(npy("conv_same_s1_w")), {1, 1, 1, 1}, "SAME")},
      {"conv_valid_s2", nn::conv2d(x, constant(npy("conv_valid_s2_w")), {1, 2, 2, 1}, "VALID")},
      {"conv_same_s2", nn::conv2d(x, constant(npy("conv_same_s2_w")), {1, 2, 3, 1}, "SAME")},
      {"max_valid", nn::max_pool(x, {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID")},
      {"max_same", nn::max_pool(x, {1, 3, 3, 1}, {1, 2, 2, 1}, "SAME")},
      {"avg_same", nn::avg_pool(x, {1, 3, 3, 1}, {1, 2, 2, 1}, "SAME")},
      {"avg_valid", nn::avg_pool(x, {1, 2, 2, 1}, {1, 1, 1, 1}, "VALID")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto grads = Gradients({reduce_sum(c.y * constant(npy(c.name + "_seed")))}, {x});
    ASSERT_TRUE(grads.ok()) << grads.status().ToString();
    Session sess(g);
    auto out = sess.run({c.y, (*grads)[0]}, {{x, xv}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    Tensor ty = npy(c.name + "_y"), tdx = npy(c.name + "_dx");
    ExpectValues((*out)[0], ty.dims(), ToDoubles(ty), 1e-9);
    ExpectValues((*out)[1], tdx.dims(), ToDoubles(tdx), 1e-9);
  }
}

}  // namespace
}  // namespace kiln
