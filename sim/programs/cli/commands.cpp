#include "commands.hpp"

#include <tbb/info.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <sstream>

#include "commands_internal.hpp"
#include "comparison.hpp"
#include "experiment.hpp"
#include "metrics.hpp"
#include "process.hpp"
#include "progress.hpp"
#include "quoting.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "simulation.hpp"
#include "state_arrays.hpp"
#include "summary_table.hpp"
#include "sweep.hpp"

namespace tipsim::cli {

namespace {

// Where each replicate's runs start when they continue a run file's
// checkpoint (tipsim run --fork); empty: at step 0.
using RunStarts = std::function<std::shared_ptr<const RunStart>(std::size_t replicate)>;

// Held around every HDF5 call of a fork's runs: they read the parent file
// while the writer writes, and the parallel HDF5 library is not thread-safe.
std::mutex& fork_file_mutex() {
  static std::mutex mutex;
  return mutex;
}

// ---- the job this process is part of --------------------------------------------

ParallelJob* g_job = nullptr;

// Whether this process reports input errors, estimates and the final table:
// alone, or rank 0 of a job (every rank finds the same input errors).
bool speaks() { return g_job == nullptr || g_job->rank() == 0; }

// A failure while running, which may be this rank's alone: every rank
// reports its own.
void print_failure(const std::string& message) {
  if (g_job == nullptr) {
    print_error(message);
  } else {
    std::fprintf(stderr, "tipsim: error: rank %d of %d: %s\n", g_job->rank(), g_job->size(), message.c_str());
  }
}

// Whether the check failed on any rank (alone: here). Collective in a job:
// every rank must call it at the same point, so that all stop together.
bool fails_anywhere(bool failed_here) {
  if (g_job == nullptr) return failed_here;
  return g_job->any(failed_here);
}

// Serialises the writer's MPI calls with the run queue's (see ParallelJob).
class LockedSink : public ReplicateSink {
 public:
  LockedSink(ReplicateSink& sink, std::mutex* mutex) : sink_(sink), mutex_(mutex) {}
  void consume(ReplicateResult&& result) override {
    if (mutex_ == nullptr) return sink_.consume(std::move(result));
    std::lock_guard lock(*mutex_);
    sink_.consume(std::move(result));
  }

 private:
  ReplicateSink& sink_;
  std::mutex* mutex_;
};

// The file a resumed run completes is named after the unfinished one:
// OUT.h5.incomplete (or .incomplete-2, ...) and OUT.h5.partial-PID
// complete OUT.h5.
std::string finished_name_of(const std::string& unfinished) {
  if (const std::size_t mark = unfinished.rfind(".incomplete"); mark != std::string::npos && mark > 0) {
    const std::string rest = unfinished.substr(mark + 11);
    if (rest.empty() ||
        (rest.size() > 1 && rest[0] == '-' && rest.find_first_not_of("0123456789", 1) == std::string::npos))
      return unfinished.substr(0, mark);
  }
  if (const std::size_t mark = unfinished.rfind(".partial-"); mark != std::string::npos) {
    const std::string pid = unfinished.substr(mark + 9);
    if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos)
      return unfinished.substr(0, mark);
  }
  return {};
}

// ---- input errors -------------------------------------------------------------------------

// Problems found over several scenario loads (the points of a sweep), each
// reported once, in the order first found.
class IssueList {
 public:
  void add(const ScenarioIssue& issue) {
    const std::string text = format_issue(issue);
    if (std::find(texts_.begin(), texts_.end(), text) == texts_.end()) texts_.push_back(text);
  }
  bool empty() const { return texts_.empty(); }
  void print() const {
    for (const std::string& text : texts_) print_error(text);
  }

 private:
  std::vector<std::string> texts_;
};

Recording recording_of(const RunOptions& options) {
  Recording recording;
  recording.events = options.events;
  recording.snapshot_every = options.snapshot_every.value_or(0);
  return recording;
}

// runs/<stem of the source><suffix>.h5
std::string default_output(const std::string& source, const std::string& suffix) {
  return (std::filesystem::path("runs") / std::filesystem::path(source).stem()).string() + suffix + ".h5";
}

// -o, or the name of the file being resumed, or the default name.
std::string output_of(const RunOptions& options, const std::string& source, const std::string& suffix) {
  if (!options.output_path.empty()) return options.output_path;
  if (!options.resume_path.empty())
    if (std::string finished = finished_name_of(options.resume_path); !finished.empty()) return finished;
  return default_output(source, suffix);
}

RunFacts facts_for(const output::RunFileInfo& info, const std::string& output_path, double wall_seconds,
                   std::size_t runs_resumed, bool agent_units) {
  const Scenario& first = info.points.front();
  RunFacts facts;
  facts.scenario_name = first.name;
  facts.output_path = output_path;
  facts.points = info.points.size();
  facts.replicates = info.replicates;
  facts.steps = first.steps();
  facts.burn_in_steps =
      std::min<std::int64_t>(first.get_int(Param::scenario_burn_in_steps), first.steps() - 1);
  facts.step_days = first.get(Param::scenario_step_days);
  facts.population = first.get(Param::population_size);
  facts.in_strata = first.get(Param::population_untouched_in_strata) != 0;
  facts.display = Display{first.get(Param::population_scale), agent_units};
  facts.wall_seconds = wall_seconds;
  facts.runs_resumed = runs_resumed;
  facts.ranks = info.group != nullptr ? info.group->size() : 1;
  const SharedStarts starts = shared_starts(info.points);
  facts.points_sharing = starts.points_sharing();
  const bool one_family =
      std::all_of(starts.leader.begin(), starts.leader.end(), [](std::size_t l) { return l == 0; });
  facts.shared_steps = one_family ? starts.steps.front() : 0;
  return facts;
}

// Each arm's effects against the baseline (point 0) from the runs'
// summaries in (point, replicate) order.
std::vector<ArmEstimates> arm_estimates(const std::vector<std::string>& names,
                                        const std::vector<std::vector<double>>& summaries,
                                        std::size_t replicates) {
  std::vector<ArmEstimates> arms;
  const auto all = std::span(summaries);
  for (std::size_t a = 1; a < names.size(); ++a) {
    const ArmEffects effects =
        paired_effects(all.subspan(0, replicates), all.subspan(a * replicates, replicates));
    arms.push_back(ArmEstimates{names[a], effects.estimate});
  }
  return arms;
}

// The number of budget levels of an allocation.
std::size_t allocation_levels(const output::RunFileInfo& info) {
  std::set<double> levels(info.allocation_budgets.begin() + 1, info.allocation_budgets.end());
  return levels.size();
}

// A varied key's value at a point, as people write it (0.5, 100, true).
std::string key_display(const Scenario& point, const std::string& key) {
  if (is_scale_axis(key)) {
    std::string factor = format_figure(scale_factor(point, key));
    factor.insert(factor.begin(), 'x');
    return factor;
  }
  const KeyRef ref = find_key(point, key);
  if (ref.param == nullptr || ref.param->kind != ParamKind::Real) return key_text(point, ref);
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, key_value(point, ref));
  return std::string(buffer, end);
}

