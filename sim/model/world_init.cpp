#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/random/beta_distribution.hpp>
#include <cmath>
#include <numeric>
#include <optional>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "population.hpp"
#include "sampling.hpp"

namespace tipsim {

namespace {

// Draws of a person's initialisation stream, one index each. (A Beta
// variate is drawn through the stream's URNG interface, far above these.)
namespace initial_person_draw {
constexpr std::uint32_t kFemale = 0;
constexpr std::uint32_t kChild = 1;
constexpr std::uint32_t kTakeRecruit = 2;  // and 3: take_recruit, for an initial victim
constexpr std::uint32_t kDestination = 4;
}  // namespace initial_person_draw

// Draws of a region's initialisation stream.
namespace region_draw {
constexpr std::uint32_t kTraffickerCount = 0;
constexpr std::uint32_t kHeldByDescent = 1;
}  // namespace region_draw

// Draws of a holding family's initialisation stream: its market, how many
// it holds, then attempts to find them as for an initial trafficker.
namespace holder_draw {
constexpr std::uint32_t kDomestic = 0;
constexpr std::uint32_t kHeld = 1;
}  // namespace holder_draw

// Draws of an initial trafficker's stream: its attributes, the number of
// its victims, then kPerAttempt draws for each attempt to find one, from
// kFirstAttempt on.
namespace trafficker_draw {
constexpr std::uint32_t kNewcomer = 0;  // draw_newcomer's newcomer_draw::kCount draws
constexpr std::uint32_t kVictims = 6;
static_assert(kVictims >= kNewcomer + newcomer_draw::kCount);
constexpr std::uint32_t kFirstAttempt = 8;
constexpr std::uint32_t kPerAttempt = 2;
}  // namespace trafficker_draw

// Draws of one attempt to find a victim, as offsets from the attempt's first.
namespace attempt_draw {
constexpr std::uint32_t kPerson = 0;
constexpr std::uint32_t kAccepted = 1;
}  // namespace attempt_draw

// Each region's aggregates at step 0, before any trafficker: everyone free,
// the scenario's levers.
void build_regions(const Model& model, State& state) {
  const Scenario& s = model.scenario;
  state.regions.assign(model.region_count(), RegionState{});
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    RegionState& rs = state.regions[r];
    rs.levers = s.regions[r].values;
    rs.awareness_mean = rs.levers[Param::population_awareness_base];
    rs.free_persons = static_cast<std::uint64_t>(model.regions[r].population);
  }
}

// Every person's sex, age group and vulnerability, from their home region's
// levers: as agents, or as counts in strata.
void build_persons(const Model& model, State& state) {
  if (model.untouched_in_strata) {
    build_strata(model, state);
    return;
  }
  state.persons.resize(model.person_count());
  tbb::parallel_for(std::size_t{0}, model.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = model.blocks[b];
    const ParamValues& lv = state.regions[block.region].levers;
    const auto [alpha, beta] =
        beta_shape(lv[Param::population_vulnerability_mean], lv[Param::population_vulnerability_sd]);
    const double female_share = lv[Param::population_female_share];
    const double child_share = lv[Param::population_child_share];
    for (std::uint32_t i = block.begin; i < block.end; ++i) {
      Stream stream = person_stream(model, state, Phase::Initialise, i);
      std::uint8_t flags = 0;
      if (stream.bernoulli(initial_person_draw::kFemale, female_share)) flags |= person_flag::kFemale;
      if (stream.bernoulli(initial_person_draw::kChild, child_share)) flags |= person_flag::kChild;
      boost::random::beta_distribution<double> vulnerability(alpha, beta);
      state.persons.flags[i] = flags;
      state.persons.vulnerability[i] = static_cast<float>(vulnerability(stream));
      state.persons.home_region[i] = static_cast<std::uint8_t>(block.region);
      state.persons.current_region[i] = static_cast<std::uint8_t>(block.region);
    }
  });
}

// Room for the initial traffickers and those who will enter later.
void reserve_traffickers(const Model& model, State& state) {
  std::size_t expected = 0;
  for (std::size_t r = 0; r < state.regions.size(); ++r)
    expected += static_cast<std::size_t>(state.regions[r].levers[Param::traffickers_initial_per_100k] *
                                         model.regions[r].population / 1e5);
  state.traffickers.reserve(expected * 4 + 1024);
}

// An initial victim of trafficker `id` from region r, already exploited at
// a destination drawn from the region's routes.
void take_initial_victim(const Model& model, State& state, std::uint32_t r, std::uint32_t person,
                         std::int32_t id, Method method, Market market) {
  auto& p = state.persons;
  Stream ps = person_stream(model, state, Phase::Initialise, person);
  take_recruit(model, state, person, id, method, ps, initial_person_draw::kTakeRecruit);
  const std::size_t regions = state.regions.size();
  const auto destination = static_cast<std::uint8_t>(pick_cumulative(
      &model.route_cumulative[r * regions], regions, ps.uniform(initial_person_draw::kDestination)));
  p.state[person] = static_cast<std::uint8_t>(PersonState::Exploited);
  p.current_region[person] = destination;
  if (destination != r) p.flags[person] |= person_flag::kCrossedBorder;
  ++state.regions[destination].market_victims[static_cast<std::size_t>(market)];
}

