// The subcommands of the `tipsim` program. main.cpp parses the command line
// with CLI11 and hands the parsed arguments to one of these.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "allocation.hpp"
#include "experiment.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"

namespace tipsim::cli {

// Exit codes, as docs and scripts rely on them (interface brief).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // a failure while running (disk full, write error)
inline constexpr int kExitBadInput = 2;       // usage, scenario, key, value, unreadable input
inline constexpr int kExitInterrupted = 130;  // SIGINT (SIGTERM gives 143)

// The default of --max-output: what the event log and snapshots may add.
inline constexpr const char* kDefaultMaxOutput = "4G";

// Flags shared by run, sweep and compare.
struct RunOptions {
  std::string output_path;  // empty: a name under runs/
  // Shorthands for --set scenario.replicates / seed / steps, kept as text so
  // that the scenario loader checks them like any other value.
  std::optional<std::string> replicates, seed, steps;
  int threads = 0;                     // 0 = all cores
  std::vector<std::string> overrides;  // --set KEY=VALUE, in order
  std::vector<std::string> scales;     // --scale KEY=FACTOR, in order
  bool quiet = false;
  bool events = false;                         // --events: write the event log
  std::optional<int> snapshot_every;           // --snapshot-every K
  std::string max_output = kDefaultMaxOutput;  // --max-output SIZE, as given
  std::string command_line;                    // as typed, recorded in the run file
  std::string resume_path;                     // --resume FILE: the unfinished run file to complete
  bool agent_units = false;                    // --agent-units: tables count agents, not people
};

// The MPI job this process is one rank of, when it was started by mpirun
// (or srun) in a build with MPI (sim/programs/mpi/). run, sweep and compare then
// share their runs over the ranks and write one file together.
class ParallelJob : public output::WriterGroup {
 public:
  // Hands `runs` out to the ranks as they ask, each run to one rank, in
  // increasing order on each. Collective; the queue must be destroyed by
  // every rank, together, once run_experiment() has returned.
  virtual std::unique_ptr<RunQueue> share_runs(const std::vector<std::size_t>& runs) = 0;
  // Stops every rank's queue handing out runs (this rank was interrupted).
  virtual void stop_sharing(RunQueue& queue) = 0;
  // True on every rank when it is true on any. Collective.
  virtual bool any(bool value) const = 0;
  // Ends every rank of the job with this exit code.
  [[noreturn]] virtual void abort(int exit_code) const = 0;
  // Held around every MPI call made outside the main thread (the queue, the
  // writer): MPI is initialised for one thread at a time.
  virtual std::mutex& mpi_mutex() = 0;
};

// Makes run, sweep and compare work as ranks of `job` (null: alone). On a
// rank other than 0, errors about the input and the final table are not
// printed (rank 0 prints them), while failures are, with the rank.
void set_parallel_job(ParallelJob* job);

// Arguments of `tipsim run`: a scenario, or a run file to re-run, or one
// to continue from one of its checkpoints (a fork).
struct RunArguments : RunOptions {
  std::string scenario_path;
  std::string from_path;                        // --from FILE.h5
  std::vector<std::int32_t> checkpoint_at;      // --checkpoint-at STEP,...
  std::optional<int> checkpoint_every;          // --checkpoint-every K
  std::string fork_path;                        // --fork FILE.h5
  std::optional<int> fork_at;                   // --at STEP
  std::vector<std::string> intervention_files;  // --intervention FILE.toml, in order
};

// Arguments of `tipsim sweep`.
struct SweepArguments : RunOptions {
  std::string scenario_path;
  std::vector<std::string> vary;  // --vary KEY=LO:HI:N or KEY=V1,V2,..., in order
};

// Arguments of `tipsim compare`: the baseline first, then the arms.
struct CompareArguments : RunOptions {
  std::vector<std::string> scenario_paths;
  double value_per_victim_year = kDefaultValuePerVictimYear;  // --value-per-victim-year USD
  Averted outcome = Averted::VictimYears;                     // --outcome victim-years|harm
  std::optional<double> value_per_qaly;  // --value-per-qaly USD; else the baseline's harm.usd_per_qaly
};

// The --set, --scale, --replicates, --seed and --steps of a command as the
// scenario loader's overrides, in that order.
std::vector<std::string> overrides_of(const RunOptions& options);

// Arguments of `tipsim allocate`: a scenario and an added yearly budget.
struct AllocateArguments : RunOptions {
  std::string scenario_path;
  double budget = 0;              // --budget USD per year
  std::vector<std::string> over;  // --over KEY: levers instead of the four Ps
  int levels = 4;                 // --levels N: budget levels from budget/N to budget
  int resolution = 4;             // --resolution M: weights in steps of 1/M
  bool net_benefit = false;       // --objective net-benefit
  double value_per_victim_year = kDefaultValuePerVictimYear;
  Averted outcome = Averted::VictimYears;  // --outcome victim-years|harm
  std::optional<double> value_per_qaly;    // --value-per-qaly USD; else the scenario's harm.usd_per_qaly
};

int run_command(const RunArguments& arguments);
int allocate_command(const AllocateArguments& arguments);
int sweep_command(const SweepArguments& arguments);
int compare_command(const CompareArguments& arguments);

// `tipsim inspect`: what a run file holds, and its headline figures.
int inspect_command(const std::string& path, bool agent_units = false);

// Arguments of `tipsim export`: a run file as tables in a folder.
struct ExportArguments {
  std::string path;            // the run file
  std::string format = "csv";  // --format: csv (parquet is refused, with the reason)
  std::string output_path;     // -o DIR; empty: FILE without .h5, plus -csv
  bool force = false;          // --force: replace a DIR that is not empty
  bool agent_units = false;    // --agent-units: counts of agents, not people
  bool quiet = false;          // --quiet: no progress
};

// `tipsim export`: the run file's tables as CSV files in a new folder.
int export_command(const ExportArguments& arguments);

// `tipsim validate`: prints the fully resolved scenario.
int validate_command(const std::string& scenario_path, const std::vector<std::string>& overrides);

// `tipsim scenarios`: the bundled scenarios, one line each.
int scenarios_command();

// `tipsim reference --json`: the model's tables (parameters, metrics, axis
// labels, summaries, event kinds, comparison effects) as one JSON document.
int reference_command();

// Prints "tipsim: error: MESSAGE" on stderr (on rank 0 only, in a job).
void print_error(const std::string& message);
// Prints a scenario's problems, one line each (file, line, column, key, why).
void print_scenario_error(const ScenarioError& e);

// Bytes from a size such as 4G, 500M, 1.5GiB, 2T or 123456 (K, M, G, T are
// powers of 1024). Nothing when the text is not a size.
std::optional<double> parse_size(const std::string& text);

}  // namespace tipsim::cli
