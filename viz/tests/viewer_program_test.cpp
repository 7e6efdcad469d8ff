// tipsim-viewer as trainers and scripts meet it: the real program under a
// virtual display (xvfb-run), its screenshots read back pixel by pixel, its
// error exits, and a saved live session re-run by the tipsim command.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "layout.hpp"
#include "live_session.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"

#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

namespace fs = std::filesystem;

const std::string kViewer = test_paths::viewer;
const std::string kCli = test_paths::cli;
const std::string kXvfbRun = TIPSIM_XVFB_RUN;
const std::string kTiny = std::string(test_paths::source_dir) + "/scenarios/tiny.toml";
constexpr int kWidth = 1600, kHeight = 1000;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Rgb {
  int r, g, b;
};

// A screenshot read back.
class Image {
 public:
  explicit Image(const fs::path& path) {
    int channels = 0;
    unsigned char* data = stbi_load(path.c_str(), &width_, &height_, &channels, 3);
    if (data != nullptr) {
      pixels_.assign(data, data + static_cast<std::size_t>(width_) * height_ * 3);
      stbi_image_free(data);
    }
  }
  bool ok() const { return !pixels_.empty(); }
  int width() const { return width_; }
  int height() const { return height_; }
  Rgb at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * width_ + x) * 3;
    return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
  }

  // Pixels inside `area` within `tolerance` of `colour` (per channel).
  std::size_t count_near(const Rect& area, Rgb colour, int tolerance = 24) const {
    std::size_t n = 0;
    visit(area, [&](Rgb p) {
      n += std::abs(p.r - colour.r) <= tolerance && std::abs(p.g - colour.g) <= tolerance &&
           std::abs(p.b - colour.b) <= tolerance;
    });
    return n;
  }
  // Share of pixels in `area` that are neither white panel nor light
  // background: something is drawn there.
  double drawn_share(const Rect& area) const {
    std::size_t drawn = 0, all = 0;
    visit(area, [&](Rgb p) {
      ++all;
      drawn += p.r < 225 || p.g < 225 || p.b < 225;
    });
    return all > 0 ? static_cast<double>(drawn) / static_cast<double>(all) : 0;
  }
  // Distinct colours in `area`, channels rounded to 32 levels.
  std::size_t distinct_colours(const Rect& area) const {
    std::set<int> seen;
    visit(area, [&](Rgb p) { seen.insert((p.r / 8) << 10 | (p.g / 8) << 5 | (p.b / 8)); });
    return seen.size();
  }

 private:
  template <typename F>
  void visit(const Rect& area, F f) const {
    const int x0 = std::max(0, static_cast<int>(area.x)), y0 = std::max(0, static_cast<int>(area.y));
    const int x1 = std::min(width_, static_cast<int>(area.right())),
              y1 = std::min(height_, static_cast<int>(area.bottom()));
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) f(at(x, y));
  }
  int width_ = 0;
  int height_ = 0;
  std::vector<unsigned char> pixels_;
};

// Colours of the palette (style.hpp) the panels must show.
constexpr Rgb kTrueRed{178, 24, 43};
constexpr Rgb kLabourOrange{230, 159, 0};
constexpr Rgb kSexualPink{204, 121, 167};
constexpr Rgb kRegionGrey{222, 228, 236};

class ViewerProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_viewer_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
  }
  void TearDown() override { fs::remove_all(folder_); }

  // Runs a program with stdout and stderr captured; `without_display`
  // removes DISPLAY (and WAYLAND_DISPLAY) from its environment.
  Outcome run(const std::vector<std::string>& command, bool without_display = false) const {
    const std::string out = (folder_ / "stdout.txt").string(), err = (folder_ / "stderr.txt").string();
    const pid_t pid = fork();
    if (pid == 0) {
      const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out_fd < 0 || err_fd < 0 || chdir(folder_.c_str()) != 0) _exit(121);
      dup2(out_fd, STDOUT_FILENO);
      dup2(err_fd, STDERR_FILENO);
      if (without_display) {
        unsetenv("DISPLAY");
        unsetenv("WAYLAND_DISPLAY");
      }
      std::vector<char*> argv;
      for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    Outcome outcome;
    int status = 0;
    waitpid(pid, &status, 0);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    outcome.out = read_text(out);
    outcome.err = read_text(err);
    return outcome;
  }

  // The viewer under a virtual display.
  Outcome viewer_on_xvfb(std::vector<std::string> args) const {
    std::vector<std::string> command = {kXvfbRun, "-a", "-s", "-screen 0 1920x1200x24", kViewer};
    command.insert(command.end(), args.begin(), args.end());
    return run(command);
  }

  Outcome viewer(std::vector<std::string> args, bool without_display = true) const {
    args.insert(args.begin(), kViewer);
    return run(args, without_display);
  }

  // A small run file written by the tipsim command.
  fs::path tiny_run(const std::string& name, const std::vector<std::string>& extra = {}) const {
    const fs::path path = folder_ / name;
    std::vector<std::string> command = {kCli,      "run", kTiny, "--replicates", "3",
                                        "--steps", "60",  "-o",  path.string(),  "--quiet"};
    command.insert(command.end(), extra.begin(), extra.end());
    const Outcome o = run(command);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return path;
  }

  static void require_xvfb() {
    // scripts/setup.sh installs xvfb; a machine without it fails here
    // rather than skipping the viewer's only end-to-end check.
    ASSERT_FALSE(kXvfbRun.empty() || !fs::exists(kXvfbRun))
        << "xvfb-run is missing: run scripts/setup.sh (it installs xvfb and xauth)";
  }

  fs::path folder_;
};

// ---- screenshots --------------------------------------------------------------------

