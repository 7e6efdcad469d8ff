// Turns the lever changes a trainer makes during a live session into
// interventions of the scenario, so that the session is an ordinary
// scenario run: saved, it replays exactly, and `tipsim run --from` repeats it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "params.hpp"

namespace tipsim::viz {

class InterventionRecorder {
 public:
  // Records that `param` is set to `value` in `region` (-1 = every region)
  // from `start_step` on until the end of the run at `run_steps`.
  // `region_name` names the change ("all regions" for -1). Moving the same
  // slider again before the next step replaces the value rather than
  // adding a change: only what the model will see is kept.
  void record(std::int64_t start_step, std::int32_t region, const std::string& region_name, Param param,
              double value, std::int64_t run_steps);

  // Records an intervention as it is (an exercise's decision), after the
  // changes so far.
  void add(const InterventionSpec& intervention) { recorded_.push_back(intervention); }

  // Every change so far, oldest first: each a Set of one lever, active from
  // its step to the end of the run. Later changes override earlier ones
  // where they overlap, because the model applies interventions in order.
  const std::vector<InterventionSpec>& interventions() const { return recorded_; }
  bool empty() const { return recorded_.empty(); }
  void clear() { recorded_.clear(); }

 private:
  std::vector<InterventionSpec> recorded_;
};

// The scenario a live session has run up to `steps_done`: the session's
// changes appended to the scenario's own interventions, the run cut to the
// steps done (changes not yet in force are dropped and every window ends
// by then) and one replicate. Running it headless gives the session's
// series exactly.
Scenario session_scenario(const Scenario& base, const std::vector<InterventionSpec>& recorded,
                          std::int32_t steps_done);

}  // namespace tipsim::viz
