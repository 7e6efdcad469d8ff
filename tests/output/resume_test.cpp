// Resumable experiments (docs/cluster.md, docs/reliability.md): an
// interrupted run keeps its finished runs in FILE.incomplete; --resume
// runs only the missing ones and the result is the uninterrupted file, bit
// for bit; a file is resumed only by the experiment that made it.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "experiment.hpp"
#include "metrics.hpp"
#include "process_helpers.hpp"
#include "run_file.hpp"
#include "same_results.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using namespace tipsim::testing;
using output::RunFileInfo;
using output::RunFileWriter;

// Two arms of a small world, three replicates: a comparison, so that the
// paired effects written at the end are checked too.
RunFileInfo comparison_info(std::size_t replicates = 3, std::uint64_t seed = 20240611) {
  Scenario baseline = test::tiny_scenario(3000, 2, 40, seed);
  baseline.name = "baseline";
  Scenario arm = baseline;
  arm.name = "awareness";
  test::set_param(arm, Param::prevention_awareness_gain, 0.5);
  RunFileInfo info;
  info.command_line = "tipsim compare baseline.toml awareness.toml";
  info.points = {baseline, arm};
  info.replicates = replicates;
  info.experiment = output::ExperimentKind::Comparison;
  info.arm_names = {"baseline", "awareness"};
  return info;
}

// Passes runs on to the writer and raises `cancel` once `limit` have been
// written: an interruption after exactly that many runs.
class StopAfter : public ReplicateSink {
 public:
  StopAfter(ReplicateSink& sink, std::size_t limit, std::atomic<bool>& cancel)
      : sink_(sink), limit_(limit), cancel_(cancel) {}
  void consume(ReplicateResult&& result) override {
    sink_.consume(std::move(result));
    if (++written_ >= limit_) cancel_ = true;
  }

 private:
  ReplicateSink& sink_;
  std::size_t limit_, written_ = 0;
  std::atomic<bool>& cancel_;
};

// Runs what `writer` lacks; stops after `limit` runs (0: runs them all).
ExperimentStatus run_missing(RunFileWriter& writer, const RunFileInfo& info, std::size_t limit = 0) {
  std::atomic<bool> cancel{false};
  StopAfter sink(writer, limit == 0 ? std::size_t(-1) : limit, cancel);
  RunList queue(writer.missing_runs());
  ExperimentOptions options;
  options.threads = 1;  // exactly `limit` runs before the stop
  options.replicates = info.replicates;
  options.recording = info.recording;
  options.checkpoint_steps = info.checkpoint_steps;
  options.cancel = &cancel;
  options.queue = &queue;
  return run_experiment(info.points, options, sink);
}

// Writes one run of `info` towards `final_path` and stops: the file it keeps.
std::string suspended_after_one_run(const std::string& final_path, const RunFileInfo& info) {
  RunFileWriter writer(final_path, info);
  run_missing(writer, info, 1);
  return writer.suspend();
}

fs::path write_uninterrupted(const ScratchFolder& folder, const RunFileInfo& info) {
  const fs::path path = folder / "uninterrupted.h5";
  RunFileWriter writer(path.string(), info);
  EXPECT_EQ(run_missing(writer, info), ExperimentStatus::Completed);
  writer.commit();
  return path;
}

