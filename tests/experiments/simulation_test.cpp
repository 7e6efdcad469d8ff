// simulation.cpp: one replicate stepped by its caller, and the one change a
// running simulation accepts, an intervention from the next step on.
#include "simulation.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

InterventionSpec shelters_from(std::int64_t start, double beds) {
  InterventionSpec iv;
  iv.name = "more shelter beds";
  iv.start_step = start;
  iv.end_step = 1000;
  iv.changes.push_back(LeverChange{Param::policy_protection_shelter_beds_per_100k, LeverOp::Set, beds});
  return iv;
}

// Shelter places in force at each step, from the series.
std::vector<double> shelter_places(const Simulation& sim) {
  std::vector<double> places;
  for (std::int32_t t = 0; t < sim.steps_done(); ++t)
    places.push_back(sim.series().total(static_cast<std::size_t>(t), Metric::shelter_capacity));
  return places;
}

TEST(Simulation, AnAddedInterventionActsFromItsStartStepOnly) {
  const Scenario s = test::tiny_scenario(100000, 1, 6);
  Simulation sim(s, 0);
  sim.step();
  sim.step();
  sim.add_intervention(shelters_from(3, 40));
  sim.run_to_end();
  const std::vector<double> places = shelter_places(sim);
  const double before = places[0];
  EXPECT_EQ(places[1], before);
  EXPECT_EQ(places[2], before) << "step 2 ran after the change was made, before its start";
  EXPECT_EQ(places[3], 40.0);  // 40 beds per 100 000 of 100 000 people
  EXPECT_EQ(places[5], 40.0);
  // The scenario the simulation runs says so; the one it was built from does not.
  EXPECT_EQ(sim.scenario().interventions.size(), s.interventions.size() + 1);
}

TEST(Simulation, AnInterventionThatWouldChangeThePastIsRefused) {
  Simulation sim(test::tiny_scenario(1000, 1, 6), 0);
  sim.step();
  sim.step();
  EXPECT_THROW(sim.add_intervention(shelters_from(1, 40)), std::invalid_argument);
  EXPECT_NO_THROW(sim.add_intervention(shelters_from(2, 40)));  // the next step
}

TEST(Simulation, MovingALeverTwiceBeforeAStepKeepsTheLastValue) {
  Simulation sim(test::tiny_scenario(100000, 1, 4), 0);
  sim.step();
  sim.add_intervention(shelters_from(1, 40));
  sim.add_intervention(shelters_from(1, 10));
  EXPECT_EQ(sim.scenario().interventions.size(), 1u) << "the second change replaces the first";
  sim.run_to_end();
  EXPECT_EQ(shelter_places(sim)[1], 10.0);
}

TEST(Simulation, ReplicatesOfOneModelAreTheReplicatesOfItsScenario) {
  const Scenario s = test::tiny_scenario(20000, 2, 8);
  const auto model = std::make_shared<const Model>(compile_model(s));
  for (std::uint32_t replicate : {0u, 3u}) {
    Simulation shared(model, replicate);
    Simulation own(s, replicate);
    shared.run_to_end();
    own.run_to_end();
    EXPECT_EQ(shared.series().data(), own.series().data()) << "replicate " << replicate;
  }
}

}  // namespace
}  // namespace tipsim
