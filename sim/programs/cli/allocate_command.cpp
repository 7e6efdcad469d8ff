// `tipsim allocate`: where an added yearly budget does most. Every split of
// a lattice over the targets, at several budget levels, runs as an arm of a
// paired comparison with the scenario as it is (common random numbers), so
// the file, --resume and MPI work as for `tipsim compare`.
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "allocation.hpp"
#include "commands.hpp"
#include "commands_internal.hpp"
#include "summary_table.hpp"

namespace tipsim::cli {

namespace {

// More arms than this are refused: a lattice that large wants a coarser
// resolution or fewer targets.
constexpr std::size_t kMaxArms = 2000;

// "PROSECUTION 0.5, PROTECTION 0.25, ..." at a budget.
std::string arm_name(const std::vector<std::string>& targets, const std::vector<double>& weights,
                     double budget) {
  std::string name = format_figure(budget) + " USD/yr:";
  for (std::size_t t = 0; t < targets.size(); ++t)
    name += (t == 0 ? " " : ", ") + targets[t] + " " + format_figure(weights[t]);
  return name;
}

// The problems with the arguments, each a line; empty when none.
std::vector<std::string> argument_problems(const AllocateArguments& a, const Scenario& s,
                                           std::vector<AllocationTarget>& targets) {
  std::vector<std::string> problems;
  if (!(a.budget > 0) || !std::isfinite(a.budget))
    problems.push_back("--budget " + format_figure(a.budget) +
                       ": the added budget must be a positive amount of USD per year, e.g. --budget 100e6");
  if (s.get(Param::budget_total_usd_per_year) > 0)
    problems.push_back(
        "the scenario is in budget mode (budget.total_usd_per_year > 0), where the budget sets the levers; "
        "allocate adds money to levers set directly: sweep budget.share_* instead");
  std::set<std::string> seen;
  for (const std::string& key : a.over) {
    if (!seen.insert(key).second) {
      problems.push_back("--over " + key + ": given twice");
      continue;
    }
    try {
      targets.push_back(lever_target(key));
    } catch (const std::invalid_argument& e) {
      problems.push_back("--over " + std::string(e.what()));
    }
  }
  if (a.over.size() == 1) problems.push_back("--over needs at least two levers to split the money between");
  return problems;
}

}  // namespace

int allocate_command(const AllocateArguments& arguments) {
  output::RunFileInfo info;
  info.experiment = output::ExperimentKind::Comparison;
  info.value_per_victim_year = arguments.value_per_victim_year;
  info.allocation_by_net_benefit = arguments.net_benefit;
  Scenario base;
  try {
    base = load_scenario_file(arguments.scenario_path, overrides_of(arguments));
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  std::vector<AllocationTarget> targets;
  const std::vector<std::string> problems = argument_problems(arguments, base, targets);
  if (!problems.empty()) {
    for (const std::string& p : problems) print_error(p);
    return kExitBadInput;
  }
  info.outcome = arguments.outcome;
  if (arguments.outcome == Averted::Harm)
    info.value_per_victim_year = arguments.value_per_qaly.value_or(base.get(Param::harm_usd_per_qaly));
  if (targets.empty()) targets = pillar_targets(base);
  for (const AllocationTarget& t : targets) info.allocation_targets.push_back(t.name);

  const std::vector<std::vector<double>> lattice = simplex_lattice(targets.size(), arguments.resolution);
  const std::size_t arms = 1 + lattice.size() * static_cast<std::size_t>(arguments.levels);
  if (arms > kMaxArms) {
    print_error(std::to_string(arms) + " arms (" + std::to_string(lattice.size()) + " splits x " +
                std::to_string(arguments.levels) + " levels) is more than " + std::to_string(kMaxArms) +
                "; lower --resolution or --levels, or name fewer levers with --over");
    return kExitBadInput;
  }
  info.points.push_back(base);
  info.arm_names.push_back(base.name.empty() ? "as it is" : base.name);
  info.allocation_budgets.push_back(0);
  info.allocation_weights.emplace_back(targets.size(), 0.0);
  for (int level = 1; level <= arguments.levels; ++level) {
    const double budget = arguments.budget * level / arguments.levels;
    for (const std::vector<double>& weights : lattice) {
      Scenario arm = with_added_budget(base, targets, weights, budget);
      arm.name = arm_name(info.allocation_targets, weights, budget);
      info.points.push_back(std::move(arm));
      info.arm_names.push_back(info.points.back().name);
      info.allocation_budgets.push_back(budget);
      info.allocation_weights.push_back(weights);
    }
  }
  info.replicates = static_cast<std::size_t>(base.get_int(Param::scenario_replicates));
  info.recording = recording_for(arguments);
  const std::string output_path = output_path_for(arguments, arguments.scenario_path, "-allocation");
  return run_experiment_command(info, arguments, output_path);
}

}  // namespace tipsim::cli
