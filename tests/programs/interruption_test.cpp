// Interrupted runs (docs/reliability.md): real `tipsim run` processes are
// stopped at pseudo-random moments (deterministic: the same choices on
// every machine) chosen by what the program shows (its temporary file, its
// --progress lines), so that a slow or loaded machine stops each run at the
// same point of its work as a fast one; and what they leave is checked.
//
//  - SIGINT / SIGTERM: the program ends with 130 / 143 (a signal that
//    arrives before the handlers are in place kills it with the same shell
//    status) and leaves no file at the final name: nothing at all, or, when
//    some replicates had finished, FINAL.incomplete with them, which no
//    reader takes for a run and which --resume completes into exactly the
//    file an uninterrupted run writes. A signal that comes after the run
//    finished changes nothing: exit 0 and a complete file.
//  - SIGKILL: never a file at the final name unless the run had completed
//    (then the file is whole). The only thing it may leave is the
//    temporary FINAL.partial-PID, which no reader takes for a run, and
//    which --resume completes into exactly the uninterrupted file, running
//    only the runs it had not recorded; or refuses as damaged (exit 2) when
//    the kill landed while HDF5 was writing the file's structure — never
//    into a different file.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "process_helpers.hpp"
#include "run_file.hpp"
#include "same_results.hpp"

