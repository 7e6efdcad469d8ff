#include "snapshots.hpp"

#include "person_ops.hpp"

namespace tipsim {

void Snapshots::take(const Model& model, const State& world) {
  persons = world.persons.size();
  steps.push_back(world.step - 1);
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, long_name, units) \
  name.reserve(name.size() + persons);                             \
  for (std::uint32_t i = 0; i < persons; ++i) name.push_back(value);
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
}

namespace {

constexpr SnapshotField kSnapshotFields[] = {
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, long_name, units)  \
  {#name,                                                           \
   long_name,                                                       \
   units,                                                           \
   [](const Snapshots& s) -> const void* { return s.name.data(); }, \
   sizeof(type),                                                    \
   std::is_floating_point_v<type>,                                  \
   std::is_signed_v<type>},
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
};

}  // namespace

std::span<const SnapshotField> snapshot_fields() { return kSnapshotFields; }

}  // namespace tipsim
