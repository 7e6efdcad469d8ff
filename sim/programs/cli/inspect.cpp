// `tipsim inspect FILE.h5`: what a run file holds (provenance, dimensions,
// points, recorded extras, series with units) and its headline figures,
// read from the file alone.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "comparison.hpp"
#include "metrics.hpp"
#include "quoting.hpp"
#include "run_file.hpp"
#include "snapshots.hpp"
#include "summary_table.hpp"

namespace tipsim::cli {

namespace {

// Points beyond this many are left out of the side-by-side headline table.
constexpr std::size_t kMaxHeadlineColumns = 6;

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

std::string number_text(double value) { return std::isnan(value) ? std::string("?") : format_figure(value); }

void print_field(const char* name, const std::string& value) {
  std::fprintf(stdout, "  %-14s%s\n", name, value.c_str());
}

// Each point's summaries, in summary_table() order, averaged over replicates
// (NaN for a figure the file lacks).
std::vector<std::vector<double>> headline_means(const output::RunFileContents& f) {
  const std::size_t points = f.dimension("point"), replicates = f.dimension("replicate");
  const auto table = summary_table();
  std::vector<std::vector<double>> means(points, std::vector<double>(table.size(), std::nan("")));
  for (std::size_t i = 0; i < table.size(); ++i) {
    const output::Variable* v = f.find_summary(table[i].name);
    if (v == nullptr || v->shape.size() != 2 || v->shape[0] != points || v->shape[1] != replicates) continue;
    for (std::size_t p = 0; p < points; ++p) {
      double sum = 0;
      for (std::size_t r = 0; r < replicates; ++r) sum += v->at({p, r});
      means[p][i] = replicates > 0 ? sum / static_cast<double>(replicates) : std::nan("");
    }
  }
  return means;
}

// Where the file came from and how to run it again.
void print_provenance(const output::RunFileContents& f, const std::string& path) {
  std::fprintf(stdout, "Provenance\n");
  print_field("scenario",
              f.text("scenario_name") + (f.source_path.empty() ? "" : " (" + f.source_path + ")"));
  print_field("written by", "tipsim " + f.text("program_version") + ", source revision " +
                                f.text("source_revision") + ", " + f.text("created"));
  print_field("command line", f.text("command_line"));
  const double seed = f.number("seed");
  print_field("seed", std::isnan(seed) ? std::string("?") : std::to_string(static_cast<long long>(seed)));
  print_field("steps", number_text(f.number("steps")) + " of " + number_text(f.number("step_days")) +
                           " days, burn-in " + number_text(f.number("burn_in_steps")) + " steps");
  print_field("population", number_text(f.number("population_size") * f.number("population_scale")) +
                                " people: " + number_text(f.number("population_size")) +
                                " persons of the model, " + number_text(f.number("population_scale")) +
                                " real people each");
  print_field("regions",
              join(f.labels.count("region") ? f.labels.at("region") : std::vector<std::string>{}, ", "));
  print_field("re-run with", "tipsim run --from " + shell_word(path));
}

// The dimensions, the leading four first.
void print_dimensions(const output::RunFileContents& f) {
  std::fprintf(stdout, "\nDimensions\n ");
  const std::vector<std::string> leading = {"point", "replicate", "step", "region"};
  for (const std::string& name : leading) std::fprintf(stdout, " %s %zu", name.c_str(), f.dimension(name));
  for (const auto& [name, size] : f.dimensions)
    if (std::find(leading.begin(), leading.end(), name) == leading.end())
      std::fprintf(stdout, " %s %zu", name.c_str(), size);
  std::fprintf(stdout, "\n");
}

// A sweep's definition and its points; a comparison's arms.
void print_points(const output::RunFileContents& f, std::size_t points) {
  if (f.experiment == output::ExperimentKind::Sweep) {
    std::fprintf(stdout, "\nSweep points (sweep/; the first key varies slowest)\n");
    std::string definition = f.sweep_definition;
    while (!definition.empty() && definition.back() == '\n') definition.pop_back();
    for (std::size_t begin = 0; begin < definition.size();) {
      const std::size_t end = std::min(definition.find('\n', begin), definition.size());
      std::fprintf(stdout, "  --vary %s\n", definition.substr(begin, end - begin).c_str());
      begin = end + 1;
    }
    for (std::size_t p = 0; p < points; ++p) {
      std::vector<std::string> values;
      for (const output::Variable& key : f.sweep_keys) {
        const std::string value = p < key.texts.size()    ? key.texts[p]
                                  : p < key.values.size() ? format_figure(key.values[p])
                                                          : std::string("?");
        values.push_back(key.name + " = " + value);
      }
      std::fprintf(stdout, "  point %zu: %s\n", p, join(values, ", ").c_str());
    }
  }
  if (f.experiment == output::ExperimentKind::Comparison) {
    std::fprintf(stdout, "\nArms (sweep/arm; paired on common random numbers)\n");
    for (std::size_t p = 0; p < f.arm_names.size(); ++p)
      std::fprintf(stdout, "  point %zu: %s%s\n", p, f.arm_names[p].c_str(), p == 0 ? " (baseline)" : "");
  }
}

// The event log and snapshots, or how to record them.
void print_recorded(const output::RunFileContents& f) {
  std::fprintf(stdout, "\nRecorded\n");
  print_field("event log", f.event_log
                               ? format_figure(static_cast<double>(f.event_count)) + " events (events/)"
                               : std::string("none (tipsim run --events records it)"));
  print_field("snapshots", f.snapshot_every > 0
                               ? "every " + std::to_string(f.snapshot_every) + " steps, " +
                                     std::to_string(snapshot_count(
                                         static_cast<std::int32_t>(f.number("steps")), f.snapshot_every)) +
                                     " per run (snapshots/)"
                               : std::string("none (tipsim run --snapshot-every K takes them)"));
  std::string steps;
  for (const std::int32_t step : f.checkpoint_steps)
    steps += (steps.empty() ? "" : ", ") + std::to_string(step);
  print_field("checkpoints",
              f.checkpoint_steps.empty()
                  ? std::string("none (tipsim run --checkpoint-at or --checkpoint-every keeps them)")
                  : "after steps " + steps + " (checkpoints/; tipsim run --fork FILE --at STEP)");
  if (const double at = f.number("forked_at_step"); !std::isnan(at))
    print_field("forked from", f.text("forked_from") + " (created " + f.text("forked_from_created") +
                                   "), continued after step " + std::to_string(static_cast<long long>(at)));
}

// Every series with its category axis, layer, nature, basis and units.
void print_series(const output::RunFileContents& f) {
  std::fprintf(stdout,
               "\nSeries (series/: dimensions point, replicate, step, region[, category]; basis 'agents': "
               "multiply by population_scale for real people)\n");
  std::size_t width = 0;
  for (const output::Variable& v : f.series) width = std::max(width, v.name.size());
  for (const output::Variable& v : f.series) {
    const std::string category = v.dims.size() > 4 ? v.dims.back() : std::string("-");
    const std::string nature = v.attribute("cell_methods") == "step: sum" ? "flow" : "stock";
    std::fprintf(stdout, "  %-*s  %-10s %-8s %-6s %-7s %s\n", static_cast<int>(width), v.name.c_str(),
                 category.c_str(), v.attribute("layer").c_str(), nature.c_str(), v.attribute("basis").c_str(),
                 v.unit_label().c_str());
  }
}

// A comparison's cost-effectiveness table, from comparison/ alone.
void print_file_cost_effectiveness(const output::RunFileContents& f, std::size_t replicates,
                                   const Display& display) {
  const output::Variable* status = f.find_comparison("frontier_status");
  if (status == nullptr || std::isnan(f.value_per_victim_year)) return;
  auto number = [&](const char* name, std::size_t a) {
    const output::Variable* v = f.find_comparison(name);
    return v != nullptr && a < v->values.size() ? v->values[a] : std::nan("");
  };
  auto text = [&](const char* name, std::size_t a) {
    const output::Variable* v = f.find_comparison(name);
    return v != nullptr && a < v->texts.size() ? v->texts[a] : std::string();
  };
  std::vector<CostEffectivenessRow> rows(1);
  rows[0].name = f.baseline_arm;
  rows[0].status = f.baseline_frontier_status;
  rows[0].net_benefit = EffectEstimate{0, 0, 0};
  rows[0].icer = EffectEstimate{std::nan(""), std::nan(""), std::nan("")};
  double others = 0;
  for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
    CostEffectivenessRow row;
    row.name = f.comparison_arms[a];
    row.status = text("frontier_status", a);
    row.comparator = text("icer_comparator", a);
    row.cost = number("spending_mean", a);
    row.effect =
        number(f.outcome == Averted::VictimYears ? "victim_years_averted_mean" : "harm_averted_mean", a);
    row.icer = EffectEstimate{number("icer_mean", a), number("icer_ci_low", a), number("icer_ci_high", a)};
    row.net_benefit =
        EffectEstimate{number("net_monetary_benefit_mean", a), number("net_monetary_benefit_ci_low", a),
                       number("net_monetary_benefit_ci_high", a)};
    row.probability_best = number("probability_most_cost_effective", a);
    others += row.probability_best;
    rows.push_back(std::move(row));
  }
  rows[0].probability_best = 1 - others;
  print_cost_effectiveness(stdout, display, f.value_per_victim_year, f.outcome, replicates, rows);
}

// The headline figures side by side, and a comparison's effects.
void print_figures(const output::RunFileContents& f, std::size_t points, std::size_t replicates,
                   const Display& display) {
  std::fprintf(stdout, "\nHeadline figures (summary/: mean over replicates, after the burn-in), %s\n",
               units_text(display).c_str());
  const auto means = headline_means(f);
  std::vector<std::string> labels;
  std::vector<std::vector<double>> columns;
  for (std::size_t p = 0; p < std::min(points, kMaxHeadlineColumns); ++p) {
    labels.push_back(f.experiment == output::ExperimentKind::Comparison && p < f.arm_names.size()
                         ? f.arm_names[p]
                         : "point " + std::to_string(p));
    columns.push_back(means[p]);
  }
  print_headlines(stdout, display, labels, columns);
  if (points > kMaxHeadlineColumns)
    std::fprintf(stdout, "  (%zu more points: see summary/)\n", points - kMaxHeadlineColumns);

  if (f.experiment != output::ExperimentKind::Comparison || f.comparison_arms.empty()) return;
  std::fprintf(stdout, "\nEffects against the baseline (comparison/)\n");
  std::vector<ArmEstimates> arms;
  for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
    ArmEstimates arm{f.comparison_arms[a], {}};
    for (const EffectSpec& e : effect_table()) {
      auto value = [&](const std::string& suffix) {
        const output::Variable* v = f.find_comparison(std::string(e.name) + suffix);
        return v != nullptr && a < v->values.size() ? v->values[a] : std::nan("");
      };
      arm.effects.push_back(EffectEstimate{value("_mean"), value("_ci_low"), value("_ci_high")});
    }
    arms.push_back(std::move(arm));
  }
  print_effect_tables(stdout, display, f.baseline_arm, replicates, arms);
  print_file_cost_effectiveness(f, replicates, display);
}

}  // namespace

int inspect_command(const std::string& path, bool agent_units) {
  output::RunFileContents f;
  try {
    f = output::read_run_file(path, false);
  } catch (const output::OutputError& e) {
    print_error(e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    // A damaged file can fail in ways the reader does not name.
    print_error(path + ": cannot read the run file: " + e.what());
    return kExitBadInput;
  }
  const std::size_t points = f.dimension("point"), replicates = f.dimension("replicate");
  const std::string kind(output::experiment_name(f.experiment));
  std::fprintf(stdout, "%s: tipsim run file, format version %d; a %s of %zu point%s x %zu replicate%s\n\n",
               path.c_str(), f.format_version, kind.c_str(), points, points == 1 ? "" : "s", replicates,
               replicates == 1 ? "" : "s");
  print_provenance(f, path);
  print_dimensions(f);
  print_points(f, points);
  print_recorded(f);
  print_series(f);
  const double scale = f.number("population_scale");
  print_figures(f, points, replicates, Display{std::isnan(scale) ? 1.0 : scale, agent_units});
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace tipsim::cli
