#include "summary_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
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
constexpr std::array<Row, 13> kRows = {{
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
    {"court_backlog_final", "cases awaiting a verdict at the end"},
    {"years_to_verdict", "years from charge to verdict (mean)"},
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

// The unit a row shows: a count of people is a count of agents in agent
// units.
std::string_view unit_text(const Display& display, Basis basis, std::string_view units) {
  if (display.agent_units && basis == Basis::People) {
    if (units == "persons") return "person agents";
    if (units == "person-years") return "agent-years";
    if (units == "traffickers") return "trafficker agents";
    if (units == "cases") return "case agents";
  }
  return units;
}

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

std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buffer;
}

std::string format_figure(double value) {
  if (!std::isfinite(value)) return "n/a";
  // The digits follow the magnitude the figure rounds to, so that 0.99996
  // prints as 1.00 beside 1.01, and 9.996 as 10.0, not as 1 and 10.00.
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  const double magnitude = std::max(std::abs(value), std::abs(std::strtod(buffer, nullptr)));
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

std::string units_text(const Display& display) {
  if (display.agent_units)
    return "in agents (--agent-units: one agent stands for " + format_figure(display.scale) +
           " real people); money in real USD.";
  return "in real people and real USD" +
         (display.scale != 1 ? " (the model ran one agent for " + format_figure(display.scale) + " people)."
                             : std::string("."));
}

// The period and units sentence every table starts with ("1 year" when
// the measured period is a year to the figures shown).
static std::string period_text(const RunFacts& facts) {
  const double years = static_cast<double>(facts.steps - facts.burn_in_steps) * facts.step_days / 365.0;
  const std::string figure = format_figure(years);
  std::string period = "Counts are totals over " + figure + (figure == "1" ? " year" : " years");
  if (facts.burn_in_steps > 0)
    period += " (after a burn-in of " + std::to_string(facts.burn_in_steps) + " steps)";
  return period + ", " + units_text(facts.display);
}

static std::string population_text(const RunFacts& facts) {
  const double people = facts.population * facts.display.scale;
  // With strata most persons are counts, not agents: say so rather than call them agents.
  if (facts.display.scale == 1)
    return format_figure(people) + (facts.in_strata ? " people (the untouched as counts, the rest agents)"
                                                    : " people (one agent each)");
  return format_figure(people) + " people (" + format_figure(facts.population) +
         (facts.in_strata ? " persons of the model, the untouched as counts)" : " agents)");
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

  std::fprintf(out, "%s: %zu replicate%s x %lld steps of %s days, %s\n", facts.scenario_name.c_str(),
               facts.replicates, facts.replicates == 1 ? "" : "s", static_cast<long long>(facts.steps),
               format_figure(facts.step_days).c_str(), population_text(facts).c_str());
  std::fprintf(out, "%s\n\n", period_text(facts).c_str());

  // Wide enough for world totals in trillions of USD, with a space between columns.
  constexpr int kLabelWidth = 34, kMeanWidth = 20, kRangeWidth = 40;
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
      for (double& v : values) v = facts.display.shown(it->basis, v);
      double mean = 0;
      for (double v : values) mean += v;
      mean /= static_cast<double>(values.size());
      std::fprintf(out, "  %-*.*s%*s", kLabelWidth, static_cast<int>(row.label.size()), row.label.data(),
                   kMeanWidth, format_figure(mean).c_str());
      if (ranges) {
        const std::string range =
            format_figure(quantile(values, 0.1)) + " - " + format_figure(quantile(values, 0.9));
        std::fprintf(out, " %*s", kRangeWidth - 1, range.c_str());
      }
      const std::string_view units = unit_text(facts.display, it->basis, it->units);
      std::fprintf(out, "   %.*s\n", static_cast<int>(units.size()), units.data());
    }
  }

  std::fprintf(out, "\n");
  print_run_footer(out, facts);
}

