// Agent snapshots: every person's fields at chosen steps (tipsim run
// --snapshot-every K), for analyses of individual trajectories. Like the
// event log, taking them is observation only.
#pragma once

#include <cstdint>
#include <vector>

#include "model.hpp"
#include "state.hpp"

namespace tipsim {

// Whether a run taking a snapshot every `every` steps takes one at the end
// of `step`: at the end of steps K-1, 2K-1, ... (0 = never).
inline bool snapshot_due(std::int32_t step, std::int32_t every) {
  return every > 0 && (step + 1) % every == 0;
}
// How many snapshots a run of `steps` steps takes.
inline std::size_t snapshot_count(std::int32_t steps, std::int32_t every) {
  return every > 0 && steps > 0 ? static_cast<std::size_t>(steps / every) : 0;
}

// The snapshots of one replicate. Fields are (snapshot, person) arrays,
// row-major, with the meaning and units of the Persons fields in state.hpp.
struct Snapshots {
  std::size_t persons = 0;
  std::vector<std::int32_t> steps;             // the step at whose end each was taken
  std::vector<std::uint8_t> state;             // PersonState
  std::vector<std::uint8_t> region;            // current region index
  std::vector<std::uint8_t> home_region;       // region index
  std::vector<std::uint8_t> market;            // Market, or kNoMarket
  std::vector<std::uint8_t> flags;             // person_flag bits
  std::vector<float> vulnerability;            // [0, 1]
  std::vector<float> awareness;                // [0, 1], campaign boost and its decay applied
  std::vector<std::int32_t> controller;        // trafficker id, or kNoTrafficker
  std::vector<float> debt;                     // USD (agent units)
  std::vector<std::uint8_t> times_trafficked;  // saturates at 255

  std::size_t count() const { return steps.size(); }
  // Appends the world's persons as they are now, after step w.step - 1.
  void take(const Model& model, const State& world);

  // Stored bytes per person and snapshot, for size estimates.
  static constexpr std::size_t kBytesPerPerson =
      6 * sizeof(std::uint8_t) + 3 * sizeof(float) + sizeof(std::int32_t);
};

}  // namespace tipsim
