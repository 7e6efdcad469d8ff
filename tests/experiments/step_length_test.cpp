// Durations are set in days and years, not in steps: the same world run at
// 7-day and at 1-day steps gives the same mean transit time, shelter stay,
// prison spell and wait from charge to verdict, read from the event log of
// each run.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "collected_runs.hpp"
#include "events.hpp"
#include "experiment.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;

constexpr double kTransitDays = 10;        // the route's: 1 3/7 weekly steps
constexpr double kServiceYears = 0.3;      // 109.5 days
constexpr double kSentenceYears = 0.25;    // 91.25 days
constexpr double kPreparationYears = 0.1;  // 36.5 days from charge to trial
constexpr double kYears = 3;

// A busy two-region world with one cross-border route, many convictions and
// short stays, so that every spell happens often within three years.
Scenario busy_world(double step_days) {
  Scenario s =
      test::tiny_scenario(60000, 2, static_cast<std::int32_t>(std::lround(kYears * 365 / step_days)), 97);
  set_param(s, Param::scenario_step_days, step_days);
  set_param(s, Param::traffickers_initial_per_100k, 400);
  set_param(s, Param::traffickers_entry_per_100k, 200);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 40);
  set_param(s, Param::prosecution_prosecution_base, 0.9);
  set_param(s, Param::prosecution_conviction_base, 0.9);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 40);
  set_param(s, Param::policy_protection_service_years, kServiceYears);
  set_param(s, Param::policy_prosecution_sentence_years, kSentenceYears);
  // Courts that hear every case once prepared; nobody held before the
  // verdict, whose time would count against the sentence.
  set_param(s, Param::prosecution_trial_preparation_years, kPreparationYears);
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, 1e4);
  set_param(s, Param::prosecution_pretrial_detention_share, 0);
  set_param(s, Param::identification_police_rate_per_year, 0.5);
  s.routes.push_back(RouteSpec{1, 0, 0.5, kTransitDays});
  // So many convictions would deter the recruiting whose journeys are timed.
  set_param(s, Param::recruitment_deterrence_elasticity, 0);
  return s;
}

// Completed spells, in days: the step a spell ends minus the step it began,
// times the step length. Only spells that began early enough to end within
// the run count, so that long ones are not cut off.
struct Spells {
  std::vector<double> transit, stay, prison, trial_wait;
};

