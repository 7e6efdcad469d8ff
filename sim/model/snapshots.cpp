#include "snapshots.hpp"

#include "person_ops.hpp"

namespace tipsim {

void Snapshots::take(const Model& model, const State& world) {
  const auto& p = world.persons;
  persons = p.size();
  steps.push_back(world.step - 1);
  state.insert(state.end(), p.state.begin(), p.state.end());
  region.insert(region.end(), p.current_region.begin(), p.current_region.end());
  home_region.insert(home_region.end(), p.home_region.begin(), p.home_region.end());
  market.insert(market.end(), p.market.begin(), p.market.end());
  flags.insert(flags.end(), p.flags.begin(), p.flags.end());
  vulnerability.insert(vulnerability.end(), p.vulnerability.begin(), p.vulnerability.end());
  awareness.reserve(awareness.size() + persons);
  for (std::uint32_t i = 0; i < persons; ++i)
    awareness.push_back(static_cast<float>(awareness_now(model, world, i)));
  controller.insert(controller.end(), p.controller.begin(), p.controller.end());
  debt.insert(debt.end(), p.debt.begin(), p.debt.end());
  times_trafficked.insert(times_trafficked.end(), p.times_trafficked.begin(), p.times_trafficked.end());
}

}  // namespace tipsim
