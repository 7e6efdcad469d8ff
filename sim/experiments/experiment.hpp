// Running many replicates (and, later, sweep points) of scenarios in
// parallel and handing each finished one, in order, to a sink.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "events.hpp"
#include "metrics.hpp"
#include "params.hpp"
#include "simulation.hpp"
#include "snapshots.hpp"

namespace tipsim {

// One finished replicate.
struct ReplicateResult {
  std::size_t point = 0;
  std::size_t replicate = 0;
  Series series;
  std::vector<double> summary;  // one value per summary_table() row
  EventList events;             // empty unless ExperimentOptions::recording.events
  Snapshots snapshots;          // empty unless ExperimentOptions::recording.snapshot_every
  // The whole state at the end of each step of ExperimentOptions::checkpoint_steps, by step.
  std::vector<State> checkpoints;
};

// Where a run starts when it does not start at step 0: the whole state at
// the end of some step of its replicate and what the run recorded before
// (the series rows, events and snapshots of the earlier steps).
struct RunStart {
  State state;
  Series series;
  EventList events;
  Snapshots snapshots;
};

// Receives finished replicates in the order their runs were handed out (run
// index order, or a replicate's runs together when points share their
// first steps: sharing_order()), one call at a time. A sink may throw; the
// run then stops and the exception propagates.
class ReplicateSink {
 public:
  virtual ~ReplicateSink() = default;
  virtual void consume(ReplicateResult&& result) = 0;
};

// Hands out the runs one process does, by run index (point * replicates +
// replicate). The workers of run_experiment() call next() one at a time
// (never concurrently), and each index must be handed out once; finished
// runs are delivered in the order they were handed out.
// Other processes may take their share of the same runs (MPI ranks).
class RunQueue {
 public:
  virtual ~RunQueue() = default;
  // The next run for this process; nothing when no run is left for it.
  virtual std::optional<std::size_t> next() = 0;
  // Runs (and steps) this process does at most, for progress: all of them
  // when nothing is shared.
  virtual std::size_t runs_at_most() const = 0;
};

// The given runs, in order, all for this process: every run of an
// experiment, or those a resumed one still lacks.
class RunList : public RunQueue {
 public:
  explicit RunList(std::vector<std::size_t> runs) : runs_(std::move(runs)) {}
  std::optional<std::size_t> next() override {
    if (position_ >= runs_.size()) return std::nullopt;
    return runs_[position_++];
  }
  std::size_t runs_at_most() const override { return runs_.size(); }

 private:
  std::vector<std::size_t> runs_;
  std::size_t position_ = 0;
};

// Every run index of `runs` runs, 0 to runs - 1.
std::vector<std::size_t> all_runs(std::size_t runs);

struct Progress {
  std::uint64_t steps_done = 0;  // over all runs
  std::uint64_t steps_total = 0;
  std::size_t runs_done = 0;
  std::size_t runs_total = 0;
};

struct ExperimentOptions {
  int threads = 0;  // 0 = all cores; changes speed only, never results
  std::size_t replicates = 1;
  Recording recording;  // event log and snapshots of every replicate
  // Called from worker threads, at most every few steps; must be cheap and thread-safe.
  std::function<void(const Progress&)> on_progress;
  // Polled between steps; when it becomes true the run stops early.
  const std::atomic<bool>* cancel = nullptr;
  // The runs to do; null: every (point, replicate) run. The sink receives
  // them in the order the queue hands them out.
  RunQueue* queue = nullptr;
  // Steps at whose end every run keeps its whole state (ReplicateResult::
  // checkpoints), ascending; steps past a run's end, or before a fork's
  // start, are ignored. The points then share no first steps.
  std::vector<std::int32_t> checkpoint_steps;
  // Forks: where each replicate's runs start (a checkpoint of an earlier
  // run and its past), called once per run; null: at step 0. The points
  // then share no first steps of their own.
  std::function<std::shared_ptr<const RunStart>(std::size_t replicate)> start;
};

enum class ExperimentStatus { Completed, Cancelled };

// The steps at the start of a run that every point has in common: the
// points are one scenario (parameters, regions, routes) whose lists of
// interventions share a first part, and the shared steps end where the
// first intervention of any point's different rest starts (all steps when
// the points are the same). 0 when the points differ otherwise, or there is
// one point. run_experiment() runs these steps once per replicate and forks
// every point from there; the results are what separate runs give, bit for
// bit.
std::int32_t shared_steps(const std::vector<Scenario>& points);

// How the points of an experiment share their first steps. Points of the
// same world (parameters, regions, routes) form a family, led by its first
// point, whose points run the steps they have in common (shared_steps() of
// the family) once per replicate and fork from there: a comparison of
// interventions beside arms with other budgets shares what it can.
struct SharedStarts {
  std::vector<std::size_t> leader;  // per point: the first point of its family
  std::vector<std::int32_t> steps;  // per point: the first steps its family shares (0: it runs alone)

  // Points that share their first steps with another.
  std::size_t points_sharing() const;
};
SharedStarts shared_starts(const std::vector<Scenario>& points);

// The order of runs (index point x replicates + replicate) that lets points
// share their first steps: a replicate's runs together, a family's together
// within them. Other orders give the same results, and may recompute the
// shared steps.
std::vector<std::size_t> sharing_order(std::vector<std::size_t> runs, std::size_t replicates,
                                       const SharedStarts& starts);

// Runs every (point, replicate) pair, or those options.queue hands out.
// Each point is a complete scenario; the random streams depend on the seed
// and the replicate only, so points share them (common random numbers),
// and a run's results do not depend on which process or thread runs it.
ExperimentStatus run_experiment(const std::vector<Scenario>& points, const ExperimentOptions& options,
                                ReplicateSink& sink);

// Events one replicate of the scenario records, estimated from a pilot:
// the first `pilot_steps` steps of replicate 0, extrapolated to the whole
// run. An estimate, for sizing output before a run (it gates --max-output);
// never exact. Its promise (docs/reliability.md, tested by tests/
// limits_test.cpp): a run records at most twice the estimate per replicate,
// and the estimate is at most 1.6 times the record, each give or take 100
// events; measured, a world where trafficking grows for years from its
// starting state records up to 1.8 times it. It cannot foresee what the
// pilot does not show: an intervention that raises activity after the
// pilot, or traffickers who arrive later, can make a run record several
// times the estimate (the run file writer then stops at --max-output).
double estimate_events_per_replicate(const Scenario& scenario, std::int32_t pilot_steps = 13);

}  // namespace tipsim
