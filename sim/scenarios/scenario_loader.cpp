#include "scenario_loader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <tuple>

#include "quoting.hpp"
#include "suggest.hpp"

namespace tipsim {

namespace {

// Region indices are stored in 8 bits in the model's hot arrays.
constexpr std::size_t kMaxRegions = 255;
// Summed route shares may carry rounding error (0.1 + 0.2 + 0.7).
constexpr double kShareTolerance = 1e-9;
// Largest integer a double holds exactly; integers are stored as doubles.
constexpr double kMaxExactInteger = 9007199254740992.0;
// Bounds of the step fields of an [[intervention]] and the transit time of a
// [[route]], taken from the table so they agree with the keys they relate to.
const ParamSpec& steps_spec() { return spec(Param::scenario_steps); }
const ParamSpec& transit_spec() { return spec(Param::movement_transit_steps); }

constexpr std::array<std::string_view, 3> kTopLevelArrays = {"region", "route", "intervention"};
constexpr std::array<std::string_view, 4> kRouteFields = {"from", "to", "share", "transit_steps"};
constexpr std::array<std::string_view, 7> kInterventionFields = {
    "name", "start_step", "end_step", "region", "ramp_steps", "set", "scale"};

// ---- text helpers -------------------------------------------------------------

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", '" : "'") + names[i] + "'";
  return out;
}

