// The sampled passes over the involved persons (involved.hpp): each person
// selected with the pass's probability, independently of who else is
// involved, the same at any thread count; and the bound a pass uses.
#include "involved.hpp"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

constexpr std::uint64_t kSamplingSeed = 0x5eed5eedULL;

struct Sampled {
  Model model;
  State state;
};

Sampled sampled(std::vector<std::uint32_t> involved, std::int32_t step = 12, std::uint32_t replicate = 3) {
  Sampled s;
  s.model.seed = kSamplingSeed;
  s.state.step = step;
  s.state.replicate = replicate;
  s.state.involved = std::move(involved);
  return s;
}

// One byte a position: whether the pass visited it (and how many times).
std::vector<std::uint8_t> visits(const Sampled& s, double p, std::uint32_t pass = 0,
                                 Phase phase = Phase::Identification) {
  std::vector<std::uint8_t> visited(s.state.involved.size(), 0);
  for_each_involved_sampled(s.model, s.state, phase, pass, p, [&](std::size_t k) { ++visited[k]; });
  return visited;
}

std::vector<std::uint32_t> every_nth(std::uint32_t n, std::uint32_t count, std::uint32_t first = 0) {
  std::vector<std::uint32_t> ids;
  for (std::uint32_t k = 0; k < count; ++k) ids.push_back(first + k * n);
  return ids;
}

// Dense ids (64 to a block), sparse ones (one a block or fewer) and ids
// past 2^31: each visited at most once, Binomial(n, p) of them in all and
// in each half of the list. A single test makes these 3 x 3 x 2 claims, so
// each has 5 standard deviations (a two-sided miss of 5.7e-7 each).
TEST(InvolvedSampling, SelectsEachPersonOnceWithTheBoundsProbability) {
  const std::vector<std::vector<std::uint32_t>> lists = {every_nth(1, 400000), every_nth(97, 200000),
                                                         every_nth(3, 200000, 0x90000000u)};
  for (const auto& list : lists)
    for (const double p : {0.3, 0.01, 0.0005}) {
      const Sampled s = sampled(list);
      const std::vector<std::uint8_t> v = visits(s, p);
      std::uint64_t total = 0, first_half = 0, twice = 0;
      for (std::size_t k = 0; k < v.size(); ++k) {
        total += v[k];
        if (k < v.size() / 2) first_half += v[k];
        if (v[k] > 1) ++twice;
      }
      const auto n = static_cast<double>(v.size());
      EXPECT_EQ(twice, 0u);
      const double tolerance = test::binomial_tolerance(n, p, 5.0);
      EXPECT_NEAR(static_cast<double>(total), n * p, tolerance)
          << "p = " << p << ", ids " << list.front() << " by " << list[1] - list[0] << ", margin "
          << tolerance;
      const double half_tolerance = test::binomial_tolerance(n / 2, p, 5.0);
      EXPECT_NEAR(static_cast<double>(first_half), n / 2 * p, half_tolerance)
          << "p = " << p << ", margin " << half_tolerance;
    }
}

TEST(InvolvedSampling, EdgeProbabilitiesSelectNoneOrAll) {
  const Sampled s = sampled(every_nth(5, 1000));
  for (const std::uint8_t v : visits(s, 0.0)) EXPECT_EQ(v, 0);
  // Gaps beyond 2^64 (saturated to 2^64 - 1) must end a block, not wrap round.
  for (const std::uint8_t v : visits(s, 1e-300)) EXPECT_EQ(v, 0);
  for (const std::uint8_t v : visits(s, 1.0)) EXPECT_EQ(v, 1);
  const Sampled empty = sampled({});
  EXPECT_TRUE(visits(empty, 0.5).empty());
}

// A person's selection is a function of (seed, replicate, step, phase,
// pass, id): the same whether the involved list holds everyone or a few.
TEST(InvolvedSampling, APersonsSelectionDoesNotDependOnWhoElseIsInvolved) {
  const std::vector<std::uint32_t> all = every_nth(1, 300000);
  std::vector<std::uint32_t> few;
  std::vector<std::size_t> place_in_all;
  for (std::uint32_t k = 0; k < all.size(); ++k)
    if ((k * 2654435761u) % 7 == 0) {  // a scattered seventh
      few.push_back(all[k]);
      place_in_all.push_back(k);
    }
  for (const double p : {0.2, 0.004}) {
    const std::vector<std::uint8_t> in_all = visits(sampled(all), p);
    const std::vector<std::uint8_t> in_few = visits(sampled(few), p);
    std::size_t differ = 0, selected = 0;
    for (std::size_t j = 0; j < few.size(); ++j) {
      differ += in_few[j] != in_all[place_in_all[j]];
      selected += in_few[j];
    }
    EXPECT_EQ(differ, 0u) << "p = " << p;
    EXPECT_GT(selected, 0u);
  }
}

