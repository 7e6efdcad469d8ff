// Sweeps (sweep.cpp): the --vary arguments, the grid's order, and reading a
// varied key back from a scenario.
#include "sweep.hpp"

#include <gtest/gtest.h>

#include "scenario_loader.hpp"

namespace tipsim {
namespace {

using Values = std::vector<std::string>;

// The message of the ScenarioError a malformed argument raises.
std::string error_of(const std::string& argument) {
  try {
    parse_vary(argument);
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.issues.size(), 1u);
    EXPECT_EQ(e.issues.front().where.file, kVarySource);
    return e.what();
  }
  ADD_FAILURE() << argument << " was accepted";
  return "";
}

TEST(Sweep, ARangeGivesEvenlySpacedValuesWithExactEnds) {
  const VaryAxis axis = parse_vary("policy.partnership.level=0:1:5");
  EXPECT_EQ(axis.key, "policy.partnership.level");
  EXPECT_EQ(axis.definition, "policy.partnership.level=0:1:5");
  EXPECT_EQ(axis.values, (Values{"0.0", "0.25", "0.5", "0.75", "1.0"}));
  EXPECT_EQ(parse_vary("policy.prosecution.investigators_per_100k = 0.1 : 0.3 : 3").values,
            (Values{"0.1", "0.2", "0.3"}));
  EXPECT_EQ(parse_vary("policy.partnership.level=0.4:0.4:1").values, (Values{"0.4"}));
  // Whole-number keys get whole numbers.
  EXPECT_EQ(parse_vary("population.size=1000:3000:3").values, (Values{"1000", "2000", "3000"}));
  EXPECT_EQ(parse_vary("scenario.seed=1_000:1_002:3").values, (Values{"1000", "1001", "1002"}));
}

TEST(Sweep, AListGivesTheValuesAsListed) {
  EXPECT_EQ(parse_vary("policy.protection.non_punishment=false,true").values, (Values{"false", "true"}));
  EXPECT_EQ(parse_vary("policy.partnership.level=0.9, 0.1,0.5").values, (Values{"0.9", "0.1", "0.5"}));
  EXPECT_EQ(parse_vary("region.Home.policy.partnership.level=1").values, (Values{"1"}));
}

TEST(Sweep, MalformedArgumentsAreRefusedWithWhatIsAllowed) {
  EXPECT_NE(error_of("policy.partnership.level").find("KEY=LO:HI:N or KEY=V1,V2"), std::string::npos);
  EXPECT_NE(error_of("policy.partnership.level=").find("no values"), std::string::npos);
  EXPECT_NE(error_of("policy.partnership.level=0:1").find("LO:HI:N"), std::string::npos);
  EXPECT_NE(error_of("policy.partnership.level=0:x:3").find("LO:HI:N"), std::string::npos);
  EXPECT_NE(error_of("policy.partnership.level=0:1:2.5").find("whole number"), std::string::npos);
  EXPECT_NE(error_of("policy.partnership.level=0:1:1").find("N = 1"), std::string::npos);
  EXPECT_NE(error_of("population.size=1000:2000:4").find("whole numbers"), std::string::npos);
  EXPECT_NE(error_of("policy.protection.non_punishment=0:1:2").find("=false,true"), std::string::npos);
  EXPECT_NE(error_of("policy.partnership.level=0.1,,0.2").find("empty value"), std::string::npos);
  const std::string steps = error_of("scenario.steps=10:20:2");
  EXPECT_NE(steps.find("--vary: key 'scenario.steps'"), std::string::npos) << steps;
  EXPECT_NE(steps.find("every point of a sweep shares"), std::string::npos) << steps;
  EXPECT_NE(error_of("scenario.replicates=1,2").find("every point"), std::string::npos);
}

TEST(Sweep, TheGridVariesTheFirstAxisSlowest) {
  const std::vector<VaryAxis> axes = {parse_vary("a.x=1,2"), parse_vary("b.y=10,20,30")};
  const auto grid = sweep_grid(axes);
  ASSERT_EQ(grid.size(), 6u);
  EXPECT_EQ(grid[0], (Values{"a.x=1", "b.y=10"}));
  EXPECT_EQ(grid[1], (Values{"a.x=1", "b.y=20"}));
  EXPECT_EQ(grid[2], (Values{"a.x=1", "b.y=30"}));
  EXPECT_EQ(grid[3], (Values{"a.x=2", "b.y=10"}));
  EXPECT_EQ(grid[5], (Values{"a.x=2", "b.y=30"}));
  EXPECT_EQ(sweep_grid({}), std::vector<Values>{Values{}});
  EXPECT_THROW(sweep_grid({parse_vary("a.x=1,2"), parse_vary("a.x=3")}), ScenarioError);
}

TEST(Sweep, KeysAreReadBackFromTheScenario) {
  const Scenario s = load_scenario_text(
      "[policy.partnership]\nlevel = 0.25\n[[region]]\nname = \"Home\"\n[[region]]\nname = \"Home.Away\"\n"
      "policy.partnership.level = 0.75\n",
      "keys.toml");
  const KeyRef world = find_key(s, "policy.partnership.level");
  ASSERT_NE(world.param, nullptr);
  EXPECT_EQ(world.region, -1);
  EXPECT_EQ(key_value(s, world), 0.25);
  // The longest region name that fits wins, as in the loader.
  const KeyRef away = find_key(s, "region.Home.Away.policy.partnership.level");
  ASSERT_NE(away.param, nullptr);
  EXPECT_EQ(away.region, 1);
  EXPECT_EQ(key_value(s, away), 0.75);
  EXPECT_EQ(key_value(s, find_key(s, "region.Home.policy.partnership.level")), 0.25);
  EXPECT_EQ(find_key(s, "policy.partnership.levle").param, nullptr);
  EXPECT_EQ(key_text(s, find_key(s, "scenario.name")), s.name);
  EXPECT_EQ(key_text(s, find_key(s, "policy.protection.non_punishment")), "true");
}

}  // namespace
}  // namespace tipsim
