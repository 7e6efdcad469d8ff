#include "params.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace tipsim {

namespace {

constexpr std::array<ParamSpec, kParamCount> kTable = {{
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) \
  ParamSpec{Param::id, key, ParamKind::kind, ParamScope::scope, def, lo, hi, unit, doc},
#include "parameters.def"
#undef TIPSIM_PARAM
}};

// Quotes a TOML key part when it is not a bare key.
std::string toml_key(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (bare) return std::string(key);
  std::string quoted = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const std::array<ParamSpec, kParamCount>& param_table() { return kTable; }

const ParamSpec* find_param(std::string_view key) {
  for (const ParamSpec& s : kTable)
    if (s.key == key) return &s;
  return nullptr;
}

std::vector<std::string_view> suggest_params(std::string_view unknown_key, std::size_t max_suggestions) {
  std::vector<std::pair<std::size_t, std::string_view>> scored;
  for (const ParamSpec& s : kTable) {
    std::size_t d = edit_distance(unknown_key, s.key);
    // A key whose last part matches exactly is a good guess however far the
    // prefix is (e.g. "awareness_reach" for "policy.prevention.awareness_reach").
    const auto dot = s.key.rfind('.');
    const std::string_view leaf = dot == std::string_view::npos ? s.key : s.key.substr(dot + 1);
    const auto udot = unknown_key.rfind('.');
    const std::string_view uleaf =
        udot == std::string_view::npos ? unknown_key : unknown_key.substr(udot + 1);
    if (leaf == uleaf) d = std::min<std::size_t>(d, 1);
    scored.emplace_back(d, s.key);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::size_t limit = std::max<std::size_t>(3, unknown_key.size() / 3);
  std::vector<std::string_view> out;
  for (const auto& [d, key] : scored) {
    if (out.size() >= max_suggestions || d > limit) break;
    out.push_back(key);
  }
  return out;
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
       << "\ntransit_steps = " << route.transit_steps << "\n";
  }
  for (const InterventionSpec& iv : scenario.interventions) {
    os << "\n[[intervention]]\nname = " << toml_string(iv.name) << "\nstart_step = " << iv.start_step
       << "\nend_step = " << iv.end_step
       << "\nregion = " << toml_string(iv.region < 0 ? std::string("all") : scenario.regions[iv.region].name)
       << "\nramp_steps = " << iv.ramp_steps << "\n";
    for (LeverOp op : {LeverOp::Set, LeverOp::Scale}) {
      bool any = false;
      for (const LeverChange& c : iv.changes) {
        if (c.op != op) continue;
        if (!any) os << (op == LeverOp::Set ? "[intervention.set]\n" : "[intervention.scale]\n");
        any = true;
        os << toml_key(spec(c.param).key) << " = "
           << format_value(op == LeverOp::Set ? spec(c.param) : spec(Param::population_scale), c.value)
           << "\n";
      }
    }
  }
  return os.str();
}

}  // namespace tipsim
