// The scenario loader: defaults, regions, routes, interventions, overrides,
// every kind of error (located and explained), and the resolved round trip.
#include "scenario_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tipsim {
namespace {

constexpr const char* kFile = "test.toml";

Scenario load(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return load_scenario_text(text, kFile, overrides);
}

// The issues a scenario is rejected with; fails the test when it loads.
std::vector<ScenarioIssue> issues_of(const std::string& text,
                                     const std::vector<std::string>& overrides = {}) {
  try {
    load(text, overrides);
  } catch (const ScenarioError& e) {
    EXPECT_FALSE(e.issues.empty());
    return e.issues;
  }
  ADD_FAILURE() << "the scenario loaded but should have been rejected:\n" << text;
  return {};
}

// The one issue a scenario is rejected with.
ScenarioIssue single_issue(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const auto issues = issues_of(text, overrides);
  EXPECT_EQ(issues.size(), 1u) << (issues.empty() ? "" : ScenarioError(issues).what());
  return issues.empty() ? ScenarioIssue{} : issues.front();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- values and defaults ---------------------------------------------------------

TEST(ScenarioLoader, EmptyFileGivesDefaultsAndOneWorldRegion) {
  const Scenario s = load("");
  const ParamValues defaults = ParamValues::defaults();
  for (const ParamSpec& p : param_table()) EXPECT_EQ(s.globals[p.id], defaults[p.id]) << p.key;
  ASSERT_EQ(s.regions.size(), 1u);
  EXPECT_EQ(s.regions[0].name, "world");
  EXPECT_EQ(s.regions[0].values.value, defaults.value);
  EXPECT_TRUE(s.routes.empty());
  EXPECT_TRUE(s.interventions.empty());
  // Without scenario.name the file's stem names the scenario.
  EXPECT_EQ(s.name, "test");
  EXPECT_EQ(s.source_path, kFile);
}

TEST(ScenarioLoader, TablesAndDottedKeysAreTheSame) {
  const Scenario tables = load(R"(
[scenario]
name = "Tables"
description = "Nested tables."
seed = 42
steps = 30
[population]
size = 5000
[policy.protection]
non_punishment = false
shelter_beds_per_100k = 12.5
)");
  const Scenario dotted = load(R"(
scenario.name = "Tables"
scenario.description = "Nested tables."
scenario.seed = 42
scenario.steps = 30
population.size = 5000
policy.protection.non_punishment = false
"policy.protection.shelter_beds_per_100k" = 12.5
)");
  for (const Scenario* s : {&tables, &dotted}) {
    EXPECT_EQ(s->name, "Tables");
    EXPECT_EQ(s->description, "Nested tables.");
    EXPECT_EQ(s->seed(), 42u);
    EXPECT_EQ(s->steps(), 30);
    EXPECT_EQ(s->get(Param::population_size), 5000);
    EXPECT_EQ(s->get(Param::policy_protection_non_punishment), 0);
    EXPECT_EQ(s->get(Param::policy_protection_shelter_beds_per_100k), 12.5);
    // The single world region follows the world values.
    EXPECT_EQ(s->regions[0].values[Param::policy_protection_shelter_beds_per_100k], 12.5);
  }
}

TEST(ScenarioLoader, RealKeysAcceptIntegersAndIntegerKeysAcceptWholeFloats) {
  const Scenario s = load("policy.partnership.level = 1\npopulation.size = 2e5\n");
  EXPECT_EQ(s.get(Param::policy_partnership_level), 1.0);
  EXPECT_EQ(s.get(Param::population_size), 200000);
}

TEST(ScenarioLoader, SourceTextIsKeptVerbatim) {
  const std::string text = "# a comment\nscenario.steps = 12   # trailing\n";
  EXPECT_EQ(load(text).source_text, text);
}

// ---- regions -------------------------------------------------------------------------

TEST(ScenarioLoader, RegionsStartFromWorldDefaultsThenTakeTheirOwn) {
  const Scenario s = load(R"(
policy.protection.shelter_beds_per_100k = 3
policy.partnership.level = 0.5

[[region]]
name = "North"
policy.protection.shelter_beds_per_100k = 40
population.share = 2

[[region]]
name = "South"
[region.policy.protection]
non_punishment = false
[region.institutions]
corruption = 0.7
)");
  ASSERT_EQ(s.regions.size(), 2u);
  EXPECT_EQ(s.region_index("North"), 0);
  EXPECT_EQ(s.region_index("South"), 1);
  const ParamValues& north = s.regions[0].values;
  const ParamValues& south = s.regions[1].values;
  EXPECT_EQ(north[Param::policy_protection_shelter_beds_per_100k], 40);
  EXPECT_EQ(north[Param::population_share], 2);
  EXPECT_EQ(north[Param::policy_partnership_level], 0.5);
  EXPECT_EQ(north[Param::policy_protection_non_punishment], 1);
  EXPECT_EQ(south[Param::policy_protection_shelter_beds_per_100k], 3);
  EXPECT_EQ(south[Param::policy_protection_non_punishment], 0);
  EXPECT_EQ(south[Param::institutions_corruption], 0.7);
  EXPECT_EQ(south[Param::policy_partnership_level], 0.5);
  // The world default is unchanged by region overrides.
  EXPECT_EQ(s.get(Param::policy_protection_shelter_beds_per_100k), 3);
  EXPECT_EQ(s.get(Param::institutions_corruption), spec(Param::institutions_corruption).default_value);
}

// ---- routes ----------------------------------------------------------------------------

TEST(ScenarioLoader, RoutesTakeTheirTransitTimeOrTheDefault) {
  const Scenario s = load(R"(
movement.transit_days = 10.5
[[region]]
name = "Origin"
[[region]]
name = "Destination"
[[route]]
from = "Origin"
to = "Destination"
share = 0.25
[[route]]
from = "Destination"
to = "Origin"
share = 1
transit_days = 0
)");
  ASSERT_EQ(s.routes.size(), 2u);
  EXPECT_EQ(s.routes[0].from, 0u);
  EXPECT_EQ(s.routes[0].to, 1u);
  EXPECT_EQ(s.routes[0].share, 0.25);
  EXPECT_EQ(s.routes[0].transit_days, 10.5);
  EXPECT_EQ(s.routes[1].from, 1u);
  EXPECT_EQ(s.routes[1].share, 1.0);
  EXPECT_EQ(s.routes[1].transit_days, 0.0);
}

TEST(ScenarioLoader, RouteSharesOutOfARegionMayNotExceedOne) {
  const std::string text = R"(
[[region]]
name = "A"
[[region]]
name = "B"
[[region]]
name = "C"
[[route]]
from = "A"
to = "B"
share = 0.6
[[route]]
from = "A"
to = "C"
share = 0.5
)";
  const ScenarioIssue issue = single_issue(text);
  EXPECT_EQ(issue.key, "route.share");
  EXPECT_EQ(issue.where.file, kFile);
  EXPECT_EQ(issue.where.line, 15);
  EXPECT_TRUE(contains(issue.message, "'A'")) << issue.message;
  EXPECT_TRUE(contains(issue.message, "1.1")) << issue.message;
  EXPECT_TRUE(contains(issue.message, "must not exceed 1")) << issue.message;
}

TEST(ScenarioLoader, RouteErrors) {
  const auto issues = issues_of(R"(
[[region]]
name = "Home"
[[region]]
name = "Away"
[[route]]
from = "Hom"
to = "Away"
share = 1.5
[[route]]
from = "Home"
to = "Home"
share = 0.1
[[route]]
from = "Away"
to = "Home"
share = 0.1
via = "Sea"
[[route]]
from = "Away"
)");
  const std::string all = ScenarioError(issues).what();
  // share 1.5 is out of range, so the region name of that route is not checked.
  EXPECT_TRUE(
      contains(all, "test.toml:9:9: key 'route.share' = 1.5: out of range: allowed is a number from 0 to 1"))
      << all;
  EXPECT_TRUE(contains(all, "test.toml:12:6: key 'route.to' = \"Home\": a route must lead to another region"))
      << all;
  EXPECT_TRUE(contains(all, "test.toml:18:1: key 'route.via' = \"Sea\": unknown route field")) << all;
  EXPECT_TRUE(contains(all, "key 'route.to': a [[route]] needs to")) << all;
  EXPECT_TRUE(contains(all, "key 'route.share': a [[route]] needs share")) << all;
}

TEST(ScenarioLoader, TransitTimesAreDaysWithinTheirRange) {
  const auto issues = issues_of(R"(
movement.transit_days = -1
[[region]]
name = "Home"
[[region]]
name = "Away"
[[route]]
from = "Home"
to = "Away"
share = 0.5
transit_days = "two weeks"
[[route]]
from = "Away"
to = "Home"
share = 0.5
transit_days = 4000
)");
  const std::string all = ScenarioError(issues).what();
  EXPECT_TRUE(contains(all, "test.toml:2:25: key 'movement.transit_days' = -1: out of range")) << all;
  EXPECT_TRUE(contains(all,
                       "test.toml:11:16: key 'route.transit_days' = \"two weeks\": wrong type: expected "
                       "a number from 0 to 3650 (mean days in transit)"))
      << all;
  EXPECT_TRUE(contains(all,
                       "test.toml:16:16: key 'route.transit_days' = 4000: out of range: allowed is a "
                       "number from 0 to 3650 (mean days in transit)"))
      << all;
}

TEST(ScenarioLoader, KeysCountedInStepsSayWhatReplacedThem) {
  const auto issues = issues_of(R"(
movement.transit_steps = 2
identification.border_detection_per_step = 0.02
[[region]]
name = "Home"
movement.domestic_delay_steps = 1
[[region]]
name = "Away"
[[route]]
from = "Home"
to = "Away"
share = 0.5
transit_steps = 3
)");
  const std::string all = ScenarioError(issues).what();
  EXPECT_TRUE(contains(all,
                       "test.toml:2:1: key 'movement.transit_steps' = 2: this key is now "
                       "'movement.transit_days', a time in days: steps x scenario.step_days"))
      << all;
  EXPECT_TRUE(contains(all,
                       "key 'identification.border_detection_per_step' = 0.02: this key is now "
                       "'identification.border_detection_rate_per_year', a hazard per year in transit"))
      << all;
  EXPECT_TRUE(contains(all,
                       "test.toml:6:1: key 'movement.domestic_delay_steps' = 1: this key is now "
                       "'movement.domestic_delay_days'"))
      << all;
  EXPECT_TRUE(
      contains(all, "test.toml:13:1: key 'route.transit_steps' = 3: this key is now 'route.transit_days'"))
      << all;
}

TEST(ScenarioLoader, RouteToAnUnknownRegionSuggestsTheClosest) {
  const ScenarioIssue issue = single_issue(R"(
[[region]]
name = "Home"
[[region]]
name = "Away"
[[route]]
from = "Hom"
to = "Away"
share = 0.5
)");
  EXPECT_EQ(issue.key, "route.from");
  EXPECT_EQ(issue.value, "\"Hom\"");
  EXPECT_EQ(issue.where.line, 7);
  EXPECT_EQ(issue.where.column, 8);
  EXPECT_TRUE(contains(issue.message, "no region named 'Hom'; did you mean 'Home'?")) << issue.message;
  EXPECT_TRUE(contains(issue.message, "'Home', 'Away'")) << issue.message;
}

// ---- interventions ----------------------------------------------------------------

TEST(ScenarioLoader, InterventionsAcceptNestedAndQuotedDottedKeys) {
  const Scenario s = load(R"(
scenario.steps = 100
[[region]]
name = "North"
[[region]]
name = "South"

[[intervention]]
name = "Shelters"
start_step = 10
end_step = 60
region = "South"
ramp_steps = 5
[intervention.set.policy.protection]
shelter_beds_per_100k = 20
non_punishment = false
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 2

[[intervention]]
start_step = 50
set."policy.partnership.level" = 0.9
)");
  ASSERT_EQ(s.interventions.size(), 2u);
  const InterventionSpec& a = s.interventions[0];
  EXPECT_EQ(a.name, "Shelters");
  EXPECT_EQ(a.start_step, 10);
  EXPECT_EQ(a.end_step, 60);
  EXPECT_EQ(a.region, 1);
  EXPECT_EQ(a.ramp_steps, 5);
  ASSERT_EQ(a.changes.size(), 3u);
  auto find = [&](Param p) -> const LeverChange* {
    for (const LeverChange& c : a.changes)
      if (c.param == p) return &c;
    return nullptr;
  };
  ASSERT_NE(find(Param::policy_protection_shelter_beds_per_100k), nullptr);
  EXPECT_EQ(find(Param::policy_protection_shelter_beds_per_100k)->op, LeverOp::Set);
  EXPECT_EQ(find(Param::policy_protection_shelter_beds_per_100k)->value, 20);
  ASSERT_NE(find(Param::policy_protection_non_punishment), nullptr);
  EXPECT_EQ(find(Param::policy_protection_non_punishment)->value, 0);
  ASSERT_NE(find(Param::policy_prosecution_investigators_per_100k), nullptr);
  EXPECT_EQ(find(Param::policy_prosecution_investigators_per_100k)->op, LeverOp::Scale);
  EXPECT_EQ(find(Param::policy_prosecution_investigators_per_100k)->value, 2);

  const InterventionSpec& b = s.interventions[1];
  EXPECT_EQ(b.name, "intervention 2");
  EXPECT_EQ(b.start_step, 50);
  EXPECT_EQ(b.end_step, 100);  // the end of the run
  EXPECT_EQ(b.region, -1);     // every region
  EXPECT_EQ(b.ramp_steps, 0);
  ASSERT_EQ(b.changes.size(), 1u);
  EXPECT_EQ(b.changes[0].param, Param::policy_partnership_level);
  EXPECT_EQ(b.changes[0].value, 0.9);
}

TEST(ScenarioLoader, InterventionEndsAtTheOverriddenRunLength) {
  const Scenario s =
      load("[[intervention]]\nstart_step = 5\nset.policy.protection.hotline = 1\n", {"scenario.steps=40"});
  ASSERT_EQ(s.interventions.size(), 1u);
  EXPECT_EQ(s.interventions[0].end_step, 40);
}

TEST(ScenarioLoader, InterventionErrors) {
  const auto issues = issues_of(R"(
[[region]]
name = "North"

[[intervention]]
name = "bad"
start_step = 10
end_step = 10
region = "Nort"
[intervention.set]
policy.protection.shelter_beds_per_100k = -1
population.size = 10
policy.partnership.levle = 0.5
[intervention.scale]
policy.protection.non_punishment = 2
policy.prevention.awareness_reach = -0.5
[intervention.add]
policy.protection.non_punishment = 1
policy.protection.hotline = "a lot"
policy.prevention.awareness_reach = 0.1

[[intervention]]
start = 3
set.policy.protection.hotline = 1
)");
  const std::string all = ScenarioError(issues).what();
  EXPECT_TRUE(contains(all,
                       "test.toml:11:43: key 'policy.protection.shelter_beds_per_100k' = -1: out of range: "
                       "allowed is a number from 0 to 100000 (beds per 100 000 population)"))
      << all;
  EXPECT_TRUE(contains(
      all, "test.toml:12:1: key 'population.size' = 10: interventions can only change regional keys"))
      << all;
  EXPECT_TRUE(contains(all,
                       "key 'policy.partnership.levle' = 0.5: unknown key; did you mean "
                       "'policy.partnership.level'?"))
      << all;
  EXPECT_TRUE(
      contains(all, "key 'policy.protection.non_punishment' = 2: a switch (true/false) cannot be scaled"))
      << all;
  EXPECT_TRUE(contains(all, "key 'policy.prevention.awareness_reach' = -0.5: out of range: a scale factor"))
      << all;
  EXPECT_TRUE(
      contains(all, "key 'policy.protection.non_punishment' = 1: a switch (true/false) cannot be added to"))
      << all;
  EXPECT_TRUE(
      contains(all, "key 'policy.protection.hotline' = \"a lot\": wrong type: expected an amount to add"))
      << all;
  const ScenarioIssue both = single_issue(R"(
[[intervention]]
name = "twice"
start_step = 1
[intervention.scale]
policy.protection.hotline = 2
[intervention.add]
policy.protection.hotline = 0.1
)");
  EXPECT_TRUE(
      contains(both.message, "intervention 'twice' adds and scales this key; use one of set, scale and add"))
      << both.message;
  EXPECT_TRUE(
      contains(all, "key 'intervention.start' = 3: unknown intervention field; did you mean 'start_step'?"))
      << all;
  EXPECT_TRUE(contains(all, "key 'intervention.start_step': an [[intervention]] needs start_step")) << all;
  // An empty table changes nothing either (its resolved TOML would leave it out).
  const ScenarioIssue empty = single_issue(R"(
[[intervention]]
name = "nothing"
start_step = 1
[intervention.set]
)");
  EXPECT_TRUE(contains(empty.message, "intervention 'nothing' changes nothing: give an [intervention.set]"))
      << empty.message;
}

TEST(ScenarioLoader, InterventionWindowAndRegionAreChecked) {
  const auto issues = issues_of(R"(
[[region]]
name = "North"
[[intervention]]
start_step = 10
end_step = 10
set.policy.protection.hotline = 1
[[intervention]]
start_step = 1
region = "Nort"
set.policy.protection.hotline = 1
)");
  ASSERT_EQ(issues.size(), 2u) << ScenarioError(issues).what();
  EXPECT_EQ(issues[0].key, "intervention.end_step");
  EXPECT_EQ(issues[0].where.line, 6);
  EXPECT_TRUE(contains(issues[0].message, "must be after start_step = 10")) << issues[0].message;
  EXPECT_EQ(issues[1].key, "intervention.region");
  EXPECT_EQ(issues[1].where.line, 10);
  EXPECT_TRUE(contains(issues[1].message, "did you mean 'North'?")) << issues[1].message;
  EXPECT_TRUE(contains(issues[1].message, "\"all\"")) << issues[1].message;
}

// ---- errors: each located, explained, and all found in one pass --------------------

TEST(ScenarioLoader, UnknownKeySuggestsTheClosestKnownKey) {
  const ScenarioIssue issue = single_issue("\n[policy.protection]\nshelter_beds = 4\n");
  EXPECT_EQ(issue.where.file, kFile);
  EXPECT_EQ(issue.where.line, 3);
  EXPECT_EQ(issue.where.column, 1);
  EXPECT_EQ(issue.key, "policy.protection.shelter_beds");
  EXPECT_EQ(issue.value, "4");
  EXPECT_TRUE(contains(issue.message, "unknown key; did you mean 'policy.protection.shelter_beds_per_100k'"))
      << issue.message;
  EXPECT_EQ(format_issue(issue), "test.toml:3:1: key 'policy.protection.shelter_beds' = 4: " + issue.message);
}

TEST(ScenarioLoader, MisspeltSectionHeaderIsReportedThroughItsKeys) {
  const ScenarioIssue issue = single_issue("[polcy.partnership]\nlevel = 0.4\n");
  EXPECT_EQ(issue.key, "polcy.partnership.level");
  EXPECT_TRUE(contains(issue.message, "did you mean 'policy.partnership.level'")) << issue.message;
}

TEST(ScenarioLoader, OutOfRangeNamesTheAllowedRangeAndUnit) {
  const ScenarioIssue issue = single_issue("policy.prevention.awareness_reach = 1.5\n");
  EXPECT_EQ(issue.where.line, 1);
  EXPECT_EQ(issue.where.column, 37);
  EXPECT_EQ(issue.key, "policy.prevention.awareness_reach");
  EXPECT_EQ(issue.value, "1.5");
  EXPECT_EQ(issue.message, "out of range: allowed is a number from 0 to 1 (share of population per year)");
  EXPECT_EQ(
      format_issue(issue),
      "test.toml:1:37: key 'policy.prevention.awareness_reach' = 1.5: out of range: allowed is a number "
      "from 0 to 1 (share of population per year)");
}

TEST(ScenarioLoader, WrongTypesNameWhatIsExpected) {
  const auto issues = issues_of(R"(
population.size = 10.5
population.scale = "ten"
policy.protection.non_punishment = 1
scenario.name = 3
scenario.steps = nan
)");
  ASSERT_EQ(issues.size(), 5u) << ScenarioError(issues).what();
  EXPECT_EQ(issues[0].key, "population.size");
  EXPECT_EQ(issues[0].where.line, 2);
  EXPECT_EQ(issues[0].where.column, 19);
  EXPECT_TRUE(contains(issues[0].message, "wrong type: expected a whole number from 1 to 1e+12 (persons)"))
      << issues[0].message;
  EXPECT_TRUE(contains(issues[1].message, "expected a number from 1e-09 to 1e+12")) << issues[1].message;
  EXPECT_TRUE(contains(issues[1].message, "got text")) << issues[1].message;
  EXPECT_EQ(issues[2].message, "wrong type: expected true or false, got a whole number");
  EXPECT_TRUE(contains(issues[3].message, "expected text in double quotes")) << issues[3].message;
  EXPECT_EQ(issues[4].key, "scenario.steps");
}

TEST(ScenarioLoader, GroupGivenAsAValueIsExplained) {
  const ScenarioIssue issue = single_issue("policy = 3\n");
  EXPECT_EQ(issue.key, "policy");
  EXPECT_TRUE(contains(issue.message, "is a group of keys, not a value")) << issue.message;
}

TEST(ScenarioLoader, GlobalKeyInsideARegionIsRejected) {
  const ScenarioIssue issue = single_issue("[[region]]\nname = \"A\"\nscenario.steps = 10\n");
  EXPECT_EQ(issue.key, "scenario.steps");
  EXPECT_EQ(issue.where.line, 3);
  EXPECT_TRUE(contains(issue.message, "applies to the whole world and cannot differ by region"))
      << issue.message;
}

TEST(ScenarioLoader, UnknownKeyInARegionSuggestsRegionalKeys) {
  const ScenarioIssue issue = single_issue("[[region]]\nname = \"A\"\ninstitutions.coruption = 0.5\n");
  EXPECT_EQ(issue.key, "institutions.coruption");
  EXPECT_TRUE(contains(issue.message, "did you mean 'institutions.corruption'?")) << issue.message;
}

TEST(ScenarioLoader, RegionNamesMustBeGivenAndUnique) {
  const auto issues = issues_of(R"(
[[region]]
name = "A"
[[region]]
name = "A"
[[region]]
population.share = 1
[[region]]
name = "all"
[[regions]]
name = "B"
)");
  const std::string all = ScenarioError(issues).what();
  EXPECT_TRUE(contains(all, "test.toml:5:8: key 'region.name' = \"A\": two regions have this name")) << all;
  EXPECT_TRUE(contains(all, "key 'region.name': a [[region]] needs a name")) << all;
  EXPECT_TRUE(contains(all, "test.toml:9:8: key 'region.name' = \"all\": 'all' is reserved")) << all;
  EXPECT_TRUE(contains(all, "key 'regions' = [...]: unknown key; did you mean 'region'?")) << all;
}

TEST(ScenarioLoader, VulnerabilitySpreadMustFitItsMean) {
  const ScenarioIssue world = single_issue("population.vulnerability_mean = 0.02\n");
  EXPECT_EQ(world.key, "population.vulnerability_mean");
  EXPECT_EQ(world.where.line, 1);
  EXPECT_TRUE(contains(world.message, "sqrt(mean * (1 - mean)) = 0.14")) << world.message;

  const ScenarioIssue region =
      single_issue("[[region]]\nname = \"Poor\"\npopulation.vulnerability_sd = 0.48\n");
  EXPECT_EQ(region.key, "population.vulnerability_sd");
  EXPECT_EQ(region.where.line, 3);
  EXPECT_TRUE(contains(region.message, "in region 'Poor'")) << region.message;
}

TEST(ScenarioLoader, BudgetModeNeedsAPositiveShare) {
  const ScenarioIssue issue = single_issue(R"(
[budget]
total_usd_per_year = 1e6
share_prosecution = 0
share_protection = 0
share_prevention = 0
share_partnership = 0
)");
  EXPECT_EQ(issue.key, "budget.total_usd_per_year");
  EXPECT_EQ(issue.where.line, 3);
  EXPECT_TRUE(contains(issue.message, "at least one a positive weight")) << issue.message;
}

TEST(ScenarioLoader, MalformedTomlIsLocated) {
  const ScenarioIssue issue = single_issue("scenario.steps = 10\npopulation.size = = 3\n");
  EXPECT_EQ(issue.where.file, kFile);
  EXPECT_EQ(issue.where.line, 2);
  EXPECT_GT(issue.where.column, 0);
  EXPECT_TRUE(contains(issue.message, "malformed TOML: ")) << issue.message;
  EXPECT_TRUE(contains(format_issue(issue), "test.toml:2:")) << format_issue(issue);
}

TEST(ScenarioLoader, DuplicateKeyIsMalformedToml) {
  const ScenarioIssue issue = single_issue("scenario.steps = 10\nscenario.steps = 11\n");
  EXPECT_EQ(issue.where.line, 2);
  EXPECT_TRUE(contains(issue.message, "malformed TOML")) << issue.message;
}

TEST(ScenarioLoader, MissingFileIsAClearError) {
  try {
    load_scenario_file("/nonexistent/folder/scenario.toml");
    FAIL() << "a missing file loaded";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.issues.size(), 1u);
    EXPECT_EQ(e.issues[0].where.file, "/nonexistent/folder/scenario.toml");
    EXPECT_EQ(e.issues[0].where.line, 0);
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/folder/scenario.toml: cannot read the scenario file: no such file");
  }
}

