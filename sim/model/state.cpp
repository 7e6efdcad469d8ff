#include "state.hpp"

namespace tipsim {

void Persons::resize(std::size_t n) {
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) name.assign(n, untouched);
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
}

void Persons::append_untouched() {
  if (state.size() == state.capacity()) {
    const std::size_t room = state.capacity() + state.capacity() / 4 + 1024;
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) name.reserve(room);
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
  }
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) name.push_back(untouched);
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
}

void Traffickers::reserve(std::size_t n) {
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) name.reserve(n);
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
}

std::int32_t Traffickers::add(std::uint8_t region, Method method, Market market, std::int32_t network,
                              std::uint16_t capacity) {
  // Each field's value is an expression of the arguments (the table's `new`
  // column); the parameters shadow the arrays of the same name on purpose.
  const auto id = static_cast<std::int32_t>(this->state.size());
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) this->name.push_back(entering);
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
  return id;
}

}  // namespace tipsim
