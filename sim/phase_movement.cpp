// Phase 5: movement. New recruits draw where they will be exploited from
// their home region's routes; domestic recruits start exploitation at once
// (or after a short delay), cross-border recruits after the route's transit
// time (border screening may find them on the way: identification phase).
#include "events.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

void run_movement(World& w) {
  auto& p = w.persons;
  const std::size_t regions = w.regions.size();
  const std::int32_t domestic_delay =
      static_cast<std::int32_t>(w.scenario->get(Param::movement_domestic_delay_steps));
  for (const std::uint32_t i : w.involved) {
    if (p.state[i] != static_cast<std::uint8_t>(PersonState::Recruited)) continue;
    const std::size_t home = p.home_region[i];
    if (p.state_since[i] == w.step) {
      Stream stream = person_stream(w, Phase::Movement, i);
      const std::size_t destination =
          pick_cumulative(&w.route_cumulative[home * regions], regions, stream.uniform(0));
      p.current_region[i] = static_cast<std::uint8_t>(destination);
      if (destination != home) p.flags[i] |= person_flag::kCrossedBorder;
      ++w.regions[destination].market_victims[p.market[i]];
      record_person_event(w, EventKind::DestinationDrawn, i);
    }
    const std::size_t destination = p.current_region[i];
    const std::int32_t transit =
        destination == home ? domestic_delay : w.route_transit[home * regions + destination];
    if (w.step - p.state_since[i] >= transit) {
      p.state[i] = static_cast<std::uint8_t>(PersonState::Exploited);
      p.state_since[i] = w.step;
      w.metric(Metric::exploitations_new, destination, p.market[i]) += 1;
      record_person_event(w, EventKind::ExploitationBegins, i);
    }
  }
}

}  // namespace tipsim
