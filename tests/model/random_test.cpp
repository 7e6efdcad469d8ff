// The counter-based streams (random.hpp) and skip-sampling (sampling.hpp):
// every number a pure function of its name, independent streams for
// different names, and the distributions the phases rely on.
#include "random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "sampling.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ull;

Stream person(std::uint32_t step, Phase phase, std::uint32_t id, std::uint32_t replicate = 0,
              std::uint64_t seed = kSeed) {
  return Stream(seed, replicate, step, phase, AgentKind::Person, id);
}

std::vector<double> first_draws(Stream s, std::uint32_t n = 8) {
  std::vector<double> out;
  for (std::uint32_t k = 0; k < n; ++k) out.push_back(s.uniform(k));
  return out;
}

TEST(Stream, SameNameGivesTheSameNumbers) {
  EXPECT_EQ(first_draws(person(7, Phase::Recruitment, 42)), first_draws(person(7, Phase::Recruitment, 42)));
}

TEST(Stream, DrawDoesNotDependOnTheOrderOfAccess) {
  // Phases read draws out of order (draw 2 before draw 0 after a skip); a
  // draw must be the same whatever was read before it.
  Stream forward = person(3, Phase::Exploitation, 9);
  Stream backward = person(3, Phase::Exploitation, 9);
  std::vector<double> a(12), b(12);
  for (std::uint32_t k = 0; k < 12; ++k) a[k] = forward.uniform(k);
  for (std::uint32_t k = 12; k-- > 0;) b[k] = backward.uniform(k);
  EXPECT_EQ(a, b);
}

TEST(Stream, EveryPartOfTheNameChangesTheNumbers) {
  const std::vector<double> base = first_draws(person(5, Phase::Identification, 100, 2));
  std::vector<std::vector<double>> others = {
      first_draws(person(6, Phase::Identification, 100, 2)),                                // step
      first_draws(person(5, Phase::Prosecution, 100, 2)),                                   // phase
      first_draws(person(5, Phase::Identification, 101, 2)),                                // agent
      first_draws(person(5, Phase::Identification, 100, 3)),                                // replicate
      first_draws(person(5, Phase::Identification, 100, 2, kSeed + 1)),                     // seed
      first_draws(Stream(kSeed, 2, 5, Phase::Identification, AgentKind::Trafficker, 100)),  // kind
      first_draws(Stream(kSeed, 2, 5, Phase::Identification, AgentKind::Region, 100)),
      first_draws(Stream(kSeed, 2, 5, Phase::Identification, AgentKind::PersonBlock, 100)),
  };
  std::set<double> seen(base.begin(), base.end());
  for (const auto& o : others) {
    EXPECT_NE(o, base);
    // No shared values at all: distinct counters give unrelated blocks.
    for (double x : o) EXPECT_TRUE(seen.insert(x).second) << x;
  }
}

TEST(Stream, HighSeedBitsMatter) {
  // The seed is 64 bits: streams differing only in the upper half differ.
  EXPECT_NE(first_draws(person(1, Phase::Market, 1, 0, 1)),
            first_draws(person(1, Phase::Market, 1, 0, 1 + (std::uint64_t{1} << 40))));
}

