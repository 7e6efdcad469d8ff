// The population with untouched people as counts in strata
// (population.untouched_in_strata, docs/model.md "The population"): the same
// model as every person an agent, within sampling error; people conserved
// between strata and agents; memory that follows the people touched; as
// many strata a cell as the awareness levels allow, however long campaigns
// go on; a checkpoint that holds the strata.
#include "population.hpp"

#include <gtest/gtest.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <tuple>

#include "person_ops.hpp"
#include "sample_agreement.hpp"
#include "simulation.hpp"
#include "state_arrays.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;

// Two regions of different vulnerability, recruiting briskly, with every
// pass over the free population at work: campaigns, empowerment, turnover,
// free children growing up, survivors back home at risk of re-trafficking
// and back in the strata, recovered or not.
Scenario busy_world(bool strata, std::uint32_t persons = 200000, std::int32_t steps = 130) {
  Scenario s = test::tiny_scenario(persons, 2, steps, 20261205);
  set_param(s, Param::population_untouched_in_strata, strata ? 1 : 0);
  set_param(s, Param::traffickers_initial_per_100k, 400);
  set_param(s, Param::traffickers_entry_per_100k, 100);
  set_param(s, Param::policy_prevention_awareness_reach, 0.3);
  set_param(s, Param::policy_prevention_empowerment_reach, 0.1);
  set_param(s, Param::identification_police_rate_per_year, 0.5);
  set_param(s, Param::demography_turnover_per_year, 0.1);
  set_param(s, Param::demography_free_child_ageing_per_year, 0.1);
  // Survivors recover and are reviewed soon: with strata, many go back to them.
  set_param(s, Param::survivors_recovery_per_year, 2);
  set_param(s, Param::survivors_followup_years, 0.25);
  test::set_regional(s, 1, Param::population_vulnerability_mean, 0.45);
  test::set_regional(s, 1, Param::population_vulnerability_sd, 0.2);
  return s;
}

// What one replicate says, for the comparison of the two populations.
struct Figures {
  double exploited = 0;      // mean persons in exploitation per step after the burn-in
  double recruitments = 0;   // after the burn-in
  double retrafficked = 0;   // share of the recruitments that are re-trafficking
  double identified = 0;     // victims identified after the burn-in
  double vulnerability = 0;  // mean over the recruits
  double female = 0, child = 0, empowered = 0, awareness = 0;  // shares and mean over the recruits
  double untouched_region_1 = 0;                               // free persons of region 1 at the end
  double recovering = 0;  // mean survivors recovering per step after the burn-in
  double recoveries = 0;  // survivors' recoveries after the burn-in
};

constexpr std::int32_t kBurnIn = 26;

Figures run_replicate(const Scenario& scenario, std::uint32_t replicate) {
  Recording recording;
  recording.events = true;
  Simulation sim(scenario, replicate, recording);
  Figures f;
  std::size_t seen = 0;
  double recruits = 0;
  while (!sim.finished()) {
    sim.step();
    const EventList& events = sim.event_log()->events();
    const State& state = sim.state();
    const Persons& p = state.persons;
    for (; seen < events.size(); ++seen) {
      const Event& e = events[seen];
      if (e.step < kBurnIn || (e.kind != EventKind::Recruitment && e.kind != EventKind::Retrafficking))
        continue;
      const auto i = static_cast<std::uint32_t>(e.person);
      recruits += 1;
      f.retrafficked += e.kind == EventKind::Retrafficking;
      f.vulnerability += p.vulnerability[i];
      f.female += (p.flags[i] & person_flag::kFemale) != 0;
      f.child += (p.flags[i] & person_flag::kChild) != 0;
      f.empowered += p.empowered[i];
      f.awareness += awareness_now(sim.model(), state, i);
    }
  }
  const Series& series = sim.series();
  const auto burn_in = static_cast<std::size_t>(kBurnIn);
  for (std::size_t t = burn_in; t < series.steps(); ++t) {
    f.exploited +=
        series.total(t, Metric::persons_by_state, static_cast<std::size_t>(PersonState::Exploited));
    for (std::size_t form = 0; form < kForms; ++form)
      f.identified += series.total(t, Metric::victims_identified_by_form, form);
    f.recovering += series.total(t, Metric::survivors_recovering);
    for (std::size_t route = 0; route < kExitRoutes; ++route)
      f.recoveries += series.total(t, Metric::survivor_recoveries, route);
  }
  f.exploited /= static_cast<double>(series.steps() - burn_in);
  f.recovering /= static_cast<double>(series.steps() - burn_in);
  f.recruitments = recruits;
  for (double* share : {&f.retrafficked, &f.vulnerability, &f.female, &f.child, &f.empowered, &f.awareness})
    *share /= std::max(1.0, recruits);
  f.untouched_region_1 = static_cast<double>(sim.state().regions[1].free_persons);
  return f;
}

