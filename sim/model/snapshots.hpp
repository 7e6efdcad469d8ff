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
// row-major, one a line of snapshot_fields.def.
struct Snapshots {
  std::size_t persons = 0;
  std::vector<std::int32_t> steps;  // the step at whose end each was taken
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units) std::vector<type> name;
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD

  std::size_t count() const { return steps.size(); }
  // Appends the world's persons as they are now, after step world.step - 1.
  void take(const Model& model, const State& world);

  // Stored bytes per person and snapshot, for size estimates.
  static constexpr std::size_t kBytesPerPerson = 0
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units) +sizeof(type)
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
      ;
};

}  // namespace tipsim
