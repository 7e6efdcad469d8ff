// Phase 9: protection and reintegration. People in protection receive
// services for the region's service duration (paid for every step of the
// stay, by the quality), then go home FREE. Good
// services lower vulnerability, raise awareness and, with probability equal
// to their quality, remove the re-trafficking penalty.
#include <algorithm>
#include <cmath>

#include "events.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// Draws of a person's protection stream.
namespace person_draw {
constexpr std::uint32_t kReintegrated = 0;  // the re-trafficking penalty is removed
constexpr std::uint32_t kStayRounding = 1;  // drawn at the step services began
}  // namespace person_draw

// The services one person in protection receives this step, in real USD: the
// agent stands for population.scale people.
double services_cost(const Model& model, const ParamValues& lv) {
  return lv[Param::policy_protection_service_quality] *
         model.scenario.get(Param::cost_services_usd_per_person_year) * lv[Param::cost_price_level] *
         model.step_years * model.population_scale;
}

}  // namespace

void run_protection(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  auto& p = state.persons;
  const double cut = s.get(Param::protection_reintegration_vulnerability_cut);
  const double awareness_after = s.get(Param::protection_reintegration_awareness);
  for (const std::uint32_t i : state.involved) {
    if (p.state[i] != static_cast<std::uint8_t>(PersonState::InProtection)) continue;
    const std::size_t region = p.current_region[i];
    const ParamValues& lv = levers(state, region);
    ctx.metric(Metric::spending, region, static_cast<std::size_t>(Pillar::Protection)) +=
        services_cost(model, lv);
    // The stay in whole steps, rounded with a draw of the step it began, so
    // that its mean is the service time in years at any step length.
    const double stay = lv[Param::policy_protection_service_years] / model.step_years;
    if (state.step - p.state_since[i] < person_whole_steps(model, state, Phase::Protection, i,
                                                           p.state_since[i], person_draw::kStayRounding,
                                                           stay))
      continue;
    const double quality = lv[Param::policy_protection_service_quality];
    Stream stream = person_stream(model, state, Phase::Protection, i);
    ctx.metric(Metric::reintegrations, region) += 1;
    record_person_event(model, state, ctx, EventKind::Reintegration, i);
    leave_protection(state, i);
    p.vulnerability[i] = static_cast<float>(p.vulnerability[i] * (1.0 - quality * cut));
    set_awareness(state, i, std::max(awareness_now(model, state, i), quality * awareness_after));
    if (stream.bernoulli(person_draw::kReintegrated, quality)) p.flags[i] |= person_flag::kReintegrated;
  }
}

}  // namespace tipsim
