// Phase 7: identification. Each exploited person faces a hazard summed over
// the channels active where they are exploited; each channel has
// diminishing returns in its effort, partnership multiplies and corruption
// divides them. Victims may come forward themselves, and be recognised as
// victims or not. People in transit face border screening. Victims of
// forced criminality may be arrested as offenders. What follows identification
// (punishment, a shelter place, cooperation) is person_ops'
// handle_identified, applied in id order because shelter places are shared.
#include <tbb/parallel_for.h>

#include <array>
#include <cmath>

#include "events.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// Draws of a person's identification stream, one index each. A person in
// transit uses kBorder, an exploited person kIdentified and kChannel: the
// two never meet in one step.
namespace person_draw {
constexpr std::uint32_t kBorder = 0;
constexpr std::uint32_t kIdentified = 0;
constexpr std::uint32_t kChannel = 1;
constexpr std::uint32_t kHandleIdentified = 2;  // and 3: handle_identified
constexpr std::uint32_t kRecognised = 4;        // a self-report is recognised as trafficking
}  // namespace person_draw

constexpr std::uint8_t kNotIdentified = 0xFF;
constexpr std::uint8_t kArrested = 0x80;            // or-ed with the channel
constexpr std::uint8_t kUnrecognisedReport = 0x40;  // came forward, recorded as something else

// Hazards per year by channel for a person of each form exploited in a
// region, plus the arrest hazard for forced criminality.
struct RegionHazards {
  double by_form[kForms][kChannels];
  double arrest;
  double self_report;  // hazard of coming forward at full propensity
  SelfReportRegion self_report_region;
  double border_per_step;  // probability in a step in transit to here
};

RegionHazards region_hazards(const Model& model, const State& state, std::size_t region) {
  const ParamValues& g = model.scenario.globals;
  const ParamValues& lv = levers(state, region);
  const double multiplier =
      (1.0 + g[Param::identification_partnership_boost] * lv[Param::policy_partnership_level]) *
      (1.0 - lv[Param::institutions_corruption]);
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
  h.self_report = g[Param::identification_self_report_rate_per_year];
  h.self_report_region = self_report_region(model, lv);
  h.border_per_step =
      step_probability(lv[Param::policy_protection_border_screening] *
                           g[Param::identification_border_detection_rate_per_year] * multiplier,
                       model.step_years);
  return h;
}

// Regions are at most 256 (uint8 indices): a fixed table keeps the step
// free of allocations.
using HazardTable = std::array<RegionHazards, 256>;

// Whether a person in transit is found at the border of where they arrive.
std::uint8_t border_decision(const Model& model, const State& state, std::uint32_t i,
                             const RegionHazards& h) {
  if (state.persons.current_region[i] == state.persons.home_region[i]) return kNotIdentified;
  Stream stream = person_stream(model, state, Phase::Identification, i);
  if (stream.bernoulli(person_draw::kBorder, h.border_per_step))
    return static_cast<std::uint8_t>(Channel::BorderScreening);
  return kNotIdentified;
}

// Whether an exploited person is identified, and by which channel, or comes
// forward (recognised as a victim or not); victims of forced criminality
// may be arrested instead (Police | kArrested).
std::uint8_t exploited_decision(const Model& model, const State& state, std::uint32_t i,
                                const RegionHazards& h) {
  const Form f = person_form(state, i);
  const auto form = static_cast<std::size_t>(f);
  double total = 0;
  for (std::size_t c = 0; c < kChannels; ++c) total += h.by_form[form][c];
  const double report = h.self_report * self_report_propensity(model, state, i, h.self_report_region);
  const double arrest = f == Form::ForcedCriminality ? h.arrest : 0.0;
  Stream stream = person_stream(model, state, Phase::Identification, i);
  if (!(stream.uniform(person_draw::kIdentified) <
        step_probability(total + report + arrest, model.step_years)))
    return kNotIdentified;
  const double pick = stream.uniform(person_draw::kChannel) * (total + report + arrest);
  if (pick < total) return static_cast<std::uint8_t>(pick_weighted(h.by_form[form], kChannels, pick / total));
  if (pick < total + report)
    return stream.bernoulli(person_draw::kRecognised, self_report_recognition(model.scenario.globals, f))
               ? static_cast<std::uint8_t>(Channel::SelfReport)
               : kUnrecognisedReport;
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(Channel::Police) | kArrested);
}

// Who is identified, in parallel: one decision per involved person.
void decide_identifications(const Model& model, const State& state, const HazardTable& hazards,
                            std::vector<std::uint8_t>& decision) {
  const auto& p = state.persons;
  decision.assign(state.involved.size(), kNotIdentified);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, state.involved.size(), 4096), [&](const auto& range) {
    for (std::size_t k = range.begin(); k != range.end(); ++k) {
      const std::uint32_t i = state.involved[k];
      const auto person_state = static_cast<PersonState>(p.state[i]);
      const RegionHazards& h = hazards[p.current_region[i]];
      if (person_state == PersonState::Recruited) {
        decision[k] = border_decision(model, state, i, h);
      } else if (person_state == PersonState::Exploited) {
        decision[k] = exploited_decision(model, state, i, h);
      }
    }
  });
}

// What follows identification, in id order: shelter places are shared.
void handle_identifications(const Model& model, State& state, StepContext& ctx) {
  const auto& decision = ctx.scratch.decision;
  for (std::size_t k = 0; k < state.involved.size(); ++k) {
    if (decision[k] == kNotIdentified) continue;
    const std::uint32_t i = state.involved[k];
    if (decision[k] == kUnrecognisedReport) {
      ctx.metric(Metric::self_reports_unrecognised, state.persons.current_region[i]) += 1;
      continue;
    }
    Stream stream = person_stream(model, state, Phase::Identification, i);
    if (decision[k] & kArrested) {
      ctx.metric(Metric::victims_arrested, state.persons.current_region[i]) += 1;
      record_person_event(model, state, ctx, EventKind::Arrest, i, static_cast<std::int8_t>(Channel::Police));
    }
    handle_identified(model, state, ctx, i, static_cast<Channel>(decision[k] & ~kArrested), stream,
                      person_draw::kHandleIdentified);
  }
}

}  // namespace

void run_identification(const Model& model, State& state, StepContext& ctx) {
  HazardTable hazards;
  for (std::size_t r = 0; r < state.regions.size(); ++r) hazards[r] = region_hazards(model, state, r);
  decide_identifications(model, state, hazards, ctx.scratch.decision);
  handle_identifications(model, state, ctx);
}

}  // namespace tipsim
