// The scenario in plain words, for the panel that explains to a room what
// world is being simulated and which policies are in force.
#pragma once

#include <string>
#include <vector>

#include "params.hpp"

namespace tipsim::viz {

struct ScenarioSummary {
  std::string title;                       // scenario.name
  std::string question;                    // scenario.description
  std::string size;                        // "20 000 people in 2 regions, over 2 years in weekly steps"
  std::vector<std::string> regions;        // "Home: 60 % of the people, vulnerability 0.35"
  std::vector<std::string> routes;         // "Home → Away: 33 % of recruits, 2 weeks in transit"
  std::vector<std::string> levers;         // the key levers in force at the start
  std::vector<std::string> interventions;  // "From week 53: investigators per 100k x3 in all regions"
};

ScenarioSummary describe_scenario(const Scenario& scenario);

// A duration in years for people: "2 years", "6 months", "1.5 years".
std::string duration_text(double days);
// A number without needless digits: 0.35, 20, 1.5.
std::string plain_number(double value);

}  // namespace tipsim::viz
