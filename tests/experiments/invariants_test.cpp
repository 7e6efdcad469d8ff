// The checks of model.md section 7 that hold for whole runs: conservation
// and bookkeeping at every step; no victims without traffickers, no
// convictions without investigators, no protection without beds; and the
// monotone responses to awareness, investigators and shelter beds, in
// expectation over paired replicates.
#include <gtest/gtest.h>

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "collected_runs.hpp"
#include "experiment.hpp"
#include "paired_claims.hpp"
#include "simulation.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;

// A busy world that exercises every mechanism: three regions with routes
// between them, many traffickers, strong identification, shelters that
// fill up, one region without non-punishment, prevention, a fee ban that
// comes with a ramp, demographic turnover and servitude by descent.
Scenario busy_scenario() {
  Scenario s = test::tiny_scenario(60000, 3, 120, 777);
  // Busy, but below the demand of 490 victims per 100 000, so that the
  // trade stays open to newcomers.
  set_param(s, Param::traffickers_initial_per_100k, 150);
  set_param(s, Param::traffickers_entry_per_100k, 100);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 6);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 30);
  set_param(s, Param::policy_protection_labour_inspectors_per_100k, 4);
  set_param(s, Param::policy_protection_outreach_workers_per_100k, 3);
  set_param(s, Param::policy_prevention_awareness_reach, 0.3);
  set_param(s, Param::policy_prevention_empowerment_reach, 0.1);
  set_param(s, Param::policy_protection_border_screening, 1.0);
  set_param(s, Param::identification_border_detection_rate_per_year, 11.6);  // 0.2 a week
  set_param(s, Param::identification_police_rate_per_year, 0.3);
  set_param(s, Param::exploitation_criminality_arrest_per_year, 0.5);
  set_param(s, Param::demography_turnover_per_year, 0.2);
  set_param(s, Param::demography_free_child_ageing_per_year, 0.1);
  set_param(s, Param::policy_protection_service_years, 0.3);
  set_param(s, Param::policy_prosecution_sentence_years, 0.5);    // released within the run
  set_param(s, Param::prosecution_trial_preparation_years, 0.2);  // tried within it
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, 12);
  test::set_regional(s, 2, Param::policy_protection_non_punishment, 0);
  test::set_regional(s, 1, Param::population_vulnerability_mean, 0.5);
  // Families holding people by descent, whose children are born into
  // servitude often enough that a newborn takes the slot of someone freed
  // earlier in the same step.
  test::set_regional(s, 0, Param::servitude_hereditary_per_100k, 400);
  set_param(s, Param::servitude_births_per_year, 2.0);
  s.routes.push_back(RouteSpec{1, 0, 0.4, 14});
  s.routes.push_back(RouteSpec{2, 0, 0.2, 21});
  s.routes.push_back(RouteSpec{1, 2, 0.2, 7});
  s.interventions.push_back(InterventionSpec{
      "fee ban", 20, 120, 1, 10, {{Param::policy_prevention_recruitment_fee_ban, LeverOp::Set, 1.0}}});
  s.interventions.push_back(
      InterventionSpec{"police surge",
                       40,
                       80,
                       -1,
                       5,
                       {{Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 2.0}}});
  return s;
}

// Sum over all steps of a metric.
double run_total(const Series& series, Metric m) {
  double sum = 0;
  for (std::size_t t = 0; t < series.steps(); ++t) sum += series.total(t, m);
  return sum;
}
double run_total(const Series& series, Metric m, std::size_t category) {
  double sum = 0;
  for (std::size_t t = 0; t < series.steps(); ++t) sum += series.total(t, m, category);
  return sum;
}

