// The metric table (metrics.cpp, metrics.def): the frame layout, the
// layers, the Series accessors and the per-run summaries, checked against
// values computed by hand from docs/output-format.md ("totals are sums over
// the steps after burn_in_steps, means are means over them, final figures
// are the last step, a ratio whose denominator is zero is 0").
#include "metrics.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "state.hpp"

namespace tipsim {
namespace {

TEST(MetricTable, IdsFollowTheDeclarationOrderAndNamesAreUnique) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    const MetricSpec& m = metric_table()[i];
    EXPECT_EQ(static_cast<std::size_t>(m.id), i) << m.name;
    EXPECT_TRUE(names.insert(m.name).second) << "duplicate " << m.name;
    EXPECT_FALSE(m.units.empty()) << m.name;
    EXPECT_FALSE(m.long_name.empty()) << m.name;
  }
}

TEST(MetricTable, AxesHaveOneLabelPerCategoryOfTheModel) {
  EXPECT_EQ(axis_size(Axis::None), 1u);
  EXPECT_EQ(axis_size(Axis::State), kPersonStates);
  EXPECT_EQ(axis_size(Axis::Form), kForms);
  EXPECT_EQ(axis_size(Axis::Market), kMarkets);
  EXPECT_EQ(axis_size(Axis::Method), kMethods);
  EXPECT_EQ(axis_size(Axis::Channel), kChannels);
  EXPECT_EQ(axis_size(Axis::CaseType), 2u);
  EXPECT_EQ(axis_size(Axis::Pillar), kPillars);
  EXPECT_EQ(axis_size(Axis::Adjacent), kAdjacentGroups);
  EXPECT_EQ(axis_size(Axis::Record), kRecords);
  // The label order is the enums' order.
  EXPECT_EQ(axis_labels(Axis::State)[static_cast<std::size_t>(PersonState::Exploited)], "EXPLOITED");
  EXPECT_EQ(axis_labels(Axis::Market)[static_cast<std::size_t>(Market::DomesticServitude)],
            "DOMESTIC_SERVITUDE");
  EXPECT_EQ(axis_labels(Axis::Channel)[static_cast<std::size_t>(Channel::Investigation)], "INVESTIGATION");
  EXPECT_EQ(axis_labels(Axis::Method)[static_cast<std::size_t>(Method::DebtBased)], "DEBT_BASED");
  EXPECT_EQ(axis_name(Axis::CaseType), "case_type");
  EXPECT_EQ(axis_name(Axis::None), "");
}

TEST(FrameLayout, MetricsTileTheFrameWithoutGapOrOverlap) {
  for (const std::size_t regions : {1u, 3u}) {
    SCOPED_TRACE(regions);
    const FrameLayout layout(regions);
    EXPECT_EQ(layout.regions(), regions);
    std::size_t expected_offset = 0;
    std::vector<int> hits(layout.size(), 0);
    for (const MetricSpec& m : metric_table()) {
      SCOPED_TRACE(m.name);
      EXPECT_EQ(layout.offset(m.id), expected_offset);
      EXPECT_EQ(layout.width(m.id), regions * axis_size(m.axis));
      expected_offset += layout.width(m.id);
      // Region-major: region r's categories are contiguous.
      for (std::size_t r = 0; r < regions; ++r)
        for (std::size_t c = 0; c < axis_size(m.axis); ++c) {
          const std::size_t at = layout.index(m.id, r, c);
          ASSERT_LT(at, layout.size());
          EXPECT_EQ(at, layout.offset(m.id) + r * axis_size(m.axis) + c);
          ++hits[at];
        }
    }
    EXPECT_EQ(expected_offset, layout.size());
    for (std::size_t k = 0; k < hits.size(); ++k) EXPECT_EQ(hits[k], 1) << "frame slot " << k;
  }
}

