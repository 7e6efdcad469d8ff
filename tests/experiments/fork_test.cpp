// Forks (simulation.hpp): a run continued from the whole state at the end of
// one of its steps. The random streams are counter-based, so the state and
// the step are all a continuation needs: with no change it repeats the
// parent's remaining steps bit for bit; a change acts from the fork on; a
// change to what made the past is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "simulation.hpp"
#include "state_arrays.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;

// Two regions, a route, courts with a backlog, custody, bribes, wrong leads,
// servitude by descent and turnover: every piece of state a step carries
// over is in use by the fork step.
Scenario eventful(std::int32_t steps) {
  Scenario s = test::tiny_scenario(40000, 2, steps, 515);
  set_param(s, Param::traffickers_initial_per_100k, 600);
  set_param(s, Param::traffickers_entry_per_100k, 200);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 20);
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, 10);
  set_param(s, Param::prosecution_trial_preparation_years, 0.1);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 20);
  set_param(s, Param::identification_police_rate_per_year, 0.5);
  set_param(s, Param::demography_turnover_per_year, 0.2);
  test::set_regional(s, 0, Param::servitude_hereditary_per_100k, 300);
  set_param(s, Param::servitude_births_per_year, 1.0);
  s.routes.push_back(RouteSpec{0, 1, 0.3, 14});
  return s;
}

// The frames of steps [from, to) of a series, as raw bytes.
bool same_steps(const Series& a, const Series& b, std::size_t from, std::size_t to) {
  for (std::size_t t = from; t < to; ++t) {
    const auto fa = a.frame(t), fb = b.frame(t);
    if (fa.size() != fb.size() || std::memcmp(fa.data(), fb.data(), fa.size() * sizeof(double)) != 0)
      return false;
  }
  return true;
}

// A checkpoint as a run file holds it: the state as named flat arrays and
// back, every member the same; arrays that are not this world's state are
// refused with the array's name.
TEST(Fork, TheStateAsArraysGivesTheSameStateBack) {
  const auto model = std::make_shared<const Model>(compile_model(eventful(40)));
  Simulation run(model, 2);
  for (int i = 0; i < 31; ++i) run.step();
  const State& state = run.state();
  // Every kind of part is in use, so that a part left out would show.
  std::size_t cases = 0;
  for (const RegionState& r : state.regions) cases += r.court_queue.size();
  ASSERT_GT(cases, 0u);
  ASSERT_GT(state.traffickers.size(), 0u);
  ASSERT_FALSE(state.involved.empty());
  ASSERT_GT(state.regions[0].court_time + state.regions[1].court_time, 0.0);
  const std::vector<StateArray> arrays = state_arrays(state);
  EXPECT_TRUE(state_from_arrays(*model, arrays) == state);

  auto without = [&](const std::string& name) {
    std::vector<StateArray> fewer = arrays;
    std::erase_if(fewer, [&](const StateArray& a) { return a.name == name; });
    return fewer;
  };
  for (const std::string name : {"persons/debt", "traffickers/evidence", "regions/court_time",
                                 "courts/ready_step", "involved", "step"}) {
    SCOPED_TRACE(name);
    try {
      (void)state_from_arrays(*model, without(name));
      ADD_FAILURE() << "accepted without " << name;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "the checkpoint has no array '" + name + "'");
    }
  }
  // A checkpoint of a smaller world, and an array of another type.
  const auto small = std::make_shared<const Model>(compile_model(test::tiny_scenario(1000, 2, 10)));
  EXPECT_THROW((void)state_from_arrays(*small, arrays), std::invalid_argument);
  std::vector<StateArray> retyped = arrays;
  for (StateArray& a : retyped)
    if (a.name == "persons/debt") a.values = std::vector<double>(state.persons.size());
  EXPECT_THROW((void)state_from_arrays(*model, retyped), std::invalid_argument);
}