void print_run_footer(std::FILE* out, const RunFacts& facts) {
  const std::size_t runs = facts.replicates * facts.points;
  const std::size_t runs_run = runs - std::min(runs, facts.runs_resumed);
  const double agent_steps =
      facts.population * static_cast<double>(facts.steps) * static_cast<double>(runs_run);
  const double rate = facts.wall_seconds > 0 ? agent_steps / facts.wall_seconds : 0;
  std::fprintf(out, "  %-12s%s\n", "run file", facts.output_path.c_str());
  if (facts.points > 1) std::fprintf(out, "  %-12s%zu\n", "points", facts.points);
  std::fprintf(out, "  %-12s%zu\n", "replicates", facts.replicates);
  if (facts.runs_resumed > 0)
    std::fprintf(out, "  %-12s%zu of the %zu runs were in the resumed file; %zu run now\n", "resumed",
                 facts.runs_resumed, runs, runs_run);
  if (facts.ranks > 1) std::fprintf(out, "  %-12s%d MPI ranks\n", "ranks", facts.ranks);
  if (facts.points > 1 && facts.shared_steps > 0)
    std::fprintf(out,
                 "  %-12sthe points' first %lld steps are the same: run once per replicate, then forked\n",
                 "shared", static_cast<long long>(facts.shared_steps));
  else if (facts.points_sharing > 0)
    std::fprintf(
        out,
        "  %-12s%zu of the %zu points share their first steps with points of the same world: run once "
        "per replicate, then forked\n",
        "shared", facts.points_sharing, facts.points);
  std::fprintf(out, "  %-12s%.2f s, %s agent-steps per second\n", "wall time", facts.wall_seconds,
               format_figure(rate).c_str());
  // What the refusal of runs that do not fit relies on, beside what it was.
  if (facts.memory_peak_bytes > 0)
    std::fprintf(out, "  %-12s%s resident at the peak%s, %s estimated\n", "memory",
                 format_bytes(facts.memory_peak_bytes).c_str(), facts.ranks > 1 ? " on this rank" : "",
                 format_bytes(facts.memory_estimate_bytes).c_str());
  std::fflush(out);
}

std::vector<std::vector<double>> point_means(const std::vector<std::vector<double>>& summaries,
                                             std::size_t points) {
  const std::size_t rows = summary_table().size();
  std::vector<std::vector<double>> means(points, std::vector<double>(rows, std::nan("")));
  if (points == 0 || summaries.empty()) return means;
  const std::size_t replicates = summaries.size() / points;
  for (std::size_t p = 0; p < points; ++p) {
    for (std::size_t i = 0; i < rows; ++i) {
      double sum = 0;
      for (std::size_t r = 0; r < replicates; ++r) sum += summaries[p * replicates + r].at(i);
      means[p][i] = replicates > 0 ? sum / static_cast<double>(replicates) : std::nan("");
    }
  }
  return means;
}

namespace {

std::size_t summary_row(std::string_view name) {
  const auto table = summary_table();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name) return i;
  return table.size();
}

}  // namespace

void print_sweep_summary(std::FILE* out, const RunFacts& facts, const std::vector<std::string>& keys,
                         const std::vector<std::vector<std::string>>& values,
                         const std::vector<std::vector<double>>& summaries) {
  std::fprintf(out, "%s sweep: %zu points x %zu replicate%s x %lld steps of %s days, %s\n",
               facts.scenario_name.c_str(), facts.points, facts.replicates, facts.replicates == 1 ? "" : "s",
               static_cast<long long>(facts.steps), format_figure(facts.step_days).c_str(),
               population_text(facts).c_str());
  std::fprintf(out, "Means over replicates. %s\n\n", period_text(facts).c_str());

  struct Column {
    std::string_view summary;
    std::string_view heading;
  };
  constexpr Column kColumns[] = {
      {"exploited_mean", "exploited"},    {"victim_years", "victim-years"},
      {"identified", "identified"},       {"prosecutions", "prosecutions"},
      {"convictions", "convictions"},     {"traffickers_active_final", "traffickers end"},
      {"spending_total", "spending USD"},
  };
  const auto means = point_means(summaries, facts.points);
  std::vector<std::size_t> key_width;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    std::size_t width = keys[k].size();
    for (const auto& row : values) width = std::max(width, row.at(k).size());
    key_width.push_back(width);
  }
  std::fprintf(out, "  %5s", "point");
  for (std::size_t k = 0; k < keys.size(); ++k)
    std::fprintf(out, "  %-*s", static_cast<int>(key_width[k]), keys[k].c_str());
  for (const Column& c : kColumns)
    std::fprintf(out, "  %17.*s", static_cast<int>(c.heading.size()), c.heading.data());
  std::fprintf(out, "\n");
  for (std::size_t p = 0; p < facts.points; ++p) {
    std::fprintf(out, "  %5zu", p);
    for (std::size_t k = 0; k < keys.size(); ++k)
      std::fprintf(out, "  %-*s", static_cast<int>(key_width[k]), values.at(p).at(k).c_str());
    for (const Column& c : kColumns) {
      const std::size_t row = summary_row(c.summary);
      const double value = row < means[p].size()
                               ? facts.display.shown(summary_table()[row].basis, means[p][row])
                               : std::nan("");
      std::fprintf(out, "  %17s", format_figure(value).c_str());
    }
    std::fprintf(out, "\n");
  }
  std::fprintf(out, "\n");
  print_run_footer(out, facts);
}

