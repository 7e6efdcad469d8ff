#include "scenario_text.hpp"

#include <gtest/gtest.h>

#include "scenario_loader.hpp"
#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

TEST(ScenarioText, DescribesTheTinyWorldInPlainWords) {
  const Scenario sc = load_scenario_file(std::string(test_paths::source_dir) + "/scenarios/tiny.toml");
  const ScenarioSummary d = describe_scenario(sc);
  EXPECT_EQ(d.title, "tiny");
  EXPECT_FALSE(d.question.empty());
  EXPECT_EQ(d.size, "20 000 people in 2 regions, over 2 years in weekly steps");
  ASSERT_EQ(d.regions.size(), 2u);
  EXPECT_EQ(d.regions[0], "Home: 60 % of the people, vulnerability 0.35");
  ASSERT_EQ(d.routes.size(), 1u);
  EXPECT_EQ(d.routes[0], "Home \xE2\x86\x92 Away: 33 % of recruits, 2 weeks in transit");
  ASSERT_GE(d.levers.size(), 5u);
  EXPECT_EQ(d.levers[1], "Shelter places: 20 per 100 000 people");
  EXPECT_TRUE(d.interventions.empty());
  // At 50 people per agent the world is 50 times as many people.
  const ScenarioSummary scaled = describe_scenario(load_scenario_file(
      std::string(test_paths::source_dir) + "/scenarios/tiny.toml", {"population.scale=50"}));
  EXPECT_EQ(
      scaled.size,
      "1 000 000 people in 2 regions, over 2 years in weekly steps (the model runs one agent for 50 people)");
}

TEST(ScenarioText, ListsInterventionsAndRegionalDifferences) {
  const Scenario sc =
      load_scenario_file(std::string(test_paths::source_dir) + "/scenarios/prosecution_surge.toml");
  const ScenarioSummary d = describe_scenario(sc);
  ASSERT_FALSE(d.interventions.empty());
  EXPECT_NE(d.interventions[0].find("From week"), std::string::npos);
  EXPECT_NE(d.interventions[0].find("investigators"), std::string::npos);
}

TEST(ScenarioText, DurationsAndNumbers) {
  EXPECT_EQ(duration_text(728), "2 years");
  EXPECT_EQ(duration_text(365), "1 year");
  EXPECT_EQ(duration_text(182), "6 months");
  EXPECT_EQ(duration_text(3650), "10 years");
  EXPECT_EQ(duration_text(547), "1.5 years");
  EXPECT_EQ(plain_number(0.35), "0.35");
  EXPECT_EQ(plain_number(20), "20");
  EXPECT_EQ(plain_number(20000), "20 000");
}

}  // namespace
}  // namespace tipsim::viz