// A checkpoint written before the strata's awareness levels were 0.1 wide
// kept them 0.02 wide ("strata/awareness_level"): read, each goes to the
// nearest level of 0.1 and strata that meet there are one. Here every
// stratum with a boost is split in two older strata, at 5 l - 2 and 5 l + 2
// (0.4 of a level either side of l), which must give the state back.
TEST(Fork, ACheckpointWithOlderAwarenessLevelsIsReadAtTheNearestLevel) {
  Scenario s = eventful(40);
  set_param(s, Param::population_untouched_in_strata, 1);
  set_param(s, Param::policy_prevention_awareness_reach, 0.5);
  const auto model = std::make_shared<const Model>(compile_model(s));
  Simulation run(model, 2);
  for (int i = 0; i < 31; ++i) run.step();
  const State& state = run.state();
  const std::vector<StateArray> arrays = state_arrays(state);
  auto array = [&](const std::string& name) -> const StateArray& {
    return *std::find_if(arrays.begin(), arrays.end(), [&](const StateArray& a) { return a.name == name; });
  };
  const auto& regions = std::get<std::vector<std::uint8_t>>(array("strata/region").values);
  const auto& traits = std::get<std::vector<std::uint8_t>>(array("strata/traits").values);
  const auto& bins = std::get<std::vector<std::uint8_t>>(array("strata/vulnerability_bin").values);
  const auto& levels = std::get<std::vector<std::int32_t>>(array("strata/campaign_level").values);
  const auto& people = std::get<std::vector<double>>(array("strata/people").values);
  std::vector<std::uint8_t> old_regions, old_traits, old_bins;
  std::vector<std::int32_t> old_levels;
  std::vector<double> old_people;
  std::size_t split = 0;
  for (std::size_t k = 0; k < levels.size(); ++k) {
    auto add = [&](std::int32_t level, double n) {
      old_regions.push_back(regions[k]);
      old_traits.push_back(traits[k]);
      old_bins.push_back(bins[k]);
      old_levels.push_back(level);
      old_people.push_back(n);
    };
    if (levels[k] == kNoBoost || people[k] < 2) {
      add(levels[k] == kNoBoost ? kNoBoost : 5 * levels[k], people[k]);
      continue;
    }
    const double half = std::floor(people[k] / 2);
    add(5 * levels[k] - 2, half);
    add(5 * levels[k] + 2, people[k] - half);
    ++split;
  }
  ASSERT_GT(split, 100u) << "too few strata with a boost to tell";
  std::vector<StateArray> older;
  for (const StateArray& a : arrays) {
    if (a.name.starts_with("strata/")) continue;
    older.push_back(a);
  }
  older.push_back({"strata/region", old_regions, 1, ""});
  older.push_back({"strata/traits", old_traits, 1, ""});
  older.push_back({"strata/vulnerability_bin", old_bins, 1, ""});
  older.push_back({"strata/awareness_level", old_levels, 1, ""});
  older.push_back({"strata/people", old_people, 1, ""});
  EXPECT_TRUE(state_from_arrays(*model, older) == state);
  // Read as levels of 0.1 (the older array's name ignored), they are not.
  for (StateArray& a : older)
    if (a.name == "strata/awareness_level") a.name = "strata/campaign_level";
  EXPECT_FALSE(state_from_arrays(*model, older) == state);
}