std::vector<CostEffectivenessRow> cost_effectiveness_rows(const std::vector<std::string>& names,
                                                          const CostEffectiveness& ce) {
  std::vector<CostEffectivenessRow> rows;
  for (std::size_t a = 0; a < names.size() && a < ce.status.size(); ++a) {
    CostEffectivenessRow row;
    row.name = names[a];
    row.status = frontier_label(ce.status[a]);
    row.comparator = ce.comparator[a] < 0 ? "" : names[static_cast<std::size_t>(ce.comparator[a])];
    row.cost = ce.cost[a];
    row.effect = ce.effect[a];
    row.icer = ce.icer[a];
    row.net_benefit = ce.net_benefit[a];
    row.probability_best = ce.probability_best[a];
    rows.push_back(std::move(row));
  }
  return rows;
}

void print_cost_effectiveness(std::FILE* out, const Display& display, double value, Averted outcome,
                              std::size_t replicates, const std::vector<CostEffectivenessRow>& rows) {
  if (rows.empty()) return;
  const std::string unit(outcome_spec(outcome).unit);
  const char* option = outcome == Averted::VictimYears ? "--value-per-victim-year" : "--value-per-qaly";
  std::fprintf(
      out,
      "\nCost-effectiveness (--outcome %s), arms by extra cost (USD over the period) against the "
      "baseline;\nICER = extra cost per extra %s averted against the next cheaper arm on the frontier; "
      "net benefit\nat %s USD per %s averted (%s); P(best) = share of the %zu replicate pairs in\nwhich "
      "the arm has the highest net benefit.\n",
      std::string(outcome_spec(outcome).option).c_str(), unit.c_str(), format_figure(value).c_str(),
      unit.c_str(), option, replicates);
  std::vector<const CostEffectivenessRow*> order;
  for (const CostEffectivenessRow& row : rows) order.push_back(&row);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->cost < b->cost; });
  std::size_t name_width = 4;
  for (const CostEffectivenessRow& row : rows) name_width = std::max(name_width, row.name.size());
  const int w = static_cast<int>(name_width);
  std::fprintf(out, "  %-*s %16s %14s %-22s %34s %34s %8s\n", w, "arm", "extra cost", (unit + "s").c_str(),
               "status", "ICER (95% interval)", "net benefit (95% interval)", "P(best)");
  auto interval = [](const EffectEstimate& e) {
    if (std::isnan(e.mean)) return std::string("-");
    std::string text = format_figure(e.mean);
    if (!std::isnan(e.ci_low))
      text += " (" + format_figure(e.ci_low) + " to " + format_figure(e.ci_high) + ")";
    return text;
  };
  for (const CostEffectivenessRow* row : order) {
    const std::string status = row->comparator.empty() ? row->status : row->status + " vs " + row->comparator;
    std::fprintf(out, "  %-*s %16s %14s %-22s %34s %34s %8s\n", w, row->name.c_str(),
                 format_figure(row->cost).c_str(),
                 format_figure(display.shown(Basis::People, row->effect)).c_str(), status.c_str(),
                 interval(row->icer).c_str(), interval(row->net_benefit).c_str(),
                 format_figure(row->probability_best).c_str());
  }
  std::fflush(out);
}