// A person of region r drawn uniformly by `u`, who becomes an agent if
// accepted: `accept(vulnerability, flags)` decides with the person's
// attributes, whether they are an agent already or untouched. Returns the
// id of the person accepted, or none (drawn but refused, or not free).
template <typename Accept>
std::optional<std::uint32_t> draw_free_person(const Model& model, State& state, std::uint32_t r, double u,
                                              RegionDraws& draws, Accept&& accept) {
  const RegionModel& rm = model.regions[r];
  const auto& p = state.persons;
  if (!model.untouched_in_strata) {
    const auto person = rm.person_begin + static_cast<std::uint32_t>(u * rm.population);
    if (!accept(static_cast<double>(p.vulnerability[person]), p.flags[person])) return std::nullopt;
    if (p.state[person] != static_cast<std::uint8_t>(PersonState::Free)) return std::nullopt;
    return person;
  }
  const DrawnPerson drawn = draws.draw(u);
  if (drawn.stratum) {
    Stratum& s = *drawn.stratum;
    const double vulnerability = static_cast<float>(stratum_vulnerability(model, r, s, drawn.fraction));
    if (!accept(vulnerability, stratum_trait::person_flags(s.traits))) return std::nullopt;
    return draws.materialise(model, s, vulnerability);
  }
  const std::uint32_t person = drawn.agent;
  if (!accept(static_cast<double>(p.vulnerability[person]), p.flags[person])) return std::nullopt;
  if (p.state[person] != static_cast<std::uint8_t>(PersonState::Free)) return std::nullopt;
  return person;
}

// The victims trafficker `id` already holds: vulnerable free people of its
// region, found by rejection in proportion to susceptibility, as in
// recruitment.
void take_initial_victims(const Model& model, State& state, std::uint32_t r, std::int32_t id, Method method,
                          Market market, std::uint16_t capacity, Stream& ts, RegionDraws& draws,
                          std::vector<std::uint32_t>& recruits) {
  const RegionModel& rm = model.regions[r];
  const double initial_fill = model.scenario.get(Param::traffickers_initial_fill);
  const double max_factor = max_susceptibility(model.scenario.globals);
  const std::uint64_t victims =
      stochastic_round(capacity * initial_fill, ts.uniform(trafficker_draw::kVictims));
  std::uint32_t draw = trafficker_draw::kFirstAttempt;
  std::uint64_t attempts = 0;
  recruits.clear();
  const ParamValues& g = model.scenario.globals;
  for (; recruits.size() < victims && rm.population > 0 && attempts < 1000 * (victims + 1);
       draw += trafficker_draw::kPerAttempt) {
    ++attempts;
    const double threshold = ts.uniform(draw + attempt_draw::kAccepted) * max_factor;
    const std::optional<std::uint32_t> person =
        draw_free_person(model, state, r, ts.uniform(draw + attempt_draw::kPerson), draws,
                         [&](double vulnerability, std::uint8_t flags) {
                           return threshold < susceptibility_of(g, vulnerability, flags);
                         });
    if (!person) continue;
    recruits.push_back(*person);
    take_initial_victim(model, state, r, *person, id, method, market);
  }
}

// One initial trafficker of region r with its victims: market and method
// by the region's weights, a network of the region joined or founded.
void seed_trafficker(const Model& model, State& state, std::uint32_t r, std::int32_t first_network,
                     const EntryWeights& weights, RegionDraws& draws, std::vector<std::uint32_t>& recruits) {
  Stream ts = Stream(model.seed, state.replicate, 0, Phase::Initialise, AgentKind::Trafficker,
                     static_cast<std::uint32_t>(state.traffickers.size()));
  const Newcomer n = draw_newcomer(ts, trafficker_draw::kNewcomer, weights,
                                   model.scenario.get(Param::traffickers_network_join_share),
                                   model.scenario.get(Param::traffickers_capacity_mean));
  // One who joins a network joins one founded earlier in the same region.
  std::int32_t network;
  if (state.networks > first_network && n.joins_network) {
    network = first_network +
              static_cast<std::int32_t>(n.network_pick * static_cast<double>(state.networks - first_network));
  } else {
    network = state.networks++;
  }
  const std::int32_t id =
      state.traffickers.add(static_cast<std::uint8_t>(r), n.method, n.market, network, n.capacity);
  take_initial_victims(model, state, r, id, n.method, n.market, n.capacity, ts, draws, recruits);
}

