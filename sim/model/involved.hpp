// Passes over the involved persons: those that act in id order (shared
// places, the metrics' sums, the event log) but only on the few a test
// picks, and those that draw only for the few a step selects.
#pragma once

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "person_ops.hpp"
#include "scratch_buffer.hpp"
#include "state.hpp"

namespace tipsim {

// Calls act(k), in order, for every position k whose mark is not zero:
// few are marked, so the marks are skipped eight at a time where none is set.
template <typename Act>
void for_each_marked(const std::vector<std::uint8_t>& marks, Act&& act) {
  std::size_t k = 0;
  for (; k + 8 <= marks.size(); k += 8) {
    std::uint64_t eight;
    std::memcpy(&eight, marks.data() + k, sizeof eight);
    if (eight == 0) continue;
    for (std::size_t j = k; j < k + 8; ++j)
      if (marks[j]) act(j);
  }
  for (; k < marks.size(); ++k)
    if (marks[k]) act(k);
}

// Calls act(i) for every involved person i, in id order, for whom test(i)
// holds. Every test runs before any act, so an act must not change what
// another person's test reads. `marks` is scratch (one per involved person).
template <typename Test, typename Act>
void for_each_involved_where(const State& state, std::vector<std::uint8_t>& marks, Test&& test, Act&& act) {
  const std::vector<std::uint32_t>& involved = state.involved;
  size_buffer(marks, involved.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, involved.size(), 4096), [&](const auto& range) {
    for (std::size_t k = range.begin(); k != range.end(); ++k) marks[k] = test(involved[k]) ? 1 : 0;
  });
  for_each_marked(marks, [&](std::size_t k) { act(involved[k]); });
}

// People who became involved this step (`added`, sorted, none of them
// listed yet) join the sorted involved list: the merge std::merge makes,
// in parallel by blocks of the list, each block with the added ids from its
// first id up to the next block's, written where they land. `buffer` is
// scratch, swapped with the list.
inline void join_involved(State& state, const std::vector<std::uint32_t>& added,
                          std::vector<std::uint32_t>& buffer) {
  if (added.empty()) return;
  constexpr std::size_t kBlock = std::size_t{1} << 16;
  const std::vector<std::uint32_t>& involved = state.involved;
  size_buffer(buffer, involved.size() + added.size());
  const std::size_t blocks = std::max<std::size_t>(1, (involved.size() + kBlock - 1) / kBlock);
  // The first added id that goes into block b (the first of them all for
  // the first block).
  const auto added_from = [&](std::size_t b) {
    if (b == 0) return added.begin();
    if (b >= blocks) return added.end();
    return std::lower_bound(added.begin(), added.end(), involved[b * kBlock]);
  };
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
    const auto first = involved.begin() + static_cast<std::ptrdiff_t>(std::min(involved.size(), b * kBlock));
    const auto last =
        involved.begin() + static_cast<std::ptrdiff_t>(std::min(involved.size(), (b + 1) * kBlock));
    const auto from = added_from(b), to = added_from(b + 1);
    const auto at = buffer.begin() + (first - involved.begin()) + (from - added.begin());
    std::merge(first, last, from, to, at);
  });
  state.involved.swap(buffer);
}

// Traffickers as a set of ids, one bit each, for the passes over every
// involved person that ask whether their controller is in it: a bit array
// is an eighth of a byte field's size and stays in the cache, where the
// controllers' byte fields, read at random, would miss on most persons.
class TraffickerSet {
 public:
  explicit TraffickerSet(std::vector<std::uint64_t>& words) : words_(words) {}
  // The traffickers t below `traffickers` for whom member(t) holds, 64 ids
  // to a task's word.
  template <typename Member>
  void assign(std::size_t traffickers, Member&& member) {
    size_buffer(words_, (traffickers + 63) / 64);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, words_.size(), 1024), [&](const auto& range) {
      for (std::size_t w = range.begin(); w != range.end(); ++w) {
        std::uint64_t bits = 0;
        for (std::size_t b = 0; b < 64 && w * 64 + b < traffickers; ++b)
          bits |= std::uint64_t{member(w * 64 + b) ? 1u : 0u} << b;
        words_[w] = bits;
      }
    });
  }
  // The traffickers listed (ids below `traffickers`).
  void assign_ids(std::size_t traffickers, const std::vector<std::int32_t>& ids) {
    fill_buffer(words_, (traffickers + 63) / 64, std::uint64_t{0});
    for (const std::int32_t t : ids) words_[static_cast<std::size_t>(t) >> 6] |= std::uint64_t{1} << (t & 63);
  }
  // Whether controller c is in the set (kNoTrafficker never is).
  bool contains(std::int32_t c) const {
    return c >= 0 && (words_[static_cast<std::size_t>(c) >> 6] >> (c & 63) & 1) != 0;
  }

 private:
  std::vector<std::uint64_t>& words_;
};

