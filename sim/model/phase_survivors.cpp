// Phase 10: survivors. Everyone whose trafficking ended this step is
// followed up: a review survivors.followup_years later records where they
// are (trafficked again, in protection, recovering or recovered) by how it
// ended, and services follow up those they assisted; a survivor back home
// who has not recovered recovers at a hazard (slower with a criminal
// record), drawn when they come home, after which the re-trafficking
// multiplier no longer applies. The calendar holds the pending recoveries
// and reviews, so the phase costs what is due, not the survivors' number.
// With strata, a survivor recovered and with no review pending goes back to
// the strata at the step's end (return_to_strata).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "observation.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "population.hpp"

namespace tipsim {

namespace {

// Draws of a person's survivors stream at a step.
namespace person_draw {
constexpr std::uint32_t kRecoveryTime = 0;   // drawn at the step they came home
constexpr std::uint32_t kFollowupReach = 1;  // drawn at the step of the review
}  // namespace person_draw

// Scheduled after this step's events were taken: due from the next step on.
// A person's pending reviews are counted (saturating: never lowered then).
void schedule(State& state, const SurvivorEvent& event) {
  std::uint8_t& pending = state.persons.reviews_pending[event.person];
  if (event.kind == SurvivorEvent::Review && pending < 255) ++pending;
  state.survivor_calendar.schedule(event, state.step + 1);
}

// With strata, a survivor who may now go back to them is noted; the step's
// end returns them if they still can (return_to_strata).
void note_if_returning(const Model& model, const State& state, StepContext& ctx, std::uint32_t person) {
  if (model.untouched_in_strata && can_return_to_strata(state, person))
    ctx.scratch.returning.push_back(person);
}

// The step at which a survivor who came home now recovers: an exponential
// time at their hazard, rounded up to the step (none when the hazard is 0).
std::optional<std::int32_t> recovery_step(const Model& model, const State& state, std::uint32_t person) {
  const ParamValues& g = model.scenario.globals;
  double hazard = g[Param::survivors_recovery_per_year];
  if (state.persons.flags[person] & person_flag::kCriminalised)
    hazard *= g[Param::survivors_record_recovery_factor];
  if (!(hazard > 0)) return std::nullopt;
  const double u = person_stream(model, state, Phase::Survivors, person).uniform(person_draw::kRecoveryTime);
  const double steps = std::ceil(-std::log1p(-u) / hazard / model.step_years);
  if (!(steps < static_cast<double>(std::numeric_limits<std::int32_t>::max() - state.step)))
    return std::nullopt;
  return state.step + std::max<std::int32_t>(1, static_cast<std::int32_t>(steps));
}

// This step's exits and returns home: the exits counted (and the returns
// from abroad), a review scheduled for each exit, a recovery for each
// survivor now home and recovering.
void follow_new_survivors(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const double followup = model.scenario.get(Param::survivors_followup_years) / model.step_years;
  const auto review_steps = static_cast<std::int32_t>(std::max(1.0, std::round(followup)));
  for (const SurvivorExit& exit : state.survivor_exits) {
    const std::uint32_t i = exit.person;
    const bool left_services = exit.route == SurvivorExit::kLeftServices;
    const std::uint8_t route = left_services ? static_cast<std::uint8_t>(ExitRoute::Protected) : exit.route;
    if (!left_services) {
      ctx.metric(Metric::exits_from_trafficking, exit.region, route) += 1;
      schedule(state, SurvivorEvent{.due = state.step + review_steps,
                                    .person = i,
                                    .kind = SurvivorEvent::Review,
                                    .route = route,
                                    .times = exit.times,
                                    .abroad = static_cast<std::uint8_t>(exit.abroad),
                                    .since = state.step});
    }
    // Going home from abroad: at once, or when services there end.
    if (exit.abroad && (left_services || route != static_cast<std::uint8_t>(ExitRoute::Protected)))
      ctx.metric(Metric::returns_from_abroad, p.home_region[i], route) += 1;
    // Leaving good services recovered, with their review already done.
    if (left_services) note_if_returning(model, state, ctx, i);
    // Home and recovering since this step: their recovery is drawn once.
    if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free) || p.state_since[i] != state.step ||
        !(p.flags[i] & person_flag::kRecovering))
      continue;
    if (const auto due = recovery_step(model, state, i))
      schedule(state, SurvivorEvent{.due = *due,
                                    .person = i,
                                    .kind = SurvivorEvent::Recovery,
                                    .route = route,
                                    .times = 0,
                                    .abroad = 0,
                                    .since = state.step});
  }
  state.survivor_exits.clear();
}

