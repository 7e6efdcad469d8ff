// What the program learns from the system it runs on: stop signals and the
// memory left.
#pragma once

#include <atomic>
#include <optional>

namespace tipsim::cli {

// SIGINT and SIGTERM: the first asks the run to stop at the next step
// (stop_requested()), so that the unfinished file is kept or removed
// cleanly; a second leaves at once.
void install_stop_handlers();
// Set by the first stop signal; experiments read it between steps.
std::atomic<bool>& stop_requested();
// The signal that asked to stop; 0 when none has.
int stop_signal();

// Memory this process can still use, in bytes: MemAvailable, or less when a
// container (cgroup) limit is tighter. Nothing when it cannot be told.
std::optional<double> available_memory_bytes();
// The most memory this process has held resident so far, in bytes (the
// kernel's peak resident set). Nothing when it cannot be told.
std::optional<double> peak_resident_bytes();

}  // namespace tipsim::cli
