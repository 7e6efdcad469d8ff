// Phase 7: identification. Each channel meets the people where it works at
// a hazard with diminishing returns in its effort (partnership multiplies,
// corruption divides it), and screens whom it meets: a victim is recognised
// with the channel's sensitivity (else recorded as something else, or not
// at all), a person in an adjacent situation is taken for a victim with one
// minus its specificity. Victims may come forward themselves; people in
// transit face border screening; victims of forced criminality may be
// arrested as offenders and screened. What follows identification
// (punishment, a shelter place, cooperation) is person_ops'
// handle_identified, applied in id order because shelter places are shared;
// then the people wrongly identified in each region, in region order.
#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <optional>

#include "events.hpp"
#include "involved.hpp"
#include "model_math.hpp"
#include "observation.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// Draws of a person's identification stream, one index each. A person in
// transit uses kBorder, an exploited person kIdentified and kChannel: the
// two never meet in one step.
namespace identify_draw {
constexpr std::uint32_t kBorder = 0;
constexpr std::uint32_t kIdentified = 0;
constexpr std::uint32_t kChannel = 1;
constexpr std::uint32_t kRecognised = 2;        // the channel recognises the victim it met
constexpr std::uint32_t kOtherRecord = 3;       // what an unrecognised victim is recorded as
constexpr std::uint32_t kHandleIdentified = 4;  // to 6: handle_identified
}  // namespace identify_draw

// Draws of a region's identification stream: the people of each adjacent
// situation a channel meets and takes for victims (and records otherwise),
// then the sex of each person wrongly identified and whether they are
// punished. A Poisson count may take two draws.
namespace adjacent_draw {
constexpr std::uint32_t kTakenForVictims = 0;         // + 2 (group x kChannels + channel)
constexpr std::uint32_t kRecordedOtherwise = 2 * 64;  // + 2 (group x kChannels + channel)
constexpr std::uint32_t kPerPerson = 4 * 64;          // + 2 k and + 2 k + 1 for the k-th
}  // namespace adjacent_draw

// A decision: the channel in the low bits, or kNotIdentified; kUnrecognised
// when the channel met a victim and did not recognise them; kArrested when
// the police arrested them as an offender (then screened).
constexpr std::uint8_t kNotIdentified = 0xFF;
constexpr std::uint8_t kArrested = 0x80;
constexpr std::uint8_t kUnrecognised = 0x40;
constexpr std::uint8_t kChannelBits = 0x0F;

// The screening channels, in Channel order: those a person meets where they
// are, with their sensitivity and specificity.
constexpr std::size_t kScreening = 5;  // Police .. PrivateSector
constexpr std::size_t kBorder = static_cast<std::size_t>(Channel::BorderScreening);

struct Screening {
  double sensitivity[kChannels];
  double specificity[kChannels];
};

Screening screening(const ParamValues& g) {
  Screening s{};
  const auto set = [&](Channel c, Param sens, Param spec) {
    s.sensitivity[static_cast<std::size_t>(c)] = g[sens];
    s.specificity[static_cast<std::size_t>(c)] = g[spec];
  };
  set(Channel::Police, Param::identification_police_sensitivity, Param::identification_police_specificity);
  set(Channel::LabourInspection, Param::identification_inspection_sensitivity,
      Param::identification_inspection_specificity);
  set(Channel::NgoOutreach, Param::identification_ngo_sensitivity, Param::identification_ngo_specificity);
  set(Channel::Hotline, Param::identification_hotline_sensitivity, Param::identification_hotline_specificity);
  set(Channel::PrivateSector, Param::identification_private_sector_sensitivity,
      Param::identification_private_sector_specificity);
  set(Channel::BorderScreening, Param::identification_border_sensitivity,
      Param::identification_border_specificity);
  return s;
}

// Hazards per year by channel at which a person of each form exploited in a
// region is met, plus the arrest hazard for forced criminality.
struct RegionHazards {
  double by_form[kForms][kScreening];
  double arrest;
  double arrest_screening;  // probability an arrested victim is recognised
  double self_report;       // hazard of coming forward at full propensity
  SelfReportRegion self_report_region;
  double border_per_step;  // probability in a step in transit to here
  // The probability that a victim of each form is met in a step, at the
  // most a person's propensity to come forward can be (full awareness, no
  // fear of their own): most victims are not met, and a draw above it
  // settles that without their awareness.
  double met_bound[kForms];
};

