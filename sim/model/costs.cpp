#include "costs.hpp"

namespace tipsim {

namespace {

constexpr double kPerPerson = 1e5;  // a share of the people reached, priced per person

constexpr LeverCost kLeverCosts[] = {
    {Param::policy_prosecution_investigators_per_100k, Param::cost_investigator_usd_per_year, 1,
     Pillar::Prosecution, true},
    {Param::policy_prosecution_trials_per_100k_per_year, Param::cost_trial_usd_per_year, 1,
     Pillar::Prosecution, false},
    {Param::policy_protection_shelter_beds_per_100k, Param::cost_shelter_bed_usd_per_year, 1,
     Pillar::Protection, true},
    {Param::policy_protection_labour_inspectors_per_100k, Param::cost_labour_inspector_usd_per_year, 1,
     Pillar::Protection, true},
    {Param::policy_protection_outreach_workers_per_100k, Param::cost_outreach_worker_usd_per_year, 1,
     Pillar::Protection, true},
    {Param::policy_protection_hotline, Param::cost_hotline_usd_per_100k_per_year, 1, Pillar::Protection,
     false},
    {Param::policy_protection_border_screening, Param::cost_border_screening_usd_per_100k_per_year, 1,
     Pillar::Protection, false},
    {Param::policy_protection_non_punishment, Param::cost_non_punishment_usd_per_100k_per_year, 1,
     Pillar::Protection, false},
    {Param::policy_prevention_awareness_reach, Param::cost_awareness_usd_per_person, kPerPerson,
     Pillar::Prevention, true},
    {Param::policy_prevention_empowerment_reach, Param::cost_empowerment_usd_per_person, kPerPerson,
     Pillar::Prevention, true},
    {Param::policy_prevention_recruitment_fee_ban, Param::cost_fee_ban_usd_per_100k_per_year, 1,
     Pillar::Prevention, false},
    {Param::policy_prevention_due_diligence, Param::cost_due_diligence_usd_per_100k_per_year, 1,
     Pillar::Prevention, false},
    {Param::policy_prevention_demand_reduction, Param::cost_demand_reduction_usd_per_100k_per_year, 1,
     Pillar::Prevention, false},
    {Param::policy_partnership_level, Param::cost_partnership_usd_per_100k_per_year, 1, Pillar::Partnership,
     true},
};

}  // namespace

std::span<const LeverCost> lever_costs() { return kLeverCosts; }

double lever_cost_per_year(const Scenario& s, const LeverCost& cost, const ParamValues& lv, double people) {
  return lv[cost.lever] * s.get(cost.unit_cost) * lv[Param::cost_price_level] * cost.per_unit_cost * people /
         1e5;
}

}  // namespace tipsim
