// Directional claims about paired replicates (common random numbers), judged
// together: each claim's one-sided paired t-test uses the t distribution for
// its number of pairs, and the claims of one test share a family-wise error
// rate through Holm's step-down correction. Every claim's t, the critical
// value it had to pass and the margin are printed, pass or fail.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

namespace tipsim::test {

// The claims of one test: "figure moves up (or down) from low to high".
class PairedClaims {
 public:
  // Family-wise error rate over all the claims of the test.
  explicit PairedClaims(double alpha = 0.05) : alpha_(alpha) {}

  // A claim that `high - low`, pair by pair, is positive (direction +1) or
  // negative (-1). The vectors hold one figure per replicate.
  void claim(std::string name, const std::vector<double>& low, const std::vector<double>& high,
             int direction) {
    Claim c{std::move(name), direction};
    const std::size_t n = std::min(low.size(), high.size());
    c.pairs = n;
    double sum = 0;
    for (std::size_t r = 0; r < n; ++r) sum += high[r] - low[r];
    c.mean = sum / static_cast<double>(n);
    double ss = 0;
    for (std::size_t r = 0; r < n; ++r) ss += std::pow(high[r] - low[r] - c.mean, 2);
    c.standard_error = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n)) : 0;
    c.t = c.standard_error > 0 ? direction * c.mean / c.standard_error
                               : (direction * c.mean > 0 ? INFINITY : -INFINITY);
    if (n > 1) {
      const boost::math::students_t t_distribution(static_cast<double>(n - 1));
      c.p = std::isfinite(c.t) ? boost::math::cdf(boost::math::complement(t_distribution, c.t))
                               : (c.t > 0 ? 0.0 : 1.0);
    }
    claims_.push_back(std::move(c));
  }

  // Holm's step-down test at the family-wise rate: the k-th smallest p-value
  // (k from 0) must be below alpha / (m - k), and once one fails every larger
  // one fails too. Reports every claim through gtest and on stdout.
  void expect_all_hold() {
    const std::size_t m = claims_.size();
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return claims_[a].p < claims_[b].p; });
    bool rejected_so_far = true;
    for (std::size_t k = 0; k < m; ++k) {
      Claim& c = claims_[order[k]];
      const double level = alpha_ / static_cast<double>(m - k);
      const boost::math::students_t t_distribution(
          static_cast<double>(std::max<std::size_t>(c.pairs, 2) - 1));
      c.critical = boost::math::quantile(boost::math::complement(t_distribution, level));
      c.holds = rejected_so_far && c.pairs > 1 && c.p < level;
      rejected_so_far = c.holds;
    }
    for (const Claim& c : claims_) {
      char line[512];
      std::snprintf(line, sizeof line,
                    "%s %s: paired difference %+.4g (s.e. %.3g, %zu pairs), t = %.2f, needs > %.2f "
                    "(Holm, family-wise %.2g over %zu claims): margin %+.2f",
                    c.holds ? "holds " : "FAILS ", c.name.c_str(), c.mean, c.standard_error, c.pairs, c.t,
                    c.critical, alpha_, m, c.t - c.critical);
      std::printf("%s\n", line);
      ::testing::Test::RecordProperty(c.name, line);
      EXPECT_TRUE(c.holds) << line;
    }
  }

 private:
  struct Claim {
    std::string name;
    int direction = 1;
    std::size_t pairs = 0;
    double mean = 0, standard_error = 0, t = 0, p = 1, critical = 0;
    bool holds = false;
  };
  double alpha_;
  std::vector<Claim> claims_;
};

}  // namespace tipsim::test
