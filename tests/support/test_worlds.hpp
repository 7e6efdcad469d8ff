// Tiny worlds for the phase and invariant tests: a scenario written inline,
// a world initialised from it, and hand edits that put chosen persons and
// traffickers into chosen states while keeping every aggregate consistent
// (trafficker victim counts, market and shelter counts, free counts, the
// involved list), exactly as the phases themselves would.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "model.hpp"
#include "params.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "state.hpp"
#include "step_context.hpp"

namespace tipsim::test {

// A replicate's compiled model, its state and a step context in one, for
// tests that build a state by hand and run phases on it one at a time:
// w.persons, w.regions (the state), w.frame, w.metric() (the context) and
// w.model read as they would inside a phase.
struct World : State, StepContext {
  Model model;
  double step_years = 0;  // model.step_years

  std::size_t region_count() const { return model.region_count(); }
};

// The phases, and the helpers of person_ops.hpp that read the model, on a
// test world (found by argument-dependent lookup from the tests).
// clang-format off
inline void apply_policy_schedule(World& w) { tipsim::apply_policy_schedule(w.model, w, w); }
inline void run_prevention(World& w) { tipsim::run_prevention(w.model, w, w); }
inline void run_market(World& w) { tipsim::run_market(w.model, w, w); }
inline void run_recruitment(World& w) { tipsim::run_recruitment(w.model, w, w); }
inline void run_movement(World& w) { tipsim::run_movement(w.model, w, w); }
inline void run_exploitation(World& w) { tipsim::run_exploitation(w.model, w, w); }
inline void run_identification(World& w) { tipsim::run_identification(w.model, w, w); }
inline void run_prosecution(World& w) { tipsim::run_prosecution(w.model, w, w); }
inline void run_protection(World& w) { tipsim::run_protection(w.model, w, w); }
inline void run_survivors(World& w) { tipsim::run_survivors(w.model, w, w); }
inline void run_demography(World& w) { tipsim::run_demography(w.model, w, w); }
inline void collect_metrics(World& w) { tipsim::collect_metrics(w.model, w, w); }
inline double awareness_now(const World& w, std::uint32_t person) { return tipsim::awareness_now(w.model, w, person); }
// clang-format on

// A scenario of `regions` equally large regions holding `persons` persons in
// all, every parameter at its default, `steps` steps.
inline Scenario tiny_scenario(std::uint32_t persons, std::size_t regions = 1, std::int32_t steps = 10,
                              std::uint64_t seed = 20240611) {
  Scenario s = default_scenario();
  s.name = "tiny";
  s.globals[Param::population_size] = persons;
  s.globals[Param::scenario_steps] = steps;
  s.globals[Param::scenario_seed] = static_cast<double>(seed);
  s.regions.clear();
  for (std::size_t r = 0; r < regions; ++r)
    s.regions.push_back(RegionSpec{"r" + std::to_string(r), s.globals});
  return s;
}

// A whole number of weekly steps, in years (the default step is 7 days).
inline double weeks(double n) { return n * 7.0 / 365.0; }

// Sets a parameter everywhere: the global value, and for a regional
// parameter its value in every region too.
inline void set_param(Scenario& s, Param p, double value) {
  s.globals[p] = value;
  if (spec(p).scope == ParamScope::Regional)
    for (RegionSpec& r : s.regions) r.values[p] = value;
}

// Sets a regional parameter in one region only.
inline void set_regional(Scenario& s, std::size_t region, Param p, double value) {
  s.regions[region].values[p] = value;
}

// Agencies that see truly: every victim a channel meets is recognised
// (arrests screened without fail), forms are recorded as they are, and
// nobody in an adjacent situation exists to be taken for a victim. Tests of
// one mechanism start from here and turn on the measurement they check.
inline void perfect_screening(Scenario& s) {
  for (Param p : {Param::identification_police_sensitivity, Param::identification_inspection_sensitivity,
                  Param::identification_ngo_sensitivity, Param::identification_hotline_sensitivity,
                  Param::identification_private_sector_sensitivity, Param::identification_border_sensitivity,
                  Param::identification_arrest_screening_sensitivity,
                  Param::identification_arrest_screening_sensitivity_without_law})
    set_param(s, p, 1.0);
  for (Param p : {Param::identification_domestic_recorded_as_labour,
                  Param::identification_criminality_recorded_as_labour,
                  Param::adjacent_labour_violations_per_100k, Param::adjacent_commercial_sex_per_100k,
                  Param::adjacent_irregular_migrants_per_100k, Param::adjacent_smuggled_per_100k_per_year})
    set_param(s, p, 0.0);
}

// A scenario whose world starts without traffickers and admits none, so
// that a test places every trafficker and victim itself; agencies see
// truly (perfect_screening).
// Courts that decide every charged case in the step it is charged, with no
// one held in custody before the verdict, at no cost: for tests of what
// comes before.
inline void immediate_courts(Scenario& s) {
  set_param(s, Param::prosecution_trial_preparation_years, 0);
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, 1e9);
  set_param(s, Param::cost_trial_usd_per_year, 0);
  set_param(s, Param::prosecution_pretrial_detention_share, 0);
}

