// Phase 1: the levers in force this step. Scenario values, then budget mode,
// then the interventions whose window covers the step; from them the
// shelter places, the spending by P and the 3P policy index.
#include <algorithm>
#include <array>
#include <cmath>

#include "costs.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// Effort bought with money, with diminishing returns: linear at first,
// saturating at S = saturation x reference level.
double effort_from_money(double money_per_100k, double unit_cost, double reference, double saturation) {
  if (unit_cost <= 0) return reference * saturation;
  const double units = money_per_100k / unit_cost;
  const double cap = saturation * reference;
  return cap > 0 ? cap * saturating(units, cap) : 0.0;
}

// Relative weights as shares of their sum (all zero: all zero).
template <std::size_t N>
std::array<double, N> shares_of(const Scenario& s, const std::array<Param, N>& weights) {
  std::array<double, N> out{};
  double sum = 0;
  for (std::size_t i = 0; i < N; ++i) sum += out[i] = s.get(weights[i]);
  for (double& x : out) x = sum > 0 ? x / sum : 0.0;
  return out;
}

// Budget mode: the money per 100 000 real people buys each budgeted lever
// at the region's prices, with diminishing returns.
void apply_budget(const Scenario& s, double total_people, ParamValues& lv) {
  const double total = s.get(Param::budget_total_usd_per_year);
  if (total <= 0 || total_people <= 0) return;
  const auto pillar =
      shares_of<kPillars>(s, {Param::budget_share_prosecution, Param::budget_share_protection,
                              Param::budget_share_prevention, Param::budget_share_partnership});
  // No pillar to spend on (the loader refuses it): the levers stay as set.
  if (pillar[0] + pillar[1] + pillar[2] + pillar[3] <= 0) return;
  // Money per 100 000 real people per year, the same everywhere.
  auto money = [&](Pillar p) { return total * pillar[static_cast<std::size_t>(p)] / total_people * 1e5; };
  const double price = lv[Param::cost_price_level];
  auto cost = [&](Param unit_cost) { return s.get(unit_cost) * price; };
  const double saturation = s.get(Param::budget_saturation);
  auto reference = [](Param p) { return spec(p).default_value; };

  lv[Param::policy_prosecution_investigators_per_100k] =
      effort_from_money(money(Pillar::Prosecution), cost(Param::cost_investigator_usd_per_year),
                        reference(Param::policy_prosecution_investigators_per_100k), saturation);
  const double protection = money(Pillar::Protection);
  const auto within_protection =
      shares_of<3>(s, {Param::budget_protection_share_shelter, Param::budget_protection_share_inspection,
                       Param::budget_protection_share_outreach});
  lv[Param::policy_protection_shelter_beds_per_100k] =
      effort_from_money(within_protection[0] * protection, cost(Param::cost_shelter_bed_usd_per_year),
                        reference(Param::policy_protection_shelter_beds_per_100k), saturation);
  lv[Param::policy_protection_labour_inspectors_per_100k] =
      effort_from_money(within_protection[1] * protection, cost(Param::cost_labour_inspector_usd_per_year),
                        reference(Param::policy_protection_labour_inspectors_per_100k), saturation);
  lv[Param::policy_protection_outreach_workers_per_100k] =
      effort_from_money(within_protection[2] * protection, cost(Param::cost_outreach_worker_usd_per_year),
                        reference(Param::policy_protection_outreach_workers_per_100k), saturation);
  // Reach is a share of the population, so it saturates at 1 by itself.
  const double prevention = money(Pillar::Prevention);
  const auto within_prevention =
      shares_of<2>(s, {Param::budget_prevention_share_awareness, Param::budget_prevention_share_empowerment});
  auto reach = [](double money_per_100k, double cost_per_person) {
    return cost_per_person > 0 ? saturating(money_per_100k / cost_per_person, 1e5) : 1.0;
  };
  lv[Param::policy_prevention_awareness_reach] =
      reach(within_prevention[0] * prevention, cost(Param::cost_awareness_usd_per_person));
  lv[Param::policy_prevention_empowerment_reach] =
      reach(within_prevention[1] * prevention, cost(Param::cost_empowerment_usd_per_person));
  const double partnership_cost = cost(Param::cost_partnership_usd_per_100k_per_year);
  lv[Param::policy_partnership_level] =
      partnership_cost > 0 ? saturating(money(Pillar::Partnership), partnership_cost) : 1.0;
}

double ramp_weight(const InterventionSpec& iv, std::int64_t step) {
  if (iv.ramp_steps <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(step - iv.start_step + 1) / static_cast<double>(iv.ramp_steps));
}

void apply_interventions(const Scenario& s, std::int32_t region, std::int64_t step, ParamValues& lv) {
  for (const InterventionSpec& iv : s.interventions) {
    if (step < iv.start_step || step >= iv.end_step) continue;
    if (iv.region >= 0 && iv.region != region) continue;
    const double weight = ramp_weight(iv, step);
    for (const LeverChange& change : iv.changes) {
      const ParamSpec& ps = spec(change.param);
      double target = change.op == LeverOp::Set     ? change.value
                      : change.op == LeverOp::Scale ? lv[change.param] * change.value
                                                    : lv[change.param] + change.value;
      target = std::clamp(target, ps.min_value, ps.max_value);
      if (ps.kind == ParamKind::Boolean) {
        // A switch flips once the ramp is half-way.
        lv[change.param] = weight >= 0.5 ? target : lv[change.param];
      } else {
        lv[change.param] += weight * (target - lv[change.param]);
      }
    }
  }
}

