// PlanBroadcast: which dims merge, the strides each input gets, and the shapes it rejects.
#include "codegen/broadcast_layout.h"

#include <gtest/gtest.h>

namespace kiln::codegen {
namespace {

using Dims = std::vector<int64_t>;

BroadcastLayout Plan(const Dims& shape, const std::vector<Dims>& inputs) {
  StatusOr<BroadcastLayout> layout = PlanBroadcast(shape, inputs);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  return layout.ok() ? *layout : BroadcastLayout{};
}

TEST(BroadcastLayoutTest, SameShapesAndScalarsAreFlat) {
  BroadcastLayout l = Plan({8, 4, 16}, {{8, 4, 16}, {}, {1, 1}});
  EXPECT_TRUE(l.is_flat());
  EXPECT_EQ(l.dims, Dims({512}));
  EXPECT_EQ(l.strides, (std::vector<Dims>{{1}, {0}, {0}}));
  EXPECT_EQ(l.num_elements, 512);
}

TEST(BroadcastLayoutTest, BiasMergesTheOuterDims) {
  BroadcastLayout l = Plan({8, 4, 4, 16}, {{8, 4, 4, 16}, {16}});
  EXPECT_EQ(l.dims, Dims({128, 16}));
  EXPECT_EQ(l.strides, (std::vector<Dims>{{16, 1}, {0, 1}}));
}

TEST(BroadcastLayoutTest, NchwBiasAndColumnsKeepTheirOwnDims) {
  BroadcastLayout nchw = Plan({2, 3, 4, 5}, {{2, 3, 4, 5}, {3, 1, 1}});
  EXPECT_EQ(nchw.dims, Dims({2, 3, 20}));
  EXPECT_EQ(nchw.strides, (std::vector<Dims>{{60, 20, 1}, {0, 1, 0}}));
  BroadcastLayout column = Plan({6, 7}, {{6, 1}, {7}});
  EXPECT_EQ(column.dims, Dims({6, 7}));
  EXPECT_EQ(column.strides, (std::vector<Dims>{{1, 0}, {0, 1}}));
}

TEST(BroadcastLayoutTest, SizeOneDimsAreDropped) {
  BroadcastLayout l = Plan({1, 5, 1, 3}, {{5, 1, 3}, {1, 1, 3}});
  EXPECT_EQ(l.dims, Dims({5, 3}));
  EXPECT_EQ(l.strides, (std::vector<Dims>{{3, 1}, {0, 1}}));
  BroadcastLayout one = Plan({1, 1}, {{1}, {}});
  EXPECT_EQ(one.dims, Dims({1}));
  EXPECT_EQ(one.num_elements, 1);
}

TEST(BroadcastLayoutTest, EmptyShapesIterateNothing) {
  BroadcastLayout l = Plan({4, 0, 3}, {{4, 0, 3}, {3}});
  EXPECT_EQ(l.num_elements, 0);
  EXPECT_EQ(l.dims, Dims({0}));
}

TEST(BroadcastLayoutTest, RejectsShapesThatDoNotBroadcast) {
  for (const auto& [shape, input, message] : std::vector<std::tuple<Dims, Dims, std::string>>{
           {{4, 5}, {4}, "input 0 of shape [4] does not broadcast to [4,5]"},
           {{5}, {2, 5}, "higher rank"},
           {{-1, 5}, {5}, "negative or unknown"},
       }) {
    StatusOr<BroadcastLayout> l = PlanBroadcast(shape, {input});
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.status().message().find(message), std::string::npos) << l.status().message();
  }
}

}  // namespace
}  // namespace kiln::codegen