// Whole numbers of up to ten digits in full, others in the shortest text
// that reads back as the same number.
std::string number_text(double value) {
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
std::optional<std::pair<int, int>> nul_position(std::string_view text) {
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
constexpr const char* kNulMessage =
    "malformed TOML: a NUL character, which TOML does not allow anywhere (is this a binary file?)";

bool is_table_prefix(std::string_view prefix) {
  for (const ParamSpec& s : param_table())
    if (s.key.size() > prefix.size() && s.key.starts_with(prefix) && s.key[prefix.size()] == '.') return true;
  return false;
}

// What a TOML node is, in words, for "got ..." messages.
std::string node_kind(const toml::node& node) {
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
std::string node_text(const toml::node& node) {
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

std::string unit_suffix(const ParamSpec& s) {
  if (s.unit.empty() || s.unit == "1" || s.kind == ParamKind::Boolean) return "";
  return " (" + std::string(s.unit) + ")";
}

// What a key accepts, e.g. "a number from 0 to 1 (share of population per year)".
std::string allowed_text(const ParamSpec& s) {
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
  Field<std::int64_t> transit_steps;
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
  Field<std::int64_t> start_step, end_step, ramp_steps;
  Field<std::string> region;
  std::vector<RawLever> levers;
  bool valid = true;
};

// Where a parameter's value is being read, which decides what is allowed.
enum class Place { World, Region, InterventionSet, InterventionScale };

// The one region of a scenario that names none.
RawRegion make_world_region(const std::string& file) {
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

 private:
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
  void apply_override(std::size_t position, const std::string& argument);

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
  // Parameters with an invalid value somewhere: cross-checks that involve
  // them would only repeat the problem with a misleading default.
  std::array<bool, kParamCount> invalid_{};
};

bool Loader::convert(const ParamSpec& s, const toml::node& node, const SourceLocation& where,
                     const std::string& key, Entry& out) {
  const std::string written = node_text(node);
  auto fail = [&](const std::string& why) {
    invalid_[static_cast<std::size_t>(s.id)] = true;
    report(where, key, written, why);
    return false;
  };
  double v = 0;
  switch (s.kind) {
    case ParamKind::Text:
      if (!node.is_string())
        return fail("wrong type: expected " + allowed_text(s) + ", got " + node_kind(node));
      out.text = node.as_string()->get();
      break;
    case ParamKind::Boolean:
      if (!node.is_boolean()) return fail("wrong type: expected true or false, got " + node_kind(node));
      v = node.as_boolean()->get() ? 1 : 0;
      break;
    case ParamKind::Integer:
      if (node.is_integer()) {
        v = static_cast<double>(node.as_integer()->get());
      } else if (node.is_floating_point() && std::isfinite(node.as_floating_point()->get()) &&
                 std::trunc(node.as_floating_point()->get()) == node.as_floating_point()->get() &&
                 std::abs(node.as_floating_point()->get()) <= kMaxExactInteger) {
        // 1e6 is a float in TOML; accept it where a whole number is meant.
        v = node.as_floating_point()->get();
      } else {
        return fail("wrong type: expected " + allowed_text(s) + ", got " + node_kind(node));
      }
      break;
    case ParamKind::Real:
      if (node.is_integer()) {
        v = static_cast<double>(node.as_integer()->get());
      } else if (node.is_floating_point()) {
        v = node.as_floating_point()->get();
      } else {
        return fail("wrong type: expected " + allowed_text(s) + ", got " + node_kind(node));
      }
      break;
  }
  if (s.kind == ParamKind::Integer || s.kind == ParamKind::Real) {
    // Written so that NaN fails too.
    if (!(v >= s.min_value && v <= s.max_value)) return fail("out of range: allowed is " + allowed_text(s));
  }
  out.given = true;
  out.number = v;
  out.written = written;
  out.where = where;
  return true;
}

bool Loader::read_integer_field(const toml::node& node, const SourceLocation& where, const std::string& key,
                                double lo, double hi, std::string_view what, Field<std::int64_t>& out) {
  const std::string allowed =
      "a whole number from " + number_text(lo) + " to " + number_text(hi) + " (" + std::string(what) + ")";
  out.written = node_text(node);
  out.where = where;
  double v = 0;
  if (node.is_integer()) {
    v = static_cast<double>(node.as_integer()->get());
  } else if (node.is_floating_point() &&
             std::trunc(node.as_floating_point()->get()) == node.as_floating_point()->get()) {
    v = node.as_floating_point()->get();
  } else {
    report(where, key, out.written, "wrong type: expected " + allowed + ", got " + node_kind(node));
    return false;
  }
  if (!(v >= lo && v <= hi)) {
    report(where, key, out.written, "out of range: allowed is " + allowed);
    return false;
  }
  out.value = static_cast<std::int64_t>(v);
  return true;
}

bool Loader::read_text_field(const toml::node& node, const SourceLocation& where, const std::string& key,
                             Field<std::string>& out) {
  out.written = node_text(node);
  out.where = where;
  if (!node.is_string()) {
    report(where, key, out.written, "wrong type: expected text in double quotes, got " + node_kind(node));
    return false;
  }
  out.value = node.as_string()->get();
  return true;
}

void Loader::unknown_key(const std::string& key, const std::string& value, const SourceLocation& where,
                         Place place, const std::string& prefix) {
  const std::string lookup = key.substr(prefix.size());
  std::vector<std::string> candidates;
  // Ask for every close key, then keep those allowed here.
  for (std::string_view k : suggest_params(lookup, kParamCount)) {
    if (place != Place::World && find_param(k)->scope != ParamScope::Regional) continue;
    candidates.push_back(prefix + std::string(k));
    if (candidates.size() == 3) break;
  }
  std::vector<std::string> structural;
  if (place == Place::World && prefix.empty()) structural = {"region", "route", "intervention", "extends"};
  if (place == Place::Region && prefix.empty()) structural = {"name"};
  for (std::string& s : near_misses(lookup, structural, 1)) candidates.insert(candidates.begin(), s);
  std::string message = "unknown key" + did_you_mean(candidates);
  if (candidates.empty()) {
    message += place == Place::World
                   ? " (docs/scenario-reference.md lists every key)"
                   : " (only regional keys are allowed here; docs/scenario-reference.md lists them)";
  }
  report(where, key, value, message);
}

void Loader::assign(const std::string& key, const toml::node& node, const SourceLocation& key_where,
                    Place place, Entries* entries, std::vector<RawLever>* levers) {
  const SourceLocation value_where = at(node.source());
  const ParamSpec* s = find_param(key);
  if (s == nullptr) {
    if (is_table_prefix(key)) {
      report(value_where, key, node_text(node),
             "'" + key + "' is a group of keys, not a value; give its keys, e.g. '" + key + ".…' = value");
    } else {
      unknown_key(key, node_text(node), key_where, place);
    }
    return;
  }
  if (place != Place::World && s->scope == ParamScope::Global) {
    invalid_[static_cast<std::size_t>(s->id)] = true;
    const std::string why =
        place == Place::Region
            ? "this key applies to the whole world and cannot differ by region; set it at the "
              "top level of the scenario"
            : "interventions can only change regional keys (policy levers and other "
              "per-region values); this key applies to the whole world";
    report(key_where, key, node_text(node), why);
    return;
  }
  if (place == Place::InterventionScale) {
    const std::string written = node_text(node);
    if (s->kind == ParamKind::Boolean) {
      report(value_where, key, written,
             "a switch (true/false) cannot be scaled; use [intervention.set] instead");
      return;
    }
    double factor = 0;
    if (node.is_integer()) {
      factor = static_cast<double>(node.as_integer()->get());
    } else if (node.is_floating_point()) {
      factor = node.as_floating_point()->get();
    } else {
      report(value_where, key, written,
             "wrong type: expected a scale factor (a number of at least 0), got " + node_kind(node));
      return;
    }
    if (!(factor >= 0) || !std::isfinite(factor)) {
      report(value_where, key, written, "out of range: a scale factor must be a finite number of at least 0");
      return;
    }
    levers->push_back(RawLever{s, LeverOp::Scale, factor, value_where});
    return;
  }
  Entry entry;
  if (!convert(*s, node, value_where, key, entry)) return;
  if (place == Place::InterventionSet) {
    levers->push_back(RawLever{s, LeverOp::Set, entry.number, value_where});
  } else {
    (*entries)[static_cast<std::size_t>(s->id)] = std::move(entry);
  }
}

void Loader::walk(const toml::table& table, const std::string& prefix, Place place, Entries* entries,
                  std::vector<RawLever>* levers, bool top_level, const SourceLocation* dotted_start) {
  for (auto&& [k, node] : table) {
    const std::string name(k.str());
    const SourceLocation key_where =
        dotted_start != nullptr && dotted_start->line == static_cast<int>(k.source().begin.line)
            ? *dotted_start
            : at(k.source());
    if (top_level &&
        std::find(kTopLevelArrays.begin(), kTopLevelArrays.end(), name) != kTopLevelArrays.end()) {
      const SourceLocation where = at(k.source());
      if (name == "region") read_regions(node, where);
      if (name == "route") read_routes(node, where);
      if (name == "intervention") read_interventions(node, where);
      continue;
    }
    if (place == Place::Region && prefix.empty() && name == "name") continue;  // read by read_regions
    if (top_level && name == "extends") continue;                              // read by read_document
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    if (const toml::table* sub = node.as_table()) {
      // An empty table that leads to no key is a misspelt section header.
      if (sub->empty() && !is_table_prefix(key) && find_param(key) == nullptr) {
        unknown_key(key, "{}", key_where, place);
        continue;
      }
      walk(*sub, key, place, entries, levers, false, sub->is_inline() ? nullptr : &key_where);
      continue;
    }
    assign(key, node, key_where, place, entries, levers);
  }
}

void Loader::read_regions(const toml::node& node, const SourceLocation& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    report(where, "region", node_text(node),
           "regions are an array of tables: write each one as [[region]] with a name = \"...\" line");
    return;
  }
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    RawRegion region;
    region.where = at(table.source());
    if (const toml::node* name = table.get("name")) {
      Field<std::string> field;
      if (read_text_field(*name, at(name->source()), "region.name", field)) {
        region.name = *field.value;
        region.where = field.where;
        const auto same_name = std::find_if(regions_.begin(), regions_.end(),
                                            [&](const RawRegion& r) { return r.name == region.name; });
        // A region of the extended scenario is overridden, once.
        if (same_name != regions_.end() && same_name->inherited && !same_name->claimed) {
          same_name->claimed = true;
          walk(table, "", Place::Region, &same_name->entries, nullptr, false);
          continue;
        }
        const bool duplicate = same_name != regions_.end();
        const bool control = std::any_of(region.name.begin(), region.name.end(),
                                         [](char c) { return static_cast<unsigned char>(c) < 0x20; });
        if (region.name.empty() || control) {
          report(field.where, "region.name", field.written,
                 "a region name must be non-empty text on one line");
        } else if (region.name == "all") {
          report(field.where, "region.name", field.written,
                 "'all' is reserved (an intervention's region = \"all\" means every region); choose another "
                 "name");
        } else if (duplicate) {
          report(field.where, "region.name", field.written,
                 "two regions have this name; names must be unique");
        } else {
          region.valid = true;
        }
      }
    } else {
      report(region.where, "region.name", "", "a [[region]] needs a name = \"...\" line");
    }
    walk(table, "", Place::Region, &region.entries, nullptr, false);
    regions_.push_back(std::move(region));
    if (regions_.size() == kMaxRegions + 1) {
      report(regions_.back().where, "region", "",
             "too many regions: at most " + std::to_string(kMaxRegions) + " are supported");
    }
  }
}

void Loader::read_routes(const toml::node& node, const SourceLocation& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    report(where, "route", node_text(node),
           "routes are an array of tables: write each one as [[route]] with from, to and share");
    return;
  }
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    RawRoute route;
    route.where = at(table.source());
    for (auto&& [k, value] : table) {
      const std::string field(k.str());
      const std::string key = "route." + field;
      const SourceLocation value_where = at(value.source());
      bool ok = true;
      if (field == "from") {
        ok = read_text_field(value, value_where, key, route.from);
      } else if (field == "to") {
        ok = read_text_field(value, value_where, key, route.to);
      } else if (field == "share") {
        route.share.written = node_text(value);
        route.share.where = value_where;
        const std::string allowed =
            "a number from 0 to 1 (probability that a recruit is taken along this route)";
        if (!value.is_integer() && !value.is_floating_point()) {
          report(value_where, key, route.share.written,
                 "wrong type: expected " + allowed + ", got " + node_kind(value));
          ok = false;
        } else {
          const double share = value.is_integer() ? static_cast<double>(value.as_integer()->get())
                                                  : value.as_floating_point()->get();
          if (!(share >= 0 && share <= 1)) {
            report(value_where, key, route.share.written, "out of range: allowed is " + allowed);
            ok = false;
          } else {
            route.share.value = share;
          }
        }
      } else if (field == "transit_steps") {
        ok = read_integer_field(value, value_where, key, transit_spec().min_value, transit_spec().max_value,
                                "steps", route.transit_steps);
      } else {
        const std::vector<std::string> fields(kRouteFields.begin(), kRouteFields.end());
        report(at(k.source()), key, node_text(value),
               "unknown route field" + did_you_mean(near_misses(field, fields)) +
                   " (a route has from, to, share and optionally transit_steps)");
        ok = false;
      }
      route.valid = route.valid && ok;
    }
    if (!route.from.value && route.from.written.empty()) {
      report(route.where, "route.from", "", "a [[route]] needs from = \"REGION\"");
      route.valid = false;
    }
    if (!route.to.value && route.to.written.empty()) {
      report(route.where, "route.to", "", "a [[route]] needs to = \"REGION\"");
      route.valid = false;
    }
    if (!route.share.value && route.share.written.empty()) {
      report(route.where, "route.share", "", "a [[route]] needs share = a number from 0 to 1");
      route.valid = false;
    }
    // A route between the same regions as one of the extended scenario replaces it.
    const auto inherited = std::find_if(routes_.begin(), routes_.end(), [&](const RawRoute& r) {
      return r.inherited && route.from.value && route.to.value && r.from.value == route.from.value &&
             r.to.value == route.to.value;
    });
    if (inherited != routes_.end()) {
      *inherited = std::move(route);
    } else {
      routes_.push_back(std::move(route));
    }
  }
}

