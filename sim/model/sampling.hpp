// Visiting a random subset of a block of persons, each independently with
// probability p, in O(p x size) time: the gaps between visited persons are
// geometric. This keeps the quiet majority cheap: a pass costs in
// proportion to the people it touches, not to the population.
#pragma once

#include <cmath>
#include <cstdint>

#include "random.hpp"

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

}  // namespace tipsim
