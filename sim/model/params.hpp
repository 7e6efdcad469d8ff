// The parameter table and the resolved, read-only scenario a run is built from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tipsim {

enum class ParamKind : std::uint8_t { Real, Integer, Boolean, Text };
enum class ParamScope : std::uint8_t { Global, Regional };

// Every scenario parameter, in the order of sim/model/parameters.def.
enum class Param : std::uint16_t {
#define TIPSIM_PARAM_GROUP(title)
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) id,
#include "parameters.def"
#undef TIPSIM_PARAM
};

inline constexpr std::size_t kParamCount = 0
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) +1
#include "parameters.def"
#undef TIPSIM_PARAM
#undef TIPSIM_PARAM_GROUP
    ;

// One row of the parameter table: everything the program knows about a key.
struct ParamSpec {
  Param id;
  std::string_view key;  // dotted path, e.g. "policy.prevention.awareness_reach"
  ParamKind kind;
  ParamScope scope;
  double default_value;
  double min_value;  // inclusive
  double max_value;  // inclusive
  std::string_view unit;
  std::string_view doc;
};

// The whole table, in declaration order.
const std::array<ParamSpec, kParamCount>& param_table();
inline const ParamSpec& spec(Param p) { return param_table()[static_cast<std::size_t>(p)]; }
// The group a parameter is declared in (TIPSIM_PARAM_GROUP), e.g.
// "policy: prosecution": a section of docs/scenario-reference.md.
std::string_view param_group(Param p);
// Looks a dotted key up; nullptr when unknown.
const ParamSpec* find_param(std::string_view key);
// The known keys closest to an unknown one, best first (suggest.hpp's
// near_misses over every key).
std::vector<std::string_view> suggest_params(std::string_view unknown_key, std::size_t max_suggestions = 3);

// Numeric values of every parameter (Text parameters hold 0 here).
// Integers and booleans are stored exactly as doubles.
struct ParamValues {
  std::array<double, kParamCount> value{};
  double operator[](Param p) const { return value[static_cast<std::size_t>(p)]; }
  double& operator[](Param p) { return value[static_cast<std::size_t>(p)]; }
  static ParamValues defaults();
  friend bool operator==(const ParamValues&, const ParamValues&) = default;
};

// Where a value came from, so that errors found after parsing still point at
// the file, line and column.
struct SourceLocation {
  std::string file;  // "<command line>" for --set overrides
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown
};

struct RegionSpec {
  std::string name;
  ParamValues values;  // Regional entries resolved (world default or override)
  friend bool operator==(const RegionSpec&, const RegionSpec&) = default;
};

// A route: people recruited in `from` are exploited in `to` with probability
// `share`; the rest of a region's recruits stay in their home region.
struct RouteSpec {
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  double share = 0;         // probability, [0, 1]; shares out of a region sum to <= 1
  double transit_days = 0;  // mean days in transit before exploitation
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

// Set: the lever takes the value; Scale: it is multiplied by it; Add: the
// value is added (allocations of added money add effort to what is there).
enum class LeverOp : std::uint8_t { Set, Scale, Add };
// "set", "scale" or "add": the intervention table names.
std::string_view lever_op_name(LeverOp op);

struct LeverChange {
  Param param;  // a Regional parameter
  LeverOp op;
  double value;  // the new value (Set) or the factor (Scale)
  friend bool operator==(const LeverChange&, const LeverChange&) = default;
};

// A time-bounded change of regional parameters: active for steps in
// [start_step, end_step), reaching full strength after ramp_steps.
struct InterventionSpec {
  std::string name;
  std::int64_t start_step = 0;
  std::int64_t end_step = 0;
  std::int32_t region = -1;  // region index; -1 = every region
  std::int64_t ramp_steps = 0;
  std::vector<LeverChange> changes;
  friend bool operator==(const InterventionSpec&, const InterventionSpec&) = default;
};

// The parsed, validated scenario. It never changes during a run.
struct Scenario {
  std::string name;
  std::string description;
  std::string source_path;             // as given on the command line; empty for built-in
  std::string source_text;             // the scenario file's text, verbatim
  std::vector<std::string> overrides;  // the --set KEY=VALUE (and --scale KEY*=FACTOR) arguments, in order
  // What the loader noticed but did not refuse, for people to read: a --set
  // of a key that regions override, which those regions do not take.
  std::vector<std::string> notes;
  ParamValues globals;              // Global values, and world defaults of Regional ones
  std::vector<RegionSpec> regions;  // at least one
  std::vector<RouteSpec> routes;
  std::vector<InterventionSpec> interventions;

  double get(Param p) const { return globals[p]; }
  std::int64_t get_int(Param p) const { return static_cast<std::int64_t>(globals[p]); }
  std::uint64_t seed() const { return static_cast<std::uint64_t>(globals[Param::scenario_seed]); }
  std::int32_t steps() const { return static_cast<std::int32_t>(globals[Param::scenario_steps]); }
  double step_years() const { return globals[Param::scenario_step_days] / 365.0; }
  std::int32_t region_index(std::string_view region_name) const;
};

// A scenario with one region, every parameter at its default. Tests build
// tiny worlds from it.
Scenario default_scenario();

// The fully resolved scenario as TOML: every key with its value, defaults and
// overrides applied. Loading this text gives back the same scenario.
std::string resolved_toml(const Scenario& scenario);

// A value for display: integers without a decimal point, booleans as
// true/false, reals with enough digits to round-trip.
std::string format_value(const ParamSpec& spec, double value);

}  // namespace tipsim
