// Interrupted runs (docs/reliability.md): real `tipsim run` processes are
// stopped at pseudo-random moments (deterministic: the same delays, as
// fractions of a measured run, on every machine; a third of them while the
// file is being written) and what they leave is checked.
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
//    which --resume either completes into exactly the uninterrupted file or
//    refuses as damaged (exit 2) — never into a different file.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "process_helpers.hpp"
#include "run_file.hpp"
#include "same_results.hpp"

namespace tipsim {
namespace {

using namespace tipsim::testing;
using std::chrono::milliseconds;

// Long enough to be stopped in the middle (about a second in Release),
// short enough for several trials; two replicates on two threads, so that
// a stop can land while both are running.
constexpr const char* kScenario = R"(
[scenario]
name = "interruption test"
steps = 150
seed = 11
replicates = 4
[population]
size = 30000
[[region]]
name = "Origin"
[[region]]
name = "Destination"
[[route]]
from = "Origin"
to = "Destination"
share = 0.3
)";

const std::vector<std::string> kRunArgs = {"run",     "../scenario.toml", "-o", "out/run.h5",
                                           "--quiet", "--threads",        "2"};

// The run file at `path` is whole: it reads, with every replicate.
void expect_complete(const fs::path& path) {
  try {
    const output::RunFileContents contents = output::read_run_file(path.string(), false);
    EXPECT_EQ(contents.dimension("replicate"), 4u) << path;
    EXPECT_EQ(contents.dimension("step"), 150u) << path;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a file at the final name does not read as a whole run: " << e.what();
  }
}

// One uninterrupted run, timed: the scale of the random delays.
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

// Waits until the run is writing (its temporary file exists: the stop
// handlers are in place) or has ended; false when it never started writing.
bool wait_until_writing(Tipsim& program, const fs::path& out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && !program.ended()) {
    for (const std::string& name : names_in(out))
      if (contains(name, ".partial-")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// The moment of a trial: two in three at a random point of the whole run
// (from before the handlers are installed to after the end), one in three
// at a random point while the file is being written.
void wait_for_the_moment(int trial, Tipsim& program, const fs::path& out, milliseconds run_time,
                         Splitmix& random) {
  const double u = random.uniform();
  if (trial % 3 == 2 && wait_until_writing(program, out)) {
    std::this_thread::sleep_for(
        milliseconds(static_cast<long>(u * 0.25 * static_cast<double>(run_time.count()))));
  } else {
    std::this_thread::sleep_for(
        milliseconds(static_cast<long>(u * 1.1 * static_cast<double>(run_time.count()))));
  }
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
};

// Completes the unfinished file `left` (in trial_folder/out) with --resume
// and checks the result against the uninterrupted run's file. Returns
// false when the file was refused as damaged (exit 2, nothing written).
bool resume_and_compare(const fs::path& trial_folder, const std::string& left,
                        const fs::path& uninterrupted) {
  std::vector<std::string> args = kRunArgs;
  args.insert(args.end(), {"--resume", "out/" + left});
  const Outcome outcome = run_tipsim(trial_folder, args);
  if (outcome.exit_code == 2) {
    // Killed before its layout was on disk, or while HDF5 was writing:
    // refused, with the file named, and nothing written.
    EXPECT_TRUE(contains(outcome.err, left)) << outcome.err;
    EXPECT_FALSE(fs::exists(trial_folder / "out/run.h5"));
    EXPECT_TRUE(fs::exists(trial_folder / "out" / left));
    return false;
  }
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_FALSE(fs::exists(trial_folder / "out" / left)) << "the resumed file is still there";
  expect_same_results(uninterrupted.string(), (trial_folder / "out/run.h5").string());
  return true;
}

TEST(Interruption, SigintAndSigtermAtRandomMomentsLeaveNoFileAtTheFinalName) {
  ScratchFolder folder("tipsim-interrupt");
  folder.write("scenario.toml", kScenario);
  const milliseconds run_time = measure_run(folder);
  Splitmix random(20240601);
  Tally tally;
  constexpr int kTrials = 12;
  for (int trial = 0; trial < kTrials; ++trial) {
    const int signal_number = trial % 2 == 0 ? SIGINT : SIGTERM;
    SCOPED_TRACE("trial " + std::to_string(trial) + ": signal " + std::to_string(signal_number) + ", a " +
                 std::to_string(run_time.count()) + " ms run");
    const fs::path trial_folder = folder / ("trial-" + std::to_string(trial));
    fs::create_directories(trial_folder);
    Tipsim program(trial_folder, kRunArgs);
    wait_for_the_moment(trial, program, trial_folder / "out", run_time, random);
    program.signal(signal_number);
    const Outcome outcome = program.finish(run_time * 10 + std::chrono::seconds(60));
    ASSERT_FALSE(outcome.timed_out) << "the run did not end after the signal";
    const std::vector<std::string> left = names_in(trial_folder / "out");
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
      EXPECT_GE(unfinished.runs_complete, 1u);
      EXPECT_LT(unfinished.runs_complete, 4u);
      if (resume_and_compare(trial_folder, "run.h5.incomplete", folder / "measure/out/run.h5"))
        ++tally.resumed;
      else
        ADD_FAILURE() << "a file kept by an interrupted run was refused";
    } else {
      EXPECT_TRUE(left.empty()) << "left in the output folder: " << ::testing::PrintToString(left);
    }
  }
  RecordProperty("kept_for_resuming", tally.kept_for_resuming);
  RecordProperty("stopped_cleanly", tally.stopped_cleanly);
  RecordProperty("killed_before_handlers", tally.killed_early);
  RecordProperty("finished_first", tally.finished);
  // At least the signals sent while the file was being written stopped a
  // run in the middle; otherwise the test proved nothing.
  EXPECT_GE(tally.stopped_cleanly, kTrials / 3)
      << "only " << tally.stopped_cleanly << " of " << kTrials << " signals stopped a run in the middle";
}

TEST(Interruption, SigkillAtRandomMomentsNeverLeavesAFileAtTheFinalName) {
  ScratchFolder folder("tipsim-sigkill");
  folder.write("scenario.toml", kScenario);
  const milliseconds run_time = measure_run(folder);
  Splitmix random(19700101);
  Tally tally;
  constexpr int kTrials = 12;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial) + ": SIGKILL, a " + std::to_string(run_time.count()) +
                 " ms run");
    const fs::path trial_folder = folder / ("trial-" + std::to_string(trial));
    fs::create_directories(trial_folder);
    Tipsim program(trial_folder, kRunArgs);
    wait_for_the_moment(trial, program, trial_folder / "out", run_time, random);
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
      // as damaged (killed while HDF5 was writing); never anything else.
      // (Copied first: the first leftover serves the checks below too.)
      fs::copy_file(trial_folder / "out" / partial, trial_folder / "out" / ("copy-" + partial));
      if (resume_and_compare(trial_folder, "copy-" + partial, folder / "measure/out/run.h5")) ++tally.resumed;
      fs::remove(trial_folder / "out/run.h5");
      // A new run to the same name is not disturbed by it, and the program
      // refuses to read it.
      if (tally.partial_leftovers == 1) {
        if (has_subcommand("inspect")) {
          const Outcome inspect = run_tipsim(trial_folder, {"inspect", "out/" + partial});
          EXPECT_EQ(inspect.shell_status(), 2) << inspect.err;
          EXPECT_TRUE(contains(inspect.err, "never finished")) << inspect.err;
        }
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
  EXPECT_GE(tally.partial_leftovers, 1) << "no kill landed while the file was being written";
}

}  // namespace
}  // namespace tipsim
