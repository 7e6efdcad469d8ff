// The progress `tipsim run`, `sweep` and `compare` show on stderr: a line
// kept updated on a terminal, or plain lines (--progress) for logs and for
// programs that watch a run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "experiment.hpp"
#include "run_file.hpp"

namespace tipsim::cli {

// What a progress line counts: the items done (Progress::runs_done) and
// the work done per second (Progress::steps_done).
struct ProgressUnits {
  const char* items = "runs";
  const char* work = "steps";
};

// One line on stderr, rewritten in place (\r): a bar, the percentage, runs
// done, steps per second and the time left (or, with other units, tables
// done and rows per second). Safe to update from worker threads; redraws at
// most ten times a second.
class ProgressLine {
 public:
  // A disabled line prints nothing (not a terminal, or --quiet).
  explicit ProgressLine(bool enabled, std::FILE* stream = stderr, ProgressUnits units = {});

  void update(const Progress& progress);
  // Erases the line, so that what follows starts on a clean line.
  void clear();

 private:
  void draw(const Progress& progress, std::chrono::steady_clock::time_point now);

  bool enabled_;
  std::FILE* stream_;
  ProgressUnits units_;
  std::chrono::steady_clock::time_point start_;
  // Since start_; the first draw waits one interval so the rate means something.
  std::atomic<std::int64_t> next_draw_ns_{100'000'000};
  std::mutex mutex_;
  std::size_t drawn_width_ = 0;  // characters of the last line drawn
};

// --progress: plain progress lines whatever stderr is (set by main() from
// the command line, before any command runs).
void request_progress_lines();
bool progress_lines_requested();

// Plain progress lines: one when a run is done (its data are in the file),
// one when finished runs are recorded in the file (campaign/run_complete:
// what a kill keeps). Each is written and flushed at once, so that a batch
// job's log, or a test racing the program, sees it as it happens:
//
//   tipsim: run 3 of 8 done
//   tipsim: 3 of 8 runs recorded in out/run.h5.partial-4711
//
// and one each time another tenth of the steps is done, so that a long
// single run says how far it got:
//
//   tipsim: 30 % of the steps done (234 of 780)
//
// A rank of an MPI job counts its own runs, each recorded as it is done:
//
//   tipsim: rank 1 of 2: 3 runs done and recorded in out/run.h5.partial-4711 (18 in the job)
class ProgressLog {
 public:
  // A disabled log prints nothing. `ranks` 0: this process alone.
  ProgressLog(bool enabled, std::size_t runs_total, int rank = 0, int ranks = 0, std::FILE* stream = stderr);

  // A run is done: `done` runs are (the file's, alone; this rank's, in a
  // job), and `recorded` of them are recorded in `file`.
  void run_done(std::size_t done, std::size_t recorded, const std::string& file);
  // The steps done over this process's runs; a line when another tenth is
  // done. Safe to call from worker threads.
  void steps_done(std::uint64_t done, std::uint64_t total);

 private:
  void print(const std::string& text);

  bool enabled_;
  std::mutex mutex_;                // one line at a time, in order
  std::atomic<int> next_tenth_{1};  // the tenth of the steps the next step line reports
  bool in_job_;
  std::size_t runs_total_;
  std::size_t recorded_ = 0;  // the runs last reported recorded
  std::string prefix_;        // "tipsim: ", or "tipsim: rank R of N: "
  std::FILE* stream_;
};

// Reports each run as it reaches the file (--progress): done once its data
// are written, recorded once campaign/run_complete marks it, which is what
// a kill keeps. A rank of a job marks each run as it writes it. A process
// alone marks its finished runs when a run arrives a second or more after
// it last marked any (RunFileWriter::checkpoint): from outside the writer,
// the moments around each write tell when it certainly marked, certainly
// did not, or may have; a record is reported once it is certain whichever
// way each uncertain write went.
class ProgressReport : public ReplicateSink {
 public:
  using Clock = std::chrono::steady_clock;
  // `opening`, `opened`: just before and just after the writer was made.
  ProgressReport(output::RunFileWriter& writer, ProgressLog& log, bool in_job, Clock::time_point opening,
                 Clock::time_point opened);

  void consume(ReplicateResult&& result) override;

 private:
  // How long a process alone waits between marks (RunFileWriter::checkpoint).
  static constexpr std::chrono::seconds kMarkInterval{1};

  // One way the writes so far may have gone: the writer last marked runs
  // (or opened the file) between `after` and `before`, and then held
  // `recorded` runs marked.
  struct History {
    Clock::time_point after, before;
    std::size_t recorded;
  };

  // Follows every history through a write made between `writing` and
  // `written`; returns the runs recorded in all of them.
  std::size_t follow_marks(Clock::time_point writing, Clock::time_point written);

  output::RunFileWriter& writer_;
  ProgressLog& log_;
  bool in_job_;
  std::size_t done_;
  std::vector<History> histories_;
};

// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace tipsim::cli