RegionHazards region_hazards(const Model& model, const State& state, std::size_t region) {
  const ParamValues& g = model.scenario.globals;
  const ParamValues& lv = levers(state, region);
  const double multiplier = identification_multiplier(g, lv);
  const double police = g[Param::identification_police_rate_per_year] *
                        saturating(lv[Param::policy_prosecution_investigators_per_100k],
                                   g[Param::identification_police_half_effort_per_100k]);
  const double inspection = g[Param::identification_inspection_rate_per_year] *
                            saturating(lv[Param::policy_protection_labour_inspectors_per_100k],
                                       g[Param::identification_inspection_half_effort_per_100k]);
  const double ngo = g[Param::identification_ngo_rate_per_year] *
                     saturating(lv[Param::policy_protection_outreach_workers_per_100k],
                                g[Param::identification_ngo_half_effort_per_100k]);
  const double hotline = g[Param::identification_hotline_rate_per_year] *
                         lv[Param::policy_protection_hotline] * state.regions[region].awareness_mean;
  const double private_sector =
      g[Param::identification_private_sector_rate_per_year] * lv[Param::policy_partnership_level];
  const double visibility[kForms] = {
      g[Param::identification_visibility_sexual], g[Param::identification_visibility_labour],
      g[Param::identification_visibility_domestic], g[Param::identification_visibility_criminality]};
  const double inspection_reach[kForms] = {0.0, 1.0, g[Param::identification_inspection_domestic_factor],
                                           0.0};

  RegionHazards h{};
  for (std::size_t f = 0; f < kForms; ++f) {
    auto& row = h.by_form[f];
    row[static_cast<std::size_t>(Channel::Police)] = police * visibility[f] * multiplier;
    row[static_cast<std::size_t>(Channel::LabourInspection)] = inspection * inspection_reach[f] * multiplier;
    row[static_cast<std::size_t>(Channel::NgoOutreach)] = ngo * visibility[f] * multiplier;
    row[static_cast<std::size_t>(Channel::Hotline)] = hotline * visibility[f] * multiplier;
    row[static_cast<std::size_t>(Channel::PrivateSector)] = private_sector * visibility[f] * multiplier;
  }
  h.arrest = g[Param::exploitation_criminality_arrest_per_year];
  h.arrest_screening = lv[Param::policy_protection_non_punishment] != 0.0
                           ? g[Param::identification_arrest_screening_sensitivity]
                           : g[Param::identification_arrest_screening_sensitivity_without_law];
  h.self_report = g[Param::identification_self_report_rate_per_year];
  h.self_report_region = self_report_region(model, lv);
  h.border_per_step =
      step_probability(lv[Param::policy_protection_border_screening] *
                           g[Param::identification_border_detection_rate_per_year] * multiplier,
                       model.step_years);
  // self_report_propensity's product with awareness and each fear factor at
  // 1, their largest (the rounding of a product never decreases with its
  // factors, so no person's probability exceeds the bound).
  const double propensity_bound =
      1.0 * h.self_report_region.reach * h.self_report_region.fear * h.self_report_region.multiplier;
  for (std::size_t f = 0; f < kForms; ++f) {
    double total = 0;
    for (std::size_t c = 0; c < kScreening; ++c) total += h.by_form[f][c];
    const double arrest = static_cast<Form>(f) == Form::ForcedCriminality ? h.arrest : 0.0;
    h.met_bound[f] = step_probability(total + h.self_report * propensity_bound + arrest, model.step_years);
  }
  return h;
}

// Regions are at most 256 (uint8 indices): a fixed table keeps the step
// free of allocations.
using HazardTable = std::array<RegionHazards, 256>;

std::uint8_t screened(Stream& stream, Channel channel, double sensitivity) {
  const auto c = static_cast<std::uint8_t>(channel);
  return stream.bernoulli(identify_draw::kRecognised, sensitivity)
             ? c
             : static_cast<std::uint8_t>(c | kUnrecognised);
}

