#include "progress.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace tipsim::cli {

namespace {
constexpr std::int64_t kRedrawIntervalNs = 100'000'000;  // ten redraws a second at most
constexpr int kBarWidth = 24;
}  // namespace

ProgressLine::ProgressLine(bool enabled, std::FILE* stream, ProgressUnits units)
    : enabled_(enabled), stream_(stream), units_(units), start_(std::chrono::steady_clock::now()) {}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buffer[48];
  if (h > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", m, s);
  }
  return buffer;
}

void ProgressLine::update(const Progress& progress) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t elapsed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  // Called by every worker after every step: the common case must be one
  // atomic load and no lock.
  const bool last = progress.steps_done >= progress.steps_total;
  if (!last && elapsed_ns < next_draw_ns_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  if (!last && elapsed_ns < next_draw_ns_.load(std::memory_order_relaxed)) return;
  next_draw_ns_.store(elapsed_ns + kRedrawIntervalNs, std::memory_order_relaxed);
  draw(progress, now);
}

void ProgressLine::draw(const Progress& progress, std::chrono::steady_clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double fraction = progress.steps_total > 0
                              ? std::min(1.0, static_cast<double>(progress.steps_done) / progress.steps_total)
                              : 0.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kBarWidth - filled), '.');
  const double rate = seconds > 0 ? progress.steps_done / seconds : 0.0;
  const double left = rate > 0 ? (progress.steps_total - progress.steps_done) / rate : -1;

  char line[256];
  std::snprintf(line, sizeof line, "[%s] %3d%%  %zu/%zu %s  %.0f %s/s  ETA %s", bar.c_str(),
                static_cast<int>(fraction * 100), progress.runs_done, progress.runs_total, units_.items, rate,
                units_.work, format_duration(left).c_str());
  const std::string text = line;
  // Pad with spaces over what a longer previous line left behind.
  std::string padding(drawn_width_ > text.size() ? drawn_width_ - text.size() : 0, ' ');
  std::fprintf(stream_, "\r%s%s", text.c_str(), padding.c_str());
  std::fflush(stream_);
  drawn_width_ = text.size();
}

namespace {
std::atomic<bool> g_progress_lines{false};
}  // namespace

void request_progress_lines() { g_progress_lines = true; }
bool progress_lines_requested() { return g_progress_lines; }

ProgressLog::ProgressLog(bool enabled, std::size_t runs_total, int rank, int ranks, std::FILE* stream)
    : enabled_(enabled),
      in_job_(ranks > 0),
      runs_total_(runs_total),
      prefix_(ranks > 0 ? "tipsim: rank " + std::to_string(rank) + " of " + std::to_string(ranks) + ": "
                        : "tipsim: "),
      stream_(stream) {}

void ProgressLog::run_done(std::size_t done, std::size_t recorded, const std::string& file) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  const std::string total = std::to_string(runs_total_);
  if (in_job_) {
    print(std::to_string(done) + (done == 1 ? " run" : " runs") + " done and recorded in " + file + " (" +
          total + " in the job)");
    return;
  }
  print("run " + std::to_string(done) + " of " + total + " done");
  if (recorded > recorded_) {
    recorded_ = recorded;
    print(std::to_string(recorded) + " of " + total + " runs recorded in " + file);
  }
}

void ProgressLog::steps_done(std::uint64_t done, std::uint64_t total) {
  if (!enabled_ || total == 0) return;
  const auto tenth = static_cast<int>(std::min<std::uint64_t>(10, done * 10 / total));
  if (tenth < next_tenth_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mutex_);
  // Another thread may have reported this tenth (or a later one) meanwhile.
  if (tenth < next_tenth_.load(std::memory_order_relaxed)) return;
  next_tenth_.store(tenth + 1, std::memory_order_relaxed);
  print(std::to_string(tenth * 10) + " % of the steps done (" + std::to_string(done) + " of " +
        std::to_string(total) + ")");
}

void ProgressLog::print(const std::string& text) {
  // One write per line, so that lines from several ranks sharing a log do
  // not interleave within a line.
  const std::string line = prefix_ + text + "\n";
  std::fwrite(line.data(), 1, line.size(), stream_);
  std::fflush(stream_);
}

void ProgressLine::clear() {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  if (drawn_width_ == 0) return;
  std::fprintf(stream_, "\r%s\r", std::string(drawn_width_, ' ').c_str());
  std::fflush(stream_);
  drawn_width_ = 0;
}

ProgressReport::ProgressReport(output::RunFileWriter& writer, ProgressLog& log, bool in_job,
                               Clock::time_point opening, Clock::time_point opened)
    : writer_(writer), log_(log), in_job_(in_job), done_(in_job ? 0 : writer.resumed_runs()) {
  histories_.push_back({opening, opened, done_});
}

void ProgressReport::consume(ReplicateResult&& result) {
  const Clock::time_point writing = Clock::now();
  writer_.consume(std::move(result));
  const Clock::time_point written = Clock::now();
  ++done_;
  log_.run_done(done_, in_job_ ? done_ : follow_marks(writing, written), writer_.temporary_path());
}

std::size_t ProgressReport::follow_marks(Clock::time_point writing, Clock::time_point written) {
  std::vector<History> next;
  auto keep = [&next](const History& h) {
    for (History& same : next) {
      if (same.recorded == h.recorded) {
        same.after = std::min(same.after, h.after);
        same.before = std::max(same.before, h.before);
        return;
      }
    }
    next.push_back(h);
  };
  for (const History& h : histories_) {
    if (writing - h.before >= kMarkInterval) {
      keep({writing, written, done_});
    } else if (written - h.after < kMarkInterval) {
      keep(h);
    } else {
      // Marked now, or not: then it had marked less than a second before.
      keep({writing, written, done_});
      keep({std::max(h.after, writing - kMarkInterval), h.before, h.recorded});
    }
  }
  histories_ = std::move(next);
  std::size_t recorded = done_;
  for (const History& h : histories_) recorded = std::min(recorded, h.recorded);
  return recorded;
}

}  // namespace tipsim::cli