TEST(Resume, AnExperimentInterruptedTwiceCompletesToTheUninterruptedFile) {
  ScratchFolder folder("tipsim-resume");
  const RunFileInfo info = comparison_info();
  const fs::path uninterrupted = write_uninterrupted(folder, info);
  const std::string final_path = (folder / "out.h5").string();
  const std::string incomplete = output::incomplete_path_for(final_path);
  ASSERT_EQ(incomplete, final_path + ".incomplete");

  // First part: 2 of the 6 runs, then an interruption.
  {
    RunFileWriter writer(final_path, info);
    EXPECT_EQ(writer.missing_runs().size(), 6u);
    EXPECT_EQ(run_missing(writer, info, 2), ExperimentStatus::Cancelled);
    EXPECT_EQ(writer.suspend(), incomplete);
    EXPECT_EQ(writer.summaries().size(), 6u);
  }
  EXPECT_EQ(names_in(folder.path()), (std::vector<std::string>{"out.h5.incomplete", "uninterrupted.h5"}));
  // Never read as a run; read as what it is.
  try {
    output::read_run_file(incomplete);
    ADD_FAILURE() << "an unfinished file reads as a run";
  } catch (const output::FormatError& e) {
    EXPECT_TRUE(contains(e.what(), "holds 2 of its 6 runs")) << e.what();
    EXPECT_TRUE(contains(e.what(), "--resume " + incomplete)) << e.what();
  }
  const output::RunFileContents part = output::read_unfinished_run_file(incomplete);
  EXPECT_EQ(part.runs_complete, 2u);
  EXPECT_EQ(part.run_complete, (std::vector<std::uint8_t>{1, 1, 0, 0, 0, 0}));

  // Second part: resumed, 2 more, interrupted again.
  {
    RunFileWriter writer(final_path, info, incomplete);
    EXPECT_EQ(writer.resumed_runs(), 2u);
    EXPECT_EQ(writer.missing_runs(), (std::vector<std::size_t>{2, 3, 4, 5}));
    EXPECT_FALSE(fs::exists(incomplete)) << "the resumed file is taken over, not copied";
    EXPECT_EQ(run_missing(writer, info, 2), ExperimentStatus::Cancelled);
    EXPECT_EQ(writer.suspend(), incomplete);
  }
  EXPECT_EQ(output::read_unfinished_run_file(incomplete).runs_complete, 4u);

  // Last part: the rest.
  {
    RunFileWriter writer(final_path, info, incomplete);
    EXPECT_EQ(writer.missing_runs(), (std::vector<std::size_t>{4, 5}));
    EXPECT_EQ(run_missing(writer, info), ExperimentStatus::Completed);
    writer.commit();
    // Every run's summaries, the resumed ones included.
    ASSERT_EQ(writer.summaries().size(), 6u);
    for (const auto& summary : writer.summaries()) EXPECT_EQ(summary.size(), summary_table().size());
  }
  EXPECT_EQ(names_in(folder.path()), (std::vector<std::string>{"out.h5", "uninterrupted.h5"}));
  expect_same_results(uninterrupted.string(), final_path);
  // Provenance: both commands that made it.
  const output::RunFileContents done = output::read_run_file(final_path, false);
  EXPECT_TRUE(contains(done.text("history"), "(resumed)")) << done.text("history");
}

// A run that keeps checkpoints, interrupted after one of its three runs and
// resumed: the finished file holds every replicate's checkpoints, those of
// the run before the interruption too, as the uninterrupted file does; a
// resume that asks for other checkpoints is refused.
TEST(Resume, AResumedRunKeepsEveryRunsCheckpoints) {
  ScratchFolder folder("tipsim-resume");
  RunFileInfo info;
  info.command_line = "tipsim run tiny.toml --checkpoint-at 9,30";
  info.points = {test::tiny_scenario(3000, 2, 40, 7)};
  info.replicates = 3;
  info.checkpoint_steps = {9, 30};
  const fs::path uninterrupted = write_uninterrupted(folder, info);
  const std::string final_path = (folder / "out.h5").string();
  const std::string incomplete = suspended_after_one_run(final_path, info);
  ASSERT_FALSE(incomplete.empty());
  RunFileInfo other = info;
  other.checkpoint_steps = {9};
  EXPECT_THROW(RunFileWriter(final_path, other, incomplete), output::FormatError);
  {
    RunFileWriter writer(final_path, info, incomplete);
    EXPECT_EQ(writer.resumed_runs(), 1u);
    EXPECT_EQ(run_missing(writer, info), ExperimentStatus::Completed);
    writer.commit();
  }
  expect_same_results(uninterrupted.string(), final_path);
  const auto kept = output::read_checkpoint_steps(final_path);
  EXPECT_EQ(kept, output::read_checkpoint_steps(uninterrupted.string()));
  ASSERT_EQ(kept.size(), 3u);
  const Model model = compile_model(info.points[0]);
  for (std::size_t r = 0; r < 3; ++r) {
    SCOPED_TRACE("replicate " + std::to_string(r));
    EXPECT_EQ(kept.at(r), (std::vector<std::int32_t>{9, 30}));
    for (const std::int32_t step : {9, 30}) {
      const State resumed = state_from_arrays(model, output::read_checkpoint(final_path, r, step));
      EXPECT_TRUE(resumed ==
                  state_from_arrays(model, output::read_checkpoint(uninterrupted.string(), r, step)));
      EXPECT_EQ(resumed.step, step);
      EXPECT_EQ(resumed.replicate, r);
    }
  }
}

