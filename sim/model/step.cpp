// One step of the model: the phases of docs/model.md, in order.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "phases.hpp"
#include "population.hpp"

namespace tipsim {

namespace {

// People who became FREE leave the involved list (it stays sorted): fixed
// chunks count whom they keep in parallel, then copy them to their places
// in the merge buffer, which becomes the list.
void compact_involved(State& state, std::vector<std::uint32_t>& buffer) {
  constexpr std::size_t kChunk = std::size_t{1} << 16;
  const auto& person_state = state.persons.state;
  const std::vector<std::uint32_t>& involved = state.involved;
  const auto kept = [&](std::uint32_t i) {
    return person_state[i] != static_cast<std::uint8_t>(PersonState::Free);
  };
  const std::size_t chunks = (involved.size() + kChunk - 1) / kChunk;
  std::vector<std::size_t> place(chunks + 1, 0);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const auto first = involved.begin() + static_cast<std::ptrdiff_t>(c * kChunk);
    const auto last =
        involved.begin() + static_cast<std::ptrdiff_t>(std::min(involved.size(), (c + 1) * kChunk));
    place[c + 1] = static_cast<std::size_t>(std::count_if(first, last, kept));
  });
  for (std::size_t c = 0; c < chunks; ++c) place[c + 1] += place[c];
  if (place[chunks] == involved.size()) return;
  buffer.resize(place[chunks]);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const auto first = involved.begin() + static_cast<std::ptrdiff_t>(c * kChunk);
    const auto last =
        involved.begin() + static_cast<std::ptrdiff_t>(std::min(involved.size(), (c + 1) * kChunk));
    std::copy_if(first, last, buffer.begin() + static_cast<std::ptrdiff_t>(place[c]), kept);
  });
  state.involved.swap(buffer);
}

}  // namespace

void step(const Model& model, State& state, StepContext& ctx) {
  std::fill(ctx.frame.begin(), ctx.frame.end(), 0.0);
  apply_policy_schedule(model, state, ctx);
  run_prevention(model, state, ctx);
  run_market(model, state, ctx);
  compact_involved(state, ctx.scratch.merged);  // recruitment may take people the market phase just freed
  run_recruitment(model, state, ctx);
  run_movement(model, state, ctx);
  run_exploitation(model, state, ctx);
  run_identification(model, state, ctx);
  run_prosecution(model, state, ctx);
  run_protection(model, state, ctx);
  run_survivors(model, state, ctx);
  run_demography(model, state, ctx);
  compact_involved(state, ctx.scratch.merged);
  if (model.untouched_in_strata) return_to_strata(model, state, ctx.scratch);
  collect_metrics(model, state, ctx);
  ++state.step;
}

}  // namespace tipsim
