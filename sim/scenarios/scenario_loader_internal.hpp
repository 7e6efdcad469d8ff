// The scenario loader's parts, shared by its files: what the file and the
// overrides set before resolution, the text helpers of its messages, and
// the Loader that reads a document (scenario_values.cpp: values and keys;
// scenario_tables.cpp: [[region]], [[route]], [[intervention]], --set and
// extends; scenario_loader.cpp: resolution into a Scenario).
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quoting.hpp"
#include "scenario_loader.hpp"

namespace tipsim::scenario_detail {

// Region indices are stored in 8 bits in the model's hot arrays.
inline constexpr std::size_t kMaxRegions = 255;
// Summed route shares may carry rounding error (0.1 + 0.2 + 0.7).
inline constexpr double kShareTolerance = 1e-9;
// Largest integer a double holds exactly; integers are stored as doubles.
inline constexpr double kMaxExactInteger = 9007199254740992.0;
// Bounds of the step fields of an [[intervention]] and the transit time of a
// [[route]], taken from the table so they agree with the keys they relate to.
inline const ParamSpec& steps_spec() { return spec(Param::scenario_steps); }
inline const ParamSpec& transit_spec() { return spec(Param::movement_transit_days); }

// Keys an older tipsim read, with what replaced them and how to convert a
// value, so that an old scenario is told what to write instead.
struct RenamedKey {
  std::string_view old_key;
  std::string_view new_key;
  std::string_view conversion;
};
inline constexpr std::array<RenamedKey, 5> kRenamedKeys{{
    {"movement.transit_steps", "movement.transit_days", "a time in days: steps x scenario.step_days"},
    {"movement.domestic_delay_steps", "movement.domestic_delay_days",
     "a time in days: steps x scenario.step_days"},
    {"identification.border_detection_per_step", "identification.border_detection_rate_per_year",
     "a hazard per year in transit: -ln(1 - p) x 365 / scenario.step_days for a probability p per step"},
    {"route.transit_steps", "route.transit_days", "a time in days: steps x scenario.step_days"},
    {"recruitment.deterrence", "recruitment.deterrence_elasticity",
     "an elasticity to the perceived risk of the trafficker's market and region (0.1 to 0.7 in the "
     "criminology literature), not a factor per unit of risk; see also "
     "recruitment.risk_noticed_per_year"},
}};
inline const RenamedKey* renamed_key(std::string_view key) {
  for (const RenamedKey& r : kRenamedKeys)
    if (r.old_key == key) return &r;
  return nullptr;
}
inline std::string renamed_message(const RenamedKey& r) {
  return "this key is now '" + std::string(r.new_key) + "', " + std::string(r.conversion);
}

inline constexpr std::array<std::string_view, 3> kTopLevelArrays = {"region", "route", "intervention"};
inline constexpr std::array<std::string_view, 4> kRouteFields = {"from", "to", "share", "transit_days"};
inline constexpr std::array<std::string_view, 8> kInterventionFields = {
    "name", "start_step", "end_step", "region", "ramp_steps", "set", "scale", "add"};

// ---- text helpers -------------------------------------------------------------

inline std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", '" : "'") + names[i] + "'";
  return out;
}

// Whole numbers of up to ten digits in full, others in the shortest text
// that reads back as the same number.
inline std::string number_text(double value) {
  if (std::trunc(value) == value && std::abs(value) < 1e10)
    return std::to_string(static_cast<std::int64_t>(value));
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

// Where the first NUL character of a text is (line and column, 1-based,
// columns in characters), if it has one. TOML never allows one, and toml++
// 3.3 does not always refuse it cleanly (its debug builds assert on it), so
// a text with a NUL is refused before it is parsed.
inline std::optional<std::pair<int, int>> nul_position(std::string_view text) {
  const std::size_t at = text.find('\0');
  if (at == std::string_view::npos) return std::nullopt;
  int line = 1, column = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;  // not a UTF-8 continuation byte
    }
  }
  return std::pair{line, column};
}
inline constexpr const char* kNulMessage =
    "malformed TOML: a NUL character, which TOML does not allow anywhere (is this a binary file?)";

inline bool is_table_prefix(std::string_view prefix) {
  for (const ParamSpec& s : param_table())
    if (s.key.size() > prefix.size() && s.key.starts_with(prefix) && s.key[prefix.size()] == '.') return true;
  return false;
}