namespace tipsim {
namespace {

using namespace tipsim::testing;
using std::chrono::milliseconds;

// Eight runs of about a sixth of a second each in Release (1.2 s in all
// on one thread): short enough for many trials. A file records finished
// runs at most once a second, so the test that needs runs recorded well
// before the end (AKilledRunResumes... below) lengthens its own.
constexpr std::size_t kRuns = 8;
// Trials of each kind of moment. The sanitizer builds check the same code
// paths for memory errors, at several times the cost per run, with one
// trial of each kind.
#ifdef TIPSIM_SANITIZED
constexpr int kTrialsOfEachKind = 1;
#else
constexpr int kTrialsOfEachKind = 4;
#endif
// The sanitizer builds run each step about five times slower: a quarter
// of the steps keeps each run about as long as in Release.
#ifdef TIPSIM_SANITIZED
#define TIPSIM_INTERRUPTION_STEPS 500
#else
#define TIPSIM_INTERRUPTION_STEPS 2000
#endif
#define TIPSIM_TEXT_OF(x) #x
#define TIPSIM_TEXT(x) TIPSIM_TEXT_OF(x)
constexpr std::size_t kSteps = TIPSIM_INTERRUPTION_STEPS;
constexpr const char* kScenario = R"(
[scenario]
name = "interruption test"
steps = )" TIPSIM_TEXT(TIPSIM_INTERRUPTION_STEPS) R"(
seed = 11
replicates = 8
[population]
size = 100000
[[region]]
name = "Origin"
[[region]]
name = "Destination"
[[route]]
from = "Origin"
to = "Destination"
share = 0.3
)";

// Two threads: a stop can land while two runs are under way.
const std::vector<std::string> kRunArgs = {"run",        "../scenario.toml", "-o", "out/run.h5",
                                           "--progress", "--threads",        "2"};
// One thread: runs finish one at a time, and between two of them the
// program only computes; right after it reports a run done, it is not
// writing the file.
const std::vector<std::string> kOneThreadArgs = {"run",        "../scenario.toml", "-o", "out/run.h5",
                                                 "--progress", "--threads",        "1"};

// The run file at `path` is whole: it reads, with every replicate.
void expect_complete(const fs::path& path) {
  try {
    const output::RunFileContents contents = output::read_run_file(path.string(), false);
    EXPECT_EQ(contents.dimension("replicate"), kRuns) << path;
    EXPECT_EQ(contents.dimension("step"), kSteps) << path;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a file at the final name does not read as a whole run: " << e.what();
  }
}

// One uninterrupted run, timed: the scale of the moments that may fall
// anywhere, and the file every resumed run must equal.
milliseconds measure_run(const ScratchFolder& folder) {
  const fs::path trial = folder / "measure";
  fs::create_directories(trial);
  const auto started = std::chrono::steady_clock::now();
  const Outcome outcome = run_tipsim(trial, kRunArgs);
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  EXPECT_EQ(outcome.shell_status(), 0) << outcome.err;
  expect_complete(trial / "out/run.h5");
  return std::max(took, milliseconds(50));
}

// Waits until the program has reported `runs` runs done, or ended.
bool wait_for_runs_done(Tipsim& program, std::size_t runs) {
  return wait_for_stderr(program,
                         [runs](const std::string& err) { return reported_progress(err).done >= runs; });
}

// What each trial saw, for the checks that the trials really did stop runs
// in the middle.
struct Tally {
  int stopped_cleanly = 0;    // the handler ran: 130 / 143 and "interrupted"
  int killed_early = 0;       // the signal came before the handlers
  int finished = 0;           // the run completed before the signal
  int partial_leftovers = 0;  // SIGKILL left FINAL.partial-PID
  int kept_for_resuming = 0;  // SIGINT / SIGTERM kept FINAL.incomplete
  int resumed = 0;            // a leftover completed by --resume
  int refused = 0;            // a leftover refused as damaged
};

// How --resume ended on a leftover: it finished the file, or refused the
// leftover as damaged (exit 2), or neither (a failure).
enum class Resumption { Finished, Refused, Failed };

// Completes the unfinished file `left` (in trial_folder/out) with --resume
// and checks that it ran only the runs the file lacked (at least
// `recorded`: the runs the killed program had reported recorded) and that
// the result is the uninterrupted run's file.
Resumption resume_and_compare(const fs::path& trial_folder, const std::string& left,
                              const fs::path& uninterrupted, std::size_t recorded) {
  std::vector<std::string> args = kRunArgs;
  args.insert(args.end(), {"--resume", "out/" + left});
  const Outcome outcome = run_tipsim(trial_folder, args);
  if (outcome.exit_code == 2) {
    // Killed while HDF5 was writing the file's structure: refused, with
    // the file named, and nothing written.
    EXPECT_TRUE(contains(outcome.err, left)) << outcome.err;
    EXPECT_FALSE(fs::exists(trial_folder / "out/run.h5"));
    EXPECT_TRUE(fs::exists(trial_folder / "out" / left));
    return Resumption::Refused;
  }
  if (outcome.exit_code != 0) {
    ADD_FAILURE() << "the leftover was neither resumed nor refused as damaged: exit "
                  << outcome.shell_status() << "\n"
                  << outcome.err;
    return Resumption::Failed;
  }
  const ResumeAccount account = resume_account(outcome.err);
  EXPECT_TRUE(account.found) << outcome.err;
  EXPECT_EQ(account.total, kRuns) << outcome.err;
  EXPECT_GE(account.done, recorded) << "runs reported recorded are missing from the file\n" << outcome.err;
  EXPECT_EQ(account.done + account.to_run, kRuns) << outcome.err;
  // It ran those it said, and no other.
  EXPECT_EQ(reported_progress(outcome.err).done_here, account.to_run) << outcome.err;
  if (account.to_run > 0) {
    EXPECT_EQ(reported_progress(outcome.err).done, kRuns) << outcome.err;
  }
  EXPECT_FALSE(fs::exists(trial_folder / "out" / left)) << "the resumed file is still there";
  expect_same_results(uninterrupted.string(), (trial_folder / "out/run.h5").string());
  return Resumption::Finished;
}

TEST(Interruption, SigintAndSigtermAtRandomMomentsLeaveNoFileAtTheFinalName) {
  ScratchFolder folder("tipsim-interrupt");
  folder.write("scenario.toml", kScenario);
  const milliseconds run_time = measure_run(folder);
  Splitmix random(20240601);
  Tally tally;
  constexpr int kTrials = kTrialsOfEachKind * 3;
  int in_the_middle = 0, after_runs = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    const int signal_number = trial % 2 == 0 ? SIGINT : SIGTERM;
    SCOPED_TRACE("trial " + std::to_string(trial) + ": signal " + std::to_string(signal_number) + ", a " +
                 std::to_string(run_time.count()) + " ms run");
    const fs::path trial_folder = folder / ("trial-" + std::to_string(trial));
    fs::create_directories(trial_folder);
    Tipsim program(trial_folder, kRunArgs);
    // One in three at a random moment of the whole run (from before the
    // handlers are installed to after the end: any outcome is right); the
    // others once the handlers are in place (the temporary file exists),
    // at once or after 1 to 4 runs are done, with 4 or more still to do:
    // those stop the run in the middle, cleanly.
    const double u = random.uniform();
    std::size_t done_before = 0;
    if (trial % 3 == 0) {
      std::this_thread::sleep_for(
          milliseconds(static_cast<long>(u * 1.1 * static_cast<double>(run_time.count()))));
    } else {
      ASSERT_TRUE(wait_for_file(program, trial_folder / "out", ".partial-"))
          << "the run never started writing";
      ++in_the_middle;
      if (trial % 3 == 2) {
        done_before = 1 + static_cast<std::size_t>(u * kRuns / 2);
        ASSERT_TRUE(wait_for_runs_done(program, done_before)) << program.err_so_far();
        ++after_runs;
      }
    }
    program.signal(signal_number);
    const Outcome outcome = program.finish(run_time * 10 + std::chrono::seconds(60));
    ASSERT_FALSE(outcome.timed_out) << "the run did not end after the signal";
    const std::vector<std::string> left = names_in(trial_folder / "out");
    if (trial % 3 != 0) {
      EXPECT_EQ(outcome.exit_code, 128 + signal_number) << "not stopped in the middle\n" << outcome.err;
    }
    if (outcome.exit_code == 0) {
      ++tally.finished;
      EXPECT_EQ(left, std::vector<std::string>{"run.h5"});
      expect_complete(trial_folder / "out/run.h5");
      continue;
    }
    EXPECT_EQ(outcome.shell_status(), 128 + signal_number) << outcome.err;
    if (outcome.signal == 0) {
      ++tally.stopped_cleanly;
      EXPECT_TRUE(contains(outcome.err, "interrupted")) << outcome.err;
    } else {
      ++tally.killed_early;
    }
    if (left == std::vector<std::string>{"run.h5.incomplete"}) {
      // The finished replicates, kept to be resumed: never read as a run.
      ++tally.kept_for_resuming;
      EXPECT_TRUE(contains(outcome.err, "--resume out/run.h5.incomplete")) << outcome.err;
      const std::string kept = (trial_folder / "out/run.h5.incomplete").string();
      EXPECT_THROW(output::read_run_file(kept, false), output::FormatError);
      const output::RunFileContents unfinished = output::read_unfinished_run_file(kept);
      // Every run reported done before the signal is kept.
      EXPECT_GE(unfinished.runs_complete, std::max<std::size_t>(done_before, 1));
      EXPECT_LT(unfinished.runs_complete, kRuns);
      if (resume_and_compare(trial_folder, "run.h5.incomplete", folder / "measure/out/run.h5",
                             unfinished.runs_complete) == Resumption::Finished) {
        ++tally.resumed;
      } else {
        ADD_FAILURE() << "a file kept by an interrupted run was not resumed";
      }
    } else {
      EXPECT_EQ(done_before, 0u) << "runs reported done were not kept";
      EXPECT_TRUE(left.empty()) << "left in the output folder: " << ::testing::PrintToString(left);
    }
  }
  RecordProperty("kept_for_resuming", tally.kept_for_resuming);
  RecordProperty("stopped_cleanly", tally.stopped_cleanly);
  RecordProperty("killed_before_handlers", tally.killed_early);
  RecordProperty("finished_first", tally.finished);
  // Every signal sent once the handlers were in place, before the end,
  // stopped the run in the middle; those sent after runs were done kept
  // them, and the kept file was resumed.
  EXPECT_GE(tally.stopped_cleanly, in_the_middle) << "only " << tally.stopped_cleanly << " of "
                                                  << in_the_middle << " signals stopped a run in the middle";
  EXPECT_GE(tally.kept_for_resuming, after_runs);
  EXPECT_EQ(tally.resumed, tally.kept_for_resuming);
}

