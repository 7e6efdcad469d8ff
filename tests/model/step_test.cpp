// The whole step (step.cpp): the frame is zeroed first, the phases run in
// the order of docs/model.md section 4, the involved list loses the people
// freed during the step, and the step counter advances. Each order test
// sets up a world where two neighbouring phases give a different, certain
// outcome when swapped: hazards of 1000 per year make an event of a weekly
// step certain but for e^-19 (about 5e-9 per person).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "phases.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;
using test::World;

void step(World& w) { tipsim::step(w.model, w, w); }

double total(const World& w, Metric m) { return test::frame_total(w, m); }

// A quiet world where nothing happens by chance: no identification, no
// escape or release, no desistance; every market's demand far above supply.
Scenario still_scenario(std::uint32_t persons) {
  Scenario s = test::quiet_scenario(persons, 1);
  test::no_identification(s);
  set_param(s, Param::institutions_corruption, 0);
  set_param(s, Param::exploitation_escape_per_year, 0);
  set_param(s, Param::exploitation_release_per_year, 0);
  set_param(s, Param::traffickers_desistance_per_year, 0);
  set_param(s, Param::market_demand_sexual_per_100k, 1e5);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  return s;
}

// Strong recruiting: every free person facing a trafficker with a free slot
// is a candidate, so the trafficker fills its slots in this step.
void strong_recruiting(Scenario& s) {
  set_param(s, Param::traffickers_contacts_per_slot_per_year, 1e6);
  set_param(s, Param::recruitment_deterrence_elasticity, 0);
}

// NGO outreach that finds every exploited person within the step.
void certain_outreach(Scenario& s) {
  set_param(s, Param::identification_ngo_rate_per_year, 1000);
  set_param(s, Param::policy_protection_outreach_workers_per_100k, 1e4);
}

// Stocks of the frame against the state as the step left it.
void expect_stocks_match_the_state(const World& w) {
  for (std::size_t st = 0; st < kPersonStates; ++st)
    EXPECT_EQ(test::frame_total(w, Metric::persons_by_state, st),
              test::count_in(w, static_cast<PersonState>(st)))
        << "persons_by_state " << axis_labels(Axis::State)[st];
  std::array<double, kForms> exploited{};
  for (const std::uint32_t i : test::persons_in(w, PersonState::Exploited))
    exploited[static_cast<std::size_t>(person_form(w, i))] += 1;
  for (std::size_t f = 0; f < kForms; ++f)
    EXPECT_EQ(test::frame_total(w, Metric::exploited_by_form, f), exploited[f]) << "exploited_by_form " << f;
  double active = 0;
  for (const std::uint8_t st : w.traffickers.state)
    active += st == static_cast<std::uint8_t>(TraffickerState::Active);
  EXPECT_EQ(total(w, Metric::traffickers_active), active);
}

TEST(Step, TheFrameIsZeroedBeforeThePolicyPhaseAndTheStepAdvances) {
  const Scenario s = test::quiet_scenario(2000, 1);
  World w = test::make_world(s);
  std::fill(w.frame.begin(), w.frame.end(), 12345.0);  // last step's values
  w.step = 3;
  step(w);
  EXPECT_EQ(w.step, 4);
  // Nothing flows in a quiet world, and nothing of the old frame is left.
  for (const MetricSpec& m : metric_table()) {
    if (m.nature == Nature::Flow && m.id != Metric::spending) {
      EXPECT_EQ(total(w, m.id), 0.0) << m.name;
    }
  }
  // The policy phase adds this step's spending to a zeroed frame: one
  // step's cost of the default investigators, computed as the code does.
  const double per_100k = 2000.0 / 1e5 * w.step_years;
  EXPECT_DOUBLE_EQ(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Prosecution)),
                   s.get(Param::policy_prosecution_investigators_per_100k) *
                       s.get(Param::cost_investigator_usd_per_year) * per_100k);
  expect_stocks_match_the_state(w);
  EXPECT_EQ(test::frame_total(w, Metric::persons_by_state, 0), 2000.0);
}