// Whether a person in transit, selected with probability `selection`, is
// met at the border of where they arrive, and recognised.
std::uint8_t border_decision(const Model& model, const State& state, const Screening& screen, std::uint32_t i,
                             const RegionHazards& h, double selection) {
  if (state.persons.current_region[i] == state.persons.home_region[i]) return kNotIdentified;
  Stream stream = person_stream(model, state, Phase::Identification, i);
  if (!(stream.uniform(identify_draw::kBorder) * selection < h.border_per_step)) return kNotIdentified;
  return screened(stream, Channel::BorderScreening, screen.sensitivity[kBorder]);
}

// Whether an exploited person, selected with probability `selection`, is
// met by a channel (and recognised or not), comes forward (recognised as a
// victim or not), or, for forced criminality, is arrested (and recognised
// by the screening or not): met with the probability of their hazards
// over the selection's.
std::uint8_t exploited_decision(const Model& model, const State& state, const Screening& screen,
                                std::uint32_t i, const RegionHazards& h, double selection) {
  const Form f = person_form(state, i);
  const auto form = static_cast<std::size_t>(f);
  Stream stream = person_stream(model, state, Phase::Identification, i);
  const double met = stream.uniform(identify_draw::kIdentified) * selection;
  if (!(met < h.met_bound[form])) return kNotIdentified;
  double total = 0;
  for (std::size_t c = 0; c < kScreening; ++c) total += h.by_form[form][c];
  const double report = h.self_report * self_report_propensity(model, state, i, h.self_report_region);
  const double arrest = f == Form::ForcedCriminality ? h.arrest : 0.0;
  const double met_probability = step_probability(total + report + arrest, model.step_years);
  assert(met_probability <= h.met_bound[form]);
  if (!(met < met_probability)) return kNotIdentified;
  const double pick = stream.uniform(identify_draw::kChannel) * (total + report + arrest);
  if (pick < total) {
    const auto channel = static_cast<Channel>(pick_weighted(h.by_form[form], kScreening, pick / total));
    return screened(stream, channel, screen.sensitivity[static_cast<std::size_t>(channel)]);
  }
  if (pick < total + report)
    return screened(stream, Channel::SelfReport, self_report_recognition(model.scenario.globals, f));
  return static_cast<std::uint8_t>(screened(stream, Channel::Police, h.arrest_screening) | kArrested);
}

// The least yearly hazard of being met that the identification pass
// selects the involved persons with (involved.hpp): above every hazard of
// the calibrated worlds, so that policies that differ in their channels'
// effort select the same persons.
constexpr double kMeetingFloorPerYear = 0.25;

// Who is met, in parallel: one decision per involved person, drawn only for
// those a sampled pass selects with a probability no person's exceeds.
void decide_identifications(const Model& model, const State& state, const Screening& screen,
                            const HazardTable& hazards, std::vector<std::uint8_t>& decision) {
  const auto& p = state.persons;
  fill_buffer(decision, state.involved.size(), kNotIdentified);
  double p_max = 0;
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    p_max = std::max(p_max, hazards[r].border_per_step);
    for (const double bound : hazards[r].met_bound) p_max = std::max(p_max, bound);
  }
  const double selection = selection_probability(p_max, kMeetingFloorPerYear, model.step_years);
  for_each_involved_sampled(model, state, Phase::Identification, 0, selection, [&](std::size_t k) {
    const std::uint32_t i = state.involved[k];
    const auto person_state = static_cast<PersonState>(p.state[i]);
    const RegionHazards& h = hazards[p.current_region[i]];
    if (person_state == PersonState::Recruited) {
      decision[k] = border_decision(model, state, screen, i, h, selection);
    } else if (person_state == PersonState::Exploited) {
      decision[k] = exploited_decision(model, state, screen, i, h, selection);
    }
  });
}

