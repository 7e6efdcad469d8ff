#include "scenario_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chart_scale.hpp"
#include "ticker.hpp"
#include "timeline.hpp"

namespace tipsim::viz {

namespace {

// "1", or "1 to 3 by region" when regions differ.
std::string value_over_regions(const Scenario& s, Param p, double factor = 1) {
  double lo = s.regions.empty() ? s.globals[p] : s.regions[0].values[p];
  double hi = lo;
  for (const RegionSpec& r : s.regions) {
    lo = std::min(lo, r.values[p]);
    hi = std::max(hi, r.values[p]);
  }
  if (lo == hi) return plain_number(lo * factor);
  return plain_number(lo * factor) + " to " + plain_number(hi * factor) + " by region";
}

std::string yes_no_over_regions(const Scenario& s, Param p) {
  bool any_on = false, any_off = false;
  for (const RegionSpec& r : s.regions) (r.values[p] != 0 ? any_on : any_off) = true;
  if (any_on && any_off) return "in some regions";
  return any_on ? "yes" : "no";
}

}  // namespace

std::string plain_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  std::string out = text;
  // Large round numbers read better grouped: 20 000, not 2e+04.
  if (std::abs(value) >= 1000 && std::abs(value - std::round(value)) < 1e-9) return count_text(value);
  return out;
}

std::string duration_text(double days) {
  const double years = days / 365.0;
  if (years < 1 - 0.05) {
    const double months = std::round(days / (365.0 / 12));
    return plain_number(std::max(1.0, months)) + (months <= 1 ? " month" : " months");
  }
  const double rounded =
      std::abs(years - std::round(years)) < 0.05 ? std::round(years) : std::round(years * 10) / 10;
  return plain_number(rounded) + (rounded == 1 ? " year" : " years");
}

// A journey's length: whole weeks, else days, and months beyond two of them.
std::string journey_text(double days) {
  if (days >= 60) return duration_text(days);
  if (days >= 7 && std::fmod(days, 7.0) == 0) {
    const double weeks = days / 7;
    return plain_number(weeks) + (weeks == 1 ? " week" : " weeks");
  }
  return plain_number(days) + (days == 1 ? " day" : " days");
}

ScenarioSummary describe_scenario(const Scenario& s) {
  ScenarioSummary out;
  out.title = s.name;
  out.question = s.description;
  const double days = s.globals[Param::scenario_step_days];
  const std::string unit = step_unit(days);
  const std::string stepping =
      unit == "step" ? "steps of " + plain_number(days) + " days" : unit + "ly steps";
  const std::string every = unit == "day" ? "daily steps" : stepping;
  // Real people, as every figure the viewer draws.
  out.size = count_text(s.get(Param::population_size) * s.get(Param::population_scale)) + " people in " +
             std::to_string(s.regions.size()) + (s.regions.size() == 1 ? " region" : " regions") + ", over " +
             duration_text(s.steps() * days) + " in " + every;
  if (s.get(Param::population_scale) != 1)
    out.size += " (the model runs one agent for " + plain_number(s.get(Param::population_scale)) + " people)";

  double share_sum = 0;
  for (const RegionSpec& r : s.regions) share_sum += r.values[Param::population_share];
  for (const RegionSpec& r : s.regions) {
    const double share = share_sum > 0 ? r.values[Param::population_share] / share_sum : 0;
    out.regions.push_back(r.name + ": " + plain_number(std::round(share * 100)) +
                          " % of the people, vulnerability " +
                          plain_number(r.values[Param::population_vulnerability_mean]));
  }
  for (const RouteSpec& route : s.routes) {
    std::string text = s.regions[route.from].name + " \xE2\x86\x92 " + s.regions[route.to].name + ": " +
                       plain_number(std::round(route.share * 100)) + " % of recruits";
    if (route.transit_days > 0) text += ", " + journey_text(route.transit_days) + " in transit";
    out.routes.push_back(text);
  }

  out.levers.push_back(
      "Investigators: " + value_over_regions(s, Param::policy_prosecution_investigators_per_100k) +
      " per 100 000 people");
  out.levers.push_back(
      "Shelter places: " + value_over_regions(s, Param::policy_protection_shelter_beds_per_100k) +
      " per 100 000 people");
  out.levers.push_back("Victims not punished for forced crimes: " +
                       yes_no_over_regions(s, Param::policy_protection_non_punishment));
  out.levers.push_back("Awareness campaigns reach " +
                       value_over_regions(s, Param::policy_prevention_awareness_reach, 100) +
                       " % of people a year");
  out.levers.push_back("Partnership: " + value_over_regions(s, Param::policy_partnership_level) +
                       " (0 = agencies alone, 1 = full cooperation)");
  if (s.get(Param::budget_total_usd_per_year) > 0)
    out.levers.push_back("Budget mode: " + count_text(s.get(Param::budget_total_usd_per_year)) +
                         " USD a year buys the levers above");

  for (const InterventionSpec& iv : s.interventions) {
    std::string text = "From " + step_name(static_cast<std::int32_t>(iv.start_step), days);
    if (iv.end_step < s.steps()) text += " to " + step_name(static_cast<std::int32_t>(iv.end_step - 1), days);
    text += ": " + changes_text(iv) + " " + where_text(s, iv.region);
    if (iv.ramp_steps > 1) text += ", phased in over " + std::to_string(iv.ramp_steps) + " " + unit + "s";
    out.interventions.push_back(text);
  }
  return out;
}

}  // namespace tipsim::viz
