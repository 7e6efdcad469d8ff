// Phase 11: metrics. Flows were counted by the phases as they happened;
// stocks are counted here, from the region aggregates and one pass over the
// involved persons and the traffickers.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "person_ops.hpp"
#include "phases.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// The stocks of the involved persons, counted in parallel by chunks of the
// list, each chunk into its own tally (a slice of the scratch counters,
// reused from step to step): whole numbers, so the sum of the tallies is
// the same in any order and at any thread count. A tally holds, for each
// region, these counters:
namespace tally {
constexpr std::size_t kByState = 0;
constexpr std::size_t kExploitedByForm = kByState + kPersonStates;
constexpr std::size_t kExploitedByMarket = kExploitedByForm + kForms;
constexpr std::size_t kDebtBondedByForm = kExploitedByMarket + kMarkets;
constexpr std::size_t kAbroad = kDebtBondedByForm + kForms;
constexpr std::size_t kPerRegion = kAbroad + 1;
constexpr std::size_t kChunk = 4096;  // involved persons per tally
}  // namespace tally

void count_person(const State& state, std::uint32_t i, std::uint32_t* tally_of_regions) {
  const auto& p = state.persons;
  const auto person_state = static_cast<std::size_t>(p.state[i]);
  if (person_state == static_cast<std::size_t>(PersonState::Free)) return;
  std::uint32_t* t = tally_of_regions + p.current_region[i] * tally::kPerRegion;
  ++t[tally::kByState + person_state];
  if (person_state != static_cast<std::size_t>(PersonState::Exploited)) return;
  const auto form = static_cast<std::size_t>(person_form(state, i));
  ++t[tally::kExploitedByForm + form];
  ++t[tally::kExploitedByMarket + p.market[i]];
  if (p.flags[i] & person_flag::kDebtBonded) ++t[tally::kDebtBondedByForm + form];
  if (p.current_region[i] != p.home_region[i]) ++t[tally::kAbroad];
}

// The totals over every involved person: the first tally, with the others
// added to it.
const std::uint32_t* count_involved(const State& state, std::vector<std::uint32_t>& counters) {
  const std::size_t width = state.regions.size() * tally::kPerRegion;
  const std::size_t chunks =
      std::max<std::size_t>(1, (state.involved.size() + tally::kChunk - 1) / tally::kChunk);
  fill_buffer(counters, chunks * width, std::uint32_t{0});
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const std::size_t end = std::min(state.involved.size(), (c + 1) * tally::kChunk);
    for (std::size_t k = c * tally::kChunk; k < end; ++k)
      count_person(state, state.involved[k], counters.data() + c * width);
  });
  for (std::size_t c = 1; c < chunks; ++c)
    for (std::size_t j = 0; j < width; ++j) counters[j] += counters[c * width + j];
  return counters.data();
}

}  // namespace

void collect_metrics(const Model& model, State& state, StepContext& ctx) {
  // Also refreshes RegionState::traffickers_active, which prosecution changes.
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    const RegionState& rs = state.regions[r];
    ctx.metric(Metric::persons_by_state, r, static_cast<std::size_t>(PersonState::Free)) = rs.free_persons;
    ctx.metric(Metric::shelter_capacity, r) = rs.shelter_capacity;
    for (std::size_t m = 0; m < kMarkets; ++m)
      ctx.metric(Metric::perceived_risk, r, m) = rs.perceived_risk[m];
    ctx.metric(Metric::awareness_mean, r) = rs.awareness_mean;
    ctx.metric(Metric::non_victims_in_protection, r) = rs.non_victims_sheltered;
    ctx.metric(Metric::survivors_recovering, r) = rs.survivors_recovering;
    for (std::size_t g = 0; g < kAdjacentGroups; ++g)
      ctx.metric(Metric::adjacent_persons, r, g) =
          adjacent_persons(model, state, r, static_cast<Adjacent>(g));
  }
  const std::uint32_t* involved = count_involved(state, ctx.scratch.tallies);
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    const std::uint32_t* t = involved + r * tally::kPerRegion;
    for (std::size_t c = 0; c < kPersonStates; ++c)
      if (c != static_cast<std::size_t>(PersonState::Free))
        ctx.metric(Metric::persons_by_state, r, c) += t[tally::kByState + c];
    for (std::size_t f = 0; f < kForms; ++f) {
      ctx.metric(Metric::exploited_by_form, r, f) += t[tally::kExploitedByForm + f];
      ctx.metric(Metric::exploited_debt_bonded, r, f) += t[tally::kDebtBondedByForm + f];
    }
    for (std::size_t m = 0; m < kMarkets; ++m)
      ctx.metric(Metric::exploited_by_market, r, m) += t[tally::kExploitedByMarket + m];
    ctx.metric(Metric::exploited_abroad, r) += t[tally::kAbroad];
  }
  // The traffickers by base region: active in the first `regions` groups,
  // incarcerated in the next.
  const auto& tr = state.traffickers;
  const std::size_t regions = state.regions.size();
  const std::vector<std::uint32_t> traffickers =
      tr.count_in_trade(2 * regions, [&](std::size_t t) -> std::size_t {
        switch (static_cast<TraffickerState>(tr.state[t])) {
          case TraffickerState::Active:
            return tr.base_region[t];
          case TraffickerState::Incarcerated:
            return regions + tr.base_region[t];
          default:
            return 2 * regions;
        }
      });
  for (std::size_t r = 0; r < regions; ++r) {
    state.regions[r].traffickers_active = traffickers[r];
    ctx.metric(Metric::traffickers_active, r) += traffickers[r];
    ctx.metric(Metric::traffickers_incarcerated, r) += traffickers[regions + r];
  }
}

}  // namespace tipsim
