#include "state_arrays.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "population.hpp"

namespace tipsim {

namespace {

// A region's aggregates, each as `width` doubles a region (counts are
// exact in a double). Every member of RegionState but the court queue,
// which has arrays of its own.
struct RegionField {
  const char* name;
  std::size_t width;
  double (*get)(const RegionState&, std::size_t);
  void (*set)(RegionState&, std::size_t, double);
  const char* meaning;
};

#define TIPSIM_REGION_SCALAR(member, meaning)                                                          \
  RegionField {                                                                                        \
#member, 1, [](const RegionState& r, std::size_t) { return static_cast<double>(r.member); },         \
        [](RegionState& r, std::size_t, double v) { r.member = static_cast<decltype(r.member)>(v); }, \
        meaning \
  }
#define TIPSIM_REGION_ARRAY(member, width, meaning)                                                     \
  RegionField {                                                                                         \
#member, width, [](const RegionState& r, std::size_t k) { return static_cast<double>(r.member[k]); }, \
        [](RegionState& r, std::size_t k, double v) {                                                       \
          r.member[k] = static_cast<std::remove_cvref_t<decltype(r.member[k])>>(v);                        \
        },                                                                                                  \
        meaning \
  }

const RegionField kRegionFields[] = {
    TIPSIM_REGION_ARRAY(levers.value, kParamCount, "every parameter in force this step (Param order)"),
    TIPSIM_REGION_SCALAR(shelter_capacity, "shelter places this step"),
    TIPSIM_REGION_SCALAR(awareness_mean, "mean awareness of the population"),
    TIPSIM_REGION_ARRAY(perceived_risk, kMarkets,
                        "convictions per active trafficker per year, by market (EWMA)"),
    TIPSIM_REGION_SCALAR(court_time, "hearings the courts can hold now"),
    TIPSIM_REGION_ARRAY(suspects, kCaseTypes, "leads against people who are not traffickers, by case type"),
    TIPSIM_REGION_SCALAR(attractiveness_reference, "attractiveness at step 0"),
    TIPSIM_REGION_SCALAR(attractiveness_unmet, "attractiveness if all demand were unmet"),
    TIPSIM_REGION_ARRAY(market_demand, kMarkets, "effective demand this step, by market"),
    TIPSIM_REGION_ARRAY(market_pull, kMarkets, "expected unmet share of demand a recruit faces, by market"),
    TIPSIM_REGION_ARRAY(market_density, kMarkets, "demand density a recruit faces, by market"),
    TIPSIM_REGION_SCALAR(attractiveness, "expected profit x deterrence this step"),
    TIPSIM_REGION_ARRAY(market_victims, kMarkets, "victims by market"),
    TIPSIM_REGION_SCALAR(shelter_occupied, "persons in protection here"),
    TIPSIM_REGION_SCALAR(non_victims_sheltered, "people wrongly identified, in a shelter place here"),
    TIPSIM_REGION_SCALAR(free_persons, "free persons whose home is here"),
    TIPSIM_REGION_SCALAR(survivors_recovering, "free survivors whose home is here, not recovered"),
    TIPSIM_REGION_SCALAR(traffickers_active, "active traffickers based here"),
};

#undef TIPSIM_REGION_SCALAR
#undef TIPSIM_REGION_ARRAY

// The court queue's cases, a member each.
struct CourtField {
  const char* name;
  std::int32_t CourtCase::*member;
  const char* meaning;
};
const CourtField kCourtFields[] = {
    {"trafficker", &CourtCase::trafficker, "the accused trafficker's id, or -1 (not a trafficker)"},
    {"charged_step", &CourtCase::charged_step, "step the case was charged"},
    {"ready_step", &CourtCase::ready_step, "first step it can be heard"},
};

// The survivors' calendar, a member each, in the calendar's order.
struct SurvivorField {
  const char* name;
  std::int32_t (*get)(const SurvivorEvent&);
  void (*set)(SurvivorEvent&, std::int32_t);
  const char* meaning;
};
#define TIPSIM_SURVIVOR_FIELD(member, meaning)                                                            \
  SurvivorField {                                                                                         \
#member, [](const SurvivorEvent& e) { return static_cast<std::int32_t>(e.member); },                    \
        [](SurvivorEvent& e, std::int32_t v) { e.member = static_cast<decltype(e.member)>(v); }, meaning \
  }
const SurvivorField kSurvivorFields[] = {
    TIPSIM_SURVIVOR_FIELD(due, "step at which it is due"),
    TIPSIM_SURVIVOR_FIELD(person, "the survivor's id"),
    TIPSIM_SURVIVOR_FIELD(kind, "0: recovery, 1: review"),
    TIPSIM_SURVIVOR_FIELD(route, "how their trafficking ended (ExitRoute)"),
    TIPSIM_SURVIVOR_FIELD(times, "times trafficked at the exit (review)"),
    TIPSIM_SURVIVOR_FIELD(abroad, "1: exploited outside their home region (review)"),
    TIPSIM_SURVIVOR_FIELD(since, "step their spell at liberty began (recovery) or of the exit (review)"),
};
#undef TIPSIM_SURVIVOR_FIELD

// Array `name`, or null when the checkpoint has none.
const StateArray* lookup(const std::vector<StateArray>& arrays, const std::string& name) {
  const auto it =
      std::find_if(arrays.begin(), arrays.end(), [&](const StateArray& a) { return a.name == name; });
  return it == arrays.end() ? nullptr : &*it;
}

bool has(const std::vector<StateArray>& arrays, const std::string& name) {
  return lookup(arrays, name) != nullptr;
}

const StateArray& find(const std::vector<StateArray>& arrays, const std::string& name) {
  const StateArray* a = lookup(arrays, name);
  if (a == nullptr) throw std::invalid_argument("the checkpoint has no array '" + name + "'");
  return *a;
}

// The values of array `name`, which must be of type T and hold `size` values.
template <typename T>
const std::vector<T>& values(const std::vector<StateArray>& arrays, const std::string& name,
                             std::size_t size) {
  const StateArray& a = find(arrays, name);
  const auto* v = std::get_if<std::vector<T>>(&a.values);
  if (v == nullptr) throw std::invalid_argument("the checkpoint's array '" + name + "' is of another type");
  if (v->size() != size)
    throw std::invalid_argument("the checkpoint's array '" + name + "' holds " + std::to_string(v->size()) +
                                " values, not " + std::to_string(size));
  return *v;
}

// The size of array `name`, whatever its type.
std::size_t size_of(const std::vector<StateArray>& arrays, const std::string& name) {
  return std::visit([](const auto& v) { return v.size(); }, find(arrays, name).values);
}

}  // namespace

std::vector<StateArray> state_arrays(const State& state) {
  std::vector<StateArray> arrays;
  arrays.push_back(
      {"step",
       std::vector<std::int32_t>{static_cast<std::int32_t>(state.replicate), state.step, state.networks}, 1,
       "the replicate, the steps done and the networks founded so far"});
  // Every field of the persons' and traffickers' tables, with its meaning.
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) \
  arrays.push_back({"persons/" #name, state.persons.name, 1, meaning});
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) \
  arrays.push_back({"traffickers/" #name, state.traffickers.name, 1, meaning});
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
  for (const RegionField& f : kRegionFields) {
    std::vector<double> v;
    v.reserve(state.regions.size() * f.width);
    for (const RegionState& r : state.regions)
      for (std::size_t k = 0; k < f.width; ++k) v.push_back(f.get(r, k));
    arrays.push_back({std::string("regions/") + f.name, std::move(v), f.width, f.meaning});
  }
  std::vector<std::uint32_t> queue_length;
  for (const RegionState& r : state.regions)
    queue_length.push_back(static_cast<std::uint32_t>(r.court_queue.size()));
  arrays.push_back(
      {"regions/court_queue_length", std::move(queue_length), 1, "cases waiting in each region"});
  for (const CourtField& f : kCourtFields) {
    std::vector<std::int32_t> v;
    for (const RegionState& r : state.regions)
      for (const CourtCase& c : r.court_queue) v.push_back(c.*f.member);
    arrays.push_back({std::string("courts/") + f.name, std::move(v), 1, f.meaning});
  }
  std::vector<std::uint8_t> case_types;
  for (const RegionState& r : state.regions)
    for (const CourtCase& c : r.court_queue) case_types.push_back(c.case_type);
  arrays.push_back({"courts/case_type", std::move(case_types), 1, "the form the case is about (CaseType)"});
  const std::vector<SurvivorEvent> pending = state.survivor_calendar.events();
  for (const SurvivorField& f : kSurvivorFields) {
    std::vector<std::int32_t> v;
    v.reserve(pending.size());
    for (const SurvivorEvent& e : pending) v.push_back(f.get(e));
    arrays.push_back({std::string("survivors/") + f.name, std::move(v), 1, f.meaning});
  }
  // The untouched people's strata (population.untouched_in_strata), region
  // by region; the agents' lists of each region follow from their homes.
  std::vector<std::uint8_t> stratum_region, traits, recovering, bins;
  std::vector<std::int32_t> levels;
  std::vector<double> people;
  for (std::size_t r = 0; r < state.strata.size(); ++r)
    for (const Stratum& st : state.strata[r]) {
      stratum_region.push_back(static_cast<std::uint8_t>(r));
      traits.push_back(static_cast<std::uint8_t>(st.traits & 0xFF));
      recovering.push_back(st.traits & stratum_trait::kRecovering ? 1 : 0);
      bins.push_back(st.vulnerability_bin);
      levels.push_back(st.awareness_level);
      people.push_back(static_cast<double>(st.people));
    }
  arrays.push_back({"strata/region", std::move(stratum_region), 1, "home region of the stratum's people"});
  arrays.push_back(
      {"strata/traits", std::move(traits), 1,
       "1 female, 2 child, 4 empowered, 8 to 40 the route of the last exit + 1 times 8 (0: never "
       "trafficked), 64 assisted by services, 128 punished as an offender"});
  arrays.push_back({"strata/recovering", std::move(recovering), 1,
                    "1: survivors who have not recovered (the re-trafficking multiplier applies)"});
  arrays.push_back({"vacant", state.vacant, 1,
                    "slots of survivors gone back to the strata, untouched; the last is taken first"});
  arrays.push_back(
      {"strata/vulnerability_bin", std::move(bins), 1, "bin of the step-0 vulnerability distribution"});
  arrays.push_back({"strata/campaign_level", std::move(levels), 1,
                    "log of the campaign boost referred to step 0, in levels of 0.1 (INT32_MIN: none)"});
  arrays.push_back({"strata/people", std::move(people), 1, "untouched persons in the stratum"});
  arrays.push_back({"involved", state.involved, 1, "sorted ids of every person not free"});
  arrays.push_back(
      {"newly_incarcerated", state.newly_incarcerated, 1, "traffickers incarcerated in the last step"});
  return arrays;
}

State state_from_arrays(const Model& model, const std::vector<StateArray>& arrays) {
  State state;
  const std::vector<std::int32_t>& step = values<std::int32_t>(arrays, "step", 3);
  state.replicate = static_cast<std::uint32_t>(step[0]);
  state.step = step[1];
  state.networks = step[2];
  const std::size_t regions = model.regions.size();
  const std::size_t persons =
      model.untouched_in_strata ? size_of(arrays, "persons/state") : std::size_t{model.person_count()};
  const std::size_t traffickers = size_of(arrays, "traffickers/state");
  auto restore = [&](const std::string& name, auto& field, std::size_t size) {
    using T = typename std::remove_reference_t<decltype(field)>::value_type;
    // Checkpoints before "persons/reviews_pending": counted from the calendar below.
    if (name == "persons/reviews_pending" && !has(arrays, name)) {
      field.assign(size, T{0});
      return;
    }
    field = values<T>(arrays, name, size);
  };
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) \
  restore("persons/" #name, state.persons.name, persons);
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) \
  restore("traffickers/" #name, state.traffickers.name, traffickers);
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
  state.traffickers.list_in_trade();
  state.regions.resize(regions);
  for (const RegionField& f : kRegionFields) {
    const std::vector<double>& v =
        values<double>(arrays, std::string("regions/") + f.name, regions * f.width);
    for (std::size_t r = 0; r < regions; ++r)
      for (std::size_t k = 0; k < f.width; ++k) f.set(state.regions[r], k, v[r * f.width + k]);
  }
  const std::vector<std::uint32_t>& queue_length =
      values<std::uint32_t>(arrays, "regions/court_queue_length", regions);
  std::size_t cases = 0;
  for (const std::uint32_t n : queue_length) cases += n;
  const std::vector<std::uint8_t>& case_types = values<std::uint8_t>(arrays, "courts/case_type", cases);
  std::vector<const std::vector<std::int32_t>*> columns;
  for (const CourtField& f : kCourtFields)
    columns.push_back(&values<std::int32_t>(arrays, std::string("courts/") + f.name, cases));
  std::size_t next = 0;
  for (std::size_t r = 0; r < regions; ++r)
    for (std::uint32_t i = 0; i < queue_length[r]; ++i, ++next) {
      CourtCase c{};
      for (std::size_t f = 0; f < std::size(kCourtFields); ++f)
        c.*kCourtFields[f].member = (*columns[f])[next];
      c.case_type = case_types[next];
      state.regions[r].court_queue.push_back(c);
    }
  const std::size_t pending = size_of(arrays, "survivors/due");
  std::vector<SurvivorEvent> events(pending);
  for (const SurvivorField& f : kSurvivorFields) {
    const std::vector<std::int32_t>& v =
        values<std::int32_t>(arrays, std::string("survivors/") + f.name, pending);
    for (std::size_t k = 0; k < pending; ++k) f.set(events[k], v[k]);
  }
  state.survivor_calendar = SurvivorCalendar{};
  for (const SurvivorEvent& e : events) state.survivor_calendar.schedule(e, state.step);
  if (!has(arrays, "persons/reviews_pending"))
    for (const SurvivorEvent& e : events) {
      if (e.person >= persons)
        throw std::invalid_argument("the checkpoint's survivor follow-up names person " +
                                    std::to_string(e.person) + " of " + std::to_string(persons));
      std::uint8_t& pending = state.persons.reviews_pending[e.person];
      if (e.kind == SurvivorEvent::Review && pending < 255) ++pending;
    }
  // Checkpoints written before strata existed have none.
  const std::size_t strata = has(arrays, "strata/region") ? size_of(arrays, "strata/region") : 0;
  if (model.untouched_in_strata) {
    const auto& stratum_region = values<std::uint8_t>(arrays, "strata/region", strata);
    const auto& traits = values<std::uint8_t>(arrays, "strata/traits", strata);
    // Checkpoints before "strata/recovering" held recovered survivors only.
    const std::vector<std::uint8_t> recovering =
        has(arrays, "strata/recovering") ? values<std::uint8_t>(arrays, "strata/recovering", strata)
                                         : std::vector<std::uint8_t>(strata, 0);
    const auto& bins = values<std::uint8_t>(arrays, "strata/vulnerability_bin", strata);
    // Checkpoints before "strata/campaign_level" kept levels of 0.02.
    const bool levels_before = has(arrays, "strata/awareness_level") && !has(arrays, "strata/campaign_level");
    const auto& levels = values<std::int32_t>(
        arrays, levels_before ? "strata/awareness_level" : "strata/campaign_level", strata);
    const auto& people = values<double>(arrays, "strata/people", strata);
    state.strata.assign(regions, {});
    state.members.assign(regions, {});
    for (std::size_t k = 0; k < strata; ++k) {
      if (stratum_region[k] >= regions)
        throw std::invalid_argument("the checkpoint's array 'strata/region' names region " +
                                    std::to_string(stratum_region[k]) + " of " + std::to_string(regions));
      const std::int32_t level = levels_before && levels[k] != kNoBoost
                                     ? static_cast<std::int32_t>(std::lround(
                                           levels[k] * (kAwarenessLevelWidthBefore / kAwarenessLevelWidth)))
                                     : levels[k];
      const auto stratum_traits =
          static_cast<std::uint16_t>(traits[k] | (recovering[k] ? stratum_trait::kRecovering : 0));
      state.strata[stratum_region[k]].push_back(
          Stratum{stratum_traits, bins[k], level, static_cast<std::uint64_t>(people[k])});
    }
    // Older levels that went to the same level make one stratum.
    if (levels_before)
      for (std::vector<Stratum>& region_strata : state.strata) tidy(region_strata);
    // Checkpoints before "vacant" have none.
    state.vacant = has(arrays, "vacant") ? values<std::uint32_t>(arrays, "vacant", size_of(arrays, "vacant"))
                                         : std::vector<std::uint32_t>{};
    std::vector<bool> is_vacant(persons, false);
    for (const std::uint32_t i : state.vacant) {
      if (i >= persons || is_vacant[i])
        throw std::invalid_argument("the checkpoint's array 'vacant' names slot " + std::to_string(i) +
                                    (i >= persons ? " of " + std::to_string(persons) : " twice"));
      is_vacant[i] = true;
    }
    for (std::uint32_t i = 0; i < persons; ++i) {
      if (is_vacant[i]) continue;
      if (state.persons.home_region[i] >= regions)
        throw std::invalid_argument("the checkpoint's person " + std::to_string(i) + " has home region " +
                                    std::to_string(state.persons.home_region[i]) + " of " +
                                    std::to_string(regions));
      state.members[state.persons.home_region[i]].push_back(i);
    }
  } else if (strata != 0) {
    throw std::invalid_argument(
        "the checkpoint holds strata of untouched people, but the scenario has every "
        "person as an agent (population.untouched_in_strata = false)");
  }
  state.involved = values<std::uint32_t>(arrays, "involved", size_of(arrays, "involved"));
  state.newly_incarcerated =
      values<std::int32_t>(arrays, "newly_incarcerated", size_of(arrays, "newly_incarcerated"));
  return state;
}

}  // namespace tipsim