TEST(Invariants, ConservationAndBookkeepingHoldAtEveryStep) {
  const Scenario s = busy_scenario();
  Simulation sim(s, 0);
  const double population = s.get(Param::population_size);
  ASSERT_TRUE(test::world_is_consistent(sim.state())) << "at initialisation";
  while (!sim.finished()) {
    sim.step();
    const State& w = sim.state();
    const std::size_t t = static_cast<std::size_t>(sim.steps_done() - 1);
    ASSERT_TRUE(test::world_is_consistent(w)) << "after step " << t;
    // Persons by state add up to the population, and the counts agree with
    // the persons themselves.
    double by_state = 0;
    for (std::size_t k = 0; k < kPersonStates; ++k) {
      const double reported = sim.series().total(t, Metric::persons_by_state, k);
      ASSERT_EQ(reported, static_cast<double>(test::count_in(w, static_cast<PersonState>(k))))
          << "state " << k << ", step " << t;
      by_state += reported;
    }
    ASSERT_EQ(by_state, population) << "step " << t;
    for (std::size_t r = 0; r < w.region_count(); ++r) {
      double by_form = 0;
      for (std::size_t f = 0; f < kForms; ++f) by_form += sim.series().at(t, Metric::exploited_by_form, r, f);
      ASSERT_EQ(by_form, sim.series().at(t, Metric::persons_by_state, r, 2))
          << "region " << r << ", step " << t;
      ASSERT_LE(sim.series().at(t, Metric::persons_by_state, r, 3) +
                    sim.series().at(t, Metric::non_victims_in_protection, r),
                sim.series().at(t, Metric::shelter_capacity, r));
    }
    // People identified are accounted for once: admitted, turned away, or
    // punished all the same.
    ASSERT_EQ(sim.series().total(t, Metric::protection_entries) +
                  sim.series().total(t, Metric::protection_turned_away) +
                  sim.series().total(t, Metric::identified_victims_punished),
              sim.series().total(t, Metric::identifications_by_channel))
        << "step " << t;
    // Every charged case waits for its verdict in the court's backlog: it
    // grows by the charges and shrinks by the verdicts, and holds every
    // trafficker with a pending case.
    double pending = 0;
    for (std::size_t r = 0; r < w.region_count(); ++r)
      for (std::size_t k = 0; k < kCaseTypes; ++k) {
        const double before = t > 0 ? sim.series().at(t - 1, Metric::court_backlog, r, k) : 0.0;
        ASSERT_EQ(sim.series().at(t, Metric::court_backlog, r, k),
                  before + sim.series().at(t, Metric::prosecutions, r, k) -
                      sim.series().at(t, Metric::convictions, r, k) -
                      sim.series().at(t, Metric::acquittals, r, k))
            << "region " << r << ", case type " << k << ", step " << t;
        pending += sim.series().at(t, Metric::court_backlog, r, k);
      }
    double charged_traffickers = 0;
    for (const std::int32_t charged : w.traffickers.charged_step) charged_traffickers += charged >= 0 ? 1 : 0;
    ASSERT_LE(charged_traffickers, pending) << "step " << t;
    const double traffickers = static_cast<double>(w.traffickers.size());
    ASSERT_LE(sim.series().total(t, Metric::traffickers_active) +
                  sim.series().total(t, Metric::traffickers_incarcerated),
              traffickers);
  }
  // The run must have exercised the paths whose bookkeeping was checked.
  const Series& series = sim.series();
  for (Metric m :
       {Metric::recruitments_by_method, Metric::exploitations_new, Metric::escapes, Metric::releases,
        Metric::identifications_by_channel, Metric::protection_entries, Metric::protection_turned_away,
        Metric::victims_punished, Metric::reintegrations, Metric::convictions, Metric::acquittals,
        Metric::wrongful_investigations, Metric::cases_bought_off, Metric::traffickers_entering,
        Metric::traffickers_desisting, Metric::traffickers_released, Metric::births_into_servitude})
    EXPECT_GT(run_total(series, m), 0.0) << spec(m).name << " never happened: the check above was vacuous";
  for (Channel c : {Channel::Police, Channel::BorderScreening, Channel::Investigation})
    EXPECT_GT(run_total(series, Metric::identifications_by_channel, static_cast<std::size_t>(c)), 0.0)
        << "channel " << static_cast<int>(c);
}