void Loader::read_interventions(const toml::node& node, const SourceLocation& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    report(where, "intervention", node_text(node),
           "interventions are an array of tables: write each one as [[intervention]]");
    return;
  }
  const double max_step = steps_spec().max_value;
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    RawIntervention iv;
    iv.where = at(table.source());
    iv.name = "intervention " + std::to_string(interventions_.size() + 1);
    for (auto&& [k, value] : table) {
      const std::string field(k.str());
      const std::string key = "intervention." + field;
      const SourceLocation value_where = at(value.source());
      bool ok = true;
      if (field == "name") {
        Field<std::string> name;
        ok = read_text_field(value, value_where, key, name);
        if (ok) iv.name = *name.value;
      } else if (field == "start_step") {
        ok = read_integer_field(value, value_where, key, 0, max_step, "step at which it starts",
                                iv.start_step);
      } else if (field == "end_step") {
        ok =
            read_integer_field(value, value_where, key, 1, max_step, "first step after it ends", iv.end_step);
      } else if (field == "ramp_steps") {
        ok = read_integer_field(value, value_where, key, 0, max_step, "steps to reach full strength",
                                iv.ramp_steps);
      } else if (field == "region") {
        ok = read_text_field(value, value_where, key, iv.region);
      } else if (field == "set" || field == "scale") {
        if (const toml::table* levers = value.as_table()) {
          walk(*levers, "", field == "set" ? Place::InterventionSet : Place::InterventionScale, nullptr,
               &iv.levers, false);
        } else {
          report(value_where, key, node_text(value),
                 "expected a table of regional keys, e.g. [intervention." + field +
                     "] with policy.protection.shelter_beds_per_100k = ...");
          ok = false;
        }
      } else {
        const std::vector<std::string> fields(kInterventionFields.begin(), kInterventionFields.end());
        report(at(k.source()), key, node_text(value),
               "unknown intervention field" + did_you_mean(near_misses(field, fields)) +
                   " (an intervention has name, start_step, end_step, region, ramp_steps, set and scale)");
        ok = false;
      }
      iv.valid = iv.valid && ok;
    }
    if (!iv.start_step.value && iv.start_step.written.empty()) {
      report(iv.where, "intervention.start_step", "", "an [[intervention]] needs start_step = a step number");
      iv.valid = false;
    }
    if (iv.valid && iv.levers.empty() && !table.contains("set") && !table.contains("scale")) {
      report(iv.where, "intervention", "",
             "intervention '" + iv.name +
                 "' changes nothing: give an [intervention.set] or [intervention.scale] "
                 "table");
      iv.valid = false;
    }
    // Which of set and scale applies first would be arbitrary.
    for (std::size_t i = 0; i < iv.levers.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (iv.levers[i].param == iv.levers[j].param && iv.levers[i].op != iv.levers[j].op) {
          report(iv.levers[i].where, std::string(iv.levers[i].param->key), "",
                 "intervention '" + iv.name + "' both sets and scales this key; use one or the other");
          iv.valid = false;
        }
      }
    }
    interventions_.push_back(std::move(iv));
  }
}