TEST_F(ViewerProgramTest, LiveScreenshotOfTinyShowsEveryPanel) {
  require_xvfb();
  const fs::path png = folder_ / "live.png";
  const Outcome o = viewer_on_xvfb({kTiny, "--screenshot", png.string(), "--frames", "20"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const Image image(png);
  ASSERT_TRUE(image.ok());
  ASSERT_EQ(image.width(), kWidth);
  ASSERT_EQ(image.height(), kHeight);

  const ScreenLayout layout = layout_screen(ViewerMode::Live, kWidth, kHeight);
  EXPECT_GT(image.distinct_colours({0, 0, kWidth, kHeight}), 20u) << "blank or flat picture";
  // The map: region discs and routes coloured by form.
  EXPECT_GT(image.drawn_share(layout.map), 0.05);
  EXPECT_GT(image.count_near(layout.map, kRegionGrey, 6), 1000u);
  EXPECT_GT(image.count_near(layout.map, kLabourOrange), 200u);
  EXPECT_GT(image.distinct_colours(layout.map), 12u);
  // The bars, by form.
  EXPECT_GT(image.count_near(layout.population, kLabourOrange), 500u);
  EXPECT_GT(image.count_near(layout.population, kSexualPink), 200u);
  // The charts: the true layer's red line, and text.
  EXPECT_GT(image.count_near(layout.charts, kTrueRed), 150u);
  EXPECT_GT(image.drawn_share(layout.charts), 0.03);
  // Text in the scenario and lever panels, and the control bar.
  EXPECT_GT(image.drawn_share(layout.scenario), 0.02);
  EXPECT_GT(image.drawn_share(layout.levers), 0.02);
  EXPECT_GT(image.drawn_share(layout.controls), 0.05);
}

TEST_F(ViewerProgramTest, ReplayScreenshotOfASmallRunShowsEveryPanel) {
  require_xvfb();
  const fs::path run_file = tiny_run("tiny.h5");
  const fs::path png = folder_ / "replay.png";
  const Outcome o =
      viewer_on_xvfb({run_file.string(), "--screenshot", png.string(), "--frames", "5", "--step", "40"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const Image image(png);
  ASSERT_TRUE(image.ok());
  ASSERT_EQ(image.width(), kWidth);

  const ScreenLayout layout = layout_screen(ViewerMode::Replay, kWidth, kHeight);
  EXPECT_GT(image.distinct_colours({0, 0, kWidth, kHeight}), 20u);
  EXPECT_GT(image.drawn_share(layout.map), 0.05);
  EXPECT_GT(image.count_near(layout.map, kRegionGrey, 6), 1000u);
  EXPECT_GT(image.count_near(layout.population, kLabourOrange), 500u);
  EXPECT_GT(image.count_near(layout.charts, kTrueRed), 150u);
  // The 10-90 % band: the line's colour, faded over white.
  EXPECT_GT(image.count_near(layout.charts, {236, 200, 204}, 20), 100u);
  EXPECT_GT(image.drawn_share(layout.ticker), 0.01);
  EXPECT_GT(image.drawn_share(layout.scenario), 0.02);
}

TEST_F(ViewerProgramTest, TwoRunsSideBySide) {
  require_xvfb();
  const fs::path a = tiny_run("a.h5");
  const fs::path b = tiny_run("b.h5", {"--set", "policy.prosecution.investigators_per_100k=5"});
  const fs::path png = folder_ / "compare.png";
  const Outcome o =
      viewer_on_xvfb({a.string(), "--compare", b.string(), "--screenshot", png.string(), "--frames", "5"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const Image image(png);
  ASSERT_TRUE(image.ok());
  const ScreenLayout layout = layout_screen(ViewerMode::Compare, kWidth, kHeight);
  for (const Rect& map : {layout.map, layout.map_b}) EXPECT_GT(image.count_near(map, kRegionGrey, 6), 500u);
  for (const Rect& charts : {layout.charts, layout.charts_b})
    EXPECT_GT(image.count_near(charts, kTrueRed), 100u);
}

// "Branch here" from the command line: the run continued live after step
// 30 of a recording with a lever moved, the recording drawn faintly
// beside it. With no change the faint lines lie under the branch's own.
TEST_F(ViewerProgramTest, ABranchDrawsTheRecordedRunFaintlyBesideIt) {
  require_xvfb();
  const fs::path run_file = tiny_run("run.h5", {"--checkpoint-at", "20"});
  const ScreenLayout layout = layout_screen(ViewerMode::Live, kWidth, kHeight);
  // The true layer's red at the faint lines' alpha over the white chart.
  const Rgb faint_red = {222, 155, 164};
  std::size_t faint[2] = {0, 0};
  for (int changed = 0; changed < 2; ++changed) {
    const fs::path png = folder_ / (changed ? "branch-changed.png" : "branch-same.png");
    std::vector<std::string> args = {run_file.string(), "--step",     "29",       "--branch",
                                     "--screenshot",    png.string(), "--frames", "10"};
    if (changed) args.insert(args.end(), {"--set", "policy.prosecution.investigators_per_100k=8"});
    const Outcome o = viewer_on_xvfb(args);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const Image image(png);
    ASSERT_TRUE(image.ok());
    EXPECT_GT(image.count_near(layout.charts, kTrueRed), 150u);
    faint[changed] = image.count_near(layout.charts, faint_red, 12);
  }
  std::printf("faint recorded-run pixels: %zu without a change, %zu with one\n", faint[0], faint[1]);
  EXPECT_GT(faint[1], faint[0] + 60);
}

TEST_F(ViewerProgramTest, BranchUsageErrorsExitWithTwoAndSayWhy) {
  const fs::path run_file = tiny_run("run.h5");
  Outcome o = viewer({kTiny, "--branch"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "continues a run file")) << o.err;
  o = viewer({run_file.string(), "--branch", "--set", "policy.prosecution.investigator_per_100k=3"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "did you mean 'policy.prosecution.investigators_per_100k'")) << o.err;
  o = viewer({run_file.string(), "--branch", "--set", "policy.prosecution.investigators_per_100k=-1"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "takes a number from")) << o.err;
  o = viewer({run_file.string(), "--branch", "--set", "scenario.seed=4"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "policy levers")) << o.err;
  EXPECT_EQ(viewer({run_file.string(), "--branch", "--compare", run_file.string()}).exit_code, 2);
}

// ---- errors: a message and exit code 2, never a crash -------------------------------

TEST_F(ViewerProgramTest, MissingFileExitsWithTwo) {
  const Outcome o = viewer({(folder_ / "nowhere.toml").string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "nowhere.toml: cannot open")) << o.err;
  const Outcome h5 = viewer({(folder_ / "nowhere.h5").string(), "--screenshot", "x.png"});
  EXPECT_EQ(h5.exit_code, 2);
}

TEST_F(ViewerProgramTest, ForeignFilesExitWithTwo) {
  // Not HDF5 at all.
  const fs::path text = folder_ / "notes.h5";
  std::ofstream(text) << "not a run\n";
  Outcome o = viewer({text.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "not a tipsim run file")) << o.err;

  // HDF5 from elsewhere.
  const fs::path other = folder_ / "other.h5";
  const hid_t file = H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  H5Fclose(file);
  o = viewer({other.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "without a 'format' attribute")) << o.err;
}

TEST_F(ViewerProgramTest, NewerFormatExitsWithTwo) {
  const fs::path path = tiny_run("newer.h5");
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
  ASSERT_GE(attribute, 0);
  const long long version = output::kFormatVersion + 1;
  ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_LLONG, &version), 0);
  H5Aclose(attribute);
  H5Fclose(file);
  const Outcome o = viewer({path.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "format version " + std::to_string(version))) << o.err;
  EXPECT_TRUE(contains(o.err, "use a newer tipsim")) << o.err;
}

TEST_F(ViewerProgramTest, BadScenarioExitsWithTwoAndSaysWhere) {
  const fs::path bad = folder_ / "bad.toml";
  std::ofstream(bad) << "[scenario]\nname = \"bad\"\n[policy.protection]\nshelter_beds = 4\n";
  const Outcome o = viewer({bad.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "bad.toml:4:")) << o.err;
  EXPECT_TRUE(contains(o.err, "shelter_beds_per_100k")) << o.err;  // the suggestion
  const Outcome set = viewer({kTiny, "--set", "policy.partnership.level=3"});
  EXPECT_EQ(set.exit_code, 2);
  EXPECT_TRUE(contains(set.err, "policy.partnership.level")) << set.err;
}

TEST_F(ViewerProgramTest, NoDisplayExitsWithTwoAndNamesTheWayOut) {
  Outcome o = viewer({kTiny}, true);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "no display")) << o.err;
  o = viewer({kTiny, "--screenshot", "shot.png"}, true);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "xvfb-run -a")) << o.err;
  EXPECT_FALSE(fs::exists(folder_ / "shot.png"));
}