TEST(Stream, UniformIsInsideTheOpenUnitIntervalWithMeanOneHalf) {
  constexpr std::uint32_t kDraws = 200000;
  Stream s = person(0, Phase::Movement, 1);
  double sum = 0, lo = 1, hi = 0;
  for (std::uint32_t k = 0; k < kDraws; ++k) {
    const double u = s.uniform(k);
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  // Mean of U(0,1): 1/2 with variance 1/12 per draw.
  EXPECT_NEAR(sum / kDraws, 0.5, 4.5 * std::sqrt(1.0 / 12.0 / kDraws));
  EXPECT_LT(lo, 1e-3);
  EXPECT_GT(hi, 1.0 - 1e-3);
}

TEST(Stream, UrngWordsAreApartFromNumberedDraws) {
  // Boost distributions consume the URNG words; they must not reuse the
  // numbered draws that the same person's phase code reads.
  Stream s = person(2, Phase::Initialise, 5);
  std::set<std::uint32_t> urng;
  for (int k = 0; k < 64; ++k) urng.insert(s());
  Stream t = person(2, Phase::Initialise, 5);
  for (std::uint32_t k = 0; k < 64; ++k) {
    const double u = t.uniform(k);
    for (std::uint32_t word : urng) EXPECT_NE(u, r123::u01<double>(word));
  }
}

TEST(Stream, GeometricGapMeanIsFailuresBeforeSuccess) {
  for (const double p : {0.5, 0.1, 0.01}) {
    constexpr std::uint32_t kDraws = 100000;
    Stream s = person(0, Phase::Prevention, static_cast<std::uint32_t>(p * 1000));
    double sum = 0;
    for (std::uint32_t k = 0; k < kDraws; ++k) sum += static_cast<double>(s.geometric_gap(k, p));
    // Geometric (failures): mean (1-p)/p, variance (1-p)/p^2.
    const double mean = (1 - p) / p, sd = std::sqrt((1 - p) / (p * p) / kDraws);
    EXPECT_NEAR(sum / kDraws, mean, 4.5 * sd) << "p = " << p;
  }
  Stream s = person(0, Phase::Prevention, 0);
  EXPECT_EQ(s.geometric_gap(0, 1.0), 0u);
}

TEST(Stream, PoissonMeanAndVarianceAreLambda) {
  for (const double lambda : {0.3, 4.0, 250.0}) {
    constexpr std::uint32_t kDraws = 40000;
    double sum = 0, sum2 = 0;
    for (std::uint32_t k = 0; k < kDraws; ++k) {
      Stream s = Stream(kSeed, 0, k, Phase::Market, AgentKind::Region, 0);
      const double x = static_cast<double>(s.poisson(0, lambda));
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / kDraws, variance = sum2 / kDraws - mean * mean;
    EXPECT_NEAR(mean, lambda, 4.5 * std::sqrt(lambda / kDraws)) << "lambda = " << lambda;
    // Variance of the sample variance of a Poisson is about (lambda + 2 lambda^2) / n.
    EXPECT_NEAR(variance, lambda, 4.5 * std::sqrt((lambda + 2 * lambda * lambda) / kDraws))
        << "lambda = " << lambda;
  }
  Stream s = person(0, Phase::Market, 0);
  EXPECT_EQ(s.poisson(0, 0.0), 0u);
  EXPECT_EQ(s.poisson(0, -1.0), 0u);
}

TEST(SkipSampling, VisitsEachPersonWithProbabilityP) {
  constexpr std::uint32_t kBegin = 1000, kEnd = 201000;
  constexpr double kN = kEnd - kBegin;
  for (const double p : {0.3, 0.01, 0.0005}) {
    Stream s = Stream(kSeed, 0, 0, Phase::Prevention, AgentKind::PersonBlock, 0);
    std::uint64_t visits = 0, in_first_half = 0;
    std::int64_t last = -1;
    bool ordered = true, inside = true;
    for_each_sampled(s, kBegin, kEnd, p, [&](std::uint32_t i) {
      ++visits;
      if (i < kBegin + kN / 2) ++in_first_half;
      ordered = ordered && static_cast<std::int64_t>(i) > last;
      inside = inside && i >= kBegin && i < kEnd;
      last = i;
    });
    EXPECT_TRUE(ordered) << "visits must come in increasing id order, each once";
    EXPECT_TRUE(inside);
    // Binomial(n, p) visits; and no drift along the block.
    EXPECT_NEAR(static_cast<double>(visits), kN * p, test::binomial_tolerance(kN, p)) << "p = " << p;
    EXPECT_NEAR(static_cast<double>(in_first_half), kN / 2 * p, test::binomial_tolerance(kN / 2, p));
  }
}

TEST(SkipSampling, EdgeProbabilities) {
  Stream s = Stream(kSeed, 0, 0, Phase::Prevention, AgentKind::PersonBlock, 0);
  int visits = 0;
  for_each_sampled(s, 0, 1000, 0.0, [&](std::uint32_t) { ++visits; });
  EXPECT_EQ(visits, 0);
  std::vector<std::uint32_t> all;
  for_each_sampled(s, 10, 20, 1.0, [&](std::uint32_t i) { all.push_back(i); });
  EXPECT_EQ(all, (std::vector<std::uint32_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  for_each_sampled(s, 20, 20, 0.5, [&](std::uint32_t) { ++visits; });
  EXPECT_EQ(visits, 0);
}

TEST(SkipSampling, SameStreamSameVisits) {
  std::vector<std::uint32_t> a, b;
  Stream s1 = Stream(kSeed, 1, 4, Phase::Demography, AgentKind::PersonBlock, 3);
  Stream s2 = Stream(kSeed, 1, 4, Phase::Demography, AgentKind::PersonBlock, 3);
  for_each_sampled(s1, 0, 100000, 0.02, [&](std::uint32_t i) { a.push_back(i); });
  for_each_sampled(s2, 0, 100000, 0.02, [&](std::uint32_t i) { b.push_back(i); });
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.empty());
}

// Every Efraimidis-Spirakis key, largest first: the first `chosen` are
// what largest_sampling_keys must return, pair for pair.
std::vector<std::pair<double, std::int32_t>> all_keys_sorted(const std::vector<double>& weights,
                                                             const std::vector<double>& draws,
                                                             const std::vector<std::int32_t>& ids) {
  std::vector<std::pair<double, std::int32_t>> keys;
  for (std::size_t x = 0; x < weights.size(); ++x)
    if (weights[x] > 0) keys.emplace_back(std::log(draws[x]) / weights[x], ids[x]);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  return keys;
}

// Weights spread over four orders of magnitude, some none and some NaN (a
// trafficker awaiting a verdict), in runs so that the blocks and the
// sampled items see different mixes; ids in decreasing order, so that ties
// are broken by id and not by place.
struct SamplingItems {
  std::vector<double> weights, draws;
  std::vector<std::int32_t> ids;
  std::size_t with_weight = 0;
};
SamplingItems sampling_items(std::size_t n, bool pairs_tie) {
  SamplingItems items;
  Stream s = Stream(kSeed, 0, 7, Phase::Prosecution, AgentKind::Trafficker, 11);
  for (std::size_t x = 0; x < n; ++x) {
    // With pairs_tie, items 2k and 2k + 1 share their weight and draw.
    const std::size_t k = pairs_tie ? x / 2 : x;
    const double kind = s.uniform(static_cast<std::uint32_t>(3 * k));
    double weight = std::pow(10.0, 4.0 * s.uniform(static_cast<std::uint32_t>(3 * k + 1)) - 2.0);
    if ((k / 5000) % 7 == 3) weight *= 50;  // a run of heavy items
    if (kind < 0.05) weight = 0;
    if (kind > 0.97) weight = std::numeric_limits<double>::quiet_NaN();
    items.weights.push_back(weight);
    items.draws.push_back(s.uniform(static_cast<std::uint32_t>(3 * k + 2)));
    items.ids.push_back(static_cast<std::int32_t>(n - x));
    if (weight > 0) ++items.with_weight;
  }
  return items;
}

TEST(SamplingKeys, TheLargestKeysAreThoseOfKeyingAndSortingEveryItem) {
  for (const bool pairs_tie : {false, true}) {
    const SamplingItems items = sampling_items(300000, pairs_tie);
    const auto sorted = all_keys_sorted(items.weights, items.draws, items.ids);
    SamplingKeys sc;
    for (const std::size_t chosen : {std::size_t{1}, std::size_t{2}, std::size_t{37}, std::size_t{1000},
                                     std::size_t{40000}, items.with_weight}) {
      largest_sampling_keys(
          items.weights.size(), chosen, [&](std::size_t x) { return items.weights[x]; },
          [&](std::size_t x) { return items.draws[x]; }, [&](std::size_t x) { return items.ids[x]; }, sc);
      ASSERT_GE(sc.keys.size(), chosen);
      const auto end = static_cast<std::ptrdiff_t>(chosen);
      EXPECT_TRUE(std::equal(sc.keys.begin(), sc.keys.begin() + end, sorted.begin(), sorted.begin() + end))
          << "chosen " << chosen << (pairs_tie ? ", pairs of items tied" : "");
    }
  }
}

// The threshold is what saves the logarithms: for a few chosen among many,
// only a small share of the items is keyed.
TEST(SamplingKeys, FewChosenAmongManyKeyFewItems) {
  const SamplingItems items = sampling_items(300000, false);
  SamplingKeys sc;
  for (const std::size_t chosen : {std::size_t{1}, std::size_t{37}, std::size_t{300}}) {
    largest_sampling_keys(
        items.weights.size(), chosen, [&](std::size_t x) { return items.weights[x]; },
        [&](std::size_t x) { return items.draws[x]; }, [&](std::size_t x) { return items.ids[x]; }, sc);
    // About sqrt(n x chosen) items are sampled to set the threshold and
    // about as many pass it; four times that at most.
    const double bound = 4 * std::sqrt(300000.0 * static_cast<double>(chosen));
    EXPECT_LT(static_cast<double>(sc.keys.size()), bound) << "chosen " << chosen;
    std::printf("chosen %zu of %zu with weight: %zu keyed, bound %.0f\n", chosen, items.with_weight,
                sc.keys.size(), bound);
  }
  largest_sampling_keys(
      items.weights.size(), 0, [&](std::size_t x) { return items.weights[x]; },
      [&](std::size_t x) { return items.draws[x]; }, [&](std::size_t x) { return items.ids[x]; }, sc);
  EXPECT_TRUE(sc.keys.empty());
}

}  // namespace
}  // namespace tipsim