TEST(Resume, AFileIsResumedOnlyByTheExperimentThatMadeIt) {
  ScratchFolder folder("tipsim-resume");
  const RunFileInfo info = comparison_info();
  const std::string final_path = (folder / "out.h5").string();
  const std::string incomplete = output::incomplete_path_for(final_path);
  ASSERT_EQ(suspended_after_one_run(final_path, info), incomplete);
  auto refused = [&](const RunFileInfo& other, const std::string& why) {
    SCOPED_TRACE(why);
    try {
      RunFileWriter writer(final_path, other, incomplete);
      ADD_FAILURE() << "resumed by another experiment";
    } catch (const output::FormatError& e) {
      EXPECT_TRUE(contains(e.what(), incomplete)) << e.what();
      EXPECT_TRUE(contains(e.what(), why)) << e.what();
    }
    // Left where it was, untouched, for the right command.
    EXPECT_EQ(output::read_unfinished_run_file(incomplete).runs_complete, 1u);
    EXPECT_FALSE(fs::exists(final_path));
  };
  refused(comparison_info(4), "runs 4");
  refused(comparison_info(3, 99), "seed");
  RunFileInfo sweep = comparison_info();
  sweep.experiment = output::ExperimentKind::Sweep;
  sweep.arm_names.clear();
  refused(sweep, "is a comparison");
  RunFileInfo one_point = comparison_info();
  one_point.points.pop_back();
  one_point.arm_names.pop_back();
  refused(one_point, "has 2 points");
  RunFileInfo renamed = comparison_info();
  renamed.arm_names[1] = "other";
  refused(renamed, "arms");
  RunFileInfo events = comparison_info();
  events.recording.events = true;
  refused(events, "--events");
  try {
    RunFileWriter writer(final_path, info, (folder / "missing.h5.incomplete").string());
    ADD_FAILURE() << "resumed a file that does not exist";
  } catch (const output::FormatError& e) {
    EXPECT_TRUE(contains(e.what(), "no such file")) << e.what();
  }
  // A failure while finishing it (here: a commit with runs missing) keeps
  // the runs it held, under the same name.
  {
    RunFileWriter writer(final_path, info, incomplete);
    EXPECT_EQ(writer.missing_runs().size(), 5u);
    EXPECT_THROW(writer.commit(), output::OutputError);
  }
  EXPECT_EQ(output::read_unfinished_run_file(incomplete).runs_complete, 1u);
  EXPECT_FALSE(fs::exists(final_path));
  // A new run to the same name, interrupted too, does not overwrite it.
  {
    RunFileWriter writer(final_path, info);
    run_missing(writer, info, 3);
    EXPECT_EQ(writer.suspend(), incomplete + "-2");
  }
  EXPECT_EQ(output::read_unfinished_run_file(incomplete).runs_complete, 1u);
  EXPECT_EQ(output::read_unfinished_run_file(incomplete + "-2").runs_complete, 3u);
}