void print_comparison(std::FILE* out, const RunFacts& facts, const std::string& baseline,
                      const std::vector<ArmEstimates>& arms, double value, Averted outcome,
                      const std::vector<CostEffectivenessRow>& cost_effectiveness) {
  std::fprintf(out,
               "Paired comparison with common random numbers: %zu arm%s against the baseline '%s', %zu "
               "replicate pair%s x %lld steps of %s days, %s.\n",
               arms.size(), arms.size() == 1 ? "" : "s", baseline.c_str(), facts.replicates,
               facts.replicates == 1 ? "" : "s", static_cast<long long>(facts.steps),
               format_figure(facts.step_days).c_str(), population_text(facts).c_str());
  std::fprintf(out, "%s\n", period_text(facts).c_str());
  std::fprintf(
      out,
      "Each effect is arm minus baseline (what is averted: baseline minus arm), per replicate pair;\nthe "
      "mean over pairs and its 95 %% t-interval. Cost per victim-year (QALY) averted: mean extra "
      "spending\nover "
      "mean victim-years (QALYs of harm) averted.\n");

  print_effect_tables(out, facts.display, baseline, facts.replicates, arms);
  print_cost_effectiveness(out, facts.display, value, outcome, facts.replicates, cost_effectiveness);
  std::fprintf(out, "\n");
  print_run_footer(out, facts);
}

void print_allocation(std::FILE* out, const RunFacts& facts, const std::vector<std::string>& targets,
                      const std::vector<std::vector<double>>& weights,
                      const std::vector<AllocationLevel>& levels, std::size_t splits, bool by_net_benefit,
                      double value, Averted outcome) {
  const std::string unit(outcome_spec(outcome).unit);
  std::string over;
  for (const std::string& t : targets) over += (over.empty() ? "" : ", ") + t;
  std::fprintf(out,
               "Allocation of an added budget over %s: %zu splits x %zu budget levels, each paired with the "
               "scenario as it is on %zu replicate%s x %lld steps of %s days, %s.\n",
               over.c_str(), splits, levels.size(), facts.replicates, facts.replicates == 1 ? "" : "s",
               static_cast<long long>(facts.steps), format_figure(facts.step_days).c_str(),
               population_text(facts).c_str());
  std::fprintf(out, "%s\n", period_text(facts).c_str());
  if (by_net_benefit)
    std::fprintf(out, "Best: the highest mean net monetary benefit at %s USD per %s averted.\n",
                 format_figure(value).c_str(), unit.c_str());
  else if (outcome == Averted::VictimYears)
    std::fprintf(out, "Best: the most victim-years of exploitation averted on average.\n");
  else
    std::fprintf(out, "Best: the most harm averted on average (QALYs, --outcome harm).\n");
  auto with_interval = [](const EffectEstimate& e) {
    std::string text = format_figure(e.mean);
    if (!std::isnan(e.ci_low))
      text += " (" + format_figure(e.ci_low) + " to " + format_figure(e.ci_high) + ")";
    return text;
  };
  for (const AllocationLevel& l : levels) {
    std::string split;
    for (std::size_t t = 0; t < targets.size(); ++t)
      split += (t == 0 ? "" : ", ") + targets[t] + " " + format_figure(weights.at(l.best_arm).at(t));
    std::fprintf(out, "\n  added %s USD a year: best split %s\n", format_figure(l.budget).c_str(),
                 split.c_str());
    std::fprintf(out, "    victim-years averted          %s\n",
                 with_interval({facts.display.shown(Basis::People, l.best_averted.mean),
                                facts.display.shown(Basis::People, l.best_averted.ci_low),
                                facts.display.shown(Basis::People, l.best_averted.ci_high)})
                     .c_str());
    std::fprintf(out, "    harm averted (QALYs)          %s\n",
                 with_interval({facts.display.shown(Basis::People, l.best_harm_averted.mean),
                                facts.display.shown(Basis::People, l.best_harm_averted.ci_low),
                                facts.display.shown(Basis::People, l.best_harm_averted.ci_high)})
                     .c_str());
    const EffectEstimate difference =
        by_net_benefit ? l.best_minus_even
                       : EffectEstimate{facts.display.shown(Basis::People, l.best_minus_even.mean),
                                        facts.display.shown(Basis::People, l.best_minus_even.ci_low),
                                        facts.display.shown(Basis::People, l.best_minus_even.ci_high)};
    std::fprintf(out, "    better than the even split by %s %s; ahead in %s %% of the %zu pairs\n",
                 with_interval(difference).c_str(), by_net_benefit ? "USD" : (unit + "s").c_str(),
                 format_figure(100 * l.probability_better_than_even).c_str(), facts.replicates);
  }
  std::fprintf(out,
               "\nThe best split is chosen from these same runs, so its lead over the even split is biased "
               "upwards;\nconfirm it with tipsim compare on fresh seeds.\n\n");
  print_run_footer(out, facts);
}