// The table a finished experiment prints: the summary of a run, one row
// per point for a sweep, the effects for a comparison.
void print_result(const output::RunFileInfo& info, const std::string& output_path,
                  const std::vector<std::vector<double>>& summaries, double wall_seconds,
                  std::size_t runs_resumed, bool agent_units, double memory_estimate_bytes) {
  RunFacts facts = facts_for(info, output_path, wall_seconds, runs_resumed, agent_units);
  facts.memory_peak_bytes = peak_resident_bytes().value_or(0.0);
  facts.memory_estimate_bytes = memory_estimate_bytes;
  switch (info.experiment) {
    case output::ExperimentKind::Run:
      print_summary(stdout, facts, summaries);
      return;
    case output::ExperimentKind::Sweep: {
      std::vector<std::string> keys;
      for (const VaryAxis& axis : info.sweep_axes) keys.push_back(axis.key);
      std::vector<std::vector<std::string>> values;
      for (const Scenario& point : info.points) {
        std::vector<std::string> row;
        for (const std::string& key : keys) row.push_back(key_display(point, key));
        values.push_back(std::move(row));
      }
      print_sweep_summary(stdout, facts, keys, values, summaries);
      return;
    }
    case output::ExperimentKind::Comparison:
      if (!info.allocation_targets.empty()) {
        print_allocation(
            stdout, facts, info.allocation_targets, info.allocation_weights,
            allocation_frontier(
                runs_by_arm(summaries, info.replicates), info.allocation_budgets, info.allocation_weights,
                info.allocation_by_net_benefit ? info.value_per_victim_year : 0.0, info.outcome),
            (info.points.size() - 1) / std::max<std::size_t>(1, allocation_levels(info)),
            info.allocation_by_net_benefit, info.value_per_victim_year, info.outcome);
        return;
      }
      print_comparison(stdout, facts, info.arm_names.front(),
                       arm_estimates(info.arm_names, summaries, info.replicates), info.value_per_victim_year,
                       info.outcome,
                       cost_effectiveness_rows(info.arm_names,
                                               cost_effectiveness(runs_by_arm(summaries, info.replicates),
                                                                  info.value_per_victim_year, info.outcome)));
      return;
  }
}

// ---- running an experiment ------------------------------------------------------------------
// execute() plans an experiment, checks it can finish, runs it into its run
// file and commits the file, then prints its table.

// What an experiment will record and need, estimated before it starts.
struct ExperimentPlan {
  double max_output = 0;           // --max-output in bytes; 0 = no limit
  double events_per_run = 0;       // measured on pilots; 0 without --events
  double recording_bytes = 0;      // the event log and snapshots of all runs
  std::string recorded_per_run;    // "N events, K snapshots of P persons"
  double runs = 0;                 // points x replicates
  double per_replicate_bytes = 0;  // memory of the largest point's replicate
  std::size_t concurrent = 0;      // replicates in memory at once
  double points_bytes = 0;         // the points' scenarios and models, held throughout
  double needed_bytes = 0;         // the program, the points and the concurrent replicates
};

// The program's own memory beside its replicates: code, HDF5, TBB, the run
// file's buffers (26 MiB resident at the peak for a run of 2 000 persons,
// 2026-12-05).
constexpr double kProgramBytes = 28.0 * 1024 * 1024;
// The run file's index of its chunks, which HDF5 holds in memory as runs are
// written: a run is a chunk of every series, 12 KiB for the 63 series, up to
// what HDF5's metadata cache keeps (measured with 200 to 2 000 runs of 52 to
// 300 steps, 2026-12-06: about 10 MiB held at 2 000 runs).
constexpr double kRunFileBytesPerRun = 12.0 * 1024;
constexpr double kRunFileMostBytes = 16.0 * 1024 * 1024;
// The resolved scenarios' text in memory while the run file is created: the
// strings and HDF5's copy.
constexpr double kLayoutCopies = 1.35;

