#include "state.hpp"

namespace tipsim {

void Persons::resize(std::size_t n) {
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) name.assign(n, untouched);
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
}

void Persons::set_untouched(std::size_t i) {
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) name[i] = untouched;
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
  in_trade.reserve(n);
}

std::int32_t Traffickers::add(std::uint8_t region, Method method, Market market, std::int32_t network,
                              std::uint16_t capacity) {
  // Each field's value is an expression of the arguments (the table's `new`
  // column); the parameters shadow the arrays of the same name on purpose.
  const auto id = static_cast<std::int32_t>(this->state.size());
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) this->name.push_back(entering);
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
  in_trade.push_back(id);
  return id;
}

namespace {

bool out_of_trade(const Traffickers& tr, std::size_t t) {
  return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Desisted) && tr.charged_step[t] < 0;
}

}  // namespace

void Traffickers::drop_desisted(std::vector<std::int32_t>& buffer, std::vector<std::uint32_t>& offsets,
                                std::vector<std::uint32_t>& cursors) {
  group_in_trade(
      1, [&](std::size_t t) { return !out_of_trade(*this, t); }, [](std::size_t) { return std::size_t{0}; },
      offsets, buffer, cursors);
  in_trade.swap(buffer);
}

void Traffickers::list_in_trade() {
  in_trade.clear();
  for (std::size_t t = 0; t < size(); ++t)
    if (!out_of_trade(*this, t)) in_trade.push_back(static_cast<std::int32_t>(t));
}

}  // namespace tipsim
