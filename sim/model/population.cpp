#include "population.hpp"

#include <tbb/parallel_for.h>

#include <Random123/uniform.hpp>
#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <boost/random/binomial_distribution.hpp>
#include <cmath>
#include <span>
#include <stdexcept>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// A stratum's key as one number, in the order of (traits, bin, level): the level biased to keep its order.
std::uint64_t key(const Stratum& s) {
  return std::uint64_t{s.traits} << 40 | std::uint64_t{s.vulnerability_bin} << 32 |
         (static_cast<std::uint32_t>(s.awareness_level) ^ 0x80000000u);
}

double decay_per_step(const Model& model) {
  return model.scenario.get(Param::prevention_awareness_decay_per_year) * model.step_years;
}

// Splits `count` people over the vulnerability bins with probabilities
// `bin_share` (summing to 1), appending a stratum of `traits` for each bin
// that gets someone.
void split_over_bins(std::uint64_t count, std::uint16_t traits, const std::vector<double>& bin_share,
                     Stream& stream, std::vector<Stratum>& strata) {
  double mass_left = 1.0;
  for (std::size_t j = 0; j < bin_share.size() && count > 0; ++j) {
    const std::uint64_t here = j + 1 == bin_share.size()
                                   ? count
                                   : binomial(stream, count, bin_share[j] / std::max(mass_left, 1e-300));
    mass_left -= bin_share[j];
    count -= here;
    if (here > 0) strata.push_back(Stratum{traits, static_cast<std::uint8_t>(j), kNoBoost, here});
  }
}

// Each bin's share of the people drawn with the levers in force: 1/bins
// under the step-0 distribution, else that distribution's mass between the
// step-0 bin edges.
std::vector<double> bin_shares(const Model& model, const ParamValues& lv, std::size_t region) {
  const std::uint32_t bins = model.vulnerability_bins;
  const ParamValues& initial = model.scenario.regions[region].values;
  const double mean = lv[Param::population_vulnerability_mean], sd = lv[Param::population_vulnerability_sd];
  if (mean == initial[Param::population_vulnerability_mean] &&
      sd == initial[Param::population_vulnerability_sd])
    return std::vector<double>(bins, 1.0 / bins);
  const auto [alpha, beta] = beta_shape(mean, sd);
  const std::vector<double>& q = *model.regions[region].vulnerability_quantiles;
  std::vector<double> shares(bins);
  double below = 0;
  for (std::uint32_t j = 0; j < bins; ++j) {
    const double edge = q[(j + 1) * Model::kQuantilesPerBin];
    const double cdf = j + 1 == bins ? 1.0 : boost::math::ibeta(alpha, beta, edge);
    shares[j] = std::max(0.0, cdf - below);
    below = std::max(below, cdf);
  }
  return shares;
}

// The people of one sex and age group drawn from `count`, as strata by bin.
void add_people(const Model& model, const ParamValues& lv, std::size_t region, std::uint64_t count,
                Stream& stream, std::vector<Stratum>& strata) {
  const std::vector<double> shares = bin_shares(model, lv, region);
  const std::uint64_t female = binomial(stream, count, lv[Param::population_female_share]);
  for (const bool is_female : {true, false}) {
    const std::uint64_t of_sex = is_female ? female : count - female;
    const std::uint64_t children = binomial(stream, of_sex, lv[Param::population_child_share]);
    const std::uint8_t sex = is_female ? stratum_trait::kFemale : 0;
    split_over_bins(children, static_cast<std::uint8_t>(sex | stratum_trait::kChild), shares, stream, strata);
    split_over_bins(of_sex - children, sex, shares, stream, strata);
  }
}

}  // namespace

double next_uniform(Stream& stream) { return r123::u01<double>(stream()); }

