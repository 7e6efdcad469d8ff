// tipsim-viewer: the live and replay viewer for trainers.
//   tipsim-viewer [SCENARIO.toml | FILE.h5] [--compare OTHER.h5]
//                 [--screenshot OUT.png --frames N] [--size WxH] [--step S] [--branch]
//                 [--set KEY=VALUE]...
//   tipsim-viewer --exercise FILE.toml [--save FILE.h5] [--screenshot OUT.png --answer A...]
// Every input is checked before a window opens, so a bad file is reported
// the same way with or without a display.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app.hpp"
#include "build_info.hpp"
#include "exercise.hpp"
#include "levers.hpp"
#include "live_session.hpp"
#include "quoting.hpp"
#include "replay_run.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "scenario_text.hpp"
#include "suggest.hpp"
#include "views.hpp"

namespace {

using namespace tipsim;
using namespace tipsim::viz;

// A run file by its name or, whatever its name, by the HDF5 signature.
bool looks_like_run_file(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".h5" || ext == ".hdf5" || ext == ".nc") return true;
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, sizeof head);
  return in.gcount() == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0;
}

bool parse_size(const std::string& text, int& width, int& height) {
  char x = 0;
  std::istringstream in(text);
  if (!(in >> width >> x >> height) || (x != 'x' && x != 'X') || !in.eof()) return false;
  return width >= 320 && height >= 240 && width <= 8192 && height <= 8192;
}

// What the command line asks for.
struct ViewerOptions {
  std::string input = std::string(bundled_scenario_dir()) + "/baseline.toml";
  std::string compare, screenshot, size = "1600x1000", exercise, save;
  std::vector<std::string> answers;
  int frames = 60;
  std::int32_t step = -1;
  bool branch = false;
  std::vector<std::string> overrides;
};

void add_options(CLI::App& app, ViewerOptions& o) {
  app.add_option(
         "file", o.input,
         "A scenario (TOML) to run live, or a run file (HDF5) to replay; default: the bundled baseline")
      ->type_name("SCENARIO.toml|FILE.h5");
  app.add_option("--compare", o.compare, "A second run file, shown side by side with the first")
      ->type_name("OTHER.h5");
  app.add_option("--screenshot", o.screenshot,
                 "Render offscreen, save this PNG and exit (works under xvfb-run -a)")
      ->type_name("OUT.png");
  app.add_option("--frames", o.frames, "Frames rendered before the screenshot; a live run advances over them")
      ->check(CLI::Range(2, 100000))
      ->type_name("N");
  app.add_option("--size", o.size, "Screenshot size, or the window's largest size (default 1600x1000)")
      ->type_name("WxH");
  app.add_option("--step", o.step,
                 "Live: run this many steps first, then pause; replay: show this step first (0-based)")
      ->check(CLI::Range(0, 1000000))
      ->type_name("S");
  app.add_option(
         "--exercise", o.exercise,
         "Run a training exercise: its scenario live, with news, decisions, predictions and a debrief")
      ->type_name("FILE.toml");
  app.add_option(
         "--answer", o.answers,
         "--exercise with --screenshot: the answers at the questions in turn (an option's number from 1, "
         "or rise, fall, same)")
      ->type_name("A")
      ->take_all()
      ->allow_extra_args(false);
  app.add_option(
         "--save", o.save,
         "Where a live session or an exercise is saved (default runs/NAME-session.h5); an exercise saves "
         "itself when its run ends")
      ->type_name("FILE.h5");
  app.add_flag("--branch", o.branch,
               "Replay: continue the run live after the step shown (--step), the recording drawn beside it");
  app.add_option("--set", o.overrides,
                 "Live: override a scenario key, KEY=VALUE (repeatable), as tipsim run does; "
                 "--branch: set a policy lever in every region from the branch point on")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
}

