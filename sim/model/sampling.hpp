// Visiting a random subset of a block of persons, each independently with
// probability p, in O(p x size) time: the gaps between visited persons are
// geometric. This keeps the quiet majority cheap: a pass costs in
// proportion to the people it touches, not to the population.
//
// Also the largest keys of a weighted sample without replacement, found
// without a logarithm for most of the items.
#pragma once

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "random.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

// Rounds x >= 0 down or up at random (`u` a uniform draw) so that the
// expectation is x: a fractional investigation, trafficker or person happens
// or not.
inline std::uint64_t stochastic_round(double x, double u) {
  const double whole = std::floor(x);
  return static_cast<std::uint64_t>(whole) + (u < x - whole ? 1 : 0);
}

// Calls visit(person) for each person of [begin, end) selected with
// probability p, in increasing order. Uses draws 0, 1, 2, ... of `stream`.
template <typename Visit>
void for_each_sampled(Stream& stream, std::uint32_t begin, std::uint32_t end, double p, Visit&& visit) {
  if (!(p > 0) || begin >= end) return;
  if (p >= 1) {
    for (std::uint32_t i = begin; i < end; ++i) visit(i);
    return;
  }
  const double log_q = std::log1p(-p);
  std::uint32_t draw = 0;
  std::uint64_t i = begin + stream.geometric_gap_of_log(draw++, log_q);
  while (i < end) {
    visit(static_cast<std::uint32_t>(i));
    i += 1 + stream.geometric_gap_of_log(draw++, log_q);
  }
}

// Buffers of largest_sampling_keys, kept from step to step: the sampled
// keys that set the threshold, the pairs each block keeps, all of them.
struct SamplingKeys {
  std::vector<double> sampled;
  std::vector<std::vector<std::pair<double, std::int32_t>>> by_block;
  std::vector<std::pair<double, std::int32_t>> keys;
};

// A weighted sample of `chosen` among n items without replacement
// (Efraimidis-Spirakis): the items with the largest keys log(u) / w, u =
// draw(x) and w = weight(x) > 0 (items of no weight, or NaN, never), ties
// broken by the smaller id(x). Returns them in `sc.keys`, its first `chosen`
// entries, largest first; `chosen` at most the number with weight. The
// same as keying every item and sorting, but only the keys at or above a
// threshold no larger than the chosen-th need their logarithm: the exact
// keys of every s-th item, s about n / sqrt(n x chosen), give it (a
// subset's chosen-th largest is no larger than the whole's), and since
// log(u) <= u - 1, an item whose (u - 1) / w is below it (less a margin
// for rounding) is passed over. Each block of 65 536 items keeps its own
// pairs, in parallel; the largest are the same in any order.
template <typename Weight, typename Draw, typename Id>
void largest_sampling_keys(std::size_t n, std::size_t chosen, Weight&& weight, Draw&& draw, Id&& id,
                           SamplingKeys& sc) {
  sc.keys.clear();
  if (chosen == 0) return;
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  const auto key = [&](std::size_t x) {
    const double w = weight(x);
    return w > 0 ? std::log(draw(x)) / w : kNone;
  };
  const auto spread =
      static_cast<std::size_t>(std::sqrt(static_cast<double>(n) * static_cast<double>(chosen)));
  const std::size_t stride = std::max<std::size_t>(1, n / std::max(spread, 8 * chosen));
  size_buffer(sc.sampled, (n + stride - 1) / stride);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, sc.sampled.size(), 1024), [&](const auto& range) {
    for (std::size_t j = range.begin(); j != range.end(); ++j) sc.sampled[j] = key(j * stride);
  });
  double threshold = kNone;
  if (sc.sampled.size() >= chosen) {
    std::nth_element(sc.sampled.begin(), sc.sampled.begin() + static_cast<std::ptrdiff_t>(chosen - 1),
                     sc.sampled.end(), std::greater<>());
    threshold = sc.sampled[chosen - 1];
  }
  const double below = threshold - std::abs(threshold) * 1e-9;
  constexpr std::size_t kBlock = std::size_t{1} << 16;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  sc.by_block.resize(std::max(sc.by_block.size(), blocks));
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
    std::vector<std::pair<double, std::int32_t>>& kept = sc.by_block[b];
    kept.clear();
    const std::size_t end = std::min(n, (b + 1) * kBlock);
    for (std::size_t x = b * kBlock; x < end; ++x) {
      const double w = weight(x);
      if (!(w > 0)) continue;
      const double u = draw(x);
      if ((u - 1.0) / w < below) continue;
      kept.emplace_back(std::log(u) / w, id(x));
    }
  });
  for (std::size_t b = 0; b < blocks; ++b)
    sc.keys.insert(sc.keys.end(), sc.by_block[b].begin(), sc.by_block[b].end());
  const std::size_t taken = std::min(chosen, sc.keys.size());
  std::partial_sort(sc.keys.begin(), sc.keys.begin() + static_cast<std::ptrdiff_t>(taken), sc.keys.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
}

}  // namespace tipsim