// SIGKILL at moments chosen from what the program shows, each trial one of:
//  - as soon as its temporary file appears: HDF5 may be writing the
//    file's layout;
//  - right after it reports run k done (k random, with runs still to do):
//    one thread, so the program is computing the next run and not writing;
//  - right after it reports the last run done: it is finishing the file
//    (HDF5 writes its structure, syncs and renames it), or has finished.
// A leftover of the first two kinds is resumed. Refused as damaged is
// allowed only after a kill of the first kind, while HDF5 may be writing
// the file's layout: after one of the second kind it must resume, with
// every run it had reported recorded. (Leftovers of the third kind are
// resumed by AKillWhileTheFileIsFinished... below.)
TEST(Interruption, SigkillAtRandomMomentsNeverLeavesAFileAtTheFinalName) {
  ScratchFolder folder("tipsim-sigkill");
  folder.write("scenario.toml", kScenario);
  // The uninterrupted file that every resumed leftover must equal.
  measure_run(folder);
  Splitmix random(19700101);
  Tally tally;
  constexpr int kTrials = kTrialsOfEachKind * 3;
  int while_computing = 0, refused_while_computing = 0, before_the_end = 0, as_the_file_appeared = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    const fs::path trial_folder = folder / ("trial-" + std::to_string(trial));
    fs::create_directories(trial_folder);
    Tipsim program(trial_folder, kOneThreadArgs);
    const std::size_t k = 1 + random.below(kRuns - 1);
    const char* moment = trial % 3 == 0   ? "as the file appears"
                         : trial % 3 == 1 ? "after run k"
                                          : "after the last run";
    SCOPED_TRACE("trial " + std::to_string(trial) + ": SIGKILL " + moment + ", k = " + std::to_string(k));
    if (trial % 3 == 0) {
      ASSERT_TRUE(wait_for_file(program, trial_folder / "out", ".partial-"))
          << "the run never started writing";
      ++before_the_end;
      ++as_the_file_appeared;
    } else if (trial % 3 == 1) {
      ASSERT_TRUE(wait_for_runs_done(program, k)) << program.err_so_far();
      ++before_the_end;
    } else {
      ASSERT_TRUE(wait_for_runs_done(program, kRuns)) << program.err_so_far();
    }
    // What it had reported recorded before the kill: the leftover holds it.
    const std::size_t recorded = reported_progress(program.err_so_far()).recorded;
    program.signal(SIGKILL);
    const Outcome outcome = program.finish(std::chrono::seconds(60));
    ASSERT_FALSE(outcome.timed_out);
    const std::vector<std::string> left = names_in(trial_folder / "out");
    const std::string partial = "run.h5.partial-" + std::to_string(outcome.pid);
    bool final_file = false;
    for (const std::string& name : left) {
      if (name == "run.h5") {
        final_file = true;
      } else {
        EXPECT_EQ(name, partial) << "an unexpected file after SIGKILL";
      }
    }
    if (outcome.exit_code == 0) {
      ++tally.finished;
      EXPECT_TRUE(final_file);
    } else {
      EXPECT_EQ(outcome.signal, SIGKILL);
    }
    // A file at the final name only ever appears whole (the rename is the
    // last thing a run does).
    if (final_file) expect_complete(trial_folder / "out/run.h5");
    if (trial % 3 != 2) {
      EXPECT_FALSE(final_file) << "killed before the end, yet a file at the final name";
    }
    if (fs::exists(trial_folder / "out" / partial)) {
      ++tally.partial_leftovers;
      const std::string leftover = (trial_folder / "out" / partial).string();
      // Never taken for a run.
      try {
        output::read_run_file(leftover, false);
        ADD_FAILURE() << "a SIGKILLed run's temporary file reads as a run: " << leftover;
      } catch (const output::FormatError& e) {
        EXPECT_TRUE(contains(e.what(), leftover)) << e.what();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not a FormatError: " << e.what();
      }
      // --resume completes it into the uninterrupted file, or refuses it
      // as damaged; never anything else. (Copied first: the first leftover
      // serves the checks below too.)
      if (trial % 3 != 2) {
        fs::copy_file(trial_folder / "out" / partial, trial_folder / "out" / ("copy-" + partial));
        const Resumption resumption =
            resume_and_compare(trial_folder, "copy-" + partial, folder / "measure/out/run.h5", recorded);
        if (resumption == Resumption::Finished) ++tally.resumed;
        if (resumption == Resumption::Refused) {
          ++tally.refused;
          if (trial % 3 == 1) ++refused_while_computing;
        }
        if (trial % 3 == 1) ++while_computing;
      }
      fs::remove(trial_folder / "out/run.h5");
      // A new run to the same name is not disturbed by it, and the program
      // refuses to read it.
      if (tally.partial_leftovers == 1) {
        const Outcome inspect = run_tipsim(trial_folder, {"inspect", "out/" + partial});
        EXPECT_EQ(inspect.shell_status(), 2) << inspect.err;
        EXPECT_TRUE(contains(inspect.err, "never finished")) << inspect.err;
        const Outcome again = run_tipsim(trial_folder, kRunArgs);
        EXPECT_EQ(again.exit_code, 0) << again.err;
        expect_complete(trial_folder / "out/run.h5");
        EXPECT_TRUE(fs::exists(trial_folder / "out" / partial)) << "a new run removed another run's file";
      }
    }
  }
  RecordProperty("finished_first", tally.finished);
  RecordProperty("partial_leftovers", tally.partial_leftovers);
  RecordProperty("resumed", tally.resumed);
  RecordProperty("refused", tally.refused);
  // Every kill before the end left the temporary file; every one of those
  // killed while the program computed was resumed; only those killed as
  // the file appeared may have been refused.
  EXPECT_GE(tally.partial_leftovers, before_the_end) << "a kill before the end left no temporary file";
  EXPECT_EQ(while_computing, kTrials / 3);
  EXPECT_EQ(refused_while_computing, 0)
      << "a file killed while no HDF5 structure was being written was refused";
  EXPECT_LE(tally.refused, as_the_file_appeared);
}