// A victim of forced criminality arrested as an offender: the police
// record the arrest; the screening recognised them (identified) or not
// (punished as an offender, with no evidence against anyone).
void handle_arrest(const Model& model, State& state, StepContext& ctx, std::uint32_t i, bool recognised,
                   Stream& stream) {
  const std::size_t region = state.persons.current_region[i];
  record_other_cases(ctx, region, Record::Offence);
  ctx.metric(Metric::victims_in_other_cases, region, static_cast<std::size_t>(Record::Offence)) += 1;
  record_person_event(model, state, ctx, EventKind::Arrest, i, static_cast<std::int8_t>(Channel::Police));
  if (recognised) {
    handle_identified(model, state, ctx, i, Channel::Police, stream, identify_draw::kHandleIdentified);
    return;
  }
  ctx.metric(Metric::victims_unrecognised, region, static_cast<std::size_t>(Channel::Police)) += 1;
  record_person_event(model, state, ctx, EventKind::Unrecognised, i,
                      static_cast<std::int8_t>(Channel::Police));
  punish(model, state, ctx, i, Channel::Police, kNoTrafficker);
}

// What follows the decisions, in id order: shelter places are shared.
void handle_identifications(const Model& model, State& state, StepContext& ctx) {
  const auto& decision = ctx.scratch.decision;
  for (std::size_t k = 0; k < state.involved.size(); ++k) {
    if (decision[k] == kNotIdentified) continue;
    const std::uint32_t i = state.involved[k];
    const auto channel = static_cast<Channel>(decision[k] & kChannelBits);
    const bool recognised = !(decision[k] & kUnrecognised);
    Stream stream = person_stream(model, state, Phase::Identification, i);
    if (decision[k] & kArrested)
      handle_arrest(model, state, ctx, i, recognised, stream);
    else if (recognised)
      handle_identified(model, state, ctx, i, channel, stream, identify_draw::kHandleIdentified);
    else
      record_unrecognised(model, state, ctx, i, channel, stream, identify_draw::kOtherRecord);
  }
}