inline Scenario quiet_scenario(std::uint32_t persons, std::size_t regions = 1, std::int32_t steps = 10) {
  Scenario s = tiny_scenario(persons, regions, steps);
  set_param(s, Param::traffickers_initial_per_100k, 0);
  set_param(s, Param::traffickers_entry_per_100k, 0);
  perfect_screening(s);
  immediate_courts(s);
  return s;
}

// Switches off every identification channel (and the arrest of victims of
// forced criminality, and victims coming forward), so that a test can
// switch on just the one it checks.
inline void no_identification(Scenario& s) {
  set_param(s, Param::identification_self_report_rate_per_year, 0);
  set_param(s, Param::identification_escaped_report_share, 0);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 0);
  set_param(s, Param::policy_protection_labour_inspectors_per_100k, 0);
  set_param(s, Param::policy_protection_outreach_workers_per_100k, 0);
  set_param(s, Param::policy_protection_hotline, 0);
  set_param(s, Param::policy_partnership_level, 0);
  set_param(s, Param::policy_protection_border_screening, 0);
  set_param(s, Param::exploitation_criminality_arrest_per_year, 0);
}

// A world at step 0 of replicate `replicate`, as the phases after the
// policy schedule see it (levers and shelter places in force), with an
// empty metric frame.
inline World make_world(const Scenario& s, std::uint32_t replicate = 0) {
  World w;
  w.model = compile_model(s);
  w.step_years = w.model.step_years;
  static_cast<State&>(w) = initial_state(w.model, replicate);
  static_cast<StepContext&>(w) = StepContext(w.model);
  apply_policy_schedule(w);
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  return w;
}

// Compiles a changed scenario into a test world's model, keeping its
// state: for tests that change a parameter between steps.
inline void recompile(World& w, const Scenario& s) {
  w.model = compile_model(s);
  w.step_years = w.model.step_years;
}

// Sets the perceived risk of every market in a region.
inline void set_perceived_risk(State& w, std::size_t region, double risk) {
  for (double& r : w.regions[region].perceived_risk) r = risk;
}

// Appends an ACTIVE trafficker of a new network and returns its id.
inline std::int32_t add_trafficker(State& w, std::size_t region, Method method, Market market,
                                   std::uint16_t capacity) {
  const std::int32_t id =
      w.traffickers.add(static_cast<std::uint8_t>(region), method, market, w.networks++, capacity);
  ++w.regions[region].traffickers_active;
  return id;
}

inline void add_involved(State& w, std::uint32_t person) {
  auto at = std::lower_bound(w.involved.begin(), w.involved.end(), person);
  if (at == w.involved.end() || *at != person) w.involved.insert(at, person);
}

