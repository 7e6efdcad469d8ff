// The two modes as screens: live (a scenario stepped on a worker thread,
// with sliders) and replay (one run file, or two side by side).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app.hpp"
#include "exercise_session.hpp"
#include "live_session.hpp"
#include "replay_run.hpp"

namespace tipsim::viz {

// A lever set in every region from the session's first step on (--set
// for a branch).
struct LeverSetting {
  Param param;
  double value;
};

struct LiveOptions {
  std::string save_path;      // suggested path for "Save run"
  std::int32_t start_at = 0;  // run this many steps at the start, then pause (--step)
  // A branch: the recorded run it continues, drawn faintly on the charts,
  // and what takes the viewer back to it.
  const ReplayRun* original = nullptr;
  std::size_t original_point = 0;
  std::size_t original_replicate = 0;
  std::function<void()> on_leave;
  std::vector<LeverSetting> levers;  // changed at the start, as if moved by hand
  bool exercise = false;             // an exercise's run: no reset, its questions stop it
};
std::unique_ptr<Screen> make_live_screen(std::unique_ptr<LiveSession> session, const LiveOptions& options,
                                         const Fonts& fonts);

// A live screen on a session another screen owns and also reads (an
// exercise): the frames reach it through this screen's view.
class LiveScreenOn : public Screen {
 public:
  virtual const LiveView& view() const = 0;
};
std::unique_ptr<LiveScreenOn> make_live_screen_on(LiveSession& session, const LiveOptions& options,
                                                  const Fonts& fonts);

struct ExerciseOptions {
  std::string save_path;  // where the session is saved when the run ends
  // Headless (--screenshot): the answers given at the questions in turn
  // (an option's number from 1, or rise, fall, same); the first option and
  // "same" when they run out.
  std::vector<std::string> answers;
  // Headless: questions before this step are answered, one at it is left
  // on screen (--step); -1: play to the debrief.
  std::int32_t stop_at = -1;
};
// An exercise: the live run with its news, questions and debrief.
std::unique_ptr<Screen> make_exercise_screen(std::unique_ptr<ExerciseSession> session,
                                             const ExerciseOptions& options, const Fonts& fonts);

struct ReplayOptions {
  std::int32_t start_at = -1;  // the step shown first (--step); -1 = the last
  // Branch at once after the step shown (--branch), with these levers.
  bool branch = false;
  std::vector<LeverSetting> levers;
};
// One run, or two side by side to compare (the first on the left).
std::unique_ptr<Screen> make_replay_screen(std::vector<std::unique_ptr<ReplayRun>> runs,
                                           const ReplayOptions& options, const Fonts& fonts);

}  // namespace tipsim::viz
