// Phase 10: survivors. Everyone whose trafficking ended this step is
// followed up: a review survivors.followup_years later records where they
// are (trafficked again, in protection, recovering or recovered) by how it
// ended, and services follow up those they assisted; a survivor back home
// who has not recovered recovers at a hazard (slower with a criminal
// record), drawn when they come home, after which the re-trafficking
// multiplier no longer applies. The calendar holds the pending recoveries
// and reviews, so the phase costs what is due, not the survivors' number.
// With strata, a survivor back home with no review pending goes back to the
// strata at the step's end (return_to_strata), recovered or not, and those
// who have not recovered recover there (recover_in_strata).
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
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

// The serial passes over follow-ups and exits ask for the person this many
// ahead (prefetch_fields).
constexpr std::size_t kLookahead = 8;

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

// The probability that a survivor at home who has not recovered recovers in
// a step: the exponential time of recovery_step rounded up to whole steps
// is a geometric number of steps with this success probability.
double recovery_per_step(const Model& model, bool criminalised) {
  const ParamValues& g = model.scenario.globals;
  double hazard = g[Param::survivors_recovery_per_year];
  if (criminalised) hazard *= g[Param::survivors_record_recovery_factor];
  return hazard > 0 ? -std::expm1(-hazard * model.step_years) : 0.0;
}

// Survivors back in the strata who have not recovered: Binomial(n,
// recovery_per_step) of each such stratum recover this step, counted by the
// route of their last exit, and join the stratum without the trait. By the
// geometric's lack of memory this is the agents' recovery, however long a
// survivor had been home before going back.
void recover_in_strata(const Model& model, State& state, StepContext& ctx) {
  const double plain = recovery_per_step(model, false), with_record = recovery_per_step(model, true);
  if (!(plain > 0) && !(with_record > 0)) return;
  const std::size_t regions = state.strata.size();
  std::vector<std::vector<Stratum>>& moved = ctx.scratch.strata_moved;
  moved.resize(regions);
  std::vector<std::array<std::uint64_t, kExitRoutes>> recovered(regions);
  tbb::parallel_for(std::size_t{0}, regions, [&](std::size_t r) {
    auto shared = [&](StratumPass pass) {
      return stratum_stream(model, state, Phase::Survivors, pass, r, kRegionStream);
    };
    StrataHits hits_plain(shared(StratumPass::RecoveryShared), plain);
    StrataHits hits_record(shared(StratumPass::RecoveryWithRecordShared), with_record);
    std::vector<Stratum>& strata = state.strata[r];
    std::uint64_t count = 0;
    moved[r].clear();
    for (std::uint32_t k = 0; k < strata.size(); ++k) {
      Stratum& s = strata[k];
      if (!(s.traits & stratum_trait::kRecovering)) continue;
      Stream own = stratum_stream(model, state, Phase::Survivors, StratumPass::Recovery, r, k);
      StrataHits& hits = s.traits & stratum_trait::kCriminalised ? hits_record : hits_plain;
      const std::uint64_t n = hits.hits(s.people, own);
      if (n == 0) continue;
      s.people -= n;
      Stratum well = s;
      well.traits = static_cast<std::uint16_t>(well.traits & ~stratum_trait::kRecovering);
      well.people = n;
      moved[r].push_back(well);
      if (const auto route = (s.traits & stratum_trait::kRouteMask) >> stratum_trait::kRouteShift)
        recovered[r][static_cast<std::size_t>(route - 1)] += n;
      count += n;
    }
    std::uint32_t& recovering = state.regions[r].survivors_recovering;
    recovering -= static_cast<std::uint32_t>(std::min<std::uint64_t>(recovering, count));
    merge_moved(strata, moved[r]);
  });
  for (std::size_t r = 0; r < regions; ++r)
    for (std::size_t route = 0; route < kExitRoutes; ++route)
      if (recovered[r][route] > 0)
        ctx.metric(Metric::survivor_recoveries, r, route) += static_cast<double>(recovered[r][route]);
}

// This step's exits and returns home: the exits counted (and the returns
// from abroad), a review scheduled for each exit, a recovery for each
// survivor now home and recovering. With strata, a survivor who would
// recover only after their review goes back to the strata at it, not
// recovered, and recovers there: their recovery is not scheduled.
void follow_new_survivors(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const double followup = model.scenario.get(Param::survivors_followup_years) / model.step_years;
  const auto review_steps = static_cast<std::int32_t>(std::max(1.0, std::round(followup)));
  const std::vector<SurvivorExit>& exits = state.survivor_exits;
  for (std::size_t e = 0; e < exits.size(); ++e) {
    if (e + kLookahead < exits.size())
      prefetch_fields(exits[e + kLookahead].person, p.state, p.state_since, p.flags, p.reviews_pending,
                      p.home_region, p.current_region);
    const SurvivorExit& exit = exits[e];
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
    const auto due = recovery_step(model, state, i);
    // Leaving services with no review pending, they go back at once.
    const std::int32_t returns =
        left_services ? (p.reviews_pending[i] == 0 ? state.step : std::numeric_limits<std::int32_t>::max())
                      : state.step + review_steps;
    if (due && !(model.untouched_in_strata && *due > returns))
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

// With strata, a survivor still recovering at the review of the exit that
// sent them home had their recovery left to the strata; if they cannot go
// back yet (another review pending), it is drawn afresh from now, which by
// the exponential's lack of memory is the same.
void recover_later_if_kept(const Model& model, State& state, const SurvivorEvent& review) {
  const auto& p = state.persons;
  const std::uint32_t i = review.person;
  if (!model.untouched_in_strata || review.route == static_cast<std::uint8_t>(ExitRoute::Protected) ||
      p.state[i] != static_cast<std::uint8_t>(PersonState::Free) || p.state_since[i] != review.since ||
      !(p.flags[i] & person_flag::kRecovering) || can_return_to_strata(state, i))
    return;
  if (const auto due = recovery_step(model, state, i))
    schedule(state, SurvivorEvent{.due = *due,
                                  .person = i,
                                  .kind = SurvivorEvent::Recovery,
                                  .route = review.route,
                                  .times = 0,
                                  .abroad = 0,
                                  .since = review.since});
}

void review(const Model& model, State& state, StepContext& ctx, const SurvivorEvent& event) {
  std::uint8_t& pending = state.persons.reviews_pending[event.person];
  if (pending > 0 && pending < 255) --pending;
  note_if_returning(model, state, ctx, event.person);
  recover_later_if_kept(model, state, event);
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
  const auto& p = state.persons;
  for (std::size_t e = 0; e < due.size(); ++e) {
    if (e + kLookahead < due.size())
      prefetch_fields(due[e + kLookahead].person, p.state, p.state_since, p.flags, p.reviews_pending,
                      p.times_trafficked, p.home_region, p.current_region);
    const SurvivorEvent& event = due[e];
    if (event.kind == SurvivorEvent::Review)
      review(model, state, ctx, event);
    else
      recover_if_still_due(model, state, ctx, event);
  }
}

}  // namespace

void run_survivors(const Model& model, State& state, StepContext& ctx) {
  if (model.untouched_in_strata) recover_in_strata(model, state, ctx);
  run_due(model, state, ctx);
  follow_new_survivors(model, state, ctx);
}

}  // namespace tipsim
