// The harm-weighted outcome (metrics.cpp, summarize): quality of life lost in
// exploitation by form, by survivors not recovered and by victims punished,
// valued at harm.usd_per_qaly. The weights weigh what the model simulated;
// they never change it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "collected_runs.hpp"
#include "metrics.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;

// A small world where victims are identified and some punished (no
// non-punishment law), with a burn-in, at a scale of 40 people an agent.
Scenario harm_world() {
  Scenario s = test::tiny_scenario(40000, 2, 156, 515);
  set_param(s, Param::population_scale, 40.0);
  set_param(s, Param::scenario_burn_in_steps, 26);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 10.0);
  set_param(s, Param::policy_protection_non_punishment, 0.0);
  return s;
}

std::size_t summary_row(std::string_view name) {
  const auto table = summary_table();
  for (std::size_t k = 0; k < table.size(); ++k)
    if (table[k].name == name) return k;
  ADD_FAILURE() << "no summary " << name;
  return 0;
}

TEST(Harm, TheWeightsChangeOnlyTheWeightedOutcomeNeverTheSimulation) {
  const Scenario plain = harm_world();
  Scenario weighted = plain;
  set_param(weighted, Param::harm_usd_per_qaly, 2.0 * plain.get(Param::harm_usd_per_qaly));
  set_param(weighted, Param::harm_qaly_loss_labour_per_year, 0.9);
  set_param(weighted, Param::harm_qaly_loss_recovering_per_year, 0.05);
  set_param(weighted, Param::harm_qaly_loss_punishment, 3.0);
  ExperimentOptions options;
  options.replicates = 2;
  options.recording.events = true;
  const auto runs = test::collected_runs({plain, weighted}, options);
  ASSERT_EQ(runs.size(), 4u);
  const std::size_t qalys = summary_row("harm_qalys"), usd = summary_row("harm_usd");
  for (std::size_t r = 0; r < 2; ++r) {
    const ReplicateResult& a = runs[r];
    const ReplicateResult& b = runs[2 + r];
    ASSERT_EQ(a.point, 0u);
    ASSERT_EQ(b.point, 1u);
    // The same simulation: every series and every event.
    ASSERT_EQ(a.series.steps(), b.series.steps());
    for (std::size_t t = 0; t < a.series.steps(); ++t) {
      const auto fa = a.series.frame(t), fb = b.series.frame(t);
      ASSERT_TRUE(std::equal(fa.begin(), fa.end(), fb.begin(), fb.end()))
          << "replicate " << r << ", step " << t;
    }
    EXPECT_FALSE(a.events.empty());
    EXPECT_TRUE(a.events == b.events) << "replicate " << r;
    for (std::size_t k = 0; k < a.summary.size(); ++k) {
      if (k == qalys || k == usd) continue;
      EXPECT_EQ(a.summary[k], b.summary[k]) << summary_table()[k].name;
    }
    EXPECT_NE(a.summary[qalys], b.summary[qalys]);
    EXPECT_NE(a.summary[usd], b.summary[usd]);
  }
}

TEST(Harm, TheOutcomeIsTheWeightedSumOfWhatTheSeriesHold) {
  const Scenario s = harm_world();
  ExperimentOptions options;
  options.replicates = 1;
  const auto runs = test::collected_runs({s}, options);
  const Series& series = runs.front().series;
  const double dt = s.step_years(), scale = s.get(Param::population_scale);
  const auto burn_in = static_cast<std::size_t>(s.get_int(Param::scenario_burn_in_steps));
  const Param by_form[] = {Param::harm_qaly_loss_sexual_per_year, Param::harm_qaly_loss_labour_per_year,
                           Param::harm_qaly_loss_domestic_per_year,
                           Param::harm_qaly_loss_criminality_per_year};
  double exploitation = 0, recovering = 0, punished = 0;
  for (std::size_t t = burn_in; t < series.steps(); ++t) {
    for (std::size_t f = 0; f < kForms; ++f)
      exploitation += s.get(by_form[f]) * series.total(t, Metric::victim_steps, f) * dt;
    recovering += series.total(t, Metric::survivors_recovering) * dt;
    punished += series.total(t, Metric::victims_punished);
  }
  ASSERT_GT(exploitation, 0.0);
  ASSERT_GT(recovering, 0.0);
  ASSERT_GT(punished, 0.0) << "nobody punished: the punishment weight is untested";
  const double expected_qalys =
      scale * (exploitation + s.get(Param::harm_qaly_loss_recovering_per_year) * recovering +
               s.get(Param::harm_qaly_loss_punishment) * punished);
  const std::vector<double>& summary = runs.front().summary;
  EXPECT_NEAR(summary[summary_row("harm_qalys")], expected_qalys, 1e-9 * expected_qalys);
  // Real money: QALYs of real people at the money value of one, never divided by the scale.
  EXPECT_NEAR(summary[summary_row("harm_usd")], expected_qalys * s.get(Param::harm_usd_per_qaly),
              1e-9 * expected_qalys * s.get(Param::harm_usd_per_qaly));
  EXPECT_NEAR(summary[summary_row("survivor_years_recovering")], scale * recovering,
              1e-9 * scale * recovering);
}

}  // namespace
}  // namespace tipsim
