#include "exercise.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario_loader.hpp"
#include "scenario_loader_internal.hpp"
#include "suggest.hpp"

namespace tipsim {

using scenario_detail::EmbeddedFields;
using scenario_detail::EmbeddedIntervention;
using scenario_detail::Loader;
using scenario_detail::node_kind;
using scenario_detail::node_text;

std::string_view trend_name(Trend trend) {
  switch (trend) {
    case Trend::Rise:
      return "rise";
    case Trend::Fall:
      return "fall";
    case Trend::Same:
      break;
  }
  return "stay about the same";
}

namespace {

// The fields of each table of an exercise file.
const std::vector<std::string> kTopLevel = {"exercise", "inject", "decision", "prediction"};
const std::vector<std::string> kExerciseFields = {"title", "briefing", "scenario", "set",
                                                  "debrief_replicates"};
const std::vector<std::string> kInjectOwn = {"step", "headline", "text"};
const std::vector<std::string> kDecisionFields = {"step", "question", "text", "option"};
const std::vector<std::string> kOptionOwn = {"label", "text"};
const std::vector<std::string> kPredictionFields = {"step",   "question",      "metric",
                                                    "region", "horizon_steps", "same_within"};

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// Reads the exercise's own fields, reporting every problem where it is.
class ExerciseReader {
 public:
  ExerciseReader(std::string path, Loader& loader) : path_(std::move(path)), loader_(loader) {}

  SourceLocation at(const toml::source_region& region) const {
    return SourceLocation{path_, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
  }
  void report(const SourceLocation& where, const std::string& key, const std::string& value,
              const std::string& message) {
    loader_.report_issue(where, key, value, message);
    ++problems_;
  }
  std::size_t problems() const { return problems_; }

  // Fields other than `known` are reported with the nearest known name.
  void check_fields(const toml::table& table, const std::string& prefix,
                    const std::vector<std::string>& known, const std::string& what) {
    for (auto&& [k, value] : table) {
      const std::string field(k.str());
      if (std::find(known.begin(), known.end(), field) != known.end()) continue;
      report(at(k.source()), prefix + field, node_text(value),
             "unknown field" + did_you_mean(near_misses(field, known)) + " (" + what + " has " +
                 listed(known) + ")");
    }
  }

  std::optional<std::string> text(const toml::table& table, const std::string& prefix,
                                  const std::string& field, bool required) {
    const toml::node* node = table.get(field);
    if (node == nullptr) {
      if (required)
        report(at(table.source()), prefix + field, "", "missing: give " + field + " = \"...\" (text)");
      return std::nullopt;
    }
    if (const auto* s = node->as_string(); s != nullptr && !s->get().empty()) return s->get();
    report(at(node->source()), prefix + field, node_text(*node),
           "expected text that is not empty, got " + node_kind(*node));
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const toml::table& table, const std::string& prefix,
                                      const std::string& field, std::int64_t lo, std::int64_t hi,
                                      const std::string& what, bool required) {
    const toml::node* node = table.get(field);
    if (node == nullptr) {
      if (required)
        report(at(table.source()), prefix + field, "",
               "missing: give " + field + " = " + what + " (" + std::to_string(lo) + " to " +
                   std::to_string(hi) + ")");
      return std::nullopt;
    }
    const auto* i = node->as_integer();
    if (i == nullptr || i->get() < lo || i->get() > hi) {
      report(at(node->source()), prefix + field, node_text(*node),
             "expected " + what + ", a whole number from " + std::to_string(lo) + " to " +
                 std::to_string(hi) + (i == nullptr ? ", got " + node_kind(*node) : std::string()));
      return std::nullopt;
    }
    return i->get();
  }

  std::optional<double> number(const toml::table& table, const std::string& prefix, const std::string& field,
                               double lo, double hi, const std::string& what) {
    const toml::node* node = table.get(field);
    if (node == nullptr) return std::nullopt;
    const std::optional<double> v = node->value<double>();
    if (!v || !(*v >= lo && *v <= hi)) {
      report(at(node->source()), prefix + field, node_text(*node),
             "expected " + what + ", a number from " + scenario_detail::number_text(lo) + " to " +
                 scenario_detail::number_text(hi));
      return std::nullopt;
    }
    return v;
  }

  // An array of tables, or a report that it is not one.
  const toml::array* tables(const toml::node& node, const std::string& key, const std::string& how) {
    const toml::array* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      report(at(node.source()), key, node_text(node),
             "expected an array of tables: write each one as " + how);
      return nullptr;
    }
    return array;
  }