TEST(ScenarioLoader, FolderInsteadOfFileIsAClearError) {
  try {
    load_scenario_file(std::filesystem::temp_directory_path().string());
    FAIL() << "a folder loaded";
  } catch (const ScenarioError& e) {
    EXPECT_TRUE(contains(e.what(), "it is a folder")) << e.what();
  }
}

TEST(ScenarioLoader, AllProblemsAreReportedInOnePassInFileOrder) {
  const auto issues = issues_of(R"(
[scenario]
steps = 0
sed = 4
[population]
size = "many"
[policy.prevention]
awareness_reach = 2
[[region]]
name = "A"
policy.partnership.level = -1
)",
                                {"scenario.stepz=3", "policy.partnership.level=2"});
  ASSERT_EQ(issues.size(), 7u) << ScenarioError(issues).what();
  EXPECT_EQ(issues[0].key, "scenario.steps");
  EXPECT_EQ(issues[1].key, "scenario.sed");
  EXPECT_TRUE(contains(issues[1].message, "did you mean 'scenario.seed'")) << issues[1].message;
  EXPECT_EQ(issues[2].key, "population.size");
  EXPECT_EQ(issues[3].key, "policy.prevention.awareness_reach");
  EXPECT_EQ(issues[4].key, "policy.partnership.level");
  EXPECT_EQ(issues[4].where.line, 11);
  EXPECT_EQ(issues[5].key, "scenario.stepz");
  EXPECT_EQ(issues[5].where.file, "<command line>");
  EXPECT_EQ(issues[6].key, "policy.partnership.level");
  EXPECT_EQ(issues[6].where.line, 2);
  // Every line of what() is one located issue.
  const std::string text = ScenarioError(issues).what();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6);
}

