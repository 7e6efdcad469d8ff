#include "metrics.hpp"

#include <algorithm>
#include <numeric>

#include "state.hpp"

namespace tipsim {

namespace {

constexpr std::array<MetricSpec, kMetricCount> kMetrics = {{
#define TIPSIM_METRIC(id, name, layer, axis, nature, type, basis, units, long_name) \
  MetricSpec{Metric::id, name,      Axis::axis,   Nature::nature, ValueType::type,  \
             units,      long_name, Layer::layer, Basis::basis},
#include "metrics.def"
#undef TIPSIM_METRIC
}};

}  // namespace

std::span<const std::string_view> axis_labels(Axis axis) {
  switch (axis) {
    case Axis::None:
      return {};
    case Axis::State:
      return kPersonStateLabels;
    case Axis::Form:
      return kFormLabels;
    case Axis::Market:
      return kMarketLabels;
    case Axis::Method:
      return kMethodLabels;
    case Axis::Channel:
      return kChannelLabels;
    case Axis::CaseType:
      return kCaseTypeLabels;
    case Axis::Pillar:
      return kPillarLabels;
    case Axis::Adjacent:
      return kAdjacentLabels;
    case Axis::Record:
      return kRecordLabels;
    case Axis::Exit:
      return kExitRouteLabels;
    case Axis::Pathway:
      return kPathwayLabels;
    case Axis::Followup:
      return kFollowupLabels;
  }
  return {};
}

std::string_view axis_name(Axis axis) {
  switch (axis) {
    case Axis::None:
      return "";
    case Axis::State:
      return "state";
    case Axis::Form:
      return "form";
    case Axis::Market:
      return "market";
    case Axis::Method:
      return "method";
    case Axis::Channel:
      return "channel";
    case Axis::CaseType:
      return "case_type";
    case Axis::Pillar:
      return "pillar";
    case Axis::Adjacent:
      return "situation";
    case Axis::Record:
      return "record";
    case Axis::Exit:
      return "exit";
    case Axis::Pathway:
      return "pathway";
    case Axis::Followup:
      return "followup";
  }
  return "";
}

std::string_view layer_label(Layer layer) {
  switch (layer) {
    case Layer::True:
      return "true";
    case Layer::Observed:
      return "observed";
    case Layer::Policy:
      return "policy";
  }
  return "true";
}

std::string_view basis_label(Basis basis) {
  switch (basis) {
    case Basis::Agents:
      return "agents";
    case Basis::People:
      return "people";
    case Basis::Usd:
      return "USD";
    case Basis::Invariant:
      return "none";
  }
  return "none";
}

const std::array<MetricSpec, kMetricCount>& metric_table() { return kMetrics; }

FrameLayout::FrameLayout(std::size_t regions) : regions_(regions) {
  for (const MetricSpec& m : kMetrics) {
    offset_[static_cast<std::size_t>(m.id)] = size_;
    categories_[static_cast<std::size_t>(m.id)] = axis_size(m.axis);
    size_ += regions_ * axis_size(m.axis);
  }
}

double Series::total(std::size_t step, Metric m) const {
  const auto f = frame(step);
  const std::size_t begin = layout_.offset(m);
  return std::accumulate(f.begin() + begin, f.begin() + begin + layout_.width(m), 0.0);
}

double Series::total(std::size_t step, Metric m, std::size_t category) const {
  double sum = 0;
  for (std::size_t r = 0; r < layout_.regions(); ++r) sum += at(step, m, r, category);
  return sum;
}

void to_real_units(const FrameLayout& layout, std::span<double> frame, double population_scale) {
  for (const MetricSpec& m : kMetrics) {
    if (m.basis != Basis::Agents) continue;
    const auto begin = frame.begin() + static_cast<std::ptrdiff_t>(layout.offset(m.id));
    std::for_each(begin, begin + static_cast<std::ptrdiff_t>(layout.width(m.id)),
                  [&](double& v) { v *= population_scale; });
  }
}

void Series::extract(Metric m, std::vector<double>& out) const {
  const std::size_t width = layout_.width(m);
  out.resize(steps_ * width);
  for (std::size_t s = 0; s < steps_; ++s) {
    const auto f = frame(s);
    std::copy_n(f.begin() + layout_.offset(m), width, out.begin() + s * width);
  }
}

namespace {

constexpr SummarySpec kSummaries[] = {
    {"exploited_mean", "persons", "mean number of persons in exploitation", Layer::True, Basis::People},
    {"prevalence_per_1000", "per 1000 population", "mean persons in exploitation per 1000 population",
     Layer::True, Basis::Invariant},
    {"sexual_share_of_exploited", "1", "share of exploited persons in commercial sexual exploitation",
     Layer::True, Basis::Invariant},
    {"debt_bonded_share_of_labour", "1",
     "share of persons in forced labour and domestic servitude held by debt", Layer::True, Basis::Invariant},
    {"victim_years", "person-years", "person-years spent in exploitation", Layer::True, Basis::People},
    {"recruitments", "persons", "recruitments", Layer::True, Basis::People},
    {"recruitments_retrafficked", "persons", "recruitments of people trafficked before", Layer::True,
     Basis::People},
    {"trafficker_profit", "USD", "total trafficker profit", Layer::True, Basis::Usd},
    {"profit_per_victim_year", "USD per victim-year", "trafficker profit per person-year of exploitation",
     Layer::True, Basis::Invariant},
    {"profit_ratio_sexual_to_labour", "1", "profit per victim-year, sexual over forced labour", Layer::True,
     Basis::Invariant},
    {"traffickers_active_final", "traffickers", "active traffickers at the last step", Layer::True,
     Basis::People},
    {"exploited_final", "persons", "persons in exploitation at the last step", Layer::True, Basis::People},
    {"identified", "persons", "victims identified", Layer::Observed, Basis::People},
    {"identification_rate", "per year", "victims identified per year over mean persons in exploitation",
     Layer::Observed, Basis::Invariant},
    {"labour_share_identified", "1", "share of identified victims in forced labour or domestic servitude",
     Layer::Observed, Basis::Invariant},
    {"female_share_identified", "1", "share of identified victims who are women or girls", Layer::Observed,
     Basis::Invariant},
    {"child_share_identified", "1", "share of identified victims who are children", Layer::Observed,
     Basis::Invariant},
    {"forced_criminality_share_identified", "1", "share of identified victims in forced criminality",
     Layer::Observed, Basis::Invariant},
    {"abroad_share_identified", "1",
     "share of the people identified as victims who were found outside their home region", Layer::Observed,
     Basis::Invariant},
    {"law_enforcement_share_identified", "1",
     "share of the people identified as victims whom law enforcement found (POLICE, BORDER_SCREENING, "
     "INVESTIGATION)",
     Layer::Observed, Basis::Invariant},
    {"self_report_share_identified", "1",
     "share of identified victims who came forward themselves (SELF_REPORT)", Layer::Observed,
     Basis::Invariant},
    {"false_share_identified", "1",
     "share of the people identified as victims who were not victims (from adjacent situations)", Layer::True,
     Basis::Invariant},
    {"victim_identification_rate", "per year",
     "victims truly identified per year over mean persons in exploitation (false positives left out)",
     Layer::True, Basis::Invariant},
    {"arrests_for_offences", "persons", "arrests for offences that agencies recorded (OFFENCE records)",
     Layer::Observed, Basis::People},
    {"victim_share_of_arrests", "1", "share of the arrests for offences that were of victims of trafficking",
     Layer::True, Basis::Invariant},
    {"protection_entries", "persons", "identified victims admitted to protection", Layer::Observed,
     Basis::People},
    {"protection_turned_away", "persons", "identified victims turned away for lack of a place",
     Layer::Observed, Basis::People},
    {"investigations", "cases", "suspects investigated", Layer::Observed, Basis::People},
    {"prosecutions", "cases", "suspects charged (prosecutions)", Layer::Observed, Basis::People},
    {"convictions", "cases", "defendants convicted", Layer::Observed, Basis::People},
    {"acquittals", "cases", "defendants acquitted", Layer::Observed, Basis::People},
    {"court_backlog_final", "cases", "charged cases waiting for a verdict at the last step", Layer::Observed,
     Basis::People},
    {"years_to_verdict", "years", "mean years from charge to verdict of the cases decided", Layer::Observed,
     Basis::Invariant},
    {"conviction_per_prosecution", "1", "convictions over prosecutions", Layer::Observed, Basis::Invariant},
    {"conviction_per_identified", "1", "convictions over victims identified", Layer::Observed,
     Basis::Invariant},
    {"labour_share_prosecutions", "1", "share of prosecutions for labour trafficking", Layer::Observed,
     Basis::Invariant},
    {"wrongful_convictions", "persons", "convictions of people who were not traffickers", Layer::True,
     Basis::People},
    {"bribes_paid", "USD", "bribes traffickers paid to have cases dropped or to buy acquittals", Layer::True,
     Basis::Usd},
    {"exits_from_trafficking", "persons",
     "people whose trafficking ended (escaped, released, protected, turned "
     "away, punished)",
     Layer::True, Basis::People},
    {"victims_punished", "persons", "victims punished as offenders", Layer::True, Basis::People},
    {"survivor_years_recovering", "person-years", "person-years survivors spent back home not recovered",
     Layer::True, Basis::People},
    {"retrafficked_share_at_followup", "1",
     "share of the survivors reviewed survivors.followup_years after their exit who were trafficked again",
     Layer::True, Basis::Invariant},
    {"retrafficked_share_protected", "1", "the same, of the survivors whose trafficking ended in protection",
     Layer::True, Basis::Invariant},
    {"retrafficked_share_unprotected", "1",
     "the same, of the survivors whose trafficking ended otherwise (escaped, released, turned away, "
     "punished)",
     Layer::True, Basis::Invariant},
    {"recovered_share_at_followup", "1", "share of the survivors reviewed who had recovered", Layer::True,
     Basis::Invariant},
    {"harm_qalys", "QALY",
     "quality-adjusted life years lost: in exploitation (by form), by survivors not recovered, by victims "
     "punished (harm.*)",
     Layer::True, Basis::People},
    {"harm_usd", "USD", "the harm-weighted outcome: harm_qalys valued at harm.usd_per_qaly", Layer::True,
     Basis::Usd},
    {"identified_previously_assisted_share", "1",
     "share of the people identified as victims whom services had assisted before", Layer::Observed,
     Basis::Invariant},
    {"spending_prosecution", "USD", "spending on prosecution", Layer::Policy, Basis::Usd},
    {"spending_protection", "USD", "spending on protection", Layer::Policy, Basis::Usd},
    {"spending_prevention", "USD", "spending on prevention", Layer::Policy, Basis::Usd},
    {"spending_partnership", "USD", "spending on partnership", Layer::Policy, Basis::Usd},
    {"spending_total", "USD", "total anti-trafficking spending", Layer::Policy, Basis::Usd},
};

double ratio(double numerator, double denominator) { return denominator > 0 ? numerator / denominator : 0.0; }

}  // namespace

std::span<const SummarySpec> summary_table() { return kSummaries; }

HarmWeights harm_weights(const Scenario& scenario) {
  HarmWeights w;
  w.usd_per_qaly = scenario.get(Param::harm_usd_per_qaly);
  w.qaly_loss_per_year_by_form = {scenario.get(Param::harm_qaly_loss_sexual_per_year),
                                  scenario.get(Param::harm_qaly_loss_labour_per_year),
                                  scenario.get(Param::harm_qaly_loss_domestic_per_year),
                                  scenario.get(Param::harm_qaly_loss_criminality_per_year)};
  w.qaly_loss_recovering_per_year = scenario.get(Param::harm_qaly_loss_recovering_per_year);
  w.qaly_loss_punishment = scenario.get(Param::harm_qaly_loss_punishment);
  return w;
}

std::vector<double> summarize(const Series& series, const Scenario& scenario) {
  return summarize(series, static_cast<std::size_t>(scenario.get_int(Param::scenario_burn_in_steps)),
                   scenario.step_years(), scenario.get(Param::population_scale), harm_weights(scenario));
}

std::vector<double> summarize(const Series& series, std::size_t burn_in_steps, double step_years,
                              double population_scale, const HarmWeights& harm) {
  const std::size_t steps = series.steps();
  const std::size_t first = std::min(burn_in_steps, steps > 0 ? steps - 1 : 0);
  const double measured = static_cast<double>(steps - first);
  const double years = measured * step_years;
  auto flow = [&](Metric m) {
    double sum = 0;
    for (std::size_t s = first; s < steps; ++s) sum += series.total(s, m);
    return sum;
  };
  auto flow_cat = [&](Metric m, std::size_t c) {
    double sum = 0;
    for (std::size_t s = first; s < steps; ++s) sum += series.total(s, m, c);
    return sum;
  };
  auto stock_mean_cat = [&](Metric m, std::size_t c) {
    return measured > 0 ? flow_cat(m, c) / measured : 0.0;
  };
  const std::size_t last = steps - 1;
  constexpr std::size_t kExploited = 2, kSexual = 0, kLabour = 1, kDomestic = 2, kCriminality = 3;
  constexpr auto kOffence = static_cast<std::size_t>(Record::Offence);

  double population = 0;
  for (std::size_t c = 0; c < axis_size(Axis::State); ++c)
    population += series.total(0, Metric::persons_by_state, c);
  const double exploited_mean = stock_mean_cat(Metric::persons_by_state, kExploited);
  const double sexual_mean = stock_mean_cat(Metric::exploited_by_form, kSexual);
  const double labour_domestic_mean = stock_mean_cat(Metric::exploited_by_form, kLabour) +
                                      stock_mean_cat(Metric::exploited_by_form, kDomestic);
  const double victim_steps = flow(Metric::victim_steps);
  const double identified = flow(Metric::identified_by_form);
  const double false_identified = flow(Metric::false_identifications);
  const double arrests = flow_cat(Metric::other_cases, kOffence);
  const double prosecutions = flow(Metric::prosecutions);
  const double convictions = flow(Metric::convictions);
  const double acquittals = flow(Metric::acquittals);
  const double profit = flow(Metric::trafficker_profit);
  const double profit_sexual = flow_cat(Metric::trafficker_profit, kSexual);
  const double profit_labour = flow_cat(Metric::trafficker_profit, kLabour);
  const double steps_sexual = flow_cat(Metric::victim_steps, kSexual);
  const double steps_labour = flow_cat(Metric::victim_steps, kLabour);
  // Survivors reviewed: by route, and the re-trafficked among them.
  double reviewed = 0, retrafficked = 0, recovered = 0, reviewed_protected = 0, retrafficked_protected = 0;
  for (std::size_t route = 0; route < kExitRoutes; ++route)
    for (std::size_t outcome = 0; outcome < kSurvivorOutcomes; ++outcome) {
      const double n = flow_cat(Metric::survivor_pathways, route * kSurvivorOutcomes + outcome);
      const bool again = outcome == static_cast<std::size_t>(SurvivorOutcome::Retrafficked);
      reviewed += n;
      retrafficked += again ? n : 0.0;
      recovered += outcome == static_cast<std::size_t>(SurvivorOutcome::Recovered) ? n : 0.0;
      if (route != static_cast<std::size_t>(ExitRoute::Protected)) continue;
      reviewed_protected += n;
      retrafficked_protected += again ? n : 0.0;
    }
  const double survivor_years = flow(Metric::survivors_recovering) * step_years;
  const double punished = flow(Metric::victims_punished);
  double harm_qalys =
      harm.qaly_loss_recovering_per_year * survivor_years + harm.qaly_loss_punishment * punished;
  for (std::size_t f = 0; f < kForms; ++f)
    harm_qalys += harm.qaly_loss_per_year_by_form[f] * flow_cat(Metric::victim_steps, f) * step_years;
  std::vector<double> spending(4);
  for (std::size_t p = 0; p < 4; ++p) spending[p] = flow_cat(Metric::spending, p);

  std::vector<double> figures = {
      exploited_mean,
      ratio(exploited_mean, population) * 1000.0,
      ratio(sexual_mean, exploited_mean),
      ratio(stock_mean_cat(Metric::exploited_debt_bonded, kLabour) +
                stock_mean_cat(Metric::exploited_debt_bonded, kDomestic),
            labour_domestic_mean),
      victim_steps * step_years,
      flow(Metric::recruitments_by_method),
      flow(Metric::recruitments_retrafficked),
      profit,
      ratio(profit, victim_steps * step_years * population_scale),
      ratio(ratio(profit_sexual, steps_sexual), ratio(profit_labour, steps_labour)),
      series.total(last, Metric::traffickers_active),
      series.total(last, Metric::persons_by_state, kExploited),
      identified,
      ratio(ratio(identified, years), exploited_mean),
      ratio(flow_cat(Metric::identified_by_form, kLabour) + flow_cat(Metric::identified_by_form, kDomestic),
            identified),
      ratio(flow(Metric::identified_female), identified),
      ratio(flow(Metric::identified_children), identified),
      ratio(flow_cat(Metric::identified_by_form, kCriminality), identified),
      ratio(flow(Metric::identified_abroad), identified),
      ratio(
          flow_cat(Metric::identifications_by_channel, static_cast<std::size_t>(Channel::Police)) +
              flow_cat(Metric::identifications_by_channel,
                       static_cast<std::size_t>(Channel::BorderScreening)) +
              flow_cat(Metric::identifications_by_channel, static_cast<std::size_t>(Channel::Investigation)),
          identified),
      ratio(flow_cat(Metric::identifications_by_channel, static_cast<std::size_t>(Channel::SelfReport)),
            identified),
      ratio(false_identified, identified),
      ratio(ratio(identified - false_identified, years), exploited_mean),
      arrests,
      ratio(flow_cat(Metric::victims_in_other_cases, kOffence), arrests),
      flow(Metric::protection_entries),
      flow(Metric::protection_turned_away),
      flow(Metric::investigations),
      prosecutions,
      convictions,
      acquittals,
      series.total(last, Metric::court_backlog),
      ratio(flow(Metric::case_years_to_verdict), convictions + acquittals),
      ratio(convictions, prosecutions),
      ratio(convictions, identified),
      ratio(flow_cat(Metric::prosecutions, 1), prosecutions),
      flow(Metric::wrongful_convictions),
      flow(Metric::bribes_paid),
      flow(Metric::exits_from_trafficking),
      punished,
      survivor_years,
      ratio(retrafficked, reviewed),
      ratio(retrafficked_protected, reviewed_protected),
      ratio(retrafficked - retrafficked_protected, reviewed - reviewed_protected),
      ratio(recovered, reviewed),
      harm_qalys,
      harm_qalys * population_scale * harm.usd_per_qaly,
      ratio(flow(Metric::identified_previously_assisted), identified),
      spending[0],
      spending[1],
      spending[2],
      spending[3],
      spending[0] + spending[1] + spending[2] + spending[3],
  };
  // Counts of agents become counts of real people; money is real already.
  for (std::size_t i = 0; i < figures.size(); ++i)
    if (kSummaries[i].basis == Basis::People) figures[i] *= population_scale;
  return figures;
}

}  // namespace tipsim