// A file that records a run whose series it does not hold (as a process
// killed while HDF5 rewrote the file's structure can leave it: the chunk
// index no longer finds the chunk, which would read back as zeros) is
// refused as damaged, not resumed into a file that differs.
TEST(Resume, ARecordedRunWithoutItsSeriesIsRefusedAsDamaged) {
  ScratchFolder folder("tipsim-resume");
  const RunFileInfo info = comparison_info();
  const std::string final_path = (folder / "out.h5").string();
  const std::string incomplete = output::incomplete_path_for(final_path);
  ASSERT_EQ(suspended_after_one_run(final_path, info), incomplete);
  // Mark a run the file never wrote as recorded.
  {
    const hid_t file = H5Fopen(incomplete.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t complete = H5Dopen2(file, "campaign/run_complete", H5P_DEFAULT);
    std::vector<std::uint8_t> flags(2 * 3);
    ASSERT_GE(H5Dread(complete, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, flags.data()), 0);
    ASSERT_EQ(std::count(flags.begin(), flags.end(), 1), 1);
    flags[flags[5] == 1 ? 4 : 5] = 1;
    ASSERT_GE(H5Dwrite(complete, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, flags.data()), 0);
    H5Dclose(complete);
    H5Fclose(file);
  }
  try {
    RunFileWriter writer(final_path, info, incomplete);
    ADD_FAILURE() << "a file recording a run it does not hold was resumed";
  } catch (const output::FormatError& e) {
    EXPECT_TRUE(contains(e.what(), incomplete)) << e.what();
    EXPECT_TRUE(contains(e.what(), "has no stored values for run")) << e.what();
  }
  EXPECT_TRUE(fs::exists(incomplete));
  EXPECT_FALSE(fs::exists(final_path));
}

// Makes dataset `name` of a file unreadable, as a killed process can leave
// a part of its file (an address past the file's end): with `gone`, a link
// to nothing, so it does not open; else a dataset of the same type and
// shape whose values lie in an external file that does not exist, so it
// opens and every read of it fails.
void make_unreadable(const std::string& path, const std::string& name, bool gone) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t old = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  ASSERT_GE(old, 0);
  const hid_t type = H5Dget_type(old), space = H5Dget_space(old);
  H5Dclose(old);
  ASSERT_GE(H5Ldelete(file, name.c_str(), H5P_DEFAULT), 0);
  if (gone) {
    ASSERT_GE(H5Lcreate_soft("/nowhere", file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT), 0);
  } else {
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_external(dcpl, "values-that-are-gone.raw", 0, H5F_UNLIMITED), 0);
    const hid_t replaced = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(replaced, 0);
    H5Dclose(replaced);
    H5Pclose(dcpl);
  }
  H5Sclose(space);
  H5Tclose(type);
  ASSERT_GE(H5Fclose(file), 0);
}

// A file whose recorded run does not read back is damaged input: refused
// with the file named (exit 2 in the CLI), kept under its name, nothing
// written.
TEST(Resume, ARecordedRunThatDoesNotReadIsRefusedAsDamaged) {
  RunFileInfo info = comparison_info();
  info.recording.snapshot_every = 20;
  // A summary is read when the file is checked; a series and snapshots
  // when its runs are carried into the resumed file.
  const std::vector<std::pair<std::string, bool>> damages = {
      {"summary/" + std::string(summary_table().front().name), false},
      {"series/" + std::string(metric_table().front().name), false},
      {"snapshots/state", false},
      {"snapshots/vulnerability", true}};
  for (const auto& [name, gone] : damages) {
    SCOPED_TRACE(name + (gone ? " (gone)" : " (does not read)"));
    ScratchFolder folder("tipsim-resume");
    const std::string final_path = (folder / "out.h5").string();
    const std::string incomplete = output::incomplete_path_for(final_path);
    ASSERT_EQ(suspended_after_one_run(final_path, info), incomplete);
    make_unreadable(incomplete, name, gone);
    try {
      RunFileWriter writer(final_path, info, incomplete);
      ADD_FAILURE() << "a file whose recorded run does not read was resumed";
    } catch (const output::FormatError& e) {
      EXPECT_TRUE(contains(e.what(), incomplete + ": damaged run file: ")) << e.what();
      EXPECT_TRUE(contains(e.what(), name)) << e.what();
    }
    EXPECT_TRUE(fs::exists(incomplete));
    EXPECT_FALSE(fs::exists(final_path));
    EXPECT_FALSE(fs::exists(output::temporary_path_for(final_path)));
  }
}