// What an agency records a person of an adjacent situation as, when it
// does not take them for a victim, if anything.
std::optional<Record> other_record(Adjacent group, Channel channel) {
  const bool migrant = group == Adjacent::IrregularMigrant || group == Adjacent::Smuggled;
  switch (channel) {
    case Channel::Police:
      if (migrant) return Record::IrregularMigration;
      if (group == Adjacent::CommercialSex) return Record::Offence;
      return std::nullopt;
    case Channel::LabourInspection:
      if (migrant) return Record::IrregularMigration;
      if (group == Adjacent::LabourViolation) return Record::LabourDispute;
      return std::nullopt;
    case Channel::BorderScreening:
      if (group == Adjacent::Smuggled) return Record::IrregularMigration;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

double female_share(const ParamValues& g, Adjacent group) {
  switch (group) {
    case Adjacent::LabourViolation:
      return g[Param::adjacent_female_share_labour_violations];
    case Adjacent::CommercialSex:
      return g[Param::adjacent_female_share_commercial_sex];
    case Adjacent::IrregularMigrant:
      return g[Param::adjacent_female_share_irregular_migrants];
    case Adjacent::Smuggled:
      return g[Param::adjacent_female_share_smuggled];
  }
  return 0;
}

// People of one adjacent situation whom one channel took for victims this
// step: recorded as victims of the form the situation resembles; punished
// where non-punishment is off (as identified victims of other forms are),
// else given a shelter place if one is free.
void handle_false_positives(const Model& model, State& state, StepContext& ctx, std::size_t region,
                            Adjacent group, Channel channel, std::uint64_t count, Stream& stream,
                            std::uint32_t& next_draw) {
  const ParamValues& g = model.scenario.globals;
  const ParamValues& lv = levers(state, region);
  RegionState& rs = state.regions[region];
  const bool foreign = group == Adjacent::IrregularMigrant || group == Adjacent::Smuggled;
  ctx.metric(Metric::false_identifications, region, static_cast<std::size_t>(channel)) +=
      static_cast<double>(count);
  // Each points investigators at someone who is not a trafficker.
  rs.suspects[case_type_of(look_alike_form(group))] +=
      static_cast<double>(count) * g[Param::prosecution_suspects_per_false_identification];
  for (std::uint64_t k = 0; k < count; ++k, next_draw += 2) {
    record_identified(ctx, VictimRecord{.region = region,
                                        .channel = channel,
                                        .form = look_alike_form(group),
                                        .female = stream.bernoulli(next_draw, female_share(g, group)),
                                        .child = false,
                                        .foreign = foreign,
                                        .assisted_before = false,
                                        .criminal_record = false});
    if (lv[Param::policy_protection_non_punishment] == 0.0 &&
        stream.bernoulli(next_draw + 1, g[Param::protection_criminalise_others_share])) {
      record_identified_punished(ctx, region);
    } else if (shelter_place_free(rs)) {
      record_protection_entry(ctx, region);
      ++rs.non_victims_sheltered;
    } else {
      record_turned_away(ctx, region);
    }
  }
}

// The people of the adjacent situations whom each channel met this step:
// some taken for victims (one minus the specificity), the rest recorded as
// what they are where the channel records anything. Counts are Poisson:
// the groups are large and the hazards small. Residents are met at the
// hazard of the victims they resemble times adjacent.visibility_factor.
void screen_adjacent(const Model& model, State& state, StepContext& ctx, const Screening& screen,
                     const HazardTable& hazards) {
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    const RegionHazards& h = hazards[r];
    Stream stream = region_stream(model, state, Phase::Identification, static_cast<std::uint32_t>(r));
    std::uint32_t next_draw = adjacent_draw::kPerPerson;
    const double visibility = model.scenario.get(Param::adjacent_visibility_factor);
    for (std::size_t gi = 0; gi < kAdjacentGroups; ++gi) {
      const auto group = static_cast<Adjacent>(gi);
      const double people = adjacent_persons(model, state, r, group);
      if (!(people > 0)) continue;
      const auto form = static_cast<std::size_t>(look_alike_form(group));
      for (std::size_t c = 0; c <= kBorder; ++c) {
        // Smuggled people are met at the border only, in transit; residents
        // where the channels work.
        const bool at_border = c == kBorder;
        if (at_border != (group == Adjacent::Smuggled)) continue;
        // Residents are met more often than the hidden victims they resemble;
        // at the border everyone crossing is examined alike.
        const double met =
            people * (at_border ? h.border_per_step
                                : step_probability(h.by_form[form][c] * visibility, model.step_years));
        if (!(met > 0)) continue;
        const auto channel = static_cast<Channel>(c);
        const std::uint32_t slot = 2 * static_cast<std::uint32_t>(gi * kChannels + c);
        const std::uint64_t taken =
            stream.poisson(adjacent_draw::kTakenForVictims + slot, met * (1.0 - screen.specificity[c]));
        handle_false_positives(model, state, ctx, r, group, channel, taken, stream, next_draw);
        const std::optional<Record> record = other_record(group, channel);
        if (!record) continue;
        double share = 1.0;
        if (group == Adjacent::CommercialSex)
          share = levers(state, r)[Param::adjacent_selling_sex_arrest_share];
        const std::uint64_t recorded =
            stream.poisson(adjacent_draw::kRecordedOtherwise + slot, met * screen.specificity[c] * share);
        record_other_cases(ctx, r, *record, static_cast<double>(recorded));
      }
    }
  }
}

}  // namespace

double adjacent_persons(const Model& model, const State& state, std::size_t region, Adjacent group) {
  const ParamValues& lv = levers(state, region);
  const double per_100k = model.regions[region].population / 1e5;
  switch (group) {
    case Adjacent::LabourViolation:
      return lv[Param::adjacent_labour_violations_per_100k] * per_100k;
    case Adjacent::CommercialSex:
      return lv[Param::adjacent_commercial_sex_per_100k] * per_100k;
    case Adjacent::IrregularMigrant:
      return lv[Param::adjacent_irregular_migrants_per_100k] * per_100k;
    case Adjacent::Smuggled:
      // In transit at any moment: the yearly flow times the time a crossing takes.
      return lv[Param::adjacent_smuggled_per_100k_per_year] * per_100k *
             model.scenario.get(Param::movement_transit_days) / 365.0;
  }
  return 0;
}

void run_identification(const Model& model, State& state, StepContext& ctx) {
  HazardTable hazards;
  for (std::size_t r = 0; r < state.regions.size(); ++r) hazards[r] = region_hazards(model, state, r);
  const Screening screen = screening(model.scenario.globals);
  decide_identifications(model, state, screen, hazards, ctx.scratch.decision);
  handle_identifications(model, state, ctx);
  screen_adjacent(model, state, ctx, screen, hazards);
}

}  // namespace tipsim