void Loader::apply_override(std::size_t position, const std::string& argument) {
  const SourceLocation where{std::string(kCommandLineSource), static_cast<int>(position), 0};
  const auto eq = argument.find('=');
  if (eq == std::string::npos) {
    report(where, argument, "",
           "an override must look like KEY=VALUE, e.g. --set policy.partnership.level=0.5");
    return;
  }
  const std::string key(trim_blanks(std::string_view(argument).substr(0, eq)));
  const std::string value_text(trim_blanks(std::string_view(argument).substr(eq + 1)));

  // Which level the key belongs to: the world, or one region.
  std::string param_key = key;
  RawRegion* region = nullptr;
  if (key.starts_with("region.")) {
    const std::string rest = key.substr(7);
    for (RawRegion& r : regions_) {
      if (r.valid && rest.size() > r.name.size() + 1 && rest.starts_with(r.name) &&
          rest[r.name.size()] == '.') {
        if (region == nullptr || r.name.size() > region->name.size()) region = &r;
      }
    }
    // No [[region]] in the file means one region, "world".
    if (regions_.empty() && rest.starts_with("world.")) {
      regions_.push_back(make_world_region(file_));
      region = &regions_.back();
    }
    if (region == nullptr) {
      const std::string name = rest.substr(0, rest.find('.'));
      std::vector<std::string> names;
      for (const RawRegion& r : regions_)
        if (r.valid) names.push_back(r.name);
      if (names.empty()) names.push_back("world");
      report(where, key, value_text,
             "no region named '" + name + "'" + did_you_mean(near_misses(name, names)) +
                 "; the regions are " + quoted_list(names) + " (write region.NAME.KEY=VALUE)");
      return;
    }
    param_key = rest.substr(region->name.size() + 1);
  } else if (key == "extends") {
    report(where, key, value_text,
           "a scenario can only extend another in the file (extends = \"base.toml\")");
    return;
  } else if (key == "region" || key == "route" || key == "intervention" || key.starts_with("route.") ||
             key.starts_with("intervention.")) {
    report(
        where, key, value_text,
        "routes and interventions cannot be changed with --set; edit the scenario file (regional keys of one "
        "region are set with region.NAME.KEY=VALUE)");
    return;
  }

  const ParamSpec* s = find_param(param_key);
  const Place place = region != nullptr ? Place::Region : Place::World;
  if (s == nullptr) {
    unknown_key(key, value_text, where, place, region != nullptr ? "region." + region->name + "." : "");
    return;
  }
  if (region != nullptr && s->scope == ParamScope::Global) {
    invalid_[static_cast<std::size_t>(s->id)] = true;
    report(where, key, value_text,
           "'" + param_key +
               "' applies to the whole world and cannot differ by region; set it without the "
               "region.NAME. prefix");
    return;
  }

  // The value is TOML; a bare word is text for text keys.
  std::optional<toml::table> parsed;
  if (value_text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos) {
    try {
      toml::table t = toml::parse("value = " + value_text);
      if (t.size() == 1 && t.contains("value")) parsed = std::move(t);
    } catch (const toml::parse_error&) {
    }
  }
  Entry entry;
  if (s->kind == ParamKind::Text) {
    if (parsed && parsed->get("value")->is_string()) {
      entry.text = parsed->get("value")->as_string()->get();
    } else {
      entry.text = value_text;
    }
    entry.given = true;
    entry.written = value_text;
    entry.where = where;
  } else {
    if (!parsed) {
      invalid_[static_cast<std::size_t>(s->id)] = true;
      report(where, key, value_text, "not a valid value: expected " + allowed_text(*s));
      return;
    }
    if (!convert(*s, *parsed->get("value"), where, key, entry)) return;
    entry.written = value_text;
  }
  Entries& target = region != nullptr ? region->entries : world_;
  target[static_cast<std::size_t>(s->id)] = std::move(entry);
}

