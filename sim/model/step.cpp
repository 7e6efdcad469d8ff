// One step of the model: the phases of docs/model.md, in order.
#include <algorithm>

#include "phases.hpp"
#include "population.hpp"

namespace tipsim {

namespace {

// People who became FREE leave the involved list (it stays sorted).
void compact_involved(State& state) {
  const auto& person_state = state.persons.state;
  state.involved.erase(
      std::remove_if(
          state.involved.begin(), state.involved.end(),
          [&](std::uint32_t i) { return person_state[i] == static_cast<std::uint8_t>(PersonState::Free); }),
      state.involved.end());
}

}  // namespace

void step(const Model& model, State& state, StepContext& ctx) {
  std::fill(ctx.frame.begin(), ctx.frame.end(), 0.0);
  apply_policy_schedule(model, state, ctx);
  run_prevention(model, state, ctx);
  run_market(model, state, ctx);
  compact_involved(state);  // recruitment may take people the market phase just freed
  run_recruitment(model, state, ctx);
  run_movement(model, state, ctx);
  run_exploitation(model, state, ctx);
  run_identification(model, state, ctx);
  run_prosecution(model, state, ctx);
  run_protection(model, state, ctx);
  run_survivors(model, state, ctx);
  run_demography(model, state, ctx);
  compact_involved(state);
  if (model.untouched_in_strata) return_to_strata(model, state, ctx.scratch);
  collect_metrics(model, state, ctx);
  ++state.step;
}

}  // namespace tipsim
