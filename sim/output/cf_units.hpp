// The units of a run file's variables as the CF conventions want them
// (UDUNITS spellings) beside the words people read (unit_label).
#pragma once

#include <span>
#include <string_view>

namespace tipsim::output {

struct UnitSpelling {
  std::string_view label;    // as tipsim's tables name it: "persons", "USD per year"
  std::string_view udunits;  // as UDUNITS parses it: "1", "year-1"
};

// Every unit tipsim writes, once.
std::span<const UnitSpelling> unit_spellings();

// The UDUNITS spelling of a unit label; throws std::invalid_argument for a
// label the table does not hold (a new unit must be added to it).
std::string_view cf_units(std::string_view label);

}  // namespace tipsim::output
