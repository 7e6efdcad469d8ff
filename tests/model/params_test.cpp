// The parameter table (params.cpp, parameters.def): one row per key, ids in
// declaration order, defaults inside their bounds, the scenario's accessors,
// the key suggestions, the display format and the resolved TOML, which the
// scenario loader reads back to the very same values.
#include "params.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "scenario_loader.hpp"
#include "suggest.hpp"

namespace tipsim {
namespace {

TEST(ParamTable, EveryKeyIsUniqueAndIdsFollowTheDeclarationOrder) {
  const auto& table = param_table();
  ASSERT_EQ(table.size(), kParamCount);
  std::set<std::string_view> keys;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const ParamSpec& s = table[i];
    SCOPED_TRACE(s.key);
    EXPECT_EQ(static_cast<std::size_t>(s.id), i);
    EXPECT_EQ(&spec(s.id), &s);
    EXPECT_TRUE(keys.insert(s.key).second) << "duplicate key";
    // Found by its key, and it is this very row.
    EXPECT_EQ(find_param(s.key), &s);
    // A dotted path of a table and a leaf, as resolved_toml writes it.
    EXPECT_NE(s.key.find('.'), std::string_view::npos);
    EXPECT_NE(s.key.front(), '.');
    EXPECT_NE(s.key.back(), '.');
    EXPECT_FALSE(s.doc.empty());
  }
  EXPECT_EQ(find_param("policy.prevention.awareness_reachx"), nullptr);
  EXPECT_EQ(find_param(""), nullptr);
  // The id names the key it was declared with.
  EXPECT_EQ(spec(Param::policy_prevention_awareness_reach).key, "policy.prevention.awareness_reach");
  EXPECT_EQ(spec(Param::scenario_seed).key, "scenario.seed");
  EXPECT_EQ(spec(Param::map_y).key, "map.y");
}

TEST(ParamTable, DefaultsLieWithinTheirBoundsAndFitTheirKind) {
  for (const ParamSpec& s : param_table()) {
    SCOPED_TRACE(s.key);
    EXPECT_LE(s.min_value, s.max_value);
    EXPECT_GE(s.default_value, s.min_value);
    EXPECT_LE(s.default_value, s.max_value);
    switch (s.kind) {
      case ParamKind::Integer:
        EXPECT_EQ(s.default_value, std::floor(s.default_value));
        EXPECT_EQ(s.min_value, std::floor(s.min_value));
        // Whole numbers up to 2^53 are exact in a double.
        EXPECT_LE(s.max_value, 9007199254740992.0);
        break;
      case ParamKind::Boolean:
        EXPECT_TRUE(s.default_value == 0 || s.default_value == 1);
        EXPECT_EQ(s.min_value, 0);
        EXPECT_EQ(s.max_value, 1);
        break;
      case ParamKind::Text:
        EXPECT_EQ(s.default_value, 0);
        EXPECT_EQ(s.scope, ParamScope::Global);
        break;
      case ParamKind::Real:
        break;
    }
  }
}

TEST(ParamTable, DefaultValuesAndTheDefaultScenarioHoldEveryDefault) {
  const ParamValues defaults = ParamValues::defaults();
  const Scenario s = default_scenario();
  ASSERT_EQ(s.regions.size(), 1u);
  EXPECT_EQ(s.regions[0].name, "world");
  EXPECT_EQ(s.region_index("world"), 0);
  EXPECT_EQ(s.region_index("World"), -1);
  EXPECT_TRUE(s.routes.empty());
  EXPECT_TRUE(s.interventions.empty());
  for (const ParamSpec& p : param_table()) {
    EXPECT_EQ(defaults[p.id], p.default_value) << p.key;
    EXPECT_EQ(s.get(p.id), p.default_value) << p.key;
    EXPECT_EQ(s.regions[0].values[p.id], p.default_value) << p.key;
  }
}

TEST(Scenario, AccessorsReadTheGlobalValues) {
  Scenario s = default_scenario();
  // The documented defaults: seed 1, 520 weekly steps.
  EXPECT_EQ(s.seed(), 1u);
  EXPECT_EQ(s.steps(), 520);
  EXPECT_DOUBLE_EQ(s.step_years(), 7.0 / 365.0);

  s.globals[Param::scenario_seed] = 9007199254740991.0;  // 2^53 - 1, the largest seed
  s.globals[Param::scenario_steps] = 1000000;
  s.globals[Param::scenario_step_days] = 365;
  s.globals[Param::traffickers_capacity_mean] = 4.75;
  s.globals[Param::population_size] = 4000000000.0;  // beyond int32
  EXPECT_EQ(s.seed(), 9007199254740991ull);
  EXPECT_EQ(s.steps(), 1000000);
  EXPECT_EQ(s.step_years(), 1.0);
  s.globals[Param::scenario_step_days] = 1;
  EXPECT_EQ(s.step_years(), 1.0 / 365.0);
  EXPECT_EQ(s.get(Param::traffickers_capacity_mean), 4.75);
  EXPECT_EQ(s.get_int(Param::traffickers_capacity_mean), 4);  // truncated, as the code says
  EXPECT_EQ(s.get_int(Param::population_size), 4000000000ll);
  // get() reads the world value, not a region's.
  s.regions[0].values[Param::policy_partnership_level] = 0.9;
  EXPECT_EQ(s.get(Param::policy_partnership_level), spec(Param::policy_partnership_level).default_value);

  s.regions.push_back(RegionSpec{"South", s.globals});
  EXPECT_EQ(s.region_index("South"), 1);
  EXPECT_EQ(s.region_index("world"), 0);
  EXPECT_EQ(s.region_index(""), -1);
}

TEST(ParamTable, EditDistanceCountsSingleCharacterEdits) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("", "abcd"), 4u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // k->s, e->i, +g
  EXPECT_EQ(edit_distance("sitting", "kitten"), 3u);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);  // -f, +n
  EXPECT_EQ(edit_distance("abc", "acb"), 2u);    // a transposition is two substitutions
  EXPECT_EQ(edit_distance("scenario.seed", "scenario.seed"), 0u);
}

