// The progress line `tipsim run` keeps updated on a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "experiment.hpp"

namespace tipsim::cli {

// One line on stderr, rewritten in place (\r): a bar, the percentage, runs
// done, steps per second and the time left. Safe to update from worker
// threads; redraws at most ten times a second.
class ProgressLine {
 public:
  // A disabled line prints nothing (not a terminal, or --quiet).
  explicit ProgressLine(bool enabled, std::FILE* stream = stderr);

  void update(const Progress& progress);
  // Erases the line, so that what follows starts on a clean line.
  void clear();

 private:
  void draw(const Progress& progress, std::chrono::steady_clock::time_point now);

  bool enabled_;
  std::FILE* stream_;
  std::chrono::steady_clock::time_point start_;
  // Since start_; the first draw waits one interval so the rate means something.
  std::atomic<std::int64_t> next_draw_ns_{100'000'000};
  std::mutex mutex_;
  std::size_t drawn_width_ = 0;  // characters of the last line drawn
};

// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace tipsim::cli
