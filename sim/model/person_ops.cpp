#include "person_ops.hpp"

#include <algorithm>
#include <optional>

#include "events.hpp"
#include "model_math.hpp"
#include "observation.hpp"

namespace tipsim {

namespace {

// Draws of take_recruit, as offsets from the caller's first draw.
namespace recruit_draw {
constexpr std::uint32_t kFamilyConsent = 0;
constexpr std::uint32_t kFeeCharged = 1;
}  // namespace recruit_draw

// Draws of handle_identified, as offsets from the caller's first draw.
namespace identified_draw {
constexpr std::uint32_t kCriminalised = 0;
constexpr std::uint32_t kCooperates = 1;
constexpr std::uint32_t kRecordedForm = 2;
}  // namespace identified_draw

// A person leaves their controller: the trafficker's victim count, the
// market count where they are and their debt bond are undone.
void leave_controller(State& state, std::uint32_t person) {
  auto& p = state.persons;
  const std::int32_t controller = p.controller[person];
  if (controller != kNoTrafficker) {
    std::uint16_t& victims = state.traffickers.victims[static_cast<std::size_t>(controller)];
    if (victims > 0) --victims;
  }
  p.controller[person] = kNoTrafficker;
  if (p.state[person] == static_cast<std::uint8_t>(PersonState::Exploited) ||
      p.state[person] == static_cast<std::uint8_t>(PersonState::Recruited)) {
    if (p.market[person] != kNoMarket) {
      std::uint32_t& count = state.regions[p.current_region[person]].market_victims[p.market[person]];
      if (count > 0) --count;
    }
  }
  p.debt[person] = 0.0f;
  p.flags[person] &= static_cast<std::uint8_t>(~person_flag::kDebtBonded);
}

// An exit from trafficking, or from protection, for phase 10 to follow up.
void note_exit(State& state, std::uint32_t person, std::uint8_t route) {
  const auto& p = state.persons;
  state.survivor_exits.push_back(SurvivorExit{person, route, p.current_region[person],
                                              p.times_trafficked[person],
                                              p.current_region[person] != p.home_region[person]});
}

}  // namespace

void take_recruit(const Model& model, State& state, std::uint32_t person, std::int32_t trafficker,
                  Method method, Stream& stream, std::uint32_t first_draw) {
  auto& p = state.persons;
  const ParamValues& g = model.scenario.globals;
  const std::size_t home = p.home_region[person];
  const auto t = static_cast<std::size_t>(trafficker);
  ++state.traffickers.victims[t];
  p.controller[person] = trafficker;
  p.market[person] = state.traffickers.market[t];
  p.method[person] = static_cast<std::uint8_t>(method);
  if (p.times_trafficked[person] < 255) ++p.times_trafficked[person];
  end_recovery(state, person);
  p.flags[person] &= static_cast<std::uint8_t>(
      ~(person_flag::kConsentedInitially | person_flag::kCrossedBorder | person_flag::kDebtBonded));
  // A deceptive offer or a relationship was first accepted; family
  // recruiting sometimes; a loan was taken; abduction never.
  const bool consented = method == Method::DeceptiveJobOffer || method == Method::Romance ||
                         method == Method::DebtBased ||
                         (method == Method::FamilyOrAcquaintance &&
                          stream.bernoulli(first_draw + recruit_draw::kFamilyConsent,
                                           g[Param::recruitment_family_consent_share]));
  if (consented) p.flags[person] |= person_flag::kConsentedInitially;
  double debt = 0;
  if (method == Method::DebtBased) debt = g[Param::recruitment_debt_initial_usd];
  // A fee ban stops the fee that turns a deceptive job offer into a debt.
  if (method == Method::DeceptiveJobOffer &&
      levers(state, home)[Param::policy_prevention_recruitment_fee_ban] == 0.0 &&
      stream.bernoulli(first_draw + recruit_draw::kFeeCharged, g[Param::recruitment_fee_charged_share]))
    debt = g[Param::recruitment_fee_usd];
  p.debt[person] = static_cast<float>(debt);
  if (debt > 0) p.flags[person] |= person_flag::kDebtBonded;
  --state.regions[home].free_persons;
}

void start_recovery(State& state, std::uint32_t person) {
  auto& p = state.persons;
  if (p.flags[person] & person_flag::kRecovering) return;
  p.flags[person] |= person_flag::kRecovering;
  ++state.regions[p.home_region[person]].survivors_recovering;
}

void end_recovery(State& state, std::uint32_t person) {
  auto& p = state.persons;
  if (!(p.flags[person] & person_flag::kRecovering)) return;
  p.flags[person] &= static_cast<std::uint8_t>(~person_flag::kRecovering);
  std::uint32_t& recovering = state.regions[p.home_region[person]].survivors_recovering;
  if (recovering > 0) --recovering;
}

void recover(const Model& model, State& state, StepContext& ctx, std::uint32_t person, ExitRoute route) {
  end_recovery(state, person);
  ctx.metric(Metric::survivor_recoveries, state.persons.home_region[person],
             static_cast<std::size_t>(route)) += 1;
  record_person_event(model, state, ctx, EventKind::Recovery, person);
}

void free_from_trafficking(State& state, std::uint32_t person, ExitRoute route) {
  auto& p = state.persons;
  note_exit(state, person, static_cast<std::uint8_t>(route));
  leave_controller(state, person);
  p.state[person] = static_cast<std::uint8_t>(PersonState::Free);
  p.state_since[person] = state.step;
  p.current_region[person] = p.home_region[person];
  p.market[person] = kNoMarket;
  p.flags[person] &= static_cast<std::uint8_t>(~person_flag::kCooperating);
  p.survivor[person] =
      static_cast<std::uint8_t>((p.survivor[person] & survivor_bits::kAssisted) | survivor_route_bits(route));
  ++state.regions[p.home_region[person]].free_persons;
  start_recovery(state, person);
}

void enter_protection(State& state, std::uint32_t person) {
  auto& p = state.persons;
  note_exit(state, person, static_cast<std::uint8_t>(ExitRoute::Protected));
  leave_controller(state, person);
  p.state[person] = static_cast<std::uint8_t>(PersonState::InProtection);
  p.state_since[person] = state.step;
  p.survivor[person] = survivor_bits::kAssisted | survivor_route_bits(ExitRoute::Protected);
  ++state.regions[p.current_region[person]].shelter_occupied;
}

void leave_protection(State& state, std::uint32_t person) {
  auto& p = state.persons;
  note_exit(state, person, SurvivorExit::kLeftServices);
  std::uint32_t& occupied = state.regions[p.current_region[person]].shelter_occupied;
  if (occupied > 0) --occupied;
  p.state[person] = static_cast<std::uint8_t>(PersonState::Free);
  p.state_since[person] = state.step;
  p.current_region[person] = p.home_region[person];
  p.market[person] = kNoMarket;
  p.flags[person] &= static_cast<std::uint8_t>(~person_flag::kCooperating);
  ++state.regions[p.home_region[person]].free_persons;
  start_recovery(state, person);
}

namespace {

// The controller of an identified person, if they can still be prosecuted:
// evidence matters only against them. kNoTrafficker otherwise.
std::int32_t prosecutable_controller(const State& state, std::uint32_t person) {
  const std::int32_t controller = state.persons.controller[person];
  if (controller == kNoTrafficker) return kNoTrafficker;
  const auto t = static_cast<std::size_t>(controller);
  // Active, or held in custody while their case waits for trial: the
  // victims freed at the arrest are the case's witnesses.
  const bool prosecutable =
      state.traffickers.state[t] == static_cast<std::uint8_t>(TraffickerState::Active) ||
      state.traffickers.charged_step[t] >= 0;
  return prosecutable ? controller : kNoTrafficker;
}

// The form an agency records for an identified victim: domestic servitude
// and forced criminality are sometimes recorded as forced labour.
Form recorded_form(const ParamValues& g, Form truth, double u) {
  if (truth == Form::DomesticServitude && u < g[Param::identification_domestic_recorded_as_labour])
    return Form::Labour;
  if (truth == Form::ForcedCriminality && u < g[Param::identification_criminality_recorded_as_labour])
    return Form::Labour;
  return truth;
}

// What the agency records of an identified victim: where, how, the form it
// recorded, and the person's sex, age and nationality.
void count_identified(const Model& model, const State& state, StepContext& ctx, std::uint32_t person,
                      Channel channel, Stream& stream, std::uint32_t form_draw) {
  const auto& p = state.persons;
  record_person_event(model, state, ctx, EventKind::Identification, person,
                      static_cast<std::int8_t>(channel));
  const Form form = person_form(state, person);
  ctx.metric(Metric::victims_identified_by_form, p.current_region[person], static_cast<std::size_t>(form)) +=
      1;
  record_identified(ctx, VictimRecord{
                             .region = p.current_region[person],
                             .channel = channel,
                             .form = recorded_form(model.scenario.globals, form, stream.uniform(form_draw)),
                             .female = (p.flags[person] & person_flag::kFemale) != 0,
                             .child = (p.flags[person] & person_flag::kChild) != 0,
                             .foreign = p.current_region[person] != p.home_region[person],
                             .assisted_before = (p.survivor[person] & survivor_bits::kAssisted) != 0,
                             .criminal_record = (p.flags[person] & person_flag::kCriminalised) != 0,
                         });
}

// What an agency records a victim it met and did not recognise as, if
// anything: police see an irregular migrant in a foreigner and, with the
// region's share, an offender in a person selling sex; inspectors see a
// labour dispute; a victim who comes forward about work is heard as one,
// a foreigner as an irregular migrant.
std::optional<Record> recorded_instead(const State& state, std::uint32_t person, Channel channel,
                                       Stream& stream, std::uint32_t draw) {
  const auto& p = state.persons;
  const Form form = person_form(state, person);
  const bool foreign = p.current_region[person] != p.home_region[person];
  switch (channel) {
    case Channel::Police:
      if (foreign) return Record::IrregularMigration;
      if (form == Form::Sexual &&
          stream.bernoulli(draw,
                           levers(state, p.current_region[person])[Param::adjacent_selling_sex_arrest_share]))
        return Record::Offence;
      return std::nullopt;
    case Channel::LabourInspection:
      return Record::LabourDispute;
    case Channel::SelfReport:
      if (form == Form::Labour || form == Form::DomesticServitude) return Record::LabourDispute;
      if (foreign) return Record::IrregularMigration;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The victim's identification, and their testimony if they cooperate, is
// evidence against a controller who can still be prosecuted.
void add_evidence(const Scenario& s, State& state, std::int32_t controller, bool cooperates) {
  if (controller == kNoTrafficker) return;
  double evidence = s.get(Param::prosecution_evidence_per_identification);
  if (cooperates) evidence += s.get(Param::prosecution_evidence_per_cooperation);
  state.traffickers.evidence[static_cast<std::size_t>(controller)] += static_cast<float>(evidence);
}

// A shelter place if one is free in the region (cooperation is recorded on
// the sheltered); otherwise the victim is turned away and goes home FREE,
// more vulnerable.
void shelter_or_turn_away(const Model& model, State& state, StepContext& ctx, std::uint32_t person,
                          bool sheltered, bool cooperates) {
  const std::size_t region = state.persons.current_region[person];
  if (sheltered) {
    record_protection_entry(ctx, region);
    record_person_event(model, state, ctx, EventKind::ProtectionEntry, person);
    enter_protection(state, person);
    if (cooperates) state.persons.flags[person] |= person_flag::kCooperating;
  } else {
    record_turned_away(ctx, region);
    record_person_event(model, state, ctx, EventKind::TurnedAway, person);
    free_from_trafficking(state, person, ExitRoute::TurnedAway);
    raise_vulnerability(state, person, model.scenario.get(Param::protection_unserved_vulnerability_increase));
  }
}

}  // namespace

void punish(const Model& model, State& state, StepContext& ctx, std::uint32_t person, Channel channel,
            std::int32_t controller) {
  const Scenario& s = model.scenario;
  ctx.metric(Metric::victims_punished, state.persons.current_region[person]) += 1;
  record_person_event(model, state, ctx, EventKind::Criminalised, person, static_cast<std::int8_t>(channel));
  if (controller != kNoTrafficker)
    state.traffickers.evidence[static_cast<std::size_t>(controller)] +=
        static_cast<float>(s.get(Param::prosecution_evidence_per_identification));
  state.persons.flags[person] |= person_flag::kCriminalised;
  free_from_trafficking(state, person, ExitRoute::Punished);
  raise_vulnerability(state, person, s.get(Param::protection_criminalised_vulnerability_increase));
}

void record_unrecognised(const Model& model, const State& state, StepContext& ctx, std::uint32_t person,
                         Channel channel, Stream& stream, std::uint32_t draw) {
  const std::size_t region = state.persons.current_region[person];
  ctx.metric(Metric::victims_unrecognised, region, static_cast<std::size_t>(channel)) += 1;
  record_person_event(model, state, ctx, EventKind::Unrecognised, person, static_cast<std::int8_t>(channel));
  const std::optional<Record> record = recorded_instead(state, person, channel, stream, draw);
  if (!record) return;
  if (*record == Record::Offence)
    record_person_event(model, state, ctx, EventKind::Arrest, person, static_cast<std::int8_t>(channel));
  record_other_cases(ctx, region, *record);
  ctx.metric(Metric::victims_in_other_cases, region, static_cast<std::size_t>(*record)) += 1;
}

void handle_identified(const Model& model, State& state, StepContext& ctx, std::uint32_t person,
                       Channel channel, Stream& stream, std::uint32_t first_draw) {
  const Scenario& s = model.scenario;
  const std::size_t region = state.persons.current_region[person];
  const std::int32_t controller = prosecutable_controller(state, person);

  count_identified(model, state, ctx, person, channel, stream, first_draw + identified_draw::kRecordedForm);
  // Without the non-punishment principle, victims of forced criminality are
  // treated as offenders, and some victims of other forms too (immigration
  // or prostitution offences).
  const bool punished = levers(state, region)[Param::policy_protection_non_punishment] == 0.0 &&
                        (person_form(state, person) == Form::ForcedCriminality ||
                         stream.bernoulli(first_draw + identified_draw::kCriminalised,
                                          s.get(Param::protection_criminalise_others_share)));
  if (punished) {
    record_identified_punished(ctx, region);
    punish(model, state, ctx, person, channel, controller);
    return;
  }
  const bool sheltered = shelter_place_free(state.regions[region]);
  const bool cooperates = stream.bernoulli(first_draw + identified_draw::kCooperates,
                                           sheltered ? s.get(Param::protection_cooperation_sheltered)
                                                     : s.get(Param::protection_cooperation_unsheltered));
  add_evidence(s, state, controller, cooperates);
  if (cooperates) record_cooperating(ctx, region);
  shelter_or_turn_away(model, state, ctx, person, sheltered, cooperates);
}

EntryWeights entry_weights(const ParamValues& g, const RegionState& region) {
  EntryWeights w;
  for (std::size_t m = 0; m < kMarkets; ++m)
    w.market[m] = region.market_pull[m] * region.market_density[m] * deterrence(g, region.perceived_risk[m]);
  for (std::size_t k = 0; k < kMethods; ++k)
    w.method[k] = method_weight(region.levers, static_cast<Method>(k));
  return w;
}

std::uint16_t draw_capacity(Stream& stream, std::uint32_t draw, double mean) {
  return static_cast<std::uint16_t>(std::min<std::uint64_t>(60000, 1 + stream.poisson(draw, mean - 1.0)));
}

Newcomer draw_newcomer(Stream& stream, std::uint32_t first_draw, const EntryWeights& weights,
                       double join_share, double capacity_mean) {
  Newcomer n;
  n.market = static_cast<Market>(
      pick_weighted(weights.market, kMarkets, stream.uniform(first_draw + newcomer_draw::kMarket)));
  n.method = static_cast<Method>(
      pick_weighted(weights.method, kMethods, stream.uniform(first_draw + newcomer_draw::kMethod)));
  // The streams are counter-based: a draw is the same whether or not an
  // earlier one was taken.
  n.joins_network = stream.bernoulli(first_draw + newcomer_draw::kJoinsNetwork, join_share);
  n.network_pick = stream.uniform(first_draw + newcomer_draw::kNetworkPick);
  n.capacity = draw_capacity(stream, first_draw + newcomer_draw::kCapacity, capacity_mean);
  return n;
}

}  // namespace tipsim