std::uint64_t binomial(Stream& stream, std::uint64_t n, double p, double log_q) {
  if (n == 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  const double trials = static_cast<double>(n);
  if (trials * p < 8) {
    double u = next_uniform(stream);
    double probability = std::exp(trials * log_q);  // P(0)
    const double odds = p / (1 - p);
    std::uint64_t k = 0;
    while (u > probability && k < n) {
      u -= probability;
      probability *= odds * static_cast<double>(n - k) / static_cast<double>(k + 1);
      ++k;
    }
    return k;
  }
  boost::random::binomial_distribution<std::int64_t, double> draw(static_cast<std::int64_t>(n), p);
  return static_cast<std::uint64_t>(draw(stream));
}

double level_boost(const Model& model, std::int32_t level, std::int32_t step) {
  if (level == kNoBoost) return 0.0;
  return std::exp(level * kAwarenessLevelWidth - decay_per_step(model) * step);
}

std::int32_t boost_level(const Model& model, double boost, std::int32_t step) {
  if (!(boost >= kNegligibleBoost)) return kNoBoost;
  return static_cast<std::int32_t>(
      std::lround((std::log(boost) + decay_per_step(model) * step) / kAwarenessLevelWidth));
}

std::int32_t lowest_boosted_level(const Model& model, std::int32_t step) {
  return static_cast<std::int32_t>(
      std::ceil((std::log(kNegligibleBoost) + decay_per_step(model) * step) / kAwarenessLevelWidth));
}

double stratum_awareness(const Model& model, const State& state, std::size_t region, const Stratum& s) {
  const double base = levers(state, region)[Param::population_awareness_base];
  return std::min(1.0, base + level_boost(model, s.awareness_level, state.step));
}

double stratum_vulnerability(const Model& model, std::size_t region, const Stratum& s, double u) {
  const RegionModel& rm = model.regions[region];
  const std::vector<double>& q = *rm.vulnerability_quantiles;
  const double at = (s.vulnerability_bin + u) * Model::kQuantilesPerBin;
  const auto k = std::min(static_cast<std::size_t>(at), q.size() - 2);
  // The tails, where the quantile function bends most, exactly; linear
  // between the points elsewhere.
  const double v = k == 0 || k == q.size() - 2
                       ? (u >= 1.0 ? q[k + 1]
                                   : boost::math::ibeta_inv(rm.vulnerability_alpha, rm.vulnerability_beta,
                                                            at / static_cast<double>(q.size() - 1)))
                       : q[k] + (at - static_cast<double>(k)) * (q[k + 1] - q[k]);
  const double cut = s.traits & stratum_trait::kEmpowered
                         ? 1.0 - model.scenario.get(Param::prevention_empowerment_effect)
                         : 1.0;
  return v * cut;
}

double stratum_vulnerability_bound(const Model& model, std::size_t region, const Stratum& s) {
  return stratum_vulnerability(model, region, s, 1.0);
}

std::uint64_t untouched(const State& state, std::size_t region) {
  std::uint64_t n = 0;
  for (const Stratum& s : state.strata[region]) n += s.people;
  return n;
}

std::size_t stratum_at(const std::vector<Stratum>& strata, double position, double& fraction) {
  double below = 0;
  std::size_t last = strata.size();
  for (std::size_t k = 0; k < strata.size(); ++k) {
    if (strata[k].people == 0) continue;
    const double people = static_cast<double>(strata[k].people);
    last = k;
    if (position < below + people) {
      fraction = std::clamp((position - below) / people, 1e-12, 1.0 - 1e-12);
      return k;
    }
    below += people;
  }
  fraction = 1.0 - 1e-12;
  return last;
}

DrawnPerson draw_person(State& state, std::size_t region, double u) {
  const std::vector<std::uint32_t>& members = state.members[region];
  const auto untouched_here = static_cast<double>(untouched(state, region));
  const double position = u * (untouched_here + static_cast<double>(members.size()));
  DrawnPerson drawn;
  if (position < untouched_here) {
    std::vector<Stratum>& strata = state.strata[region];
    drawn.stratum = &strata[stratum_at(strata, position, drawn.fraction)];
  } else {
    drawn.agent = members[std::min(members.size() - 1, static_cast<std::size_t>(position - untouched_here))];
  }
  return drawn;
}

RegionDraws::RegionDraws(State& state, std::size_t region) : state_(state), region_(region) {
  if (region >= state.strata.size()) return;  // every person an agent: nothing to draw from
  const std::vector<Stratum>& strata = state.strata[region];
  tree_.assign(strata.size(), 0);
  for (std::size_t i = 1; i <= strata.size(); ++i) {
    tree_[i - 1] += strata[i - 1].people;
    untouched_ += strata[i - 1].people;
    const std::size_t parent = i + (i & (~i + 1));
    if (parent <= strata.size()) tree_[parent - 1] += tree_[i - 1];
  }
}

DrawnPerson RegionDraws::draw(double u) {
  const std::vector<std::uint32_t>& members = state_.members[region_];
  const auto untouched_here = static_cast<double>(untouched_);
  const double position = u * (untouched_here + static_cast<double>(members.size()));
  DrawnPerson drawn;
  if (!(position < untouched_here)) {
    drawn.agent = members[std::min(members.size() - 1, static_cast<std::size_t>(position - untouched_here))];
    return drawn;
  }
  // The first stratum whose people, with all before it, exceed the
  // position: the walk's stratum_at (the sums are whole numbers, exact as
  // doubles, and a stratum without people adds nothing).
  std::vector<Stratum>& strata = state_.strata[region_];
  std::size_t at = 0;
  std::uint64_t below = 0;
  std::size_t stride = 1;
  while (stride * 2 <= tree_.size()) stride *= 2;
  for (; stride > 0; stride /= 2)
    if (at + stride <= tree_.size() && static_cast<double>(below + tree_[at + stride - 1]) <= position) {
      at += stride;
      below += tree_[at - 1];
    }
  if (at == strata.size()) return draw_person(state_, region_, u);  // rounding past the end: as the walk
  const auto people = static_cast<double>(strata[at].people);
  drawn.stratum = &strata[at];
  drawn.fraction = std::clamp((position - static_cast<double>(below)) / people, 1e-12, 1.0 - 1e-12);
  return drawn;
}

std::uint32_t RegionDraws::materialise(const Model& model, Stratum& s, double vulnerability) {
  std::vector<Stratum>& strata = state_.strata[region_];
  for (std::size_t i = static_cast<std::size_t>(&s - strata.data()) + 1; i <= tree_.size(); i += i & (~i + 1))
    --tree_[i - 1];
  --untouched_;
  return tipsim::materialise(model, state_, region_, s, vulnerability);
}

std::uint32_t materialise(const Model& model, State& state, std::size_t region, Stratum& s,
                          double vulnerability) {
  const std::uint32_t id = next_agent_id(state);
  become_agent(model, state, region, s, vulnerability, id);
  return id;
}

std::uint32_t next_agent_id(State& state) {
  Persons& p = state.persons;
  if (!state.vacant.empty()) {
    const std::uint32_t id = state.vacant.back();
    state.vacant.pop_back();
    return id;
  }
  if (p.size() >= 0xFFFFFFFFu)
    throw std::length_error("more than 4 294 967 294 people are agents at once in one replicate");
  p.append_untouched();
  return static_cast<std::uint32_t>(p.size() - 1);
}

void become_agent(const Model& model, State& state, std::size_t region, Stratum& s, double vulnerability,
                  std::uint32_t id) {
  Persons& p = state.persons;
  p.flags[id] = stratum_trait::person_flags(s.traits);
  p.empowered[id] = s.traits & stratum_trait::kEmpowered ? 1 : 0;
  // A survivor back from the strata: trafficked before (how often is not
  // kept), with their last exit's route and services' record.
  if (const std::uint8_t route = (s.traits & stratum_trait::kRouteMask) >> stratum_trait::kRouteShift) {
    p.times_trafficked[id] = 1;
    p.survivor[id] = static_cast<std::uint8_t>(
        route | (s.traits & stratum_trait::kAssisted ? survivor_bits::kAssisted : 0));
  }
  p.vulnerability[id] = static_cast<float>(vulnerability);
  p.home_region[id] = static_cast<std::uint8_t>(region);
  p.current_region[id] = static_cast<std::uint8_t>(region);
  p.awareness_boost[id] = static_cast<float>(level_boost(model, s.awareness_level, state.step));
  p.awareness_step[id] = state.step;
  p.state_since[id] = state.step;
  --s.people;
  state.members[region].push_back(id);
}

bool can_return_to_strata(const State& state, std::uint32_t i) {
  const Persons& p = state.persons;
  return p.state[i] == static_cast<std::uint8_t>(PersonState::Free) && p.reviews_pending[i] == 0 &&
         p.current_region[i] == p.home_region[i];
}

namespace {

// The stratum that person i, free at home, joins: their traits and
// history, the bin of their vulnerability (before empowerment's cut, as the
// bins are of the step-0 distribution), the level of their campaign boost.
Stratum stratum_of(const Model& model, const State& state, std::uint32_t i) {
  const Persons& p = state.persons;
  const std::size_t r = p.home_region[i];
  auto traits = static_cast<std::uint16_t>(p.flags[i] & (stratum_trait::kFemale | stratum_trait::kChild));
  if (p.empowered[i]) traits |= stratum_trait::kEmpowered;
  const std::uint8_t route = p.survivor[i] & survivor_bits::kRouteMask;
  traits |= static_cast<std::uint16_t>(route << stratum_trait::kRouteShift);
  if (p.survivor[i] & survivor_bits::kAssisted) traits |= stratum_trait::kAssisted;
  if (p.flags[i] & person_flag::kCriminalised) traits |= stratum_trait::kCriminalised;
  if (p.flags[i] & person_flag::kRecovering) traits |= stratum_trait::kRecovering;
  const double cut = p.empowered[i] ? 1.0 - model.scenario.get(Param::prevention_empowerment_effect) : 1.0;
  const double vulnerability = cut > 0 ? p.vulnerability[i] / cut : 0.0;
  const std::vector<double>& q = *model.regions[r].vulnerability_quantiles;
  std::uint32_t bin = 0;
  while (bin + 1 < model.vulnerability_bins && q[(bin + 1) * Model::kQuantilesPerBin] <= vulnerability) ++bin;
  return Stratum{traits, static_cast<std::uint8_t>(bin),
                 boost_level(model, awareness_boost_now(model, state, i), state.step), 1};
}

// A region's member list back in id order and without the vacated ids
// (sorted): the members that became agents this step were appended.
void tidy_members(std::vector<std::uint32_t>& members, std::span<const std::uint32_t> vacated) {
  const auto sorted_end = std::is_sorted_until(members.begin(), members.end());
  if (sorted_end != members.end()) {
    std::sort(sorted_end, members.end());
    std::inplace_merge(members.begin(), sorted_end, members.end());
  }
  if (vacated.empty()) return;
  auto gone = vacated.begin();
  auto kept = members.begin();
  for (const std::uint32_t id : members) {
    while (gone != vacated.end() && *gone < id) ++gone;
    if (gone != vacated.end() && *gone == id) continue;
    *kept++ = id;
  }
  members.erase(kept, members.end());
}

}  // namespace

void return_to_strata(const Model& model, State& state, Scratch& scratch) {
  std::vector<std::uint32_t>& returning = scratch.returning;
  std::sort(returning.begin(), returning.end());
  returning.erase(std::unique(returning.begin(), returning.end()), returning.end());
  // Whether each can still go back, and to which stratum, in parallel: each
  // reads only their own fields.
  std::vector<ReturningSurvivor>& found = scratch.returning_found;
  size_buffer(found, returning.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, returning.size(), 1024), [&](const auto& range) {
    for (std::size_t j = range.begin(); j != range.end(); ++j) {
      const std::uint32_t i = returning[j];
      const bool returns = can_return_to_strata(state, i);
      found[j] = {returns ? stratum_of(model, state, i) : Stratum{}, state.persons.home_region[i], returns};
    }
  });
  const std::size_t regions = state.strata.size();
  std::vector<std::vector<Stratum>>& joining = scratch.strata_moved;
  joining.resize(regions);
  for (auto& region_joining : joining) region_joining.clear();
  // Per region, the vacated ids in id order, end to end in `vacated_ids`.
  std::vector<std::size_t> vacated(regions + 1, 0);
  for (const ReturningSurvivor& survivor : found)
    if (survivor.returns) {
      joining[survivor.region].push_back(survivor.stratum);
      ++vacated[survivor.region + 1];
    }
  for (std::size_t r = 0; r < regions; ++r) vacated[r + 1] += vacated[r];
  std::vector<std::uint32_t>& vacated_ids = scratch.vacated_ids;
  size_buffer(vacated_ids, vacated[regions]);
  {
    std::vector<std::size_t> next(vacated.begin(), vacated.end() - 1);
    for (std::size_t j = 0; j < returning.size(); ++j)
      if (found[j].returns) vacated_ids[next[found[j].region]++] = returning[j];
  }
  tbb::parallel_for(std::size_t{0}, regions, [&](std::size_t r) {
    merge_moved(state.strata[r], joining[r]);
    tidy_members(
        state.members[r],
        std::span<const std::uint32_t>(vacated_ids).subspan(vacated[r], vacated[r + 1] - vacated[r]));
  });
  // Each slot is left as if never touched (only its own fields), and vacant.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, vacated_ids.size(), 1024), [&](const auto& range) {
    for (std::size_t j = range.begin(); j != range.end(); ++j) state.persons.set_untouched(vacated_ids[j]);
  });
  state.vacant.insert(state.vacant.end(), vacated_ids.begin(), vacated_ids.end());
  returning.clear();
}