// A run killed right after it reports its last run done, while it finishes
// its file (HDF5 writes the file's structure, then the file is synced and
// renamed): the leftover, when there is one, resumes into the
// uninterrupted file or is refused as damaged (exit 2). Such a leftover's
// structure may read but no longer take writes ("addr overflow" from HDF5):
// --resume therefore carries only its recorded runs into a new file.
TEST(Interruption, AKillWhileTheFileIsFinishedLeavesAFileThatResumesOrIsRefused) {
  ScratchFolder folder("tipsim-sigkill-finish");
  folder.write("scenario.toml", kScenario);
  measure_run(folder);
  Tally tally;
  // At least three: a kill must land while the file is finished at least once.
  constexpr int kTrials = std::max(3, kTrialsOfEachKind * 3 / 2);
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const fs::path trial_folder = folder / ("trial-" + std::to_string(trial));
    fs::create_directories(trial_folder);
    Tipsim program(trial_folder, kOneThreadArgs);
    ASSERT_TRUE(wait_for_runs_done(program, kRuns)) << program.err_so_far();
    const std::size_t recorded = reported_progress(program.err_so_far()).recorded;
    program.signal(SIGKILL);
    const Outcome outcome = program.finish(std::chrono::seconds(60));
    const std::string partial = "run.h5.partial-" + std::to_string(outcome.pid);
    if (!fs::exists(trial_folder / "out" / partial)) continue;
    ++tally.partial_leftovers;
    const Resumption resumption =
        resume_and_compare(trial_folder, partial, folder / "measure/out/run.h5", recorded);
    if (resumption == Resumption::Finished) ++tally.resumed;
    if (resumption == Resumption::Refused) ++tally.refused;
  }
  RecordProperty("partial_leftovers", tally.partial_leftovers);
  RecordProperty("resumed", tally.resumed);
  RecordProperty("refused", tally.refused);
  EXPECT_GE(tally.partial_leftovers, 1) << "no kill landed while the file was being finished";
}

