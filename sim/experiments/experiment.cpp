#include "experiment.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>

#include "simulation.hpp"

namespace tipsim {

namespace {

// glibc keeps what a thread frees in that thread's arena, where a run on
// another thread cannot reuse it: a finished run's state and series would
// stay resident beside the runs that follow (17 MiB of 83 in a comparison
// of the calibrated world on two threads). Handing it back keeps memory to
// the runs at once, which is what the memory estimate counts.
void release_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

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

// The same world and parameters; names, descriptions and interventions aside.
bool same_world(const Scenario& a, const Scenario& b) {
  return a.globals == b.globals && a.regions == b.regions && a.routes == b.routes;
}

// The burn-ins (shared first steps, run once: the state at their end and
// what they recorded) of the (family, replicate) pairs whose runs are in
// progress. The first run to need one runs it; the others wait for it. A
// burn-in is dropped once every point of its family has used it, or, beyond
// `capacity` kept at once, the oldest is (a later run of its family and
// replicate runs it again: same result).
class BurnIns {
 public:
  using Shared = std::shared_ptr<const RunStart>;
  using Key = std::pair<std::size_t, std::size_t>;  // family leader, replicate
  BurnIns(const SharedStarts& starts, std::size_t capacity) : capacity_(capacity) {
    for (const std::size_t leader : starts.leader) ++family_size_[leader];
  }

  // The burn-in of `replicate` in the family led by `leader`, made by
  // `make` if no run has made it; null if `make` gave up (a stop).
  template <typename Make>
  Shared get(std::size_t leader, std::size_t replicate, Make make) {
    const Key key{leader, replicate};
    std::shared_future<Shared> future;
    std::promise<Shared> promise;
    bool mine = false;
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        future = promise.get_future().share();
        entries_.emplace(key, Entry{future, 0});
        order_.push_back(key);
        mine = true;
        while (entries_.size() > capacity_ && order_.front() != key) {
          entries_.erase(order_.front());
          order_.erase(order_.begin());
        }
      } else {
        future = it->second.future;
      }
    }
    if (mine) {
      try {
        // Isolated: while its steps wait for their parallel work, this
        // thread must not pick up another run, which might wait for this
        // very burn-in.
        promise.set_value(tbb::this_task_arena::isolate([&] { return make(); }));
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
    }
    Shared burn_in = future.get();
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end() && ++it->second.uses >= family_size_[leader]) {
      entries_.erase(it);
      order_.erase(std::find(order_.begin(), order_.end(), key));
    }
    return burn_in;
  }

 private:
  struct Entry {
    std::shared_future<Shared> future;
    std::size_t uses;
  };
  std::map<std::size_t, std::size_t> family_size_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::vector<Key> order_;  // by when the burn-in was asked for first
};

}  // namespace

std::int32_t shared_steps(const std::vector<Scenario>& points) {
  if (points.size() < 2) return 0;
  const Scenario& first = points.front();
  std::size_t common = first.interventions.size();
  for (const Scenario& s : points) {
    if (!same_world(first, s)) return 0;
    std::size_t k = 0;
    while (k < common && k < s.interventions.size() && first.interventions[k] == s.interventions[k]) ++k;
    common = k;
  }
  std::int64_t shared = first.steps();
  for (const Scenario& s : points)
    for (std::size_t i = common; i < s.interventions.size(); ++i)
      shared = std::min(shared, s.interventions[i].start_step);
  return static_cast<std::int32_t>(std::max<std::int64_t>(0, shared));
}

std::size_t SharedStarts::points_sharing() const {
  return static_cast<std::size_t>(
      std::count_if(steps.begin(), steps.end(), [](std::int32_t s) { return s > 0; }));
}

