// Phase 5: movement. New recruits draw where they will be exploited from
// their home region's routes; domestic recruits start exploitation at once
// (or after a short delay), cross-border recruits after the route's transit
// time (border screening may find them on the way: identification phase).
// Delays are given in days; a person's delay in whole steps is the mean in
// steps rounded up or down at random, so its mean is the same at any step
// length.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "events.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// Draws of a person's movement stream.
namespace person_draw {
constexpr std::uint32_t kDestination = 0;
constexpr std::uint32_t kDelayRounding = 1;
}  // namespace person_draw

// What a recruit's movement did this step, as bits of their mark.
namespace moved {
constexpr std::uint8_t kDestinationDrawn = 1;
constexpr std::uint8_t kExploitationBegins = 2;
}  // namespace moved

// The involved list is tallied in chunks of a fixed size, each into its own
// counters: whole numbers, so their sum is the same at any thread count.
constexpr std::size_t kChunk = std::size_t{1} << 16;

// Recruit i draws their destination in the step of their recruitment, and
// begins to be exploited there once their delay is over. Only their own
// fields change; what the regions count is in the bits returned.
std::uint8_t move_recruit(const Model& model, State& state, std::uint32_t i) {
  auto& p = state.persons;
  const std::size_t regions = state.regions.size();
  const std::size_t home = p.home_region[i];
  std::uint8_t done = 0;
  if (p.state_since[i] == state.step) {
    Stream stream = person_stream(model, state, Phase::Movement, i);
    const std::size_t destination = pick_cumulative(&model.route_cumulative[home * regions], regions,
                                                    stream.uniform(person_draw::kDestination));
    p.current_region[i] = static_cast<std::uint8_t>(destination);
    if (destination != home) p.flags[i] |= person_flag::kCrossedBorder;
    done |= moved::kDestinationDrawn;
  }
  const std::size_t destination = p.current_region[i];
  const double mean_delay = destination == home ? model.domestic_delay_steps
                                                : model.route_transit_steps[home * regions + destination];
  // Whole steps, rounded with a draw of the step of recruitment.
  if (state.step - p.state_since[i] >= person_whole_steps(model, state, Phase::Movement, i, p.state_since[i],
                                                          person_draw::kDelayRounding, mean_delay)) {
    p.state[i] = static_cast<std::uint8_t>(PersonState::Exploited);
    p.state_since[i] = state.step;
    done |= moved::kExploitationBegins;
  }
  return done;
}

}  // namespace

void run_movement(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const std::vector<std::uint32_t>& involved = state.involved;
  const std::size_t places = state.regions.size() * kMarkets;
  // Each chunk's recruits move in parallel (each changes only their own
  // fields); the chunk tallies the destinations drawn and the exploitations
  // begun by region and market, [0, places) and [places, 2 places).
  const std::size_t chunks = (involved.size() + kChunk - 1) / kChunk;
  std::vector<std::uint8_t>& marks = ctx.scratch.marks;
  std::vector<std::uint32_t>& tallies = ctx.scratch.tallies;
  size_buffer(marks, involved.size());
  fill_buffer(tallies, chunks * 2 * places, std::uint32_t{0});
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    std::uint32_t* tally = tallies.data() + c * 2 * places;
    for (std::size_t k = c * kChunk; k < std::min(involved.size(), (c + 1) * kChunk); ++k) {
      const std::uint32_t i = involved[k];
      marks[k] =
          p.state[i] == static_cast<std::uint8_t>(PersonState::Recruited) ? move_recruit(model, state, i) : 0;
      if (marks[k] == 0) continue;
      const std::size_t place = std::size_t{p.current_region[i]} * kMarkets + p.market[i];
      if (marks[k] & moved::kDestinationDrawn) ++tally[place];
      if (marks[k] & moved::kExploitationBegins) ++tally[places + place];
    }
  });
  for (std::size_t c = 0; c < chunks; ++c)
    for (std::size_t place = 0; place < places; ++place) {
      const std::uint32_t* tally = tallies.data() + c * 2 * places;
      state.regions[place / kMarkets].market_victims[place % kMarkets] += tally[place];
      ctx.metric(Metric::exploitations_new, place / kMarkets, place % kMarkets) += tally[places + place];
    }
  // The event log is in id order.
  if (ctx.events == nullptr) return;
  for (std::size_t k = 0; k < involved.size(); ++k) {
    if (marks[k] & moved::kDestinationDrawn)
      record_person_event(model, state, ctx, EventKind::DestinationDrawn, involved[k]);
    if (marks[k] & moved::kExploitationBegins)
      record_person_event(model, state, ctx, EventKind::ExploitationBegins, involved[k]);
  }
}

}  // namespace tipsim
