// Reading the tables of a scenario: [[region]], [[route]] and
// [[intervention]], --set overrides, and the scenario a file extends.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <tuple>

#include "quoting.hpp"
#include "scenario_loader_internal.hpp"
#include "suggest.hpp"

namespace tipsim::scenario_detail {

void Loader::read_regions(const toml::node& node, const SourceLocation& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    report(where, "region", node_text(node),
           "regions are an array of tables: write each one as [[region]] with a name = \"...\" line");
    return;
  }
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    RawRegion region;
    region.where = at(table.source());
    if (const toml::node* name = table.get("name")) {
      Field<std::string> field;
      if (read_text_field(*name, at(name->source()), "region.name", field)) {
        region.name = *field.value;
        region.where = field.where;
        const auto same_name = std::find_if(regions_.begin(), regions_.end(),
                                            [&](const RawRegion& r) { return r.name == region.name; });
        // A region of the extended scenario is overridden, once.
        if (same_name != regions_.end() && same_name->inherited && !same_name->claimed) {
          same_name->claimed = true;
          walk(table, "", Place::Region, &same_name->entries, nullptr, false);
          continue;
        }
        const bool duplicate = same_name != regions_.end();
        const bool control = std::any_of(region.name.begin(), region.name.end(),
                                         [](char c) { return static_cast<unsigned char>(c) < 0x20; });
        if (region.name.empty() || control) {
          report(field.where, "region.name", field.written,
                 "a region name must be non-empty text on one line");
        } else if (region.name == "all") {
          report(field.where, "region.name", field.written,
                 "'all' is reserved (an intervention's region = \"all\" means every region); choose another "
                 "name");
        } else if (duplicate) {
          report(field.where, "region.name", field.written,
                 "two regions have this name; names must be unique");
        } else {
          region.valid = true;
        }
      }
    } else {
      report(region.where, "region.name", "", "a [[region]] needs a name = \"...\" line");
    }
    walk(table, "", Place::Region, &region.entries, nullptr, false);
    regions_.push_back(std::move(region));
    if (regions_.size() == kMaxRegions + 1) {
      report(regions_.back().where, "region", "",
             "too many regions: at most " + std::to_string(kMaxRegions) + " are supported");
    }
  }
}

void Loader::read_routes(const toml::node& node, const SourceLocation& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    report(where, "route", node_text(node),
           "routes are an array of tables: write each one as [[route]] with from, to and share");
    return;
  }
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    RawRoute route;
    route.where = at(table.source());
    for (auto&& [k, value] : table) {
      const std::string field(k.str());
      const std::string key = "route." + field;
      const SourceLocation value_where = at(value.source());
      bool ok = true;
      if (field == "from") {
        ok = read_text_field(value, value_where, key, route.from);
      } else if (field == "to") {
        ok = read_text_field(value, value_where, key, route.to);
      } else if (field == "share") {
        ok = read_number_field(value, value_where, key, 0, 1,
                               "probability that a recruit is taken along this route", route.share);
      } else if (field == "transit_days") {
        ok = read_number_field(value, value_where, key, transit_spec().min_value, transit_spec().max_value,
                               "mean days in transit", route.transit_days);
      } else if (const RenamedKey* renamed = renamed_key(key)) {
        report(at(k.source()), key, node_text(value), renamed_message(*renamed));
        ok = false;
      } else {
        const std::vector<std::string> fields(kRouteFields.begin(), kRouteFields.end());
        report(at(k.source()), key, node_text(value),
               "unknown route field" + did_you_mean(near_misses(field, fields)) +
                   " (a route has from, to, share and optionally transit_days)");
        ok = false;
      }
      route.valid = route.valid && ok;
    }
    if (!route.from.value && route.from.written.empty()) {
      report(route.where, "route.from", "", "a [[route]] needs from = \"REGION\"");
      route.valid = false;
    }
    if (!route.to.value && route.to.written.empty()) {
      report(route.where, "route.to", "", "a [[route]] needs to = \"REGION\"");
      route.valid = false;
    }
    if (!route.share.value && route.share.written.empty()) {
      report(route.where, "route.share", "", "a [[route]] needs share = a number from 0 to 1");
      route.valid = false;
    }
    // A route between the same regions as one of the extended scenario replaces it.
    const auto inherited = std::find_if(routes_.begin(), routes_.end(), [&](const RawRoute& r) {
      return r.inherited && route.from.value && route.to.value && r.from.value == route.from.value &&
             r.to.value == route.to.value;
    });
    if (inherited != routes_.end()) {
      *inherited = std::move(route);
    } else {
      routes_.push_back(std::move(route));
    }
  }
}