std::vector<Figures> run_replicates(const Scenario& scenario, std::uint32_t replicates,
                                    std::uint32_t first_replicate) {
  std::vector<Figures> figures(replicates);
  tbb::parallel_for(std::uint32_t{0}, replicates,
                    [&](std::uint32_t r) { figures[r] = run_replicate(scenario, first_replicate + r); });
  return figures;
}

// The two populations run the same model: over 30 replicates each, every
// figure of who is recruited (vulnerability, sex, age group, empowerment,
// awareness, re-trafficking), of prevalence, of identifications and of the
// survivors' recovery (most go back to the strata before they recover)
// agrees within sampling error. The replicates of the two sides are independent
// (different replicate numbers), as the two populations draw differently.
TEST(Population, StrataRunTheSameModelAsEveryPersonAnAgent) {
  constexpr std::uint32_t kReplicates = 30;
  const std::vector<Figures> agents = run_replicates(busy_world(false), kReplicates, 0);
  const std::vector<Figures> strata = run_replicates(busy_world(true), kReplicates, kReplicates);
  test::SampleAgreement agreement;
  auto claim = [&](const char* name, double Figures::*figure) {
    std::vector<double> a, b;
    for (const Figures& f : agents) a.push_back(f.*figure);
    for (const Figures& f : strata) b.push_back(f.*figure);
    agreement.claim(name, a, b);
  };
  claim("persons in exploitation (mean)", &Figures::exploited);
  claim("recruitments", &Figures::recruitments);
  claim("share of recruits re-trafficked", &Figures::retrafficked);
  claim("victims identified", &Figures::identified);
  claim("recruits' mean vulnerability", &Figures::vulnerability);
  claim("share of recruits female", &Figures::female);
  claim("share of recruits children", &Figures::child);
  claim("share of recruits empowered", &Figures::empowered);
  claim("recruits' mean awareness", &Figures::awareness);
  claim("free persons of region 1 at the end", &Figures::untouched_region_1);
  claim("survivors recovering (mean)", &Figures::recovering);
  claim("survivors' recoveries", &Figures::recoveries);
  agreement.expect_all_agree();
  // The recruits must include people every pass has touched, or the
  // comparison would not see those passes.
  EXPECT_GT(agents[0].empowered, 0.01);
  EXPECT_GT(agents[0].retrafficked, 0.01);
  EXPECT_GT(agents[0].awareness, busy_world(false).get(Param::population_awareness_base) + 0.02);
}