TEST(Step, RecruitsOfTheStepAreMovedExploitedAndIdentifiedWithinIt) {
  // Recruitment (4), movement (5), exploitation (6), identification (7):
  // a domestic recruit starts exploitation in the step of recruitment,
  // earns for that step and can be identified in it.
  Scenario s = still_scenario(2000);
  strong_recruiting(s);
  certain_outreach(s);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, 20);
  step(w);
  EXPECT_EQ(total(w, Metric::recruitments_by_method), 20.0);  // every slot filled
  EXPECT_EQ(total(w, Metric::exploitations_new), 20.0);
  EXPECT_EQ(total(w, Metric::victim_steps), 20.0);
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel,
                              static_cast<std::size_t>(Channel::NgoOutreach)),
            20.0);
  EXPECT_EQ(total(w, Metric::protection_entries), 20.0);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 20u);
  EXPECT_EQ(w.traffickers.victims[static_cast<std::size_t>(t)], 0);
  for (const std::uint32_t i : test::persons_in(w, PersonState::InProtection)) {
    EXPECT_EQ(w.persons.times_trafficked[i], 1);
    EXPECT_EQ(w.persons.state_since[i], 0);  // all within step 0
  }
  EXPECT_TRUE(test::world_is_consistent(w));
  expect_stocks_match_the_state(w);
}

TEST(Step, PeopleFreedByTheMarketCanBeRecruitedAgainInTheSameStep) {
  // Market (3) before recruitment (4): trafficker A quits the trade and lets
  // person 0 go; trafficker C, released from prison in the same phase,
  // takes them again. The involved list must hold them once.
  Scenario s = still_scenario(1000);
  strong_recruiting(s);
  set_param(s, Param::traffickers_risk_desistance, 1000);
  set_param(s, Param::traffickers_recidivism, 1);
  World w = test::make_world(s);
  const std::int32_t a = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, 1);
  const std::int32_t c = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, 1);
  w.traffickers.state[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  w.traffickers.sentence_remaining[static_cast<std::size_t>(c)] = 1;
  --w.regions[0].traffickers_active;
  test::set_perceived_risk(w, 0, 1);  // A desists; C, in prison, is not asked this step
  const std::uint32_t v = 0;
  test::make_exploited(w, v, a);
  w.persons.vulnerability[v] = 1.0f;  // the likeliest recruit, and the first by id
  ASSERT_TRUE(test::world_is_consistent(w));
  step(w);
  EXPECT_EQ(total(w, Metric::traffickers_desisting), 1.0);
  EXPECT_EQ(total(w, Metric::traffickers_released), 1.0);
  EXPECT_EQ(total(w, Metric::releases), 1.0);
  EXPECT_EQ(total(w, Metric::recruitments_by_method), 1.0);
  EXPECT_EQ(total(w, Metric::recruitments_retrafficked), 1.0);
  EXPECT_EQ(w.persons.controller[v], c);
  EXPECT_EQ(w.persons.state[v], static_cast<std::uint8_t>(PersonState::Exploited));
  EXPECT_EQ(w.persons.times_trafficked[v], 2);
  EXPECT_EQ(w.involved, std::vector<std::uint32_t>{v});
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Step, PeopleFreedAfterRecruitmentAreRecruitedOnlyFromTheNextStep) {
  // Exploitation (6) after recruitment (4): the victim escapes after the
  // full trafficker had its turn, so the free slot is used next step.
  Scenario s = still_scenario(1000);
  strong_recruiting(s);
  set_param(s, Param::exploitation_escape_per_year, 1000);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, 1);
  test::make_exploited(w, 0, t);
  step(w);
  EXPECT_EQ(total(w, Metric::escapes), 1.0);
  EXPECT_EQ(total(w, Metric::recruitments_by_method), 0.0);
  EXPECT_EQ(w.traffickers.victims[static_cast<std::size_t>(t)], 0);
  step(w);
  EXPECT_EQ(total(w, Metric::recruitments_by_method), 1.0);
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Step, APersonFreedDuringTheStepLeavesTheInvolvedList) {
  Scenario s = still_scenario(1000);
  set_param(s, Param::exploitation_escape_per_year, 1000);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 5);
  for (std::uint32_t i = 10; i < 15; ++i) test::make_exploited(w, i, t);
  w.traffickers.state[static_cast<std::size_t>(t)] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  w.traffickers.sentence_remaining[static_cast<std::size_t>(t)] = 100;  // recruits no one
  --w.regions[0].traffickers_active;
  ASSERT_EQ(w.involved.size(), 5u);
  step(w);
  EXPECT_EQ(total(w, Metric::escapes), 5.0);
  EXPECT_EQ(test::count_in(w, PersonState::Free), 1000u);
  EXPECT_TRUE(w.involved.empty());
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Step, TurnoverReplacesThePeopleFreedEarlierInTheStep) {
  // Demography (10) after exploitation (6): with full turnover everyone
  // FREE at the end of the step is a new entrant, the escaped included.
  Scenario s = still_scenario(1000);
  set_param(s, Param::exploitation_escape_per_year, 1000);
  set_param(s, Param::demography_turnover_per_year, 1000);  // 1 - exp(-1000 x 7/365) > 1 - 1e-8: everyone
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 5);
  w.traffickers.state[static_cast<std::size_t>(t)] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  w.traffickers.sentence_remaining[static_cast<std::size_t>(t)] = 100;
  --w.regions[0].traffickers_active;
  for (std::uint32_t i = 0; i < 5; ++i) test::make_exploited(w, i, t);
  step(w);
  EXPECT_EQ(total(w, Metric::escapes), 5.0);
  for (std::uint32_t i = 0; i < 5; ++i) EXPECT_EQ(w.persons.times_trafficked[i], 0) << i;
}

