#include "live_session.hpp"

#include <filesystem>
#include <new>

#include "run_file.hpp"
#include "simulation.hpp"
#include "timeline.hpp"

namespace tipsim::viz {

using Clock = std::chrono::steady_clock;

LiveSession::LiveSession(Scenario scenario, std::string command_line, std::optional<BranchPoint> branch)
    : base_(std::move(scenario)),
      command_line_(std::move(command_line)),
      branch_(std::move(branch)),
      seeded_(base_) {
  status_.steps_total = base_.steps();
  status_.seed = base_.seed();
  worker_ = std::thread([this] { run_worker(); });
}

LiveSession::~LiveSession() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void LiveSession::submit(Command command) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }
  wake_.notify_all();
}

void LiveSession::play() { submit({Command::Play}); }
void LiveSession::pause() { submit({Command::Pause}); }
void LiveSession::step_once() { submit({Command::Step}); }
void LiveSession::set_speed(double steps_per_second) { submit({Command::Speed, steps_per_second}); }
void LiveSession::reset_with_new_seed() { submit({Command::Reset}); }
void LiveSession::advance(std::int32_t steps) { submit({Command::Advance, static_cast<double>(steps)}); }
void LiveSession::save(const std::string& path, const std::string& comment) {
  Command c{Command::Save, 0, -1, Param::scenario_seed, path};
  c.comment = comment;
  submit(std::move(c));
}
void LiveSession::add_interventions(std::vector<InterventionSpec> interventions) {
  Command c{Command::Add};
  c.interventions = std::move(interventions);
  submit(std::move(c));
}
void LiveSession::stop_at(std::int32_t steps_done) {
  submit({Command::StopAt, static_cast<double>(steps_done)});
}
void LiveSession::set_lever(std::int32_t region, Param param, double value) {
  submit({Command::Lever, value, region, param});
}

void LiveSession::poll(LiveView& view) {
  std::lock_guard lock(mutex_);
  if (view.generation != status_.generation) {
    view.generation = status_.generation;
    view.history = Series(FrameLayout(base_.regions.size()), static_cast<std::size_t>(base_.steps()));
    view.frames = 0;
  }
  // The interface shows real people: each frame is converted as it arrives.
  for (auto& [step, frame] : new_frames_) {
    auto target = view.history.frame(static_cast<std::size_t>(step));
    std::copy(frame.begin(), frame.end(), target.begin());
    to_real_units(view.history.layout(), target, base_.get(Param::population_scale));
    view.frames = std::max(view.frames, step + 1);
  }
  new_frames_.clear();
  view.status = status_;
}

LiveStatus LiveSession::status() {
  std::lock_guard lock(mutex_);
  return status_;
}

bool LiveSession::wait_for(const std::function<bool(const LiveStatus&)>& done,
                           std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return published_.wait_for(lock, timeout, [&] { return done(status_); });
}

void LiveSession::run_worker() {
  build_world();
  while (true) {
    std::deque<Command> commands;
    {
      std::unique_lock lock(mutex_);
      const bool at_stop = simulation_ && simulation_->steps_done() == stop_at_;
      const bool wants_step =
          simulation_ && !simulation_->finished() && !at_stop && (playing_ || pending_steps_ > 0);
      auto woken = [&] { return quit_ || !commands_.empty(); };
      if (!wants_step) {
        wake_.wait(lock, woken);
      } else if (playing_ && pending_steps_ == 0 && speed_ > 0) {
        // Paced play: sleep until the next step is due, unless told something.
        wake_.wait_until(lock, next_step_at_, woken);
      }
      if (quit_) return;
      commands.swap(commands_);
    }
    for (const Command& c : commands) apply(c);
    // An exercise's question is a barrier: nothing steps past it unanswered.
    if (!simulation_ || simulation_->finished() || simulation_->steps_done() == stop_at_) {
      if (playing_ || pending_steps_ > 0) {
        playing_ = false;
        pending_steps_ = 0;
        std::lock_guard lock(mutex_);
        status_.playing = false;
      }
      continue;
    }
    const auto now = Clock::now();
    const bool due = pending_steps_ > 0 || (playing_ && (speed_ <= 0 || now >= next_step_at_));
    if (!due) continue;
    if (pending_steps_ > 0) --pending_steps_;
    if (playing_ && speed_ > 0) {
      // The next step is due one period after this one, without catching up
      // in a burst when a step ran long.
      const auto period =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / speed_));
      next_step_at_ = std::max(next_step_at_ + period, now);
    }
    step_and_publish();
  }
}

