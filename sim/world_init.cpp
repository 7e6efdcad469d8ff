#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/random/beta_distribution.hpp>
#include <cmath>
#include <numeric>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

constexpr std::uint32_t kBlockSize = 1u << 16;

// A Beta(alpha, beta) with the given mean and standard deviation.
std::pair<double, double> beta_shape(double mean, double sd) {
  const double k = mean * (1.0 - mean) / (sd * sd) - 1.0;
  return {mean * k, (1.0 - mean) * k};
}

// Rounds x up or down at random so that the expectation is x.
std::uint64_t stochastic_round(double x, double u) {
  const double whole = std::floor(x);
  return static_cast<std::uint64_t>(whole) + (u < x - whole ? 1 : 0);
}

void build_regions(World& w, const Scenario& s) {
  const std::size_t regions = s.regions.size();
  w.regions.assign(regions, RegionState{});
  double total_share = 0;
  for (const RegionSpec& r : s.regions) total_share += r.values[Param::population_share];
  const double size = s.get(Param::population_size);
  double cumulative = 0;
  std::uint32_t begin = 0;
  for (std::size_t r = 0; r < regions; ++r) {
    cumulative += s.regions[r].values[Param::population_share];
    const auto end = static_cast<std::uint32_t>(
        total_share > 0 ? std::llround(size * cumulative / total_share) : (r + 1 == regions ? size : 0));
    RegionState& rs = w.regions[r];
    rs.person_begin = begin;
    rs.person_end = std::max(begin, end);
    rs.population = rs.person_end - rs.person_begin;
    rs.levers = s.regions[r].values;
    rs.awareness_mean = rs.levers[Param::population_awareness_base];
    rs.free_persons = static_cast<std::uint32_t>(rs.population);
    begin = rs.person_end;
    for (std::uint32_t b = rs.person_begin; b < rs.person_end; b += kBlockSize)
      w.blocks.push_back(
          PersonBlock{static_cast<std::uint32_t>(r), b, std::min(rs.person_end, b + kBlockSize)});
  }

  // Routes: the remainder of each region's row is domestic trafficking.
  w.route_transit.assign(regions * regions, 0);
  std::vector<double> probability(regions * regions, 0.0);
  for (std::size_t r = 0; r < regions; ++r) probability[r * regions + r] = 1.0;
  for (const RouteSpec& route : s.routes) {
    probability[route.from * regions + route.to] += route.share;
    probability[route.from * regions + route.from] -= route.share;
    w.route_transit[route.from * regions + route.to] = route.transit_steps;
  }
  w.route_cumulative.assign(regions * regions, 0.0);
  for (std::size_t r = 0; r < regions; ++r) {
    double running = 0;
    for (std::size_t j = 0; j < regions; ++j) {
      running += std::max(0.0, probability[r * regions + j]);
      w.route_cumulative[r * regions + j] = running;
    }
  }
}

void build_persons(World& w) {
  w.persons.resize(w.regions.empty() ? 0 : w.regions.back().person_end);
  tbb::parallel_for(std::size_t{0}, w.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = w.blocks[b];
    const ParamValues& lv = w.regions[block.region].levers;
    const auto [alpha, beta] =
        beta_shape(lv[Param::population_vulnerability_mean], lv[Param::population_vulnerability_sd]);
    const double female_share = lv[Param::population_female_share];
    const double child_share = lv[Param::population_child_share];
    for (std::uint32_t i = block.begin; i < block.end; ++i) {
      Stream stream = person_stream(w, Phase::Initialise, i);
      std::uint8_t flags = 0;
      if (stream.bernoulli(0, female_share)) flags |= person_flag::kFemale;
      if (stream.bernoulli(1, child_share)) flags |= person_flag::kChild;
      boost::random::beta_distribution<double> vulnerability(alpha, beta);
      w.persons.flags[i] = flags;
      w.persons.vulnerability[i] = static_cast<float>(vulnerability(stream));
      w.persons.home_region[i] = static_cast<std::uint8_t>(block.region);
      w.persons.current_region[i] = static_cast<std::uint8_t>(block.region);
    }
  });
}

