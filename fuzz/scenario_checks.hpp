// What the scenario loader's fuzz target requires of every input, shared
// with the regression test (tests/output/fuzz_regression_test.cpp) that replays
// the seed corpus and every input a fuzzer ever found (fuzz/regressions/).
// The check returns an empty string when the input was handled as it must
// be, else what went wrong. A crash or a sanitizer report ends the program
// before it returns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "exercise.hpp"
#include "params.hpp"
#include "scenario_loader.hpp"

namespace tipsim::fuzz {

// Lines of the form "#set KEY=VALUE" (TOML comments, so the text stays a
// scenario) are also passed as --set overrides, at most eight.
inline std::vector<std::string> overrides_in(std::string_view text) {
  std::vector<std::string> overrides;
  std::size_t start = 0;
  while (start < text.size() && overrides.size() < 8) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.starts_with("#set ")) overrides.emplace_back(line.substr(5));
    start = end + 1;
  }
  return overrides;
}

inline bool same_scenario(const Scenario& a, const Scenario& b) {
  if (a.name != b.name || a.description != b.description) return false;
  return a.globals == b.globals && a.regions == b.regions && a.routes == b.routes &&
         a.interventions == b.interventions;
}

// Every problem of a ScenarioError located in a file, with a message.
inline std::string issues_problem(const ScenarioError& e) {
  if (e.issues.empty()) return "a ScenarioError without issues";
  for (const ScenarioIssue& issue : e.issues) {
    if (issue.where.file.empty()) return "an issue without a file: " + format_issue(issue);
    if (issue.message.empty()) return "an issue without a message: " + format_issue(issue);
    if (issue.where.line < 0 || issue.where.column < 0) return "a negative location: " + format_issue(issue);
  }
  return "";
}

// TOML text as an exercise file at `path` (its scenario is relative to
// the folder): an Exercise whose questions fit its run, or a ScenarioError
// whose every issue is located.
inline std::string check_exercise_text(std::string_view text, const std::string& path) {
  Exercise e;
  try {
    e = load_exercise_text(text, path);
  } catch (const ScenarioError& error) {
    return issues_problem(error);
  }
  const std::int32_t steps = e.scenario.steps();
  for (const ExerciseInject& i : e.injects)
    if (i.step < 1 || i.step >= steps) return "an inject outside the run: step " + std::to_string(i.step);
  for (const ExerciseDecision& d : e.decisions) {
    if (d.step < 1 || d.step >= steps) return "a decision outside the run: step " + std::to_string(d.step);
    if (d.options.size() < 2) return "a decision with fewer than two options";
    for (const ExerciseOption& o : d.options)
      for (const InterventionSpec& iv : o.changes)
        if (iv.start_step != d.step) return "an option that does not start at its decision's step";
  }
  for (const ExercisePrediction& p : e.predictions)
    if (p.step - p.horizon < 0 || p.step + p.horizon > steps || p.horizon < 1)
      return "a prediction whose horizon leaves the run";
  return "";
}

// TOML text as a scenario file at `path` (its folder is where `extends`
// looks): a Scenario, or a ScenarioError whose every issue has a file and a
// message. A scenario that loads must load back to the same values from its
// fully resolved TOML (`tipsim validate`, the run file's resolved_toml,
// `tipsim run --from`). Any other exception escapes to the caller.
inline std::string check_scenario_text(std::string_view text, const std::string& path) {
  // An exercise (an [exercise] table) is read by the exercise loader too.
  if (text.find("[exercise]") != std::string_view::npos)
    if (std::string problem = check_exercise_text(text, path); !problem.empty())
      return "as an exercise: " + problem;
  Scenario scenario;
  try {
    scenario = load_scenario_text(text, path, overrides_in(text));
  } catch (const ScenarioError& e) {
    if (e.issues.empty()) return "a ScenarioError without issues";
    for (const ScenarioIssue& issue : e.issues) {
      if (issue.where.file.empty()) return "an issue without a file: " + format_issue(issue);
      if (issue.message.empty()) return "an issue without a message: " + format_issue(issue);
      if (issue.where.line < 0 || issue.where.column < 0)
        return "a negative location: " + format_issue(issue);
    }
    return "";
  }
  const std::string resolved = resolved_toml(scenario);
  try {
    const Scenario again = load_scenario_text(resolved, path);
    if (!same_scenario(scenario, again))
      return "the resolved TOML loads back to different values:\n" + resolved;
  } catch (const ScenarioError& e) {
    return "the resolved TOML of a valid scenario does not load:\n" + std::string(e.what()) + "\n" + resolved;
  }
  return "";
}

}  // namespace tipsim::fuzz
