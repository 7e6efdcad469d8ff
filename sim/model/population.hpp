// The free population when untouched people are counts in strata
// (population.untouched_in_strata): what a stratum keeps of its people, how
// one of them becomes an agent, and the passes' view of a region's agents.
// docs/model.md ("The population") gives the equations and what a stratum
// gives up.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "model.hpp"
#include "random.hpp"
#include "state.hpp"
#include "step_context.hpp"

namespace tipsim {

// The width of an awareness level, in log of the campaign boost: a
// stratum's boost is exact to within half a level (+-5 %). Boosts live
// ln(1 / kNegligibleBoost) / width = 92 levels, so a cell holds at most 94
// strata however long campaigns go on (460 at the width of 0.02 before,
// when a step of a 15-year world of a billion cost 3.5 to 3.9 times one of
// 10 million: docs/performance.md).
inline constexpr double kAwarenessLevelWidth = 0.1;
// The width of the levels of "strata/awareness_level", the array of
// checkpoints written before this one; read, they go to the nearest level.
inline constexpr double kAwarenessLevelWidthBefore = 0.02;
// A boost below this is none: awareness is at the base to within 1e-4.
inline constexpr double kNegligibleBoost = 1e-4;

// The passes over strata, each with streams of its own (stratum_stream):
// a stratum's own, and the one the pass's small strata share (StrataHits).
enum class StratumPass : std::uint32_t {
  Recruitment = 0,
  Campaigns = 1,
  Turnover = 2,
  Newcomers = 3,
  Ageing = 4,
  Initialise = 5,
  RecruitmentShared = 6,
  CampaignsShared = 7,
  EmpowermentShared = 8,
  TurnoverShared = 9,
  AgeingShared = 10,
  Recovery = 11,
  RecoveryShared = 12,
  RecoveryWithRecordShared = 13,
};

// A stratum's stream in a pass: stratum `index` of region `region`'s list
// as it stands at the pass (index kRegionStream: the region's own).
inline constexpr std::uint32_t kRegionStream = (1u << 20) - 1;
inline Stream stratum_stream(const Model& model, const State& state, Phase phase, StratumPass pass,
                             std::size_t region, std::uint32_t index) {
  return Stream(
      model.seed, state.replicate, static_cast<std::uint32_t>(state.step), phase, AgentKind::Stratum,
      (static_cast<std::uint32_t>(pass) << 28) | (static_cast<std::uint32_t>(region) << 20) | index);
}
// Uniform in (0, 1) from the next word of a stream's URNG interface.
double next_uniform(Stream& stream);
// Binomial(n, p) from a stream's URNG interface; log_q = log(1 - p), which
// a pass over many strata with one p computes once. Small means (most
// strata of most worlds) by inversion from P(0) = q^n, larger ones by
// Boost's BTRD.
std::uint64_t binomial(Stream& stream, std::uint64_t n, double p, double log_q);
inline std::uint64_t binomial(Stream& stream, std::uint64_t n, double p) {
  return binomial(stream, n, p, p < 1 ? std::log1p(-p) : 0.0);
}

// Who among the people of strata, taken in order, is hit, each person
// independently with probability p: a stratum whose mean n p reaches
// kOwnBinomialMean draws a Binomial on its own stream; the smaller ones
// share one geometric skip process over their people laid end to end, so
// that a stratum of a handful of people (most strata of a small world)
// costs no logarithm or exponential. Either way each person is hit with
// probability p, independently.
class StrataHits {
 public:
  static constexpr double kOwnBinomialMean = 2.0;
  StrataHits(Stream shared, double p)
      : shared_(shared), p_(p), log_q_(p > 0 && p < 1 ? std::log1p(-p) : 0.0) {
    gap_ = next_gap();
  }
  // Whether a stratum of n people shares the skip process.
  bool shared_by(std::uint64_t n) const { return static_cast<double>(n) * p_ < kOwnBinomialMean; }
  // The hits among n people: from the shared process when shared_by(n),
  // else a Binomial on `own` (the stratum's stream).
  std::uint64_t hits(std::uint64_t n, Stream& own) {
    if (!shared_by(n)) return binomial(own, n, p_, log_q_);
    std::uint64_t hit = 0;
    while (gap_ < n) {
      ++hit;
      n -= gap_ + 1;
      gap_ = next_gap();
    }
    gap_ -= n;
    return hit;
  }
  // The shared stream, for draws about the small strata's hits.
  Stream& shared() { return shared_; }
  double p() const { return p_; }