// Victims of one full trafficker, found either by outreach (identification,
// phase 7) or by the investigation of their trafficker (prosecution, phase
// 8), in a region whose services take no time: protection (phase 9) sends
// them home in the same step, and full turnover (phase 10) replaces them.
void services_end_in_the_step_they_begin(bool by_outreach) {
  Scenario s = still_scenario(1000);
  set_param(s, Param::policy_protection_service_years, 0);
  set_param(s, Param::demography_turnover_per_year, 1000);
  if (by_outreach) {
    certain_outreach(s);
  } else {
    // Enough investigators for several investigations a step, all on the
    // one active trafficker, who finds every victim.
    set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
    set_param(s, Param::identification_police_rate_per_year, 0);
    set_param(s, Param::prosecution_victims_found_share, 1);
  }
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 3);
  for (std::uint32_t i = 0; i < 3; ++i) test::make_exploited(w, i, t);
  step(w);
  const Channel channel = by_outreach ? Channel::NgoOutreach : Channel::Investigation;
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel, static_cast<std::size_t>(channel)), 3.0);
  EXPECT_EQ(total(w, Metric::identifications_by_channel), 3.0);
  EXPECT_EQ(total(w, Metric::protection_entries), 3.0);
  EXPECT_EQ(total(w, Metric::reintegrations), 3.0);
  EXPECT_EQ(test::count_in(w, PersonState::Free), 1000u);
  EXPECT_EQ(w.regions[0].shelter_occupied, 0u);
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_EQ(w.persons.times_trafficked[i], 0) << i;
  EXPECT_TRUE(w.involved.empty());
  EXPECT_TRUE(test::world_is_consistent(w));
  // Metrics (11) come last: the stocks are those after protection.
  expect_stocks_match_the_state(w);
}

TEST(Step, ServicesThatTakeNoTimeEndInTheStepOfIdentification) { services_end_in_the_step_they_begin(true); }

TEST(Step, ServicesThatTakeNoTimeEndInTheStepOfInvestigation) { services_end_in_the_step_they_begin(false); }

TEST(Step, OutreachFindsVictimsBeforeInvestigatorsLookForThem) {
  // Identification (7) before prosecution (8): with both certain, every
  // victim is found by outreach; the investigation finds none left.
  Scenario s = still_scenario(1000);
  certain_outreach(s);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 0);
  set_param(s, Param::prosecution_victims_found_share, 1);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 4);
  for (std::uint32_t i = 0; i < 4; ++i) test::make_exploited(w, i, t);
  step(w);
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel,
                              static_cast<std::size_t>(Channel::NgoOutreach)),
            4.0);
  EXPECT_EQ(total(w, Metric::identifications_by_channel), 4.0);
  EXPECT_GE(test::frame_total(w, Metric::investigations, 0), 1.0);  // the trafficker was investigated
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Step, TheLeversOfTheStepAreInForceForItsPhases) {
  // Policy (1) first: outreach switched on from step 1 finds the victims in
  // step 1, not later; nothing is found in step 0.
  Scenario s = still_scenario(1000);
  set_param(s, Param::identification_ngo_rate_per_year, 1000);
  s.interventions.push_back(InterventionSpec{
      "outreach", 1, 10, -1, 0, {{Param::policy_protection_outreach_workers_per_100k, LeverOp::Set, 1e4}}});
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 4);
  for (std::uint32_t i = 0; i < 4; ++i) test::make_exploited(w, i, t);
  step(w);
  EXPECT_EQ(total(w, Metric::identifications_by_channel), 0.0);
  step(w);
  EXPECT_EQ(total(w, Metric::identifications_by_channel), 4.0);
  EXPECT_EQ(w.step, 2);
}