void LiveSession::apply(const Command& c) {
  // At an exercise's question nothing plays or steps until it is answered.
  const bool held = simulation_ && simulation_->steps_done() == stop_at_ &&
                    (c.kind == Command::Play || c.kind == Command::Step || c.kind == Command::Advance);
  switch (held ? Command::Pause : c.kind) {
    case Command::Play:
      playing_ = true;
      next_step_at_ = Clock::now();
      break;
    case Command::Pause:
      playing_ = false;
      break;
    case Command::Step:
      if (!playing_) ++pending_steps_;
      break;
    case Command::Advance:
      pending_steps_ += static_cast<std::int64_t>(c.number);
      break;
    case Command::Speed:
      speed_ = c.number;
      break;
    case Command::Reset:
      // A branch goes back to where it left the recorded run.
      if (!branch_) seeded_.globals[Param::scenario_seed] = seeded_.globals[Param::scenario_seed] + 1;
      recorder_.clear();
      pending_steps_ = 0;
      build_world();
      break;
    case Command::Lever: {
      if (!simulation_) break;
      const std::string where = c.region < 0 ? "all regions" : seeded_.regions.at(c.region).name;
      recorder_.record(simulation_->steps_done(), c.region, where, c.param, c.number, seeded_.steps());
      // The change starts at the next step: the one way into a running
      // simulation, between steps, on this thread.
      simulation_->add_intervention(recorder_.interventions().back());
      std::lock_guard lock(mutex_);
      status_.recorded = recorder_.interventions();
      break;
    }
    case Command::Save:
      save_now(c.text, c.comment);
      break;
    case Command::StopAt:
      stop_at_ = static_cast<std::int32_t>(c.number);
      if (simulation_ && simulation_->steps_done() == stop_at_) {
        playing_ = false;
        pending_steps_ = 0;
      }
      break;
    case Command::Add: {
      if (!simulation_) break;
      try {
        for (const InterventionSpec& iv : c.interventions) {
          simulation_->add_intervention(iv);
          recorder_.add(iv);
        }
      } catch (const std::exception& e) {
        publish_message(std::string("cannot apply the change: ") + e.what(), true);
      }
      std::lock_guard lock(mutex_);
      status_.recorded = recorder_.interventions();
      break;
    }
  }
  {
    std::lock_guard lock(mutex_);
    status_.playing = playing_;
  }
  published_.notify_all();
}

void LiveSession::build_world() {
  {
    std::lock_guard lock(mutex_);
    status_.building = true;
  }
  simulation_.reset();
  std::string failure;
  try {
    if (branch_) {
      Branch branch = build_branch(*branch_, seeded_);
      simulation_ = std::move(branch.simulation);
      parent_created_ = std::move(branch.parent_created);
    } else {
      simulation_ = std::make_unique<Simulation>(seeded_, 0);
    }
  } catch (const std::bad_alloc&) {
    failure = "not enough memory to build this world; lower population.size";
  } catch (const std::exception& e) {
    failure = std::string(branch_ ? "cannot branch: " : "cannot build the world: ") + e.what();
  }
  {
    std::lock_guard lock(mutex_);
    ++status_.generation;
    new_frames_.clear();
    // A branch's past: the recorded run's steps.
    const std::int32_t done = simulation_ ? simulation_->steps_done() : 0;
    for (std::int32_t t = 0; t < done; ++t) {
      const auto frame = simulation_->series().frame(static_cast<std::size_t>(t));
      new_frames_.emplace_back(t, std::vector<double>(frame.begin(), frame.end()));
    }
    status_.branch_step = branch_ ? branch_->steps_done : 0;
    status_.building = false;
    status_.finished = simulation_ ? simulation_->finished() : true;
    status_.steps_done = done;
    status_.seed = seeded_.seed();
    status_.recorded.clear();
    status_.steps_per_second = 0;
    status_.levers.clear();
    if (simulation_)
      for (const RegionState& rs : simulation_->state().regions) status_.levers.push_back(rs.levers);
    status_.flows = simulation_ ? count_route_flows(simulation_->state()) : RouteFlows(base_.regions.size());
  }
  step_times_.clear();
  published_.notify_all();
  if (!failure.empty()) publish_message(failure, true);
}

