#include "levers.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace tipsim::viz {
namespace {

const Lever* find_lever(Param p) {
  for (const Lever& l : policy_levers())
    if (l.param == p) return &l;
  return nullptr;
}

TEST(Levers, EveryPAndPartnershipHasItsLevers) {
  for (Param p : {Param::policy_prosecution_investigators_per_100k,
                  Param::policy_protection_shelter_beds_per_100k, Param::policy_protection_non_punishment,
                  Param::policy_prevention_awareness_reach, Param::policy_partnership_level})
    EXPECT_NE(find_lever(p), nullptr) << spec(p).key;
  EXPECT_EQ(find_lever(Param::policy_prosecution_investigators_per_100k)->pillar, Pillar::Prosecution);
  EXPECT_EQ(find_lever(Param::policy_protection_shelter_beds_per_100k)->pillar, Pillar::Protection);
  EXPECT_EQ(find_lever(Param::policy_prevention_awareness_reach)->pillar, Pillar::Prevention);
  EXPECT_EQ(find_lever(Param::policy_partnership_level)->pillar, Pillar::Partnership);
  EXPECT_TRUE(find_lever(Param::policy_protection_non_punishment)->is_switch);
  EXPECT_FALSE(find_lever(Param::policy_protection_shelter_beds_per_100k)->is_switch);
  for (Pillar p : {Pillar::Prosecution, Pillar::Protection, Pillar::Prevention, Pillar::Partnership})
    EXPECT_FALSE(levers_of(p).empty()) << pillar_title(p);
}

TEST(Levers, OnlyRegionalPolicyKeysAndGroupedByP) {
  const auto& levers = policy_levers();
  for (const Lever& l : levers) {
    EXPECT_TRUE(spec(l.param).key.starts_with("policy."));
    EXPECT_EQ(spec(l.param).scope, ParamScope::Regional);
  }
  EXPECT_TRUE(std::is_sorted(levers.begin(), levers.end(),
                             [](const Lever& a, const Lever& b) { return a.pillar < b.pillar; }));
}

TEST(Levers, LabelsReadAsWords) {
  EXPECT_EQ(lever_label("policy.protection.shelter_beds_per_100k"), "Shelter beds per 100k");
  EXPECT_EQ(lever_label("policy.partnership.level"), "Partnership");
  EXPECT_EQ(lever_label("policy.prevention.awareness_reach"), "Awareness reach");
}

TEST(Levers, SliderRangesAreUsable) {
  // Investigators: bounds up to 10 000, default 1: a slider to 5.
  const SliderRange investigators = slider_range(spec(Param::policy_prosecution_investigators_per_100k), 1);
  EXPECT_EQ(investigators.lo, 0);
  EXPECT_EQ(investigators.hi, 5);
  // A scenario already at 30 shelter beds: room to double it.
  const SliderRange beds = slider_range(spec(Param::policy_protection_shelter_beds_per_100k), 30);
  EXPECT_EQ(beds.hi, 100);
  // Shares keep their bounds.
  const SliderRange reach = slider_range(spec(Param::policy_prevention_awareness_reach), 0.05);
  EXPECT_EQ(reach.lo, 0);
  EXPECT_EQ(reach.hi, 1);
}

TEST(Levers, LargestValueSeesRegionsAndInterventions) {
  Scenario s = default_scenario();
  s.regions.push_back(s.regions[0]);
  s.regions[1].values[Param::policy_prosecution_investigators_per_100k] = 2.5;
  EXPECT_EQ(largest_value(s, Param::policy_prosecution_investigators_per_100k), 2.5);
  InterventionSpec iv;
  iv.changes.push_back({Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 3});
  s.interventions.push_back(iv);
  EXPECT_EQ(largest_value(s, Param::policy_prosecution_investigators_per_100k), 7.5);
}

}  // namespace
}  // namespace tipsim::viz