TEST(Step, FrameStocksAreTheStateAtTheEndOfEveryStep) {
  // A busy world where every phase moves people: the stocks collected
  // last must equal what the persons and traffickers say.
  Scenario s = test::tiny_scenario(20000, 2, 5);
  set_param(s, Param::identification_police_rate_per_year, 2);
  set_param(s, Param::exploitation_escape_per_year, 2);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 20);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 50);
  set_param(s, Param::policy_protection_service_years, 0.05);
  s.routes.push_back(RouteSpec{0, 1, 0.5, 7});
  World w = test::make_world(s);
  for (int k = 0; k < 5; ++k) {
    SCOPED_TRACE(k);
    step(w);
    expect_stocks_match_the_state(w);
    ASSERT_TRUE(test::world_is_consistent(w));
  }
}

// A scratch buffer whose reallocations a test counts: its data pointer
// and capacity, read after each step.
struct WatchedBuffer {
  const char* name;
  std::function<const void*(const Scratch&)> data;
  std::function<std::size_t(const Scratch&)> capacity;
  const void* last = nullptr;
  std::size_t first_capacity = 0, reallocations = 0;
};
template <typename T>
WatchedBuffer watch(const char* name, std::vector<T> Scratch::*buffer) {
  return WatchedBuffer{name, [buffer](const Scratch& sc) -> const void* { return (sc.*buffer).data(); },
                       [buffer](const Scratch& sc) { return (sc.*buffer).capacity(); }};
}

// Once its buffers have grown, a step allocates nothing (docs/performance.md):
// the scratch buffers sized to the involved persons or to the traffickers
// grow geometrically. In a world that fills up from no trafficker at all,
// the involved persons reach a new high step after step; a buffer
// reallocated to the exact size at each new high would be reallocated at
// most steps (and its pages faulted in again); one whose capacity at least
// doubles each time, at most log2(last / first) times.
TEST(Step, ScratchBuffersGrowGeometricallyAsTheWorldFillsUp) {
  Scenario s = test::tiny_scenario(200000, 1, 200);
  set_param(s, Param::traffickers_initial_per_100k, 0);
  set_param(s, Param::traffickers_entry_per_100k, 400);
  World w = test::make_world(s);
  std::vector<WatchedBuffer> watched = {watch("decision", &Scratch::decision),
                                        watch("desists", &Scratch::desists), watch("marks", &Scratch::marks),
                                        watch("earnings", &Scratch::earnings),
                                        watch("weights_by_sex", &Scratch::weights_by_sex)};
  std::size_t high = 0, new_highs = 0;
  for (int k = 0; k < 200; ++k) {
    step(w);
    if (w.involved.size() > high) {
      high = w.involved.size();
      ++new_highs;
    }
    for (WatchedBuffer& b : watched) {
      const void* data = b.data(w.scratch);
      if (data == nullptr) continue;
      if (b.last == nullptr)
        b.first_capacity = b.capacity(w.scratch);
      else if (data != b.last)
        ++b.reallocations;
      b.last = data;
    }
  }
  ASSERT_GE(new_highs, 100u) << "the world must fill up step after step";
  for (const WatchedBuffer& b : watched) {
    ASSERT_GT(b.first_capacity, 0u) << b.name << " was never used";
    const double bound = std::log2(static_cast<double>(b.capacity(w.scratch)) / b.first_capacity);
    EXPECT_LE(b.reallocations, bound)
        << b.name << ": " << b.reallocations << " reallocations in " << new_highs << " new highs, from "
        << b.first_capacity << " to " << b.capacity(w.scratch);
  }
}

}  // namespace
}  // namespace tipsim