// People are conserved: in every region, the untouched in strata and the
// agents whose home it is add up to its population, and the free count is
// the untouched plus the free agents. The strata stay sorted, merged and
// without empty ones; only the people touched are agents; a vacant slot is
// untouched and no list or pending review names it.
TEST(Population, StrataAndAgentsAddUpToTheWorld) {
  Simulation sim(busy_world(true, 200000, 60), 0);
  const Model& model = sim.model();
  while (!sim.finished()) {
    sim.step();
    const State& state = sim.state();
    SCOPED_TRACE("step " + std::to_string(state.step));
    std::vector<std::uint64_t> agents(model.region_count(), 0), free_agents(model.region_count(), 0),
        recovering(model.region_count(), 0);
    // A vacant slot (a survivor gone back to the strata) is no one: untouched, in no list.
    std::vector<bool> is_vacant(state.persons.size(), false);
    Persons untouched_person;
    untouched_person.resize(1);
    for (const std::uint32_t i : state.vacant) {
      ASSERT_FALSE(is_vacant[i]);
      is_vacant[i] = true;
      state.persons.for_each_field([&](std::string_view name, const auto& field) {
        untouched_person.for_each_field([&](std::string_view untouched_name, const auto& untouched_field) {
          if constexpr (std::is_same_v<decltype(field), decltype(untouched_field)>) {
            if (name == untouched_name) {
              EXPECT_EQ(field[i], untouched_field[0]) << name << " of slot " << i;
            }
          }
        });
      });
      ASSERT_FALSE(std::binary_search(state.involved.begin(), state.involved.end(), i));
    }
    // A review reads its person: none waits for a vacant slot.
    for (const SurvivorEvent& e : state.survivor_calendar.events())
      ASSERT_FALSE(e.kind == SurvivorEvent::Review && is_vacant[e.person]) << "review of slot " << e.person;
    for (std::uint32_t i = 0; i < state.persons.size(); ++i) {
      if (is_vacant[i]) continue;
      ++agents[state.persons.home_region[i]];
      free_agents[state.persons.home_region[i]] +=
          state.persons.state[i] == static_cast<std::uint8_t>(PersonState::Free);
      recovering[state.persons.home_region[i]] += (state.persons.flags[i] & person_flag::kRecovering) != 0;
    }
    for (std::size_t r = 0; r < model.region_count(); ++r) {
      const std::uint64_t untouched_here = untouched(state, r);
      ASSERT_EQ(static_cast<double>(untouched_here + agents[r]), model.regions[r].population);
      ASSERT_EQ(state.regions[r].free_persons, untouched_here + free_agents[r]);
      ASSERT_EQ(state.members[r].size(), agents[r]);
      // The survivors recovering: agents and the people of strata with the trait.
      for (const Stratum& st : state.strata[r])
        if (st.traits & stratum_trait::kRecovering) recovering[r] += st.people;
      ASSERT_EQ(state.regions[r].survivors_recovering, recovering[r]);
      ASSERT_TRUE(std::is_sorted(state.members[r].begin(), state.members[r].end()));
      for (const std::uint32_t i : state.members[r]) ASSERT_FALSE(is_vacant[i]);
      const std::vector<Stratum>& strata = state.strata[r];
      for (std::size_t k = 0; k < strata.size(); ++k) {
        ASSERT_GT(strata[k].people, 0u);
        ASSERT_LT(strata[k].vulnerability_bin, model.vulnerability_bins);
        if (k > 0) {
          ASSERT_TRUE(
              std::tie(strata[k - 1].traits, strata[k - 1].vulnerability_bin, strata[k - 1].awareness_level) <
              std::tie(strata[k].traits, strata[k].vulnerability_bin, strata[k].awareness_level));
        }
      }
    }
  }
  // Memory follows the people touched: a few per cent of the population.
  EXPECT_LT(static_cast<double>(sim.state().persons.size()), 0.1 * 200000);
  EXPECT_GT(sim.state().persons.size(), 1000u);
}

// Campaign boosts live ln(1 / 1e-4) / 0.1 = 92 levels of 0.1 (docs/model.md,
// "Awareness levels"), so however long campaigns go on a cell (region,
// traits, bin) holds at most 93 levels and the people without a boost:
// what a pass over the strata costs stays bounded. Boosts that decay fast
// (a lifetime of 96 steps) and contacts rare enough that many live it out
// fill the levels within the run: 91 a cell here, where levels of 0.02 held
// 433, and levels kept once their boost is negligible 318. The levels a cell
// holds follow the campaigns' timeline, not its people: 200 000 people fill
// them as 2 million do (91 either way), at a tenth of the cost.
TEST(Population, ACellHoldsAtMost94StrataHoweverLongCampaignsGoOn) {
  Scenario s = busy_world(true, 200000, 400);
  set_param(s, Param::policy_prevention_awareness_reach, 0.5);
  set_param(s, Param::prevention_awareness_decay_per_year, 5.0);
  set_param(s, Param::population_vulnerability_bins, 4);
  const auto model = std::make_shared<const Model>(compile_model(s));
  Simulation run(model, 1);
  std::size_t fullest = 0;
  while (!run.finished()) {
    run.step();
    for (const std::vector<Stratum>& strata : run.state().strata)
      for (std::size_t k = 0; k < strata.size();) {
        std::size_t end = k;
        while (end < strata.size() && strata[end].traits == strata[k].traits &&
               strata[end].vulnerability_bin == strata[k].vulnerability_bin)
          ++end;
        fullest = std::max(fullest, end - k);
        k = end;
      }
  }
  std::printf("the fullest cell held %zu strata (at most 94)\n", fullest);
  EXPECT_LE(fullest, 94u);
  // The campaigns filled the levels, or the bound would say nothing.
  EXPECT_GE(fullest, 80u);
}