// ---- overrides -------------------------------------------------------------------------

TEST(ScenarioLoader, OverridesApplyAfterTheFileAndAreRecorded) {
  const std::vector<std::string> overrides = {
      "scenario.steps=12",
      "policy.protection.shelter_beds_per_100k = 7",
      "region.South.policy.partnership.level=0.9",
      "scenario.name=Quick look",
      "scenario.description=\"Quoted text\"",
      "policy.protection.non_punishment=false",
  };
  const Scenario s = load(R"(
scenario.steps = 50
scenario.name = "From file"
policy.protection.shelter_beds_per_100k = 1
[[region]]
name = "North"
policy.protection.shelter_beds_per_100k = 30
[[region]]
name = "South"
)",
                          overrides);
  EXPECT_EQ(s.overrides, overrides);
  EXPECT_EQ(s.steps(), 12);
  EXPECT_EQ(s.name, "Quick look");
  EXPECT_EQ(s.description, "Quoted text");
  EXPECT_EQ(s.get(Param::policy_protection_shelter_beds_per_100k), 7);
  // A region that sets the key in the file keeps its own value; others follow the overridden world.
  EXPECT_EQ(s.regions[0].values[Param::policy_protection_shelter_beds_per_100k], 30);
  EXPECT_EQ(s.regions[1].values[Param::policy_protection_shelter_beds_per_100k], 7);
  EXPECT_EQ(s.regions[1].values[Param::policy_partnership_level], 0.9);
  EXPECT_EQ(s.regions[0].values[Param::policy_partnership_level],
            spec(Param::policy_partnership_level).default_value);
  EXPECT_EQ(s.regions[0].values[Param::policy_protection_non_punishment], 0);
}