void Loader::read_interventions(const toml::node& node, const SourceLocation& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    report(where, "intervention", node_text(node),
           "interventions are an array of tables: write each one as [[intervention]]");
    return;
  }
  for (const toml::node& element : *array)
    interventions_.push_back(
        read_intervention(*element.as_table(), "intervention " + std::to_string(interventions_.size() + 1)));
}

RawIntervention Loader::read_intervention(const toml::table& table, std::string name,
                                          const EmbeddedFields* embedded) {
  const double max_step = steps_spec().max_value;
  RawIntervention iv;
  iv.where = at(table.source());
  iv.name = std::move(name);
  // Inside another document (an exercise) the key names the table it is in.
  const std::string prefix = embedded ? embedded->table + "." : std::string("intervention.");
  iv.key_prefix = prefix;
  for (auto&& [k, value] : table) {
    const std::string field(k.str());
    const std::string key = prefix + field;
    const SourceLocation value_where = at(value.source());
    bool ok = true;
    const bool own =
        embedded && std::find(embedded->own.begin(), embedded->own.end(), field) != embedded->own.end();
    if (own) {
      continue;
    } else if (field == "name" && !embedded) {
      Field<std::string> given;
      ok = read_text_field(value, value_where, key, given);
      if (ok) iv.name = *given.value;
    } else if (field == "start_step" && !embedded) {
      ok = read_integer_field(value, value_where, key, 0, max_step, "step at which it starts", iv.start_step);
    } else if (field == "end_step") {
      ok = read_integer_field(value, value_where, key, 1, max_step, "first step after it ends", iv.end_step);
    } else if (field == "ramp_steps") {
      ok = read_integer_field(value, value_where, key, 0, max_step, "steps to reach full strength",
                              iv.ramp_steps);
    } else if (field == "region") {
      ok = read_text_field(value, value_where, key, iv.region);
    } else if (field == "set" || field == "scale" || field == "add") {
      if (const toml::table* levers = value.as_table()) {
        walk(*levers, "",
             field == "set"     ? Place::InterventionSet
             : field == "scale" ? Place::InterventionScale
                                : Place::InterventionAdd,
             nullptr, &iv.levers, false);
      } else {
        report(value_where, key, node_text(value),
               "expected a table of regional keys, e.g. [" + prefix + field +
                   "] with policy.protection.shelter_beds_per_100k = ...");
        ok = false;
      }
    } else if (embedded) {
      std::vector<std::string> fields(embedded->own.begin(), embedded->own.end());
      for (std::string_view f : {"region", "end_step", "ramp_steps", "set", "scale", "add"})
        fields.emplace_back(f);
      std::string listed;
      for (std::size_t i = 0; i < fields.size(); ++i)
        listed += (i == 0 ? "" : i + 1 == fields.size() ? " and " : ", ") + fields[i];
      report(at(k.source()), key, node_text(value),
             "unknown field" + did_you_mean(near_misses(field, fields)) + " (" + embedded->what + " has " +
                 listed + ")");
      ok = false;
    } else {
      const std::vector<std::string> fields(kInterventionFields.begin(), kInterventionFields.end());
      report(at(k.source()), key, node_text(value),
             "unknown intervention field" + did_you_mean(near_misses(field, fields)) +
                 " (an intervention has name, start_step, end_step, region, ramp_steps, set, scale and add)");
      ok = false;
    }
    iv.valid = iv.valid && ok;
  }
  if (embedded) {
    iv.start_step.value = embedded->start_step;
  } else if (!iv.start_step.value && iv.start_step.written.empty()) {
    report(iv.where, "intervention.start_step", "", "an [[intervention]] needs start_step = a step number");
    iv.valid = false;
  }
  // Absent or empty tables alike: the resolved TOML leaves an empty one out.
  auto no_levers_in = [&](const char* field) {
    const toml::table* levers = table[field].as_table();
    return !table.contains(field) || (levers != nullptr && levers->empty());
  };
  if (!embedded && iv.valid && iv.levers.empty() && no_levers_in("set") && no_levers_in("scale") &&
      no_levers_in("add")) {
    report(iv.where, "intervention", "",
           "intervention '" + iv.name +
               "' changes nothing: give an [intervention.set], [intervention.scale] or [intervention.add] "
               "table with at least one key");
    iv.valid = false;
  }
  // Which of set, scale and add applies first would be arbitrary.
  for (std::size_t i = 0; i < iv.levers.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (iv.levers[i].param == iv.levers[j].param && iv.levers[i].op != iv.levers[j].op) {
        report(iv.levers[i].where, std::string(iv.levers[i].param->key), "",
               (embedded ? "'" : "intervention '") + iv.name + "' " +
                   std::string(lever_op_name(iv.levers[j].op)) + "s and " +
                   std::string(lever_op_name(iv.levers[i].op)) + "s this key; use one of set, scale and add");
        iv.valid = false;
      }
    }
  }
  return iv;
}