void Loader::check_vulnerability(const ParamValues& values, const Entries& own, const Entries& world,
                                 const std::string& region_label) {
  const auto mean_i = static_cast<std::size_t>(Param::population_vulnerability_mean);
  const auto sd_i = static_cast<std::size_t>(Param::population_vulnerability_sd);
  if (invalid_[mean_i] || invalid_[sd_i]) return;
  const double mean = values[Param::population_vulnerability_mean];
  const double sd = values[Param::population_vulnerability_sd];
  const double limit = std::sqrt(mean * (1 - mean));
  if (sd < limit) return;
  // Point at the value that was written, preferring this level's own.
  const Entry* blamed = own[sd_i].given     ? &own[sd_i]
                        : own[mean_i].given ? &own[mean_i]
                        : world[sd_i].given ? &world[sd_i]
                                            : &world[mean_i];
  const bool blame_sd = blamed == &own[sd_i] || blamed == &world[sd_i];
  const ParamSpec& blamed_spec =
      spec(blame_sd ? Param::population_vulnerability_sd : Param::population_vulnerability_mean);
  std::ostringstream why;
  why << "population.vulnerability_sd = " << number_text(sd)
      << " is too large for population.vulnerability_mean = " << number_text(mean) << region_label
      << ": a Beta distribution needs sd < sqrt(mean * (1 - mean)) = "
      << number_text(std::round(limit * 1e6) / 1e6);
  report(blamed->given ? blamed->where : SourceLocation{file_, 0, 0}, std::string(blamed_spec.key),
         blamed->written, why.str());
}