// A checkpoint holds the strata: read back, it is the same state, and the
// run continued from it gives the same series as the run that went on.
TEST(Population, ACheckpointHoldsTheStrata) {
  const Scenario scenario = busy_world(true, 100000, 60);
  Simulation whole(scenario, 3);
  for (int t = 0; t < 30; ++t) whole.step();
  // Slots left vacant by survivors gone back to the strata, which the next agents take.
  ASSERT_GT(whole.state().vacant.size(), 10u);
  const State read_back = state_from_arrays(whole.model(), state_arrays(whole.state()));
  ASSERT_TRUE(read_back == whole.state());
  auto model = std::make_shared<const Model>(compile_model(scenario));
  Simulation resumed(model, read_back);
  whole.run_to_end();
  resumed.run_to_end();
  for (std::int32_t t = 30; t < 60; ++t) {
    const auto a = whole.series().frame(static_cast<std::size_t>(t));
    const auto b = resumed.series().frame(static_cast<std::size_t>(t));
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << "step " << t;
  }
}

// A checkpoint written before survivors went back to the strata has no
// vacant slots and no count of pending reviews: read, it has none vacant and
// each person's pending reviews counted from the calendar, the state the
// arrays were taken from.
TEST(Population, ACheckpointOfAnEarlierVersionCountsThePendingReviews) {
  Simulation sim(busy_world(true, 100000, 20), 5);
  for (int t = 0; t < 10; ++t) sim.step();
  const State& state = sim.state();
  ASSERT_TRUE(state.vacant.empty());
  const auto pending =
      std::count_if(state.persons.reviews_pending.begin(), state.persons.reviews_pending.end(),
                    [](std::uint8_t n) { return n > 0; });
  ASSERT_GT(pending, 50);
  std::vector<StateArray> arrays = state_arrays(state);
  std::erase_if(
      arrays, [](const StateArray& a) { return a.name == "persons/reviews_pending" || a.name == "vacant"; });
  EXPECT_TRUE(state_from_arrays(sim.model(), arrays) == state);
}

// The first free agent whose home is region r, if any.
std::optional<std::uint32_t> first_free_member(const State& state, std::size_t r) {
  for (const std::uint32_t k : state.members[r])
    if (state.persons.state[k] == static_cast<std::uint8_t>(PersonState::Free)) return k;
  return std::nullopt;
}