std::vector<InterventionSpec> Loader::read_embedded_interventions(
    const Scenario& scenario, const std::vector<EmbeddedIntervention>& tables,
    std::vector<ScenarioIssue>& issues) {
  interventions_.clear();
  for (const EmbeddedIntervention& e : tables)
    interventions_.push_back(read_intervention(*e.table, e.name, &e.fields));
  std::vector<InterventionSpec> resolved = resolve_interventions_of(scenario);
  issues.insert(issues.end(), std::make_move_iterator(issues_.begin()),
                std::make_move_iterator(issues_.end()));
  issues_.clear();
  return resolved;
}

void Loader::apply_override(std::size_t position, const std::string& argument) {
  const SourceLocation where{std::string(kCommandLineSource), static_cast<int>(position), 0};
  const auto eq = argument.find('=');
  if (eq == std::string::npos) {
    report(where, argument, "",
           "an override must look like KEY=VALUE, e.g. --set policy.partnership.level=0.5");
    return;
  }
  const std::string key(trim_blanks(std::string_view(argument).substr(0, eq)));
  const std::string value_text(trim_blanks(std::string_view(argument).substr(eq + 1)));
  if (key.ends_with('*')) {
    apply_scale_override(where, std::string(trim_blanks(std::string_view(key).substr(0, key.size() - 1))),
                         value_text);
    return;
  }

  // Which level the key belongs to: the world, or one region.
  std::string param_key = key;
  RawRegion* region = nullptr;
  if (key.starts_with("region.")) {
    const std::string rest = key.substr(7);
    for (RawRegion& r : regions_) {
      if (r.valid && rest.size() > r.name.size() + 1 && rest.starts_with(r.name) &&
          rest[r.name.size()] == '.') {
        if (region == nullptr || r.name.size() > region->name.size()) region = &r;
      }
    }
    // No [[region]] in the file means one region, "world".
    if (regions_.empty() && rest.starts_with("world.")) {
      regions_.push_back(make_world_region(file_));
      region = &regions_.back();
    }
    if (region == nullptr) {
      const std::string name = rest.substr(0, rest.find('.'));
      std::vector<std::string> names;
      for (const RawRegion& r : regions_)
        if (r.valid) names.push_back(r.name);
      if (names.empty()) names.push_back("world");
      report(where, key, value_text,
             "no region named '" + name + "'" + did_you_mean(near_misses(name, names)) +
                 "; the regions are " + quoted_list(names) + " (write region.NAME.KEY=VALUE)");
      return;
    }
    param_key = rest.substr(region->name.size() + 1);
  } else if (key == "extends") {
    report(where, key, value_text,
           "a scenario can only extend another in the file (extends = \"base.toml\")");
    return;
  } else if (key == "region" || key == "route" || key == "intervention" || key.starts_with("route.") ||
             key.starts_with("intervention.")) {
    report(
        where, key, value_text,
        "routes and interventions cannot be changed with --set; edit the scenario file (regional keys of one "
        "region are set with region.NAME.KEY=VALUE)");
    return;
  }

  const ParamSpec* s = find_param(param_key);
  const Place place = region != nullptr ? Place::Region : Place::World;
  if (s == nullptr) {
    unknown_key(key, value_text, where, place, region != nullptr ? "region." + region->name + "." : "");
    return;
  }
  if (region != nullptr && s->scope == ParamScope::Global) {
    invalid_[static_cast<std::size_t>(s->id)] = true;
    report(where, key, value_text,
           "'" + param_key +
               "' applies to the whole world and cannot differ by region; set it without the "
               "region.NAME. prefix");
    return;
  }

  // The value is TOML; a bare word is text for text keys.
  std::optional<toml::table> parsed;
  if (value_text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos) {
    try {
      toml::table t = toml::parse("value = " + value_text);
      if (t.size() == 1 && t.contains("value")) parsed = std::move(t);
    } catch (const toml::parse_error&) {
    }
  }
  Entry entry;
  if (s->kind == ParamKind::Text) {
    if (parsed && parsed->get("value")->is_string()) {
      entry.text = parsed->get("value")->as_string()->get();
    } else {
      entry.text = value_text;
    }
    entry.given = true;
    entry.written = value_text;
    entry.where = where;
  } else {
    if (!parsed) {
      invalid_[static_cast<std::size_t>(s->id)] = true;
      report(where, key, value_text, "not a valid value: expected " + allowed_text(*s));
      return;
    }
    if (!convert(*s, *parsed->get("value"), where, key, entry)) return;
    entry.written = value_text;
  }
  Entries& target = region != nullptr ? region->entries : world_;
  target[static_cast<std::size_t>(s->id)] = std::move(entry);
  if (region == nullptr && s->scope == ParamScope::Regional)
    world_sets_.emplace_back(s, key + "=" + value_text);
}

