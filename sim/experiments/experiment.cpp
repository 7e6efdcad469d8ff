#include "experiment.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>

#include "simulation.hpp"

namespace tipsim {

namespace {

// Hands finished runs to the sink in the order they were taken from the
// queue (tickets 0, 1, 2, ...), whatever order they finish in.
class OrderedDelivery {
 public:
  explicit OrderedDelivery(ReplicateSink& sink) : sink_(sink) {}

  void deliver(std::size_t ticket, ReplicateResult&& result) {
    std::lock_guard lock(mutex_);
    // Once the sink has failed (a full disk), later runs are not handed to
    // it: its first error is the one reported, not "consume after a failure".
    if (failed_) return;
    pending_.emplace(ticket, std::move(result));
    while (!pending_.empty() && pending_.begin()->first == next_) {
      ReplicateResult ready = std::move(pending_.begin()->second);
      pending_.erase(pending_.begin());
      ++next_;
      try {
        sink_.consume(std::move(ready));
      } catch (...) {
        failed_ = true;
        throw;
      }
    }
  }

 private:
  ReplicateSink& sink_;
  std::mutex mutex_;
  std::map<std::size_t, ReplicateResult> pending_;
  std::size_t next_ = 0;
  bool failed_ = false;
};

}  // namespace

std::vector<std::size_t> all_runs(std::size_t runs) {
  std::vector<std::size_t> indices(runs);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  return indices;
}

ExperimentStatus run_experiment(const std::vector<Scenario>& points, const ExperimentOptions& options,
                                ReplicateSink& sink) {
  const std::size_t replicates = options.replicates;
  const std::size_t runs = points.size() * replicates;
  RunList every_run(options.queue ? std::vector<std::size_t>{} : all_runs(runs));
  RunQueue& queue = options.queue ? *options.queue : every_run;
  Progress total;
  total.runs_total = queue.runs_at_most();
  // Points share their number of steps in every file tipsim writes; the
  // longest bounds the total otherwise.
  std::int32_t longest = 0;
  for (const Scenario& s : points) longest = std::max(longest, s.steps());
  total.steps_total = static_cast<std::uint64_t>(longest) * total.runs_total;
  // Each point is compiled once; its replicates share the model.
  std::vector<std::shared_ptr<const Model>> models;
  models.reserve(points.size());
  for (const Scenario& s : points) models.push_back(std::make_shared<const Model>(compile_model(s)));

  std::atomic<std::uint64_t> steps_done{0};
  std::atomic<std::size_t> runs_done{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  OrderedDelivery delivery(sink);
  auto cancelled = [&] { return stop.load() || (options.cancel && options.cancel->load()); };

  auto run_one = [&](std::size_t ticket, std::size_t index) {
    if (cancelled()) return;
    try {
      if (index >= runs) throw std::out_of_range("run_experiment: the queue handed out a run past the last");
      const std::size_t point = index / replicates, replicate = index % replicates;
      Simulation simulation(models[point], static_cast<std::uint32_t>(replicate), options.recording);
      while (!simulation.finished()) {
        if (cancelled()) return;
        simulation.step();
        const std::uint64_t done = ++steps_done;
        if (options.on_progress) {
          Progress progress = total;
          progress.steps_done = done;
          progress.runs_done = runs_done.load();
          options.on_progress(progress);
        }
      }
      ReplicateResult result;
      result.point = point;
      result.replicate = replicate;
      result.series = simulation.take_series();
      result.events = simulation.take_events();
      result.snapshots = simulation.take_snapshots();
      result.summary = summarize(
          result.series, static_cast<std::size_t>(points[point].get_int(Param::scenario_burn_in_steps)),
          points[point].step_years(), points[point].get(Param::population_scale));
      delivery.deliver(ticket, std::move(result));
      ++runs_done;
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };

  // Each worker takes the next run from the queue, so runs finish roughly
  // in order and few finished runs wait for an earlier one: memory stays
  // bounded by the number of workers, not the number of runs. Steps inside
  // a run are parallel too; idle workers help with those.
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  std::mutex queue_mutex;
  std::size_t next_ticket = 0;
  auto take = [&]() -> std::optional<std::pair<std::size_t, std::size_t>> {
    std::lock_guard lock(queue_mutex);
    if (cancelled()) return std::nullopt;
    std::optional<std::size_t> index;
    try {
      index = queue.next();
    } catch (...) {
      std::lock_guard failure_lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
      return std::nullopt;
    }
    if (!index) return std::nullopt;
    return std::pair{next_ticket++, *index};
  };
  const auto workers = static_cast<std::size_t>(arena.max_concurrency());
  const std::size_t tasks = std::max<std::size_t>(1, std::min(workers, total.runs_total));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, tasks, [&](std::size_t) {
      while (const auto work = take()) run_one(work->first, work->second);
    });
  });
  if (failure) std::rethrow_exception(failure);
  if (options.cancel && options.cancel->load()) return ExperimentStatus::Cancelled;
  if (options.on_progress) {
    Progress progress = total;
    progress.steps_done = steps_done.load();
    progress.runs_done = runs_done.load();
    options.on_progress(progress);
  }
  return ExperimentStatus::Completed;
}

double estimate_events_per_replicate(const Scenario& scenario, std::int32_t pilot_steps) {
  const std::int32_t steps = std::min(scenario.steps(), std::max<std::int32_t>(1, pilot_steps));
  if (steps <= 0) return 0;
  Recording recording;
  recording.events = true;
  Simulation pilot(scenario, 0, recording);
  for (std::int32_t s = 0; s < steps; ++s) pilot.step();
  const double per_step = static_cast<double>(pilot.event_log()->events().size()) / steps;
  return per_step * scenario.steps();
}

}  // namespace tipsim