// Plan: reads --max-output, estimates what the event log and snapshots add
// (printed) and the memory the runs need. Nothing when --max-output is not
// a size (said).
std::optional<ExperimentPlan> plan_experiment(output::RunFileInfo& info, const RunOptions& options) {
  const auto max_output = parse_size(options.max_output);
  if (!max_output) {
    print_error("--max-output " + options.max_output +
                ": not a size; write, e.g., 4G, 500M, 2T or 0 (no limit)");
    return std::nullopt;
  }
  info.max_recording_bytes = static_cast<std::uint64_t>(*max_output);
  ExperimentPlan plan;
  plan.max_output = *max_output;
  const Recording& recording = info.recording;
  const std::size_t points = info.points.size();
  plan.runs = static_cast<double>(points * info.replicates);

  // What the event log and snapshots add, measured on short pilots of up to
  // eight points spread over the experiment.
  if (recording.events) {
    const std::size_t pilots = std::min<std::size_t>(points, 8);
    double sum = 0;
    for (std::size_t k = 0; k < pilots; ++k)
      sum += estimate_events_per_replicate(info.points[pilots == 1 ? 0 : k * (points - 1) / (pilots - 1)]);
    plan.events_per_run = sum / static_cast<double>(pilots);
  }
  for (const Scenario& point : info.points)
    plan.recording_bytes += output::estimate_recording_bytes(point, recording, plan.events_per_run) *
                            static_cast<double>(info.replicates);
  if (recording.events || recording.snapshot_every > 0) {
    const Scenario& first = info.points.front();
    std::string& what = plan.recorded_per_run;
    if (recording.events) what += format_figure(std::round(plan.events_per_run)) + " events";
    if (recording.snapshot_every > 0)
      what += std::string(what.empty() ? "" : ", ") +
              std::to_string(snapshot_count(first.steps(), recording.snapshot_every)) + " snapshots of " +
              format_figure(first.get(Param::population_size)) + " persons";
    const std::string limit = plan.max_output > 0 ? format_bytes(plan.max_output) : std::string("no limit");
    if (!options.quiet && speaks())
      std::fprintf(stderr,
                   "tipsim: estimated size of the event log and snapshots: %s (%s per run x %s runs; "
                   "uncompressed, the file is usually smaller); --max-output: %s\n",
                   format_bytes(plan.recording_bytes).c_str(), what.c_str(), format_figure(plan.runs).c_str(),
                   limit.c_str());
  }

  // Checkpoints: a whole state each, kept in memory until the run ends.
  const auto checkpoints = static_cast<double>(info.checkpoint_steps.size());
  if (checkpoints > 0 && !options.quiet && speaks())
    std::fprintf(stderr,
                 "tipsim: estimated size of the checkpoints: %s (%s per run x %s runs; uncompressed)\n",
                 format_bytes(checkpoints *
                              static_cast<double>(estimate_replicate_bytes(info.points.front())) * plan.runs)
                     .c_str(),
                 format_figure(checkpoints).c_str(), format_figure(plan.runs).c_str());

  // The memory of the replicates that run at once.
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  plan.concurrent =
      std::min<std::size_t>(points * info.replicates, static_cast<std::size_t>(std::max(1, threads)));
  // A world with strata is measured by a pilot (estimate_replicate_bytes): on up to eight points spread
  // over the experiment, as for the event log.
  const std::size_t piloted = std::min<std::size_t>(points, 8);
  std::vector<bool> pilot(points, piloted == 1);
  for (std::size_t j = 0; piloted > 1 && j < piloted; ++j) pilot[j * (points - 1) / (piloted - 1)] = true;
  for (std::size_t k = 0; k < points; ++k) {
    const Scenario& point = info.points[k];
    if (point.get(Param::population_untouched_in_strata) != 0 && !pilot[k]) continue;
    const double snapshots = static_cast<double>(snapshot_count(point.steps(), recording.snapshot_every)) *
                             point.get(Param::population_size) *
                             static_cast<double>(Snapshots::kBytesPerPerson);
    const double events = recording.events ? plan.events_per_run * EventLog::kBytesPerEvent : 0.0;
    plan.per_replicate_bytes = std::max(
        plan.per_replicate_bytes,
        (1 + checkpoints) * static_cast<double>(estimate_replicate_bytes(point)) + events + snapshots);
  }
  // Points that share their first steps keep the state at the end of them (a burn-in) until every point
  // of the family has forked from it; runs go a replicate's family together, so the runs at once use
  // about one burn-in per family they span.
  const SharedStarts starts = shared_starts(info.points);
  std::map<std::size_t, std::size_t> family_size;
  for (std::size_t p = 0; p < info.points.size(); ++p)
    if (starts.steps[p] > 0) ++family_size[starts.leader[p]];
  std::size_t largest_family = 0;
  for (const auto& [leader, size] : family_size) largest_family = std::max(largest_family, size);
  const std::size_t burn_ins =
      largest_family > 0 ? (plan.concurrent + largest_family - 1) / largest_family : std::size_t{0};
  // Every point's scenario and model live for the whole experiment: measured on the first, as
  // the points of one experiment have the same shape.
  plan.points_bytes =
      static_cast<double>(estimate_point_bytes(info.points.front())) * static_cast<double>(points);
  // Before any replicate runs, creating the run file holds every point's resolved scenario as TOML
  // at once, and HDF5 a copy of some of it in its heap (a third, measured with 1 000 points).
  const double layout_bytes = kLayoutCopies * static_cast<double>(resolved_toml(info.points.front()).size()) *
                              static_cast<double>(points);
  plan.needed_bytes =
      kProgramBytes + plan.points_bytes + std::min(kRunFileBytesPerRun * plan.runs, kRunFileMostBytes) +
      std::max(layout_bytes, plan.per_replicate_bytes * static_cast<double>(plan.concurrent + burn_ins));
  return plan;
}

// Check: refuses up front what could not finish, rather than fail half-way:
// a recording over --max-output, more memory than there is, an output that
// is a folder, the file being re-run (`input_path`) or in a folder that
// cannot be made, an event log under mpirun. kExitOk when it may run.
int check_experiment(const output::RunFileInfo& info, const ExperimentPlan& plan,
                     const std::string& output_path, const std::string& input_path) {
  const Recording& recording = info.recording;
  if ((recording.events || recording.snapshot_every > 0) && plan.max_output > 0 &&
      plan.recording_bytes > plan.max_output) {
    print_error("the event log and snapshots would take about " + format_bytes(plan.recording_bytes) + " (" +
                plan.recorded_per_run + " per run x " + format_figure(plan.runs) +
                " runs), more than --max-output " + format_bytes(plan.max_output) +
                "; raise --max-output, run fewer replicates, points or steps, or take snapshots less often");
    return kExitBadInput;
  }

  std::string memory_problem;
  if (const auto available = available_memory_bytes(); available && plan.needed_bytes > *available)
    memory_problem =
        "not enough memory: this run needs about " + format_bytes(plan.needed_bytes) + " (" +
        format_bytes(plan.per_replicate_bytes) + " per replicate x " + std::to_string(plan.concurrent) +
        " replicates at once, " + format_bytes(plan.points_bytes) + " for " +
        (info.points.size() == 1
             ? std::string("the scenario and its model")
             : format_figure(static_cast<double>(info.points.size())) + " points' scenarios and models") +
        ", and " + format_bytes(kProgramBytes) + " for the program) but only " + format_bytes(*available) +
        " is available; lower population.size, --threads or --replicates" +
        (recording.events || recording.snapshot_every > 0 ? ", or record fewer events or snapshots" : "");
  // Each rank has its own machine's memory: all stop when one lacks it.
  if (fails_anywhere(!memory_problem.empty())) {
    if (!memory_problem.empty()) print_failure(memory_problem);
    return kExitBadInput;
  }

  std::error_code ec;
  if (std::filesystem::is_directory(output_path, ec)) {
    print_error("the output '" + output_path + "' is a folder; give the run file's name, e.g. -o " +
                (std::filesystem::path(output_path) / "run.h5").string());
    return kExitBadInput;
  }
  if (!input_path.empty() && std::filesystem::exists(output_path, ec) &&
      std::filesystem::equivalent(output_path, input_path, ec)) {
    print_error("the output '" + output_path +
                "' is the file being re-run; give the new file another name with -o");
    return kExitBadInput;
  }
  const std::filesystem::path folder = std::filesystem::path(output_path).parent_path();
  std::error_code folder_error;
  if (!folder.empty()) std::filesystem::create_directories(folder, folder_error);
  if (fails_anywhere(static_cast<bool>(folder_error))) {
    if (folder_error)
      print_failure("cannot create the output folder '" + folder.string() + "': " + folder_error.message());
    return kExitFailure;
  }

  if (g_job != nullptr && recording.events) {
    print_error(
        "--events cannot be used under mpirun: the event log is kept in run order by one process; run "
        "without mpirun, or leave --events out");
    return kExitBadInput;
  }
  return kExitOk;
}