TEST(Fork, AForkWithNoChangeRepeatsTheParentsRemainingStepsBitForBit) {
  constexpr std::int32_t kSteps = 60, kFork = 23;
  const auto model = std::make_shared<const Model>(compile_model(eventful(kSteps)));
  Recording recording;
  recording.events = true;
  Simulation parent(model, 1, recording);
  State at_fork;
  while (!parent.finished()) {
    parent.step();
    if (parent.steps_done() == kFork) at_fork = parent.checkpoint();
  }
  ASSERT_EQ(at_fork.step, kFork);
  // The state the fork carries holds cases waiting for trial and families
  // holding people by descent, or the test would not check them.
  std::size_t waiting = 0;
  for (const RegionState& rs : at_fork.regions) waiting += rs.court_queue.size();
  EXPECT_GT(waiting, 0u);
  EXPECT_GT(std::count(at_fork.traffickers.by_descent.begin(), at_fork.traffickers.by_descent.end(), 1), 0);

  Simulation fork(model, at_fork, recording);
  EXPECT_EQ(fork.steps_done(), kFork);
  fork.run_to_end();
  EXPECT_TRUE(same_steps(parent.series(), fork.series(), kFork, kSteps));
  // The fork's rows before the checkpoint are the parent's to keep: zero here.
  for (std::size_t t = 0; t < kFork; ++t)
    for (const double v : fork.series().frame(t)) ASSERT_EQ(v, 0.0) << "step " << t;
  // The events from the fork on are the parent's.
  EventList after;
  for (const Event& e : parent.event_log()->events())
    if (e.step >= kFork) after.push_back(e);
  const auto& forked = fork.event_log()->events();
  ASSERT_EQ(forked.size(), after.size());
  EXPECT_TRUE(std::equal(forked.begin(), forked.end(), after.begin()));
}

TEST(Fork, AChangeActsFromTheForkOn) {
  // More investigators from the fork: the fork's first step already
  // differs from the parent's, and it has more investigations.
  constexpr std::int32_t kSteps = 40, kFork = 20;
  const Scenario s = eventful(kSteps);
  const auto model = std::make_shared<const Model>(compile_model(s));
  Simulation parent(model, 0);
  while (parent.steps_done() < kFork) parent.step();
  const State at_fork = parent.checkpoint();
  parent.run_to_end();
  Scenario changed = s;
  set_param(changed, Param::policy_prosecution_investigators_per_100k, 200);
  ASSERT_EQ(fork_refusal(s, changed), "");
  Simulation fork(std::make_shared<const Model>(compile_model(changed)), at_fork);
  fork.run_to_end();
  double parent_cases = 0, fork_cases = 0;
  for (std::size_t t = kFork; t < kSteps; ++t) {
    parent_cases += parent.series().total(t, Metric::investigations);
    fork_cases += fork.series().total(t, Metric::investigations);
  }
  EXPECT_GT(fork_cases, 2 * parent_cases);
}

TEST(Fork, AChangeToWhatMadeThePastIsRefusedWithBothValues) {
  const Scenario s = eventful(10);
  Scenario changed = s;
  set_param(changed, Param::population_size, 50000);
  set_param(changed, Param::scenario_seed, 7);
  test::set_regional(changed, 1, Param::population_share, 3);
  const std::string why = fork_refusal(s, changed);
  EXPECT_NE(why.find("population.size = 40000 in the run, 50000 in the fork"), std::string::npos) << why;
  EXPECT_NE(why.find("scenario.seed = 515 in the run, 7 in the fork"), std::string::npos) << why;
  EXPECT_NE(why.find("population.share in region 'r1' = 1 in the run, 3 in the fork"), std::string::npos)
      << why;
  // A lever is the future's to change.
  Scenario lever = s;
  set_param(lever, Param::policy_protection_shelter_beds_per_100k, 90);
  EXPECT_EQ(fork_refusal(s, lever), "");
  // And a checkpoint of another world is not taken at all.
  Simulation small(std::make_shared<const Model>(compile_model(test::tiny_scenario(1000, 2, 10))), 0);
  EXPECT_THROW(Simulation(std::make_shared<const Model>(compile_model(s)), small.checkpoint()),
               std::invalid_argument);
}

}  // namespace
}  // namespace tipsim

#include "collected_runs.hpp"
#include "experiment.hpp"

