#include "snapshots.hpp"

#include "person_ops.hpp"

namespace tipsim {

void Snapshots::take(const Model& model, const State& world) {
  persons = world.persons.size();
  steps.push_back(world.step - 1);
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units) \
  name.reserve(name.size() + persons);                                         \
  for (std::uint32_t i = 0; i < persons; ++i) name.push_back(value);
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
}

}  // namespace tipsim