TEST(MetricTable, EveryMetricHasALayerAndTheObservedAreExactlyTheAgencyCounts) {
  // What agencies record: identifications (with what their files say of
  // past assistance and criminal records), protection, criminalisation,
  // cooperation, reintegration, services' follow-up of the survivors they
  // assisted and the criminal-justice cases. Nothing that exists unseen
  // (victims, profit, traffickers, survivors' recovery) may be in this layer.
  const std::set<Metric> agency_counts = {Metric::identifications_by_channel,
                                          Metric::identified_by_form,
                                          Metric::identified_female,
                                          Metric::identified_children,
                                          Metric::identified_abroad,
                                          Metric::protection_entries,
                                          Metric::protection_turned_away,
                                          Metric::other_cases,
                                          Metric::identified_victims_punished,
                                          Metric::victims_cooperating,
                                          Metric::reintegrations,
                                          Metric::identified_previously_assisted,
                                          Metric::identified_with_record,
                                          Metric::assisted_survivors_followed_up,
                                          Metric::investigations,
                                          Metric::prosecutions,
                                          Metric::convictions,
                                          Metric::acquittals,
                                          Metric::court_backlog,
                                          Metric::case_years_to_verdict};
  std::set<Metric> observed;
  for (const MetricSpec& m : metric_table()) {
    SCOPED_TRACE(m.name);
    EXPECT_TRUE(m.layer == Layer::True || m.layer == Layer::Observed || m.layer == Layer::Policy);
    if (m.layer != Layer::Observed) continue;
    observed.insert(m.id);
    // Agencies record events they handle: counts over the step; besides,
    // courts know the cases they have waiting and how long each decided
    // case took.
    if (m.id == Metric::court_backlog) {
      EXPECT_EQ(m.nature, Nature::Stock);
    } else {
      EXPECT_EQ(m.nature, Nature::Flow);
    }
    EXPECT_EQ(m.type, m.id == Metric::case_years_to_verdict ? ValueType::Amount : ValueType::Count);
  }
  EXPECT_EQ(observed, agency_counts);
  // The true stocks the summaries read stay in the true layer.
  for (const Metric m : {Metric::persons_by_state, Metric::exploited_by_form, Metric::victim_steps,
                         Metric::trafficker_profit, Metric::traffickers_active})
    EXPECT_EQ(spec(m).layer, Layer::True) << spec(m).name;
  EXPECT_EQ(spec(Metric::spending).layer, Layer::Policy);
}

TEST(Series, FramesHoldWhatWasWrittenAndTotalsSumRegionsAndCategories) {
  const FrameLayout layout(2);
  Series series(layout, 3);
  EXPECT_EQ(series.steps(), 3u);
  EXPECT_EQ(series.data().size(), 3 * layout.size());
  // A distinct value in every slot of every step.
  for (std::size_t s = 0; s < 3; ++s) {
    auto frame = series.frame(s);
    ASSERT_EQ(frame.size(), layout.size());
    for (std::size_t k = 0; k < frame.size(); ++k) frame[k] = static_cast<double>(s * 100000 + k);
  }
  // Frames do not overlap: step 1 starts where step 0 ends.
  EXPECT_EQ(series.frame(1).data(), series.frame(0).data() + layout.size());
  const Metric m = Metric::exploited_by_form;
  for (std::size_t s = 0; s < 3; ++s) {
    double all = 0;
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t c = 0; c < kForms; ++c) {
        const double expected = static_cast<double>(s * 100000 + layout.index(m, r, c));
        EXPECT_EQ(series.at(s, m, r, c), expected);
        all += expected;
      }
    EXPECT_EQ(series.total(s, m), all);
    const double labour = static_cast<double>(2 * s * 100000 + layout.index(m, 0, 1) + layout.index(m, 1, 1));
    EXPECT_EQ(series.total(s, m, 1), labour);
  }
  // A metric without an axis: the total is the sum over regions.
  EXPECT_EQ(series.total(2, Metric::escapes),
            series.at(2, Metric::escapes, 0) + series.at(2, Metric::escapes, 1));
  // extract: (steps, regions, axis) in that order.
  std::vector<double> out;
  series.extract(m, out);
  ASSERT_EQ(out.size(), 3 * 2 * kForms);
  EXPECT_EQ(out[(2 * 2 + 1) * kForms + 3], series.at(2, m, 1, 3));
  EXPECT_EQ(out[0], series.at(0, m, 0, 0));
}

// The value of the summary called `name`.
double summary(const std::vector<double>& values, std::string_view name) {
  const auto table = summary_table();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name) return values.at(i);
  ADD_FAILURE() << "no summary " << name;
  return -1;
}

