// Reading a scenario: TOML text plus --set overrides, checked against the
// parameter table, into the read-only Scenario a run is built from.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "params.hpp"

namespace tipsim {

// One problem found in a scenario: where it is, which key, the value as
// written, and what is wrong with it (including what is allowed and, for an
// unknown name, the closest known ones).
struct ScenarioIssue {
  SourceLocation where;  // line 0 = no position (unreadable file, whole scenario)
  std::string key;       // dotted key, e.g. "policy.protection.non_punishment"; may be empty
  std::string value;     // the value as written; may be empty
  std::string message;
};

// "FILE:LINE:COLUMN: key 'K' = V: message"; the key and value parts are left
// out when empty, and the line and column when unknown.
std::string format_issue(const ScenarioIssue& issue);

// Every problem of a scenario, found in one pass. what() lists them all, one
// per line, in the format of format_issue().
class ScenarioError : public std::runtime_error {
 public:
  explicit ScenarioError(std::vector<ScenarioIssue> found);
  std::vector<ScenarioIssue> issues;
};

// The file name used in the locations of --set overrides.
inline constexpr std::string_view kCommandLineSource = "<command line>";

// Loads and validates a scenario file. `overrides` are "KEY=VALUE" strings
// (the --set arguments): KEY is any key a file accepts, or
// "region.NAME.KEY" for a Regional key of one region; VALUE is a TOML value
// (an unquoted word is taken as text for text keys). "KEY*=FACTOR" (--scale)
// multiplies a real-valued key's world value and every region's own value,
// after every value is set. Overrides apply after the file, with the same
// checks. A world-level --set of a key that regions set themselves is noted
// in Scenario::notes. Throws ScenarioError listing every problem.
Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text already in memory; `path_for_messages` names it in
// locations and becomes Scenario::source_path.
Scenario load_scenario_text(std::string_view text, const std::string& path_for_messages,
                            const std::vector<std::string>& overrides = {});

// Reads a file of [[intervention]] tables (tipsim run --intervention), each
// checked as a scenario's own are, against `scenario` (its regions and
// steps). Throws ScenarioError listing every problem, located in the file.
std::vector<InterventionSpec> load_intervention_file(const std::string& path, const Scenario& scenario);

// `text` without the spaces and tabs around it (a --set or --vary argument).
std::string_view trim_blanks(std::string_view text);

}  // namespace tipsim