TEST(ParamTable, SuggestionsAreTheClosestKeysBestFirst) {
  // One letter off: the key itself comes first.
  const auto typo = suggest_params("policy.partnership.levle");
  ASSERT_FALSE(typo.empty());
  EXPECT_EQ(typo.front(), "policy.partnership.level");
  // The leaf alone finds the full key.
  const auto leaf = suggest_params("awareness_reach");
  ASSERT_FALSE(leaf.empty());
  EXPECT_EQ(leaf.front(), "policy.prevention.awareness_reach");
  // Best first: one edit away, then the same path with a lengthened last
  // part (counted as one away, after it in the table), then two edits away.
  const auto three = suggest_params("scenario.step", 3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0], "scenario.steps");
  EXPECT_EQ(three[1], "scenario.step_days");
  EXPECT_EQ(three[2], "scenario.seed");
  EXPECT_EQ(suggest_params("scenario.step", 1).size(), 1u);
  // Nothing is suggested for something nowhere near a key.
  EXPECT_TRUE(suggest_params("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").empty());
}

TEST(ParamTable, ValuesAreFormattedByKind) {
  const ParamSpec& integer = spec(Param::population_size);
  const ParamSpec& boolean = spec(Param::policy_protection_non_punishment);
  const ParamSpec& real = spec(Param::policy_partnership_level);
  EXPECT_EQ(format_value(integer, 100000), "100000");
  EXPECT_EQ(format_value(integer, 4000000000.0), "4000000000");
  EXPECT_EQ(format_value(spec(Param::scenario_seed), 9007199254740991.0), "9007199254740991");
  EXPECT_EQ(format_value(boolean, 1), "true");
  EXPECT_EQ(format_value(boolean, 0), "false");
  // A real always has a decimal point or an exponent, as TOML floats need.
  EXPECT_EQ(format_value(real, 1), "1.0");
  EXPECT_EQ(format_value(real, 0), "0.0");
  EXPECT_EQ(format_value(real, 0.25), "0.25");
  EXPECT_EQ(format_value(real, 1e12), "1e+12");
  // Shortest text that reads back to the same double.
  for (const double v : {0.1, 1.0 / 3.0, 0.123456789012345, 27252.5, 1e-9, 2.0 / 7.0 * 1e11}) {
    const std::string text = format_value(real, v);
    EXPECT_EQ(std::stod(text), v) << text;
  }
}

