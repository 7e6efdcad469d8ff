#include "state.hpp"

namespace tipsim {

void Persons::resize(std::size_t n) {
  state.assign(n, static_cast<std::uint8_t>(PersonState::Free));
  current_region.assign(n, 0);
  market.assign(n, kNoMarket);
  flags.assign(n, 0);
  controller.assign(n, kNoTrafficker);
  debt.assign(n, 0.0f);
  state_since.assign(n, 0);
  vulnerability.assign(n, 0.0f);
  awareness_boost.assign(n, 0.0f);
  awareness_step.assign(n, 0);
  home_region.assign(n, 0);
  method.assign(n, 0);
  times_trafficked.assign(n, 0);
}

void Traffickers::reserve(std::size_t n) {
  base_region.reserve(n);
  method.reserve(n);
  market.reserve(n);
  state.reserve(n);
  network.reserve(n);
  sentence_remaining.reserve(n);
  capacity.reserve(n);
  victims.reserve(n);
  evidence.reserve(n);
  perceived_risk.reserve(n);
  profit.reserve(n);
}

std::int32_t Traffickers::add(std::uint8_t region, Method m, Market mk, std::int32_t network_id,
                              std::uint16_t cap) {
  base_region.push_back(region);
  method.push_back(static_cast<std::uint8_t>(m));
  market.push_back(static_cast<std::uint8_t>(mk));
  state.push_back(static_cast<std::uint8_t>(TraffickerState::Active));
  network.push_back(network_id);
  sentence_remaining.push_back(0);
  capacity.push_back(cap);
  victims.push_back(0);
  evidence.push_back(0.0f);
  perceived_risk.push_back(0.0f);
  profit.push_back(0.0);
  return static_cast<std::int32_t>(base_region.size() - 1);
}

}  // namespace tipsim
