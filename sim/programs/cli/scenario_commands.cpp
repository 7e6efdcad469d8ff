// The commands about scenarios themselves: `tipsim validate` (a scenario
// resolved, an exercise summarised, or their problems) and `tipsim
// scenarios` (the bundled ones).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "build_info.hpp"
#include "commands.hpp"
#include "exercise.hpp"
#include "scenario_loader.hpp"

namespace tipsim::cli {

void print_scenario_error(const ScenarioError& e) {
  std::istringstream lines(e.what());
  std::string line;
  while (std::getline(lines, line)) print_error(line);
}

namespace {

// A training exercise (tipsim-viewer --exercise) rather than a scenario:
// a file with an [exercise] table.
bool is_exercise_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    // "[exercise]", with blanks around or inside the brackets, and perhaps a comment.
    std::string bare;
    for (char c : line) {
      if (c == '#') break;
      if (c != ' ' && c != '\t' && c != '\r') bare += c;
    }
    if (bare == "[exercise]") return true;
  }
  return false;
}

// The exercise in outline: what the room will see and be asked.
void print_exercise(const Exercise& e) {
  std::printf("exercise   %s\n", e.title.c_str());
  std::printf("scenario   %s (%s, %d steps)\n", e.scenario.source_path.c_str(), e.scenario.name.c_str(),
              e.scenario.steps());
  struct Line {
    std::int32_t step;
    std::string text;
  };
  std::vector<Line> lines;
  for (const ExerciseInject& i : e.injects)
    lines.push_back({i.step, "news        " + i.headline + " (" + std::to_string(i.changes.size()) +
                                 (i.changes.size() == 1 ? " change)" : " changes)")});
  for (std::size_t d = 0; d < e.decisions.size(); ++d) {
    std::string text = "decision    " + e.decisions[d].question;
    for (std::size_t o = 0; o < e.decisions[d].options.size(); ++o)
      text += "\n                       " + std::to_string(o + 1) + ". " + e.decisions[d].options[o].label;
    lines.push_back({e.decisions[d].step, text});
  }
  for (const ExercisePrediction& p : e.predictions)
    lines.push_back(
        {p.step, "prediction  " + p.question + "\n                       (" +
                     std::string(spec(p.metric).name) + ", " +
                     (p.region < 0 ? std::string("all regions")
                                   : e.scenario.regions[static_cast<std::size_t>(p.region)].name) +
                     ", " + std::to_string(p.horizon) + " steps before and after)"});
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.step < b.step; });
  for (const Line& l : lines) std::printf("  step %4d  %s\n", l.step, l.text.c_str());
  std::printf("debrief    %d runs of each branch\n", e.debrief_replicates);
}

}  // namespace

int validate_command(const std::string& scenario_path, const std::vector<std::string>& overrides) {
  if (is_exercise_file(scenario_path)) {
    if (!overrides.empty()) {
      print_error(scenario_path +
                  " is an exercise: its scenario's overrides go in its [exercise] table (set = [...])");
      return kExitBadInput;
    }
    try {
      print_exercise(load_exercise_file(scenario_path));
      std::fflush(stdout);
      return kExitOk;
    } catch (const ScenarioError& e) {
      print_scenario_error(e);
      return kExitBadInput;
    }
  }
  try {
    const Scenario scenario = load_scenario_file(scenario_path, overrides);
    for (const std::string& note : scenario.notes) std::fprintf(stderr, "tipsim: note: %s\n", note.c_str());
    const std::string text = resolved_toml(scenario);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
}

int scenarios_command() {
  // The environment wins so that an installed binary can be pointed at a
  // copy of the scenarios.
  const char* from_environment = std::getenv("TIPSIM_SCENARIO_DIR");
  const std::filesystem::path folder =
      from_environment != nullptr && *from_environment != '\0' ? from_environment : bundled_scenario_dir();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    print_error("the scenario folder '" + folder.string() +
                "' does not exist; set TIPSIM_SCENARIO_DIR to the folder of the bundled scenarios");
    return kExitBadInput;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "tipsim: no scenarios (*.toml) in '%s'\n", folder.string().c_str());
    return kExitOk;
  }

  struct Line {
    std::string file, name, description;
  };
  std::vector<Line> lines;
  bool all_valid = true;
  for (const auto& path : files) {
    try {
      const Scenario s = load_scenario_file(path.string());
      lines.push_back({path.filename().string(), s.name, s.description});
    } catch (const ScenarioError& e) {
      print_scenario_error(e);
      lines.push_back({path.filename().string(), "(invalid)", "see the errors above"});
      all_valid = false;
    }
  }
  std::size_t file_width = 0, name_width = 0;
  for (const Line& l : lines) {
    file_width = std::max(file_width, l.file.size());
    name_width = std::max(name_width, l.name.size());
  }
  for (const Line& l : lines) {
    std::fprintf(stdout, "%-*s  %-*s  %s\n", static_cast<int>(file_width), l.file.c_str(),
                 static_cast<int>(name_width), l.name.c_str(), l.description.c_str());
  }
  std::fflush(stdout);
  return all_valid ? kExitOk : kExitBadInput;
}

}  // namespace tipsim::cli
