// tipsim: the headless command-line program (run, sweep, compare, inspect,
// validate, scenarios).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "progress.hpp"
#ifdef TIPSIM_WITH_MPI
#include "mpi_job.hpp"
#endif

namespace {

// The command line as a shell would read it back, for the run file's record.
std::string quoted_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_-+=.,/:@%") == std::string::npos;
    if (!out.empty()) out += ' ';
    if (plain) {
      out += arg;
    } else {
      out += '\'';
      for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

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
  CLI::Option* quiet = command->add_flag("-q,--quiet", options.quiet,
                                         "No progress line or size estimate; print only the final table");
  command
      ->add_flag_callback(
          "--progress", [] { tipsim::cli::request_progress_lines(); },
          "Progress as plain lines, also when stderr is not a terminal (logs, batch jobs): one per run done "
          "and one whenever finished runs are recorded in the file")
      ->excludes(quiet);
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

  RunArguments run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and write its results to an HDF5 run file");
  run_cmd->add_option("scenario", run.scenario_path, "Scenario file (TOML)")->type_name("SCENARIO.toml");
  run_cmd
      ->add_option("--from", run.from_path,
                   "Re-run a run file's resolved scenario (its points, replicates, seed and steps) instead")
      ->type_name("FILE.h5");
  add_run_flags(run_cmd, run, "runs/<scenario file name>.h5; with --from, runs/<file name>-rerun.h5");

  SweepArguments sweep;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep",
      "Run a scenario over the full grid of some keys' values, into one run file with a point dimension");
  sweep_cmd->add_option("scenario", sweep.scenario_path, "Scenario file (TOML)")
      ->required()
      ->type_name("SCENARIO.toml");
  sweep_cmd
      ->add_option("--vary", sweep.vary,
                   "A key and its values: KEY=LO:HI:N (N evenly spaced values) or KEY=V1,V2,... (repeatable; "
                   "the full grid of all --vary is run, the first varying slowest)")
      ->required()
      ->type_name("KEY=VALUES")
      ->take_all()
      ->allow_extra_args(false);
  add_run_flags(sweep_cmd, sweep, "runs/<scenario file name>-sweep.h5");

  CompareArguments compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "Run policy arms against a baseline on common random numbers and report the paired effects");
  compare_cmd
      ->add_option("scenarios", compare.scenario_paths,
                   "The baseline scenario, then one scenario per arm (TOML); all share steps, regions and "
                   "population")
      ->required()
      ->expected(2, -1)
      ->type_name("BASELINE.toml ARM.toml...");
  add_run_flags(compare_cmd, compare, "runs/<baseline file name>-comparison.h5");

  std::string inspect_path;
  CLI::App* inspect_cmd =
      app.add_subcommand("inspect",
                         "Show what a run file holds (provenance, dimensions, series) and its headline "
                         "figures");
  inspect_cmd->add_option("file", inspect_path, "Run file")->required()->type_name("FILE.h5");

  std::string validate_path;
  std::vector<std::string> validate_overrides;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Check a scenario and print every parameter as the run would use it");
  validate_cmd->add_option("scenario", validate_path, "Scenario file (TOML)")
      ->required()
      ->type_name("SCENARIO.toml");
  validate_cmd->add_option("--set", validate_overrides, "Override a scenario key: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);

  CLI::App* scenarios_cmd = app.add_subcommand("scenarios", "List the bundled scenarios");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every usage error is bad input.
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }

  const std::string command_line = quoted_command_line(argc, argv);
  if (*run_cmd) {
    if (run.scenario_path.empty() == run.from_path.empty()) {
      print_error(run.from_path.empty()
                      ? "give a scenario file to run, or --from FILE.h5 to re-run a run file"
                      : "give a scenario file or --from FILE.h5, not both");
      return kExitBadInput;
    }
    run.command_line = command_line;
    return run_command(run);
  }
  if (*sweep_cmd) {
    sweep.command_line = command_line;
    return sweep_command(sweep);
  }
  if (*compare_cmd) {
    compare.command_line = command_line;
    return compare_command(compare);
  }
  if (*inspect_cmd) return inspect_command(inspect_path);
  if (*validate_cmd) return validate_command(validate_path, validate_overrides);
  if (*scenarios_cmd) return scenarios_command();
  return kExitBadInput;
}
