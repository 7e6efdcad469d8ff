// Phase 9: protection and reintegration. People in protection receive
// services for the region's service duration (paid for every step of the
// stay, by the quality), then go home FREE; people wrongly identified as
// victims hold places too, and leave at the rate that gives the same mean
// stay. Good services lower vulnerability, raise awareness and, with
// probability equal to their quality, leave the survivor recovered (no
// re-trafficking penalty).
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>

#include "events.hpp"
#include "involved.hpp"
#include "observation.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// Draws of a person's protection stream.
namespace person_draw {
constexpr std::uint32_t kReintegrated = 0;  // recovered: the re-trafficking penalty is removed
constexpr std::uint32_t kStayRounding = 1;  // drawn at the step services began
}  // namespace person_draw

// The services one person in protection receives this step, in real USD: the
// agent stands for population.scale people.
double services_cost(const Model& model, const ParamValues& lv) {
  return lv[Param::policy_protection_service_quality] *
         model.scenario.get(Param::cost_services_usd_per_person_year) * lv[Param::cost_price_level] *
         model.step_years * model.population_scale;
}

// People wrongly identified as victims, sheltered in each region (counts,
// not agents): services paid for, and each leaves with probability
// step / stay in a step (a geometric stay with the service time's mean).
void serve_non_victims(const Model& model, State& state, StepContext& ctx) {
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    RegionState& rs = state.regions[r];
    if (rs.non_victims_sheltered == 0) continue;
    const ParamValues& lv = levers(state, r);
    ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Protection)) +=
        services_cost(model, lv) * rs.non_victims_sheltered;
    const double years = lv[Param::policy_protection_service_years];
    const double leave = years > 0 ? std::min(1.0, model.step_years / years) : 1.0;
    Stream stream = region_stream(model, state, Phase::Protection, static_cast<std::uint32_t>(r));
    const std::uint32_t sheltered = rs.non_victims_sheltered;
    for (std::uint32_t k = 0; k < sheltered; ++k) {
      if (!stream.bernoulli(k, leave)) continue;
      --rs.non_victims_sheltered;
      record_reintegration(ctx, r);
    }
  }
}

}  // namespace

void run_protection(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  auto& p = state.persons;
  const double cut = s.get(Param::protection_reintegration_vulnerability_cut);
  const double awareness_after = s.get(Param::protection_reintegration_awareness);
  // Whose stay ends, in parallel (the end is the person's own draw), the
  // people in protection counted by region on the way (whole numbers).
  std::array<std::atomic<std::uint64_t>, 256> sheltered{};
  for_each_involved_where(
      state, ctx.scratch.marks,
      [&](std::uint32_t i) {
        if (p.state[i] != static_cast<std::uint8_t>(PersonState::InProtection)) return false;
        const std::size_t region = p.current_region[i];
        sheltered[region].fetch_add(1, std::memory_order_relaxed);
        // The stay in whole steps, rounded with a draw of the step it began, so
        // that its mean is the service time in years at any step length.
        const double stay = levers(state, region)[Param::policy_protection_service_years] / model.step_years;
        return state.step - p.state_since[i] >= person_whole_steps(model, state, Phase::Protection, i,
                                                                   p.state_since[i],
                                                                   person_draw::kStayRounding, stay);
      },
      [&](std::uint32_t i) {
        const std::size_t region = p.current_region[i];
        const double quality = levers(state, region)[Param::policy_protection_service_quality];
        Stream stream = person_stream(model, state, Phase::Protection, i);
        record_reintegration(ctx, region);
        record_person_event(model, state, ctx, EventKind::Reintegration, i);
        leave_protection(state, i);
        p.vulnerability[i] = static_cast<float>(p.vulnerability[i] * (1.0 - quality * cut));
        set_awareness(state, i, std::max(awareness_now(model, state, i), quality * awareness_after));
        // Good services end the recovery with their stay; the others recover
        // with time (phase 10).
        if (stream.bernoulli(person_draw::kReintegrated, quality))
          recover(model, state, ctx, i, ExitRoute::Protected);
      });
  // Each person's services this step, added one at a time as a pass in id
  // order adds them (every person of a region costs the same).
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    double& spending = ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Protection));
    const double cost = services_cost(model, levers(state, r));
    for (std::uint64_t k = 0; k < sheltered[r].load(std::memory_order_relaxed); ++k) spending += cost;
  }
  serve_non_victims(model, state, ctx);
}

}  // namespace tipsim