// Opens the run file to write (or the unfinished one to resume). Null, with
// the exit code in `code`, when it cannot.
std::unique_ptr<output::RunFileWriter> open_run_file(const output::RunFileInfo& info,
                                                     const RunOptions& options,
                                                     const std::string& output_path, int& code) {
  std::unique_ptr<output::RunFileWriter> writer;
  try {
    writer = std::make_unique<output::RunFileWriter>(output_path, info, options.resume_path);
  } catch (const output::FormatError& e) {
    // A file to resume that is not this command's: found by rank 0 and
    // thrown by every rank alike.
    print_error(e.what());
    code = kExitBadInput;
    return nullptr;
  } catch (const std::exception& e) {
    // In a job, possibly this rank's alone (opening the file): end them all.
    print_failure(e.what());
    if (g_job != nullptr) g_job->abort(kExitFailure);
    code = kExitFailure;
    return nullptr;
  }
  return writer;
}

// Run: runs the runs the file still misses (said when it is resumed) into
// `sink`, alone or shared with the other ranks of the job. Nothing when every run is done (the file
// is to be committed); otherwise it was interrupted: the finished runs are
// kept for --resume (or the file removed), that is said, and the exit code
// returned.
std::optional<int> run_missing(const output::RunFileInfo& info, const RunOptions& options,
                               output::RunFileWriter& writer, ReplicateSink& sink, ProgressLine& progress,
                               bool show_progress, ProgressLog& log, const RunStarts& starts) {
  const std::vector<std::size_t> missing = writer.missing_runs();
  const std::size_t total_runs = info.points.size() * info.replicates;
  if (!options.resume_path.empty() && !options.quiet && speaks())
    std::fprintf(stderr, "tipsim: resuming %s: %zu of %zu runs done, %zu to run\n",
                 options.resume_path.c_str(), writer.resumed_runs(), total_runs, missing.size());
  LockedSink locked(sink, g_job ? &g_job->mpi_mutex() : starts ? &fork_file_mutex() : nullptr);
  ExperimentOptions experiment;
  experiment.threads = options.threads;
  experiment.replicates = info.replicates;
  experiment.recording = info.recording;
  experiment.cancel = &stop_requested();
  experiment.checkpoint_steps = info.checkpoint_steps;
  experiment.start = starts;
  // How far the runs got (the most steps any worker reported), for the
  // message of an interrupted run.
  std::atomic<std::uint64_t> steps_reached{0}, steps_total{0};
  experiment.on_progress = [&, lines = progress_lines_requested()](const Progress& p) {
    if (show_progress) progress.update(p);
    if (lines) log.steps_done(p.steps_done, p.steps_total);
    std::uint64_t seen = steps_reached.load(std::memory_order_relaxed);
    while (seen < p.steps_done && !steps_reached.compare_exchange_weak(seen, p.steps_done)) {
    }
    steps_total.store(p.steps_total, std::memory_order_relaxed);
  };

  ExperimentStatus status = ExperimentStatus::Completed;
  if (g_job != nullptr) {
    // Every rank leaves run_experiment() once the shared runs are taken
    // (or it was interrupted); then all agree whether to finish or keep
    // what they have.
    std::unique_ptr<RunQueue> queue = g_job->share_runs(missing);
    experiment.queue = queue.get();
    try {
      status = run_experiment(info.points, experiment, locked);
    } catch (const std::exception& e) {
      // Before the queue's collective end, which the other ranks would
      // reach only once every run is done: end the job now. Its file
      // stays, resumable.
      print_failure(e.what());
      g_job->abort(kExitFailure);
    }
    if (status == ExperimentStatus::Cancelled) g_job->stop_sharing(*queue);
    queue.reset();
    if (g_job->any(status == ExperimentStatus::Cancelled)) status = ExperimentStatus::Cancelled;
  } else {
    // A replicate's runs together, so that its points share their first
    // steps (shared_starts()); the results do not depend on the order.
    const SharedStarts starts = shared_starts(info.points);
    RunList queue(starts.points_sharing() > 0 ? sharing_order(missing, info.replicates, starts) : missing);
    experiment.queue = &queue;
    status = run_experiment(info.points, experiment, locked);
  }
  progress.clear();
  // A stop that came after the last run finished loses nothing: the file
  // is finished like any other.
  if (status != ExperimentStatus::Cancelled || writer.holds_every_run()) return std::nullopt;

  const std::string kept = writer.suspend();
  const int code = stop_signal() == SIGTERM ? 128 + SIGTERM : kExitInterrupted;
  if (!speaks()) return code;
  const std::string reached = steps_total.load() == 0
                                  ? std::string("interrupted before the first step")
                                  : "interrupted after " + std::to_string(steps_reached.load()) + " of " +
                                        std::to_string(steps_total.load()) + " steps";
  if (kept.empty()) {
    std::fprintf(stderr, "tipsim: %s; no run file was written%s\n", reached.c_str(),
                 info.recording.events ? " (a run with an event log cannot be resumed)" : "");
  } else {
    const auto done = static_cast<std::size_t>(std::count_if(
        writer.summaries().begin(), writer.summaries().end(), [](const auto& s) { return !s.empty(); }));
    std::fprintf(stderr,
                 "tipsim: %s; the %zu finished runs of %zu are kept in %s: run the same command "
                 "with --resume %s to run the other %zu\n",
                 reached.c_str(), done, total_runs, kept.c_str(), shell_word(kept).c_str(),
                 total_runs - done);
  }
  return code;
}

// Commit: the finished file takes its name; the runs' summaries, in
// (point, replicate) order.
std::vector<std::vector<double>> commit_run_file(output::RunFileWriter& writer) {
  writer.commit();
  return writer.summaries();
}

