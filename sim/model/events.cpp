#include "events.hpp"

#include <algorithm>
#include <array>

namespace tipsim {

namespace {

constexpr std::array<EventKindSpec, kEventKinds> kKinds = {{
#define TIPSIM_EVENT(id, name, mechanism, doc) EventKindSpec{EventKind::id, name, Mechanism::mechanism, doc},
#include "events.def"
#undef TIPSIM_EVENT
}};

// The regional levers each mechanism reads (docs/output-format.md, "the
// intervention responsible"). Partnership and corruption scale every
// identification channel and the justice system.
constexpr Param kRecruitmentLevers[] = {
    Param::policy_prevention_awareness_reach,     Param::policy_prevention_empowerment_reach,
    Param::policy_prevention_recruitment_fee_ban, Param::policy_prevention_due_diligence,
    Param::policy_prevention_demand_reduction,    Param::population_awareness_base};
constexpr Param kPoliceLevers[] = {Param::policy_prosecution_investigators_per_100k,
                                   Param::policy_partnership_level, Param::institutions_corruption};
constexpr Param kInspectionLevers[] = {Param::policy_protection_labour_inspectors_per_100k,
                                       Param::policy_partnership_level, Param::institutions_corruption};
constexpr Param kOutreachLevers[] = {Param::policy_protection_outreach_workers_per_100k,
                                     Param::policy_partnership_level, Param::institutions_corruption};
constexpr Param kHotlineLevers[] = {Param::policy_protection_hotline,
                                    Param::policy_prevention_awareness_reach, Param::policy_partnership_level,
                                    Param::institutions_corruption};
constexpr Param kPrivateSectorLevers[] = {Param::policy_partnership_level, Param::institutions_corruption};
constexpr Param kBorderLevers[] = {Param::policy_protection_border_screening, Param::policy_partnership_level,
                                   Param::institutions_corruption};
// A victim comes forward where help is within reach, they know what is
// happening to them and need not fear punishment; partnership and
// corruption act on it as on every channel.
constexpr Param kSelfReportLevers[] = {Param::policy_protection_hotline,
                                       Param::policy_protection_outreach_workers_per_100k,
                                       Param::policy_prevention_awareness_reach,
                                       Param::policy_protection_non_punishment,
                                       Param::population_awareness_base,
                                       Param::policy_partnership_level,
                                       Param::institutions_corruption};
constexpr Param kShelterLevers[] = {Param::policy_protection_shelter_beds_per_100k};
constexpr Param kNonPunishmentLevers[] = {Param::policy_protection_non_punishment};
constexpr Param kServicesLevers[] = {Param::policy_protection_service_years,
                                     Param::policy_protection_service_quality};
constexpr Param kEntryLevers[] = {
    Param::traffickers_entry_per_100k,           Param::policy_prevention_due_diligence,
    Param::policy_prevention_demand_reduction,   Param::market_demand_sexual_per_100k,
    Param::market_demand_agriculture_per_100k,   Param::market_demand_construction_per_100k,
    Param::market_demand_manufacturing_per_100k, Param::market_demand_other_labour_per_100k,
    Param::market_demand_domestic_per_100k,      Param::market_demand_criminality_per_100k};
constexpr Param kSentenceLevers[] = {Param::policy_prosecution_sentence_years};
// A verdict comes when the courts reach the case, on the evidence the
// investigation gathered.
constexpr Param kTrialLevers[] = {Param::policy_prosecution_trials_per_100k_per_year,
                                  Param::policy_prosecution_investigators_per_100k,
                                  Param::policy_partnership_level, Param::institutions_corruption};

std::span<const Param> channel_levers(std::int8_t channel) {
  switch (static_cast<Channel>(channel)) {
    case Channel::Police:
    case Channel::Investigation:
      return kPoliceLevers;
    case Channel::LabourInspection:
      return kInspectionLevers;
    case Channel::NgoOutreach:
      return kOutreachLevers;
    case Channel::Hotline:
      return kHotlineLevers;
    case Channel::PrivateSector:
      return kPrivateSectorLevers;
    case Channel::BorderScreening:
      return kBorderLevers;
    case Channel::SelfReport:
      return kSelfReportLevers;
  }
  return {};
}

}  // namespace

std::span<const EventKindSpec> event_kind_table() { return kKinds; }

std::span<const Param> responsible_levers(EventKind kind, std::int8_t channel) {
  switch (spec(kind).mechanism) {
    case Mechanism::None:
      return {};
    case Mechanism::Recruitment:
      return kRecruitmentLevers;
    case Mechanism::Channel:
      return channel == kNoCategory ? std::span<const Param>{} : channel_levers(channel);
    case Mechanism::Shelter:
      return kShelterLevers;
    case Mechanism::NonPunishment:
      return kNonPunishmentLevers;
    case Mechanism::Services:
      return kServicesLevers;
    case Mechanism::Justice:
      return kPoliceLevers;
    case Mechanism::Trial:
      return kTrialLevers;
    case Mechanism::Entry:
      return kEntryLevers;
    case Mechanism::Sentence:
      return kSentenceLevers;
  }
  return {};
}

std::int16_t EventLog::responsible(const Model& model, const State& state, EventKind kind,
                                   std::int8_t channel, std::size_t region) {
  const auto& interventions = model.scenario.interventions;
  if (interventions.empty()) return kNoIntervention;
  // One answer per (region, kind, channel) and step: phases record many
  // events of the same kind in a step.
  constexpr std::size_t kChannelSlots = kChannels + 1;  // + "no channel"
  const std::size_t slots = state.regions.size() * kEventKinds * kChannelSlots;
  if (memo_step_ != state.step || memo_.size() != slots) {
    memo_.assign(slots, static_cast<std::int16_t>(-2));  // -2: not computed yet
    memo_step_ = state.step;
  }
  const std::size_t slot = (region * kEventKinds + static_cast<std::size_t>(kind)) * kChannelSlots +
                           static_cast<std::size_t>(channel + 1);
  if (memo_[slot] != -2) return memo_[slot];

  const std::span<const Param> levers = responsible_levers(kind, channel);
  std::int16_t found = kNoIntervention;
  for (std::size_t i = interventions.size(); i-- > 0 && found == kNoIntervention;) {
    const InterventionSpec& iv = interventions[i];
    if (state.step < iv.start_step || state.step >= iv.end_step) continue;
    if (iv.region >= 0 && static_cast<std::size_t>(iv.region) != region) continue;
    const bool reads = std::any_of(iv.changes.begin(), iv.changes.end(), [&](const LeverChange& c) {
      return std::find(levers.begin(), levers.end(), c.param) != levers.end();
    });
    if (reads) found = static_cast<std::int16_t>(i);
  }
  memo_[slot] = found;
  return found;
}

void EventLog::record(const Model& model, const State& state, EventKind kind, std::int32_t person,
                      std::int32_t trafficker, std::size_t region, std::int8_t form, std::int8_t channel) {
  Event e;
  e.step = state.step;
  e.person = person;
  e.trafficker = trafficker;
  e.region = static_cast<std::int16_t>(region);
  e.intervention = responsible(model, state, kind, channel, region);
  e.kind = kind;
  e.form = form;
  e.channel = channel;
  events_.push_back(e);
}

}  // namespace tipsim
