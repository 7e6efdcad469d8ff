// A branch of a recorded run: one replicate of a run file brought to the
// end of a chosen step (from the latest checkpoint at or before it, or from
// step 0, re-simulating the recorded steps between), so that a live session
// can continue it with other levers beside the original.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "params.hpp"
#include "simulation.hpp"

namespace tipsim::viz {

struct BranchPoint {
  std::string path;  // the run file
  std::size_t point = 0;
  std::size_t replicate = 0;
  std::int32_t steps_done = 0;  // the branch continues after this many steps
};

struct Branch {
  std::unique_ptr<Simulation> simulation;  // after steps_done steps, its series holding the whole past
  std::int32_t checkpoint = 0;             // the checkpoint it started from (0: the start of the run)
  std::string parent_created;              // the file's `created` attribute
};

// Builds the branch of `scenario` (the point's scenario as the file records
// it). The re-simulated steps must equal the recorded ones bit for bit, or
// the branch would not continue what the file shows: std::runtime_error
// says so (a file of another model version). Throws output::FormatError for
// a damaged file and std::invalid_argument for a step the run does not have.
Branch build_branch(const BranchPoint& at, const Scenario& scenario);

}  // namespace tipsim::viz