// 3P scores from 1 (no effort) to 5 (full effort), in the spirit of the 3P
// Anti-Trafficking Policy Index (Cho, Dreher and Neumayer 2014), computed
// from the simulated levers instead of coded from reports.
void policy_index(const Scenario& s, const ParamValues& lv, double scores[kPillars]) {
  auto effort = [&](Param lever, Param scale) { return saturating(lv[lever], s.get(scale)); };
  const double prosecution =
      effort(Param::policy_prosecution_investigators_per_100k, Param::policy_index_investigators_per_100k) *
      (1.0 - lv[Param::institutions_corruption]);
  const double protection =
      (effort(Param::policy_protection_shelter_beds_per_100k, Param::policy_index_shelter_beds_per_100k) +
       lv[Param::policy_protection_non_punishment] + lv[Param::policy_protection_service_quality] +
       effort(Param::policy_protection_labour_inspectors_per_100k,
              Param::policy_index_labour_inspectors_per_100k)) /
      4.0;
  const double prevention =
      (effort(Param::policy_prevention_awareness_reach, Param::policy_index_awareness_reach) +
       lv[Param::policy_prevention_recruitment_fee_ban] +
       std::max(lv[Param::policy_prevention_due_diligence], lv[Param::policy_prevention_demand_reduction]) +
       effort(Param::policy_prevention_empowerment_reach, Param::policy_index_empowerment_reach)) /
      4.0;
  const double partnership = lv[Param::policy_partnership_level];
  const double pillar_effort[kPillars] = {prosecution, protection, prevention, partnership};
  for (std::size_t p = 0; p < kPillars; ++p) scores[p] = 1.0 + 4.0 * std::clamp(pillar_effort[p], 0.0, 1.0);
}

// The real people of the world.
double world_people(const Model& model) {
  double people = 0;
  for (const RegionModel& rm : model.regions) people += rm.people;
  return people;
}

// In budget mode, the money per year of each pillar: the total split by
// the shares (nothing when the shares sum to zero).
void budget_by_pillar(const Scenario& s, double (&budget)[kPillars]) {
  const auto share =
      shares_of<kPillars>(s, {Param::budget_share_prosecution, Param::budget_share_protection,
                              Param::budget_share_prevention, Param::budget_share_partnership});
  for (std::size_t p = 0; p < kPillars; ++p) budget[p] = s.get(Param::budget_total_usd_per_year) * share[p];
}

// Region r's levers this step: scenario values, then budget, then
// interventions; and the shelter places they buy.
void set_levers(const Model& model, State& state, std::size_t r, double people) {
  const Scenario& s = model.scenario;
  RegionState& rs = state.regions[r];
  ParamValues& lv = rs.levers;
  lv = s.regions[r].values;
  apply_budget(s, people, lv);
  apply_interventions(s, static_cast<std::int32_t>(r), state.step, lv);
  rs.shelter_capacity = static_cast<std::uint32_t>(
      std::llround(lv[Param::policy_protection_shelter_beds_per_100k] * model.regions[r].population / 1e5));
}

// Region r's spending this step, by pillar, in real USD: in budget mode the
// money allocated to the budgeted levers, whatever effort it buys, by the
// region's share of the people; the cost of every other lever in force on
// top (and of all of them outside budget mode).
void record_spending(const Model& model, std::size_t r, const ParamValues& lv,
                     const double (&budget)[kPillars], double people, StepContext& ctx) {
  const Scenario& s = model.scenario;
  const RegionModel& region = model.regions[r];
  const double dt = model.step_years;
  const bool budget_mode = s.get(Param::budget_total_usd_per_year) > 0;
  if (budget_mode)
    for (std::size_t p = 0; p < kPillars; ++p)
      ctx.metric(Metric::spending, r, p) += budget[p] * region.people / people * dt;
  for (const LeverCost& c : lever_costs()) {
    if (budget_mode && c.bought_by_budget) continue;
    ctx.metric(Metric::spending, r, static_cast<std::size_t>(c.pillar)) +=
        lever_cost_per_year(s, c, lv, region.people) * dt;
  }
}

// Region r's 3P scores into the frame.
void record_policy_index(const Scenario& s, const ParamValues& lv, std::size_t r, StepContext& ctx) {
  double scores[kPillars];
  policy_index(s, lv, scores);
  for (std::size_t p = 0; p < kPillars; ++p) ctx.metric(Metric::policy_index, r, p) = scores[p];
}

}  // namespace

void apply_policy_schedule(const Model& model, State& state, StepContext& ctx) {
  const double people = world_people(model);
  double budget[kPillars];
  budget_by_pillar(model.scenario, budget);
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    set_levers(model, state, r, people);
    record_spending(model, r, state.regions[r].levers, budget, people, ctx);
    record_policy_index(model.scenario, state.regions[r].levers, r, ctx);
  }
}

}  // namespace tipsim