TEST(Invariants, NoTraffickersAndNoNewcomersMeansNoVictimsEver) {
  Scenario s = test::tiny_scenario(30000, 2, 200);
  set_param(s, Param::traffickers_initial_per_100k, 0);
  set_param(s, Param::traffickers_entry_per_100k, 0);
  set_param(s, Param::policy_prevention_awareness_reach, 0);  // nothing protects them
  set_param(s, Param::population_vulnerability_mean, 0.9);
  set_param(s, Param::population_vulnerability_sd, 0.05);
  s.routes.push_back(RouteSpec{0, 1, 0.5, 14});
  Simulation sim(s, 0);
  sim.run_to_end();
  for (std::size_t t = 0; t < sim.series().steps(); ++t) {
    ASSERT_EQ(sim.series().total(t, Metric::persons_by_state, 0), 30000.0) << "step " << t;
    ASSERT_EQ(sim.series().total(t, Metric::recruitments_by_method), 0.0);
    ASSERT_EQ(sim.series().total(t, Metric::traffickers_active), 0.0);
  }
  EXPECT_TRUE(sim.state().involved.empty());
  EXPECT_EQ(sim.state().traffickers.size(), 0u);
}

TEST(Invariants, ZeroInvestigatorsMeansNoConvictions) {
  Scenario s = busy_scenario();
  set_param(s, Param::policy_prosecution_investigators_per_100k, 0);
  Simulation sim(s, 0);
  sim.run_to_end();
  const Series& series = sim.series();
  EXPECT_EQ(run_total(series, Metric::investigations), 0.0);
  EXPECT_EQ(run_total(series, Metric::convictions), 0.0);
  EXPECT_EQ(run_total(series, Metric::traffickers_incarcerated), 0.0);
  EXPECT_EQ(
      run_total(series, Metric::identifications_by_channel, static_cast<std::size_t>(Channel::Investigation)),
      0.0);
  // Other channels still identify victims: the result is not vacuous.
  EXPECT_GT(run_total(series, Metric::identifications_by_channel), 0.0);
}

TEST(Invariants, ZeroShelterBedsMeansNoProtectionEntries) {
  Scenario s = busy_scenario();
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 0);
  Simulation sim(s, 0);
  sim.run_to_end();
  const Series& series = sim.series();
  EXPECT_EQ(run_total(series, Metric::protection_entries), 0.0);
  EXPECT_EQ(run_total(series, Metric::persons_by_state, 3), 0.0);
  EXPECT_EQ(run_total(series, Metric::reintegrations), 0.0);
  EXPECT_GT(run_total(series, Metric::protection_turned_away), 0.0)
      << "victims were identified but had no place";
}

// ---- monotone responses ------------------------------------------------------

// A world of 50 000 people over five years at the default trafficker
// density: large enough for the mechanisms to act, small enough for a dozen
// paired replicates in about a second. Its courts can hear every case the
// investigators of the tests below bring, after the default preparation.
Scenario response_scenario() {
  Scenario s = test::tiny_scenario(50000, 1, 260, 4242);
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, 40);
  return s;
}

// A run's figure in every replicate of the low and the high scenario,
// paired by replicate.
struct Paired {
  std::vector<double> low, high;
};

constexpr std::size_t kReplicates = 12;

// Runs the low and the high scenario over the same replicates (common
// random numbers: the streams depend on seed and replicate only).
std::vector<ReplicateResult> paired_runs(const Scenario& low, const Scenario& high) {
  ExperimentOptions options;
  options.replicates = kReplicates;
  return test::collected_runs({low, high}, options);
}

template <typename Measure>
Paired measure(const std::vector<ReplicateResult>& runs, Measure figure) {
  Paired p;
  for (const ReplicateResult& r : runs) (r.point == 0 ? p.low : p.high).push_back(figure(r.series));
  return p;
}

double final_active_traffickers(const Series& s) {
  return s.total(s.steps() - 1, Metric::traffickers_active);
}