// Initial traffickers, and the victims they already hold (a warm start, so
// that a run does not begin from an empty world).
void build_traffickers(const Model& model, State& state) {
  reserve_traffickers(model, state);
  std::vector<std::uint32_t> recruits;
  for (std::uint32_t r = 0; r < state.regions.size(); ++r) {
    const RegionState& rs = state.regions[r];
    const ParamValues& lv = rs.levers;
    Stream stream = region_stream(model, state, Phase::Initialise, r);
    const std::uint64_t count =
        stochastic_round(lv[Param::traffickers_initial_per_100k] * model.regions[r].population / 1e5,
                         stream.uniform(region_draw::kTraffickerCount));
    const std::int32_t first_network = state.networks;
    const EntryWeights weights = entry_weights(model.scenario.globals, rs);
    RegionDraws draws(state, r);
    for (std::uint64_t t = 0; t < count; ++t)
      seed_trafficker(model, state, r, first_network, weights, draws, recruits);
  }
}

// One person held by descent by family `id`: the free people of the
// region are drawn in proportion to their vulnerability (the communities
// held are among the most marginalised); they are exploited at home.
bool take_held_by_descent(const Model& model, State& state, std::uint32_t r, std::int32_t id, Market market,
                          Stream& hs, RegionDraws& draws, std::uint32_t& draw) {
  auto& p = state.persons;
  for (int attempt = 0; attempt < 1000; ++attempt, draw += trafficker_draw::kPerAttempt) {
    const double threshold = hs.uniform(draw + attempt_draw::kAccepted);
    const std::optional<std::uint32_t> found =
        draw_free_person(model, state, r, hs.uniform(draw + attempt_draw::kPerson), draws,
                         [&](double vulnerability, std::uint8_t) { return threshold < vulnerability; });
    if (!found) continue;
    const std::uint32_t person = *found;
    Stream ps = person_stream(model, state, Phase::Initialise, person);
    take_recruit(model, state, person, id, Method::DebtBased, ps, initial_person_draw::kTakeRecruit);
    p.state[person] = static_cast<std::uint8_t>(PersonState::Exploited);
    ++state.regions[r].market_victims[static_cast<std::size_t>(market)];
    draw += trafficker_draw::kPerAttempt;
    return true;
  }
  return false;
}

// People held in servitude by descent where the scenario says so, in
// families that hold servitude.household_size of them on average (a
// Poisson number, at least one), in domestic servitude or on the land.
void build_holders_by_descent(const Model& model, State& state) {
  const ParamValues& g = model.scenario.globals;
  for (std::uint32_t r = 0; r < state.regions.size(); ++r) {
    const ParamValues& lv = state.regions[r].levers;
    const double expected = lv[Param::servitude_hereditary_per_100k] * model.regions[r].population / 1e5;
    if (!(expected > 0)) continue;
    Stream stream = region_stream(model, state, Phase::Initialise, r);
    const std::uint64_t people = stochastic_round(expected, stream.uniform(region_draw::kHeldByDescent));
    RegionDraws draws(state, r);
    std::uint64_t held = 0;
    while (held < people) {
      const auto id_next = static_cast<std::uint32_t>(state.traffickers.size());
      Stream hs = Stream(model.seed, state.replicate, 0, Phase::Initialise, AgentKind::Trafficker, id_next);
      const Market market = hs.bernoulli(holder_draw::kDomestic, lv[Param::servitude_domestic_share])
                                ? Market::DomesticServitude
                                : Market::LabourAgriculture;
      const std::uint64_t size = std::min<std::uint64_t>(
          people - held,
          std::max<std::uint64_t>(1, hs.poisson(holder_draw::kHeld, g[Param::servitude_household_size])));
      const std::int32_t id = state.traffickers.add(static_cast<std::uint8_t>(r), Method::DebtBased, market,
                                                    state.networks++, static_cast<std::uint16_t>(size));
      state.traffickers.by_descent[static_cast<std::size_t>(id)] = 1;
      std::uint32_t draw = trafficker_draw::kFirstAttempt;
      for (std::uint64_t k = 0; k < size; ++k)
        if (!take_held_by_descent(model, state, r, id, market, hs, draws, draw)) break;
      held += size;
    }
  }
}

}  // namespace

State initial_state(const Model& model, std::uint32_t replicate) {
  State state;
  state.replicate = replicate;
  state.step = 0;
  build_regions(model, state);
  build_persons(model, state);
  update_market_signals(model, state);
  build_traffickers(model, state);
  build_holders_by_descent(model, state);
  update_market_signals(model, state);
  // Entry is measured against how well crime would pay with all demand unmet
  // and no risk, under the scenario's own levers: not against the warm
  // start, which would make the long-run state depend on how full it began.
  for (RegionState& rs : state.regions) rs.attractiveness_reference = rs.attractiveness_unmet;

  state.involved.clear();
  state.involved.reserve(static_cast<std::size_t>(state.persons.size() / 50 + 4096));
  for (std::uint32_t i = 0; i < state.persons.size(); ++i)
    if (state.persons.state[i] != static_cast<std::uint8_t>(PersonState::Free)) state.involved.push_back(i);
  for (std::size_t t = 0; t < state.traffickers.size(); ++t)
    if (state.traffickers.state[t] == static_cast<std::uint8_t>(TraffickerState::Active))
      ++state.regions[state.traffickers.base_region[t]].traffickers_active;
  return state;
}

}  // namespace tipsim