// Where a reviewed survivor is now; none if they have left the population
// followed (demography replaced them).
std::optional<SurvivorOutcome> outcome_of(const State& state, const SurvivorEvent& review) {
  const auto& p = state.persons;
  const std::uint32_t i = review.person;
  if (p.times_trafficked[i] < review.times) return std::nullopt;
  if (p.times_trafficked[i] > review.times ||
      p.state[i] == static_cast<std::uint8_t>(PersonState::Recruited) ||
      p.state[i] == static_cast<std::uint8_t>(PersonState::Exploited))
    return SurvivorOutcome::Retrafficked;
  if (p.state[i] == static_cast<std::uint8_t>(PersonState::InProtection))
    return SurvivorOutcome::InProtection;
  return (p.flags[i] & person_flag::kRecovering) ? SurvivorOutcome::Recovering : SurvivorOutcome::Recovered;
}

// What services find when they follow up a survivor they assisted: the
// re-trafficked are out of their reach, the others reached with the
// follow-up's reach.
Followup followup_of(const Model& model, const State& state, std::uint32_t person, SurvivorOutcome outcome) {
  if (outcome == SurvivorOutcome::Retrafficked) return Followup::Lost;
  if (outcome == SurvivorOutcome::InProtection) return Followup::InServices;
  const bool reached =
      person_stream(model, state, Phase::Survivors, person)
          .bernoulli(person_draw::kFollowupReach, model.scenario.get(Param::survivors_followup_reach));
  if (!reached) return Followup::Lost;
  return outcome == SurvivorOutcome::Recovered ? Followup::Recovered : Followup::NotRecovered;
}

void review(const Model& model, State& state, StepContext& ctx, const SurvivorEvent& event) {
  std::uint8_t& pending = state.persons.reviews_pending[event.person];
  if (pending > 0 && pending < 255) --pending;
  note_if_returning(model, state, ctx, event.person);
  const std::optional<SurvivorOutcome> outcome = outcome_of(state, event);
  if (!outcome) return;
  const std::size_t home = state.persons.home_region[event.person];
  const std::size_t pathway = pathway_of(static_cast<ExitRoute>(event.route), *outcome);
  ctx.metric(Metric::survivor_pathways, home, pathway) += 1;
  if (event.abroad) ctx.metric(Metric::survivor_pathways_abroad, home, pathway) += 1;
  if (event.route == static_cast<std::uint8_t>(ExitRoute::Protected))
    record_survivor_followup(ctx, home, followup_of(model, state, event.person, *outcome));
}

void recover_if_still_due(const Model& model, State& state, StepContext& ctx, const SurvivorEvent& event) {
  const auto& p = state.persons;
  const std::uint32_t i = event.person;
  // Only the spell at liberty it was drawn for: not after re-trafficking or
  // a replacement by demography.
  if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free) || p.state_since[i] != event.since ||
      !(p.flags[i] & person_flag::kRecovering))
    return;
  recover(model, state, ctx, i, static_cast<ExitRoute>(event.route));
  note_if_returning(model, state, ctx, i);
}

// The recoveries and reviews due by this step, in (due, person, kind) order.
void run_due(const Model& model, State& state, StepContext& ctx) {
  std::vector<SurvivorEvent>& due = ctx.scratch.survivor_events;
  state.survivor_calendar.take_due(state.step, due);
  for (const SurvivorEvent& event : due) {
    if (event.kind == SurvivorEvent::Review)
      review(model, state, ctx, event);
    else
      recover_if_still_due(model, state, ctx, event);
  }
}

}  // namespace

void run_survivors(const Model& model, State& state, StepContext& ctx) {
  run_due(model, state, ctx);
  follow_new_survivors(model, state, ctx);
}

}  // namespace tipsim
