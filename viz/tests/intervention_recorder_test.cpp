#include "intervention_recorder.hpp"

#include <gtest/gtest.h>

namespace tipsim::viz {
namespace {

TEST(InterventionRecorder, ASliderChangeIsASetFromTheNextStepToTheEnd) {
  InterventionRecorder r;
  r.record(20, 1, "Away", Param::policy_protection_shelter_beds_per_100k, 40, 104);
  ASSERT_EQ(r.interventions().size(), 1u);
  const InterventionSpec& iv = r.interventions()[0];
  EXPECT_EQ(iv.start_step, 20);
  EXPECT_EQ(iv.end_step, 104);
  EXPECT_EQ(iv.region, 1);
  EXPECT_EQ(iv.ramp_steps, 0);
  ASSERT_EQ(iv.changes.size(), 1u);
  EXPECT_EQ(iv.changes[0].param, Param::policy_protection_shelter_beds_per_100k);
  EXPECT_EQ(iv.changes[0].op, LeverOp::Set);
  EXPECT_EQ(iv.changes[0].value, 40);
  EXPECT_NE(iv.name.find("Shelter beds"), std::string::npos);
  EXPECT_NE(iv.name.find("Away"), std::string::npos);
}

TEST(InterventionRecorder, MovingTheSameSliderBeforeTheNextStepKeepsOneChange) {
  InterventionRecorder r;
  r.record(20, -1, "all regions", Param::policy_prosecution_investigators_per_100k, 2, 104);
  r.record(20, -1, "all regions", Param::policy_prosecution_investigators_per_100k, 3, 104);
  ASSERT_EQ(r.interventions().size(), 1u);
  EXPECT_EQ(r.interventions()[0].changes[0].value, 3);
  // Another step, another region or another lever is a new change.
  r.record(21, -1, "all regions", Param::policy_prosecution_investigators_per_100k, 4, 104);
  r.record(21, 0, "Home", Param::policy_prosecution_investigators_per_100k, 1, 104);
  r.record(21, 0, "Home", Param::policy_partnership_level, 0.9, 104);
  EXPECT_EQ(r.interventions().size(), 4u);
}

TEST(InterventionRecorder, OnlyTheLatestChangeCoalescesSoOrderIsKept) {
  // all=2, Home=5, all=3 at one step: Home ends at 3, as the model applies
  // the changes in order.
  InterventionRecorder r;
  r.record(5, -1, "all regions", Param::policy_prosecution_investigators_per_100k, 2, 50);
  r.record(5, 0, "Home", Param::policy_prosecution_investigators_per_100k, 5, 50);
  r.record(5, -1, "all regions", Param::policy_prosecution_investigators_per_100k, 3, 50);
  ASSERT_EQ(r.interventions().size(), 3u);
  EXPECT_EQ(r.interventions()[2].region, -1);
}

TEST(InterventionRecorder, ValuesAreClampedToTheParameterBounds) {
  InterventionRecorder r;
  r.record(0, -1, "all regions", Param::policy_partnership_level, 1.7, 10);
  EXPECT_EQ(r.interventions()[0].changes[0].value, 1.0);
}

TEST(InterventionRecorder, SessionScenarioCutsTheRun) {
  Scenario base = default_scenario();
  base.globals[Param::scenario_steps] = 100;
  base.globals[Param::scenario_replicates] = 8;
  InterventionSpec own;
  own.name = "own";
  own.start_step = 10;
  own.end_step = 100;
  own.changes.push_back({Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 3});
  InterventionSpec late = own;
  late.name = "late";
  late.start_step = 80;
  base.interventions = {own, late};

  InterventionRecorder r;
  r.record(30, -1, "all regions", Param::policy_protection_shelter_beds_per_100k, 10, 100);
  r.record(60, -1, "all regions", Param::policy_protection_shelter_beds_per_100k, 20, 100);
  const Scenario s = session_scenario(base, r.interventions(), 60);
  EXPECT_EQ(s.steps(), 60);
  EXPECT_EQ(s.get_int(Param::scenario_replicates), 1);
  // "late" and the change at step 60 never acted; the rest end with the run.
  ASSERT_EQ(s.interventions.size(), 2u);
  EXPECT_EQ(s.interventions[0].name, "own");
  EXPECT_EQ(s.interventions[0].end_step, 60);
  EXPECT_EQ(s.interventions[1].start_step, 30);
  EXPECT_EQ(s.interventions[1].end_step, 60);
}

}  // namespace
}  // namespace tipsim::viz