// Sampled passes select involved persons in blocks of 64 ids: each block
// has a stream of its own (kind InvolvedBlock), whose gaps do not depend
// on who else is involved.
constexpr std::uint32_t kSampledBlockBits = 6;
// Draws of a block's stream a pass may use: at most 65 gaps in 64 ids.
constexpr std::uint32_t kDrawsPerSampledPass = 128;

// The probability with which a sampled pass selects each involved person
// for an event whose probability in a step is at most `p_max`: that of the
// hazard `floor_per_year`, doubled until it covers p_max. A bound that does
// not follow the step's hazards keeps two runs that differ in a policy
// selecting the same persons (common random numbers) as long as neither
// passes the floor.
inline double selection_probability(double p_max, double floor_per_year, double step_years) {
  if (!(p_max < 1)) return 1.0;
  const double hazard_max = -std::log1p(-p_max) / step_years;
  double hazard = floor_per_year;
  while (hazard < hazard_max) hazard *= 2;
  return std::max(step_probability(hazard, step_years), p_max);
}

// Calls visit(k), in parallel, for each position k of the involved list
// whose person is selected this step, each independently with probability
// p: the gaps between selected ids are geometric within each block of 64
// ids, drawn from draws pass x kDrawsPerSampledPass on of the block's
// stream in `phase`. Whether a person is selected depends only on (seed,
// replicate, step, phase, pass, their id), so the pass costs a draw a
// block holding involved persons and one a selected person, not one a
// person, and gives the same selection at any thread count. A visit may
// write only what belongs to position k.
template <typename Visit>
void for_each_involved_sampled(const Model& model, const State& state, Phase phase, std::uint32_t pass,
                               double p, Visit&& visit) {
  const std::vector<std::uint32_t>& involved = state.involved;
  if (!(p > 0) || involved.empty()) return;
  const double log_q = p < 1 ? std::log1p(-p) : 0.0;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, involved.size(), 4096), [&](const auto& range) {
    std::size_t k = range.begin();
    while (k < range.end()) {
      const std::uint32_t block = involved[k] >> kSampledBlockBits;
      const std::uint64_t end = (std::uint64_t{block} + 1) << kSampledBlockBits;
      if (p >= 1) {
        for (; k < range.end() && involved[k] < end; ++k) visit(k);
        continue;
      }
      Stream stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), phase,
                    AgentKind::InvolvedBlock, block);
      // The block's persons lie in at most 64 places from k on: searched, not walked.
      const auto first = involved.begin() + static_cast<std::ptrdiff_t>(k);
      const auto last = involved.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                               range.end(), k + (1u << kSampledBlockBits)));
      auto at = first;
      std::uint32_t draw = pass * kDrawsPerSampledPass;
      // The selected ids' places in the block; a gap past its end ends it
      // (compared before it is added: a gap may be as large as 2^64 - 1).
      constexpr std::uint64_t kBlockIds = std::uint64_t{1} << kSampledBlockBits;
      std::uint64_t place = stream.geometric_gap_of_log(draw++, log_q);
      while (place < kBlockIds) {
        const std::uint64_t id = (std::uint64_t{block} << kSampledBlockBits) + place;
        at = std::lower_bound(at, last, id);
        if (at == last) break;
        if (*at == id) visit(static_cast<std::size_t>(at - involved.begin()));
        const std::uint64_t gap = stream.geometric_gap_of_log(draw++, log_q);
        if (gap >= kBlockIds) break;
        place += 1 + gap;
      }
      k = static_cast<std::size_t>(std::lower_bound(at, last, end) - involved.begin());
    }
  });
}

}  // namespace tipsim