// --scale KEY=FACTOR: a real-valued key, a factor of at least 0.
void Loader::apply_scale_override(const SourceLocation& where, const std::string& key,
                                  const std::string& value_text) {
  const std::string shown = key + "*";
  if (key.starts_with("region.")) {
    report(where, shown, value_text,
           "--scale multiplies the world value and every region's value; to change one region, set "
           "region.NAME.KEY=VALUE");
    return;
  }
  const ParamSpec* s = find_param(key);
  if (s == nullptr) {
    unknown_key(key, value_text, where, Place::World);
    return;
  }
  if (s->kind != ParamKind::Real) {
    report(where, key, value_text,
           "--scale multiplies a real-valued key; '" + key + "' is " +
               (s->kind == ParamKind::Boolean   ? "a switch (true/false)"
                : s->kind == ParamKind::Integer ? "a whole number"
                                                : "text") +
               ": set it with --set instead");
    return;
  }
  double factor = 0;
  try {
    const toml::table t = toml::parse("value = " + value_text);
    const toml::node* node = t.get("value");
    if (node != nullptr && node->is_number())
      factor = node->value<double>().value_or(-1);
    else
      factor = -1;
  } catch (const toml::parse_error&) {
    factor = -1;
  }
  if (!(factor >= 0) || !std::isfinite(factor)) {
    report(where, key, value_text,
           "--scale takes a factor: a finite number of at least 0, e.g. --scale " + key + "=2");
    return;
  }
  scales_.push_back(ScaleOverride{s, factor, value_text, where});
}

// The factors of --scale, on the world value and on every region's own
// value (a region without its own value has the scaled world value already).
void Loader::apply_scales(Scenario& scenario) {
  for (const ScaleOverride& scale : scales_) {
    const ParamSpec& s = *scale.param;
    auto check = [&](double value, const std::string& where_text) {
      if (value <= s.max_value) return;
      report(scale.where, std::string(s.key), scale.written,
             "the factor makes " + where_text + " " + format_value(s, value) +
                 ", above the largest allowed, " + format_value(s, s.max_value));
    };
    scenario.globals[s.id] *= scale.factor;
    check(scenario.globals[s.id], "the world value");
    if (s.scope != ParamScope::Regional) continue;
    for (std::size_t r = 0; r < scenario.regions.size() && r < regions_.size(); ++r) {
      const Entry& own = regions_[r].entries[static_cast<std::size_t>(s.id)];
      double& value = scenario.regions[r].values[s.id];
      value = own.given ? value * scale.factor : scenario.globals[s.id];
      if (own.given) check(value, "region '" + regions_[r].name + "'");
    }
  }
}

// A world-level --set of a regional key reaches only the regions without
// their own value; say which keep theirs, since the command line reads as if
// it changed the world.
void Loader::note_overridden_sets(Scenario& scenario) {
  for (const auto& [param, argument] : world_sets_) {
    std::vector<std::string> keeping;
    for (const RawRegion& r : regions_) {
      const Entry& own = r.entries[static_cast<std::size_t>(param->id)];
      if (own.given && own.where.file != kCommandLineSource) keeping.push_back(r.name);
    }
    if (keeping.empty()) continue;
    const std::string how = "; use region.NAME." + std::string(param->key) +
                            "=VALUE for one region, or --scale " + std::string(param->key) +
                            "=FACTOR to multiply every region's value";
    if (keeping.size() == regions_.size()) {
      scenario.notes.push_back("--set " + argument + " changes no region: every region sets its own value (" +
                               quoted_list(keeping) + ")" + how);
    } else {
      scenario.notes.push_back("--set " + argument + " does not reach " + quoted_list(keeping) + ", which " +
                               (keeping.size() == 1 ? "sets its" : "set their") + " own value" + how);
    }
  }
}