void Loader::read_base(const toml::node& extends) {
  const SourceLocation where = at(extends.source());
  const std::string written = node_text(extends);
  if (!extends.is_string()) {
    report(
        where, "extends", written,
        "wrong type: expected the path of another scenario file in double quotes, got " + node_kind(extends));
    return;
  }
  // Relative to the folder of the file that names it, so scenarios can be
  // run from anywhere.
  const std::filesystem::path named(extends.as_string()->get());
  const std::string path =
      named.is_absolute() ? named.string() : (std::filesystem::path(file_).parent_path() / named).string();
  std::error_code ec;
  const std::string identity = std::filesystem::weakly_canonical(path, ec).string();
  std::vector<std::string> chain = chain_;
  chain.push_back(std::filesystem::weakly_canonical(file_, ec).string());
  if (std::find(chain.begin(), chain.end(), identity) != chain.end()) {
    report(where, "extends", written,
           "scenarios extend each other in a circle; one of them must stand alone");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (std::filesystem::is_directory(path, ec) || !in) {
    report(where, "extends", written,
           "cannot read the extended scenario '" + path + "'" +
               (std::filesystem::exists(path, ec) ? std::string() : ": no such file") +
               " (the path is relative to the folder of this file)");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  Loader base(path, std::move(chain));
  if (const auto nul = nul_position(text.str())) {
    report(SourceLocation{path, nul->first, nul->second}, "", "", kNulMessage);
    return;
  }
  toml::table document;
  try {
    document = toml::parse(text.str(), path);
  } catch (const toml::parse_error& e) {
    report(base.at(e.source()), "", "", "malformed TOML: " + std::string(e.description()));
    return;
  }
  base.read_document(document);
  // Start from everything the base gives; this file's keys then replace it.
  world_ = std::move(base.world_);
  regions_ = std::move(base.regions_);
  for (RawRegion& r : regions_) r.inherited = true;
  routes_ = std::move(base.routes_);
  for (RawRoute& r : routes_) r.inherited = true;
  interventions_ = std::move(base.interventions_);
  for (std::size_t i = 0; i < kParamCount; ++i) invalid_[i] = invalid_[i] || base.invalid_[i];
  files_read_ = std::move(base.files_read_);
  issues_.insert(issues_.end(), base.issues_.begin(), base.issues_.end());
}

void Loader::read_document(const toml::table& document) {
  if (const toml::node* extends = document.get("extends")) read_base(*extends);
  files_read_.push_back(file_);
  walk(document, "", Place::World, &world_, nullptr, true);
}

Scenario Loader::load(std::string_view text, const std::vector<std::string>& overrides) {
  if (const auto nul = nul_position(text)) {
    report(SourceLocation{file_, nul->first, nul->second}, "", "", kNulMessage);
    throw ScenarioError(std::move(issues_));
  }
  toml::table document;
  try {
    document = toml::parse(text, file_);
  } catch (const toml::parse_error& e) {
    // Nothing after a syntax error can be trusted; report it alone.
    report(at(e.source()), "", "", "malformed TOML: " + std::string(e.description()));
    throw ScenarioError(std::move(issues_));
  }
  read_document(document);
  for (std::size_t i = 0; i < overrides.size(); ++i) apply_override(i + 1, overrides[i]);

  Scenario scenario;
  scenario.source_path = file_;
  scenario.source_text = std::string(text);
  scenario.overrides = overrides;
  scenario.globals = ParamValues::defaults();
  for (const ParamSpec& s : param_table()) {
    const Entry& e = world_[static_cast<std::size_t>(s.id)];
    if (e.given) scenario.globals[s.id] = e.number;
  }
  const Entry& name = world_[static_cast<std::size_t>(Param::scenario_name)];
  const Entry& description = world_[static_cast<std::size_t>(Param::scenario_description)];
  scenario.name = name.given ? name.text : std::filesystem::path(file_).stem().string();
  if (description.given) scenario.description = description.text;

  // World-wide checks that involve several keys.
  check_vulnerability(scenario.globals, world_, world_, " (the world default)");
  const double budget = scenario.globals[Param::budget_total_usd_per_year];
  if (budget > 0) {
    double shares = 0;
    for (Param p : {Param::budget_share_prosecution, Param::budget_share_protection,
                    Param::budget_share_prevention, Param::budget_share_partnership})
      shares += scenario.globals[p];
    if (shares <= 0) {
      const Entry& e = world_[static_cast<std::size_t>(Param::budget_total_usd_per_year)];
      report(e.where, "budget.total_usd_per_year", e.written,
             "budget mode is on but budget.share_prosecution, share_protection, share_prevention and "
             "share_partnership are all 0: give at least one a positive weight");
    }
  }

  // Regions start from the world values, then take their own.
  if (regions_.empty()) regions_.push_back(make_world_region(file_));
  double share_total = 0;
  for (const RawRegion& raw : regions_) {
    RegionSpec region{raw.name, scenario.globals};
    bool own_vulnerability = false;
    for (const ParamSpec& s : param_table()) {
      const Entry& e = raw.entries[static_cast<std::size_t>(s.id)];
      if (e.given) region.values[s.id] = e.number;
      own_vulnerability |= e.given && (s.id == Param::population_vulnerability_mean ||
                                       s.id == Param::population_vulnerability_sd);
    }
    if (own_vulnerability)
      check_vulnerability(region.values, raw.entries, world_, " in region '" + raw.name + "'");
    share_total += region.values[Param::population_share];
    scenario.regions.push_back(std::move(region));
  }
  if (share_total <= 0 && !invalid_[static_cast<std::size_t>(Param::population_share)]) {
    report(regions_.front().where, "population.share", "0",
           "every region has population.share = 0, so nobody would live anywhere; give at least one region a "
           "positive share");
  }

  std::vector<std::string> region_names;
  for (const RawRegion& r : regions_) region_names.push_back(r.name);
  auto region_of = [&](const Field<std::string>& field, const std::string& key,
                       bool allow_all) -> std::optional<std::int32_t> {
    if (allow_all && *field.value == "all") return -1;
    const std::int32_t index = scenario.region_index(*field.value);
    if (index >= 0 && regions_[static_cast<std::size_t>(index)].valid) return index;
    std::string message = "no region named '" + *field.value + "'" +
                          did_you_mean(near_misses(*field.value, region_names)) + "; the regions are " +
                          quoted_list(region_names);
    if (allow_all) message += " (or \"all\" for every region)";
    report(field.where, key, field.written, message);
    return std::nullopt;
  };

  // Routes: recruits from one region to another; the rest stay at home.
  std::map<std::uint32_t, std::pair<double, SourceLocation>> outgoing;
  for (const RawRoute& raw : routes_) {
    if (!raw.valid) continue;
    const auto from = region_of(raw.from, "route.from", false);
    const auto to = region_of(raw.to, "route.to", false);
    if (!from || !to) continue;
    if (*from == *to) {
      report(raw.to.where, "route.to", raw.to.written,
             "a route must lead to another region; domestic trafficking is what remains after a region's "
             "routes");
      continue;
    }
    RouteSpec route;
    route.from = static_cast<std::uint32_t>(*from);
    route.to = static_cast<std::uint32_t>(*to);
    route.share = *raw.share.value;
    route.transit_steps = static_cast<std::int32_t>(
        raw.transit_steps.value ? *raw.transit_steps.value : scenario.get_int(Param::movement_transit_steps));
    const bool duplicate =
        std::any_of(scenario.routes.begin(), scenario.routes.end(),
                    [&](const RouteSpec& r) { return r.from == route.from && r.to == route.to; });
    if (duplicate) {
      report(raw.to.where, "route.to", raw.to.written,
             "a second route from '" + *raw.from.value + "' to '" + *raw.to.value + "'; merge them into one");
      continue;
    }
    auto& [sum, last] = outgoing[route.from];
    sum += route.share;
    last = raw.share.where;
    scenario.routes.push_back(route);
  }
  for (const auto& [from, total] : outgoing) {
    if (total.first > 1 + kShareTolerance) {
      report(total.second, "route.share", number_text(total.first),
             "the shares of routes out of region '" + scenario.regions[from].name + "' add up to " +
                 number_text(total.first) +
                 "; they must not exceed 1 (what remains is domestic trafficking)");
    }
  }

  // Interventions: windows of set or scaled regional levers.
  for (const RawIntervention& raw : interventions_) {
    if (!raw.valid) continue;
    InterventionSpec iv;
    iv.name = raw.name;
    iv.start_step = *raw.start_step.value;
    if (raw.end_step.value) {
      iv.end_step = *raw.end_step.value;
      if (iv.end_step <= iv.start_step) {
        report(raw.end_step.where, "intervention.end_step", raw.end_step.written,
               "end_step must be after start_step = " + std::to_string(iv.start_step) +
                   " (the intervention is active for steps start_step <= step < end_step)");
        continue;
      }
    } else {
      // Until the end of the run, however long that is made with --steps.
      iv.end_step = std::max<std::int64_t>(scenario.steps(), iv.start_step + 1);
    }
    iv.ramp_steps = raw.ramp_steps.value.value_or(0);
    if (raw.region.value) {
      const auto region = region_of(raw.region, "intervention.region", true);
      if (!region) continue;
      iv.region = *region;
    }
    for (const RawLever& lever : raw.levers)
      iv.changes.push_back(LeverChange{lever.param->id, lever.op, lever.value});
    scenario.interventions.push_back(std::move(iv));
  }

  if (!issues_.empty()) {
    // toml++ keeps keys sorted by name; researchers read problems top to
    // bottom, file by file (extended scenarios first), the command line last.
    auto rank = [&](const std::string& file) {
      return static_cast<std::size_t>(std::find(files_read_.begin(), files_read_.end(), file) -
                                      files_read_.begin());
    };
    std::stable_sort(issues_.begin(), issues_.end(), [&](const ScenarioIssue& a, const ScenarioIssue& b) {
      return std::tuple(rank(a.where.file), a.where.line, a.where.column) <
             std::tuple(rank(b.where.file), b.where.line, b.where.column);
    });
    throw ScenarioError(std::move(issues_));
  }
  return scenario;
}

}  // namespace

std::string format_issue(const ScenarioIssue& issue) {
  std::string out = issue.where.file;
  if (issue.where.line > 0)
    out += ":" + std::to_string(issue.where.line) + ":" + std::to_string(issue.where.column);
  out += ": ";
  if (!issue.key.empty()) {
    out += "key '" + issue.key + "'";
    if (!issue.value.empty()) out += " = " + issue.value;
    out += ": ";
  }
  return out + issue.message;
}

namespace {
std::string join_issues(const std::vector<ScenarioIssue>& issues) {
  std::string out;
  for (const ScenarioIssue& issue : issues) {
    if (!out.empty()) out += "\n";
    out += format_issue(issue);
  }
  return out;
}
}  // namespace

ScenarioError::ScenarioError(std::vector<ScenarioIssue> found)
    : std::runtime_error(join_issues(found)), issues(std::move(found)) {}

Scenario load_scenario_text(std::string_view text, const std::string& path_for_messages,
                            const std::vector<std::string>& overrides) {
  return Loader(path_for_messages).load(text, overrides);
}

Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  const std::string reason = [&]() -> std::string {
    if (!std::filesystem::exists(path, ec)) return "no such file";
    if (std::filesystem::is_directory(path, ec)) return "it is a folder, not a file";
    return "";
  }();
  std::ifstream in(path, std::ios::binary);
  if (!reason.empty() || !in) {
    throw ScenarioError(
        {ScenarioIssue{SourceLocation{path, 0, 0}, "", "",
                       "cannot read the scenario file: " +
                           (reason.empty() ? std::string("permission denied or unreadable") : reason)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ScenarioError(
        {ScenarioIssue{SourceLocation{path, 0, 0}, "", "", "cannot read the scenario file: read error"}});
  }
  return load_scenario_text(text.str(), path, overrides);
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace tipsim
