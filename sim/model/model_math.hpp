// Small pure functions of the model shared by phases and tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <utility>

#include "params.hpp"
#include "state.hpp"

namespace tipsim {

// The shape (alpha, beta) of the Beta distribution of vulnerability with
// the given mean and sd. An intervention may push sd past what a Beta with
// this mean allows; the spread is then capped just below that limit.
inline std::pair<double, double> beta_shape(double mean, double sd) {
  const double k = std::max(1e-3, mean * (1.0 - mean) / (sd * sd) - 1.0);
  return {mean * k, (1.0 - mean) * k};
}

// What the risk of conviction traffickers perceive in a market leaves of
// their recruiting and entry: (1 + risk / risk_noticed)^-elasticity, 1 at no
// risk, with an elasticity that approaches the parameter once the risk is
// well above the noticed level.
inline double deterrence(const ParamValues& g, double perceived_risk) {
  return std::pow(1.0 + perceived_risk / g[Param::recruitment_risk_noticed_per_year],
                  -g[Param::recruitment_deterrence_elasticity]);
}

// What multiplies every identification channel in a region, victims coming
// forward included: partnership (shared intelligence, referral mechanisms)
// raises it, corruption lowers it.
inline double identification_multiplier(const ParamValues& g, const ParamValues& lv) {
  return (1.0 + g[Param::identification_partnership_boost] * lv[Param::policy_partnership_level]) *
         (1.0 - lv[Param::institutions_corruption]);
}

// Profit per victim-year of a market in a region.
inline double market_profit(const ParamValues& lv, Market m) {
  switch (m) {
    case Market::Sexual:
      return lv[Param::market_profit_sexual_usd_per_year];
    case Market::DomesticServitude:
      return lv[Param::market_profit_domestic_usd_per_year];
    case Market::ForcedCriminality:
      return lv[Param::market_profit_criminality_usd_per_year];
    default:
      return lv[Param::market_profit_labour_usd_per_year];
  }
}

// Demand per 100 000 population before prevention.
inline double market_demand_per_100k(const ParamValues& lv, Market m) {
  switch (m) {
    case Market::Sexual:
      return lv[Param::market_demand_sexual_per_100k];
    case Market::LabourAgriculture:
      return lv[Param::market_demand_agriculture_per_100k];
    case Market::LabourConstruction:
      return lv[Param::market_demand_construction_per_100k];
    case Market::LabourManufacturing:
      return lv[Param::market_demand_manufacturing_per_100k];
    case Market::LabourOther:
      return lv[Param::market_demand_other_labour_per_100k];
    case Market::DomesticServitude:
      return lv[Param::market_demand_domestic_per_100k];
    case Market::ForcedCriminality:
      return lv[Param::market_demand_criminality_per_100k];
  }
  return 0;
}

// Demand after due diligence (labour sectors) and demand reduction (sex
// and domestic servitude), per 100 000 population.
inline double effective_demand_per_100k(const ParamValues& lv, const ParamValues& globals, Market m) {
  double factor = 1.0;
  const Form f = form_of(m);
  if (f == Form::Labour)
    factor -= lv[Param::policy_prevention_due_diligence] * globals[Param::prevention_due_diligence_effect];
  if (m == Market::Sexual || m == Market::DomesticServitude)
    factor -=
        lv[Param::policy_prevention_demand_reduction] * globals[Param::prevention_demand_reduction_effect];
  return market_demand_per_100k(lv, m) * std::max(0.0, factor);
}

inline double method_weight(const ParamValues& lv, Method m) {
  switch (m) {
    case Method::DeceptiveJobOffer:
      return lv[Param::traffickers_method_share_deceptive];
    case Method::Romance:
      return lv[Param::traffickers_method_share_romance];
    case Method::FamilyOrAcquaintance:
      return lv[Param::traffickers_method_share_family];
    case Method::DebtBased:
      return lv[Param::traffickers_method_share_debt];
    case Method::Abduction:
      return lv[Param::traffickers_method_share_abduction];
  }
  return 0;
}

inline double awareness_shield(const ParamValues& globals, Method m) {
  switch (m) {
    case Method::DeceptiveJobOffer:
      return globals[Param::recruitment_awareness_shield_deceptive];
    case Method::Romance:
      return globals[Param::recruitment_awareness_shield_romance];
    case Method::FamilyOrAcquaintance:
      return globals[Param::recruitment_awareness_shield_family];
    case Method::DebtBased:
      return globals[Param::recruitment_awareness_shield_debt];
    case Method::Abduction:
      return globals[Param::recruitment_awareness_shield_abduction];
  }
  return 0;
}

// Weakening of a recruiting method by a recruitment-fee ban.
inline double fee_ban_factor(const ParamValues& lv, const ParamValues& globals, Method m) {
  if (m != Method::DeceptiveJobOffer && m != Method::DebtBased) return 1.0;
  return 1.0 - lv[Param::policy_prevention_recruitment_fee_ban] * globals[Param::prevention_fee_ban_effect];
}

// The largest share of the people a programme reaches in a year: all but
// one in a million, about 14 contacts a person a year. A share of exactly 1
// would mean infinitely many; capped, the contact rate stays finite and
// continuous as the share reaches 1.
inline constexpr double kMostReachPerYear = 1.0 - 1e-6;

// A share of the people reached per year as the probability of reaching
// each person in one step: over a year of independent steps, exactly that
// share is reached at least once, 1 - (1 - share)^dt.
inline double reach_per_step(double share_per_year, double step_years) {
  if (!(share_per_year > 0)) return 0.0;
  return -std::expm1(step_years * std::log1p(-std::min(share_per_year, kMostReachPerYear)));
}

// Saturating effect of an effort: 0 at no effort, 1 - e^-1 at `scale`, 1 in the limit.
inline double saturating(double effort, double scale) { return -std::expm1(-effort / scale); }

// Relative chance that a trafficker of this market takes this recruit.
inline double market_affinity(const ParamValues& globals, Market m, bool female) {
  switch (form_of(m)) {
    case Form::Sexual:
      return female ? 1.0 : globals[Param::recruitment_sexual_male_affinity];
    case Form::DomesticServitude:
      return female ? 1.0 : globals[Param::recruitment_domestic_male_affinity];
    case Form::Labour:
      return female ? globals[Param::recruitment_labour_female_affinity] : 1.0;
    case Form::ForcedCriminality:
      return 1.0;
  }
  return 1.0;
}

// Weighted choice: the index i with cumulative weight passing u * total.
inline std::size_t pick_weighted(const double* weights, std::size_t n, double u) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += weights[i];
  double target = u * total, running = 0;
  for (std::size_t i = 0; i < n; ++i) {
    running += weights[i];
    if (target < running) return i;
  }
  // Rounding: the last index with positive weight.
  for (std::size_t i = n; i-- > 0;)
    if (weights[i] > 0) return i;
  return 0;
}

// Choice from a row of cumulative weights: the first index whose cumulative
// weight exceeds u times the total.
inline std::size_t pick_cumulative(const double* cumulative, std::size_t n, double u) {
  const double target = u * cumulative[n - 1];
  for (std::size_t j = 0; j < n; ++j)
    if (target < cumulative[j]) return j;
  return n - 1;
}

}  // namespace tipsim
