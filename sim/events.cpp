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
constexpr Param kRecruitmentLevers[] = {Param::policy_awareness_reach,  Param::policy_empowerment_reach,
                                        Param::policy_fee_ban,          Param::policy_due_diligence,
                                        Param::policy_demand_reduction, Param::population_awareness_base};
constexpr Param kPoliceLevers[] = {Param::policy_investigators, Param::policy_partnership,
                                   Param::institutions_corruption};
constexpr Param kInspectionLevers[] = {Param::policy_labour_inspectors, Param::policy_partnership,
                                       Param::institutions_corruption};
constexpr Param kOutreachLevers[] = {Param::policy_ngo_outreach, Param::policy_partnership,
                                     Param::institutions_corruption};
constexpr Param kHotlineLevers[] = {Param::policy_hotline, Param::policy_awareness_reach,
                                    Param::policy_partnership, Param::institutions_corruption};
constexpr Param kPrivateSectorLevers[] = {Param::policy_partnership, Param::institutions_corruption};
constexpr Param kBorderLevers[] = {Param::policy_border_screening, Param::policy_partnership,
                                   Param::institutions_corruption};
constexpr Param kShelterLevers[] = {Param::policy_shelter_beds};
constexpr Param kNonPunishmentLevers[] = {Param::policy_non_punishment};
constexpr Param kServicesLevers[] = {Param::policy_service_years, Param::policy_service_quality};
constexpr Param kEntryLevers[] = {Param::traffickers_entry_per_100k,  Param::policy_due_diligence,
                                  Param::policy_demand_reduction,     Param::market_demand_sexual,
                                  Param::market_demand_agriculture,   Param::market_demand_construction,
                                  Param::market_demand_manufacturing, Param::market_demand_other_labour,
                                  Param::market_demand_domestic,      Param::market_demand_criminality};
constexpr Param kSentenceLevers[] = {Param::policy_sentence_years};

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
    case Mechanism::Entry:
      return kEntryLevers;
    case Mechanism::Sentence:
      return kSentenceLevers;
  }
  return {};
}

std::int16_t EventLog::responsible(const World& w, EventKind kind, std::int8_t channel, std::size_t region) {
  const auto& interventions = w.scenario->interventions;
  if (interventions.empty()) return kNoIntervention;
  // One answer per (region, kind, channel) and step: phases record many
  // events of the same kind in a step.
  constexpr std::size_t kChannelSlots = kChannels + 1;  // + "no channel"
  const std::size_t slots = w.regions.size() * kEventKinds * kChannelSlots;
  if (memo_step_ != w.step || memo_.size() != slots) {
    memo_.assign(slots, static_cast<std::int16_t>(-2));  // -2: not computed yet
    memo_step_ = w.step;
  }
  const std::size_t slot = (region * kEventKinds + static_cast<std::size_t>(kind)) * kChannelSlots +
                           static_cast<std::size_t>(channel + 1);
  if (memo_[slot] != -2) return memo_[slot];

  const std::span<const Param> levers = responsible_levers(kind, channel);
  std::int16_t found = kNoIntervention;
  for (std::size_t i = interventions.size(); i-- > 0 && found == kNoIntervention;) {
    const InterventionSpec& iv = interventions[i];
    if (w.step < iv.start_step || w.step >= iv.end_step) continue;
    if (iv.region >= 0 && static_cast<std::size_t>(iv.region) != region) continue;
    const bool reads = std::any_of(iv.changes.begin(), iv.changes.end(), [&](const LeverChange& c) {
      return std::find(levers.begin(), levers.end(), c.param) != levers.end();
    });
    if (reads) found = static_cast<std::int16_t>(i);
  }
  memo_[slot] = found;
  return found;
}

void EventLog::record(const World& w, EventKind kind, std::int32_t person, std::int32_t trafficker,
                      std::size_t region, std::int8_t form, std::int8_t channel) {
  Event e;
  e.step = w.step;
  e.person = person;
  e.trafficker = trafficker;
  e.region = static_cast<std::int16_t>(region);
  e.intervention = responsible(w, kind, channel, region);
  e.kind = kind;
  e.form = form;
  e.channel = channel;
  events_.push_back(e);
}

}  // namespace tipsim