constexpr const char* kThreeRegions = R"(
policy.prosecution.investigators_per_100k = 2
[[region]]
name = "North"
policy.prosecution.investigators_per_100k = 6
[[region]]
name = "South"
[[region]]
name = "East"
policy.prosecution.investigators_per_100k = 0.5
)";

TEST(ScenarioLoader, AWorldSetOfAKeyRegionsOverrideSaysWhichRegionsKeepTheirOwn) {
  const Scenario s = load(kThreeRegions, {"policy.prosecution.investigators_per_100k=3"});
  EXPECT_EQ(s.regions[1].values[Param::policy_prosecution_investigators_per_100k], 3);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(
      s.notes[0],
      "--set policy.prosecution.investigators_per_100k=3 does not reach 'North', 'East', which set their "
      "own value; use region.NAME.policy.prosecution.investigators_per_100k=VALUE for one region, or --scale "
      "policy.prosecution.investigators_per_100k=FACTOR to multiply every region's value");
  // Every region overridden: the set changes nothing, and says so.
  const Scenario none = load(R"(
[[region]]
name = "A"
traffickers.initial_per_100k = 5
)",
                             {"traffickers.initial_per_100k=0"});
  ASSERT_EQ(none.notes.size(), 1u);
  EXPECT_TRUE(contains(none.notes[0], "changes no region: every region sets its own value ('A')"))
      << none.notes[0];
  // No note when no region has its own value, for a global key, or when the
  // regions' own values come from the command line too.
  EXPECT_TRUE(load(kThreeRegions, {"policy.protection.hotline=0.9"}).notes.empty());
  EXPECT_TRUE(load(kThreeRegions, {"scenario.steps=20"}).notes.empty());
  EXPECT_TRUE(load(R"(
[[region]]
name = "A"
)",
                   {"region.A.policy.protection.hotline=0.2", "policy.protection.hotline=0.9"})
                  .notes.empty());
}

