// State transitions of persons shared by several phases. Each keeps every
// aggregate (trafficker victim counts, market and shelter counts, free
// counts, the involved list) consistent, so phases cannot forget one.
#pragma once

#include <cmath>

#include "model.hpp"
#include "model_math.hpp"
#include "random.hpp"
#include "state.hpp"
#include "step_context.hpp"

namespace tipsim {

inline Stream person_stream(const Model& model, const State& state, Phase phase, std::uint32_t person) {
  return Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), phase, AgentKind::Person,
                person);
}
inline Stream trafficker_stream(const Model& model, const State& state, Phase phase,
                                std::uint32_t trafficker) {
  return Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), phase,
                AgentKind::Trafficker, trafficker);
}
inline Stream region_stream(const Model& model, const State& state, Phase phase, std::uint32_t region) {
  return Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), phase, AgentKind::Region,
                region);
}
inline Stream block_stream(const Model& model, const State& state, Phase phase, std::uint32_t block) {
  return Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), phase,
                AgentKind::PersonBlock, block);
}

// Asks for person i's entries of the given fields ahead of a serial pass
// that will read or write them: at fine scales each is a cache miss of its
// own, which the pass would otherwise wait for one after another.
template <typename... Field>
void prefetch_fields(std::size_t i, const Field&... field) {
  (__builtin_prefetch(field.data() + i), ...);
}

// A person's stream at an earlier step, for a draw made then that a later
// step needs again (the random streams are pure functions of the step).
inline Stream person_stream_at(const Model& model, const State& state, Phase phase, std::uint32_t person,
                               std::int32_t step) {
  return Stream(model.seed, state.replicate, static_cast<std::uint32_t>(step), phase, AgentKind::Person,
                person);
}

// A duration of `mean_steps` steps as a whole number of them: the step below
// or the one above, the latter with probability equal to the fraction, so
// that the mean, and so the duration in days, is the same at any step
// length. `u` is a uniform draw. A whole number of steps up to rounding
// error (26 x 7/365 years at 7-day steps) is kept exactly, and needs no
// draw: callers may skip it when is_whole_steps().
inline bool is_whole_steps(double mean_steps) {
  const double nearest = std::round(mean_steps);
  return std::abs(mean_steps - nearest) < 1e-9 * std::max(1.0, nearest);
}
inline std::int32_t whole_steps(double mean_steps, double u) {
  if (is_whole_steps(mean_steps)) return static_cast<std::int32_t>(std::round(mean_steps));
  const double whole = std::floor(mean_steps);
  return static_cast<std::int32_t>(whole) + (u < mean_steps - whole ? 1 : 0);
}

// A person's duration of `mean_steps` in whole steps, rounded with their
// uniform `draw` of `phase` at the step `since` it began, so that every
// later step recomputes the same number; a whole number needs no draw.
inline std::int32_t person_whole_steps(const Model& model, const State& state, Phase phase,
                                       std::uint32_t person, std::int32_t since, std::uint32_t draw,
                                       double mean_steps) {
  if (is_whole_steps(mean_steps)) return whole_steps(mean_steps, 0.0);
  return whole_steps(mean_steps, person_stream_at(model, state, phase, person, since).uniform(draw));
}

// Probability of at least one event in a step for a hazard per year.
inline double step_probability(double hazard_per_year, double step_years) {
  return -std::expm1(-hazard_per_year * step_years);
}

// A person's campaign boost now: as last set, decayed exponentially since.
inline double awareness_boost_now(const Model& model, const State& state, std::uint32_t person) {
  const auto& p = state.persons;
  const double boost = p.awareness_boost[person];
  if (boost == 0.0) return 0.0;
  const double years = (state.step - p.awareness_step[person]) * model.step_years;
  const double decay = model.scenario.get(Param::prevention_awareness_decay_per_year);
  return boost * std::exp(-decay * years);
}
// A person's awareness now: the regional base plus their boost.
inline double awareness_now(const Model& model, const State& state, std::uint32_t person) {
  const double base = levers(state, state.persons.home_region[person])[Param::population_awareness_base];
  const double boost = awareness_boost_now(model, state, person);
  return boost == 0.0 ? base : std::min(1.0, base + boost);
}
inline void set_awareness(State& state, std::uint32_t person, double awareness) {
  const double base = levers(state, state.persons.home_region[person])[Param::population_awareness_base];
  state.persons.awareness_boost[person] = static_cast<float>(std::max(0.0, awareness - base));
  state.persons.awareness_step[person] = state.step;
}

