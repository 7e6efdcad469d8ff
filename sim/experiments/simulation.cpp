#include "simulation.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "phases.hpp"
#include "step_context.hpp"

namespace tipsim {

Simulation::Simulation(const Scenario& scenario, std::uint32_t replicate, const Recording& recording)
    : Simulation(std::make_shared<const Model>(compile_model(scenario)), replicate, recording) {}

Simulation::Simulation(std::shared_ptr<const Model> model, std::uint32_t replicate,
                       const Recording& recording)
    : model_(std::move(model)),
      state_(initial_state(*model_, replicate)),
      context_(*model_),
      series_(model_->layout, static_cast<std::size_t>(model_->steps)),
      snapshot_every_(recording.snapshot_every) {
  if (recording.events) {
    events_ = std::make_unique<EventLog>();
    context_.events = events_.get();
  }
}

Simulation::Simulation(std::shared_ptr<const Model> model, State checkpoint, const Recording& recording)
    : model_(std::move(model)),
      state_(std::move(checkpoint)),
      context_(*model_),
      series_(model_->layout, static_cast<std::size_t>(model_->steps)),
      snapshot_every_(recording.snapshot_every) {
  // Agents and untouched people add up to the world's persons.
  double world = 0, held = static_cast<double>(state_.persons.size() - state_.vacant.size());
  for (const RegionModel& rm : model_->regions) world += rm.population;
  for (const std::vector<Stratum>& strata : state_.strata)
    for (const Stratum& s : strata) held += static_cast<double>(s.people);
  if (state_.regions.size() != model_->regions.size() || held != world)
    throw std::invalid_argument(
        "the checkpoint is of another world: " + std::to_string(state_.regions.size()) + " regions and " +
        std::to_string(static_cast<std::uint64_t>(held)) + " persons, not " +
        std::to_string(model_->regions.size()) + " and " + std::to_string(static_cast<std::uint64_t>(world)));
  if (recording.events) {
    events_ = std::make_unique<EventLog>();
    context_.events = events_.get();
  }
}

void Simulation::adopt_past(const Series& series, const EventList& events, const Snapshots& snapshots) {
  for (std::size_t t = 0; t < static_cast<std::size_t>(state_.step); ++t) {
    const auto from = series.frame(t);
    std::copy(from.begin(), from.end(), series_.frame(t).begin());
  }
  if (events_) {
    EventList past;
    for (const Event& e : events)
      if (e.step < state_.step) past.push_back(e);
    events_->restore(std::move(past));
  }
  // The snapshots taken before the checkpoint (a whole run's may be given).
  if (snapshot_every_ > 0) {
    const auto kept =
        static_cast<std::size_t>(std::find_if(snapshots.steps.begin(), snapshots.steps.end(),
                                              [&](std::int32_t t) { return t >= state_.step; }) -
                                 snapshots.steps.begin());
    snapshots_ = snapshots;
    snapshots_.steps.resize(kept);
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units) \
  snapshots_.name.resize(std::min(snapshots_.name.size(), kept* snapshots_.persons));
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
  }
}

void Simulation::step() {
  if (finished()) return;
  const std::int32_t index = state_.step;
  tipsim::step(*model_, state_, context_);
  auto frame = series_.frame(static_cast<std::size_t>(index));
  std::copy(context_.frame.begin(), context_.frame.end(), frame.begin());
  if (snapshot_due(index, snapshot_every_)) snapshots_.take(*model_, state_);
}

void Simulation::run_to_end() {
  while (!finished()) step();
}

void Simulation::add_intervention(const InterventionSpec& intervention) {
  if (intervention.start_step < state_.step)
    throw std::invalid_argument("intervention '" + intervention.name + "' starts at step " +
                                std::to_string(intervention.start_step) + ", before the next step (" +
                                std::to_string(state_.step) + ")");
  // A changed copy: other simulations may share the model, and this one
  // reads it only inside step(), never while it is being replaced.
  auto changed = std::make_shared<Model>(*model_);
  auto& interventions = changed->scenario.interventions;
  const auto same_levers = [&](const InterventionSpec& earlier) {
    if (earlier.start_step != intervention.start_step || earlier.region != intervention.region ||
        earlier.changes.size() != intervention.changes.size())
      return false;
    for (std::size_t i = 0; i < earlier.changes.size(); ++i)
      if (earlier.changes[i].param != intervention.changes[i].param) return false;
    return true;
  };
  if (added_interventions_ > 0 && same_levers(interventions.back())) {
    interventions.back() = intervention;
  } else {
    interventions.push_back(intervention);
    ++added_interventions_;
  }
  model_ = std::move(changed);
}

