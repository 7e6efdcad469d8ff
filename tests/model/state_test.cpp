// The state's own operations (state.hpp): the grouping of the traffickers
// in the trade that the market, recruitment and prosecution phases make
// every step.
#include "state.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cstdint>
#include <vector>

namespace tipsim {
namespace {

// Grouping counts and places fixed slices of the trade in parallel (8 192
// traffickers a slice); the groups must be those of one pass in id order,
// at any thread count. 50 000 traffickers make seven slices, of which the
// last is partial; a third are left out, and seven groups interleave.
TEST(Traffickers, GroupingInParallelSlicesIsOnePassInIdOrderAtAnyThreadCount) {
  constexpr std::size_t kTraffickers = 50'000, kGroups = 7;
  Traffickers tr;
  for (std::size_t t = 0; t < kTraffickers; ++t) tr.add(0, Method::DeceptiveJobOffer, Market::Sexual, 0, 1);
  auto keep = [](std::size_t t) { return (t * 2654435761u) % 3 != 0; };
  auto group_of = [](std::size_t t) { return (t * 40503u >> 5) % kGroups; };

  std::vector<std::uint32_t> expected_offsets{0};
  std::vector<std::int32_t> expected_ids;
  for (std::size_t g = 0; g < kGroups; ++g) {
    for (const std::int32_t t : tr.in_trade)
      if (keep(static_cast<std::size_t>(t)) && group_of(static_cast<std::size_t>(t)) == g)
        expected_ids.push_back(t);
    expected_offsets.push_back(static_cast<std::uint32_t>(expected_ids.size()));
  }
  ASSERT_GT(expected_ids.size(), 4 * 8192u);

  for (const std::size_t threads : {1u, 2u, 8u}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    std::vector<std::uint32_t> offsets, cursors;
    std::vector<std::int32_t> ids;
    tr.group_in_trade(kGroups, keep, group_of, offsets, ids, cursors);
    EXPECT_EQ(offsets, expected_offsets) << threads << " threads";
    EXPECT_EQ(ids, expected_ids) << threads << " threads";
  }
}

}  // namespace
}  // namespace tipsim