// The window's size and screenshot, and the inputs, checked before any
// window opens: a missing or a folder is reported at once. False after an
// error was printed.
bool check_options(const ViewerOptions& o, WindowOptions& window) {
  if (!parse_size(o.size, window.width, window.height)) {
    print_error("--size " + o.size +
                ": expected WIDTHxHEIGHT in pixels, from 320x240 to 8192x8192, e.g. 1600x1000");
    return false;
  }
  window.screenshot = o.screenshot;
  window.frames = o.frames;
  if (!o.screenshot.empty() && std::filesystem::path(o.screenshot).extension() != ".png") {
    print_error("--screenshot " + o.screenshot + ": the screenshot is a PNG; give a name ending in .png");
    return false;
  }
  std::error_code ec;
  for (const std::string& path : {o.input, o.compare}) {
    if (path.empty()) continue;
    if (!std::filesystem::exists(path, ec)) {
      print_error(path + ": cannot open: no such file");
      return false;
    }
    if (std::filesystem::is_directory(path, ec)) {
      print_error(path + ": cannot open: is a folder, not a scenario or run file");
      return false;
    }
  }
  return true;
}

// A scenario's or an exercise's problems, one "tipsim-viewer: error:" line each.
void print_scenario_error(const ScenarioError& e) {
  std::istringstream lines(e.what());
  std::string line;
  while (std::getline(lines, line)) print_error(line);
}

// Where a session of `source` is saved: --save, or runs/NAME-session.h5.
std::string session_path(const ViewerOptions& o, const std::string& source) {
  return o.save.empty() ? "runs/" + std::filesystem::path(source).stem().string() + "-session.h5" : o.save;
}