TEST(Resume, ARunWithAnEventLogOrNothingFinishedKeepsNothing) {
  ScratchFolder folder("tipsim-resume");
  RunFileInfo events = comparison_info();
  events.recording.events = true;
  {
    RunFileWriter writer((folder / "events.h5").string(), events);
    run_missing(writer, events, 2);
    EXPECT_EQ(writer.suspend(), "");
  }
  {
    const RunFileInfo info = comparison_info();
    RunFileWriter writer((folder / "nothing.h5").string(), info);
    EXPECT_EQ(writer.suspend(), "");
  }
  EXPECT_TRUE(names_in(folder.path()).empty()) << ::testing::PrintToString(names_in(folder.path()));
}

// The command line: a sweep stopped by SIGTERM part-way keeps its finished
// runs, says how to resume, and `--resume` completes it to the file an
// uninterrupted sweep writes.
TEST(Resume, AStoppedSweepResumesFromTheCommandLine) {
  // The sanitizer builds run each step several times slower: a quarter of
  // the steps keeps the runs about as long as in Release.
#ifdef TIPSIM_SANITIZED
  const std::string steps = "600";
#else
  const std::string steps = "2400";
#endif
  ScratchFolder folder("tipsim-resume-cli");
  folder.write("scenario.toml", R"(
[scenario]
name = "resume"
steps = )" + steps + R"(
seed = 5
replicates = 3
[population]
size = 60000
[[region]]
name = "A"
[[region]]
name = "B"
)");
  // One thread: the nine runs (about 0.2 s each in Release) finish one at
  // a time, and --progress reports each.
  const std::vector<std::string> sweep = {"sweep", "scenario.toml", "--vary",
                                          "prevention.awareness_gain=0,0.3,0.6"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = sweep;
    args.insert(args.end(), {"--threads", "1", "--progress"});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const Outcome whole = run_tipsim(folder.path(), with({"-o", "whole.h5"}));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  // Stopped once the first run is done (one thread: 8 of the 9 runs are
  // still to do), however fast or slow the machine.
  Tipsim program(folder.path(), with({"-o", "out/cut.h5"}));
  ASSERT_TRUE(
      wait_for_stderr(program, [](const std::string& err) { return reported_progress(err).done >= 1; }))
      << "the sweep never reported a run done\n"
      << program.err_so_far();
  program.signal(SIGTERM);
  const Outcome outcome = program.finish(std::chrono::minutes(5));
  ASSERT_EQ(outcome.exit_code, 143) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "--resume out/cut.h5.incomplete")) << outcome.err;
  EXPECT_EQ(names_in(folder / "out"), std::vector<std::string>{"cut.h5.incomplete"});
  // Every run reported done is kept; not every run had finished.
  const std::size_t kept =
      output::read_unfinished_run_file((folder / "out/cut.h5.incomplete").string()).runs_complete;
  EXPECT_GE(kept, reported_progress(outcome.err).done);
  EXPECT_LT(kept, 9u);
  // -o comes from the name of the file resumed.
  const Outcome resumed =
      run_tipsim(folder.path(), {"sweep", "scenario.toml", "--vary", "prevention.awareness_gain=0,0.3,0.6",
                                 "--resume", "out/cut.h5.incomplete"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(contains(resumed.err, "resuming out/cut.h5.incomplete: " + std::to_string(kept) +
                                        " of 9 runs done, " + std::to_string(9 - kept) + " to run"))
      << resumed.err;
  EXPECT_TRUE(contains(resumed.out, "resumed")) << resumed.out;
  EXPECT_EQ(names_in(folder / "out"), std::vector<std::string>{"cut.h5"});
  expect_same_results((folder / "whole.h5").string(), (folder / "out/cut.h5").string());

  // Another command's file: exit 2, named, nothing changed.
  const Outcome other =
      run_tipsim(folder.path(), {"sweep", "scenario.toml", "--vary", "prevention.awareness_gain=0,1",
                                 "--resume", "out/cut.h5", "-o", "out/other.h5"});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_TRUE(contains(other.err, "cannot resume")) << other.err;
  EXPECT_EQ(names_in(folder / "out"), std::vector<std::string>{"cut.h5"});
}

}  // namespace
}  // namespace tipsim