// A hand-made run of 4 steps in 2 regions. Step 0 is the burn-in and holds
// values far off the rest, so that counting it shows. Each value is split
// evenly over the two regions (halves of whole numbers are exact).
struct HandRun {
  Series series{FrameLayout(2), 4};
  void put(std::size_t step, Metric m, std::size_t category, double value) {
    auto frame = series.frame(step);
    frame[series.layout().index(m, 0, category)] = value / 2;
    frame[series.layout().index(m, 1, category)] = value / 2;
  }
  void put_row(std::size_t step, Metric m, std::vector<double> values) {
    for (std::size_t c = 0; c < values.size(); ++c) put(step, m, c, values[c]);
  }
  HandRun() {
    // persons_by_state (FREE, RECRUITED, EXPLOITED, IN_PROTECTION): 100 people.
    put_row(0, Metric::persons_by_state, {90, 2, 6, 2});
    put_row(1, Metric::persons_by_state, {88, 2, 8, 2});
    put_row(2, Metric::persons_by_state, {87, 1, 10, 2});
    put_row(3, Metric::persons_by_state, {85, 3, 12, 0});
    // victim_steps and trafficker_profit by form (SEXUAL, LABOUR, DOMESTIC, CRIMINALITY).
    put_row(0, Metric::victim_steps, {99, 99, 99, 99});
    put_row(1, Metric::victim_steps, {4, 3, 1, 0});
    put_row(2, Metric::victim_steps, {5, 4, 1, 0});
    put_row(3, Metric::victim_steps, {6, 4, 2, 0});
    put_row(0, Metric::trafficker_profit, {1e6, 1e6, 1e6, 1e6});
    put_row(1, Metric::trafficker_profit, {400, 30, 10, 0});
    put_row(2, Metric::trafficker_profit, {500, 40, 10, 0});
    put_row(3, Metric::trafficker_profit, {600, 40, 20, 0});
    // identified_by_form, prosecutions and convictions (SEXUAL, LABOUR).
    put_row(0, Metric::identified_by_form, {50, 50, 50, 50});
    put_row(1, Metric::identified_by_form, {1, 1, 0, 0});
    put_row(2, Metric::identified_by_form, {0, 2, 0, 1});
    put_row(3, Metric::identified_by_form, {1, 0, 0, 0});
    put_row(0, Metric::prosecutions, {40, 40});
    put_row(1, Metric::prosecutions, {1, 1});
    put_row(2, Metric::prosecutions, {0, 2});
    put_row(0, Metric::convictions, {30, 30});
    put_row(1, Metric::convictions, {1, 0});
    put_row(3, Metric::convictions, {0, 1});
    put(0, Metric::traffickers_active, 0, 50);
    put(3, Metric::traffickers_active, 0, 8);
    // Spending by pillar (PROSECUTION, PROTECTION, PREVENTION, PARTNERSHIP).
    put_row(0, Metric::spending, {1e9, 1e9, 1e9, 1e9});
    put_row(2, Metric::spending, {10, 20, 30, 40});
    put_row(3, Metric::spending, {1, 2, 3, 4});
  }
};