// What loading the points noticed (a --set that regions override), each
// once however many points share it.
void print_notes(const std::vector<Scenario>& points) {
  std::set<std::string> printed;
  for (const Scenario& point : points)
    for (const std::string& note : point.notes)
      if (printed.insert(note).second) std::fprintf(stderr, "tipsim: note: %s\n", note.c_str());
}

// Plans, checks, runs and commits an experiment, then prints its table.
// `input_path` is the run file being re-run, which the output must not
// replace.
int execute(output::RunFileInfo& info, const RunOptions& options, const std::string& output_path,
            const std::string& input_path = {}, const RunStarts& starts = {}) {
  if (speaks()) print_notes(info.points);
  // A snapshot is of every person: with strata, the untouched are not yet.
  if (info.recording.snapshot_every > 0)
    for (const Scenario& point : info.points)
      if (point.get(Param::population_untouched_in_strata) != 0) {
        print_error(
            "--snapshot-every records every person, but population.untouched_in_strata = true keeps the "
            "people "
            "nothing has happened to as counts; add --set population.untouched_in_strata=false for snapshots "
            "(every person an agent), or follow the people involved with --events");
        return kExitBadInput;
      }
  info.command_line = options.command_line;
  info.threads = options.threads;
  const std::optional<ExperimentPlan> plan = plan_experiment(info, options);
  if (!plan) return kExitBadInput;
  if (const int refused = check_experiment(info, *plan, output_path, input_path); refused != kExitOk)
    return refused;

  install_stop_handlers();
  const bool progress_lines = progress_lines_requested();
  const bool show_progress = !progress_lines && !options.quiet && speaks() && isatty(STDERR_FILENO) == 1;
  ProgressLine progress(show_progress);
  const auto started = std::chrono::steady_clock::now();
  info.group = g_job;
  // Destroyed without commit() or suspend() on every way out but those:
  // nothing is left at output_path, and the temporary file is removed (or,
  // when it was being resumed, kept with its runs; see RunFileWriter).
  const auto opening = std::chrono::steady_clock::now();
  int open_failure = kExitOk;
  const std::unique_ptr<output::RunFileWriter> writer =
      open_run_file(info, options, output_path, open_failure);
  if (!writer) return open_failure;
  const auto opened = std::chrono::steady_clock::now();
  const std::size_t runs_resumed = writer->resumed_runs();
  ProgressLog log(progress_lines, info.points.size() * info.replicates, g_job ? g_job->rank() : 0,
                  g_job ? g_job->size() : 0);
  ProgressReport report(*writer, log, g_job != nullptr, opening, opened);
  std::vector<std::vector<double>> summaries;
  try {
    if (const std::optional<int> interrupted =
            run_missing(info, options, *writer, report, progress, show_progress, log, starts))
      return *interrupted;
    summaries = commit_run_file(*writer);
  } catch (const output::OutputError& e) {
    progress.clear();
    print_failure(e.what());
    if (g_job != nullptr) g_job->abort(kExitFailure);
    return kExitFailure;
  } catch (const std::exception& e) {
    progress.clear();
    print_failure("the run stopped: " + std::string(e.what()) + "; no run file was written to '" +
                  output_path + "'");
    if (g_job != nullptr) g_job->abort(kExitFailure);
    return kExitFailure;
  }
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (speaks())
    print_result(info, output_path, summaries, wall_seconds, runs_resumed, options.agent_units,
                 plan->needed_bytes);
  return kExitOk;
}

