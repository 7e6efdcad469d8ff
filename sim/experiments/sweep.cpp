#include "sweep.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "scenario_loader.hpp"

namespace tipsim {

namespace {

// Grids beyond this are a typo (a missing colon, an extra zero), not a plan.
constexpr std::size_t kMaxGridPoints = 1'000'000;

[[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& message) {
  throw ScenarioError({ScenarioIssue{SourceLocation{std::string(kVarySource), 0, 0}, key, value, message}});
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    parts.emplace_back(trim_blanks(text.substr(begin, end == std::string_view::npos ? end : end - begin)));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

// A number as TOML writes it (underscores between digits allowed).
bool parse_number(std::string text, double& out) {
  std::erase(text, '_');
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out);
}

// The parameter a key names, with or without a region.NAME. prefix (region
// names are not known here; the loader checks them).
const ParamSpec* param_of(std::string_view key) {
  if (const ParamSpec* direct = find_param(key)) return direct;
  if (!key.starts_with("region.")) return nullptr;
  for (std::size_t dot = key.find('.', 7); dot != std::string_view::npos; dot = key.find('.', dot + 1))
    if (const ParamSpec* p = find_param(key.substr(dot + 1))) return p;
  return nullptr;
}

std::string shortest_text(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, end);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

double scale_factor(const Scenario& point, std::string_view key) {
  double factor = std::nan("");
  const std::string prefix = std::string(key) + "=";
  for (const std::string& o : point.overrides) {
    if (!o.starts_with(prefix)) continue;
    double value = 0;
    if (parse_number(std::string(trim_blanks(std::string_view(o).substr(prefix.size()))), value))
      factor = value;
  }
  return factor;
}

VaryAxis parse_vary(const std::string& argument) {
  const auto eq = argument.find('=');
  if (eq == std::string::npos)
    fail(argument, "",
         "a sweep axis must look like KEY=LO:HI:N or KEY=V1,V2,..., e.g. --vary "
         "policy.partnership.level=0:1:5");
  VaryAxis axis;
  axis.definition = argument;
  axis.key = std::string(trim_blanks(std::string_view(argument).substr(0, eq)));
  const std::string spec(trim_blanks(std::string_view(argument).substr(eq + 1)));
  if (axis.key.empty()) fail("", spec, "no key before '=': write KEY=LO:HI:N or KEY=V1,V2,...");
  if (spec.empty()) fail(axis.key, "", "no values after '=': write KEY=LO:HI:N or KEY=V1,V2,...");

  const ParamSpec* param = param_of(axis.key);
  if (param != nullptr && (param->id == Param::scenario_steps || param->id == Param::scenario_step_days ||
                           param->id == Param::scenario_replicates)) {
    fail(axis.key, spec,
         "every point of a sweep shares the number of steps, the step length and the replicates; set it with "
         "--set (or --steps, --replicates) and run one sweep per value");
  }

  const std::vector<std::string> range = split(spec, ':');
  if (range.size() > 1) {
    double lo = 0, hi = 0, count = 0;
    if (range.size() != 3 || !parse_number(range[0], lo) || !parse_number(range[1], hi) ||
        !parse_number(range[2], count))
      fail(axis.key, spec, "a range must be LO:HI:N with numbers LO and HI and a whole number N, e.g. 0:1:5");
    if (param != nullptr && (param->kind == ParamKind::Boolean || param->kind == ParamKind::Text))
      fail(axis.key, spec,
           std::string("a ") + (param->kind == ParamKind::Boolean ? "true/false" : "text") +
               " key takes a list of values, e.g. --vary " + axis.key +
               (param->kind == ParamKind::Boolean ? "=false,true" : "=\"a\",\"b\""));
    if (count != std::floor(count) || count < 1 || count > static_cast<double>(kMaxGridPoints))
      fail(axis.key, spec, "N (the number of values) must be a whole number from 1 to 1000000");
    const auto n = static_cast<std::size_t>(count);
    if (n == 1 && lo != hi) fail(axis.key, spec, "N = 1 cannot reach from LO to HI; give N >= 2, or LO:LO:1");
    const bool whole = param != nullptr && param->kind == ParamKind::Integer;
    for (std::size_t i = 0; i < n; ++i) {
      // Evenly spaced; the ends are exactly LO and HI.
      const double v = i + 1 == n ? hi : lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
      if (whole) {
        if (std::abs(v - std::round(v)) > 1e-9 * std::max(1.0, std::abs(v)))
          fail(axis.key, spec,
               "'" + axis.key + "' takes whole numbers, but this range steps by " +
                   shortest_text((hi - lo) / static_cast<double>(n - 1)) +
                   "; choose N so that (HI - LO) / (N - 1) is whole");
        axis.values.push_back(std::to_string(std::llround(v)));
      } else {
        axis.values.push_back(shortest_text(v));
      }
    }
  } else {
    axis.values = split(spec, ',');
    for (const std::string& v : axis.values)
      if (v.empty())
        fail(axis.key, spec, "an empty value in the list; write KEY=V1,V2,... without empty entries");
  }
  return axis;
}

std::vector<std::vector<std::string>> sweep_grid(const std::vector<VaryAxis>& axes) {
  std::set<std::string> keys;
  std::size_t points = 1;
  for (const VaryAxis& axis : axes) {
    if (!keys.insert(axis.key).second)
      fail(axis.key, "", "varied twice; give each key one --vary with all its values");
    if (axis.values.empty()) fail(axis.key, "", "no values to vary over");
    if (points > kMaxGridPoints / axis.values.size())
      fail(axis.key, "", "the grid has more than 1000000 points; vary fewer keys or fewer values");
    points *= axis.values.size();
  }
  std::vector<std::vector<std::string>> grid;
  grid.reserve(points);
  std::vector<std::size_t> index(axes.size(), 0);
  for (std::size_t p = 0; p < points; ++p) {
    std::vector<std::string> overrides;
    for (std::size_t a = 0; a < axes.size(); ++a)
      overrides.push_back(axes[a].key + "=" + axes[a].values[index[a]]);
    grid.push_back(std::move(overrides));
    // The last axis varies fastest, like nested loops in the order given.
    for (std::size_t a = axes.size(); a-- > 0;) {
      if (++index[a] < axes[a].values.size()) break;
      index[a] = 0;
    }
  }
  return grid;
}

KeyRef find_key(const Scenario& scenario, std::string_view key) {
  KeyRef ref;
  if (const ParamSpec* p = find_param(key)) {
    ref.param = p;
    return ref;
  }
  if (!key.starts_with("region.")) return ref;
  const std::string_view rest = key.substr(7);
  // The longest region name that fits, as the loader reads region.NAME.KEY.
  std::size_t best = 0;
  for (std::size_t r = 0; r < scenario.regions.size(); ++r) {
    const std::string& name = scenario.regions[r].name;
    if (rest.size() > name.size() + 1 && rest.starts_with(name) && rest[name.size()] == '.' &&
        name.size() >= best) {
      if (const ParamSpec* p = find_param(rest.substr(name.size() + 1))) {
        ref.param = p;
        ref.region = static_cast<std::int32_t>(r);
        best = name.size();
      }
    }
  }
  return ref;
}

double key_value(const Scenario& scenario, const KeyRef& ref) {
  if (ref.param == nullptr || ref.param->kind == ParamKind::Text) return 0.0;
  if (ref.region >= 0) return scenario.regions.at(static_cast<std::size_t>(ref.region)).values[ref.param->id];
  return scenario.globals[ref.param->id];
}

std::string key_text(const Scenario& scenario, const KeyRef& ref) {
  if (ref.param == nullptr) return "";
  if (ref.param->id == Param::scenario_name) return scenario.name;
  if (ref.param->id == Param::scenario_description) return scenario.description;
  return format_value(*ref.param, key_value(scenario, ref));
}

}  // namespace tipsim
