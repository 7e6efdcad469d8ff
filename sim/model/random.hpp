// Counter-based random streams. Every number is a pure function of
// (seed, replicate, step, phase, agent, draw), so results do not depend on
// the number of threads or on the order in which agents are processed.
#pragma once

#include <Random123/philox.h>

#include <Random123/uniform.hpp>
#include <cmath>
#include <cstdint>

namespace tipsim {

// The phases of a step, each with its own random stream.
enum class Phase : std::uint32_t {
  Initialise = 0,
  Policy,
  Prevention,
  Market,
  Recruitment,
  Movement,
  Exploitation,
  Identification,
  Prosecution,
  Protection,
  Demography,
  Survivors,  // after Demography in the enum (stream ids), between Protection and Demography in the step
};

// Which kind of agent a stream belongs to: ids of different kinds overlap.
enum class AgentKind : std::uint32_t {
  Person = 0,
  Trafficker = 1,
  Region = 2,
  PersonBlock = 3,
  Stratum = 4,
  InvolvedBlock = 5,  // 64 ids of persons, for the sampled passes over the involved (involved.hpp)
};

// The random numbers of one agent in one phase of one step. Draws are
// numbered; draw k of a given stream is always the same number.
//
// Philox4x32 counter: ctr[0] draw block (4 draws each), ctr[1] step,
// ctr[2] agent id, ctr[3] phase (6 bits) | agent kind (4 bits) | replicate
// (22 bits); key: the 64-bit seed. Distinct tuples give distinct counters.
class Stream {
 public:
  using Philox = r123::Philox4x32;
  static constexpr std::uint32_t kMaxReplicates = 1u << 22;

  Stream(std::uint64_t seed, std::uint32_t replicate, std::uint32_t step, Phase phase, AgentKind kind,
         std::uint32_t agent) {
    key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    ctr_ = {{0, step, agent,
             (static_cast<std::uint32_t>(phase) << 26) | (static_cast<std::uint32_t>(kind) << 22) |
                 (replicate & (kMaxReplicates - 1))}};
  }

  // Uniform in (0, 1): never exactly 0 or 1, so logs and ratios are safe.
  double uniform(std::uint32_t draw) {
    const std::uint32_t block = draw >> 2;
    if (block != cached_block_) {
      ctr_[0] = block;
      cached_ = Philox()(ctr_, key_);
      cached_block_ = block;
    }
    return r123::u01<double>(cached_[draw & 3u]);
  }

  bool bernoulli(std::uint32_t draw, double p) { return uniform(draw) < p; }

  // Number of failures before the first success, for success probability p
  // in (0, 1]: the gap to the next event when skipping over agents.
  std::uint64_t geometric_gap(std::uint32_t draw, double p) {
    if (p >= 1.0) return 0;
    return geometric_gap_of_log(draw, std::log1p(-p));
  }
  // The same gap for log_q = log(1 - p), p in (0, 1): for passes that draw
  // many gaps with one p and take the logarithm once.
  std::uint64_t geometric_gap_of_log(std::uint32_t draw, double log_q) {
    const double gap = std::floor(std::log(uniform(draw)) / log_q);
    return gap >= 1.8e19 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(gap);
  }

  // Poisson count with mean lambda (inversion for small means, a normal
  // approximation rounded at zero above 60, which is ample for counts of
  // entering traffickers per region and step).
  std::uint64_t poisson(std::uint32_t first_draw, double lambda);

  // The URNG interface for Boost.Random distributions: consecutive 32-bit
  // words of this stream starting from draw block 1 << 20.
  using result_type = std::uint32_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return 0xFFFFFFFFu; }
  result_type operator()() {
    const std::uint32_t draw = (1u << 20) + urng_next_++;
    const std::uint32_t block = draw >> 2;
    if (block != cached_block_) {
      ctr_[0] = block;
      cached_ = Philox()(ctr_, key_);
      cached_block_ = block;
    }
    return cached_[draw & 3u];
  }

 private:
  Philox::key_type key_;
  Philox::ctr_type ctr_;
  Philox::ctr_type cached_{};
  std::uint32_t cached_block_ = ~0u;
  std::uint32_t urng_next_ = 0;
};

inline std::uint64_t Stream::poisson(std::uint32_t first_draw, double lambda) {
  if (!(lambda > 0)) return 0;
  if (lambda > 60) {
    // Box-Muller from two draws.
    const double u1 = uniform(first_draw), u2 = uniform(first_draw + 1);
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    const double x = std::floor(lambda + std::sqrt(lambda) * z + 0.5);
    return x < 0 ? 0 : static_cast<std::uint64_t>(x);
  }
  // Inversion of the CDF with one draw.
  const double u = uniform(first_draw);
  double p = std::exp(-lambda), cdf = p;
  std::uint64_t k = 0;
  while (u > cdf && k < 1000) {
    ++k;
    p *= lambda / static_cast<double>(k);
    cdf += p;
  }
  return k;
}

}  // namespace tipsim
