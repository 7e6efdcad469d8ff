// One step of the model: the phases of docs/model.md, in order.
#include <algorithm>

#include "phases.hpp"

namespace tipsim {

namespace {

// People who became FREE leave the involved list (it stays sorted).
void compact_involved(World& w) {
  const auto& state = w.persons.state;
  w.involved.erase(std::remove_if(w.involved.begin(), w.involved.end(),
                                  [&](std::uint32_t i) {
                                    return state[i] == static_cast<std::uint8_t>(PersonState::Free);
                                  }),
                   w.involved.end());
}

}  // namespace

void step_world(World& w) {
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  apply_policy_schedule(w);
  run_prevention(w);
  run_market(w);
  compact_involved(w);  // recruitment may take people the market phase just freed
  run_recruitment(w);
  run_movement(w);
  run_exploitation(w);
  run_identification(w);
  run_prosecution(w);
  run_protection(w);
  run_demography(w);
  compact_involved(w);
  collect_metrics(w);
  ++w.step;
}

}  // namespace tipsim