 private:
  std::uint64_t next_gap() {
    if (!(p_ > 0)) return ~std::uint64_t{0};
    if (p_ >= 1) return 0;
    const double gap = std::floor(std::log(next_uniform(shared_)) / log_q_);
    return gap >= 1.8e19 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(gap);
  }
  Stream shared_;
  double p_, log_q_;
  std::uint64_t gap_ = 0;
};

// The campaign boost of awareness level `level` at `step` (0 for kNoBoost),
// and the level of a boost set at `step`: boost(t) = exp(level x width -
// decay x t), so that decay moves no one between levels.
double level_boost(const Model& model, std::int32_t level, std::int32_t step);
std::int32_t boost_level(const Model& model, double boost, std::int32_t step);
// The lowest level whose boost at `step` is not negligible (kNegligibleBoost).
std::int32_t lowest_boosted_level(const Model& model, std::int32_t step);
// The awareness of the people of a stratum now, as awareness_now() gives it
// for a person.
double stratum_awareness(const Model& model, const State& state, std::size_t region, const Stratum& s);

// The vulnerability of a person of stratum s at position u in (0, 1) of
// their bin (the step-0 quantiles, linear between points; less by the
// empowerment cut for the empowered), and the largest a person of s has.
double stratum_vulnerability(const Model& model, std::size_t region, const Stratum& s, double u);
double stratum_vulnerability_bound(const Model& model, std::size_t region, const Stratum& s);

// The number of untouched people of a region.
std::uint64_t untouched(const State& state, std::size_t region);
// The stratum at `position` in [0, untouched) of the region's strata laid
// end to end, and the position's fraction of the way through it (uniform in
// (0, 1) when the position is).
std::size_t stratum_at(const std::vector<Stratum>& strata, double position, double& fraction);

// A person of region r drawn uniformly by u in (0, 1) over its untouched
// people and its agents: an untouched one (stratum, with the fraction of
// the way through it that places their vulnerability in the bin) or an
// agent (their id). For the warm start's victims and the newborn's place.
struct DrawnPerson {
  Stratum* stratum = nullptr;  // null: an agent
  double fraction = 0;
  std::uint32_t agent = 0;
};
DrawnPerson draw_person(State& state, std::size_t region, double u);

// draw_person for many draws in a row of one region, each in log(strata)
// rather than a walk over the region's strata: the strata's people as a
// Fenwick tree of whole numbers, whose sums are the walk's, exactly. Valid
// while the region's strata change only by the people this object makes
// agents (materialise).
class RegionDraws {
 public:
  RegionDraws(State& state, std::size_t region);
  // What draw_person(state, region, u) gives.
  DrawnPerson draw(double u);
  // materialise(model, state, region, s, vulnerability), s one of the region's strata.
  std::uint32_t materialise(const Model& model, Stratum& s, double vulnerability);

 private:
  State& state_;
  std::size_t region_;
  std::uint64_t untouched_ = 0;
  std::vector<std::uint64_t> tree_;  // 1-based Fenwick tree over the strata's people
};

// One person of stratum s of `region` becomes an agent with this
// vulnerability (s loses them): the last vacant slot or a new one, home and
// where they are the region, the stratum's traits, history and awareness.
// Returns the id.
std::uint32_t materialise(const Model& model, State& state, std::size_t region, Stratum& s,
                          double vulnerability);
// materialise in two parts: the id the next person to become an agent
// takes (the last vacant slot or a new one, appended untouched), and what
// becoming that agent writes (only the person, s and the region's members).
std::uint32_t next_agent_id(State& state);
void become_agent(const Model& model, State& state, std::size_t region, Stratum& s, double vulnerability,
                  std::uint32_t id);

// Whether person i can go back to the strata: free at home, no review of
// theirs pending (a review reads the person). A survivor still recovering
// goes back too, and recovers there (recover_in_strata).
bool can_return_to_strata(const State& state, std::uint32_t i);
// The step's end: the survivors in Scratch::returning who still can return
// to the strata (docs/model.md, "The population"): each joins the stratum
// of their traits, history, vulnerability bin and awareness level, their
// slot is left vacant for the next person to become an agent, and the
// regions' member lists are put back in id order.
void return_to_strata(const Model& model, State& state, Scratch& scratch);

// Sorts a region's strata by (traits, bin, level), merges equal keys and
// drops the empty ones.
void tidy(std::vector<Stratum>& strata);
// The same for sorted `strata` (empty ones allowed) and people moving into
// strata, `moved`, in any order (emptied): a merge, not a sort of all.
void merge_moved(std::vector<Stratum>& strata, std::vector<Stratum>& moved);

// Each region's untouched people at step 0: a multinomial over sex, age
// group and vulnerability bin, with the region's levers.
void build_strata(const Model& model, State& state);

// Adds `count` newcomers to a region's strata: sex, age group and
// vulnerability bin drawn with the levers in force, no boost, not
// empowered. Uses `stream`'s URNG words.
void add_newcomers(const Model& model, const State& state, std::size_t region, std::uint64_t count,
                   Stream& stream, std::vector<Stratum>& strata);

// The region's agents in slices, the units of the passes over the whole
// population: the model's blocks when every person is an agent, else
// slices of State::members (valid until a member is added).
void person_blocks(const Model& model, const State& state, std::vector<PersonBlock>& blocks);

}  // namespace tipsim