TEST(MonotoneResponse, MoreAwarenessFewerDeceptiveRecruitments) {
  Scenario low = response_scenario(), high = response_scenario();
  set_param(low, Param::policy_prevention_awareness_reach, 0.0);
  set_param(high, Param::policy_prevention_awareness_reach, 1.0);
  const auto runs = paired_runs(low, high);
  const Paired deceptive = measure(runs, [](const Series& s) {
    return run_total(s, Metric::recruitments_by_method, static_cast<std::size_t>(Method::DeceptiveJobOffer));
  });
  EXPECT_GT(std::accumulate(deceptive.low.begin(), deceptive.low.end(), 0.0) / kReplicates, 30.0)
      << "too few recruitments for a meaningful comparison";
  test::PairedClaims claims;
  claims.claim("deceptive recruitments fall", deceptive.low, deceptive.high, -1);
  claims.expect_all_hold();
}

TEST(MonotoneResponse, MoreInvestigatorsMoreConvictionsFewerActiveTraffickers) {
  Scenario low = response_scenario(), high = response_scenario();
  set_param(low, Param::policy_prosecution_investigators_per_100k, 1.0);
  set_param(high, Param::policy_prosecution_investigators_per_100k, 20.0);
  const auto runs = paired_runs(low, high);
  const Paired convictions = measure(runs, [](const Series& s) { return run_total(s, Metric::convictions); });
  const Paired active = measure(runs, final_active_traffickers);
  test::PairedClaims claims;
  claims.claim("convictions rise", convictions.low, convictions.high, +1);
  claims.claim("active traffickers at the end fall", active.low, active.high, -1);
  claims.expect_all_hold();
}

TEST(MonotoneResponse, MoreShelterBedsMoreCooperationAndConvictions) {
  // Cooperation can only help convictions when victims are found before
  // their trafficker is convicted, so this world has active NGO outreach.
  Scenario low = response_scenario(), high = response_scenario();
  for (Scenario* s : {&low, &high}) {
    set_param(*s, Param::policy_prosecution_investigators_per_100k, 10.0);
    set_param(*s, Param::policy_protection_outreach_workers_per_100k, 3.0);
    set_param(*s, Param::identification_ngo_rate_per_year, 0.5);
  }
  set_param(low, Param::policy_protection_shelter_beds_per_100k, 0.0);
  set_param(high, Param::policy_protection_shelter_beds_per_100k, 40.0);
  const auto runs = paired_runs(low, high);
  const Paired cooperating =
      measure(runs, [](const Series& s) { return run_total(s, Metric::victims_cooperating); });
  const Paired convictions = measure(runs, [](const Series& s) { return run_total(s, Metric::convictions); });
  test::PairedClaims claims;
  claims.claim("victims cooperating rise", cooperating.low, cooperating.high, +1);
  claims.claim("convictions rise", convictions.low, convictions.high, +1);
  claims.expect_all_hold();
}

TEST(MonotoneResponse, AStrongerHotlineMoreVictimsComeForward) {
  Scenario low = response_scenario(), high = response_scenario();
  for (Scenario* s : {&low, &high}) {
    set_param(*s, Param::identification_self_report_rate_per_year, 2.0);
    set_param(*s, Param::identification_escaped_report_share, 0.5);
    set_param(*s, Param::policy_protection_outreach_workers_per_100k, 0.0);  // the hotline is the only help
  }
  set_param(low, Param::policy_protection_hotline, 0.3);
  set_param(high, Param::policy_protection_hotline, 1.0);
  const auto runs = paired_runs(low, high);
  const Paired reports = measure(runs, [](const Series& s) {
    return run_total(s, Metric::identifications_by_channel, static_cast<std::size_t>(Channel::SelfReport));
  });
  EXPECT_GT(std::accumulate(reports.low.begin(), reports.low.end(), 0.0) / kReplicates, 5.0)
      << "too few self-reports for a meaningful comparison";
  test::PairedClaims claims;
  claims.claim("victims who come forward rise", reports.low, reports.high, +1);
  claims.expect_all_hold();
}

