// Loading a scenario: parsing, then resolution of what the file, the
// scenarios it extends and the overrides set into a Scenario, with every
// problem reported by file, line, column and key.
#include "scenario_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "quoting.hpp"
#include "scenario_loader_internal.hpp"
#include "suggest.hpp"

namespace tipsim {

namespace scenario_detail {

Scenario Loader::load(std::string_view text, const std::vector<std::string>& overrides) {
  read_document(parse(text));
  for (std::size_t i = 0; i < overrides.size(); ++i) apply_override(i + 1, overrides[i]);
  Scenario scenario = resolve_world(text, overrides);
  check_budget(scenario);
  check_population(scenario);
  resolve_regions(scenario);
  apply_scales(scenario);
  note_overridden_sets(scenario);
  resolve_routes(scenario);
  resolve_interventions(scenario);
  if (!issues_.empty()) throw_issues_in_reading_order();
  return scenario;
}

std::vector<InterventionSpec> Loader::load_interventions(std::string_view text, const Scenario& scenario) {
  files_read_.push_back(file_);
  const toml::table document = parse(text);
  for (auto&& [k, value] : document) {
    if (k.str() == "intervention") {
      read_interventions(value, at(k.source()));
    } else {
      report(at(k.source()), std::string(k.str()), node_text(value),
             "an interventions file holds [[intervention]] tables only (name, start_step, end_step, region, "
             "ramp_steps, set, scale, add)");
    }
  }
  if (interventions_.empty() && issues_.empty())
    report(SourceLocation{file_, 1, 1}, "intervention", "", "no [[intervention]] table in the file");
  std::vector<InterventionSpec> resolved = resolve_interventions_of(scenario);
  if (!issues_.empty()) throw_issues_in_reading_order();
  return resolved;
}

std::vector<InterventionSpec> Loader::resolve_interventions_of(const Scenario& scenario) {
  // The regions they may name are the scenario's.
  regions_.clear();
  for (const RegionSpec& r : scenario.regions) {
    RawRegion region;
    region.name = r.name;
    region.valid = true;
    regions_.push_back(std::move(region));
  }
  // Resolved in a copy, so the scenario's own interventions stay out.
  Scenario resolved = scenario;
  resolved.interventions.clear();
  resolve_interventions(resolved);
  return resolved.interventions;
}

// The document, or the one problem that makes the text no TOML at all.
toml::table Loader::parse(std::string_view text) {
  if (const auto nul = nul_position(text)) {
    report(SourceLocation{file_, nul->first, nul->second}, "", "", kNulMessage);
    throw ScenarioError(std::move(issues_));
  }
  try {
    return toml::parse(text, file_);
  } catch (const toml::parse_error& e) {
    // Nothing after a syntax error can be trusted; report it alone.
    report(at(e.source()), "", "", "malformed TOML: " + std::string(e.description()));
    throw ScenarioError(std::move(issues_));
  }
}

// The world's values: the defaults, then every key given at the top level.
Scenario Loader::resolve_world(std::string_view text, const std::vector<std::string>& overrides) {
  Scenario scenario;
  scenario.source_path = file_;
  scenario.source_text = std::string(text);
  scenario.overrides = overrides;
  scenario.globals = ParamValues::defaults();
  for (const ParamSpec& s : param_table()) {
    const Entry& e = world_[static_cast<std::size_t>(s.id)];
    if (e.given) scenario.globals[s.id] = e.number;
  }
  const Entry& name = world_[static_cast<std::size_t>(Param::scenario_name)];
  const Entry& description = world_[static_cast<std::size_t>(Param::scenario_description)];
  scenario.name = name.given ? name.text : std::filesystem::path(file_).stem().string();
  if (description.given) scenario.description = description.text;
  check_vulnerability(scenario.globals, world_, world_, " (the world default)");
  return scenario;
}

// Budget mode needs a pillar to spend on.
void Loader::check_budget(const Scenario& scenario) {
  if (scenario.globals[Param::budget_total_usd_per_year] <= 0) return;
  double shares = 0;
  for (Param p : {Param::budget_share_prosecution, Param::budget_share_protection,
                  Param::budget_share_prevention, Param::budget_share_partnership})
    shares += scenario.globals[p];
  if (shares > 0) return;
  const Entry& e = world_[static_cast<std::size_t>(Param::budget_total_usd_per_year)];
  report(e.where, "budget.total_usd_per_year", e.written,
         "budget mode is on but budget.share_prosecution, share_protection, share_prevention and "
         "share_partnership are all 0: give at least one a positive weight");
}

// Agents have 32-bit ids: a world of more persons keeps the untouched ones
// as counts.
void Loader::check_population(const Scenario& scenario) {
  constexpr double kMostAgents = 4e9;
  if (scenario.globals[Param::population_untouched_in_strata] != 0 ||
      scenario.globals[Param::population_size] <= kMostAgents)
    return;
  const Entry& e = world_[static_cast<std::size_t>(Param::population_size)];
  report(
      e.where, "population.size", e.written,
      "a world of more than 4000000000 persons needs population.untouched_in_strata = true (every person an "
      "agent from the start allows at most 4000000000)");
}

// Regions start from the world values, then take their own.
void Loader::resolve_regions(Scenario& scenario) {
  if (regions_.empty()) regions_.push_back(make_world_region(file_));
  double share_total = 0;
  for (const RawRegion& raw : regions_) {
    RegionSpec region{raw.name, scenario.globals};
    bool own_vulnerability = false;
    for (const ParamSpec& s : param_table()) {
      const Entry& e = raw.entries[static_cast<std::size_t>(s.id)];
      if (e.given) region.values[s.id] = e.number;
      own_vulnerability |= e.given && (s.id == Param::population_vulnerability_mean ||
                                       s.id == Param::population_vulnerability_sd);
    }
    if (own_vulnerability)
      check_vulnerability(region.values, raw.entries, world_, " in region '" + raw.name + "'");
    share_total += region.values[Param::population_share];
    scenario.regions.push_back(std::move(region));
  }
  if (share_total <= 0 && !invalid_[static_cast<std::size_t>(Param::population_share)]) {
    report(regions_.front().where, "population.share", "0",
           "every region has population.share = 0, so nobody would live anywhere; give at least one region a "
           "positive share");
  }
}

std::optional<std::int32_t> Loader::region_of(const Scenario& scenario, const Field<std::string>& field,
                                              const std::string& key, bool allow_all) {
  if (allow_all && *field.value == "all") return -1;
  const std::int32_t index = scenario.region_index(*field.value);
  if (index >= 0 && regions_[static_cast<std::size_t>(index)].valid) return index;
  std::vector<std::string> region_names;
  for (const RawRegion& r : regions_) region_names.push_back(r.name);
  std::string message = "no region named '" + *field.value + "'" +
                        did_you_mean(near_misses(*field.value, region_names)) + "; the regions are " +
                        quoted_list(region_names);
  if (allow_all) message += " (or \"all\" for every region)";
  report(field.where, key, field.written, message);
  return std::nullopt;
}

// Routes: recruits from one region to another; the rest stay at home.
void Loader::resolve_routes(Scenario& scenario) {
  std::map<std::uint32_t, std::pair<double, SourceLocation>> outgoing;
  for (const RawRoute& raw : routes_) {
    if (!raw.valid) continue;
    const auto from = region_of(scenario, raw.from, "route.from", false);
    const auto to = region_of(scenario, raw.to, "route.to", false);
    if (!from || !to) continue;
    if (*from == *to) {
      report(raw.to.where, "route.to", raw.to.written,
             "a route must lead to another region; domestic trafficking is what remains after a region's "
             "routes");
      continue;
    }
    RouteSpec route;
    route.from = static_cast<std::uint32_t>(*from);
    route.to = static_cast<std::uint32_t>(*to);
    route.share = *raw.share.value;
    route.transit_days =
        raw.transit_days.value ? *raw.transit_days.value : scenario.get(Param::movement_transit_days);
    const bool duplicate =
        std::any_of(scenario.routes.begin(), scenario.routes.end(),
                    [&](const RouteSpec& r) { return r.from == route.from && r.to == route.to; });
    if (duplicate) {
      report(raw.to.where, "route.to", raw.to.written,
             "a second route from '" + *raw.from.value + "' to '" + *raw.to.value + "'; merge them into one");
      continue;
    }
    auto& [sum, last] = outgoing[route.from];
    sum += route.share;
    last = raw.share.where;
    scenario.routes.push_back(route);
  }
  for (const auto& [from, total] : outgoing) {
    if (total.first > 1 + kShareTolerance) {
      report(total.second, "route.share", number_text(total.first),
             "the shares of routes out of region '" + scenario.regions[from].name + "' add up to " +
                 number_text(total.first) +
                 "; they must not exceed 1 (what remains is domestic trafficking)");
    }
  }
}

// Interventions: windows of set or scaled regional levers.
void Loader::resolve_interventions(Scenario& scenario) {
  for (const RawIntervention& raw : interventions_) {
    if (!raw.valid) continue;
    InterventionSpec iv;
    iv.name = raw.name;
    iv.start_step = *raw.start_step.value;
    if (raw.end_step.value) {
      iv.end_step = *raw.end_step.value;
      if (iv.end_step <= iv.start_step) {
        // In an exercise the start is the inject's or the decision's step.
        const std::string start = raw.key_prefix == "intervention." ? "start_step" : "step";
        report(raw.end_step.where, raw.key_prefix + "end_step", raw.end_step.written,
               "end_step must be after " + start + " = " + std::to_string(iv.start_step) +
                   " (the changes act for steps " + start + " <= step < end_step)");
        continue;
      }
    } else {
      // Until the end of the run, however long that is made with --steps.
      iv.end_step = std::max<std::int64_t>(scenario.steps(), iv.start_step + 1);
    }
    iv.ramp_steps = raw.ramp_steps.value.value_or(0);
    if (raw.region.value) {
      const auto region = region_of(scenario, raw.region, raw.key_prefix + "region", true);
      if (!region) continue;
      iv.region = *region;
    }
    for (const RawLever& lever : raw.levers)
      iv.changes.push_back(LeverChange{lever.param->id, lever.op, lever.value});
    scenario.interventions.push_back(std::move(iv));
  }
}

// toml++ keeps keys sorted by name; researchers read problems top to
// bottom, file by file (extended scenarios first), the command line last.
void Loader::throw_issues_in_reading_order() {
  auto rank = [&](const std::string& file) {
    return static_cast<std::size_t>(std::find(files_read_.begin(), files_read_.end(), file) -
                                    files_read_.begin());
  };
  std::stable_sort(issues_.begin(), issues_.end(), [&](const ScenarioIssue& a, const ScenarioIssue& b) {
    return std::tuple(rank(a.where.file), a.where.line, a.where.column) <
           std::tuple(rank(b.where.file), b.where.line, b.where.column);
  });
  throw ScenarioError(std::move(issues_));
}

}  // namespace scenario_detail

using scenario_detail::Loader;

std::string format_issue(const ScenarioIssue& issue) {
  std::string out = issue.where.file;
  if (issue.where.line > 0)
    out += ":" + std::to_string(issue.where.line) + ":" + std::to_string(issue.where.column);
  out += ": ";
  if (!issue.key.empty()) {
    out += "key '" + issue.key + "'";
    if (!issue.value.empty()) out += " = " + issue.value;
    out += ": ";
  }
  return out + issue.message;
}

namespace {
std::string join_issues(const std::vector<ScenarioIssue>& issues) {
  std::string out;
  for (const ScenarioIssue& issue : issues) {
    if (!out.empty()) out += "\n";
    out += format_issue(issue);
  }
  return out;
}
}  // namespace

ScenarioError::ScenarioError(std::vector<ScenarioIssue> found)
    : std::runtime_error(join_issues(found)), issues(std::move(found)) {}

Scenario load_scenario_text(std::string_view text, const std::string& path_for_messages,
                            const std::vector<std::string>& overrides) {
  return Loader(path_for_messages).load(text, overrides);
}

Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  const std::string reason = [&]() -> std::string {
    if (!std::filesystem::exists(path, ec)) return "no such file";
    if (std::filesystem::is_directory(path, ec)) return "it is a folder, not a file";
    return "";
  }();
  std::ifstream in(path, std::ios::binary);
  if (!reason.empty() || !in) {
    throw ScenarioError(
        {ScenarioIssue{SourceLocation{path, 0, 0}, "", "",
                       "cannot read the scenario file: " +
                           (reason.empty() ? std::string("permission denied or unreadable") : reason)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ScenarioError(
        {ScenarioIssue{SourceLocation{path, 0, 0}, "", "", "cannot read the scenario file: read error"}});
  }
  return load_scenario_text(text.str(), path, overrides);
}

std::vector<InterventionSpec> load_intervention_file(const std::string& path, const Scenario& scenario) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec))
    throw ScenarioError({ScenarioIssue{
        SourceLocation{path, 0, 0}, "", "",
        "cannot read the interventions file: " +
            std::string(std::filesystem::exists(path, ec) ? "unreadable or a folder" : "no such file")}});
  std::ostringstream text;
  text << in.rdbuf();
  return Loader(path).load_interventions(text.str(), scenario);
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace tipsim