// What a TOML node is, in words, for "got ..." messages.
inline std::string node_kind(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "text";
    case toml::node_type::integer:
      return "a whole number";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// The value as the researcher wrote it (for tables and arrays, a placeholder).
inline std::string node_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return toml_string(s->get());
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return number_text(f->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (node.is_table()) return "{...}";
  if (node.is_array()) return "[...]";
  std::ostringstream os;
  node.visit([&](const auto& v) { os << v; });
  return os.str();
}

inline std::string unit_suffix(const ParamSpec& s) {
  if (s.unit.empty() || s.unit == "1" || s.kind == ParamKind::Boolean) return "";
  return " (" + std::string(s.unit) + ")";
}

// What a key accepts, e.g. "a number from 0 to 1 (share of population per year)".
inline std::string allowed_text(const ParamSpec& s) {
  switch (s.kind) {
    case ParamKind::Boolean:
      return "true or false";
    case ParamKind::Text:
      return "text in double quotes";
    case ParamKind::Integer:
      return "a whole number from " + number_text(s.min_value) + " to " + number_text(s.max_value) +
             unit_suffix(s);
    case ParamKind::Real:
      break;
  }
  return "a number from " + number_text(s.min_value) + " to " + number_text(s.max_value) + unit_suffix(s);
}

// ---- what the file and the overrides set, before resolution ---------------------

// One explicitly given value of a parameter.
struct Entry {
  bool given = false;
  double number = 0;
  std::string text;     // Text parameters
  std::string written;  // the value as written, for messages
  SourceLocation where;
};

// The values one level (the world, or one region) sets explicitly.
using Entries = std::array<Entry, kParamCount>;

struct RawRegion {
  std::string name;
  SourceLocation where;
  bool valid = false;      // has a usable, unique name
  bool inherited = false;  // comes from the scenario this one extends
  bool claimed = false;    // an inherited region this file has overridden
  Entries entries;
};

template <typename T>
struct Field {
  std::optional<T> value;
  std::string written;
  SourceLocation where;
};

struct RawRoute {
  SourceLocation where;
  Field<std::string> from, to;
  Field<double> share;
  Field<double> transit_days;
  bool valid = true;
  bool inherited = false;  // comes from the scenario this one extends
};

struct RawLever {
  const ParamSpec* param;
  LeverOp op;
  double value;
  SourceLocation where;
};

struct RawIntervention {
  SourceLocation where;
  std::string name;
  std::string key_prefix = "intervention.";  // its fields' keys in messages ("inject." in an exercise)
  Field<std::int64_t> start_step, end_step, ramp_steps;
  Field<std::string> region;
  std::vector<RawLever> levers;
  bool valid = true;
};

// An intervention written inside another document's table (an exercise's
// inject or decision option): the fields of its own the caller reads, and
// the step it starts at; the rest are an intervention's (region, end_step,
// ramp_steps, set, scale, add), and it may change nothing.
struct EmbeddedFields {
  std::string table;  // the table's key for messages, e.g. "inject"
  std::string what;   // "an [[inject]]"
  std::vector<std::string> own;
  std::int64_t start_step = 0;
};
struct EmbeddedIntervention {
  const toml::table* table;
  std::string name;  // the intervention's name in the scenario
  EmbeddedFields fields;
};

// Where a parameter's value is being read, which decides what is allowed.
enum class Place { World, Region, InterventionSet, InterventionScale, InterventionAdd };

// The one region of a scenario that names none.
inline RawRegion make_world_region(const std::string& file) {
  RawRegion region;
  region.name = "world";
  region.where = SourceLocation{file, 0, 0};
  region.valid = true;
  return region;
}

class Loader {
 public:
  // `chain` lists the files that extend this one, to refuse a cycle.
  explicit Loader(std::string file, std::vector<std::string> chain = {})
      : file_(std::move(file)), chain_(std::move(chain)) {}

  Scenario load(std::string_view text, const std::vector<std::string>& overrides);
  // A file of [[intervention]] tables only, resolved against `scenario`
  // (load_intervention_file()).
  std::vector<InterventionSpec> load_interventions(std::string_view text, const Scenario& scenario);
  // The tables of interventions written inside another document this
  // loader's file names (exercise.cpp), resolved against `scenario`, one
  // per table when no problem is found; problems are added to `issues`.
  std::vector<InterventionSpec> read_embedded_interventions(const Scenario& scenario,
                                                            const std::vector<EmbeddedIntervention>& tables,
                                                            std::vector<ScenarioIssue>& issues);
  // Its problems so far, each where the document says it (exercise.cpp).
  void report_issue(SourceLocation where, std::string key, std::string value, std::string message) {
    report(std::move(where), std::move(key), std::move(value), std::move(message));
  }

 private:
  // The steps of load(), in order (scenario_loader.cpp).
  toml::table parse(std::string_view text);
  Scenario resolve_world(std::string_view text, const std::vector<std::string>& overrides);
  void check_budget(const Scenario& scenario);
  void check_population(const Scenario& scenario);
  void resolve_regions(Scenario& scenario);
  void resolve_routes(Scenario& scenario);
  void resolve_interventions(Scenario& scenario);
  // The raw interventions read so far resolved against another document's
  // scenario (its regions and steps), that scenario's own left out.
  std::vector<InterventionSpec> resolve_interventions_of(const Scenario& scenario);
  void throw_issues_in_reading_order();
  // The index of the region a field names (-1 for "all" where allowed), or
  // nothing after reporting why it names none.
  std::optional<std::int32_t> region_of(const Scenario& scenario, const Field<std::string>& field,
                                        const std::string& key, bool allow_all);

  // Reads one scenario document into the raw levels: first the scenario it
  // extends (if any), then its own keys on top.
  void read_document(const toml::table& document);
  void read_base(const toml::node& extends);

  SourceLocation at(const toml::source_region& region) const {
    return SourceLocation{file_, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
  }
  void report(SourceLocation where, std::string key, std::string value, std::string message) {
    issues_.push_back(ScenarioIssue{std::move(where), std::move(key), std::move(value), std::move(message)});
  }

  // Converts a node to a parameter's value, or reports why it cannot.
  bool convert(const ParamSpec& s, const toml::node& node, const SourceLocation& where,
               const std::string& key, Entry& out);
  bool read_integer_field(const toml::node& node, const SourceLocation& where, const std::string& key,
                          double lo, double hi, std::string_view what, Field<std::int64_t>& out);
  bool read_number_field(const toml::node& node, const SourceLocation& where, const std::string& key,
                         double lo, double hi, std::string_view what, Field<double>& out);
  bool read_text_field(const toml::node& node, const SourceLocation& where, const std::string& key,
                       Field<std::string>& out);

  // Flattens nested tables and quoted dotted keys into dotted paths and hands
  // every value to `assign`.
  // `dotted_start` is where a dotted key (a.b.c = 1) begins, so that its
  // problems point at the whole key rather than its last part.
  void walk(const toml::table& table, const std::string& prefix, Place place, Entries* entries,
            std::vector<RawLever>* levers, bool top_level, const SourceLocation* dotted_start = nullptr);
  void assign(const std::string& key, const toml::node& node, const SourceLocation& key_where, Place place,
              Entries* entries, std::vector<RawLever>* levers);
  // `key` as the researcher wrote it; suggestions are looked up for `key`
  // without `prefix` (e.g. "region.North.") and shown with it.
  void unknown_key(const std::string& key, const std::string& value, const SourceLocation& where, Place place,
                   const std::string& prefix = "");

  void read_regions(const toml::node& node, const SourceLocation& where);
  void read_routes(const toml::node& node, const SourceLocation& where);
  void read_interventions(const toml::node& node, const SourceLocation& where);
  RawIntervention read_intervention(const toml::table& table, std::string name,
                                    const EmbeddedFields* embedded = nullptr);
  void apply_override(std::size_t position, const std::string& argument);
  void apply_scale_override(const SourceLocation& where, const std::string& key,
                            const std::string& value_text);
  void apply_scales(Scenario& scenario);
  void note_overridden_sets(Scenario& scenario);

  void check_vulnerability(const ParamValues& values, const Entries& own, const Entries& world,
                           const std::string& region_label);

  std::string file_;
  std::vector<std::string> chain_;
  std::vector<std::string> files_read_;  // base scenarios first, this file last: the order of issues
  std::vector<ScenarioIssue> issues_;
  Entries world_;
  std::vector<RawRegion> regions_;
  std::vector<RawRoute> routes_;
  std::vector<RawIntervention> interventions_;
  // --scale KEY=FACTOR overrides, in order: applied to the world value and
  // to every region's own value once all values are set.
  struct ScaleOverride {
    const ParamSpec* param;
    double factor;
    std::string written;
    SourceLocation where;
  };
  std::vector<ScaleOverride> scales_;
  // World-level --set overrides of regional keys, for the notes.
  std::vector<std::pair<const ParamSpec*, std::string>> world_sets_;
  // Parameters with an invalid value somewhere: cross-checks that involve
  // them would only repeat the problem with a misleading default.
  std::array<bool, kParamCount> invalid_{};
};

}  // namespace tipsim::scenario_detail