void Loader::check_vulnerability(const ParamValues& values, const Entries& own, const Entries& world,
                                 const std::string& region_label) {
  const auto mean_i = static_cast<std::size_t>(Param::population_vulnerability_mean);
  const auto sd_i = static_cast<std::size_t>(Param::population_vulnerability_sd);
  if (invalid_[mean_i] || invalid_[sd_i]) return;
  const double mean = values[Param::population_vulnerability_mean];
  const double sd = values[Param::population_vulnerability_sd];
  const double limit = std::sqrt(mean * (1 - mean));
  if (sd < limit) return;
  // Point at the value that was written, preferring this level's own.
  const Entry* blamed = own[sd_i].given     ? &own[sd_i]
                        : own[mean_i].given ? &own[mean_i]
                        : world[sd_i].given ? &world[sd_i]
                                            : &world[mean_i];
  const bool blame_sd = blamed == &own[sd_i] || blamed == &world[sd_i];
  const ParamSpec& blamed_spec =
      spec(blame_sd ? Param::population_vulnerability_sd : Param::population_vulnerability_mean);
  std::ostringstream why;
  why << "population.vulnerability_sd = " << number_text(sd)
      << " is too large for population.vulnerability_mean = " << number_text(mean) << region_label
      << ": a Beta distribution needs sd < sqrt(mean * (1 - mean)) = "
      << number_text(std::round(limit * 1e6) / 1e6);
  report(blamed->given ? blamed->where : SourceLocation{file_, 0, 0}, std::string(blamed_spec.key),
         blamed->written, why.str());
}

void Loader::read_base(const toml::node& extends) {
  const SourceLocation where = at(extends.source());
  const std::string written = node_text(extends);
  if (!extends.is_string()) {
    report(
        where, "extends", written,
        "wrong type: expected the path of another scenario file in double quotes, got " + node_kind(extends));
    return;
  }
  // Relative to the folder of the file that names it, so scenarios can be
  // run from anywhere.
  const std::filesystem::path named(extends.as_string()->get());
  const std::string path =
      named.is_absolute() ? named.string() : (std::filesystem::path(file_).parent_path() / named).string();
  std::error_code ec;
  const std::string identity = std::filesystem::weakly_canonical(path, ec).string();
  std::vector<std::string> chain = chain_;
  chain.push_back(std::filesystem::weakly_canonical(file_, ec).string());
  if (std::find(chain.begin(), chain.end(), identity) != chain.end()) {
    report(where, "extends", written,
           "scenarios extend each other in a circle; one of them must stand alone");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (std::filesystem::is_directory(path, ec) || !in) {
    report(where, "extends", written,
           "cannot read the extended scenario '" + path + "'" +
               (std::filesystem::exists(path, ec) ? std::string() : ": no such file") +
               " (the path is relative to the folder of this file)");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  Loader base(path, std::move(chain));
  if (const auto nul = nul_position(text.str())) {
    report(SourceLocation{path, nul->first, nul->second}, "", "", kNulMessage);
    return;
  }
  toml::table document;
  try {
    document = toml::parse(text.str(), path);
  } catch (const toml::parse_error& e) {
    report(base.at(e.source()), "", "", "malformed TOML: " + std::string(e.description()));
    return;
  }
  base.read_document(document);
  // Start from everything the base gives; this file's keys then replace it.
  world_ = std::move(base.world_);
  regions_ = std::move(base.regions_);
  for (RawRegion& r : regions_) r.inherited = true;
  routes_ = std::move(base.routes_);
  for (RawRoute& r : routes_) r.inherited = true;
  interventions_ = std::move(base.interventions_);
  for (std::size_t i = 0; i < kParamCount; ++i) invalid_[i] = invalid_[i] || base.invalid_[i];
  files_read_ = std::move(base.files_read_);
  issues_.insert(issues_.end(), base.issues_.begin(), base.issues_.end());
}

void Loader::read_document(const toml::table& document) {
  if (const toml::node* extends = document.get("extends")) read_base(*extends);
  files_read_.push_back(file_);
  walk(document, "", Place::World, &world_, nullptr, true);
}

}  // namespace tipsim::scenario_detail