Spells spells(const EventList& events, double step_days, std::int32_t steps) {
  Spells out;
  std::map<std::int32_t, Event> drawn, entered, convicted, charged;
  const auto last_start = [&](double days) {
    return steps - static_cast<std::int32_t>(std::ceil(days / step_days)) - 2;
  };
  std::map<std::int32_t, std::int16_t> home;
  for (const Event& e : events) {
    switch (e.kind) {
      case EventKind::Recruitment:
      case EventKind::Retrafficking:
        home[e.person] = e.region;
        break;
      case EventKind::DestinationDrawn:
        if (e.region != home.at(e.person)) drawn[e.person] = e;
        break;
      case EventKind::ExploitationBegins:
        if (auto it = drawn.find(e.person); it != drawn.end()) {
          if (it->second.step <= last_start(kTransitDays))
            out.transit.push_back((e.step - it->second.step) * step_days);
          drawn.erase(it);
        }
        break;
      case EventKind::ProtectionEntry:
        entered[e.person] = e;
        break;
      case EventKind::Reintegration:
        if (auto it = entered.find(e.person); it != entered.end()) {
          if (it->second.step <= last_start(kServiceYears * 365))
            out.stay.push_back((e.step - it->second.step) * step_days);
          entered.erase(it);
        }
        break;
      case EventKind::Prosecution:
        charged[e.trafficker] = e;
        break;
      case EventKind::Conviction:
      case EventKind::Acquittal:
        if (auto it = charged.find(e.trafficker); it != charged.end()) {
          if (it->second.step <= last_start(kPreparationYears * 365))
            out.trial_wait.push_back((e.step - it->second.step) * step_days);
          charged.erase(it);
        }
        if (e.kind == EventKind::Conviction) convicted[e.trafficker] = e;
        break;
      case EventKind::TraffickerRelease:
        if (auto it = convicted.find(e.trafficker); it != convicted.end()) {
          if (it->second.step <= last_start(kSentenceYears * 365))
            out.prison.push_back((e.step - it->second.step) * step_days);
          convicted.erase(it);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

TEST(StepLength, DurationsInDaysAreTheSameAtDailyAndWeeklySteps) {
  // Eight claims (four durations at two step lengths), each that the mean
  // spell equals the duration set: two-sided t intervals, or exact binomial
  // tests where the spells are only a rounding, at a family-wise 1 %
  // (Bonferroni: 1 % / 8 each). A duration that is a whole number of steps
  // has no spread; its mean must then be exact.
  constexpr int kClaims = 8;
  const double alpha = 0.01 / kClaims;
  for (const double step_days : {7.0, 1.0}) {
    const Scenario s = busy_world(step_days);
    ExperimentOptions options;
    options.replicates = 1;
    options.recording.events = true;
    const auto results = test::collected_runs({s}, options);
    const Spells found =
        spells(results.front().events, step_days, static_cast<std::int32_t>(s.get(Param::scenario_steps)));
    const std::pair<const char*, std::pair<const std::vector<double>*, double>> claims[] = {
        {"transit", {&found.transit, kTransitDays}},
        {"shelter stay", {&found.stay, kServiceYears * 365}},
        {"prison", {&found.prison, kSentenceYears * 365}},
        {"trial wait", {&found.trial_wait, kPreparationYears * 365}},
    };
    for (const auto& [name, claim] : claims) {
      const auto& [values, expected] = claim;
      SCOPED_TRACE(std::string(name) + " at " + std::to_string(step_days) + "-day steps");
      ASSERT_GE(values->size(), 30u) << "too few completed spells to judge";
      double sum = 0;
      for (double v : *values) sum += v;
      const double n = static_cast<double>(values->size());
      const double mean = sum / n;
      // A duration that falls between two whole numbers of steps, every
      // spell one or the other, is only its rounding: the number rounded up
      // is Binomial(n, fraction) under the claim, and with a fraction near 0
      // or 1 a t interval from the sample's spread is no test (a sample with
      // one spell rounded up where five are expected has almost no spread).
      // It gets the exact binomial test instead, at the same level.
      const double below = std::floor(expected / step_days + 1e-9) * step_days;
      const double fraction = expected / step_days - std::floor(expected / step_days + 1e-9);
      std::size_t rounded_up = 0;
      bool only_rounding = fraction > 1e-9;
      for (double v : *values) {
        if (std::abs(v - below - step_days) < 1e-6)
          ++rounded_up;
        else if (std::abs(v - below) >= 1e-6)
          only_rounding = false;
      }
      if (only_rounding) {
        const boost::math::binomial_distribution<double> under_claim(n, fraction);
        const auto k = static_cast<double>(rounded_up);
        const double p_value = std::min(
            1.0, 2 * std::min(boost::math::cdf(under_claim, k),
                              k > 0 ? boost::math::cdf(boost::math::complement(under_claim, k - 1)) : 1.0));
        std::printf(
            "%-12s %g-day steps: %zu of %zu spells rounded up to %g days, %.1f expected (fraction %.4f of a "
            "step); two-sided exact binomial p %.4f must stay above %.5f: mean %.2f days, set %.2f\n",
            name, step_days, rounded_up, values->size(), below + step_days, n * fraction, fraction, p_value,
            alpha, mean, expected);
        EXPECT_GT(p_value, alpha);
        continue;
      }
      double squares = 0;
      for (double v : *values) squares += (v - mean) * (v - mean);
      const double se = std::sqrt(squares / (n - 1) / n);
      const double critical =
          boost::math::quantile(boost::math::complement(boost::math::students_t(n - 1), alpha / 2));
      const double allowed = critical * se + 1e-9 * expected;
      std::printf(
          "%-12s %g-day steps: mean %.2f days over %zu spells (s.e. %.3f), set %.2f; |difference| %.3f must "
          "stay under %.3f (t %.2f, df %.0f): margin %+.3f\n",
          name, step_days, mean, values->size(), se, expected, std::abs(mean - expected), allowed, critical,
          n - 1, allowed - std::abs(mean - expected));
      EXPECT_LE(std::abs(mean - expected), allowed);
    }
  }
}

}  // namespace
}  // namespace tipsim