// A recovered survivor goes back to the stratum of their traits, history,
// vulnerability bin and awareness level, their slot vacant; the next person
// to become an agent takes the slot and brings the history back (trafficked
// before, the last exit's route, services' record, a criminal record).
// The warm start draws its victims with RegionDraws: each draw is the
// stratum and fraction, or the agent, that draw_person's walk over the
// strata gives, also after people it drew became agents, and it makes them
// agents as materialise does.
TEST(Population, RegionDrawsAreDrawPersonsDrawsInLogarithmicTime) {
  Simulation sim(busy_world(true, 100000, 40), 3);
  for (int t = 0; t < 30; ++t) sim.step();  // campaigns and returns have spread the people over many strata
  const Model& model = sim.model();
  State fast = sim.state();
  State walk = sim.state();
  constexpr std::size_t r = 1;
  ASSERT_GT(fast.strata[r].size(), 50u);
  ASSERT_FALSE(fast.members[r].empty());
  RegionDraws draws(fast, r);
  Stream stream(77, 0, 0, Phase::Initialise, AgentKind::Region, 0);
  std::size_t from_strata = 0, from_agents = 0;
  for (std::uint32_t k = 0; k < 20000; ++k) {
    // The edges of the range too: 0 and just below 1.
    const double u = k == 0 ? 0.0 : k == 1 ? std::nextafter(1.0, 0.0) : stream.uniform(k);
    const DrawnPerson a = draws.draw(u);
    const DrawnPerson b = draw_person(walk, r, u);
    ASSERT_EQ(a.stratum == nullptr, b.stratum == nullptr) << "draw " << k << " u " << u;
    if (b.stratum == nullptr) {
      ASSERT_EQ(a.agent, b.agent) << "draw " << k;
      ++from_agents;
      continue;
    }
    const auto index = static_cast<std::size_t>(b.stratum - walk.strata[r].data());
    ASSERT_EQ(static_cast<std::size_t>(a.stratum - fast.strata[r].data()), index) << "draw " << k;
    ASSERT_EQ(a.fraction, b.fraction) << "draw " << k;
    ++from_strata;
    // Every fourth becomes an agent, in both states.
    if (k % 4 == 0 && b.stratum->people > 0) {
      const std::uint32_t id_fast = draws.materialise(model, *a.stratum, 0.5);
      const std::uint32_t id_walk = materialise(model, walk, r, *b.stratum, 0.5);
      ASSERT_EQ(id_fast, id_walk);
    }
  }
  EXPECT_GT(from_strata, 10000u);
  EXPECT_GT(from_agents, 0u);
  EXPECT_TRUE(fast.strata[r] == walk.strata[r]);
  EXPECT_TRUE(fast.members[r] == walk.members[r]);
}

// merge_moved gives what sorting everything and adding up equal keys gives
// (the strata's canonical form, on which their streams' indices rest):
// sorted strata with some emptied, moved people in any order with
// repeated and empty entries, keys that exist and keys that do not (the
// first, the last and levels of either sign among them), few moved and many.
TEST(Population, MergingMovedPeopleGivesTheSortedSumsOfEveryKey) {
  const auto key = [](const Stratum& s) {
    return std::tuple(s.traits, s.vulnerability_bin, s.awareness_level);
  };
  const auto reference = [&](std::vector<Stratum> all) {
    std::sort(all.begin(), all.end(), [&](const Stratum& a, const Stratum& b) { return key(a) < key(b); });
    std::vector<Stratum> out;
    for (const Stratum& s : all) {
      if (s.people == 0) continue;
      if (!out.empty() && key(out.back()) == key(s)) {
        out.back().people += s.people;
      } else {
        out.push_back(s);
      }
    }
    return out;
  };
  Stream stream(5, 0, 0, Phase::Initialise, AgentKind::Region, 0);
  std::uint32_t draw = 0;
  const auto below = [&](std::uint32_t n) { return static_cast<std::uint32_t>(stream.uniform(draw++) * n); };
  const auto random_stratum = [&] {
    return Stratum{static_cast<std::uint16_t>(below(3) * 0x1001), static_cast<std::uint8_t>(below(4)),
                   below(5) == 0 ? kNoBoost : static_cast<std::int32_t>(below(40)) - 20, 1 + below(9)};
  };
  std::size_t trials_with_new = 0, trials_joining_the_last = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<Stratum> drawn;
    for (std::uint32_t k = below(300); k > 0; --k) drawn.push_back(random_stratum());
    std::vector<Stratum> strata = reference(drawn);
    // Some strata emptied, as the passes leave them.
    for (Stratum& s : strata)
      if (below(6) == 0) s.people = 0;
    // Few moved (binary searches) or many (one walk), repeated and empty ones among them.
    std::vector<Stratum> moved;
    const std::uint32_t count = trial % 2 == 0 ? below(8) : below(400);
    for (std::uint32_t k = 0; k < count; ++k) {
      Stratum m = !strata.empty() && below(2) == 0 ? strata[below(static_cast<std::uint32_t>(strata.size()))]
                                                   : random_stratum();
      m.people = below(8) == 0 ? 0 : 1 + below(5);
      moved.push_back(m);
      if (below(5) == 0) moved.push_back(m);
    }
    if (!strata.empty() && trial % 3 == 0) {
      moved.push_back(strata.back());
      moved.back().people = 2;
      ++trials_joining_the_last;
    }
    std::vector<Stratum> all = strata;
    all.insert(all.end(), moved.begin(), moved.end());
    const std::vector<Stratum> expected = reference(all);
    if (expected.size() > reference(strata).size()) ++trials_with_new;
    merge_moved(strata, moved);
    ASSERT_EQ(strata, expected) << "trial " << trial << ", " << count << " moved";
    ASSERT_TRUE(moved.empty());
  }
  EXPECT_GT(trials_with_new, 100u);
  EXPECT_GT(trials_joining_the_last, 100u);
}

