// What the program learns from the system it runs on: stop signals and the
// memory left.
#include "process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <string>

namespace tipsim::cli {

namespace {

// Set by the first SIGINT or SIGTERM; the run stops at the next step and the
// unfinished run file is removed. Lock-free, so safe in a signal handler.
std::atomic<bool> g_cancel{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int signal_number) {
  // A second signal means "now": leave without cleaning up.
  if (g_signal != 0) _exit(128 + signal_number);
  g_signal = signal_number;
  g_cancel.store(true);
}

std::optional<double> read_number_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stod(text);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::atomic<bool>& stop_requested() { return g_cancel; }

int stop_signal() { return g_signal; }

std::optional<double> available_memory_bytes() {
  std::optional<double> available;
  std::ifstream meminfo("/proc/meminfo");
  std::string name;
  double kib = 0;
  std::string unit;
  while (meminfo >> name >> kib >> unit) {
    if (name == "MemAvailable:") {
      available = kib * 1024.0;
      break;
    }
  }
  auto tighten = [&](std::optional<double> limit, std::optional<double> used) {
    if (!limit || *limit <= 0 || *limit >= 1e18) return;
    const double left = std::max(0.0, *limit - used.value_or(0.0));
    if (!available || left < *available) available = left;
  };
  tighten(read_number_file("/sys/fs/cgroup/memory.max"), read_number_file("/sys/fs/cgroup/memory.current"));
  tighten(read_number_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
          read_number_file("/sys/fs/cgroup/memory/memory.usage_in_bytes"));
  return available;
}

std::optional<double> peak_resident_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss <= 0) return std::nullopt;
  // Linux counts ru_maxrss in KiB.
  return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

}  // namespace tipsim::cli