namespace tipsim {
namespace {

// The baseline and two arms whose interventions start at steps 12 and 20,
// after one the three share from step 3.
std::vector<Scenario> arms(std::int32_t steps) {
  Scenario base = eventful(steps);
  base.interventions.push_back(InterventionSpec{
      "campaign", 3, steps, -1, 2, {{Param::policy_prevention_awareness_reach, LeverOp::Set, 0.4}}});
  Scenario police = base, shelters = base;
  police.name = "police";
  police.interventions.push_back(InterventionSpec{
      "police", 20, steps, 0, 4, {{Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 3.0}}});
  shelters.name = "shelters";
  shelters.interventions.push_back(InterventionSpec{
      "shelters", 12, steps, -1, 0, {{Param::policy_protection_shelter_beds_per_100k, LeverOp::Scale, 4.0}}});
  return {base, police, shelters};
}

TEST(SharedSteps, PointsShareTheStepsBeforeTheirFirstDifferentIntervention) {
  const std::vector<Scenario> points = arms(40);
  EXPECT_EQ(shared_steps(points), 12);
  EXPECT_EQ(shared_steps({points[0], points[1]}), 20);
  EXPECT_EQ(shared_steps({points[0]}), 0);              // nothing to share with
  EXPECT_EQ(shared_steps({points[0], points[0]}), 40);  // the same scenario twice
  // A different parameter from step 0, or a different world: nothing shared.
  std::vector<Scenario> lever = {points[0], points[1]};
  set_param(lever[1], Param::policy_protection_hotline, 0.9);
  EXPECT_EQ(shared_steps(lever), 0);
  std::vector<Scenario> route = {points[0], points[1]};
  route[1].routes.front().share = 0.31;
  EXPECT_EQ(shared_steps(route), 0);
  // The shared first part of the lists must be the same interventions in
  // the same places: a different one at the start ends the sharing there.
  std::vector<Scenario> reordered = {points[0], points[1]};
  reordered[1].interventions.front().start_step = 5;
  EXPECT_EQ(shared_steps(reordered), 3);
}

// Arms of two worlds: each world's arms share among themselves.
std::vector<Scenario> two_worlds(std::int32_t steps) {
  std::vector<Scenario> points = arms(steps);
  Scenario hotline = points[1], hotline_alone = points[2];
  set_param(hotline, Param::policy_protection_hotline, 0.9);
  set_param(hotline_alone, Param::policy_protection_hotline, 0.9);
  hotline.name = "hotline and police";
  hotline_alone.name = "hotline and shelters";
  Scenario other = points[0];
  other.routes.front().share = 0.31;
  return {points[0], hotline, points[1], other, hotline_alone, points[2]};
}

TEST(SharedSteps, PointsOfTheSameWorldShareAmongThemselves) {
  const SharedStarts starts = shared_starts(two_worlds(40));
  EXPECT_EQ(starts.leader, (std::vector<std::size_t>{0, 1, 0, 3, 1, 0}));
  EXPECT_EQ(starts.steps, (std::vector<std::int32_t>{12, 12, 12, 0, 12, 12}));
  EXPECT_EQ(starts.points_sharing(), 5u);
  // A family's runs go together within a replicate's.
  EXPECT_EQ(sharing_order({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, starts),
            (std::vector<std::size_t>{0, 4, 10, 2, 8, 6, 1, 5, 11, 3, 9, 7}));
  // One point, or worlds that all differ: nothing shared.
  EXPECT_EQ(shared_starts({arms(40)[0]}).points_sharing(), 0u);
  const std::vector<Scenario> points = two_worlds(40);
  EXPECT_EQ(shared_starts({points[0], points[1], points[3]}).points_sharing(), 0u);
}

// Runs keep their whole state at the steps asked for; runs started from
// those states with the parent's past give the parent's results.
TEST(SharedSteps, RunsKeepCheckpointsAndForksFromThemGiveTheParentsResults) {
  constexpr std::int32_t kSteps = 30;
  ExperimentOptions options;
  options.replicates = 2;
  options.recording.events = true;
  options.recording.snapshot_every = 4;
  options.checkpoint_steps = {6, 13, 99};
  const std::vector<Scenario> point = {eventful(kSteps)};
  const auto parent = test::collected_runs(point, options);
  ASSERT_EQ(parent.size(), 2u);
  for (const ReplicateResult& r : parent) {
    ASSERT_EQ(r.checkpoints.size(), 2u);  // 99 is past the end
    Simulation alone(point[0], static_cast<std::uint32_t>(r.replicate));
    while (alone.steps_done() < 13) {
      alone.step();
      if (alone.steps_done() == 6) {
        EXPECT_TRUE(alone.state() == r.checkpoints[0]);
      }
    }
    EXPECT_TRUE(alone.state() == r.checkpoints[1]);
  }
  // Forks from step 13 with the parent's past, keeping a checkpoint of their own at 20.
  ExperimentOptions fork = options;
  fork.checkpoint_steps = {6, 20};
  fork.start = [&](std::size_t replicate) {
    auto start = std::make_shared<RunStart>();
    start->state = parent[replicate].checkpoints[1];
    start->series = parent[replicate].series;
    start->events = parent[replicate].events;
    start->snapshots = parent[replicate].snapshots;
    return std::shared_ptr<const RunStart>(std::move(start));
  };
  const auto forked = test::collected_runs(point, fork);
  ASSERT_EQ(forked.size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    SCOPED_TRACE("replicate " + std::to_string(r));
    EXPECT_TRUE(same_steps(parent[r].series, forked[r].series, 0, kSteps));
    EXPECT_EQ(parent[r].events, forked[r].events);
    EXPECT_EQ(parent[r].snapshots.steps, forked[r].snapshots.steps);
    EXPECT_EQ(parent[r].snapshots.state, forked[r].snapshots.state);
    EXPECT_EQ(parent[r].summary, forked[r].summary);
    ASSERT_EQ(forked[r].checkpoints.size(), 1u);  // 6 is the parent's
    EXPECT_EQ(forked[r].checkpoints[0].step, 20);
  }
}

TEST(SharedSteps, PointsThatShareTheirFirstStepsGiveWhatSeparateRunsGiveBitForBit) {
  // Every point's every replicate, with events and snapshots, run together
  // (the first 12 steps once per replicate and family) and each point alone.
  // Two worlds, so that two families share their first steps apart.
  constexpr std::int32_t kSteps = 40;
  const std::vector<Scenario> points = two_worlds(kSteps);
  ExperimentOptions options;
  options.replicates = 2;
  options.recording.events = true;
  options.recording.snapshot_every = 5;
  const auto together = test::collected_runs(points, options);
  ASSERT_EQ(together.size(), points.size() * 2);
  for (std::size_t p = 0; p < points.size(); ++p) {
    const auto alone = test::collected_runs({points[p]}, options);
    for (const ReplicateResult& a : alone) {
      SCOPED_TRACE("point " + std::to_string(p) + ", replicate " + std::to_string(a.replicate));
      const auto it = std::find_if(together.begin(), together.end(), [&](const ReplicateResult& r) {
        return r.point == p && r.replicate == a.replicate;
      });
      ASSERT_NE(it, together.end());
      EXPECT_TRUE(same_steps(a.series, it->series, 0, kSteps));
      EXPECT_EQ(a.events, it->events);
      EXPECT_EQ(a.snapshots.steps, it->snapshots.steps);
      EXPECT_EQ(a.snapshots.state, it->snapshots.state);
      EXPECT_EQ(a.summary, it->summary);
    }
  }
  // The arms did differ from the baseline after the fork (same replicate).
  auto run_of = [&](std::size_t point) {
    return std::find_if(together.begin(), together.end(),
                        [&](const ReplicateResult& r) { return r.point == point && r.replicate == 0; });
  };
  EXPECT_TRUE(same_steps(run_of(0)->series, run_of(2)->series, 0, 12));
  EXPECT_FALSE(same_steps(run_of(0)->series, run_of(2)->series, 0, kSteps));
  EXPECT_FALSE(same_steps(run_of(1)->series, run_of(4)->series, 0, kSteps));
}

}  // namespace
}  // namespace tipsim