TEST(Population, ARecoveredSurvivorGoesBackToTheStrataWithTheirHistory) {
  Simulation sim(busy_world(true, 100000, 10), 2);
  for (int t = 0; t < 5; ++t) sim.step();
  const Model& model = sim.model();
  State& state = const_cast<State&>(sim.state());
  constexpr std::size_t r = 1;
  const auto free_member = first_free_member(state, r);
  ASSERT_TRUE(free_member.has_value());
  const std::uint32_t i = *free_member;
  // A survivor who has recovered, reviewed: no step runs after, so their
  // follow-ups in the calendar are never taken.
  end_recovery(state, i);
  Persons& p = state.persons;
  p.reviews_pending[i] = 0;
  p.flags[i] = person_flag::kFemale | person_flag::kCriminalised;
  p.survivor[i] = survivor_route_bits(ExitRoute::Released) | survivor_bits::kAssisted;
  p.times_trafficked[i] = 3;
  p.empowered[i] = 1;
  const double cut = 1.0 - model.scenario.get(Param::prevention_empowerment_effect);
  // Just above the edge of bin 3 before the cut, boosted by 0.3 five steps ago.
  const std::vector<double>& q = *model.regions[r].vulnerability_quantiles;
  p.vulnerability[i] = static_cast<float>(q[3 * Model::kQuantilesPerBin] * 1.001 * cut);
  p.awareness_boost[i] = 0.3f;
  p.awareness_step[i] = state.step - 5;
  ASSERT_GT(model.vulnerability_bins, 4u);
  const auto traits =
      static_cast<std::uint8_t>(stratum_trait::kFemale | stratum_trait::kEmpowered |
                                (survivor_route_bits(ExitRoute::Released) << stratum_trait::kRouteShift) |
                                stratum_trait::kAssisted | stratum_trait::kCriminalised);
  const double boost =
      0.3 * std::exp(-model.scenario.get(Param::prevention_awareness_decay_per_year) * 5 * model.step_years);
  const Stratum expected{traits, 3, boost_level(model, boost, state.step), 0};
  auto people_in = [&](const Stratum& key) {
    for (const Stratum& s : state.strata[r])
      if (s.traits == key.traits && s.vulnerability_bin == key.vulnerability_bin &&
          s.awareness_level == key.awareness_level)
        return s.people;
    return std::uint64_t{0};
  };
  const std::uint64_t before = people_in(expected), untouched_before = untouched(state, r);
  const std::size_t members_before = state.members[r].size();

  Scratch scratch;
  scratch.returning = {i};
  return_to_strata(model, state, scratch);
  EXPECT_EQ(people_in(expected), before + 1);
  EXPECT_EQ(untouched(state, r), untouched_before + 1);
  EXPECT_EQ(state.members[r].size(), members_before - 1);
  EXPECT_FALSE(std::binary_search(state.members[r].begin(), state.members[r].end(), i));
  ASSERT_FALSE(state.vacant.empty());
  EXPECT_EQ(state.vacant.back(), i);
  EXPECT_EQ(p.times_trafficked[i], 0);
  EXPECT_EQ(p.flags[i], 0);

  // The next agent takes the slot, with the stratum's history.
  Stratum* s = nullptr;
  for (Stratum& candidate : state.strata[r])
    if (candidate.traits == traits && candidate.vulnerability_bin == 3) s = &candidate;
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(materialise(model, state, r, *s, 0.5), i);
  EXPECT_EQ(p.flags[i], person_flag::kFemale | person_flag::kCriminalised);
  EXPECT_EQ(p.survivor[i], survivor_route_bits(ExitRoute::Released) | survivor_bits::kAssisted);
  EXPECT_EQ(p.times_trafficked[i], 1);
  EXPECT_EQ(p.empowered[i], 1);
  EXPECT_EQ(p.home_region[i], r);
}

