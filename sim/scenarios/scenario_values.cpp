// Reading values and keys: conversion to a parameter's value with its
// checks, nested and dotted keys, unknown keys with suggestions.
#include <algorithm>
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
#include "scenario_loader_internal.hpp"
#include "suggest.hpp"

namespace tipsim::scenario_detail {

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

bool Loader::read_number_field(const toml::node& node, const SourceLocation& where, const std::string& key,
                               double lo, double hi, std::string_view what, Field<double>& out) {
  const std::string allowed =
      "a number from " + number_text(lo) + " to " + number_text(hi) + " (" + std::string(what) + ")";
  out.written = node_text(node);
  out.where = where;
  if (!node.is_integer() && !node.is_floating_point()) {
    report(where, key, out.written, "wrong type: expected " + allowed + ", got " + node_kind(node));
    return false;
  }
  const double v =
      node.is_integer() ? static_cast<double>(node.as_integer()->get()) : node.as_floating_point()->get();
  // Written so that NaN fails too.
  if (!(v >= lo && v <= hi)) {
    report(where, key, out.written, "out of range: allowed is " + allowed);
    return false;
  }
  out.value = v;
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
  if (const RenamedKey* renamed = renamed_key(lookup)) {
    report(where, key, value, renamed_message(*renamed));
    return;
  }
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
  if (place == Place::InterventionAdd) {
    const std::string written = node_text(node);
    if (s->kind == ParamKind::Boolean) {
      report(value_where, key, written,
             "a switch (true/false) cannot be added to; use [intervention.set] instead");
      return;
    }
    double amount = 0;
    if (node.is_integer()) {
      amount = static_cast<double>(node.as_integer()->get());
    } else if (node.is_floating_point()) {
      amount = node.as_floating_point()->get();
    } else {
      report(value_where, key, written,
             "wrong type: expected an amount to add (a number, in the key's unit), got " + node_kind(node));
      return;
    }
    if (!std::isfinite(amount)) {
      report(value_where, key, written, "out of range: the amount added must be a finite number");
      return;
    }
    levers->push_back(RawLever{s, LeverOp::Add, amount, value_where});
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

}  // namespace tipsim::scenario_detail
