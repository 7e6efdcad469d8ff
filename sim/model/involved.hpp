// Passes over the involved persons that act in id order (shared places,
// the metrics' sums, the event log) but only on the few a test picks: the
// tests, which read, run in parallel; the acts follow, in order.
#pragma once

#include <tbb/parallel_for.h>

#include <cstdint>
#include <vector>

#include "scratch_buffer.hpp"
#include "state.hpp"

namespace tipsim {

// Calls act(i) for every involved person i, in id order, for whom test(i)
// holds. Every test runs before any act, so an act must not change what
// another person's test reads. `marks` is scratch (one per involved person).
template <typename Test, typename Act>
void for_each_involved_where(const State& state, std::vector<std::uint8_t>& marks, Test&& test, Act&& act) {
  const std::vector<std::uint32_t>& involved = state.involved;
  fill_buffer(marks, involved.size(), std::uint8_t{0});
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, involved.size(), 4096), [&](const auto& range) {
    for (std::size_t k = range.begin(); k != range.end(); ++k) marks[k] = test(involved[k]) ? 1 : 0;
  });
  for (std::size_t k = 0; k < involved.size(); ++k)
    if (marks[k]) act(involved[k]);
}

}  // namespace tipsim