namespace {

// Keys read only to build the world at step 0, or that fix what a step
// is: a fork that changes one would continue a past that never happened.
constexpr Param kPastKeys[] = {
    Param::scenario_seed,
    Param::scenario_step_days,
    Param::population_size,
    Param::population_scale,
    Param::population_share,
    Param::population_untouched_in_strata,
    Param::population_vulnerability_bins,
    Param::population_vulnerability_mean,
    Param::population_vulnerability_sd,
    Param::population_female_share,
    Param::population_child_share,
    Param::traffickers_initial_per_100k,
    Param::traffickers_initial_fill,
    Param::servitude_hereditary_per_100k,
    Param::servitude_domestic_share,
    Param::servitude_household_size,
};

// The shortest text that reads back as v: 40000, 0.35, 1.5e-05.
std::string value_text(double v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, end);
}

}  // namespace

std::string fork_refusal(const Scenario& parent, const Scenario& changed) {
  std::string why;
  if (parent.regions.size() != changed.regions.size()) {
    return "the regions: " + std::to_string(parent.regions.size()) + " in the run, " +
           std::to_string(changed.regions.size()) + " in the fork\n";
  }
  for (std::size_t r = 0; r < parent.regions.size(); ++r)
    if (parent.regions[r].name != changed.regions[r].name)
      why += "region " + std::to_string(r) + ": '" + parent.regions[r].name + "' in the run, '" +
             changed.regions[r].name + "' in the fork\n";
  for (const Param p : kPastKeys) {
    const std::string key(spec(p).key);
    if (parent.globals[p] != changed.globals[p])
      why += key + " = " + value_text(parent.globals[p]) + " in the run, " + value_text(changed.globals[p]) +
             " in the fork\n";
    if (spec(p).scope != ParamScope::Regional) continue;
    for (std::size_t r = 0; r < parent.regions.size(); ++r)
      if (parent.regions[r].values[p] != changed.regions[r].values[p])
        why += key + " in region '" + parent.regions[r].name +
               "' = " + value_text(parent.regions[r].values[p]) + " in the run, " +
               value_text(changed.regions[r].values[p]) + " in the fork\n";
  }
  return why;
}

namespace {

// With strata: the agents, traffickers, involved persons, survivors'
// follow-ups and strata a replicate ends with, from a pilot of its first
// half-year at no more than a million persons (the model's counts per
// person do not depend on the population's size), grown to the run's
// length: the strata and traffickers linearly, the agents and follow-ups
// at the pilot's inflow for as long as each stays (below).
struct StrataPilot {
  double agents = 0, traffickers = 0, involved = 0, strata = 0, followups = 0;
};
StrataPilot pilot_strata(const Scenario& scenario) {
  constexpr double kPilotPersons = 1e6;
  const double size = scenario.get(Param::population_size);
  Scenario pilot = scenario;
  pilot.globals[Param::population_size] = std::min(size, kPilotPersons);
  const double ratio = size / pilot.globals[Param::population_size];
  const std::int32_t steps = std::min<std::int32_t>(scenario.steps(), 26);
  Simulation sim(pilot, 0);
  auto strata_count = [&] {
    double n = 0;
    for (const auto& region : sim.state().strata) n += static_cast<double>(region.size());
    return n;
  };
  const double agents_0 = static_cast<double>(sim.state().persons.size()), strata_0 = strata_count();
  const double traffickers_0 = static_cast<double>(sim.state().traffickers.size());
  double involved = static_cast<double>(sim.state().involved.size());
  for (std::int32_t t = 0; t < steps; ++t) {
    sim.step();
    involved = std::max(involved, static_cast<double>(sim.state().involved.size()));
  }
  const double growth = steps > 0 ? static_cast<double>(scenario.steps()) / steps : 1.0;
  // Agents stay until, reviewed, they go back to the strata, recovered or
  // not: a stay of m steps (the review's delay) holds inflow x m (1 -
  // e^(-T/m)) of them after T steps, not the inflow's sum.
  const double step_years = scenario.step_years();
  const double recovery = scenario.get(Param::survivors_recovery_per_year) * step_years;
  const double review_steps = std::max(1.0, scenario.get(Param::survivors_followup_years) / step_years);
  const double held = review_steps * -std::expm1(-static_cast<double>(scenario.steps()) / review_steps);
  StrataPilot p;
  const double inflow =
      steps > 0 ? (static_cast<double>(sim.state().persons.size()) - agents_0) / steps : 0.0;
  p.agents = ratio * (agents_0 + inflow * held);
  // The survivors' calendar: reviews wait their delay; recoveries are
  // scheduled only when due by the review (the later ones happen in the
  // strata), so they wait at most as long (those of survivors trafficked
  // again included, dropped only when due).
  double reviews = 0, recoveries = 0;
  for (const SurvivorEvent& e : sim.state().survivor_calendar.events())
    (e.kind == SurvivorEvent::Review ? reviews : recoveries) += 1;
  const double run_steps = static_cast<double>(scenario.steps());
  if (steps > 0) {
    const double held_at_most = std::min(run_steps, review_steps);
    const double recoveries_held =
        recovery > 0 ? std::min(held_at_most, -std::expm1(-run_steps * recovery) / recovery) : held_at_most;
    p.followups = ratio * (reviews / std::min<double>(steps, review_steps) * held_at_most +
                           recoveries / steps * recoveries_held);
  }
  // Traffickers are never removed (ids are not reused): every one who
  // enters over the run is held, at the pilot's rate of entry.
  const double entering =
      steps > 0 ? (static_cast<double>(sim.state().traffickers.size()) - traffickers_0) / steps : 0.0;
  p.traffickers = ratio * (traffickers_0 + entering * static_cast<double>(scenario.steps()));
  p.involved = ratio * involved;
  p.strata = strata_0 + (strata_count() - strata_0) * growth;
  return p;
}

}  // namespace

