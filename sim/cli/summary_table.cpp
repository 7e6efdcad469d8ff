#include "summary_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "metrics.hpp"

namespace tipsim::cli {

namespace {

// The summary figures the table shows, by their name in summary_table(), with
// a label for people. Which layer each belongs to comes from the table.
struct Row {
  std::string_view summary;
  std::string_view label;
};
constexpr std::array<Row, 11> kRows = {{
    {"exploited_mean", "persons in exploitation (mean)"},
    {"prevalence_per_1000", "prevalence per 1000 population"},
    {"recruitments", "recruitments"},
    {"traffickers_active_final", "traffickers active at the end"},
    {"trafficker_profit", "trafficker profit"},
    {"identified", "victims identified"},
    {"protection_entries", "admitted to protection"},
    {"protection_turned_away", "turned away for lack of a place"},
    {"prosecutions", "prosecutions"},
    {"convictions", "convictions"},
    {"spending_total", "anti-trafficking spending"},
}};

struct LayerHeading {
  Layer layer;
  std::string_view heading;
};
constexpr std::array<LayerHeading, 3> kLayers = {{
    {Layer::True, "TRUE: what exists (unobservable in the real world)"},
    {Layer::Observed, "OBSERVED: what agencies see and report"},
    {Layer::Policy, "POLICY: what the response costs"},
}};

std::string with_thousands(long long whole) {
  std::string digits = std::to_string(whole < 0 ? -whole : whole);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return whole < 0 ? "-" + out : out;
}

}  // namespace

std::string format_figure(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double magnitude = std::abs(value);
  char buffer[64];
  if (magnitude >= 100 || value == std::round(value)) {
    if (magnitude >= 1e15) {
      std::snprintf(buffer, sizeof buffer, "%.3g", value);
      return buffer;
    }
    return with_thousands(std::llround(value));
  }
  if (magnitude >= 10) {
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
  } else if (magnitude >= 1) {
    std::snprintf(buffer, sizeof buffer, "%.2f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
  }
  return buffer;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double weight = position - static_cast<double>(below);
  return values[below] + weight * (values[above] - values[below]);
}

void print_summary(std::FILE* out, const RunFacts& facts, const std::vector<std::vector<double>>& summaries) {
  const auto table = summary_table();
  const bool ranges = summaries.size() > 1;
  const double years = static_cast<double>(facts.steps - facts.burn_in_steps) * facts.step_days / 365.0;

  std::fprintf(out, "%s: %zu replicate%s x %lld steps of %s days, %s person agents\n",
               facts.scenario_name.c_str(), facts.replicates, facts.replicates == 1 ? "" : "s",
               static_cast<long long>(facts.steps), format_figure(facts.step_days).c_str(),
               format_figure(facts.population).c_str());
  std::string period = "Counts are totals over " + format_figure(years) + " years";
  if (facts.burn_in_steps > 0)
    period += " (after a burn-in of " + std::to_string(facts.burn_in_steps) + " steps)";
  period += ", in agents";
  if (facts.scale != 1) period += " (one agent stands for " + format_figure(facts.scale) + " real people)";
  std::fprintf(out, "%s.\n\n", period.c_str());

  constexpr int kLabelWidth = 34, kMeanWidth = 16, kRangeWidth = 27;
  std::fprintf(out, "  %-*s%*s", kLabelWidth, "", kMeanWidth, "mean");
  if (ranges) std::fprintf(out, "%*s", kRangeWidth, "10-90% range");
  std::fprintf(out, "   unit\n");

  for (const LayerHeading& layer : kLayers) {
    bool heading_printed = false;
    for (const Row& row : kRows) {
      const auto it = std::find_if(table.begin(), table.end(),
                                   [&](const SummarySpec& s) { return s.name == row.summary; });
      if (it == table.end() || it->layer != layer.layer) continue;
      const auto index = static_cast<std::size_t>(it - table.begin());
      std::vector<double> values;
      for (const auto& summary : summaries)
        if (index < summary.size()) values.push_back(summary[index]);
      if (values.empty()) continue;
      if (!heading_printed) {
        std::fprintf(out, "%.*s\n", static_cast<int>(layer.heading.size()), layer.heading.data());
        heading_printed = true;
      }
      double mean = 0;
      for (double v : values) mean += v;
      mean /= static_cast<double>(values.size());
      std::fprintf(out, "  %-*.*s%*s", kLabelWidth, static_cast<int>(row.label.size()), row.label.data(),
                   kMeanWidth, format_figure(mean).c_str());
      if (ranges) {
        const std::string range =
            format_figure(quantile(values, 0.1)) + " - " + format_figure(quantile(values, 0.9));
        std::fprintf(out, "%*s", kRangeWidth, range.c_str());
      }
      std::fprintf(out, "   %.*s\n", static_cast<int>(it->units.size()), it->units.data());
    }
  }

  const double agent_steps =
      facts.population * static_cast<double>(facts.steps) * static_cast<double>(facts.replicates);
  const double rate = facts.wall_seconds > 0 ? agent_steps / facts.wall_seconds : 0;
  std::fprintf(out, "\n  %-12s%s\n", "run file", facts.output_path.c_str());
  std::fprintf(out, "  %-12s%zu\n", "replicates", facts.replicates);
  std::fprintf(out, "  %-12s%.2f s, %s agent-steps per second\n", "wall time", facts.wall_seconds,
               format_figure(rate).c_str());
  std::fflush(out);
}

}  // namespace tipsim::cli
