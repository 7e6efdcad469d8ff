// A value put into one cell of a series, for tests that build the series a
// view reads by hand.
#pragma once

#include <cstddef>

#include "metrics.hpp"

namespace tipsim::viz::testing {

// The value of metric m in `region` and `category` at `step`.
inline void set(Series& s, std::size_t step, Metric m, std::size_t region, std::size_t category,
                double value) {
  s.frame(step)[s.layout().index(m, region, category)] = value;
}

}  // namespace tipsim::viz::testing
