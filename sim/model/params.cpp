#include "params.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "quoting.hpp"
#include "suggest.hpp"

namespace tipsim {

namespace {

constexpr std::array<ParamSpec, kParamCount> kTable = {{
#define TIPSIM_PARAM_GROUP(title)
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) \
  ParamSpec{Param::id, key, ParamKind::kind, ParamScope::scope, def, lo, hi, unit, doc},
#include "parameters.def"
#undef TIPSIM_PARAM
#undef TIPSIM_PARAM_GROUP
}};

// Whether an id is its key with '_' for '.', so that the code names a
// parameter as scenarios write it.
constexpr bool id_follows_key(std::string_view id, std::string_view key) {
  if (id.size() != key.size()) return false;
  for (std::size_t i = 0; i < id.size(); ++i)
    if (id[i] != (key[i] == '.' ? '_' : key[i])) return false;
  return true;
}
#define TIPSIM_PARAM_GROUP(title)
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) \
  static_assert(id_follows_key(#id, key), "the id of " key " must be its key with _ for .");
#include "parameters.def"
#undef TIPSIM_PARAM
#undef TIPSIM_PARAM_GROUP

// The lines of parameters.def in order: a group's title, or a parameter (an
// empty text).
constexpr std::string_view kDefinitionLines[] = {
#define TIPSIM_PARAM_GROUP(title) title,
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) "",
#include "parameters.def"
#undef TIPSIM_PARAM
#undef TIPSIM_PARAM_GROUP
};

// Each parameter's group: the title last declared before it.
constexpr std::array<std::string_view, kParamCount> kGroups = [] {
  std::array<std::string_view, kParamCount> groups{};
  std::string_view current;
  std::size_t next = 0;
  for (std::string_view line : kDefinitionLines) {
    if (!line.empty())
      current = line;
    else
      groups[next++] = current;
  }
  return groups;
}();

}  // namespace

const std::array<ParamSpec, kParamCount>& param_table() { return kTable; }

std::string_view param_group(Param p) { return kGroups[static_cast<std::size_t>(p)]; }

const ParamSpec* find_param(std::string_view key) {
  for (const ParamSpec& s : kTable)
    if (s.key == key) return &s;
  return nullptr;
}

std::vector<std::string_view> suggest_params(std::string_view unknown_key, std::size_t max_suggestions) {
  static const std::array<std::string_view, kParamCount> keys = [] {
    std::array<std::string_view, kParamCount> out;
    for (std::size_t i = 0; i < kParamCount; ++i) out[i] = kTable[i].key;
    return out;
  }();
  return near_misses(unknown_key, keys, max_suggestions);
}

ParamValues ParamValues::defaults() {
  ParamValues v;
  for (const ParamSpec& s : kTable) v[s.id] = s.default_value;
  return v;
}

std::int32_t Scenario::region_index(std::string_view region_name) const {
  for (std::size_t i = 0; i < regions.size(); ++i)
    if (regions[i].name == region_name) return static_cast<std::int32_t>(i);
  return -1;
}

Scenario default_scenario() {
  Scenario s;
  s.name = "default";
  s.globals = ParamValues::defaults();
  s.regions.push_back(RegionSpec{"world", s.globals});
  return s;
}

std::string format_value(const ParamSpec& spec, double value) {
  switch (spec.kind) {
    case ParamKind::Boolean:
      return value != 0 ? "true" : "false";
    case ParamKind::Integer: {
      std::ostringstream os;
      os << static_cast<std::int64_t>(value);
      return os.str();
    }
    case ParamKind::Text:
      return "";
    case ParamKind::Real:
      break;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, end);
  // TOML floats need a decimal point or an exponent.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string resolved_toml(const Scenario& scenario) {
  std::ostringstream os;
  os << "# Fully resolved tipsim scenario: every key, defaults and overrides applied.\n";
  std::string_view current_table;
  auto value_text = [&](const ParamSpec& s, double v) -> std::string {
    if (s.id == Param::scenario_name) return toml_string(scenario.name);
    if (s.id == Param::scenario_description) return toml_string(scenario.description);
    return format_value(s, v);
  };
  for (const ParamSpec& s : kTable) {
    const auto dot = s.key.rfind('.');
    const std::string_view table = s.key.substr(0, dot);
    if (table != current_table) {
      os << "\n[" << table << "]\n";
      current_table = table;
    }
    os << s.key.substr(dot + 1) << " = " << value_text(s, scenario.globals[s.id]) << "\n";
  }
  for (const RegionSpec& region : scenario.regions) {
    os << "\n[[region]]\nname = " << toml_string(region.name) << "\n";
    for (const ParamSpec& s : kTable) {
      if (s.scope != ParamScope::Regional) continue;
      if (region.values[s.id] == scenario.globals[s.id]) continue;
      os << s.key << " = " << format_value(s, region.values[s.id]) << "\n";
    }
  }
  for (const RouteSpec& route : scenario.routes) {
    os << "\n[[route]]\nfrom = " << toml_string(scenario.regions[route.from].name)
       << "\nto = " << toml_string(scenario.regions[route.to].name)
       << "\nshare = " << format_value(spec(Param::population_scale), route.share)
       << "\ntransit_days = " << format_value(spec(Param::movement_transit_days), route.transit_days) << "\n";
  }
  for (const InterventionSpec& iv : scenario.interventions) {
    os << "\n[[intervention]]\nname = " << toml_string(iv.name) << "\nstart_step = " << iv.start_step
       << "\nend_step = " << iv.end_step
       << "\nregion = " << toml_string(iv.region < 0 ? std::string("all") : scenario.regions[iv.region].name)
       << "\nramp_steps = " << iv.ramp_steps << "\n";
    for (LeverOp op : {LeverOp::Set, LeverOp::Scale, LeverOp::Add}) {
      bool any = false;
      for (const LeverChange& c : iv.changes) {
        if (c.op != op) continue;
        if (!any) os << "[intervention." << lever_op_name(op) << "]\n";
        any = true;
        // A factor or an amount added is a plain number, not a value of the key.
        os << toml_key(spec(c.param).key) << " = "
           << format_value(op == LeverOp::Set ? spec(c.param) : spec(Param::population_scale), c.value)
           << "\n";
      }
    }
  }
  return os.str();
}

std::string_view lever_op_name(LeverOp op) {
  switch (op) {
    case LeverOp::Set:
      return "set";
    case LeverOp::Scale:
      return "scale";
    case LeverOp::Add:
      return "add";
  }
  return "set";
}

}  // namespace tipsim