// A value of `p` other than its default, inside its bounds, with as many
// significant digits as a double holds (reals); `salt` gives another one.
double non_default(const ParamSpec& p, int salt) {
  switch (p.kind) {
    case ParamKind::Boolean:
      return 1.0 - p.default_value;
    case ParamKind::Integer:
      return p.default_value + 1 + salt <= p.max_value ? p.default_value + 1 + salt
                                                       : p.default_value - 1 - salt;
    case ParamKind::Text:
      return 0;
    case ParamKind::Real:
      break;
  }
  const double divisor = 7.0 + salt;
  return p.max_value > p.default_value ? p.default_value + (p.max_value - p.default_value) / divisor
                                       : p.default_value - (p.default_value - p.min_value) / divisor;
}

TEST(ResolvedToml, EveryParameterAtAnotherValueLoadsBackExactly) {
  Scenario s = default_scenario();
  s.name = "All \"keys\" moved";
  s.description = "Every parameter off its default.\tTabs\\and\nlines.";
  for (const ParamSpec& p : param_table()) s.globals[p.id] = non_default(p, 0);
  // The first region keeps the world values (written as nothing), the
  // second has its own value for every regional parameter.
  s.regions = {RegionSpec{"North", s.globals}, RegionSpec{"Süd \"2\"", s.globals}};
  for (const ParamSpec& p : param_table())
    if (p.scope == ParamScope::Regional) s.regions[1].values[p.id] = non_default(p, 1);
  s.routes.push_back(RouteSpec{0, 1, 1.0 / 3.0, 10.5});
  s.interventions.push_back(
      InterventionSpec{"Shelters",
                       3,
                       40,
                       1,
                       2,
                       {{Param::policy_protection_shelter_beds_per_100k, LeverOp::Set, 12.125},
                        {Param::policy_partnership_level, LeverOp::Scale, 0.1},
                        {Param::policy_prosecution_investigators_per_100k, LeverOp::Add, 0.375}}});

  const std::string text = resolved_toml(s);
  Scenario back;
  try {
    back = load_scenario_text(text, "resolved.toml");
  } catch (const ScenarioError& e) {
    FAIL() << e.what() << "\n--- resolved ---\n" << text;
  }
  EXPECT_EQ(back.name, s.name);
  EXPECT_EQ(back.description, s.description);
  std::size_t moved = 0;
  for (const ParamSpec& p : param_table()) {
    if (p.kind == ParamKind::Text) continue;
    // Bit-exact: the resolved text must repeat the run, not approximate it.
    EXPECT_EQ(back.globals[p.id], s.globals[p.id]) << p.key;
    EXPECT_NE(back.globals[p.id], p.default_value) << p.key;
    moved += back.globals[p.id] != p.default_value;
  }
  EXPECT_EQ(moved, kParamCount - 2);  // all but the two text keys
  ASSERT_EQ(back.regions.size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(back.regions[r].name, s.regions[r].name);
    for (const ParamSpec& p : param_table()) {
      if (p.scope != ParamScope::Regional) continue;
      EXPECT_EQ(back.regions[r].values[p.id], s.regions[r].values[p.id]) << s.regions[r].name << " " << p.key;
    }
  }
  ASSERT_EQ(back.routes.size(), 1u);
  EXPECT_EQ(back.routes[0].from, 0u);
  EXPECT_EQ(back.routes[0].to, 1u);
  EXPECT_EQ(back.routes[0].share, 1.0 / 3.0);
  EXPECT_EQ(back.routes[0].transit_days, 10.5);
  ASSERT_EQ(back.interventions.size(), 1u);
  const InterventionSpec& iv = back.interventions[0];
  EXPECT_EQ(iv.name, "Shelters");
  EXPECT_EQ(iv.start_step, 3);
  EXPECT_EQ(iv.end_step, 40);
  EXPECT_EQ(iv.region, 1);
  EXPECT_EQ(iv.ramp_steps, 2);
  ASSERT_EQ(iv.changes.size(), 3u);
  // The loader may list the set, scale and add tables in any order.
  for (const LeverChange& original : s.interventions[0].changes) {
    const auto found = std::find_if(iv.changes.begin(), iv.changes.end(),
                                    [&](const LeverChange& c) { return c.param == original.param; });
    ASSERT_NE(found, iv.changes.end()) << spec(original.param).key;
    EXPECT_EQ(found->op, original.op) << spec(original.param).key;
    EXPECT_EQ(found->value, original.value) << spec(original.param).key;
  }
  // A fixed point: the reloaded scenario resolves to the same text.
  EXPECT_EQ(resolved_toml(back), text);
}

}  // namespace
}  // namespace tipsim