// A training exercise.
int run_exercise(const ViewerOptions& o, WindowOptions& window, const std::string& command_line) {
  if (!o.compare.empty() || o.branch || !o.overrides.empty()) {
    print_error(
        "--exercise runs the exercise's own scenario; leave out --compare, --branch and --set "
        "(an exercise's [exercise] table has set = [...])");
    return kExitBadInput;
  }
  for (const std::string& a : o.answers) {
    char* end = nullptr;
    const long n = std::strtol(a.c_str(), &end, 10);
    if (!(a == "rise" || a == "fall" || a == "same" || (end != a.c_str() && *end == '\0' && n >= 1))) {
      print_error("--answer " + a + ": an answer is an option's number (1, 2, ...) or rise, fall or same");
      return kExitBadInput;
    }
  }
  Exercise exercise;
  try {
    exercise = load_exercise_file(o.exercise);
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  window.title = "tipsim-viewer \xE2\x80\x94 " + exercise.title + " (exercise)";
  ExerciseOptions options;
  options.save_path = session_path(o, o.exercise);
  options.answers = o.answers;
  options.stop_at = o.step;
  return run_window(window, [&](const Fonts& fonts) {
    return make_exercise_screen(std::make_unique<ExerciseSession>(std::move(exercise), command_line), options,
                                fonts);
  });
}

// A scenario, run live.
int run_live(const ViewerOptions& o, WindowOptions& window, const std::string& command_line) {
  if (!o.compare.empty()) {
    print_error("--compare shows two run files side by side; '" + o.input +
                "' is a scenario. Run it first: tipsim run " + shell_word(o.input) + " -o FILE.h5");
    return kExitBadInput;
  }
  Scenario scenario;
  try {
    scenario = load_scenario_file(o.input, o.overrides);
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  window.title = "tipsim-viewer \xE2\x80\x94 " + scenario.name + " (live)";
  LiveOptions live;
  live.save_path = session_path(o, o.input);
  live.start_at = o.step;
  return run_window(window, [&](const Fonts& fonts) {
    return make_live_screen(std::make_unique<LiveSession>(std::move(scenario), command_line), live, fonts);
  });
}

// A branch's --set KEY=VALUE: a policy lever and its new value. False
// after an error was printed.
bool parse_lever_settings(const std::vector<std::string>& overrides, std::vector<LeverSetting>& out) {
  std::vector<std::string> keys;
  for (const Lever& l : policy_levers()) keys.emplace_back(spec(l.param).key);
  for (const std::string& text : overrides) {
    const auto eq = text.find('=');
    const std::string key = text.substr(0, eq);
    const auto lever = std::find(keys.begin(), keys.end(), key);
    if (eq == std::string::npos || lever == keys.end()) {
      print_error("--set " + text + ": a branch changes policy levers (policy.* keys), KEY=VALUE" +
                  (eq == std::string::npos ? std::string() : did_you_mean(near_misses(key, keys))));
      return false;
    }
    const ParamSpec& ps = spec(policy_levers()[static_cast<std::size_t>(lever - keys.begin())].param);
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text.substr(eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() - eq - 1 || !(value >= ps.min_value && value <= ps.max_value)) {
      print_error("--set " + text + ": " + key + " takes a number from " + plain_number(ps.min_value) +
                  " to " + plain_number(ps.max_value));
      return false;
    }
    out.push_back({ps.id, value});
  }
  return true;
}

// One run file, or two side by side, replayed.
int run_replay(const ViewerOptions& o, WindowOptions& window) {
  ReplayOptions replay;
  if (o.branch) {
    if (!o.compare.empty()) {
      print_error("--branch continues one run file; leave out --compare");
      return kExitBadInput;
    }
    if (!parse_lever_settings(o.overrides, replay.levers)) return kExitBadInput;
  } else if (!o.overrides.empty()) {
    print_error(
        "--set changes a scenario before it runs; a run file is replayed as it was written "
        "(--branch continues it with other levers)");
    return kExitBadInput;
  }
  std::vector<std::unique_ptr<ReplayRun>> runs;
  for (const std::string& path : {o.input, o.compare}) {
    if (path.empty()) continue;
    try {
      runs.push_back(std::make_unique<ReplayRun>(path));
    } catch (const output::OutputError& e) {
      // FormatError (foreign, newer, damaged) and unreadable files alike.
      print_error(e.what());
      return kExitBadInput;
    } catch (const std::exception& e) {
      print_error(path + ": cannot read: " + e.what());
      return kExitBadInput;
    }
  }
  window.title = "tipsim-viewer \xE2\x80\x94 " + std::filesystem::path(o.input).filename().string() +
                 (o.compare.empty() ? "" : " vs " + std::filesystem::path(o.compare).filename().string()) +
                 " (replay)";
  replay.start_at = o.step;
  replay.branch = o.branch;
  if (o.branch && runs[0]->steps() < 2) {
    print_error(o.input + ": a run of one step leaves nothing to branch");
    return kExitBadInput;
  }
  return run_window(window,
                    [&](const Fonts& fonts) { return make_replay_screen(std::move(runs), replay, fonts); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tipsim-viewer: watch a scenario live, move its policy levers, or replay a run file",
               "tipsim-viewer"};
  app.set_version_flag("--version",
                       std::string("tipsim-viewer ") + version() + " (" + source_revision() + ")");
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "tipsim-viewer: error: " + std::string(e.what()) + "\nRun '" + failed->get_name() +
           " --help' for the options.\n";
  });
  ViewerOptions options;
  add_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  WindowOptions window;
  if (!options.exercise.empty() && app.count("file") > 0) {
    print_error("--exercise names the scenario it runs; give no other file");
    return kExitBadInput;
  }
  if (!options.exercise.empty()) options.input = options.exercise;
  if (!check_options(options, window)) return kExitBadInput;
  if (!options.exercise.empty()) return run_exercise(options, window, tipsim::shell_command_line(argc, argv));
  if (options.branch && !looks_like_run_file(options.input)) {
    print_error("--branch continues a run file; '" + options.input + "' is a scenario");
    return kExitBadInput;
  }
  if (!looks_like_run_file(options.input))
    return run_live(options, window, tipsim::shell_command_line(argc, argv));
  return run_replay(options, window);
}
