// Claims that two independent samples (replicates of two ways to run the
// same model) agree, judged together: each claim's two-sided Welch t-test
// uses the t distribution for its Welch-Satterthwaite degrees of freedom,
// and the claims of one test share a family-wise error rate through Holm's
// step-down correction. A claim fails when its difference is significant.
// Every claim's t, the critical value it had to stay under and the margin
// are printed, pass or fail.
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

class SampleAgreement {
 public:
  // Family-wise error rate over all the claims of the test.
  explicit SampleAgreement(double alpha = 0.05) : alpha_(alpha) {}

  // A claim that `a` and `b`, one figure per replicate each, have the same
  // mean.
  void claim(std::string name, const std::vector<double>& a, const std::vector<double>& b) {
    Claim c{std::move(name)};
    const auto [mean_a, var_a] = moments(a);
    const auto [mean_b, var_b] = moments(b);
    const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    c.mean_a = mean_a;
    c.mean_b = mean_b;
    const double se2 = var_a / na + var_b / nb;
    c.standard_error = std::sqrt(se2);
    c.t = c.standard_error > 0 ? (mean_b - mean_a) / c.standard_error : (mean_a == mean_b ? 0.0 : INFINITY);
    c.df = se2 > 0 ? se2 * se2 / (std::pow(var_a / na, 2) / (na - 1) + std::pow(var_b / nb, 2) / (nb - 1))
                   : na + nb - 2;
    const boost::math::students_t t_distribution(std::max(1.0, c.df));
    c.p = std::isfinite(c.t) ? 2 * boost::math::cdf(boost::math::complement(t_distribution, std::abs(c.t)))
                             : 0.0;
    claims_.push_back(std::move(c));
  }

  // Holm's step-down test at the family-wise rate: the k-th smallest p-value
  // (k from 0) is a significant difference when below alpha / (m - k), as
  // long as every smaller one was. Reports every claim through gtest and on
  // stdout; a claim holds when its difference is not significant.
  void expect_all_agree() {
    const std::size_t m = claims_.size();
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return claims_[a].p < claims_[b].p; });
    bool still_rejecting = true;
    for (std::size_t k = 0; k < m; ++k) {
      Claim& c = claims_[order[k]];
      const double level = alpha_ / static_cast<double>(m - k);
      const boost::math::students_t t_distribution(std::max(1.0, c.df));
      c.critical = boost::math::quantile(boost::math::complement(t_distribution, level / 2));
      const bool significant = still_rejecting && c.p < level;
      still_rejecting = significant;
      c.agrees = !significant;
    }
    for (const Claim& c : claims_) {
      char line[512];
      std::snprintf(line, sizeof line,
                    "%s %s: %.5g vs %.5g (difference s.e. %.3g, Welch df %.1f), |t| = %.2f, must stay under "
                    "%.2f (Holm, family-wise %.2g over %zu claims): margin %+.2f",
                    c.agrees ? "agrees" : "DIFFERS", c.name.c_str(), c.mean_a, c.mean_b, c.standard_error,
                    c.df, std::abs(c.t), c.critical, alpha_, m, c.critical - std::abs(c.t));
      std::printf("%s\n", line);
      ::testing::Test::RecordProperty(c.name, line);
      EXPECT_TRUE(c.agrees) << line;
    }
  }

 private:
  struct Claim {
    std::string name;
    double mean_a = 0, mean_b = 0, standard_error = 0, t = 0, df = 0, p = 1, critical = 0;
    bool agrees = false;
  };
  static std::pair<double, double> moments(const std::vector<double>& x) {
    const double n = static_cast<double>(x.size());
    const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
    double ss = 0;
    for (const double v : x) ss += (v - mean) * (v - mean);
    return {mean, x.size() > 1 ? ss / (n - 1) : 0.0};
  }
  double alpha_;
  std::vector<Claim> claims_;
};

}  // namespace tipsim::test
