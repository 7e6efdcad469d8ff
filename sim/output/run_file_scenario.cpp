// The scenario/ group of a run file: the scenario as given and fully
// resolved, and its parameters, regional values, routes and interventions
// as tables an analyst can read without a TOML parser.
#include <cstdint>
#include <limits>

#include "run_file_internal.hpp"

namespace tipsim::output::detail {

namespace {

// The scenario file's text and its resolved TOML: enough to repeat the run.
void write_scenario_texts(GroupWriter& group, const Scenario& scenario, const std::string& path) {
  Handle source = group.text("source_text", scenario.source_text,
                             "scenario file text exactly as given (empty for a built-in scenario)");
  h5::write_attribute(source.get(), "source_path", scenario.source_path, path);
  Handle resolved =
      group.text("resolved_toml", resolved_toml(scenario),
                 "fully resolved scenario as TOML: every key, defaults and --set overrides applied");
}

// The world-wide values of every parameter (for regional parameters, the
// default that regions without an override use).
void write_parameter_table(GroupWriter& group, const Scenario& scenario, const std::string& path) {
  GroupWriter table(group.id(), "parameters",
                    "Resolved world-wide value of every scenario parameter, one row per key. Text parameters "
                    "(scenario.name, scenario.description) have value NaN; their text is in resolved_toml.",
                    path);
  std::vector<std::string> keys, units, scopes;
  std::vector<double> values;
  for (const ParamSpec& p : param_table()) {
    keys.emplace_back(p.key);
    values.push_back(p.kind == ParamKind::Text ? std::numeric_limits<double>::quiet_NaN()
                                               : scenario.get(p.id));
    units.emplace_back(p.unit);
    scopes.emplace_back(p.scope == ParamScope::Global ? "global" : "regional");
  }
  table.index_dimension("parameter", keys.size(), "row of the parameter table", "1");
  table.strings("key", {"parameter"}, keys, "dotted scenario key");
  table.doubles("value", {"parameter"}, values, "resolved value, in the unit of the unit column", {});
  table.strings("unit", {"parameter"}, units, "unit of the value");
  table.strings("scope", {"parameter"}, scopes,
                "global: one value for the world; regional: the world default, which regions may override");
}

// Every region's value of every regional parameter, overrides applied.
void write_regional_value_table(GroupWriter& group, const Scenario& scenario, const std::string& path) {
  GroupWriter table(group.id(), "regional_values",
                    "Resolved value of every regional parameter in every region (region overrides applied).",
                    path);
  std::vector<std::string> keys;
  std::vector<Param> ids;
  for (const ParamSpec& p : param_table()) {
    if (p.scope != ParamScope::Regional || p.kind == ParamKind::Text) continue;
    keys.emplace_back(p.key);
    ids.push_back(p.id);
  }
  std::vector<double> values;
  for (const RegionSpec& region : scenario.regions)
    for (Param id : ids) values.push_back(region.values[id]);
  table.label_dimension("region", region_names(scenario), "region");
  table.index_dimension("parameter", keys.size(), "row of the regional parameter table", "1");
  table.strings("key", {"parameter"}, keys, "dotted scenario key");
  table.doubles("value", {"region", "parameter"}, values, "resolved value in the region, in the key's unit",
                {});
}

// Where recruits of each region are exploited, one row per route.
void write_route_table(GroupWriter& group, const Scenario& scenario, const std::string& path) {
  GroupWriter table(
      group.id(), "routes",
      "Routes: a person recruited in origin is exploited in destination with probability share.", path);
  std::vector<std::string> origins, destinations;
  std::vector<double> shares;
  std::vector<double> transit;
  for (const RouteSpec& r : scenario.routes) {
    origins.push_back(scenario.regions.at(r.from).name);
    destinations.push_back(scenario.regions.at(r.to).name);
    shares.push_back(r.share);
    transit.push_back(r.transit_days);
  }
  table.index_dimension("route", origins.size(), "row of the route table", "1");
  table.strings("origin", {"route"}, origins, "region where the person is recruited");
  table.strings("destination", {"route"}, destinations, "region where the person is exploited");
  table.doubles("share", {"route"}, shares, "probability that a recruit of origin is taken to destination",
                "1");
  table.doubles("transit_days", {"route"}, transit, "mean time in transit before exploitation", "days");
}

// The intervention table's columns, one entry per lever change.
struct InterventionColumns {
  std::vector<std::string> names, regions, keys, ops;
  std::vector<std::int64_t> indices, starts, ends, ramps;
  std::vector<double> values;
};

// Flattens the interventions into one row per lever change, as stored.
InterventionColumns intervention_columns(const Scenario& scenario) {
  InterventionColumns c;
  for (std::size_t i = 0; i < scenario.interventions.size(); ++i) {
    const InterventionSpec& iv = scenario.interventions[i];
    for (const LeverChange& change : iv.changes) {
      c.names.push_back(iv.name);
      c.indices.push_back(static_cast<std::int64_t>(i));
      c.starts.push_back(iv.start_step);
      c.ends.push_back(iv.end_step);
      c.regions.push_back(iv.region < 0 ? std::string("all") : scenario.regions.at(iv.region).name);
      c.ramps.push_back(iv.ramp_steps);
      c.keys.emplace_back(spec(change.param).key);
      c.ops.emplace_back(lever_op_name(change.op));
      c.values.push_back(change.value);
    }
  }
  return c;
}

// The policy changes over time, one row per lever change.
void write_intervention_table(GroupWriter& group, const Scenario& scenario, const std::string& path) {
  GroupWriter table(group.id(), "interventions",
                    "Interventions, one row per lever change: active for steps in [start_step, end_step), at "
                    "full strength after ramp_steps.",
                    path);
  const InterventionColumns c = intervention_columns(scenario);
  table.index_dimension("change", c.names.size(), "row of the intervention table (one lever change)", "1");
  table.strings("name", {"change"}, c.names, "intervention name");
  table.int64s("intervention", {"change"}, c.indices,
               "index of the intervention in the scenario (the event log's intervention column)", "1");
  table.int64s("start_step", {"change"}, c.starts, "first step the intervention is active", "steps");
  table.int64s("end_step", {"change"}, c.ends, "step at which the intervention ends (exclusive)", "steps");
  table.strings("region", {"change"}, c.regions, "region the intervention applies to, or all");
  table.int64s("ramp_steps", {"change"}, c.ramps, "steps to reach full strength", "steps");
  table.strings("key", {"change"}, c.keys, "scenario key of the lever");
  table.strings(
      "op", {"change"}, c.ops,
      "set: the lever takes value; scale: the lever is multiplied by value; add: value is added to the "
      "lever");
  table.doubles("value", {"change"}, c.values,
                "new value (set, in the key's unit), factor (scale) or amount added (add, in the key's unit)",
                {});
}

}  // namespace

std::vector<std::string> region_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const RegionSpec& region : scenario.regions) names.push_back(region.name);
  return names;
}

void write_scenario_group(hid_t file, const Scenario& scenario, const std::string& path) {
  GroupWriter group(file, "scenario",
                    "The scenario as given and fully resolved. The run can be repeated from resolved_toml "
                    "(tipsim run --from FILE).",
                    path);
  write_scenario_texts(group, scenario, path);
  write_parameter_table(group, scenario, path);
  write_regional_value_table(group, scenario, path);
  write_route_table(group, scenario, path);
  write_intervention_table(group, scenario, path);
}

}  // namespace tipsim::output::detail
