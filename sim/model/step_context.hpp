// What travels with a step besides the model and the state: buffers reused
// from step to step (so that a step allocates nothing once they have grown
// to the world's size) and the observers (the step's metric frame, the
// event log). Nothing in it is read by a later step: a State and a Model
// are all a run needs to continue.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <utility>
#include <vector>

#include "metrics.hpp"
#include "model.hpp"
#include "sampling.hpp"
#include "state.hpp"

namespace tipsim {

class EventLog;  // events.hpp

// A recruitment decided in parallel, applied later in id order.
struct RecruitIntent {
  std::uint32_t person;
  std::uint8_t method;
};

// A recruitment of an untouched person of a region's stratum (by its index
// in the region's list), decided in parallel: the vulnerability drawn
// within the bin, the method and the candidate's turn.
struct StratumRecruit {
  double turn;  // its place among the step's candidates
  std::uint32_t stratum;
  float vulnerability;
  std::uint8_t method;
};

// Where a recruitment candidate's turn is resolved: their region, their
// group (region x method) and whether the recruit is a woman or girl.
struct CandidatePlace {
  std::uint32_t region;
  std::uint32_t group;
  bool female;
};

// A survivor who may go back to the strata at the step's end: whether they
// still can, their home region and the stratum they would join
// (return_to_strata, population.hpp).
struct ReturningSurvivor {
  Stratum stratum;
  std::uint8_t region = 0;
  bool returns = false;
};

// Buffers of the phases. Not part of the model's state.
// An exploited victim's step (exploitation): whom they earn for, where and
// in which market, and whether they leave, gathered in parallel so that the
// pass in id order that adds it up reads no person's fields. The profit is
// the market's in the region, which the pass looks up: 8 bytes a victim
// instead of 24 with it (20 million victims at one agent per person).
struct Earning {
  // Whether exploited this step (if not, nothing else is set), and bonded at its start.
  static constexpr std::uint8_t kNotExploited = 0, kExploited = 1, kExploitedBonded = 2;
  std::int32_t controller = kNoTrafficker;
  std::uint8_t exploited = kNotExploited;
  std::uint8_t region = 0;  // where they are exploited
  std::uint8_t market = 0;
  std::uint8_t departure = 0;  // stays, escapes or is released
};

struct Scratch {
  std::vector<PersonBlock> blocks;                            // the agents in slices (population.hpp)
  std::vector<std::vector<RecruitIntent>> block_recruits;     // one per PersonBlock
  std::vector<std::vector<StratumRecruit>> stratum_recruits;  // one per region
  std::vector<CandidatePlace> turn_places;                    // one per candidate, in turn order
  std::vector<std::vector<Stratum>> strata_moved;             // one per region: people changing stratum
  std::vector<std::array<std::vector<Stratum>, 3>> strata_moves_by_kind;  // prevention's, one per region
  std::vector<RecruitIntent> recruits;
  std::vector<std::uint32_t> new_involved;
  std::vector<std::uint32_t> merged;
  std::vector<std::uint8_t> decision;          // one per involved person
  std::vector<std::uint8_t> desists;           // the market's: one per trafficker in the trade
  std::vector<std::uint8_t> marks;             // one per involved person (for_each_involved_where, movement)
  std::vector<std::uint64_t> trafficker_bits;  // a TraffickerSet's (involved.hpp): a bit per trafficker
  std::vector<Earning> earnings;               // one per involved person
  std::vector<std::uint32_t> tallies;          // a tally per chunk of involved persons (metrics, movement)
  std::vector<std::int32_t> ids;               // traffickers grouped by region (and method)
  std::vector<std::int32_t> by_region;         // prosecution's traffickers by region; next in_trade
  std::vector<std::uint32_t> offsets;          // group starts in `ids`
  std::vector<double> weights;
  std::vector<double> weights_by_sex;                   // recruitment's trees of recruiters' weights
  std::vector<std::pair<double, std::uint32_t>> turns;  // recruitment's candidates in their turns
  // Recruitment's turns resolved region by region: each group's spare
  // slots with weight for a recruit of each sex (two per group) and its
  // candidates; each region's candidates in their turns, and what they
  // give; the ids the untouched candidates take.
  std::vector<std::uint64_t> recruiter_slots;
  std::vector<std::uint64_t> group_candidates;
  std::vector<std::vector<std::uint32_t>> turns_by_region;
  std::vector<std::vector<std::uint32_t>> recruited_by_region;
  std::vector<std::vector<std::uint32_t>> returning_by_region;
  std::vector<std::uint32_t> agent_ids;
  std::vector<std::uint32_t> offsets_by_region;
  SamplingKeys sampling_keys;                  // prosecution's choice of whom to investigate
  std::vector<double> suspect_weights;         // prosecution's: one per active trafficker of a region
  std::vector<std::uint8_t> suspect_markets;   // and their markets
  std::vector<SurvivorEvent> survivor_events;  // the survivors' follow-ups due this step
  std::vector<std::uint32_t> returning;        // survivors who may go back to the strata at the step's end
  std::vector<ReturningSurvivor> returning_found;  // return_to_strata's: one per survivor in `returning`
  std::vector<std::uint32_t> vacated_ids;          // and the ids it vacates, by region
  // Exploitation's credit of the profits by range of controllers: each
  // exploited victim's controller and market (4 bytes), the ranges' cells
  // by block of the involved list, the departures each block gathers and
  // the victims each range counts by region and market.
  std::vector<std::uint32_t> credits;
  std::vector<std::size_t> credit_cells;
  std::vector<std::vector<std::size_t>> departures_by_block;
  std::vector<std::uint64_t> victims_by_range;
};

struct StepContext {
  StepContext() = default;
  explicit StepContext(const Model& model) : layout(model.layout), frame(model.layout.size(), 0.0) {}

  Scratch scratch;
  // Where the phases record events (tipsim run --events); null when the
  // log is off, so that the default path costs one test per event.
  EventLog* events = nullptr;
  FrameLayout layout;
  std::vector<double> frame;  // this step's metrics, FrameLayout order; zeroed by the step

  // A true or policy series. The model writes observed series through
  // observation.hpp only, from what agencies record (a test checks that no
  // other file of the model names one).
  double& metric(Metric m, std::size_t region, std::size_t category = 0) {
    return frame[layout.index(m, region, category)];
  }
  // An observed series: for observation.cpp alone (a test checks it).
  double& recorded(Metric m, std::size_t region, std::size_t category = 0) {
    assert(spec(m).layer == Layer::Observed);
    return frame[layout.index(m, region, category)];
  }
};

}  // namespace tipsim