TEST(ScenarioLoader, AScaleMultipliesTheWorldValueAndEveryRegionsOwn) {
  const Scenario s = load(kThreeRegions, {"policy.prosecution.investigators_per_100k*=0.5"});
  EXPECT_EQ(s.get(Param::policy_prosecution_investigators_per_100k), 1);
  EXPECT_EQ(s.regions[0].values[Param::policy_prosecution_investigators_per_100k], 3);
  EXPECT_EQ(s.regions[1].values[Param::policy_prosecution_investigators_per_100k], 1);
  EXPECT_EQ(s.regions[2].values[Param::policy_prosecution_investigators_per_100k], 0.25);
  EXPECT_TRUE(s.notes.empty());
  // After every value is set, whatever the order; two factors multiply.
  const Scenario later = load(kThreeRegions, {"policy.prosecution.investigators_per_100k*=2",
                                              "region.East.policy.prosecution.investigators_per_100k=1",
                                              "policy.prosecution.investigators_per_100k*=3"});
  EXPECT_EQ(later.regions[0].values[Param::policy_prosecution_investigators_per_100k], 36);
  EXPECT_EQ(later.regions[2].values[Param::policy_prosecution_investigators_per_100k], 6);
  EXPECT_EQ(later.get(Param::policy_prosecution_investigators_per_100k), 12);
}