 private:
  std::string path_;
  Loader& loader_;
  std::size_t problems_ = 0;
};

// One problem that stops the reading at once.
[[noreturn]] void fail(const std::string& path, int line, int column, const std::string& message) {
  std::vector<ScenarioIssue> issues(1);
  issues[0].where = SourceLocation{path, line, column};
  issues[0].message = message;
  throw ScenarioError(std::move(issues));
}

std::string read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, 0, "cannot open the exercise file");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<Metric> metric_named(const std::string& name) {
  for (const MetricSpec& m : metric_table())
    if (m.name == name) return m.id;
  return std::nullopt;
}

}  // namespace

Exercise load_exercise_file(const std::string& path) {
  return load_exercise_text(read_file_text(path), path);
}

Exercise load_exercise_text(std::string_view text, const std::string& path) {
  if (const auto nul = scenario_detail::nul_position(text))
    fail(path, nul->first, nul->second, scenario_detail::kNulMessage);
  toml::table document;
  try {
    document = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    fail(path, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column),
         "malformed TOML: " + std::string(e.description()));
  }
  Loader loader(path);
  ExerciseReader read(path, loader);
  std::vector<ScenarioIssue> issues;
  Exercise out;
  out.path = path;

  for (auto&& [k, value] : document) {
    const std::string key(k.str());
    if (std::find(kTopLevel.begin(), kTopLevel.end(), key) == kTopLevel.end())
      read.report(read.at(k.source()), key, node_text(value),
                  "unknown table" + did_you_mean(near_misses(key, kTopLevel)) +
                      " (an exercise has [exercise], [[inject]], [[decision]] and [[prediction]])");
  }
  const toml::table* head = document["exercise"].as_table();
  if (head == nullptr) {
    read.report({path, 1, 1}, "exercise", "",
                "an exercise file needs an [exercise] table with title, briefing and scenario");
    std::vector<ScenarioIssue> found;
    loader.read_embedded_interventions(default_scenario(), {}, found);
    throw ScenarioError(std::move(found));
  }
  read.check_fields(*head, "exercise.", kExerciseFields, "[exercise]");
  out.title = read.text(*head, "exercise.", "title", true).value_or("");
  out.briefing = read.text(*head, "exercise.", "briefing", false).value_or("");
  if (auto r =
          read.integer(*head, "exercise.", "debrief_replicates", 1, 64, "the runs of each branch", false))
    out.debrief_replicates = static_cast<std::int32_t>(*r);
  std::vector<std::string> overrides;
  if (const toml::node* set = head->get("set")) {
    const toml::array* list = set->as_array();
    bool ok = list != nullptr;
    if (list != nullptr)
      for (const toml::node& element : *list) {
        if (const auto* s = element.as_string()) {
          overrides.push_back(s->get());
        } else {
          ok = false;
        }
      }
    if (!ok)
      read.report(read.at(set->source()), "exercise.set", node_text(*set),
                  "expected a list of KEY=VALUE texts, as --set takes them, e.g. [\"scenario.steps=260\"]");
  }

  // The scenario, relative to the exercise file; nothing more can be
  // checked without it.
  const std::optional<std::string> scenario_name = read.text(*head, "exercise.", "scenario", true);
  bool have_scenario = false;
  if (scenario_name) {
    const std::filesystem::path file =
        std::filesystem::path(path).parent_path() / std::filesystem::path(*scenario_name);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      read.report(read.at(head->get("scenario")->source()), "exercise.scenario", "\"" + *scenario_name + "\"",
                  "no scenario file " + file.string() + " (the path is relative to the exercise file)");
    } else {
      try {
        out.scenario = load_scenario_file(file.lexically_normal().string(), overrides);
        have_scenario = true;
      } catch (const ScenarioError& e) {
        issues.insert(issues.end(), e.issues.begin(), e.issues.end());
      }
    }
  }
  if (!have_scenario) {
    std::vector<ScenarioIssue> found;
    loader.read_embedded_interventions(default_scenario(), {}, found);
    found.insert(found.end(), issues.begin(), issues.end());
    throw ScenarioError(std::move(found));
  }
  const std::int64_t steps = out.scenario.steps();
  const std::string step_range = "a step of the run, after which it happens";

  std::vector<EmbeddedIntervention> embedded;
  // Which inject or option each embedded intervention belongs to.
  struct Owner {
    int inject = -1, decision = -1, option = -1;
  };
  std::vector<Owner> owners;

  if (const toml::node* node = document.get("inject")) {
    if (const toml::array* array = read.tables(*node, "inject", "[[inject]]")) {
      for (const toml::node& element : *array) {
        const toml::table& t = *element.as_table();
        ExerciseInject inject;
        inject.step = static_cast<std::int32_t>(
            read.integer(t, "inject.", "step", 1, steps - 1, step_range, true).value_or(0));
        inject.headline = read.text(t, "inject.", "headline", true).value_or("");
        inject.text = read.text(t, "inject.", "text", false).value_or("");
        const int index = static_cast<int>(out.injects.size());
        embedded.push_back({&t, "inject " + std::to_string(index + 1) + ": " + inject.headline,
                            EmbeddedFields{"inject", "an [[inject]]", kInjectOwn, inject.step}});
        owners.push_back({index, -1, -1});
        out.injects.push_back(std::move(inject));
      }
    }
  }
  if (const toml::node* node = document.get("decision")) {
    if (const toml::array* array = read.tables(*node, "decision", "[[decision]]")) {
      for (const toml::node& element : *array) {
        const toml::table& t = *element.as_table();
        read.check_fields(t, "decision.", kDecisionFields, "a [[decision]]");
        ExerciseDecision decision;
        decision.step = static_cast<std::int32_t>(
            read.integer(t, "decision.", "step", 1, steps - 1, step_range, true).value_or(0));
        decision.question = read.text(t, "decision.", "question", true).value_or("");
        decision.text = read.text(t, "decision.", "text", false).value_or("");
        const int index = static_cast<int>(out.decisions.size());
        const toml::node* options = t.get("option");
        const toml::array* array_of_options =
            options == nullptr ? nullptr : read.tables(*options, "decision.option", "[[decision.option]]");
        if (array_of_options == nullptr || array_of_options->size() < 2) {
          if (options == nullptr || array_of_options != nullptr)
            read.report(read.at(t.source()), "decision.option", "",
                        "a decision needs at least two [[decision.option]] tables, each with a label");
        } else {
          for (const toml::node& o : *array_of_options) {
            const toml::table& ot = *o.as_table();
            ExerciseOption option;
            option.label = read.text(ot, "decision.option.", "label", true).value_or("");
            option.text = read.text(ot, "decision.option.", "text", false).value_or("");
            embedded.push_back(
                {&ot, "decision " + std::to_string(index + 1) + ": " + option.label,
                 EmbeddedFields{"decision.option", "a [[decision.option]]", kOptionOwn, decision.step}});
            owners.push_back({-1, index, static_cast<int>(decision.options.size())});
            decision.options.push_back(std::move(option));
          }
        }
        out.decisions.push_back(std::move(decision));
      }
    }
  }
  const auto steps_per_year = static_cast<std::int32_t>(
      std::max(1.0, std::round(365.0 / out.scenario.globals[Param::scenario_step_days])));
  if (const toml::node* node = document.get("prediction")) {
    if (const toml::array* array = read.tables(*node, "prediction", "[[prediction]]")) {
      for (const toml::node& element : *array) {
        const toml::table& t = *element.as_table();
        read.check_fields(t, "prediction.", kPredictionFields, "a [[prediction]]");
        ExercisePrediction p;
        p.step = static_cast<std::int32_t>(
            read.integer(t, "prediction.", "step", 1, steps - 1, step_range, true).value_or(0));
        p.question = read.text(t, "prediction.", "question", true).value_or("");
        if (const auto name = read.text(t, "prediction.", "metric", true)) {
          if (const auto m = metric_named(*name)) {
            p.metric = *m;
          } else {
            std::vector<std::string> names;
            for (const MetricSpec& m : metric_table()) names.emplace_back(m.name);
            read.report(read.at(t.get("metric")->source()), "prediction.metric", "\"" + *name + "\"",
                        "no such series" + did_you_mean(near_misses(*name, names)) +
                            " (the series of docs/output-format.md, e.g. identified_by_form, prosecutions)");
          }
        }
        if (const auto region = read.text(t, "prediction.", "region", false)) {
          p.region = out.scenario.region_index(*region);
          if (p.region < 0) {
            std::vector<std::string> names;
            for (const RegionSpec& r : out.scenario.regions) names.push_back(r.name);
            read.report(read.at(t.get("region")->source()), "prediction.region", "\"" + *region + "\"",
                        "no such region" + did_you_mean(near_misses(*region, names)) + " (the regions are " +
                            listed(names) + "; leave region out for all of them)");
          }
        }
        p.horizon = static_cast<std::int32_t>(read.integer(t, "prediction.", "horizon_steps", 1, steps,
                                                           "the steps compared before and after", false)
                                                  .value_or(steps_per_year));
        if (auto within = read.number(t, "prediction.", "same_within", 0, 1,
                                      "the share within which a change is about the same"))
          p.same_within = *within;
        if (p.step > 0 && (p.step < p.horizon || p.step + p.horizon > steps))
          read.report(read.at(t.source()), "prediction.step", std::to_string(p.step),
                      "a prediction compares the " + std::to_string(p.horizon) +
                          " steps before its step with the " + std::to_string(p.horizon) +
                          " after it, so its step must be from " + std::to_string(p.horizon) + " to " +
                          std::to_string(steps - p.horizon) + " in a run of " + std::to_string(steps) +
                          " steps (or give a shorter horizon_steps)");
        out.predictions.push_back(std::move(p));
      }
    }
  }
  if (out.decisions.empty() && out.predictions.empty() && out.injects.empty())
    read.report(read.at(head->source()), "exercise", "",
                "an exercise needs at least one [[inject]], [[decision]] or [[prediction]]");

  std::vector<ScenarioIssue> found;
  const std::vector<InterventionSpec> changes =
      loader.read_embedded_interventions(out.scenario, embedded, found);
  if (!found.empty() || !issues.empty() || read.problems() > 0) {
    found.insert(found.end(), issues.begin(), issues.end());
    std::stable_sort(found.begin(), found.end(), [&](const ScenarioIssue& a, const ScenarioIssue& b) {
      return std::tuple(a.where.file != path, a.where.line, a.where.column) <
             std::tuple(b.where.file != path, b.where.line, b.where.column);
    });
    throw ScenarioError(std::move(found));
  }
  // One resolved intervention per table; an empty one changes nothing.
  for (std::size_t i = 0; i < changes.size() && i < owners.size(); ++i) {
    const Owner& o = owners[i];
    if (changes[i].changes.empty()) continue;
    if (o.inject >= 0) {
      out.injects[static_cast<std::size_t>(o.inject)].changes.push_back(changes[i]);
      out.scenario.interventions.push_back(changes[i]);
    } else {
      out.decisions[static_cast<std::size_t>(o.decision)]
          .options[static_cast<std::size_t>(o.option)]
          .changes.push_back(changes[i]);
    }
  }
  auto by_step = [](const auto& a, const auto& b) { return a.step < b.step; };
  std::stable_sort(out.injects.begin(), out.injects.end(), by_step);
  std::stable_sort(out.decisions.begin(), out.decisions.end(), by_step);
  std::stable_sort(out.predictions.begin(), out.predictions.end(), by_step);
  return out;
}