// `tipsim run --from FILE.h5`: the file's points, replicates and recording,
// from the resolved scenarios it stores.
int rerun_command(const RunArguments& arguments) {
  if (!arguments.overrides.empty() || arguments.replicates || arguments.seed || arguments.steps) {
    print_error(
        "--from re-runs the file exactly as it was written; --set, --seed, --steps and --replicates would "
        "change it (run the scenario file with them instead)");
    return kExitBadInput;
  }
  output::RunFileContents contents;
  try {
    contents = output::read_run_file(arguments.from_path, false);
  } catch (const output::OutputError& e) {
    print_error(e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    print_error(arguments.from_path + ": cannot read the run file: " + e.what());
    return kExitBadInput;
  }
  output::RunFileInfo info;
  try {
    for (std::size_t p = 0; p < contents.point_resolved_toml.size(); ++p) {
      Scenario point =
          load_scenario_text(contents.point_resolved_toml[p],
                             arguments.from_path + ":sweep/resolved_toml[" + std::to_string(p) + "]");
      // Provenance: the scenario file the original run was made from.
      point.source_text = contents.source_text;
      point.source_path = contents.source_path;
      info.points.push_back(std::move(point));
    }
    for (std::size_t begin = 0; begin < contents.sweep_definition.size();) {
      std::size_t end = contents.sweep_definition.find('\n', begin);
      if (end == std::string::npos) end = contents.sweep_definition.size();
      const std::string line = contents.sweep_definition.substr(begin, end - begin);
      if (!line.empty()) info.sweep_axes.push_back(parse_vary(line));
      begin = end + 1;
    }
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  if (info.points.empty()) {
    print_error(arguments.from_path + ": the run file holds no scenario to re-run");
    return kExitBadInput;
  }
  info.replicates = contents.dimension("replicate");
  info.experiment = contents.experiment;
  info.arm_names = contents.arm_names;
  if (!std::isnan(contents.value_per_victim_year))
    info.value_per_victim_year = contents.value_per_victim_year;
  info.outcome = contents.outcome;
  info.recording.events = contents.event_log || arguments.events;
  info.recording.snapshot_every = arguments.snapshot_every.value_or(contents.snapshot_every);
  info.checkpoint_steps = contents.checkpoint_steps;
  const std::string output_path = output_of(arguments, arguments.from_path, "-rerun");
  return execute(info, arguments, output_path, arguments.from_path);
}

// The steps --checkpoint-at and --checkpoint-every ask to keep, ascending:
// the state after S steps, S from after + 1 (after: the step a fork starts
// at) to steps - 1. Nothing, once the error is printed, for a step outside.
std::optional<std::vector<std::int32_t>> checkpoint_steps_of(const RunArguments& arguments,
                                                             std::int32_t steps, std::int32_t after) {
  std::set<std::int32_t> chosen;
  for (const std::int32_t step : arguments.checkpoint_at) {
    if (step <= after || step >= steps) {
      print_error("--checkpoint-at " + std::to_string(step) +
                  ": a checkpoint keeps the state after a number of steps from " + std::to_string(after + 1) +
                  " to " + std::to_string(steps - 1) +
                  (after > 0 ? " (the fork starts after step " + std::to_string(after) + ")" : "") + ", of " +
                  std::to_string(steps));
      return std::nullopt;
    }
    chosen.insert(step);
  }
  if (arguments.checkpoint_every)
    for (std::int32_t step = *arguments.checkpoint_every; step < steps; step += *arguments.checkpoint_every)
      if (step > after) chosen.insert(step);
  if (!chosen.empty() && g_job != nullptr) {
    print_error("checkpoints are kept by a run of one process: run without mpirun");
    return std::nullopt;
  }
  return std::vector<std::int32_t>(chosen.begin(), chosen.end());
}

// "260 and 520": the checkpoints nearest to `step`, for a step without one.
std::string nearest_checkpoints(const std::vector<std::int32_t>& steps, std::int32_t step) {
  const auto above = std::upper_bound(steps.begin(), steps.end(), step);
  std::vector<std::int32_t> nearest;
  if (above != steps.begin()) nearest.push_back(*(above - 1));
  if (above != steps.end()) nearest.push_back(*above);
  std::string text;
  for (std::size_t i = 0; i < nearest.size(); ++i)
    text += (i > 0 ? " and " : "") + std::to_string(nearest[i]);
  return text;
}

// The past of replicate `replicate` of a run file before step `at`: its
// series rows, events and snapshots, in the shape a run of `model` keeps.
RunStart past_of(const std::string& path, const output::RunFileContents& parent,
                 const std::optional<output::EventTable>& events, const Model& model, std::size_t replicate,
                 std::int32_t at) {
  RunStart start;
  start.series = output::read_run_rows(parent, path, model.layout, static_cast<std::size_t>(model.steps), 0,
                                       replicate, static_cast<std::size_t>(at));
  if (events) {
    const auto& kind = events->column("kind");
    for (std::size_t i = 0; i < events->size(); ++i) {
      if (events->column("replicate")[i] != static_cast<std::int64_t>(replicate) ||
          events->column("step")[i] >= at)
        continue;
      Event e;
      e.step = static_cast<std::int32_t>(events->column("step")[i]);
      e.person = static_cast<std::int32_t>(events->column("person")[i]);
      e.trafficker = static_cast<std::int32_t>(events->column("trafficker")[i]);
      e.region = static_cast<std::int16_t>(events->column("region")[i]);
      e.intervention = static_cast<std::int16_t>(events->column("intervention")[i]);
      e.kind = static_cast<EventKind>(kind[i]);
      e.form = static_cast<std::int8_t>(events->column("form")[i]);
      e.channel = static_cast<std::int8_t>(events->column("channel")[i]);
      start.events.push_back(e);
    }
  }
  if (parent.snapshot_every > 0) {
    output::RunFileReader reader(path);
    start.snapshots.persons = reader.snapshot_persons();
    for (std::size_t k = 0; k < reader.snapshot_steps().size() && reader.snapshot_steps()[k] < at; ++k) {
      const std::vector<std::vector<double>> fields = reader.read_snapshot(0, replicate, k);
      start.snapshots.steps.push_back(static_cast<std::int32_t>(reader.snapshot_steps()[k]));
      std::size_t f = 0;
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units)              \
  for (const double v : fields.at(f)) start.snapshots.name.push_back(static_cast<type>(v)); \
  ++f;
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
    }
  }
  return start;
}

// The [[intervention]] tables of each --intervention file, after the
// scenario's own. Throws ScenarioError.
void add_intervention_files(Scenario& scenario, const std::vector<std::string>& files) {
  for (const std::string& file : files)
    for (InterventionSpec& iv : load_intervention_file(file, scenario))
      scenario.interventions.push_back(std::move(iv));
}

// `tipsim run --fork FILE.h5 --at STEP [SCENARIO] [--set ...]`: the file's
// runs continued from their checkpoint at STEP under the changed scenario
// (the file's own when none is given), into a new file that names its
// parent. The past (series, events, snapshots before STEP) is the parent's.
int fork_command(const RunArguments& arguments) {
  const std::string& path = arguments.fork_path;
  const std::int32_t at = *arguments.fork_at;
  if (g_job != nullptr) {
    print_error("--fork runs in one process: run it without mpirun");
    return kExitBadInput;
  }
  output::RunFileContents parent;
  std::map<std::size_t, std::vector<std::int32_t>> kept;
  try {
    parent = output::read_run_file(path, true);
    kept = output::read_checkpoint_steps(path);
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitBadInput;
  }
  if (parent.experiment != output::ExperimentKind::Run || parent.point_resolved_toml.size() != 1) {
    print_error(path +
                ": --fork continues the runs of a plain run (tipsim run), not of a sweep or comparison");
    return kExitBadInput;
  }
  if (kept.empty()) {
    print_error(path +
                " keeps no checkpoints: run its scenario with --checkpoint-at STEP or --checkpoint-every K");
    return kExitBadInput;
  }
  const std::vector<std::int32_t>& steps = kept.begin()->second;
  if (!std::binary_search(steps.begin(), steps.end(), at)) {
    print_error(path + " has no checkpoint at step " + std::to_string(at) + "; the nearest are at " +
                nearest_checkpoints(steps, at) + " (--at STEP; " + std::to_string(steps.size()) +
                " checkpoints from " + std::to_string(steps.front()) + " to " + std::to_string(steps.back()) +
                ")");
    return kExitBadInput;
  }
  Scenario original, changed;
  try {
    const std::string source = path + ":sweep/resolved_toml[0]";
    original = load_scenario_text(parent.point_resolved_toml[0], source);
    changed = arguments.scenario_path.empty()
                  ? load_scenario_text(parent.point_resolved_toml[0], source, overrides_of(arguments))
                  : load_scenario_file(arguments.scenario_path, overrides_of(arguments));
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  // Provenance: without a scenario file of its own, the fork is of the parent's.
  if (arguments.scenario_path.empty()) {
    changed.source_text = parent.source_text;
    changed.source_path = parent.source_path;
  }
  // Interventions from files act from the fork on, never in its past.
  try {
    const std::size_t own = changed.interventions.size();
    add_intervention_files(changed, arguments.intervention_files);
    for (std::size_t i = own; i < changed.interventions.size(); ++i)
      if (changed.interventions[i].start_step < at) {
        print_error("--intervention: '" + changed.interventions[i].name + "' starts at step " +
                    std::to_string(changed.interventions[i].start_step) + ", before the fork's step " +
                    std::to_string(at) + "; a fork keeps the past, so its changes start at --at or later");
        return kExitBadInput;
      }
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  if (const std::string refusal = fork_refusal(original, changed); !refusal.empty()) {
    print_error("the fork would change what made the past of " + path + "'s runs:\n" + refusal +
                "a fork keeps the past and changes what acts from step " + std::to_string(at) + " on");
    return kExitBadInput;
  }
  if (changed.steps() <= at) {
    print_error("the fork has " + std::to_string(changed.steps()) + " steps: nothing is left after step " +
                std::to_string(at));
    return kExitBadInput;
  }
  // The parent's runs, or the first --replicates of them.
  const std::size_t replicates = arguments.replicates
                                     ? static_cast<std::size_t>(changed.get_int(Param::scenario_replicates))
                                     : parent.dimension("replicate");
  for (std::size_t r = 0; r < replicates; ++r)
    if (!kept.contains(r) || !std::binary_search(kept[r].begin(), kept[r].end(), at)) {
      print_error(path + " has no checkpoint of replicate " + std::to_string(r) + " at step " +
                  std::to_string(at) + " (it holds " + std::to_string(parent.dimension("replicate")) +
                  " replicates)");
      return kExitBadInput;
    }
  if ((arguments.events && !parent.event_log) ||
      (arguments.snapshot_every && *arguments.snapshot_every != parent.snapshot_every)) {
    print_error("a fork records what " + path +
                " recorded (its past is the file's): leave out --events and --snapshot-every");
    return kExitBadInput;
  }
  output::RunFileInfo info;
  info.points.push_back(changed);
  info.replicates = replicates;
  info.recording.events = parent.event_log;
  info.recording.snapshot_every = parent.snapshot_every;
  const std::optional<std::vector<std::int32_t>> checkpoints =
      checkpoint_steps_of(arguments, changed.steps(), at);
  if (!checkpoints) return kExitBadInput;
  info.checkpoint_steps = *checkpoints;
  info.forked_from = path;
  info.forked_from_created = parent.text("created");
  info.forked_at_step = at;

  // Read as runs ask for them, one at a time: a world's state is large.
  const auto model = std::make_shared<const Model>(compile_model(changed));
  std::optional<output::EventTable> events;
  if (parent.event_log) events = output::read_event_table(path);
  const RunStarts starts = [&](std::size_t replicate) -> std::shared_ptr<const RunStart> {
    std::lock_guard lock(fork_file_mutex());
    auto start = std::make_shared<RunStart>(past_of(path, parent, events, *model, replicate, at));
    start->state = state_from_arrays(*model, output::read_checkpoint(path, replicate, at));
    if (start->state.replicate != replicate || start->state.step != at)
      throw output::FormatError(path +
                                ": damaged checkpoint: " + output::checkpoint_group_name(replicate, at) +
                                " holds replicate " + std::to_string(start->state.replicate) +
                                " after step " + std::to_string(start->state.step));
    return start;
  };
  const std::string output_path = output_of(arguments, path, "-fork-" + std::to_string(at));
  return execute(info, arguments, output_path, path, starts);
}

}  // namespace

int run_experiment_command(output::RunFileInfo& info, const RunOptions& options,
                           const std::string& output_path) {
  return execute(info, options, output_path);
}
Recording recording_for(const RunOptions& options) { return recording_of(options); }
std::string output_path_for(const RunOptions& options, const std::string& source, const std::string& suffix) {
  return output_of(options, source, suffix);
}

// The --set arguments and the shorthands, in the order the loader applies them.
std::vector<std::string> overrides_of(const RunOptions& options) {
  std::vector<std::string> overrides = options.overrides;
  // The loader reads KEY*=FACTOR as a factor on every value of KEY.
  for (const std::string& scale : options.scales) {
    const auto eq = scale.find('=');
    overrides.push_back(eq == std::string::npos ? scale : scale.substr(0, eq) + "*" + scale.substr(eq));
  }
  if (options.replicates) overrides.push_back("scenario.replicates=" + *options.replicates);
  if (options.seed) overrides.push_back("scenario.seed=" + *options.seed);
  if (options.steps) overrides.push_back("scenario.steps=" + *options.steps);
  return overrides;
}

void print_error(const std::string& message) {
  if (speaks()) std::fprintf(stderr, "tipsim: error: %s\n", message.c_str());
}

void set_parallel_job(ParallelJob* job) { g_job = job; }

std::optional<double> parse_size(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double number = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(number) || number < 0) return std::nullopt;
  std::string unit(end);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::pair<const char*, double> units[] = {
      {"", 1},         {"B", 1},       {"K", 0x1p10},   {"KB", 0x1p10},  {"KIB", 0x1p10},
      {"M", 0x1p20},   {"MB", 0x1p20}, {"MIB", 0x1p20}, {"G", 0x1p30},   {"GB", 0x1p30},
      {"GIB", 0x1p30}, {"T", 0x1p40},  {"TB", 0x1p40},  {"TIB", 0x1p40},
  };
  for (const auto& [name, factor] : units)
    if (unit == name) return std::floor(number * factor);
  return std::nullopt;
}

int run_command(const RunArguments& arguments) {
  if (!arguments.fork_path.empty()) return fork_command(arguments);
  if (!arguments.from_path.empty()) {
    if (!arguments.intervention_files.empty()) {
      print_error("--from repeats a run as it was; put interventions in a scenario, or --fork it");
      return kExitBadInput;
    }
    return rerun_command(arguments);
  }
  output::RunFileInfo info;
  try {
    info.points.push_back(load_scenario_file(arguments.scenario_path, overrides_of(arguments)));
    add_intervention_files(info.points.back(), arguments.intervention_files);
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  info.replicates = static_cast<std::size_t>(info.points.front().get_int(Param::scenario_replicates));
  info.recording = recording_of(arguments);
  const std::optional<std::vector<std::int32_t>> checkpoints =
      checkpoint_steps_of(arguments, info.points.front().steps(), 0);
  if (!checkpoints) return kExitBadInput;
  info.checkpoint_steps = *checkpoints;
  const std::string output_path = output_of(arguments, arguments.scenario_path, "");
  return execute(info, arguments, output_path);
}

int sweep_command(const SweepArguments& arguments) {
  const std::vector<std::string> base = overrides_of(arguments);
  output::RunFileInfo info;
  info.experiment = output::ExperimentKind::Sweep;
  std::vector<std::vector<std::string>> grid;
  try {
    for (const std::string& vary : arguments.vary) info.sweep_axes.push_back(parse_vary(vary));
    grid = sweep_grid(info.sweep_axes);
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  // A --vary problem is reported at the --vary that gave it, once. The
  // overrides after `base` are the values of the axes from `first_axis` on.
  IssueList issues;
  auto add_issues = [&](const ScenarioError& e, std::size_t first_axis) {
    for (ScenarioIssue issue : e.issues) {
      const auto position = static_cast<std::size_t>(issue.where.line);
      if (issue.where.file == kCommandLineSource && position > base.size()) {
        const VaryAxis& axis = info.sweep_axes.at(first_axis + position - base.size() - 1);
        issue.message += " (from --vary " + axis.definition + ")";
        issue.where = SourceLocation{std::string(kVarySource), 0, 0};
      }
      issues.add(issue);
    }
  };
  // The keys first, each with its first value only, so that an unknown key
  // is reported once rather than at every value.
  Scenario unvaried;
  try {
    unvaried = load_scenario_file(arguments.scenario_path, base);
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  for (std::size_t a = 0; a < info.sweep_axes.size(); ++a) {
    const VaryAxis& axis = info.sweep_axes[a];
    if (find_key(unvaried, axis.key).param != nullptr) continue;
    std::vector<std::string> overrides = base;
    overrides.push_back(axis.key + "=" + axis.values.front());
    try {
      load_scenario_file(arguments.scenario_path, overrides);
    } catch (const ScenarioError& e) {
      add_issues(e, a);
    }
  }
  if (!issues.empty()) {
    issues.print();
    return kExitBadInput;
  }
  // Every point is loaded with its values as --set overrides, so each value
  // is checked like any other.
  for (const std::vector<std::string>& point : grid) {
    std::vector<std::string> overrides = base;
    overrides.insert(overrides.end(), point.begin(), point.end());
    try {
      info.points.push_back(load_scenario_file(arguments.scenario_path, overrides));
    } catch (const ScenarioError& e) {
      add_issues(e, 0);
    }
  }
  if (!issues.empty()) {
    issues.print();
    return kExitBadInput;
  }
  info.replicates = static_cast<std::size_t>(info.points.front().get_int(Param::scenario_replicates));
  info.recording = recording_of(arguments);
  if (info.recording.snapshot_every > 0) {
    for (const Scenario& point : info.points) {
      if (point.get(Param::population_size) != info.points.front().get(Param::population_size)) {
        print_error(
            "--snapshot-every needs every point to have the same population.size; do not vary it, or "
            "leave snapshots out");
        return kExitBadInput;
      }
    }
  }
  const std::string output_path = output_of(arguments, arguments.scenario_path, "-sweep");
  return execute(info, arguments, output_path);
}

int compare_command(const CompareArguments& arguments) {
  const std::vector<std::string> base = overrides_of(arguments);
  const std::vector<std::string>& paths = arguments.scenario_paths;
  output::RunFileInfo info;
  info.experiment = output::ExperimentKind::Comparison;
  info.value_per_victim_year = arguments.value_per_victim_year;
  info.points.reserve(paths.size());  // `baseline` below refers into it
  try {
    info.points.push_back(load_scenario_file(paths.front(), base));
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  const Scenario& baseline = info.points.front();
  info.outcome = arguments.outcome;
  if (arguments.outcome == Averted::Harm)
    info.value_per_victim_year = arguments.value_per_qaly.value_or(baseline.get(Param::harm_usd_per_qaly));
  // Every arm runs on the baseline's random streams (seed) and replicates,
  // so that replicate r of each arm is paired with replicate r of the
  // baseline (common random numbers).
  std::vector<std::string> arm_overrides = base;
  arm_overrides.push_back("scenario.seed=" + std::to_string(baseline.seed()));
  arm_overrides.push_back("scenario.replicates=" +
                          std::to_string(baseline.get_int(Param::scenario_replicates)));
  bool loaded = true;
  for (std::size_t a = 1; a < paths.size(); ++a) {
    try {
      info.points.push_back(load_scenario_file(paths[a], arm_overrides));
    } catch (const ScenarioError& e) {
      print_scenario_error(e);
      loaded = false;
    }
  }
  if (!loaded) return kExitBadInput;

  // Effects are differences of totals over the same steps of the same
  // world; anything else would compare unlike with unlike.
  std::vector<std::string> mismatches;
  for (std::size_t a = 1; a < paths.size(); ++a) {
    const Scenario& arm = info.points[a];
    auto differ = [&](const char* what, const std::string& arm_value, const std::string& baseline_value) {
      if (arm_value != baseline_value)
        mismatches.push_back(paths[a] + ": " + what + " is " + arm_value + " but the baseline " +
                             paths.front() + " has " + baseline_value);
    };
    for (Param p : {Param::scenario_steps, Param::scenario_step_days, Param::scenario_burn_in_steps,
                    Param::population_size, Param::population_scale})
      differ(std::string(spec(p).key).c_str(), format_value(spec(p), arm.get(p)),
             format_value(spec(p), baseline.get(p)));
    std::string arm_regions, baseline_regions;
    for (const RegionSpec& r : arm.regions) arm_regions += (arm_regions.empty() ? "" : ", ") + r.name;
    for (const RegionSpec& r : baseline.regions)
      baseline_regions += (baseline_regions.empty() ? "" : ", ") + r.name;
    differ("the list of regions", "[" + arm_regions + "]", "[" + baseline_regions + "]");
  }
  if (!mismatches.empty()) {
    for (const std::string& m : mismatches) print_error(m);
    print_error(
        "every arm of a comparison must share the baseline's steps, step length, burn-in, population size "
        "and scale, and regions");
    return kExitBadInput;
  }

  // Arm labels: the scenario names, made unique.
  for (std::size_t a = 0; a < info.points.size(); ++a) {
    std::string name =
        info.points[a].name.empty() ? std::filesystem::path(paths[a]).stem().string() : info.points[a].name;
    const std::string plain = name;
    for (int copy = 2; std::find(info.arm_names.begin(), info.arm_names.end(), name) != info.arm_names.end();
         ++copy)
      name = plain + " (" + std::to_string(copy) + ")";
    info.arm_names.push_back(name);
  }
  info.replicates = static_cast<std::size_t>(baseline.get_int(Param::scenario_replicates));
  info.recording = recording_of(arguments);
  const std::string output_path = output_of(arguments, paths.front(), "-comparison");
  return execute(info, arguments, output_path);
}

}  // namespace tipsim::cli