TEST(ScenarioLoader, BadScalesAreRefusedWithTheReason) {
  const auto issues = issues_of(
      kThreeRegions, {"policy.protection.non_punishment*=2", "policy.prosecution.investigators_per_100k*=-1",
                      "policy.prosecution.investigatorz*=2", "region.North.policy.protection.hotline*=2",
                      "policy.protection.hotline*=3"});
  ASSERT_EQ(issues.size(), 5u) << ScenarioError(issues).what();
  EXPECT_TRUE(contains(issues[0].message, "a switch (true/false): set it with --set instead"))
      << issues[0].message;
  EXPECT_TRUE(contains(issues[1].message, "a factor: a finite number of at least 0")) << issues[1].message;
  EXPECT_TRUE(contains(issues[2].message, "did you mean 'policy.prosecution.investigators_per_100k'"))
      << issues[2].message;
  EXPECT_TRUE(contains(issues[3].message, "to change one region, set region.NAME.KEY=VALUE"))
      << issues[3].message;
  // The hotline's default 0.5 x 3 is 1.5, above its maximum of 1: reported
  // for the world value (no region has its own to report).
  EXPECT_TRUE(contains(issues[4].message, "makes the world value 1.5, above the largest allowed, 1"))
      << issues[4].message;
}

TEST(ScenarioLoader, RegionOverrideWorksForTheImplicitWorldRegion) {
  const Scenario s = load("", {"region.world.institutions.corruption=0.1"});
  EXPECT_EQ(s.regions.at(0).values[Param::institutions_corruption], 0.1);
  EXPECT_EQ(s.get(Param::institutions_corruption), spec(Param::institutions_corruption).default_value);
}

TEST(ScenarioLoader, RegionNamesWithDotsCanBeOverridden) {
  const Scenario s =
      load("[[region]]\nname = \"St. Kitts\"\n", {"region.St. Kitts.policy.protection.hotline=0.9"});
  EXPECT_EQ(s.regions.at(0).values[Param::policy_protection_hotline], 0.9);
}