TEST(MonotoneResponse, WithoutProtectionSurvivorsAreTraffickedAgainMore) {
  // The same world with no shelter place at all and with places for every
  // victim identified and good services: without them,
  // identified victims go home unserved, recover only with time, and are
  // trafficked again more often.
  Scenario without = response_scenario(), with = response_scenario();
  for (Scenario* s : {&without, &with}) {
    set_param(*s, Param::policy_prosecution_investigators_per_100k, 10.0);  // victims freed and identified
    set_param(*s, Param::policy_protection_service_quality, 0.9);
    // Survivors who have not recovered are ten times as susceptible, and
    // their pathway is reviewed after two years: the difference the claim
    // looks for is large enough to see in few pairs.
    set_param(*s, Param::recruitment_retrafficking_factor, 10.0);
    set_param(*s, Param::survivors_followup_years, 2.0);
  }
  set_param(without, Param::policy_protection_shelter_beds_per_100k, 0.0);
  set_param(with, Param::policy_protection_shelter_beds_per_100k, 40.0);
  // The share rises by about 0.007 with a pair's spread of 0.012 (+0.0085,
  // s.e. 0.0013, over 100 pairs; at the default factor and follow-up the
  // rise was 0.001 with a spread of 0.005 and took 400 pairs): 64 pairs
  // expect t 4 to 5 against the 1.67 asked.
  ExperimentOptions options;
  options.replicates = 64;
  const auto runs = test::collected_runs({with, without}, options);
  const auto share_retrafficked = [](const Series& s) {
    double reviewed = 0, again = 0;
    for (std::size_t k = 0; k < kPathways; ++k) {
      const double n = run_total(s, Metric::survivor_pathways, k);
      reviewed += n;
      again += k % kSurvivorOutcomes == static_cast<std::size_t>(SurvivorOutcome::Retrafficked) ? n : 0.0;
    }
    return reviewed > 0 ? again / reviewed : 0.0;
  };
  const Paired retrafficked = measure(runs, share_retrafficked);
  const Paired recovering =
      measure(runs, [](const Series& s) { return run_total(s, Metric::survivors_recovering); });
  EXPECT_GT(std::accumulate(retrafficked.low.begin(), retrafficked.low.end(), 0.0), 0.0)
      << "nobody was trafficked again: nothing to compare";
  test::PairedClaims claims;
  claims.claim("share of survivors trafficked again within the follow-up rises", retrafficked.low,
               retrafficked.high, +1);
  claims.claim("survivor-years spent home not recovered rise", recovering.low, recovering.high, +1);
  claims.expect_all_hold();
}

TEST(MonotoneResponse, MoreCorruptionFewerConvictionsPerCase) {
  Scenario low = response_scenario(), high = response_scenario();
  for (Scenario* s : {&low, &high}) set_param(*s, Param::policy_prosecution_investigators_per_100k, 10.0);
  set_param(low, Param::institutions_corruption, 0.0);
  set_param(high, Param::institutions_corruption, 0.6);
  const auto runs = paired_runs(low, high);
  const auto per = [](Metric numerator, Metric denominator) {
    return [=](const Series& s) {
      const double d = run_total(s, denominator);
      return d > 0 ? run_total(s, numerator) / d : 0.0;
    };
  };
  const Paired per_prosecution = measure(runs, per(Metric::convictions, Metric::prosecutions));
  const Paired per_investigation = measure(runs, per(Metric::convictions, Metric::investigations));
  EXPECT_GT(std::accumulate(per_prosecution.high.begin(), per_prosecution.high.end(), 0.0), 0.0)
      << "no convictions at all under corruption: nothing to compare";
  test::PairedClaims claims;
  claims.claim("convictions per prosecution fall", per_prosecution.low, per_prosecution.high, -1);
  claims.claim("convictions per investigation fall", per_investigation.low, per_investigation.high, -1);
  claims.expect_all_hold();
}