inline void take_from_free(State& w, std::uint32_t person) {
  auto& p = w.persons;
  ASSERT_EQ(p.state[person], static_cast<std::uint8_t>(PersonState::Free)) << "person " << person;
  --w.regions[p.home_region[person]].free_persons;
  end_recovery(w, person);  // trafficked again: no longer a survivor at liberty
  add_involved(w, person);
}

// Hands person `person` (FREE) to `trafficker` as a victim exploited in
// `destination` since the current step.
inline void make_exploited(State& w, std::uint32_t person, std::int32_t trafficker, std::size_t destination) {
  auto& p = w.persons;
  take_from_free(w, person);
  const auto market = w.traffickers.market[static_cast<std::size_t>(trafficker)];
  p.state[person] = static_cast<std::uint8_t>(PersonState::Exploited);
  p.state_since[person] = w.step;
  p.controller[person] = trafficker;
  p.market[person] = market;
  p.method[person] = w.traffickers.method[static_cast<std::size_t>(trafficker)];
  p.current_region[person] = static_cast<std::uint8_t>(destination);
  if (destination != p.home_region[person]) p.flags[person] |= person_flag::kCrossedBorder;
  if (p.times_trafficked[person] < 255) ++p.times_trafficked[person];
  ++w.traffickers.victims[static_cast<std::size_t>(trafficker)];
  ++w.regions[destination].market_victims[market];
}
inline void make_exploited(State& w, std::uint32_t person, std::int32_t trafficker) {
  make_exploited(w, person, trafficker, w.persons.home_region[person]);
}

// Hands person `person` (FREE) to `trafficker` as a recruit of this very
// step, as recruitment leaves them: still at home, their destination not yet
// drawn (so not yet counted in any market).
inline void make_recruited(State& w, std::uint32_t person, std::int32_t trafficker) {
  auto& p = w.persons;
  take_from_free(w, person);
  p.state[person] = static_cast<std::uint8_t>(PersonState::Recruited);
  p.state_since[person] = w.step;
  p.controller[person] = trafficker;
  p.market[person] = w.traffickers.market[static_cast<std::size_t>(trafficker)];
  p.method[person] = w.traffickers.method[static_cast<std::size_t>(trafficker)];
  if (p.times_trafficked[person] < 255) ++p.times_trafficked[person];
  ++w.traffickers.victims[static_cast<std::size_t>(trafficker)];
}

// Puts person `person` (FREE) on the way to `destination`, recruited by
// `trafficker` one step ago: in transit, counted in the destination market.
inline void make_in_transit(State& w, std::uint32_t person, std::int32_t trafficker,
                            std::size_t destination) {
  make_recruited(w, person, trafficker);
  auto& p = w.persons;
  p.state_since[person] = w.step - 1;
  p.current_region[person] = static_cast<std::uint8_t>(destination);
  p.flags[person] |= person_flag::kCrossedBorder;
  ++w.regions[destination].market_victims[p.market[person]];
}

// Puts person `person` (FREE) into a shelter of `region` since `since`.
inline void make_in_protection(State& w, std::uint32_t person, std::size_t region, Market market,
                               std::int32_t since) {
  auto& p = w.persons;
  take_from_free(w, person);
  p.state[person] = static_cast<std::uint8_t>(PersonState::InProtection);
  p.state_since[person] = since;
  p.market[person] = static_cast<std::uint8_t>(market);
  p.current_region[person] = static_cast<std::uint8_t>(region);
  if (p.times_trafficked[person] < 255) ++p.times_trafficked[person];
  ++w.regions[region].shelter_occupied;
}

// The ids of the persons in a state, in id order.
inline std::vector<std::uint32_t> persons_in(const State& w, PersonState state) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < w.persons.size(); ++i)
    if (w.persons.state[i] == static_cast<std::uint8_t>(state)) out.push_back(i);
  return out;
}

inline std::size_t count_in(const State& w, PersonState state) { return persons_in(w, state).size(); }