// Moves a person's vulnerability a share of the way to 1.
inline void raise_vulnerability(State& state, std::uint32_t person, double share_of_gap) {
  float& v = state.persons.vulnerability[person];
  v = static_cast<float>(v + share_of_gap * (1.0 - v));
}

inline Form person_form(const State& state, std::uint32_t person) {
  return form_of(static_cast<Market>(state.persons.market[person]));
}

// The parts of a victim's propensity to come forward that depend on where
// they are only: whether help is within reach (a hotline or NGO outreach),
// fear of punishment where there is no non-punishment law, and the
// multiplier every channel has (partnership, referral mechanisms, raises
// it; corruption, distrust of the police, lowers it).
struct SelfReportRegion {
  double reach = 0;
  double fear = 1;
  double multiplier = 0;
};
inline SelfReportRegion self_report_region(const Model& model, const ParamValues& lv) {
  const ParamValues& g = model.scenario.globals;
  SelfReportRegion r;
  const double outreach = saturating(lv[Param::policy_protection_outreach_workers_per_100k],
                                     g[Param::identification_ngo_half_effort_per_100k]);
  r.reach = 1.0 - (1.0 - lv[Param::policy_protection_hotline]) * (1.0 - outreach);
  if (lv[Param::policy_protection_non_punishment] == 0.0)
    r.fear *= 1.0 - g[Param::identification_self_report_fear_punishment];
  r.multiplier = identification_multiplier(g, lv);
  return r;
}

// How readily a victim comes forward: what they know (awareness), times
// their region's part, times the fear of deportation abroad.
inline double self_report_propensity(const Model& model, const State& state, std::uint32_t person,
                                     const SelfReportRegion& region) {
  const auto& p = state.persons;
  double fear = region.fear;
  if (p.current_region[person] != p.home_region[person])
    fear *= 1.0 - model.scenario.globals[Param::identification_self_report_fear_abroad];
  // A criminal record from being punished as an offender keeps a victim
  // from coming forward again.
  if (p.flags[person] & person_flag::kCriminalised)
    fear *= model.scenario.globals[Param::survivors_record_self_report_factor];
  return awareness_now(model, state, person) * region.reach * fear * region.multiplier;
}
inline double self_report_propensity(const Model& model, const State& state, std::uint32_t person) {
  return self_report_propensity(
      model, state, person, self_report_region(model, levers(state, state.persons.current_region[person])));
}

// Probability that an agency recognises a victim of this form who comes
// forward as a victim of trafficking.
inline double self_report_recognition(const ParamValues& g, Form f) {
  switch (f) {
    case Form::Sexual:
      return g[Param::identification_self_report_recognition_sexual];
    case Form::Labour:
      return g[Param::identification_self_report_recognition_labour];
    case Form::DomesticServitude:
      return g[Param::identification_self_report_recognition_domestic];
    case Form::ForcedCriminality:
      return g[Param::identification_self_report_recognition_criminality];
  }
  return 0;
}

// A person's susceptibility to recruiting before awareness: vulnerability
// to a power, more for children and for survivors who have not recovered.
inline double susceptibility_of(const ParamValues& g, double vulnerability, std::uint8_t flags) {
  double x = std::pow(vulnerability, g[Param::recruitment_vulnerability_exponent]);
  if (flags & person_flag::kChild) x *= g[Param::recruitment_child_susceptibility];
  if (flags & person_flag::kRecovering) x *= g[Param::recruitment_retrafficking_factor];
  return x;
}
inline double susceptibility(const Model& model, const State& state, std::uint32_t person) {
  return susceptibility_of(model.scenario.globals, static_cast<double>(state.persons.vulnerability[person]),
                           state.persons.flags[person]);
}
// The largest value susceptibility() can take.
inline double max_susceptibility(const ParamValues& g) {
  return std::max(1.0, g[Param::recruitment_child_susceptibility]) *
         std::max(1.0, g[Param::recruitment_retrafficking_factor]);
}