TEST(InvolvedSampling, TheSameSelectionAtAnyThreadCount) {
  const Sampled s = sampled(every_nth(2, 500000));
  std::vector<std::vector<std::uint8_t>> by_threads;
  for (const int threads : {1, 2, 8}) {
    tbb::task_arena arena(threads);
    arena.execute([&] { by_threads.push_back(visits(s, 0.02)); });
  }
  EXPECT_EQ(by_threads[0], by_threads[1]);
  EXPECT_EQ(by_threads[0], by_threads[2]);
}

// Another pass, phase, step, replicate or seed selects others: agreement
// on the selected is what independent selections give, not all of them.
TEST(InvolvedSampling, OtherPassesPhasesStepsAndSeedsSelectOthers) {
  const std::vector<std::uint32_t> ids = every_nth(1, 200000);
  const double p = 0.05;
  const std::vector<std::uint8_t> base = visits(sampled(ids), p);
  Sampled other_seed = sampled(ids);
  other_seed.model.seed = kSamplingSeed + 1;
  const std::vector<std::vector<std::uint8_t>> others = {
      visits(sampled(ids), p, 1), visits(sampled(ids), p, 0, Phase::Exploitation),
      visits(sampled(ids, 13), p), visits(sampled(ids, 12, 4), p), visits(other_seed, p)};
  std::uint64_t base_selected = 0;
  for (const std::uint8_t v : base) base_selected += v;
  for (std::size_t o = 0; o < others.size(); ++o) {
    std::uint64_t both = 0;
    for (std::size_t k = 0; k < ids.size(); ++k) both += base[k] && others[o][k];
    // Independent: Binomial(selected, p) of the base's selected are selected again.
    const auto n = static_cast<double>(base_selected);
    const double tolerance = test::binomial_tolerance(n, p, 5.0);
    EXPECT_NEAR(static_cast<double>(both), n * p, tolerance) << "other " << o << ", margin " << tolerance;
  }
}

// The bound is the floor's probability while the step's largest probability
// is below it, then the floor's hazard doubled until it covers it.
TEST(InvolvedSampling, TheBoundIsTheFloorUntilTheLargestProbabilityPassesIt) {
  const double dt = 7.0 / 365.0;
  const double floor = 0.25;
  EXPECT_EQ(selection_probability(0.0, floor, dt), step_probability(floor, dt));
  EXPECT_EQ(selection_probability(step_probability(0.2, dt), floor, dt), step_probability(floor, dt));
  EXPECT_EQ(selection_probability(step_probability(0.3, dt), floor, dt), step_probability(0.5, dt));
  EXPECT_EQ(selection_probability(step_probability(0.9, dt), floor, dt), step_probability(1.0, dt));
  EXPECT_EQ(selection_probability(step_probability(1.1, dt), floor, dt), step_probability(2.0, dt));
  for (double p = 1e-6; p < 1.0; p *= 1.7) EXPECT_GE(selection_probability(p, floor, dt), p) << p;
  EXPECT_EQ(selection_probability(1.0, floor, dt), 1.0);
}

// New ids join a list of several blocks of 65 536 as std::merge joins them:
// below the first id, above the last, at the blocks' first ids' doorsteps
// and in runs inside one block, at one thread and at two.
TEST(JoinInvolved, TheSameListAsOneMergeAcrossBlocks) {
  std::vector<std::uint32_t> involved = every_nth(3, 300000, 10);
  std::vector<std::uint32_t> added = {0, 1, 9};
  for (std::uint32_t b = 1; b <= 4; ++b) {
    const std::uint32_t first = involved[b * 65536];
    added.push_back(first - 1);
    added.push_back(first + 1);
  }
  for (std::uint32_t k = 0; k < 5000; ++k) added.push_back(involved[70000] + 3 * k + 2);
  added.push_back(involved.back() + 1);
  added.push_back(involved.back() + 7);
  std::sort(added.begin(), added.end());
  std::vector<std::uint32_t> expected(involved.size() + added.size());
  std::merge(involved.begin(), involved.end(), added.begin(), added.end(), expected.begin());
  for (const int threads : {1, 2}) {
    State state;
    state.involved = involved;
    std::vector<std::uint32_t> buffer;
    tbb::task_arena(threads).execute([&] { join_involved(state, added, buffer); });
    EXPECT_EQ(state.involved, expected) << threads << " threads";
  }
  State unchanged;
  unchanged.involved = involved;
  std::vector<std::uint32_t> buffer;
  join_involved(unchanged, {}, buffer);
  EXPECT_EQ(unchanged.involved, involved);
}

}  // namespace
}  // namespace tipsim