// A survivor who has not recovered goes back to the strata too, still
// counted as recovering: their stratum has the trait, and the next person
// of it to become an agent is recovering (the re-trafficking multiplier
// applies to them) and counted as before.
TEST(Population, ASurvivorNotRecoveredGoesBackStillRecovering) {
  Simulation sim(busy_world(true, 100000, 10), 2);
  for (int t = 0; t < 5; ++t) sim.step();
  const Model& model = sim.model();
  State& state = const_cast<State&>(sim.state());
  constexpr std::size_t r = 0;
  const auto free_member = first_free_member(state, r);
  ASSERT_TRUE(free_member.has_value());
  const std::uint32_t i = *free_member;
  Persons& p = state.persons;
  p.reviews_pending[i] = 0;
  p.flags[i] = 0;
  p.survivor[i] = survivor_route_bits(ExitRoute::Escaped);
  start_recovery(state, i);
  const std::uint32_t recovering = state.regions[r].survivors_recovering;
  const auto traits = static_cast<std::uint16_t>(
      stratum_trait::kRecovering | (survivor_route_bits(ExitRoute::Escaped) << stratum_trait::kRouteShift));
  auto people_with = [&](std::uint16_t wanted) {
    std::uint64_t n = 0;
    for (const Stratum& s : state.strata[r])
      if (s.traits == wanted) n += s.people;
    return n;
  };
  const std::uint64_t before = people_with(traits);
  Scratch scratch;
  scratch.returning = {i};
  return_to_strata(model, state, scratch);
  EXPECT_EQ(people_with(traits), before + 1);
  EXPECT_EQ(state.regions[r].survivors_recovering, recovering);
  ASSERT_FALSE(state.vacant.empty());
  EXPECT_EQ(state.vacant.back(), i);

  Stratum* s = nullptr;
  for (Stratum& candidate : state.strata[r])
    if (candidate.traits == traits) s = &candidate;
  ASSERT_NE(s, nullptr);
  const std::uint32_t again = materialise(model, state, r, *s, 0.5);
  EXPECT_EQ(state.persons.flags[again], person_flag::kRecovering);
  EXPECT_EQ(state.regions[r].survivors_recovering, recovering);
  const double plain = susceptibility_of(model.scenario.globals, 0.5, 0);
  EXPECT_DOUBLE_EQ(susceptibility(model, state, again),
                   plain * model.scenario.get(Param::recruitment_retrafficking_factor));
  end_recovery(state, again);
  EXPECT_EQ(state.regions[r].survivors_recovering, recovering - 1);
}

// Over a run, survivors go back to the strata and people come back from
// them, and no one's past is forgotten: the people ever trafficked (agents trafficked before, strata
// with a last exit) never fall while turnover and births into servitude are
// off.
TEST(Population, SurvivorsGoBackToTheStrataAndNoPastIsForgotten) {
  Scenario scenario = busy_world(true, 100000, 150);
  set_param(scenario, Param::demography_turnover_per_year, 0);
  set_param(scenario, Param::servitude_births_per_year, 0);
  Simulation sim(scenario, 4);
  double ever = 0;
  while (!sim.finished()) {
    sim.step();
    const State& state = sim.state();
    std::vector<bool> is_vacant(state.persons.size(), false);
    for (const std::uint32_t i : state.vacant) is_vacant[i] = true;
    double now = 0;
    for (std::uint32_t i = 0; i < state.persons.size(); ++i)
      now += !is_vacant[i] && state.persons.times_trafficked[i] > 0;
    for (const auto& region_strata : state.strata)
      for (const Stratum& s : region_strata)
        if (s.traits & stratum_trait::kRouteMask) now += static_cast<double>(s.people);
    ASSERT_GE(now, ever) << "step " << state.step;
    ever = now;
  }
  double survivors_in_strata = 0;
  for (const auto& region_strata : sim.state().strata)
    for (const Stratum& s : region_strata)
      if (s.traits & stratum_trait::kRouteMask) survivors_in_strata += static_cast<double>(s.people);
  EXPECT_GT(survivors_in_strata, 100);
}

}  // namespace
}  // namespace tipsim