double prediction_window(const ExercisePrediction& prediction, const Series& series, std::int32_t from,
                         std::int32_t to, double population_scale) {
  const MetricSpec& m = spec(prediction.metric);
  const FrameLayout& layout = series.layout();
  const std::size_t categories = axis_size(m.axis);
  double sum = 0;
  for (std::int32_t t = std::max(from, 0); t < to && t < static_cast<std::int32_t>(series.steps()); ++t)
    for (std::size_t r = 0; r < layout.regions(); ++r) {
      if (prediction.region >= 0 && static_cast<std::int32_t>(r) != prediction.region) continue;
      for (std::size_t c = 0; c < categories; ++c) sum += series.at(static_cast<std::size_t>(t), m.id, r, c);
    }
  if (m.nature == Nature::Stock && to > from) sum /= static_cast<double>(to - from);
  return m.basis == Basis::Agents ? sum * population_scale : sum;
}

PredictionOutcome score_prediction(const ExercisePrediction& prediction, const Series& series,
                                   double population_scale) {
  PredictionOutcome out;
  out.before = prediction_window(prediction, series, prediction.step - prediction.horizon, prediction.step,
                                 population_scale);
  out.after = prediction_window(prediction, series, prediction.step, prediction.step + prediction.horizon,
                                population_scale);
  const double band = prediction.same_within * std::abs(out.before);
  if (out.after > out.before + band && out.after > out.before) {
    out.trend = Trend::Rise;
  } else if (out.after < out.before - band && out.after < out.before) {
    out.trend = Trend::Fall;
  } else {
    out.trend = Trend::Same;
  }
  return out;
}

}  // namespace tipsim
