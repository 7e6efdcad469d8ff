#include "cf_units.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace tipsim::output {

namespace {

// Counts of people, cases and things, scores and shares are dimensionless
// ("1"); money is too (UDUNITS has no currency), so its unit is in the
// label only. "per 100 000 population" is the factor 1e-5, "per year" is
// year-1, and a step is dimensionless (its length is the root attribute
// step_days).
constexpr std::array kSpellings{
    // dimensionless
    UnitSpelling{"1", "1"},
    UnitSpelling{"boolean", "1"},
    UnitSpelling{"relative weight", "1"},
    UnitSpelling{"bins", "1"},
    UnitSpelling{"score 1-5", "1"},
    UnitSpelling{"ratio to United States prices", "1"},
    UnitSpelling{"evidence units", "1"},
    UnitSpelling{"per unit of perceived risk", "1"},
    UnitSpelling{"real persons per agent", "1"},
    // counts
    UnitSpelling{"persons", "1"},
    UnitSpelling{"victims", "1"},
    UnitSpelling{"traffickers", "1"},
    UnitSpelling{"cases", "1"},
    UnitSpelling{"suspects", "1"},
    UnitSpelling{"places", "1"},
    UnitSpelling{"steps", "1"},
    UnitSpelling{"person-steps", "1"},
    // money
    UnitSpelling{"USD", "1"},
    UnitSpelling{"USD per person reached", "1"},
    UnitSpelling{"USD per prosecution", "1"},
    UnitSpelling{"USD at United States prices", "1"},
    // time
    UnitSpelling{"day", "day"},
    UnitSpelling{"days", "day"},
    UnitSpelling{"year", "year"},
    UnitSpelling{"years", "year"},
    UnitSpelling{"person-years", "year"},
    UnitSpelling{"case-years", "year"},
    // quality-adjusted life years: years of healthy life lost
    UnitSpelling{"QALY", "year"},
    UnitSpelling{"QALY per person-year", "1"},
    UnitSpelling{"QALY per victim punished", "year"},
    UnitSpelling{"USD per QALY", "year-1"},
    // rates
    UnitSpelling{"per year", "year-1"},
    UnitSpelling{"per year in transit", "year-1"},
    UnitSpelling{"investigations per year", "year-1"},
    UnitSpelling{"contacts per free slot per year", "year-1"},
    UnitSpelling{"convictions per active trafficker per year", "year-1"},
    UnitSpelling{"share of population per year", "year-1"},
    UnitSpelling{"USD per year", "year-1"},
    UnitSpelling{"USD per victim-year", "year-1"},
    UnitSpelling{"USD per person-year at full quality", "year-1"},
    UnitSpelling{"USD per trial a year of capacity", "year-1"},
    UnitSpelling{"births per person-year", "year-1"},
    // densities in the population
    UnitSpelling{"per 1000 population", "1e-3"},
    UnitSpelling{"beds per 100 000 population", "1e-5"},
    UnitSpelling{"inspectors per 100 000", "1e-5"},
    UnitSpelling{"inspectors per 100 000 population", "1e-5"},
    UnitSpelling{"investigators per 100 000", "1e-5"},
    UnitSpelling{"investigators per 100 000 population", "1e-5"},
    UnitSpelling{"outreach workers per 100 000 population", "1e-5"},
    UnitSpelling{"persons per 100 000 population", "1e-5"},
    UnitSpelling{"traffickers per 100 000 population", "1e-5"},
    UnitSpelling{"victims per 100 000 population", "1e-5"},
    UnitSpelling{"workers per 100 000", "1e-5"},
    UnitSpelling{"traffickers per 100 000 population per year", "1e-5 year-1"},
    UnitSpelling{"persons per 100 000 population per year", "1e-5 year-1"},
    UnitSpelling{"trials per 100 000 population per year", "1e-5 year-1"},
    UnitSpelling{"USD per 100 000 population per year", "1e-5 year-1"},
    UnitSpelling{"USD per 100 000 population per year at full intensity", "1e-5 year-1"},
    UnitSpelling{"USD per 100 000 population per year at full level", "1e-5 year-1"},
    UnitSpelling{"USD per 100 000 population per year at full strength", "1e-5 year-1"},
};

}  // namespace

std::span<const UnitSpelling> unit_spellings() { return kSpellings; }

std::string_view cf_units(std::string_view label) {
  for (const UnitSpelling& s : kSpellings)
    if (s.label == label) return s.udunits;
  throw std::invalid_argument("no UDUNITS spelling for the unit '" + std::string(label) +
                              "': add it to unit_spellings() (sim/output/cf_units.cpp)");
}

}  // namespace tipsim::output
