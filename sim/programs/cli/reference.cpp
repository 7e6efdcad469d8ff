// `tipsim reference --json`: the model's tables, and the tables `tipsim
// export` writes, as one JSON document, for the scripts that generate the
// reference tables of docs/ (and anyone else who needs them without
// parsing C++).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "comparison.hpp"
#include "costs.hpp"
#include "events.hpp"
#include "export.hpp"
#include "metrics.hpp"
#include "params.hpp"
#include "quoting.hpp"

namespace tipsim::cli {

namespace {

// ---- the names of the tables' enumerators, as the .def files write them --------------------
// The tables hold the enumerators' values; their names come from the same
// declarations.

struct ParamNames {
  std::string_view id, kind, scope;
};
constexpr ParamNames kParamNames[] = {
#define TIPSIM_PARAM_GROUP(title)
#define TIPSIM_PARAM(id, key, kind, scope, def, lo, hi, unit, doc) {#id, #kind, #scope},
#include "parameters.def"
#undef TIPSIM_PARAM
#undef TIPSIM_PARAM_GROUP
};

struct MetricNames {
  std::string_view id, axis, nature, type;
};
constexpr MetricNames kMetricNames[] = {
#define TIPSIM_METRIC(id, name, layer, axis, nature, type, basis, units, long_name) \
  {#id, #axis, #nature, #type},
#include "metrics.def"
#undef TIPSIM_METRIC
};

struct EventNames {
  std::string_view id, mechanism;
};
constexpr EventNames kEventNames[] = {
#define TIPSIM_EVENT(id, name, mechanism, doc) {#id, #mechanism},
#include "events.def"
#undef TIPSIM_EVENT
};

// The categorical axes, in the order of their enumeration (Axis::None has
// no labels).
constexpr std::pair<Axis, std::string_view> kAxes[] = {
    {Axis::State, "State"},   {Axis::Form, "Form"},         {Axis::Market, "Market"},
    {Axis::Method, "Method"}, {Axis::Channel, "Channel"},   {Axis::CaseType, "CaseType"},
    {Axis::Pillar, "Pillar"}, {Axis::Adjacent, "Adjacent"}, {Axis::Record, "Record"},
    {Axis::Exit, "Exit"},     {Axis::Pathway, "Pathway"},   {Axis::Followup, "Followup"},
};

std::string_view name_of(EffectSign sign) {
  switch (sign) {
    case EffectSign::BaselineMinusArm:
      return "BaselineMinusArm";
    case EffectSign::ArmMinusBaseline:
      return "ArmMinusBaseline";
    case EffectSign::CostPerAverted:
      return "CostPerAverted";
  }
  return "";
}

// ---- JSON, by hand --------------------------------------------------------------------------

// A TOML basic string (quoting.hpp) is a JSON string too: quotes,
// backslashes and control characters escaped, UTF-8 as it is.
std::string json_string(std::string_view text) { return toml_string(text); }

// The shortest text that reads back as the same double; null when not finite.
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

// One object per line of an array: {"a": 1, "b": "x"}.
class JsonObject {
 public:
  JsonObject& text(std::string_view name, std::string_view value) { return field(name, json_string(value)); }
  JsonObject& number(std::string_view name, double value) { return field(name, json_number(value)); }
  JsonObject& raw(std::string_view name, const std::string& json) { return field(name, json); }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  JsonObject& field(std::string_view name, const std::string& json) {
    if (!body_.empty()) body_ += ", ";
    body_ += json_string(name) + ": " + json;
    return *this;
  }
  std::string body_;
};

// "[\"a\", \"b\"]"
template <typename Texts>
std::string json_texts(const Texts& texts) {
  std::string out = "[";
  for (std::string_view t : texts) out += (out.size() > 1 ? ", " : "") + json_string(t);
  return out + "]";
}

// A member of the document holding an array of objects, one a line.
void add_array(std::string& out, std::string_view name, const std::vector<std::string>& objects, bool last) {
  out += "  " + json_string(name) + ": [";
  for (std::size_t i = 0; i < objects.size(); ++i) out += (i > 0 ? ",\n    " : "\n    ") + objects[i];
  out += objects.empty() ? "]" : "\n  ]";
  out += last ? "\n" : ",\n";
}

// ---- the tables -----------------------------------------------------------------------------

std::vector<std::string> parameters() {
  std::vector<std::string> out;
  for (const ParamSpec& s : param_table()) {
    const ParamNames& names = kParamNames[static_cast<std::size_t>(s.id)];
    out.push_back(JsonObject()
                      .text("id", names.id)
                      .text("key", s.key)
                      .text("group", param_group(s.id))
                      .text("kind", names.kind)
                      .text("scope", names.scope)
                      .number("default", s.default_value)
                      .number("min", s.min_value)
                      .number("max", s.max_value)
                      .text("unit", s.unit)
                      .text("doc", s.doc)
                      .str());
  }
  return out;
}

std::vector<std::string> metrics() {
  std::vector<std::string> out;
  for (const MetricSpec& m : metric_table()) {
    const MetricNames& names = kMetricNames[static_cast<std::size_t>(m.id)];
    out.push_back(JsonObject()
                      .text("id", names.id)
                      .text("name", m.name)
                      .text("layer", layer_label(m.layer))
                      .text("axis", names.axis)
                      .text("nature", names.nature)
                      .text("type", names.type)
                      .text("basis", basis_label(m.basis))
                      .text("units", m.units)
                      .text("long_name", m.long_name)
                      .str());
  }
  return out;
}

std::vector<std::string> axes() {
  std::vector<std::string> out;
  for (const auto& [axis, name] : kAxes)
    out.push_back(JsonObject()
                      .text("axis", name)
                      .text("dimension", axis_name(axis))
                      .raw("labels", json_texts(axis_labels(axis)))
                      .str());
  return out;
}

std::vector<std::string> summaries() {
  std::vector<std::string> out;
  for (const SummarySpec& s : summary_table())
    out.push_back(JsonObject()
                      .text("name", s.name)
                      .text("units", s.units)
                      .text("long_name", s.long_name)
                      .text("layer", layer_label(s.layer))
                      .text("basis", basis_label(s.basis))
                      .str());
  return out;
}

std::vector<std::string> lever_cost_rows() {
  std::vector<std::string> out;
  for (const LeverCost& c : lever_costs())
    out.push_back(JsonObject()
                      .text("lever", spec(c.lever).key)
                      .text("unit_cost", spec(c.unit_cost).key)
                      .number("per_unit_cost", c.per_unit_cost)
                      .text("pillar", kPillarLabels[static_cast<std::size_t>(c.pillar)])
                      .raw("bought_by_budget", c.bought_by_budget ? "true" : "false")
                      .str());
  return out;
}

std::vector<std::string> event_kinds() {
  std::vector<std::string> out;
  for (const EventKindSpec& k : event_kind_table()) {
    const EventNames& names = kEventNames[static_cast<std::size_t>(k.id)];
    out.push_back(JsonObject()
                      .text("id", names.id)
                      .number("value", static_cast<double>(k.id))
                      .text("name", k.name)
                      .text("mechanism", names.mechanism)
                      .text("doc", k.doc)
                      .str());
  }
  return out;
}

std::vector<std::string> effects() {
  std::vector<std::string> out;
  for (const EffectSpec& e : effect_table())
    out.push_back(JsonObject()
                      .text("name", e.name)
                      .text("label", e.label)
                      .text("summary", e.summary)
                      .text("sign", name_of(e.sign))
                      .text("units", e.units)
                      .text("long_name", e.long_name)
                      .text("basis", basis_label(e.basis))
                      .str());
  return out;
}

// The tables of `tipsim export`, as the export declares them.
std::vector<std::string> export_tables() {
  std::vector<std::string> out;
  for (const output::ExportTableSpec& t : output::export_table_specs())
    out.push_back(JsonObject()
                      .text("name", t.name)
                      .text("present", t.present)
                      .text("row", t.row)
                      .text("columns", t.columns)
                      .str());
  return out;
}

// The whole document.
std::string reference_json() {
  std::string out = "{\n";
  out += "  \"version\": " + json_string(std::string(version()) + " (" + source_revision() + ")") + ",\n";
  add_array(out, "parameters", parameters(), false);
  add_array(out, "metrics", metrics(), false);
  add_array(out, "axes", axes(), false);
  add_array(out, "summaries", summaries(), false);
  add_array(out, "lever_costs", lever_cost_rows(), false);
  add_array(out, "event_kinds", event_kinds(), false);
  add_array(out, "effects", effects(), false);
  add_array(out, "export_tables", export_tables(), true);
  return out + "}\n";
}

}  // namespace

int reference_command() {
  const std::string text = reference_json();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace tipsim::cli