// A FREE person is taken by a trafficker using a method: controller,
// market, consent and debt are set, counts updated, state still to be set
// by the caller. Uses draws first_draw and first_draw + 1 of `stream`.
void take_recruit(const Model& model, State& state, std::uint32_t person, std::int32_t trafficker,
                  Method method, Stream& stream, std::uint32_t first_draw);

// A RECRUITED or EXPLOITED person leaves their controller and returns home
// FREE (escape, release, punishment, or identified without a place): a
// survivor, recovering, whom the survivors phase follows up.
void free_from_trafficking(State& state, std::uint32_t person, ExitRoute route);

// A RECRUITED or EXPLOITED person leaves their controller for a shelter
// place in their current region (the exit PROTECTED, followed up).
void enter_protection(State& state, std::uint32_t person);

// A person in protection goes home FREE, recovering until the services'
// reintegration or time ends it (phases 9 and 10).
void leave_protection(State& state, std::uint32_t person);

// A survivor back home starts, or stops, counting as recovering: the
// re-trafficking multiplier applies to them and the region's count of
// survivors recovering includes them. end_recovery() on recovery, on
// re-trafficking, and when demography replaces the person.
void start_recovery(State& state, std::uint32_t person);
void end_recovery(State& state, std::uint32_t person);

// A survivor at home recovers (good services at their end, or time): no
// longer recovering, counted by how their trafficking ended, RECOVERY.
void recover(const Model& model, State& state, StepContext& ctx, std::uint32_t person, ExitRoute route);

// What happens after identification, for any channel: what the agency
// records, punishment where non-punishment is off, a shelter place if one
// is free, cooperation with prosecution, evidence against the controller.
// `stream` is the person's stream of the identifying phase; draws
// first_draw to first_draw + 2 are used.
void handle_identified(const Model& model, State& state, StepContext& ctx, std::uint32_t person,
                       Channel channel, Stream& stream, std::uint32_t first_draw);

// A victim punished as an offender (identified and punished where
// non-punishment is off, or arrested and not recognised): they go home
// FREE, more vulnerable, with a criminal record; evidence counts against a
// controller only if one is given (kNoTrafficker when nobody knows).
void punish(const Model& model, State& state, StepContext& ctx, std::uint32_t person, Channel channel,
            std::int32_t controller);

// A victim whom a channel met (or who came forward) but did not recognise:
// what the agency recorded them as instead, if anything (an offence,
// irregular migration, a labour dispute). They stay where they are. Uses
// `draw` of `stream`.
void record_unrecognised(const Model& model, const State& state, StepContext& ctx, std::uint32_t person,
                         Channel channel, Stream& stream, std::uint32_t draw);

// Whether a region's shelters have a free place (victims and the people
// wrongly identified as victims share them).
inline bool shelter_place_free(const RegionState& rs) {
  return rs.shelter_occupied + rs.non_victims_sheltered < rs.shelter_capacity;
}

// ---- traffickers who enter the trade -------------------------------------

// What a region's newcomers supply and how they recruit: each market by the
// demand a recruit from here can expect to meet, deterred by the risk seen
// in it, each method by the region's shares.
struct EntryWeights {
  double market[kMarkets];
  double method[kMethods];
};
EntryWeights entry_weights(const ParamValues& g, const RegionState& region);

// A newcomer's capacity: at least one victim, Poisson above that (draws
// `draw` and the next).
std::uint16_t draw_capacity(Stream& stream, std::uint32_t draw, double mean);

// The draws of a newcomer, as offsets from the first of its block.
namespace newcomer_draw {
inline constexpr std::uint32_t kMarket = 0;
inline constexpr std::uint32_t kMethod = 1;
inline constexpr std::uint32_t kJoinsNetwork = 2;
inline constexpr std::uint32_t kNetworkPick = 3;
inline constexpr std::uint32_t kCapacity = 4;  // and 5: a Poisson may take two draws
inline constexpr std::uint32_t kCount = 6;
}  // namespace newcomer_draw

// A newcomer, at the start or entering later: market and method by the
// weights, whether they join an existing network (where there is one) and
// the draw that picks it, and their capacity.
struct Newcomer {
  Market market;
  Method method;
  bool joins_network;
  double network_pick;  // in [0, 1)
  std::uint16_t capacity;
};
Newcomer draw_newcomer(Stream& stream, std::uint32_t first_draw, const EntryWeights& weights,
                       double join_share, double capacity_mean);

}  // namespace tipsim