TEST_F(ViewerProgramTest, UsageErrorsExitWithTwo) {
  const fs::path run_file = tiny_run("run.h5");
  EXPECT_EQ(viewer({kTiny, "--compare", run_file.string()}).exit_code, 2);
  EXPECT_EQ(viewer({kTiny, "--size", "huge"}).exit_code, 2);
  EXPECT_EQ(viewer({kTiny, "--screenshot", "shot.jpg"}).exit_code, 2);
  EXPECT_EQ(viewer({kTiny, "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(viewer({run_file.string(), "--set", "scenario.seed=3"}).exit_code, 2);
  EXPECT_EQ(viewer({"--help"}).exit_code, 0);
}

// ---- a session replays exactly ------------------------------------------------------

std::vector<double> all_series(const output::RunFileContents& file) {
  std::vector<double> out;
  for (const output::Variable& v : file.series) out.insert(out.end(), v.values.begin(), v.values.end());
  return out;
}

bool wait_steps(LiveSession& session, std::int32_t steps) {
  return session.wait_for([&](const LiveStatus& s) { return !s.building && s.steps_done >= steps; },
                          std::chrono::seconds(60));
}

// The issue's test: a slider change recorded as an intervention replays to
// the same series as the equivalent --set run.
TEST_F(ViewerProgramTest, ASliderAtTheStartSavesTheSameSeriesAsASetRun) {
  {
    LiveSession session(load_scenario_file(kTiny), "tipsim-viewer tiny.toml");
    session.set_lever(-1, Param::policy_protection_shelter_beds_per_100k, 40);
    session.advance(104);
    ASSERT_TRUE(wait_steps(session, 104));
    session.save((folder_ / "session.h5").string());
    ASSERT_TRUE(
        session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, std::chrono::seconds(60)));
  }
  const Outcome o =
      run({kCli, "run", kTiny, "--replicates", "1", "--set", "policy.protection.shelter_beds_per_100k=40",
           "-o", (folder_ / "set.h5").string(), "--quiet"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto session = output::read_run_file((folder_ / "session.h5").string());
  const auto with_set = output::read_run_file((folder_ / "set.h5").string());
  ASSERT_EQ(session.series.size(), with_set.series.size());
  EXPECT_EQ(all_series(session), all_series(with_set));
}

// Changes in the middle of a session: `tipsim run --from` the saved file
// repeats it exactly.
TEST_F(ViewerProgramTest, ASavedSessionReRunsExactlyWithTheCommand) {
  {
    LiveSession session(load_scenario_file(kTiny), "tipsim-viewer tiny.toml");
    session.advance(30);
    ASSERT_TRUE(wait_steps(session, 30));
    session.set_lever(0, Param::policy_prosecution_investigators_per_100k, 4);
    session.set_lever(-1, Param::policy_prevention_awareness_reach, 0.5);
    session.advance(40);
    ASSERT_TRUE(wait_steps(session, 70));
    session.save((folder_ / "session.h5").string());
    ASSERT_TRUE(
        session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, std::chrono::seconds(60)));
  }
  const Outcome o = run({kCli, "run", "--from", (folder_ / "session.h5").string(), "-o",
                         (folder_ / "rerun.h5").string(), "--quiet"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto session = output::read_run_file((folder_ / "session.h5").string());
  const auto rerun = output::read_run_file((folder_ / "rerun.h5").string());
  EXPECT_EQ(session.interventions.size(), 2u);
  EXPECT_EQ(rerun.dimension("step"), 70u);
  EXPECT_EQ(all_series(session), all_series(rerun));
}

// ---- exercises -----------------------------------------------------------------------

const std::string kExercise = R"([exercise]
title = "Shelters and investigators"
briefing = "A test of the exercise screen."
scenario = "tiny.toml"
debrief_replicates = 2

[[inject]]
step = 10
headline = "Shelters cut by half"
[inject.scale]
policy.protection.shelter_beds_per_100k = 0.5

[[decision]]
step = 20
question = "What now?"
[[decision.option]]
label = "Five times the investigators"
[decision.option.scale]
policy.prosecution.investigators_per_100k = 5
[[decision.option]]
label = "Nothing"

[[prediction]]
step = 52
question = "Prosecutions up or down?"
metric = "prosecutions"
horizon_steps = 26
)";

// The issue's test: an exercise plays through an inject, a decision and a
// prediction to the debrief under a virtual display, answered from the
// command line; the saved session re-runs exactly with tipsim run --from.
TEST_F(ViewerProgramTest, AnExercisePlaysThroughToTheDebrief) {
  require_xvfb();
  fs::copy_file(kTiny, folder_ / "tiny.toml");
  std::ofstream(folder_ / "exercise.toml") << kExercise;
  const fs::path png = folder_ / "debrief.png", saved = folder_ / "session.h5";
  const Outcome o =
      viewer_on_xvfb({"--exercise", (folder_ / "exercise.toml").string(), "--save", saved.string(),
                      "--answer", "2", "--answer", "fall", "--screenshot", png.string(), "--frames", "8"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "Exercise debrief: Shelters and investigators")) << o.out;
  EXPECT_TRUE(contains(o.out, "Decision 1 (after week 20): What now?\n  chosen: Nothing")) << o.out;
  EXPECT_TRUE(contains(o.out, "against \"Five times the investigators\", over 2 runs:")) << o.out;
  EXPECT_TRUE(contains(o.out, "victim-years of exploitation averted: ")) << o.out;
  EXPECT_TRUE(contains(
      o.out, "Prediction 1 (after week 52): Prosecutions up or down?\n  the room said it would fall"))
      << o.out;
  EXPECT_TRUE(contains(o.out, "Score: ")) << o.out;
  EXPECT_TRUE(contains(o.out, "The branch taken, run again, reproduces the session")) << o.out;
  EXPECT_TRUE(contains(o.out, "Session: saved " + saved.string())) << o.out;
  // The debrief fills the screen: findings on the left, the two branches
  // charted on the right.
  const Image image(png);
  ASSERT_TRUE(image.ok());
  EXPECT_GT(image.drawn_share({0, 0, kWidth * 0.45f, kHeight * 0.5f}), 0.02);
  EXPECT_GT(image.count_near({kWidth * 0.5f, 0, kWidth * 0.5f, kHeight * 0.4f}, kTrueRed), 150u);

  // The session file holds the inject and the choice, and re-runs exactly;
  // its comment is the debrief.
  const auto session = output::read_run_file(saved.string());
  EXPECT_TRUE(contains(session.text("comment"), "Exercise debrief: Shelters and investigators"))
      << session.text("comment");
  EXPECT_TRUE(contains(session.text("comment"), "chosen: Nothing"));
  EXPECT_TRUE(contains(session.text("comment"), "the room said it would fall"));
  ASSERT_EQ(session.interventions.size(), 1u);  // the inject; "Nothing" changes nothing
  const Outcome rerun =
      run({kCli, "run", "--from", saved.string(), "-o", (folder_ / "rerun.h5").string(), "--quiet"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(all_series(session), all_series(output::read_run_file((folder_ / "rerun.h5").string())));
}

// With --step the run stops at the question asked then and leaves it on
// screen: no debrief, nothing saved.
TEST_F(ViewerProgramTest, AnExerciseWaitsAtItsQuestion) {
  require_xvfb();
  fs::copy_file(kTiny, folder_ / "tiny.toml");
  std::ofstream(folder_ / "exercise.toml") << kExercise;
  const fs::path png = folder_ / "question.png", saved = folder_ / "session.h5";
  const Outcome o =
      viewer_on_xvfb({"--exercise", (folder_ / "exercise.toml").string(), "--save", saved.string(), "--step",
                      "20", "--screenshot", png.string(), "--frames", "6"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(contains(o.out, "Exercise debrief")) << o.out;
  EXPECT_FALSE(fs::exists(saved));
  const Image image(png);
  ASSERT_TRUE(image.ok());
  // The panels behind the question are dimmed: no pure white is left in the map's corner.
  const ScreenLayout layout = layout_screen(ViewerMode::Live, kWidth, kHeight);
  EXPECT_EQ(image.count_near(
                {layout.map.x, layout.map.y + layout.map.h * 0.8f, layout.map.w * 0.2f, layout.map.h * 0.15f},
                {255, 255, 255}, 3),
            0u);
}

TEST_F(ViewerProgramTest, ABadExerciseExitsWithTwoAndSaysWhere) {
  fs::copy_file(kTiny, folder_ / "tiny.toml");
  std::ofstream(folder_ / "bad.toml")
      << "[exercise]\ntitle = \"T\"\nscenario = \"tiny.toml\"\n\n[[prediction]]\nstep = 60\nquestion = "
         "\"?\"\nmetric = \"convictoins\"\n";
  Outcome o = viewer({"--exercise", (folder_ / "bad.toml").string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(
      contains(o.err,
               "bad.toml:8:10: key 'prediction.metric' = \"convictoins\": no such series; did you mean "
               "'convictions'"))
      << o.err;
  o = viewer({"--exercise", (folder_ / "bad.toml").string(), "--answer", "maybe"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(contains(o.err, "--answer maybe")) << o.err;
  EXPECT_EQ(viewer({"--exercise", (folder_ / "missing.toml").string()}).exit_code, 2);
  EXPECT_EQ(viewer({kTiny, "--exercise", (folder_ / "bad.toml").string()}).exit_code, 2);
}

}  // namespace
}  // namespace tipsim::viz