void LiveSession::step_and_publish() {
  try {
    simulation_->step();
  } catch (const std::exception& e) {
    playing_ = false;
    pending_steps_ = 0;
    publish_message(std::string("the model stopped: ") + e.what(), true);
    return;
  }
  step_times_.push(Clock::now());
  // An exercise's question waits for the room.
  if (simulation_->steps_done() == stop_at_) {
    playing_ = false;
    pending_steps_ = 0;
  }
  const State& world = simulation_->state();
  const std::int32_t step = simulation_->steps_done() - 1;
  const auto frame = simulation_->series().frame(static_cast<std::size_t>(step));
  RouteFlows flows = count_route_flows(world);
  {
    std::lock_guard lock(mutex_);
    new_frames_.emplace_back(step, std::vector<double>(frame.begin(), frame.end()));
    status_.steps_done = simulation_->steps_done();
    status_.finished = simulation_->finished();
    if (status_.finished) playing_ = false;
    status_.playing = playing_;
    for (std::size_t r = 0; r < world.regions.size() && r < status_.levers.size(); ++r)
      status_.levers[r] = world.regions[r].levers;
    status_.flows = std::move(flows);
    if (step_times_.size() >= 2) {
      const double seconds =
          std::chrono::duration<double>(step_times_.from_newest(0) - step_times_[0]).count();
      status_.steps_per_second = seconds > 0 ? static_cast<double>(step_times_.size() - 1) / seconds : 0;
    }
  }
  published_.notify_all();
}

void LiveSession::publish_message(const std::string& message, bool is_error) {
  {
    std::lock_guard lock(mutex_);
    status_.message = message;
    status_.message_is_error = is_error;
    ++status_.message_serial;
  }
  published_.notify_all();
}

void LiveSession::save_now(const std::string& path, const std::string& comment) {
  if (!simulation_ || simulation_->steps_done() == 0) {
    publish_message("nothing to save yet: run at least one step", true);
    return;
  }
  const std::int32_t steps = simulation_->steps_done();
  try {
    const Scenario saved = session_scenario(seeded_, recorder_.interventions(), steps);
    ReplicateResult result;
    result.point = 0;
    result.replicate = 0;
    result.series = Series(simulation_->series().layout(), static_cast<std::size_t>(steps));
    for (std::int32_t s = 0; s < steps; ++s) {
      const auto from = simulation_->series().frame(static_cast<std::size_t>(s));
      std::copy(from.begin(), from.end(), result.series.frame(static_cast<std::size_t>(s)).begin());
    }
    result.summary = summarize(result.series, saved);
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
    output::RunFileInfo info;
    const double days = saved.globals[Param::scenario_step_days];
    info.command_line = command_line_ + "  # live session saved at " + step_name(steps - 1, days);
    if (branch_) {
      // A branch continues a recorded run: the file names it, as a fork does.
      info.command_line += ", a branch of replicate " + std::to_string(branch_->replicate + 1) + " of " +
                           branch_->path + " after " + step_name(branch_->steps_done - 1, days);
      info.forked_from = branch_->path;
      info.forked_from_created = parent_created_;
      info.forked_at_step = branch_->steps_done;
    }
    info.points = {saved};
    info.replicates = 1;
    info.comment = comment;
    output::RunFileWriter writer(path, info);
    writer.consume(std::move(result));
    writer.commit();
    publish_message("saved " + path + " (" + std::to_string(steps) + " steps, " +
                        std::to_string(recorder_.interventions().size()) +
                        (recorder_.interventions().size() == 1 ? " change)" : " changes)"),
                    false);
  } catch (const std::exception& e) {
    publish_message(std::string("cannot save: ") + e.what(), true);
  }
}

}  // namespace tipsim::viz
