// Phase 5: movement. New recruits draw where they will be exploited from
// their home region's routes; domestic recruits start exploitation at once
// (or after a short delay), cross-border recruits after the route's transit
// time (border screening may find them on the way: identification phase).
// Delays are given in days; a person's delay in whole steps is the mean in
// steps rounded up or down at random, so its mean is the same at any step
// length.
#include "events.hpp"
#include "involved.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// Draws of a person's movement stream.
namespace person_draw {
constexpr std::uint32_t kDestination = 0;
constexpr std::uint32_t kDelayRounding = 1;
}  // namespace person_draw

}  // namespace

void run_movement(const Model& model, State& state, StepContext& ctx) {
  auto& p = state.persons;
  const std::size_t regions = state.regions.size();
  // Recruits are few among the involved: found in parallel, moved in id
  // order (the regions' counts and the event log are shared).
  const auto recruited = [&](std::uint32_t i) {
    return p.state[i] == static_cast<std::uint8_t>(PersonState::Recruited);
  };
  for_each_involved_where(state, ctx.scratch.marks, recruited, [&](std::uint32_t i) {
    const std::size_t home = p.home_region[i];
    if (p.state_since[i] == state.step) {
      Stream stream = person_stream(model, state, Phase::Movement, i);
      const std::size_t destination = pick_cumulative(&model.route_cumulative[home * regions], regions,
                                                      stream.uniform(person_draw::kDestination));
      p.current_region[i] = static_cast<std::uint8_t>(destination);
      if (destination != home) p.flags[i] |= person_flag::kCrossedBorder;
      ++state.regions[destination].market_victims[p.market[i]];
      record_person_event(model, state, ctx, EventKind::DestinationDrawn, i);
    }
    const std::size_t destination = p.current_region[i];
    const double mean_delay = destination == home ? model.domestic_delay_steps
                                                  : model.route_transit_steps[home * regions + destination];
    // Whole steps, rounded with a draw of the step of recruitment.
    if (state.step - p.state_since[i] >= person_whole_steps(model, state, Phase::Movement, i,
                                                            p.state_since[i], person_draw::kDelayRounding,
                                                            mean_delay)) {
      p.state[i] = static_cast<std::uint8_t>(PersonState::Exploited);
      p.state_since[i] = state.step;
      ctx.metric(Metric::exploitations_new, destination, p.market[i]) += 1;
      record_person_event(model, state, ctx, EventKind::ExploitationBegins, i);
    }
  });
}

}  // namespace tipsim