TEST(ScenarioLoader, BadOverridesAreLocatedOnTheCommandLine) {
  const auto issues = issues_of(R"(
[[region]]
name = "North"
)",
                                {
                                    "policy.partnership.levle=0.5",
                                    "policy.partnership.level=high",
                                    "region.Nroth.policy.protection.hotline=1",
                                    "region.North.scenario.steps=3",
                                    "population.size",
                                    "route.share=0.5",
                                    "region.North.policy.protection.hotlin=1",
                                    "scenario.steps=2.5",
                                });
  ASSERT_EQ(issues.size(), 8u) << ScenarioError(issues).what();
  for (std::size_t i = 0; i < issues.size(); ++i) {
    EXPECT_EQ(issues[i].where.file, "<command line>");
    EXPECT_EQ(issues[i].where.line, static_cast<int>(i + 1));
    EXPECT_EQ(issues[i].where.column, 0);
  }
  EXPECT_EQ(format_issue(issues[0]),
            "<command line>:1:0: key 'policy.partnership.levle' = 0.5: unknown key; did you mean "
            "'policy.partnership.level'?");
  EXPECT_EQ(issues[1].message, "not a valid value: expected a number from 0 to 1");
  EXPECT_TRUE(contains(issues[2].message, "no region named 'Nroth'; did you mean 'North'?"))
      << issues[2].message;
  EXPECT_TRUE(contains(issues[3].message, "cannot differ by region")) << issues[3].message;
  EXPECT_TRUE(contains(issues[4].message, "KEY=VALUE")) << issues[4].message;
  EXPECT_TRUE(contains(issues[5].message, "cannot be changed with --set")) << issues[5].message;
  EXPECT_TRUE(contains(issues[6].message, "did you mean 'region.North.policy.protection.hotline'?"))
      << issues[6].message;
  EXPECT_TRUE(contains(issues[7].message, "expected a whole number")) << issues[7].message;
}

TEST(ScenarioLoader, OverrideValueCannotSmuggleInMoreKeys) {
  const ScenarioIssue issue = single_issue("", {"scenario.steps=3\nscenario.seed = 5"});
  EXPECT_EQ(issue.key, "scenario.steps");
  EXPECT_TRUE(contains(issue.message, "not a valid value")) << issue.message;
}

// ---- files ---------------------------------------------------------------------------------

TEST(ScenarioLoader, LoadsAFileAndKeepsItsPathAndText) {
  char folder_template[] = "/tmp/tipsim_loader_XXXXXX";
  ASSERT_NE(mkdtemp(folder_template), nullptr);
  const std::filesystem::path folder(folder_template);
  const std::string text = "scenario.name = \"On disk\"\nscenario.steps = 8\n";
  const std::string path = (folder / "disk.toml").string();
  std::ofstream(path) << text;
  const Scenario s = load_scenario_file(path, {"scenario.seed=9"});
  EXPECT_EQ(s.name, "On disk");
  EXPECT_EQ(s.source_path, path);
  EXPECT_EQ(s.source_text, text);
  EXPECT_EQ(s.seed(), 9u);
  std::filesystem::remove_all(folder);
}

// ---- extends ---------------------------------------------------------------------------------

// A temporary folder of scenario files, removed at the end of the test.
class ScenarioFolder {
 public:
  ScenarioFolder() {
    char folder_template[] = "/tmp/tipsim_extends_XXXXXX";
    path_ = mkdtemp(folder_template);
  }
  ~ScenarioFolder() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

TEST(ScenarioLoader, ExtendsStartsFromTheBaseAndReplacesWhatItGives) {
  ScenarioFolder folder;
  folder.write("base.toml", R"(
scenario.name = "base"
scenario.steps = 100
policy.partnership.level = 0.2
[[region]]
name = "North"
policy.protection.shelter_beds_per_100k = 10
institutions.corruption = 0.1
[[region]]
name = "South"
[[route]]
from = "South"
to = "North"
share = 0.2
[[intervention]]
start_step = 10
set.policy.protection.hotline = 1
)");
  const std::string child = folder.write("child.toml", R"(
extends = "base.toml"
scenario.name = "child"
policy.partnership.level = 0.6
[[region]]
name = "North"
policy.protection.shelter_beds_per_100k = 30
[[region]]
name = "East"
[[route]]
from = "South"
to = "North"
share = 0.4
[[route]]
from = "East"
to = "North"
share = 0.1
[[intervention]]
name = "second"
start_step = 20
scale.policy.protection.hotline = 0.5
)");
  const Scenario s = load_scenario_file(child);
  EXPECT_EQ(s.name, "child");
  EXPECT_EQ(s.steps(), 100);
  EXPECT_EQ(s.get(Param::policy_partnership_level), 0.6);
  ASSERT_EQ(s.regions.size(), 3u);
  EXPECT_EQ(s.regions[0].name, "North");
  EXPECT_EQ(s.regions[0].values[Param::policy_protection_shelter_beds_per_100k], 30);
  EXPECT_EQ(s.regions[0].values[Param::institutions_corruption], 0.1);   // kept from the base
  EXPECT_EQ(s.regions[0].values[Param::policy_partnership_level], 0.6);  // the new world value
  EXPECT_EQ(s.regions[1].name, "South");
  EXPECT_EQ(s.regions[2].name, "East");
  ASSERT_EQ(s.routes.size(), 2u);
  EXPECT_EQ(s.routes[0].share, 0.4);  // replaced in place
  EXPECT_EQ(s.routes[1].from, 2u);
  ASSERT_EQ(s.interventions.size(), 2u);
  EXPECT_EQ(s.interventions[0].start_step, 10);
  EXPECT_EQ(s.interventions[1].name, "second");
  // The scenario's own text is what is kept verbatim.
  EXPECT_TRUE(contains(s.source_text, "extends = \"base.toml\"")) << s.source_text;
}

TEST(ScenarioLoader, ExtendsReportsProblemsWhereTheyAre) {
  ScenarioFolder folder;
  const std::string base = folder.write("base.toml", "scenario.steps = 0\n");
  const std::string child = folder.write("child.toml", "extends = \"base.toml\"\npopulation.sise = 3\n");
  try {
    load_scenario_file(child);
    FAIL() << "loaded";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.issues.size(), 2u) << e.what();
    EXPECT_EQ(e.issues[0].where.file, base);
    EXPECT_EQ(e.issues[0].where.line, 1);
    EXPECT_EQ(e.issues[0].key, "scenario.steps");
    EXPECT_EQ(e.issues[1].where.file, child);
    EXPECT_EQ(e.issues[1].key, "population.sise");
  }
}

