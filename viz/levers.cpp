#include "levers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace tipsim::viz {

namespace {

// The P a policy key belongs to, from its second part.
bool pillar_of_key(std::string_view key, Pillar& pillar) {
  constexpr std::pair<std::string_view, Pillar> prefixes[] = {
      {"policy.prosecution.", Pillar::Prosecution},
      {"policy.protection.", Pillar::Protection},
      {"policy.prevention.", Pillar::Prevention},
      {"policy.partnership.", Pillar::Partnership},
  };
  for (const auto& [prefix, p] : prefixes) {
    if (key.starts_with(prefix)) {
      pillar = p;
      return true;
    }
  }
  return false;
}

// 1, 2 or 5 times a power of ten, at least x.
double round_up(double x) {
  if (x <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= x * (1 - 1e-12)) return m * power;
  return 10 * power;
}

}  // namespace

const std::vector<Lever>& policy_levers() {
  static const std::vector<Lever> levers = [] {
    std::vector<Lever> out;
    for (const ParamSpec& s : param_table()) {
      Pillar pillar;
      if (s.scope != ParamScope::Regional || !pillar_of_key(s.key, pillar)) continue;
      out.push_back(Lever{s.id, pillar, lever_label(s.key), s.kind == ParamKind::Boolean});
    }
    // Grouped by P in the order of the 3P paradigm plus partnership; within
    // a P, in table order.
    std::stable_sort(out.begin(), out.end(),
                     [](const Lever& a, const Lever& b) { return a.pillar < b.pillar; });
    return out;
  }();
  return levers;
}

std::vector<const Lever*> levers_of(Pillar pillar) {
  std::vector<const Lever*> out;
  for (const Lever& l : policy_levers())
    if (l.pillar == pillar) out.push_back(&l);
  return out;
}

std::string_view pillar_title(Pillar pillar) {
  switch (pillar) {
    case Pillar::Prosecution:
      return "Prosecution";
    case Pillar::Protection:
      return "Protection";
    case Pillar::Prevention:
      return "Prevention";
    case Pillar::Partnership:
      return "Partnership";
  }
  return "";
}

std::string lever_label(std::string_view key) {
  std::string_view last = key.substr(key.rfind('.') == std::string_view::npos ? 0 : key.rfind('.') + 1);
  // "partnership.level" reads better as the P's own name.
  if (last == "level") {
    const std::size_t dot = key.rfind('.');
    const std::size_t before = key.rfind('.', dot - 1);
    last = key.substr(before + 1, dot - before - 1);
  }
  std::string out;
  for (char c : last) out += c == '_' ? ' ' : c;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

SliderRange slider_range(const ParamSpec& spec, double largest_in_scenario) {
  if (spec.max_value <= 1) return {spec.min_value, spec.max_value};
  const double wanted = round_up(std::max({4 * spec.default_value, 2 * largest_in_scenario, 1.0}));
  return {spec.min_value, std::min(spec.max_value, wanted)};
}

double largest_value(const Scenario& scenario, Param param) {
  double largest = scenario.globals[param];
  for (const RegionSpec& r : scenario.regions) largest = std::max(largest, r.values[param]);
  // What the scenario's own interventions raise the lever to, so that the
  // slider can show it.
  double raised = largest;
  for (const InterventionSpec& iv : scenario.interventions) {
    for (const LeverChange& c : iv.changes) {
      if (c.param != param) continue;
      raised = std::max(raised, c.op == LeverOp::Set ? c.value : largest * c.value);
    }
  }
  return raised;
}

}  // namespace tipsim::viz
