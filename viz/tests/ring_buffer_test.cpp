#include "ring_buffer.hpp"

#include <gtest/gtest.h>

namespace tipsim::viz {
namespace {

TEST(RingBuffer, KeepsItemsInOrderUntilFull) {
  RingBuffer<int> b(3);
  EXPECT_TRUE(b.empty());
  b.push(1);
  b.push(2);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_FALSE(b.full());
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[1], 2);
  EXPECT_EQ(b.from_newest(0), 2);
}

TEST(RingBuffer, DropsTheOldestWhenFull) {
  RingBuffer<int> b(3);
  for (int i = 1; i <= 5; ++i) b.push(i);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_TRUE(b.full());
  EXPECT_EQ(b[0], 3);
  EXPECT_EQ(b[1], 4);
  EXPECT_EQ(b[2], 5);
  EXPECT_EQ(b.from_newest(0), 5);
  EXPECT_EQ(b.from_newest(2), 3);
}

TEST(RingBuffer, ClearStartsAgainAndZeroCapacityMeansOne) {
  RingBuffer<int> b(2);
  b.push(1);
  b.push(2);
  b.push(3);
  b.clear();
  EXPECT_TRUE(b.empty());
  b.push(7);
  EXPECT_EQ(b[0], 7);
  RingBuffer<int> one(0);
  EXPECT_EQ(one.capacity(), 1u);
  one.push(4);
  one.push(5);
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], 5);
}

}  // namespace
}  // namespace tipsim::viz