TEST(MonotoneResponse, MoreCourtCapacityShorterBacklogAndWait) {
  // Investigators bring about six charges a year here; courts that hear two
  // a year build a backlog that courts hearing twenty do not.
  Scenario low = response_scenario(), high = response_scenario();
  for (Scenario* s : {&low, &high}) set_param(*s, Param::policy_prosecution_investigators_per_100k, 10.0);
  set_param(low, Param::policy_prosecution_trials_per_100k_per_year, 4.0);
  set_param(high, Param::policy_prosecution_trials_per_100k_per_year, 40.0);
  const auto runs = paired_runs(low, high);
  const Paired backlog =
      measure(runs, [](const Series& s) { return s.total(s.steps() - 1, Metric::court_backlog); });
  const Paired wait = measure(runs, [](const Series& s) {
    const double verdicts = run_total(s, Metric::convictions) + run_total(s, Metric::acquittals);
    return verdicts > 0 ? run_total(s, Metric::case_years_to_verdict) / verdicts : 0.0;
  });
  test::PairedClaims claims;
  claims.claim("cases waiting at the end fall", backlog.low, backlog.high, -1);
  claims.claim("mean years from charge to verdict fall", wait.low, wait.high, -1);
  claims.expect_all_hold();
}

// ---- the warm start ---------------------------------------------------------

// Persons in exploitation, averaged over the last ten of thirty years, in
// each replicate of a world of 320 000 people at the defaults that starts
// with its traffickers filled to `fill` of their capacity.
std::vector<double> long_run_exploited(double fill) {
  Scenario s = test::tiny_scenario(320000, 1, 1560, 9090);
  set_param(s, Param::traffickers_initial_fill, fill);
  ExperimentOptions options;
  // Sixteen pairs: survivors recover over years, which spreads the long-run
  // level between replicates more than eight pairs can bound to 10 %.
  options.replicates = 16;
  std::vector<double> out;
  for (const ReplicateResult& r : test::collected_runs({s}, options)) {
    double sum = 0;
    for (std::size_t t = 1040; t < r.series.steps(); ++t) sum += r.series.total(t, Metric::exploited_by_form);
    out.push_back(sum / static_cast<double>(r.series.steps() - 1040));
  }
  return out;
}

TEST(WarmStart, TheLongRunStateDoesNotDependOnHowFullTheWorldStarted) {
  // Equivalence within 10 % of the mean, by two one-sided Welch tests at
  // 5 % each: the difference's 90 % interval must lie inside +-10 %. (When
  // entry was measured against the world just after the warm start, a fill
  // of 0.9 left 25 % more people in exploitation than a fill of 0.2.)
  const std::vector<double> low = long_run_exploited(0.2), high = long_run_exploited(0.9);
  auto mean = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  };
  auto variance_of_mean = [&](const std::vector<double>& v) {
    const double m = mean(v);
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    return ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size());
  };
  const double diff = mean(high) - mean(low);
  const double vl = variance_of_mean(low), vh = variance_of_mean(high);
  const double se = std::sqrt(vl + vh);
  const double n = static_cast<double>(low.size());
  const double df = (vl + vh) * (vl + vh) / (vl * vl / (n - 1) + vh * vh / (n - 1));
  const double t = boost::math::quantile(boost::math::students_t(df), 0.95);
  const double bound = 0.10 * mean(low);
  std::printf(
      "long-run exploited: fill 0.2 %.1f, fill 0.9 %.1f, difference %.1f, 90 %% interval +-%.1f "
      "(t %.3f, df %.1f), allowed +-%.1f, margin %.1f\n",
      mean(low), mean(high), diff, t * se, t, df, bound, bound - (std::abs(diff) + t * se));
  EXPECT_GT(mean(low), 300.0) << "too few victims for a meaningful comparison";
  EXPECT_LT(std::abs(diff) + t * se, bound);
}

}  // namespace
}  // namespace tipsim
