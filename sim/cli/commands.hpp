// The subcommands of the `tipsim` program. main.cpp parses the command line
// with CLI11 and hands the parsed arguments to one of these.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tipsim::cli {

// Exit codes, as docs and scripts rely on them (interface brief).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // a failure while running (disk full, write error)
inline constexpr int kExitBadInput = 2;       // usage, scenario, key, value, unreadable input
inline constexpr int kExitInterrupted = 130;  // SIGINT (SIGTERM gives 143)

// Arguments of `tipsim run`.
struct RunArguments {
  std::string scenario_path;
  std::string output_path;  // empty: runs/<scenario file stem>.h5
  // Shorthands for --set scenario.replicates / seed / steps, kept as text so
  // that the scenario loader checks them like any other value.
  std::optional<std::string> replicates, seed, steps;
  int threads = 0;                     // 0 = all cores
  std::vector<std::string> overrides;  // --set KEY=VALUE, in order
  bool quiet = false;
  std::string command_line;  // as typed, recorded in the run file
};

int run_command(const RunArguments& arguments);

// `tipsim validate`: prints the fully resolved scenario.
int validate_command(const std::string& scenario_path, const std::vector<std::string>& overrides);

// `tipsim scenarios`: the bundled scenarios, one line each.
int scenarios_command();

// Prints "tipsim: error: MESSAGE" on stderr.
void print_error(const std::string& message);

}  // namespace tipsim::cli