// Sum of a metric over regions and categories in the world's current frame.
inline double frame_total(const StepContext& w, Metric m) {
  double sum = 0;
  const std::size_t begin = w.layout.offset(m);
  for (std::size_t k = 0; k < w.layout.width(m); ++k) sum += w.frame[begin + k];
  return sum;
}
// Sum of one category of a metric over regions in the world's current frame.
inline double frame_total(const StepContext& w, Metric m, std::size_t category) {
  double sum = 0;
  for (std::size_t r = 0; r < w.layout.regions(); ++r) sum += w.frame[w.layout.index(m, r, category)];
  return sum;
}

// Whether the involved list may still hold people who became FREE during
// the step (it is compacted only at the ends of the step).
enum class Involved { Exact, MayHoldFree };
// Whether recruits of this step, whose destination movement has not yet
// drawn, are expected in the market counts.
enum class Markets { Counted, SkipNewRecruits };

// Every bookkeeping invariant of the world's state (model.md section 7):
// each person in exactly one valid state with fields that fit it; the
// involved list sorted, unique and covering every non-FREE person; region
// free counts, market counts and shelter occupancy equal to what the
// persons say; each trafficker's victim count equal to the persons they
// control and within capacity.
inline ::testing::AssertionResult world_is_consistent(const State& w, Involved involved = Involved::Exact,
                                                      Markets markets = Markets::Counted) {
  const auto& p = w.persons;
  const auto& tr = w.traffickers;
  const std::size_t regions = w.region_count();
  std::ostringstream problems;
  int problem_count = 0;
  auto problem = [&](const std::string& text) {
    if (++problem_count <= 10) problems << "\n  " << text;
  };

  std::vector<std::uint32_t> free_by_region(regions, 0), shelter_by_region(regions, 0),
      recovering_by_region(regions, 0);
  std::vector<std::uint32_t> market_by_region(regions * kMarkets, 0);
  std::vector<std::uint32_t> victims_by_trafficker(tr.size(), 0);
  std::vector<std::uint32_t> non_free;
  for (std::uint32_t i = 0; i < p.size(); ++i) {
    const std::uint8_t state = p.state[i];
    if (state >= kPersonStates) {
      problem("person " + std::to_string(i) + " has no valid state");
      continue;
    }
    if (p.home_region[i] >= regions || p.current_region[i] >= regions) {
      problem("person " + std::to_string(i) + " is in no region");
      continue;
    }
    const bool trafficked = state == static_cast<std::uint8_t>(PersonState::Recruited) ||
                            state == static_cast<std::uint8_t>(PersonState::Exploited);
    if (state == static_cast<std::uint8_t>(PersonState::Free)) {
      ++free_by_region[p.home_region[i]];
      if (p.current_region[i] != p.home_region[i]) problem("free person " + std::to_string(i) + " is away");
      if (p.market[i] != kNoMarket) problem("free person " + std::to_string(i) + " is in a market");
    } else {
      non_free.push_back(i);
    }
    if (trafficked) {
      const std::int32_t c = p.controller[i];
      if (c < 0 || static_cast<std::size_t>(c) >= tr.size()) {
        problem("victim " + std::to_string(i) + " has no controller");
      } else {
        ++victims_by_trafficker[static_cast<std::size_t>(c)];
      }
      if (p.market[i] >= kMarkets) problem("victim " + std::to_string(i) + " is in no market");
      const bool new_recruit = state == static_cast<std::uint8_t>(PersonState::Recruited) &&
                               p.state_since[i] == w.step && markets == Markets::SkipNewRecruits;
      if (p.market[i] < kMarkets && !new_recruit)
        ++market_by_region[p.current_region[i] * kMarkets + p.market[i]];
    } else if (p.controller[i] != kNoTrafficker) {
      problem("person " + std::to_string(i) + " has a controller outside trafficking");
    }
    if (p.debt[i] < 0) problem("person " + std::to_string(i) + " has a negative debt");
    if ((p.flags[i] & person_flag::kDebtBonded) && !trafficked)
      problem("person " + std::to_string(i) + " is debt-bonded outside trafficking");
    if (state == static_cast<std::uint8_t>(PersonState::InProtection))
      ++shelter_by_region[p.current_region[i]];
    if (p.flags[i] & person_flag::kRecovering) {
      ++recovering_by_region[p.home_region[i]];
      if (state != static_cast<std::uint8_t>(PersonState::Free))
        problem("person " + std::to_string(i) + " is recovering outside liberty");
    }
    if (!(p.vulnerability[i] >= 0.0f && p.vulnerability[i] <= 1.0f))
      problem("person " + std::to_string(i) + " has vulnerability " + std::to_string(p.vulnerability[i]));
  }

  if (!std::is_sorted(w.involved.begin(), w.involved.end()) ||
      std::adjacent_find(w.involved.begin(), w.involved.end()) != w.involved.end())
    problem("the involved list is not sorted and unique");
  if (involved == Involved::Exact) {
    if (w.involved != non_free)
      problem("the involved list (" + std::to_string(w.involved.size()) + ") is not the non-FREE set (" +
              std::to_string(non_free.size()) + ")");
  } else if (!std::includes(w.involved.begin(), w.involved.end(), non_free.begin(), non_free.end())) {
    problem("the involved list misses non-FREE persons");
  }

  for (std::size_t r = 0; r < regions; ++r) {
    const RegionState& rs = w.regions[r];
    const std::string where = "region " + std::to_string(r) + ": ";
    if (rs.free_persons != free_by_region[r])
      problem(where + "free_persons " + std::to_string(rs.free_persons) + " but " +
              std::to_string(free_by_region[r]) + " FREE");
    if (rs.survivors_recovering != recovering_by_region[r])
      problem(where + "survivors_recovering " + std::to_string(rs.survivors_recovering) + " but " +
              std::to_string(recovering_by_region[r]) + " recovering");
    if (rs.shelter_occupied != shelter_by_region[r])
      problem(where + "shelter_occupied " + std::to_string(rs.shelter_occupied) + " but " +
              std::to_string(shelter_by_region[r]) + " IN_PROTECTION");
    if (rs.shelter_occupied > rs.shelter_capacity)
      problem(where + "shelter over capacity: " + std::to_string(rs.shelter_occupied) + " > " +
              std::to_string(rs.shelter_capacity));
    for (std::size_t m = 0; m < kMarkets; ++m)
      if (rs.market_victims[m] != market_by_region[r * kMarkets + m])
        problem(where + "market " + std::to_string(m) + " counts " + std::to_string(rs.market_victims[m]) +
                " victims but holds " + std::to_string(market_by_region[r * kMarkets + m]));
  }
  for (std::size_t t = 0; t < tr.size(); ++t) {
    if (tr.victims[t] != victims_by_trafficker[t])
      problem("trafficker " + std::to_string(t) + " counts " + std::to_string(tr.victims[t]) +
              " victims but controls " + std::to_string(victims_by_trafficker[t]));
    if (tr.victims[t] > tr.capacity[t])
      problem("trafficker " + std::to_string(t) + " is over capacity: " + std::to_string(tr.victims[t]) +
              " > " + std::to_string(tr.capacity[t]));
    if (tr.state[t] > static_cast<std::uint8_t>(TraffickerState::Desisted))
      problem("trafficker " + std::to_string(t) + " has no valid state");
  }
  if (problem_count == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << problem_count << " inconsistencies at step " << w.step << ":" << problems.str();
}

// Tolerance of a count against its binomial expectation: `sds` standard
// deviations, at least one unit.
inline double binomial_tolerance(double trials, double p, double sds = 4.5) {
  return std::max(1.0, sds * std::sqrt(trials * p * (1.0 - p)));
}

}  // namespace tipsim::test