std::uint64_t estimate_replicate_bytes(const Scenario& scenario) {
  const double series_bytes =
      static_cast<double>(FrameLayout(scenario.regions.size()).size()) * 8.0 * scenario.steps();
  if (scenario.get(Param::population_untouched_in_strata) != 0) {
    const StrataPilot p = pilot_strata(scenario);
    // The agents' arrays grow by a quarter at a time (Persons::append_untouched): an eighth unused on
    // average; an id in its region's list besides. The involved list, its merge buffer and the
    // phases' buffers per involved person (exploitation's credit of the profits 4 bytes of them).
    // Traffickers' arrays double: the last doubling's spare half is mostly never touched, and so
    // never resident, so a quarter more is counted, for it and the phases' buffers per trafficker.
    const double agent_bytes = p.agents * (Persons::bytes_per_person() * 1.125 + 4 * 1.5);
    const double involved_bytes = p.involved * (2 * 4 + sizeof(Earning) + 4 + 8) * 1.5;
    const double trafficker_bytes = p.traffickers * Traffickers::bytes_per_trafficker() * 1.25;
    // The calendar's follow-ups, 15 to a block of 248 bytes, its pool grown by doubling.
    const double followup_bytes = p.followups * SurvivorCalendar::kBytesPerEvent * 1.25;
    return static_cast<std::uint64_t>(agent_bytes + involved_bytes + trafficker_bytes + followup_bytes +
                                      p.strata * sizeof(Stratum) * 2 + series_bytes);
  }
  const double persons = scenario.get(Param::population_size);
  double traffickers_per_100k = 0;
  for (const RegionSpec& r : scenario.regions)
    traffickers_per_100k = std::max(traffickers_per_100k, r.values[Param::traffickers_initial_per_100k]);
  // Traffickers grow by entry; room for four times the start is reserved.
  const double traffickers = 4.0 * traffickers_per_100k * persons / 1e5 + 1024;
  const double trafficker_bytes = Traffickers::bytes_per_trafficker();
  // The involved list and its merge buffer: up to 2 % of people each.
  const double involved_bytes = 2 * 0.02 * persons * 4;
  return static_cast<std::uint64_t>(persons * Persons::bytes_per_person() + traffickers * trafficker_bytes +
                                    involved_bytes + series_bytes);
}

namespace {

// The bytes the heap holds in use (every arena); 0 where the C library
// cannot say, so that nothing is counted per point there.
double heap_in_use() {
#if defined(__GLIBC__)
  return static_cast<double>(mallinfo2().uordblks);
#else
  return 0.0;
#endif
}

}  // namespace

std::uint64_t estimate_point_bytes(const Scenario& point) {
  // A first compilation computes what models of the same shape share
  // (compile_vulnerability_quantiles), which no point holds on its own.
  { const Model shared = compile_model(point); }
  const double before = heap_in_use();
  const Model model = compile_model(point);
  const double model_bytes = std::max(0.0, heap_in_use() - before);
  const Scenario copy = point;
  const double scenario_bytes = std::max(0.0, heap_in_use() - before - model_bytes);
  // The model holds one copy of the scenario; the experiment and the run
  // file's writer one each.
  return static_cast<std::uint64_t>(model_bytes + 2 * scenario_bytes);
}

}  // namespace tipsim