void print_effect_tables(std::FILE* out, const Display& display, const std::string& baseline,
                         std::size_t replicates, const std::vector<ArmEstimates>& arms) {
  // The interval keeps a space before it: world totals in USD fill its width.
  constexpr int kLabelWidth = 38, kMeanWidth = 16, kIntervalWidth = 33;
  for (const ArmEstimates& arm : arms) {
    std::fprintf(out, "\n%s vs %s\n", arm.name.c_str(), baseline.c_str());
    std::fprintf(out, "  %-*s%*s %*s   unit\n", kLabelWidth, "", kMeanWidth, "mean", kIntervalWidth,
                 "95% interval");
    const auto effects = effect_table();
    for (std::size_t k = 0; k < effects.size() && k < arm.effects.size(); ++k) {
      const EffectSpec& e = effects[k];
      const EffectEstimate v{display.shown(e.basis, arm.effects[k].mean),
                             display.shown(e.basis, arm.effects[k].ci_low),
                             display.shown(e.basis, arm.effects[k].ci_high)};
      std::string interval = std::isnan(v.ci_low) && std::isnan(v.ci_high)
                                 ? std::string("n/a")
                                 : format_figure(v.ci_low) + " to " + format_figure(v.ci_high);
      std::string note;
      if (e.sign == EffectSign::CostPerAverted) {
        if (std::isnan(v.mean))
          note = "  (undefined: nothing averted on average)";
        else if (v.mean < 0)
          note = "  (negative: the arm saves money and averts exploitation)";
      }
      if (replicates < 2 && !std::isnan(v.mean) && note.empty()) note = "  (one replicate: no interval)";
      std::fprintf(out, "  %-*.*s%*s %*s   %.*s%s\n", kLabelWidth, static_cast<int>(e.label.size()),
                   e.label.data(), kMeanWidth, format_figure(v.mean).c_str(), kIntervalWidth,
                   interval.c_str(), static_cast<int>(unit_text(display, e.basis, e.units).size()),
                   unit_text(display, e.basis, e.units).data(), note.c_str());
    }
  }
  std::fflush(out);
}

void print_headlines(std::FILE* out, const Display& display, const std::vector<std::string>& column_labels,
                     const std::vector<std::vector<double>>& means) {
  const auto table = summary_table();
  constexpr int kLabelWidth = 34;
  int width = 14;
  for (const std::string& label : column_labels) width = std::max(width, static_cast<int>(label.size()) + 2);
  std::fprintf(out, "  %-*s", kLabelWidth, "");
  for (const std::string& label : column_labels) std::fprintf(out, "%*s", width, label.c_str());
  std::fprintf(out, "   unit\n");
  for (const LayerHeading& layer : kLayers) {
    bool heading_printed = false;
    for (const Row& row : kRows) {
      const std::size_t index = summary_row(row.summary);
      if (index >= table.size() || table[index].layer != layer.layer) continue;
      if (!heading_printed) {
        std::fprintf(out, "%.*s\n", static_cast<int>(layer.heading.size()), layer.heading.data());
        heading_printed = true;
      }
      std::fprintf(out, "  %-*.*s", kLabelWidth, static_cast<int>(row.label.size()), row.label.data());
      for (const auto& column : means)
        std::fprintf(out, "%*s", width,
                     format_figure(index < column.size() ? display.shown(table[index].basis, column[index])
                                                         : std::nan(""))
                         .c_str());
      const std::string_view units = unit_text(display, table[index].basis, table[index].units);
      std::fprintf(out, "   %.*s\n", static_cast<int>(units.size()), units.data());
    }
  }
  std::fflush(out);
}

}  // namespace tipsim::cli
