// libFuzzer target: the scenario loader. Any text, as a scenario file, must
// give either a Scenario or a ScenarioError whose every issue is located;
// a valid scenario must load back from its resolved TOML (scenario_checks.hpp).
// A crash, a hang, a sanitizer report or any other exception is a bug.
//
// The file is named as if it lived among the bundled scenarios, so
// `extends = "baseline.toml"` reaches real files. Lines "#set KEY=VALUE"
// become --set overrides.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scenario_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string problem =
      tipsim::fuzz::check_scenario_text(text, std::string(TIPSIM_SCENARIO_DIR) + "/fuzz.toml");
  if (!problem.empty()) {
    std::fprintf(stderr, "scenario_loader_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