void tidy(std::vector<Stratum>& strata) {
  std::vector<Stratum> all;
  all.swap(strata);
  merge_moved(strata, all);
}

void merge_moved(std::vector<Stratum>& strata, std::vector<Stratum>& moved) {
  const auto by_key = [](const Stratum& a, const Stratum& b) { return key(a) < key(b); };
  // The moved people by key, equal keys as one and none empty (summing whole numbers: any order).
  if (!std::is_sorted(moved.begin(), moved.end(), by_key)) std::sort(moved.begin(), moved.end(), by_key);
  std::size_t kept = 0;
  for (const Stratum& m : moved) {
    if (m.people == 0) continue;
    if (kept > 0 && key(moved[kept - 1]) == key(m)) {
      moved[kept - 1].people += m.people;
    } else {
      moved[kept++] = m;
    }
  }
  moved.resize(kept);
  // Those whose stratum exists join it where it is: by binary search when
  // they are few, by one walk when they are many; the others stay in `moved`.
  const std::size_t n = strata.size();
  std::size_t fresh = 0, at = 0;
  const bool few = moved.size() * 16 < n;
  for (Stratum& m : moved) {
    const std::uint64_t k = key(m);
    if (few) {
      at = static_cast<std::size_t>(
          std::lower_bound(strata.begin() + static_cast<std::ptrdiff_t>(at), strata.end(), k,
                           [](const Stratum& s, std::uint64_t wanted) { return key(s) < wanted; }) -
          strata.begin());
    } else {
      while (at < n && key(strata[at]) < k) ++at;
    }
    if (at < n && key(strata[at]) == k) {
      strata[at].people += m.people;
    } else {
      moved[fresh++] = m;
    }
  }
  moved.resize(fresh);
  // The new strata merged in from the back: those before the first new one stay where they are.
  if (fresh > 0) {
    strata.resize(n + fresh);
    std::size_t from = n, out = n + fresh;
    for (std::size_t j = fresh; j > 0;) {
      if (from > 0 && key(strata[from - 1]) > key(moved[j - 1])) {
        strata[--out] = strata[--from];
      } else {
        strata[--out] = moved[--j];
      }
    }
  }
  moved.clear();
  // The emptied strata dropped.
  const auto empty = [](const Stratum& s) { return s.people == 0; };
  strata.erase(std::remove_if(strata.begin(), strata.end(), empty), strata.end());
}

