// tipsim: the headless command-line program (run, validate, scenarios).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "commands.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  using namespace tipsim::cli;

  CLI::App app{"tipsim: agent-based simulation of human trafficking and anti-trafficking policy", "tipsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("tipsim ") + TIPSIM_VERSION + " (" + TIPSIM_SOURCE_REVISION + ")");
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "tipsim: error: " + std::string(e.what()) + "\nRun '" + failed->get_name() +
           " --help' for the options.\n";
  });

  RunArguments run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and write its results to an HDF5 run file");
  run_cmd->add_option("scenario", run.scenario_path, "Scenario file (TOML)")
      ->required()
      ->type_name("SCENARIO.toml");
  run_cmd
      ->add_option("-o,--output", run.output_path,
                   "Run file to write (default: runs/<scenario file name>.h5)")
      ->type_name("FILE.h5");
  run_cmd->add_option("--replicates", run.replicates, "Independent replicates (sets scenario.replicates)")
      ->type_name("N");
  run_cmd->add_option("--seed", run.seed, "Master seed (sets scenario.seed)")->type_name("S");
  run_cmd->add_option("--steps", run.steps, "Steps per run (sets scenario.steps)")->type_name("N");
  run_cmd
      ->add_option("--threads", run.threads,
                   "Worker threads; 0 = all cores. Changes speed only, never results")
      ->check(CLI::Range(0, 65536))
      ->type_name("T");
  run_cmd->add_option("--set", run.overrides, "Override a scenario key: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  run_cmd->add_flag("-q,--quiet", run.quiet, "No progress line; print only the summary table");

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

  if (*run_cmd) {
    run.command_line = quoted_command_line(argc, argv);
    return run_command(run);
  }
  if (*validate_cmd) return validate_command(validate_path, validate_overrides);
  if (*scenarios_cmd) return scenarios_command();
  return kExitBadInput;
}
