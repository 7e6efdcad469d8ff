// A live session: one replicate of a scenario stepped on a worker thread,
// driven by commands from the interface (play, pause, step, speed, reset,
// lever changes, save) and publishing each step's metrics for it to read.
// The interface never waits on the model: it only takes a mutex to copy
// what the worker has published, never while a step is computed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "branch.hpp"
#include "indicators.hpp"
#include "intervention_recorder.hpp"
#include "metrics.hpp"
#include "params.hpp"
#include "ring_buffer.hpp"

namespace tipsim {
class Simulation;
}

namespace tipsim::viz {

// What the worker publishes about the session besides the frames.
struct LiveStatus {
  std::uint64_t generation = 0;  // changes at every reset: the history starts again
  bool building = true;          // the world is being built (large worlds take a moment)
  bool playing = false;
  bool finished = false;
  std::int32_t steps_done = 0;
  std::int32_t steps_total = 0;
  std::uint64_t seed = 0;
  double steps_per_second = 0;             // measured over the last steps
  std::vector<ParamValues> levers;         // per region: the levers in force at the last step
  RouteFlows flows;                        // people trafficked along routes after the last step
  std::vector<InterventionSpec> recorded;  // the session's lever changes, oldest first
  std::string message;                     // the last save's outcome or error, for the user
  bool message_is_error = false;
  std::uint64_t message_serial = 0;  // changes with every new message
  std::int32_t branch_step = 0;      // a branch: the steps of the recorded run it continues
};

// The interface's copy of a session: the status and every frame so far.
struct LiveView {
  LiveStatus status;
  Series history;           // frames of steps [0, frames)
  std::int32_t frames = 0;  // frames received
  std::uint64_t generation = ~std::uint64_t{0};
};

class LiveSession {
 public:
  // Starts the worker, which builds the world for replicate 0 of the
  // scenario, or with `branch` continues that run of a file after its step
  // (the scenario is then the point's as the file records it).
  // `command_line` is recorded in saved run files.
  LiveSession(Scenario scenario, std::string command_line, std::optional<BranchPoint> branch = {});
  // Stops the worker (after the step it is computing).
  ~LiveSession();
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  // The scenario as loaded. It never changes: resets change only the seed
  // and lever changes become interventions of the session.
  const Scenario& scenario() const { return base_; }

  void play();
  void pause();
  // One step now (when paused).
  void step_once();
  // Pace of play, in steps per second; 0 = as fast as the model runs.
  void set_speed(double steps_per_second);
  // Starts again from step 0 with the next seed (a branch: from the branch
  // point, same seed); the session's lever changes are dropped.
  void reset_with_new_seed();
  // A branch of a recorded run: where it starts.
  const std::optional<BranchPoint>& branch() const { return branch_; }
  // Sets a lever from the next step on, in one region (-1 = all regions),
  // recorded as an intervention.
  void set_lever(std::int32_t region, Param param, double value);
  // Adds interventions that start at the next step or later (an exercise's
  // decision), recorded with the session's changes.
  void add_interventions(std::vector<InterventionSpec> interventions);
  // Stops playing and any steps asked for once this many steps are done
  // (an exercise's next question); -1: never.
  void stop_at(std::int32_t steps_done);
  // Writes the session so far as a run file (one replicate), between steps,
  // with `comment` as its root attribute `comment` when given; the outcome
  // arrives as the status message.
  void save(const std::string& path, const std::string& comment = {});
  // Runs `steps` more steps whether playing or not (headless capture, tests).
  void advance(std::int32_t steps);

  // Copies the status and the frames published since the last call into
  // `view` (starting it afresh after a reset). Cheap: takes the mutex only
  // to copy.
  void poll(LiveView& view);
  // The status now, without the frames (the frames go to poll()'s view).
  LiveStatus status();
  // Waits until `done(status)` holds or `timeout` passes; true if it holds.
  bool wait_for(const std::function<bool(const LiveStatus&)>& done, std::chrono::milliseconds timeout);

 private:
  struct Command {
    enum Kind { Play, Pause, Step, Speed, Reset, Lever, Save, Advance, Add, StopAt };
    Command(Kind k, double n = 0, std::int32_t r = -1, Param p = Param::scenario_seed, std::string t = {})
        : kind(k), number(n), region(r), param(p), text(std::move(t)) {}
    Kind kind;
    double number;  // steps, speed or a lever's value
    std::int32_t region;
    Param param;
    std::string text;  // a path
    std::vector<InterventionSpec> interventions;
    std::string comment;  // a saved file's comment
  };
  void submit(Command command);
  void run_worker();
  void apply(const Command& command);
  void build_world();
  void step_and_publish();
  void publish_message(const std::string& message, bool is_error);
  void save_now(const std::string& path, const std::string& comment);

  const Scenario base_;
  const std::string command_line_;
  const std::optional<BranchPoint> branch_;

  // Shared with the interface, under mutex_.
  std::mutex mutex_;
  std::condition_variable wake_;       // commands for the worker
  std::condition_variable published_;  // news for waiters
  std::deque<Command> commands_;
  bool quit_ = false;
  LiveStatus status_;
  std::vector<std::pair<std::int32_t, std::vector<double>>> new_frames_;

  // The worker's own: no lock needed.
  Scenario seeded_;  // base_ with the current seed
  std::unique_ptr<Simulation> simulation_;
  InterventionRecorder recorder_;
  std::string parent_created_;  // a branch: its file's `created`
  bool playing_ = false;
  std::int64_t pending_steps_ = 0;
  std::int32_t stop_at_ = -1;
  double speed_ = 10;  // steps per second, 0 = unlimited
  std::chrono::steady_clock::time_point next_step_at_{};
  RingBuffer<std::chrono::steady_clock::time_point> step_times_{16};

  std::thread worker_;  // last: started once everything above exists
};

}  // namespace tipsim::viz