void build_strata(const Model& model, State& state) {
  state.strata.assign(model.region_count(), {});
  state.members.assign(model.region_count(), {});
  for (std::size_t r = 0; r < model.region_count(); ++r) {
    Stream stream =
        stratum_stream(model, state, Phase::Initialise, StratumPass::Initialise, r, kRegionStream);
    add_people(model, state.regions[r].levers, r, static_cast<std::uint64_t>(model.regions[r].population),
               stream, state.strata[r]);
    tidy(state.strata[r]);
  }
}

void add_newcomers(const Model& model, const State& state, std::size_t region, std::uint64_t count,
                   Stream& stream, std::vector<Stratum>& strata) {
  add_people(model, levers(state, region), region, count, stream, strata);
}

void person_blocks(const Model& model, const State& state, std::vector<PersonBlock>& blocks) {
  if (!model.untouched_in_strata) {
    blocks = model.blocks;
    return;
  }
  blocks.clear();
  for (std::size_t r = 0; r < state.members.size(); ++r) {
    const auto size = static_cast<std::uint32_t>(state.members[r].size());
    for (std::uint32_t b = 0; b < size; b += PersonBlock::kSize)
      blocks.push_back(PersonBlock{static_cast<std::uint32_t>(r), b, std::min(size, b + PersonBlock::kSize),
                                   state.members[r].data()});
  }
}

}  // namespace tipsim