// A run killed once it reports runs recorded in its file, before it ends,
// leaves a file that --resume completes by running only the runs it lacks,
// into exactly the file an uninterrupted run writes.
TEST(Interruption, AKilledRunResumesOnlyTheRunsItHadNotRecorded) {
  ScratchFolder folder("tipsim-sigkill-resume");
  folder.write("scenario.toml", kScenario);
  // The kill must land after a run is recorded (a second or more after the
  // start) and before the last one is: the runs get steps enough to take
  // about three seconds on one thread at this machine's measured pace.
  const std::int64_t one_thread_ms = 2 * measure_run(folder).count();
  const std::int64_t times = std::max<std::int64_t>(1, (3000 + one_thread_ms - 1) / one_thread_ms);
  const std::size_t steps = kSteps * static_cast<std::size_t>(times);
  const std::vector<std::string> steps_args = {"--steps", std::to_string(steps)};
  auto with_steps = [&](std::vector<std::string> args) {
    args.insert(args.end(), steps_args.begin(), steps_args.end());
    return args;
  };
  const fs::path uninterrupted = folder / "uninterrupted";
  fs::create_directories(uninterrupted);
  const Outcome reference = run_tipsim(uninterrupted, with_steps(kRunArgs));
  ASSERT_EQ(reference.shell_status(), 0) << reference.err;
  // On a loaded machine the run may still record every run, or end,
  // between the report and the kill, an attempt that says nothing (its
  // leftover still resumes into the same file), so up to five are made.
  fs::path trial_folder;
  ReportedProgress reported;
  ResumeAccount account;
  Outcome resumed;
  for (int attempt = 0; attempt < 5 && account.to_run == 0; ++attempt) {
    trial_folder = folder / ("killed-" + std::to_string(attempt));
    fs::create_directories(trial_folder);
    Tipsim program(trial_folder, with_steps(kOneThreadArgs));
    ASSERT_TRUE(
        wait_for_stderr(program, [](const std::string& err) { return reported_progress(err).recorded >= 1; }))
        << "the run never reported a run recorded in its file\n"
        << program.err_so_far();
    reported = reported_progress(program.err_so_far());
    program.signal(SIGKILL);
    const Outcome outcome = program.finish(std::chrono::seconds(60));
    if (outcome.signal != SIGKILL || reported.recorded >= kRuns) continue;  // ended before the kill
    const std::string partial = "run.h5.partial-" + std::to_string(outcome.pid);
    ASSERT_EQ(names_in(trial_folder / "out"), std::vector<std::string>{partial});
    std::vector<std::string> args = with_steps(kRunArgs);
    args.insert(args.end(), {"--resume", "out/" + partial});
    resumed = run_tipsim(trial_folder, args);
    ASSERT_EQ(resumed.exit_code, 0) << "the leftover was not resumed\n" << resumed.err;
    account = resume_account(resumed.err);
    ASSERT_TRUE(account.found) << resumed.err;
    // Every run, recorded before the kill or not, ends in the same file.
    EXPECT_EQ(names_in(trial_folder / "out"), std::vector<std::string>{"run.h5"});
    expect_same_results((uninterrupted / "out/run.h5").string(), (trial_folder / "out/run.h5").string());
  }
  RecordProperty("steps", static_cast<int>(steps));
  ASSERT_GT(account.to_run, 0u) << "in five attempts the kill never landed before the last run was recorded";

  // It found at least the runs reported recorded, and ran only the others.
  EXPECT_EQ(account.total, kRuns) << resumed.err;
  EXPECT_GE(account.done, reported.recorded) << resumed.err;
  EXPECT_EQ(account.done + account.to_run, kRuns) << resumed.err;
  EXPECT_LT(account.to_run, kRuns) << "the resume ran every run again\n" << resumed.err;
  EXPECT_EQ(reported_progress(resumed.err).done_here, account.to_run) << resumed.err;
  EXPECT_EQ(reported_progress(resumed.err).done, kRuns) << resumed.err;
  RecordProperty("recorded_before_the_kill", static_cast<int>(reported.recorded));
  RecordProperty("resumed_with", static_cast<int>(account.done));
}

}  // namespace
}  // namespace tipsim
