#include "intervention_recorder.hpp"

#include <algorithm>

#include "levers.hpp"

namespace tipsim::viz {

void InterventionRecorder::record(std::int64_t start_step, std::int32_t region,
                                  const std::string& region_name, Param param, double value,
                                  std::int64_t run_steps) {
  const ParamSpec& s = spec(param);
  value = std::clamp(value, s.min_value, s.max_value);
  if (!recorded_.empty()) {
    InterventionSpec& last = recorded_.back();
    if (last.start_step == start_step && last.region == region && last.changes.size() == 1 &&
        last.changes[0].param == param) {
      last.changes[0].value = value;
      return;
    }
  }
  InterventionSpec iv;
  iv.name = "viewer: " + lever_label(s.key) + " in " + region_name;
  iv.start_step = start_step;
  iv.end_step = std::max(run_steps, start_step + 1);
  iv.region = region;
  iv.ramp_steps = 0;
  iv.changes.push_back(LeverChange{param, LeverOp::Set, value});
  recorded_.push_back(std::move(iv));
}

Scenario session_scenario(const Scenario& base, const std::vector<InterventionSpec>& recorded,
                          std::int32_t steps_done) {
  Scenario out = base;
  out.globals[Param::scenario_steps] = steps_done;
  out.globals[Param::scenario_replicates] = 1;
  for (const InterventionSpec& iv : recorded) out.interventions.push_back(iv);
  // A window that starts after the cut never acts; one that ends after it
  // is cut with the run, so that the file's table says what happened.
  std::erase_if(out.interventions, [&](const InterventionSpec& iv) { return iv.start_step >= steps_done; });
  for (InterventionSpec& iv : out.interventions)
    iv.end_step = std::min<std::int64_t>(iv.end_step, steps_done);
  return out;
}

}  // namespace tipsim::viz