SharedStarts shared_starts(const std::vector<Scenario>& points) {
  SharedStarts starts;
  starts.leader.resize(points.size());
  starts.steps.assign(points.size(), 0);
  std::map<std::size_t, std::vector<std::size_t>> families;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const auto family = std::find_if(families.begin(), families.end(),
                                     [&](const auto& f) { return same_world(points[f.first], points[p]); });
    const std::size_t leader = family != families.end() ? family->first : p;
    starts.leader[p] = leader;
    families[leader].push_back(p);
  }
  for (const auto& [first, members] : families) {
    std::vector<Scenario> family;
    for (const std::size_t p : members) family.push_back(points[p]);
    const std::int32_t shared = shared_steps(family);
    for (const std::size_t p : members) starts.steps[p] = shared;
  }
  return starts;
}

std::vector<std::size_t> sharing_order(std::vector<std::size_t> runs, std::size_t replicates,
                                       const SharedStarts& starts) {
  auto key = [&](std::size_t run) { return std::pair{run % replicates, starts.leader[run / replicates]}; };
  std::stable_sort(runs.begin(), runs.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  return runs;
}

std::vector<std::size_t> all_runs(std::size_t runs) {
  std::vector<std::size_t> indices(runs);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  return indices;
}

ExperimentStatus run_experiment(const std::vector<Scenario>& points, const ExperimentOptions& options,
                                ReplicateSink& sink) {
  const std::size_t replicates = options.replicates;
  const std::size_t runs = points.size() * replicates;
  // The first steps a family of points has in common run once per
  // replicate; by default a replicate's runs go together, a family's within
  // them, so its burn-in serves them all. Runs that keep checkpoints or
  // start from a fork run every step of their own.
  const bool alone = options.start || !options.checkpoint_steps.empty();
  const SharedStarts starts = alone ? SharedStarts{std::vector<std::size_t>(points.size(), 0),
                                                   std::vector<std::int32_t>(points.size(), 0)}
                                    : shared_starts(points);
  const bool sharing = starts.points_sharing() > 0;
  RunList every_run(options.queue ? std::vector<std::size_t>{}
                    : sharing     ? sharing_order(all_runs(runs), replicates, starts)
                                  : all_runs(runs));
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

  const int concurrency = options.threads > 0 ? options.threads : tbb::this_task_arena::max_concurrency();
  BurnIns burn_ins(starts, static_cast<std::size_t>(std::max(1, concurrency)) + 1);

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
      std::optional<Simulation> forked;
      // Where the run starts: a fork's checkpoint, its family's burn-in, or step 0.
      std::shared_ptr<const RunStart> start;
      const std::int32_t shared = starts.steps[point];
      if (options.start) {
        start = options.start(replicate);
      } else if (shared > 0) {
        const std::size_t leader = starts.leader[point];
        start = burn_ins.get(leader, replicate, [&]() -> BurnIns::Shared {
          Simulation first(models[leader], static_cast<std::uint32_t>(replicate), options.recording);
          while (first.steps_done() < shared) {
            if (cancelled()) return nullptr;
            first.step();
          }
          auto made = std::make_shared<RunStart>();
          made->state = first.checkpoint();
          made->series = first.take_series();
          made->events = first.take_events();
          made->snapshots = first.take_snapshots();
          return made;
        });
        if (!start) return;
      }
      if (start) {
        forked.emplace(models[point], start->state, options.recording);
        forked->adopt_past(start->series, start->events, start->snapshots);
        steps_done += static_cast<std::uint64_t>(start->state.step);
      }
      Simulation simulation =
          forked ? std::move(*forked)
                 : Simulation(models[point], static_cast<std::uint32_t>(replicate), options.recording);
      // A fork keeps the checkpoints after its start (those before are its parent's).
      std::vector<State> checkpoints;
      auto next_checkpoint = std::upper_bound(options.checkpoint_steps.begin(),
                                              options.checkpoint_steps.end(), simulation.steps_done());
      while (!simulation.finished()) {
        if (cancelled()) return;
        simulation.step();
        if (next_checkpoint != options.checkpoint_steps.end() &&
            *next_checkpoint == simulation.steps_done()) {
          checkpoints.push_back(simulation.checkpoint());
          ++next_checkpoint;
        }
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
      result.checkpoints = std::move(checkpoints);
      result.summary = summarize(result.series, points[point]);
      delivery.deliver(ticket, std::move(result));
      ++runs_done;
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
    release_freed_memory();
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