TEST(Summaries, HandComputedValuesAfterTheBurnIn) {
  const HandRun run;
  const std::vector<double> v =
      summarize(run.series, /*burn_in_steps=*/1, /*step_years=*/0.5, /*population_scale=*/1, HarmWeights{});
  ASSERT_EQ(v.size(), summary_table().size());
  // Exact expectations: every input is a small whole number or a half, so
  // the sums and ratios below are exact or off by one rounding at most.
  // Mean of EXPLOITED over steps 1-3: (8 + 10 + 12) / 3.
  EXPECT_DOUBLE_EQ(summary(v, "exploited_mean"), 10.0);
  // Population from step 0's states (100): 10 / 100 x 1000.
  EXPECT_DOUBLE_EQ(summary(v, "prevalence_per_1000"), 100.0);
  // Victim-steps 8 + 10 + 12 = 30, of half a year each.
  EXPECT_DOUBLE_EQ(summary(v, "victim_years"), 15.0);
  // Profit 1500 + 110 + 40 = 1650 over 15 victim-years.
  EXPECT_DOUBLE_EQ(summary(v, "trafficker_profit"), 1650.0);
  EXPECT_DOUBLE_EQ(summary(v, "profit_per_victim_year"), 110.0);
  // Per victim-step: sexual 1500 / 15 = 100, labour 110 / 11 = 10.
  EXPECT_DOUBLE_EQ(summary(v, "profit_ratio_sexual_to_labour"), 10.0);
  // 6 identified in 1.5 years over 10 exploited on average: 0.4 per year.
  EXPECT_DOUBLE_EQ(summary(v, "identified"), 6.0);
  EXPECT_DOUBLE_EQ(summary(v, "identification_rate"), 0.4);
  // Labour 3 + domestic 0 of 6; forced criminality 1 of 6.
  EXPECT_DOUBLE_EQ(summary(v, "labour_share_identified"), 0.5);
  EXPECT_DOUBLE_EQ(summary(v, "forced_criminality_share_identified"), 1.0 / 6.0);
  // Prosecutions 4 (3 labour), convictions 2.
  EXPECT_DOUBLE_EQ(summary(v, "prosecutions"), 4.0);
  EXPECT_DOUBLE_EQ(summary(v, "convictions"), 2.0);
  EXPECT_DOUBLE_EQ(summary(v, "conviction_per_prosecution"), 0.5);
  EXPECT_DOUBLE_EQ(summary(v, "conviction_per_identified"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(summary(v, "labour_share_prosecutions"), 0.75);
  // Final figures: the last step.
  EXPECT_DOUBLE_EQ(summary(v, "traffickers_active_final"), 8.0);
  EXPECT_DOUBLE_EQ(summary(v, "exploited_final"), 12.0);
  // Spending by pillar and in all.
  EXPECT_DOUBLE_EQ(summary(v, "spending_prosecution"), 11.0);
  EXPECT_DOUBLE_EQ(summary(v, "spending_partnership"), 44.0);
  EXPECT_DOUBLE_EQ(summary(v, "spending_total"), 110.0);
  // Ratios over nothing are 0: no woman identified, no one in forced
  // labour or domestic servitude held by debt (no debt-bonded counts).
  EXPECT_EQ(summary(v, "female_share_identified"), 0.0);
  EXPECT_EQ(summary(v, "debt_bonded_share_of_labour"), 0.0);
}

TEST(Summaries, CountsAreRealPeopleAndMoneyIsNeverScaled) {
  // At 40 real people per agent: counts of people and cases x 40; money
  // (already real USD in the series) as it is; rates and shares the same.
  // Money per victim-year is real money over real victim-years: here the
  // hand-made money stays while the victims grow 40-fold.
  const HandRun run;
  const std::vector<double> one = summarize(run.series, 1, 0.5, 1, HarmWeights{});
  const std::vector<double> forty = summarize(run.series, 1, 0.5, 40, HarmWeights{});
  const auto table = summary_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    SCOPED_TRACE(std::string(table[i].name));
    if (table[i].name == "profit_per_victim_year") continue;
    EXPECT_EQ(forty[i], table[i].basis == Basis::People ? 40 * one[i] : one[i]);
  }
  EXPECT_DOUBLE_EQ(summary(forty, "exploited_mean"), 400.0);
  EXPECT_DOUBLE_EQ(summary(forty, "victim_years"), 600.0);
  EXPECT_DOUBLE_EQ(summary(forty, "convictions"), 80.0);
  EXPECT_DOUBLE_EQ(summary(forty, "trafficker_profit"), 1650.0);
  EXPECT_DOUBLE_EQ(summary(forty, "profit_per_victim_year"), 1650.0 / 600.0);
  EXPECT_DOUBLE_EQ(summary(forty, "spending_total"), 110.0);
  EXPECT_DOUBLE_EQ(summary(forty, "prevalence_per_1000"), 100.0);
}

TEST(Summaries, ABurnInAsLongAsTheRunLeavesTheLastStep) {
  const HandRun run;
  const std::vector<double> v =
      summarize(run.series, /*burn_in_steps=*/10, /*step_years=*/0.5, /*population_scale=*/1, HarmWeights{});
  // Only step 3 is measured: half a year, 12 exploited.
  EXPECT_DOUBLE_EQ(summary(v, "exploited_mean"), 12.0);
  EXPECT_DOUBLE_EQ(summary(v, "victim_years"), 12 * 0.5);
  EXPECT_DOUBLE_EQ(summary(v, "identification_rate"), (1.0 / 0.5) / 12.0);
  // Without a burn-in step 0 counts too.
  const std::vector<double> all = summarize(run.series, 0, 0.5, 1, HarmWeights{});
  EXPECT_DOUBLE_EQ(summary(all, "exploited_mean"), (6.0 + 8 + 10 + 12) / 4);
  EXPECT_DOUBLE_EQ(summary(all, "prosecutions"), 84.0);
}

TEST(Summaries, EverySummaryHasALayerAndAUniqueName) {
  std::set<std::string_view> names;
  for (const SummarySpec& s : summary_table()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_TRUE(s.layer == Layer::True || s.layer == Layer::Observed || s.layer == Layer::Policy) << s.name;
  }
  // Figures built from agency records are in the observed layer.
  const std::vector<double> dummy = summarize(HandRun().series, 0, 1.0, 1, HarmWeights{});
  ASSERT_EQ(dummy.size(), summary_table().size());
  for (const SummarySpec& s : summary_table()) {
    if (s.name == "identified" || s.name == "convictions" || s.name == "identification_rate") {
      EXPECT_EQ(s.layer, Layer::Observed) << s.name;
    }
  }
}

}  // namespace
}  // namespace tipsim
