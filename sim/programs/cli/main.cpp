// tipsim: the headless command-line program (run, sweep, compare, allocate,
// inspect, export, validate, scenarios, reference).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "quoting.hpp"
#ifdef TIPSIM_WITH_MPI
#include "mpi_job.hpp"
#endif

namespace {

// The flags run, sweep and compare share.
void add_run_flags(CLI::App* command, tipsim::cli::RunOptions& options, const std::string& default_output) {
  command
      ->add_option("-o,--output", options.output_path, "Run file to write (default: " + default_output + ")")
      ->type_name("FILE.h5");
  command->add_option("--replicates", options.replicates, "Independent replicates (sets scenario.replicates)")
      ->type_name("N");
  command->add_option("--seed", options.seed, "Master seed (sets scenario.seed)")->type_name("S");
  command->add_option("--steps", options.steps, "Steps per run (sets scenario.steps)")->type_name("N");
  command
      ->add_option("--threads", options.threads,
                   "Worker threads; 0 = all cores. Changes speed only, never results")
      ->check(CLI::Range(0, 65536))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->type_name("T");
  command->add_option("--set", options.overrides, "Override a scenario key: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  command
      ->add_option("--scale", options.scales,
                   "Multiply a key's world value and every region's own value: KEY=FACTOR (repeatable; "
                   "--vary KEY*=F1,F2,... varies the factor)")
      ->type_name("KEY=FACTOR")
      ->take_all()
      ->allow_extra_args(false);
  CLI::Option* quiet = command->add_flag("-q,--quiet", options.quiet,
                                         "No progress line or size estimate; print only the final table");
  command
      ->add_flag_callback(
          "--progress", [] { tipsim::cli::request_progress_lines(); },
          "Progress as plain lines, also when stderr is not a terminal (logs, batch jobs): one per run done "
          "and one whenever finished runs are recorded in the file")
      ->excludes(quiet);
  command->add_flag(
      "--agent-units", options.agent_units,
      "Print counts in agents instead of real people (for debugging the model; money stays real "
      "USD)");
  command->add_flag("--events", options.events,
                    "Write the event log (events/): every recruitment, identification, conviction, ...");
  command
      ->add_option("--snapshot-every", options.snapshot_every,
                   "Write every person's fields every K steps (snapshots/)")
      ->check(CLI::Range(1, 1 << 30))
      ->type_name("K");
  command
      ->add_option("--resume", options.resume_path,
                   "Complete the unfinished run file an interrupted or killed run of this same command left "
                   "(FILE.h5.incomplete, or FILE.h5.partial-PID): only its missing runs are run")
      ->type_name("FILE");
  command
      ->add_option(
          "--max-output", options.max_output,
          "Refuse to start when the event log and snapshots are estimated to exceed SIZE (e.g. 500M, 2G; "
          "0 = no limit)")
      ->capture_default_str()
      ->type_name("SIZE");
}

}  // namespace

namespace {

using namespace tipsim::cli;

// Every subcommand's arguments, filled by the parser.
struct Commands {
  RunArguments run;
  SweepArguments sweep;
  CompareArguments compare;
  AllocateArguments allocate;
  std::string objective = "averted";
  std::string compare_outcome = "victim-years", allocate_outcome = "victim-years";
  double compare_value_per_qaly = 0, allocate_value_per_qaly = 0;
  std::string inspect_path, validate_path;
  bool inspect_agent_units = false;
  std::vector<std::string> validate_overrides, validate_scales;
  bool reference_json = false;
  ExportArguments export_arguments;
  CLI::App *run_cmd = nullptr, *sweep_cmd = nullptr, *compare_cmd = nullptr, *allocate_cmd = nullptr,
           *inspect_cmd = nullptr, *export_cmd = nullptr, *validate_cmd = nullptr, *scenarios_cmd = nullptr,
           *reference_cmd = nullptr;
};

// --outcome and --value-per-qaly of compare and allocate: what their
// cost-effectiveness (and best split) count as averted.
void add_outcome_options(CLI::App* command, std::string& outcome, double& value_per_qaly, const char* whose) {
  command
      ->add_option("--outcome", outcome,
                   "What cost-effectiveness counts as averted: victim-years (of exploitation) or harm (the "
                   "harm-weighted outcome, QALYs lost in exploitation, unrecovered survival and punishment; "
                   "docs/model.md 6)")
      ->capture_default_str()
      ->check(CLI::IsMember({"victim-years", "harm"}))
      ->type_name("WHAT");
  command
      ->add_option("--value-per-qaly", value_per_qaly,
                   std::string("With --outcome harm: the value of one QALY averted, in USD (default: ") +
                       whose + " harm.usd_per_qaly)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("USD");
}

// run, sweep and compare: the commands that simulate and write a run file.
void add_experiment_commands(CLI::App& app, Commands& c) {
  c.run_cmd = app.add_subcommand("run", "Run a scenario and write its results to an HDF5 run file");
  c.run_cmd->add_option("scenario", c.run.scenario_path, "Scenario file (TOML)")->type_name("SCENARIO.toml");
  c.run_cmd
      ->add_option("--from", c.run.from_path,
                   "Re-run a run file's resolved scenario (its points, replicates, seed and steps) instead")
      ->type_name("FILE.h5");
  c.run_cmd
      ->add_option(
          "--checkpoint-at", c.run.checkpoint_at,
          "Keep every replicate's whole state in the file after these numbers of steps (comma-separated), "
          "for --fork")
      ->delimiter(',')
      ->type_name("STEP,...");
  c.run_cmd
      ->add_option("--checkpoint-every", c.run.checkpoint_every,
                   "Keep every replicate's whole state in the file every K steps, for --fork")
      ->check(CLI::Range(1, 1 << 30))
      ->type_name("K");
  c.run_cmd
      ->add_option(
          "--fork", c.run.fork_path,
          "Continue the runs of a run file (all its replicates, or the first --replicates) from its "
          "checkpoint at --at, with the changes given (--set, --scale, or a scenario file whose past is "
          "the file's), into a new run file")
      ->type_name("FILE.h5");
  c.run_cmd->add_option("--at", c.run.fork_at, "The step of --fork's checkpoint to continue from")
      ->type_name("STEP");
  c.run_cmd
      ->add_option("--intervention", c.run.intervention_files,
                   "Add the [[intervention]] tables of this file to the scenario (repeatable); with --fork, "
                   "they start at --at or later")
      ->type_name("FILE.toml")
      ->take_all()
      ->allow_extra_args(false);
  add_run_flags(c.run_cmd, c.run,
                "runs/<scenario file name>.h5; with --from, runs/<file name>-rerun.h5; with --fork, "
                "runs/<file name>-fork-<STEP>.h5");

  c.sweep_cmd = app.add_subcommand(
      "sweep",
      "Run a scenario over the full grid of some keys' values, into one run file with a point dimension");
  c.sweep_cmd->add_option("scenario", c.sweep.scenario_path, "Scenario file (TOML)")
      ->required()
      ->type_name("SCENARIO.toml");
  c.sweep_cmd
      ->add_option(
          "--vary", c.sweep.vary,
          "A key and its values: KEY=LO:HI:N (N evenly spaced values) or KEY=V1,V2,... (repeatable; "
          "the full grid of all --vary is run, the first varying slowest); KEY*=... varies a factor on "
          "the world value and every region's value, as --scale does")
      ->required()
      ->type_name("KEY=VALUES")
      ->take_all()
      ->allow_extra_args(false);
  add_run_flags(c.sweep_cmd, c.sweep, "runs/<scenario file name>-sweep.h5");

  c.compare_cmd = app.add_subcommand(
      "compare", "Run policy arms against a baseline on common random numbers and report the paired effects");
  c.compare_cmd
      ->add_option("scenarios", c.compare.scenario_paths,
                   "The baseline scenario, then one scenario per arm (TOML); all share steps, regions and "
                   "population")
      ->required()
      ->expected(2, -1)
      ->type_name("BASELINE.toml ARM.toml...");
  c.compare_cmd
      ->add_option(
          "--value-per-victim-year", c.compare.value_per_victim_year,
          "The value of one victim-year of exploitation averted, in USD, for the net monetary benefit "
          "and the most cost-effective arm (default: the UK Home Office's cost of modern slavery per "
          "victim, 2018, in USD)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("USD");
  add_outcome_options(c.compare_cmd, c.compare_outcome, c.compare_value_per_qaly, "the baseline's");
  add_run_flags(c.compare_cmd, c.compare, "runs/<baseline file name>-comparison.h5");

  c.allocate_cmd = app.add_subcommand(
      "allocate",
      "Search how an added yearly budget is best split over the four Ps (or named levers): every split of a "
      "lattice at several budget levels, each a paired arm against the scenario as it is");
  c.allocate_cmd->add_option("scenario", c.allocate.scenario_path, "Scenario file (TOML)")
      ->required()
      ->type_name("SCENARIO.toml");
  c.allocate_cmd->add_option("--budget", c.allocate.budget, "The added budget, in USD per year")
      ->required()
      ->type_name("USD_PER_YEAR");
  c.allocate_cmd
      ->add_option("--over", c.allocate.over,
                   "Split the money over these levers instead of the four Ps (repeatable; levers with a unit "
                   "cost)")
      ->type_name("KEY");
  c.allocate_cmd
      ->add_option("--levels", c.allocate.levels,
                   "Budget levels for the frontier: budget/N, 2 budget/N, ..., budget")
      ->capture_default_str()
      ->check(CLI::Range(1, 20))
      ->type_name("N");
  c.allocate_cmd->add_option("--resolution", c.allocate.resolution, "Splits in steps of 1/M of the budget")
      ->capture_default_str()
      ->check(CLI::Range(1, 20))
      ->type_name("M");
  c.allocate_cmd
      ->add_option(
          "--objective", c.objective,
          "What the best split maximises: the outcome averted (averted; victim-years is the same) or "
          "net-benefit (at --value-per-victim-year, or --value-per-qaly with --outcome harm)")
      ->capture_default_str()
      ->check(CLI::IsMember({"averted", "victim-years", "net-benefit"}))
      ->type_name("WHAT");
  c.allocate_cmd
      ->add_option("--value-per-victim-year", c.allocate.value_per_victim_year,
                   "The value of one victim-year averted, in USD, for the net benefit")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("USD");
  add_outcome_options(c.allocate_cmd, c.allocate_outcome, c.allocate_value_per_qaly, "the scenario's");
  add_run_flags(c.allocate_cmd, c.allocate, "runs/<scenario file name>-allocation.h5");
}

// inspect, validate, scenarios and reference: the commands that read.
void add_reading_commands(CLI::App& app, Commands& c) {
  c.inspect_cmd =
      app.add_subcommand("inspect",
                         "Show what a run file holds (provenance, dimensions, series) and its headline "
                         "figures");
  c.inspect_cmd->add_option("file", c.inspect_path, "Run file")->required()->type_name("FILE.h5");
  c.inspect_cmd->add_flag("--agent-units", c.inspect_agent_units,
                          "Print counts in agents instead of real people (for debugging the model)");

  c.export_cmd = app.add_subcommand(
      "export",
      "Write a run file's figures as tidy CSV tables into a new folder, for spreadsheets, R and pandas: one "
      "row per coordinate, labels for coordinates, real people and USD, and a data dictionary");
  ExportArguments& e = c.export_arguments;
  c.export_cmd->add_option("file", e.path, "Run file (a run, sweep, comparison or allocation)")
      ->required()
      ->type_name("FILE.h5");
  c.export_cmd
      ->add_option("-o,--output", e.output_path,
                   "Folder to create (default: the run file's name without .h5, plus -csv); an existing one "
                   "must be empty unless --force")
      ->type_name("DIR");
  c.export_cmd
      ->add_option("--format", e.format,
                   "Table format: csv (parquet is refused: Debian 12 packages no Parquet writer for C++)")
      ->capture_default_str()
      ->type_name("FORMAT");
  c.export_cmd->add_flag("--force", e.force,
                         "Replace what an existing, non-empty DIR holds (once the new tables are complete)");
  c.export_cmd->add_flag(
      "--agent-units", e.agent_units,
      "Counts in agents instead of real people (for debugging the model; money stays real USD); the "
      "dictionary says which");
  CLI::Option* export_quiet = c.export_cmd->add_flag("-q,--quiet", e.quiet, "No progress line");
  c.export_cmd
      ->add_flag_callback(
          "--progress", [] { tipsim::cli::request_progress_lines(); },
          "Progress as plain lines, one per table written, also when stderr is not a terminal")
      ->excludes(export_quiet);

  c.validate_cmd = app.add_subcommand("validate",
                                      "Check a scenario and print every parameter as the run would use it, "
                                      "or check a training exercise and print its outline");
  c.validate_cmd->add_option("scenario", c.validate_path, "Scenario or exercise file (TOML)")
      ->required()
      ->type_name("SCENARIO.toml");
  c.validate_cmd->add_option("--set", c.validate_overrides, "Override a scenario key: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  c.validate_cmd
      ->add_option("--scale", c.validate_scales,
                   "Multiply a key's world value and every region's own value: KEY=FACTOR (repeatable)")
      ->type_name("KEY=FACTOR")
      ->take_all()
      ->allow_extra_args(false);

  c.scenarios_cmd = app.add_subcommand("scenarios", "List the bundled scenarios");

  c.reference_cmd = app.add_subcommand(
      "reference", "Print the model's tables (parameters, metrics, events, effects) for scripts and docs");
  c.reference_cmd->add_flag("--json", c.reference_json, "As one JSON document (the only format)")->required();
}

// Runs the one subcommand the parser found.
int dispatch(Commands& c, const std::string& command_line) {
  if (*c.run_cmd) {
    if (!c.run.fork_path.empty() || c.run.fork_at) {
      if (c.run.fork_path.empty() || !c.run.fork_at || !c.run.from_path.empty()) {
        print_error(!c.run.from_path.empty() ? "give --from or --fork, not both"
                                             : "--fork FILE.h5 and --at STEP go together");
        return kExitBadInput;
      }
      c.run.command_line = command_line;
      return run_command(c.run);
    }
    if (c.run.scenario_path.empty() == c.run.from_path.empty()) {
      print_error(c.run.from_path.empty()
                      ? "give a scenario file to run, or --from FILE.h5 to re-run a run file"
                      : "give a scenario file or --from FILE.h5, not both");
      return kExitBadInput;
    }
    c.run.command_line = command_line;
    return run_command(c.run);
  }
  if (*c.sweep_cmd) {
    c.sweep.command_line = command_line;
    return sweep_command(c.sweep);
  }
  if (*c.compare_cmd) {
    c.compare.command_line = command_line;
    c.compare.outcome = *tipsim::outcome_named(c.compare_outcome);
    if (c.compare_cmd->count("--value-per-qaly") > 0) c.compare.value_per_qaly = c.compare_value_per_qaly;
    return compare_command(c.compare);
  }
  if (*c.allocate_cmd) {
    c.allocate.command_line = command_line;
    c.allocate.net_benefit = c.objective == "net-benefit";
    c.allocate.outcome = *tipsim::outcome_named(c.allocate_outcome);
    if (c.allocate_cmd->count("--value-per-qaly") > 0) c.allocate.value_per_qaly = c.allocate_value_per_qaly;
    return allocate_command(c.allocate);
  }
  if (*c.inspect_cmd) return inspect_command(c.inspect_path, c.inspect_agent_units);
  if (*c.export_cmd) return export_command(c.export_arguments);
  if (*c.validate_cmd) {
    RunOptions options;
    options.overrides = c.validate_overrides;
    options.scales = c.validate_scales;
    return validate_command(c.validate_path, overrides_of(options));
  }
  if (*c.scenarios_cmd) return scenarios_command();
  if (*c.reference_cmd) return reference_command();
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tipsim::cli;
#ifdef TIPSIM_WITH_MPI
  // Started by mpirun or srun: this process is one rank of a job. Started
  // alone, the program is the same as a build without MPI.
  std::unique_ptr<tipsim::mpi::Job> job;
  if (tipsim::mpi::launched_as_a_job()) {
    job = std::make_unique<tipsim::mpi::Job>(&argc, &argv);
    set_parallel_job(job.get());
  }
#endif

  CLI::App app{"tipsim: agent-based simulation of human trafficking and anti-trafficking policy", "tipsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("tipsim ") + tipsim::version() + " (" + tipsim::source_revision() + ")");
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "tipsim: error: " + std::string(e.what()) + "\nRun '" + failed->get_name() +
           " --help' for the options.\n";
  });
  Commands commands;
  add_experiment_commands(app, commands);
  add_reading_commands(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every usage error is bad input.
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  return dispatch(commands, tipsim::shell_command_line(argc, argv));
}
