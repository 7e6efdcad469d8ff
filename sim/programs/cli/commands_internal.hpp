// What the experiment commands share with each other beyond commands.hpp:
// the one way an experiment is planned, checked, run, committed and printed.
#pragma once

#include <string>

#include "commands.hpp"

namespace tipsim::cli {

// Plans, checks, runs and commits `info` into `output_path`, then prints its
// table; the exit code.
int run_experiment_command(output::RunFileInfo& info, const RunOptions& options,
                           const std::string& output_path);
// The event log and snapshots the options ask for.
Recording recording_for(const RunOptions& options);
// --output, or the default name under runs/ for `source` with `suffix`.
std::string output_path_for(const RunOptions& options, const std::string& source, const std::string& suffix);

}  // namespace tipsim::cli
