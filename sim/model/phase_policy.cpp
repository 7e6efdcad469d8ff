// Phase 1: the levers in force this step. Scenario values, then budget mode,
// then the interventions whose window covers the step; from them the
// shelter places, the spending by P and the 3P policy index.
#include <algorithm>
#include <cmath>

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

void apply_budget(const Scenario& s, double total_population_real, ParamValues& lv) {
  const double total = s.get(Param::budget_total_usd_per_year);
  if (total <= 0 || total_population_real <= 0) return;
  const double shares[kPillars] = {
      s.get(Param::budget_share_prosecution), s.get(Param::budget_share_protection),
      s.get(Param::budget_share_prevention), s.get(Param::budget_share_partnership)};
  double share_sum = 0;
  for (double x : shares) share_sum += x;
  if (share_sum <= 0) return;
  // Money per 100 000 real people per year, the same everywhere.
  auto money = [&](Pillar p) {
    return total * shares[static_cast<int>(p)] / share_sum / total_population_real * 1e5;
  };
  const double saturation = s.get(Param::budget_saturation);
  auto reference = [](Param p) { return spec(p).default_value; };

  lv[Param::policy_prosecution_investigators_per_100k] =
      effort_from_money(money(Pillar::Prosecution), s.get(Param::cost_investigator_usd_per_year),
                        reference(Param::policy_prosecution_investigators_per_100k), saturation);
  // Protection money: 60 % shelter places, 20 % labour inspection, 20 % outreach.
  const double protection = money(Pillar::Protection);
  lv[Param::policy_protection_shelter_beds_per_100k] =
      effort_from_money(0.6 * protection, s.get(Param::cost_shelter_bed_usd_per_year),
                        reference(Param::policy_protection_shelter_beds_per_100k), saturation);
  lv[Param::policy_protection_labour_inspectors_per_100k] =
      effort_from_money(0.2 * protection, s.get(Param::cost_labour_inspector_usd_per_year),
                        reference(Param::policy_protection_labour_inspectors_per_100k), saturation);
  lv[Param::policy_protection_outreach_workers_per_100k] =
      effort_from_money(0.2 * protection, s.get(Param::cost_outreach_worker_usd_per_year),
                        reference(Param::policy_protection_outreach_workers_per_100k), saturation);
  // Prevention money: 70 % awareness campaigns, 30 % empowerment; reach is a
  // share of the population, so it saturates at 1 by itself.
  const double prevention = money(Pillar::Prevention);
  auto reach = [](double money_per_100k, double cost_per_person) {
    return cost_per_person > 0 ? saturating(money_per_100k / cost_per_person, 1e5) : 1.0;
  };
  lv[Param::policy_prevention_awareness_reach] =
      reach(0.7 * prevention, s.get(Param::cost_awareness_usd_per_person));
  lv[Param::policy_prevention_empowerment_reach] =
      reach(0.3 * prevention, s.get(Param::cost_empowerment_usd_per_person));
  const double partnership_cost = s.get(Param::cost_partnership_usd_per_100k_per_year);
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
      double target = change.op == LeverOp::Set ? change.value : lv[change.param] * change.value;
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
void policy_index(const ParamValues& lv, double scores[kPillars]) {
  const double prosecution = saturating(lv[Param::policy_prosecution_investigators_per_100k], 2.0) *
                             (1.0 - lv[Param::institutions_corruption]);
  const double protection =
      (saturating(lv[Param::policy_protection_shelter_beds_per_100k], 2.0) +
       lv[Param::policy_protection_non_punishment] + lv[Param::policy_protection_service_quality] +
       saturating(lv[Param::policy_protection_labour_inspectors_per_100k], 2.0)) /
      4.0;
  const double prevention =
      (saturating(lv[Param::policy_prevention_awareness_reach], 0.1) +
       lv[Param::policy_prevention_recruitment_fee_ban] +
       std::max(lv[Param::policy_prevention_due_diligence], lv[Param::policy_prevention_demand_reduction]) +
       saturating(lv[Param::policy_prevention_empowerment_reach], 0.05)) /
      4.0;
  const double partnership = lv[Param::policy_partnership_level];
  const double effort[kPillars] = {prosecution, protection, prevention, partnership};
  for (std::size_t p = 0; p < kPillars; ++p) scores[p] = 1.0 + 4.0 * std::clamp(effort[p], 0.0, 1.0);
}

// The world's population in agents.
double population_in_agents(const Model& model) {
  double population_agents = 0;
  for (const RegionModel& rm : model.regions) population_agents += rm.population;
  return population_agents;
}

// In budget mode, the money per year of each pillar: the total split by
// the shares (nothing when the shares sum to zero).
void budget_by_pillar(const Scenario& s, double (&budget_share)[kPillars]) {
  budget_share[0] = s.get(Param::budget_share_prosecution);
  budget_share[1] = s.get(Param::budget_share_protection);
  budget_share[2] = s.get(Param::budget_share_prevention);
  budget_share[3] = s.get(Param::budget_share_partnership);
  const double share_sum = budget_share[0] + budget_share[1] + budget_share[2] + budget_share[3];
  for (double& x : budget_share)
    x = share_sum > 0 ? s.get(Param::budget_total_usd_per_year) * x / share_sum : 0.0;
}

// Region r's levers this step: scenario values, then budget, then
// interventions; and the shelter places they buy.
void set_levers(const Model& model, State& state, std::size_t r, double population_agents) {
  const Scenario& s = model.scenario;
  RegionState& rs = state.regions[r];
  ParamValues& lv = rs.levers;
  lv = s.regions[r].values;
  apply_budget(s, population_agents * s.get(Param::population_scale), lv);
  apply_interventions(s, static_cast<std::int32_t>(r), state.step, lv);
  rs.shelter_capacity = static_cast<std::uint32_t>(
      std::llround(lv[Param::policy_protection_shelter_beds_per_100k] * model.regions[r].population / 1e5));
}

// Region r's spending this step, by pillar, in agent units (population.scale
// converts to real money): in budget mode the money allocated, whatever
// effort it buys, by the region's share of the population; else the cost
// of the levers in force.
void record_spending(const Model& model, std::size_t r, const ParamValues& lv,
                     const double (&budget_share)[kPillars], double population_agents, StepContext& ctx) {
  const Scenario& s = model.scenario;
  const double scale = s.get(Param::population_scale);
  const double dt = model.step_years;
  if (s.get(Param::budget_total_usd_per_year) > 0) {
    for (std::size_t p = 0; p < kPillars; ++p)
      ctx.metric(Metric::spending, r, p) +=
          budget_share[p] * model.regions[r].population / population_agents * dt / scale;
    return;
  }
  const double per_100k = model.regions[r].population / 1e5 * dt;
  ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Prosecution)) +=
      lv[Param::policy_prosecution_investigators_per_100k] * s.get(Param::cost_investigator_usd_per_year) *
      per_100k;
  ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Protection)) +=
      (lv[Param::policy_protection_shelter_beds_per_100k] * s.get(Param::cost_shelter_bed_usd_per_year) +
       lv[Param::policy_protection_labour_inspectors_per_100k] *
           s.get(Param::cost_labour_inspector_usd_per_year) +
       lv[Param::policy_protection_outreach_workers_per_100k] *
           s.get(Param::cost_outreach_worker_usd_per_year)) *
      per_100k;
  ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Prevention)) +=
      (lv[Param::policy_prevention_awareness_reach] * s.get(Param::cost_awareness_usd_per_person) +
       lv[Param::policy_prevention_empowerment_reach] * s.get(Param::cost_empowerment_usd_per_person)) *
      model.regions[r].population * dt;
  ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Partnership)) +=
      lv[Param::policy_partnership_level] * s.get(Param::cost_partnership_usd_per_100k_per_year) * per_100k;
}

// Region r's 3P scores into the frame.
void record_policy_index(const ParamValues& lv, std::size_t r, StepContext& ctx) {
  double scores[kPillars];
  policy_index(lv, scores);
  for (std::size_t p = 0; p < kPillars; ++p) ctx.metric(Metric::policy_index, r, p) = scores[p];
}

}  // namespace

void apply_policy_schedule(const Model& model, State& state, StepContext& ctx) {
  const double population_agents = population_in_agents(model);
  double budget_share[kPillars];
  budget_by_pillar(model.scenario, budget_share);
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    set_levers(model, state, r, population_agents);
    record_spending(model, r, state.regions[r].levers, budget_share, population_agents, ctx);
    record_policy_index(state.regions[r].levers, r, ctx);
  }
}

}  // namespace tipsim