TEST(ScenarioLoader, ExtendsAMissingFileOrInACircleIsAnError) {
  ScenarioFolder folder;
  const std::string lonely = folder.write("lonely.toml", "extends = \"nowhere.toml\"\n");
  try {
    load_scenario_file(lonely);
    FAIL() << "loaded";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.issues.size(), 1u) << e.what();
    EXPECT_EQ(e.issues[0].where.line, 1);
    EXPECT_EQ(e.issues[0].where.column, 11);
    EXPECT_EQ(e.issues[0].key, "extends");
    EXPECT_TRUE(contains(e.issues[0].message, "no such file")) << e.what();
  }
  folder.write("a.toml", "extends = \"b.toml\"\n");
  const std::string b = folder.write("b.toml", "extends = \"a.toml\"\n");
  try {
    load_scenario_file(b);
    FAIL() << "loaded";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.issues.size(), 1u) << e.what();
    EXPECT_TRUE(contains(e.issues[0].message, "circle")) << e.what();
  }
}

// ---- the resolved round trip ------------------------------------------------------------

void expect_same_scenario(const Scenario& a, const Scenario& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  for (const ParamSpec& p : param_table()) EXPECT_EQ(a.globals[p.id], b.globals[p.id]) << p.key;
  ASSERT_EQ(a.regions.size(), b.regions.size());
  for (std::size_t r = 0; r < a.regions.size(); ++r) {
    EXPECT_EQ(a.regions[r].name, b.regions[r].name);
    for (const ParamSpec& p : param_table())
      EXPECT_EQ(a.regions[r].values[p.id], b.regions[r].values[p.id]) << a.regions[r].name << " " << p.key;
  }
  ASSERT_EQ(a.routes.size(), b.routes.size());
  for (std::size_t i = 0; i < a.routes.size(); ++i) {
    EXPECT_EQ(a.routes[i].from, b.routes[i].from);
    EXPECT_EQ(a.routes[i].to, b.routes[i].to);
    EXPECT_EQ(a.routes[i].share, b.routes[i].share);
    EXPECT_EQ(a.routes[i].transit_days, b.routes[i].transit_days);
  }
  ASSERT_EQ(a.interventions.size(), b.interventions.size());
  for (std::size_t i = 0; i < a.interventions.size(); ++i) {
    const InterventionSpec& x = a.interventions[i];
    const InterventionSpec& y = b.interventions[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.start_step, y.start_step);
    EXPECT_EQ(x.end_step, y.end_step);
    EXPECT_EQ(x.region, y.region);
    EXPECT_EQ(x.ramp_steps, y.ramp_steps);
    ASSERT_EQ(x.changes.size(), y.changes.size());
    // The resolved text lists set changes before scale changes.
    auto sorted = [](std::vector<LeverChange> c) {
      std::stable_sort(c.begin(), c.end(),
                       [](const LeverChange& l, const LeverChange& r) { return l.op < r.op; });
      return c;
    };
    const auto cx = sorted(x.changes), cy = sorted(y.changes);
    for (std::size_t c = 0; c < cx.size(); ++c) {
      EXPECT_EQ(cx[c].param, cy[c].param);
      EXPECT_EQ(cx[c].op, cy[c].op);
      EXPECT_EQ(cx[c].value, cy[c].value);
    }
  }
}

TEST(ScenarioLoader, ResolvedTomlLoadsBackToTheSameScenario) {
  const Scenario original =
      load(R"(
[scenario]
name = "Round \"trip\" \\ test"
description = "Two regions, a route and interventions.\nSecond line."
seed = 9007199254740991
steps = 77
step_days = 3.5
[population]
size = 123457
scale = 0.1
[policy.prevention]
awareness_reach = 0.123456789012345
recruitment_fee_ban = true

[[region]]
name = "Région Nord"
population.share = 0.3333333333333333
policy.protection.non_punishment = false
map.x = 0.1

[[region]]
name = "South"
institutions.corruption = 0.7

[[route]]
from = "Région Nord"
to = "South"
share = 0.1
transit_days = 21

[[intervention]]
name = "Shelters"
start_step = 5
end_step = 50
region = "South"
ramp_steps = 4
[intervention.set]
"policy.protection.shelter_beds_per_100k" = 40
"policy.protection.non_punishment" = true
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 1.7

[[intervention]]
start_step = 1
scale.policy.protection.hotline = 0
)",
           {"traffickers.initial_per_100k=33.3", "region.South.policy.protection.hotline=0.01"});
  const std::string resolved = resolved_toml(original);
  Scenario reloaded;
  try {
    reloaded = load_scenario_text(resolved, "resolved.toml");
  } catch (const ScenarioError& e) {
    FAIL() << e.what() << "\n--- resolved text ---\n" << resolved;
  }
  expect_same_scenario(original, reloaded);
  // And the resolved text of the reloaded scenario is the same text.
  EXPECT_EQ(resolved_toml(reloaded), resolved);
}

TEST(ScenarioLoader, DefaultScenarioRoundTrips) {
  const Scenario original = default_scenario();
  const Scenario reloaded = load_scenario_text(resolved_toml(original), "resolved.toml");
  expect_same_scenario(original, reloaded);
}

// Agents have 32-bit ids: a larger world must keep its untouched people as
// counts, and the error says so at the size's line.
TEST(ScenarioLoader, AWorldAboveFourBillionAgentsNeedsStrata) {
  const auto issues = issues_of("[population]\nsize = 7_750_000_000\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "population.size");
  EXPECT_EQ(issues[0].where.line, 2);
  EXPECT_NE(issues[0].message.find("population.untouched_in_strata = true"), std::string::npos)
      << issues[0].message;
  EXPECT_NO_THROW(load("[population]\nsize = 7_750_000_000\nuntouched_in_strata = true\n"));
}

}  // namespace
}  // namespace tipsim