// Initial traffickers, and the victims they already hold (a warm start, so
// that a run does not begin from an empty world).
void build_traffickers(World& w, const Scenario& s) {
  const double initial_fill = s.get(Param::traffickers_initial_fill);
  const double capacity_mean = s.get(Param::traffickers_capacity_mean);
  const double join_share = s.get(Param::traffickers_network_join);
  const double max_factor = max_susceptibility(s.globals);
  std::size_t expected = 0;
  for (const RegionState& rs : w.regions)
    expected +=
        static_cast<std::size_t>(rs.levers[Param::traffickers_initial_per_100k] * rs.population / 1e5);
  w.traffickers.reserve(expected * 4 + 1024);

  std::vector<std::uint32_t> recruits;
  for (std::uint32_t r = 0; r < w.regions.size(); ++r) {
    RegionState& rs = w.regions[r];
    const ParamValues& lv = rs.levers;
    Stream stream = region_stream(w, Phase::Initialise, r);
    std::uint32_t draw = 0;
    const std::uint64_t count = stochastic_round(
        lv[Param::traffickers_initial_per_100k] * rs.population / 1e5, stream.uniform(draw++));
    const std::int32_t first_network = w.networks;
    double market_weight[kMarkets], method_share[kMethods];
    for (std::size_t m = 0; m < kMarkets; ++m) market_weight[m] = rs.market_pull[m] * rs.market_density[m];
    for (std::size_t k = 0; k < kMethods; ++k) method_share[k] = method_weight(lv, static_cast<Method>(k));
    for (std::uint64_t t = 0; t < count; ++t) {
      Stream ts = Stream(w.seed, w.replicate, 0, Phase::Initialise, AgentKind::Trafficker,
                         static_cast<std::uint32_t>(w.traffickers.size()));
      const auto market = static_cast<Market>(pick_weighted(market_weight, kMarkets, ts.uniform(0)));
      const auto method = static_cast<Method>(pick_weighted(method_share, kMethods, ts.uniform(1)));
      std::int32_t network;
      if (w.networks > first_network && ts.bernoulli(2, join_share)) {
        network = first_network +
                  static_cast<std::int32_t>(ts.uniform(3) * static_cast<double>(w.networks - first_network));
      } else {
        network = w.networks++;
      }
      const auto capacity =
          static_cast<std::uint16_t>(std::min<std::uint64_t>(60000, 1 + ts.poisson(4, capacity_mean - 1.0)));
      const std::int32_t id =
          w.traffickers.add(static_cast<std::uint8_t>(r), method, market, network, capacity);

      // Its victims: vulnerable free people of the region, by rejection.
      const std::uint64_t victims = stochastic_round(capacity * initial_fill, ts.uniform(6));
      std::uint32_t trafficker_draw = 8;
      std::uint64_t attempts = 0;
      recruits.clear();
      while (recruits.size() < victims && rs.population > 0 && attempts < 1000 * (victims + 1)) {
        ++attempts;
        const auto person =
            rs.person_begin + static_cast<std::uint32_t>(ts.uniform(trafficker_draw++) * rs.population);
        // Accepted in proportion to susceptibility, as in recruitment.
        if (ts.uniform(trafficker_draw++) * max_factor >= susceptibility(w, person)) continue;
        if (w.persons.state[person] != static_cast<std::uint8_t>(PersonState::Free)) continue;
        recruits.push_back(person);
        auto& p = w.persons;
        Stream ps = person_stream(w, Phase::Initialise, person);
        take_recruit(w, person, id, method, ps, 2);
        const std::size_t regions = w.regions.size();
        const auto destination = static_cast<std::uint8_t>(
            pick_cumulative(&w.route_cumulative[r * regions], regions, ps.uniform(4)));
        p.state[person] = static_cast<std::uint8_t>(PersonState::Exploited);
        p.current_region[person] = destination;
        if (destination != r) p.flags[person] |= person_flag::kCrossedBorder;
        ++w.regions[destination].market_victims[static_cast<std::size_t>(market)];
      }
    }
  }
}

}  // namespace

// Demand, pull and attractiveness of every region from the levers and the
// current market counts; shared by initialisation and the market phase.
void update_market_signals(World& w);

void initialise_world(World& w, const Scenario& s, std::uint32_t replicate) {
  w.scenario = &s;
  w.seed = s.seed();
  w.replicate = replicate;
  w.step = 0;
  w.step_years = s.step_years();
  w.layout = FrameLayout(s.regions.size());
  w.frame.assign(w.layout.size(), 0.0);
  build_regions(w, s);
  build_persons(w);
  update_market_signals(w);
  build_traffickers(w, s);
  update_market_signals(w);
  // Entry is measured against how well crime pays at the start; a world that
  // starts with its demand saturated measures it against a market with all
  // demand unmet instead, so that entry resumes once victims leave.
  for (RegionState& rs : w.regions)
    rs.attractiveness_start = rs.attractiveness > 0 ? rs.attractiveness : rs.attractiveness_unmet;

  w.involved.clear();
  w.involved.reserve(static_cast<std::size_t>(w.persons.size() / 50 + 4096));
  for (std::uint32_t i = 0; i < w.persons.size(); ++i)
    if (w.persons.state[i] != static_cast<std::uint8_t>(PersonState::Free)) w.involved.push_back(i);
  for (std::size_t t = 0; t < w.traffickers.size(); ++t)
    if (w.traffickers.state[t] == static_cast<std::uint8_t>(TraffickerState::Active))
      ++w.regions[w.traffickers.base_region[t]].traffickers_active;
}

}  // namespace tipsim
