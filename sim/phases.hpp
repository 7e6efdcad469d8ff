// The phases of one step, in the order of the model (docs/model.md). Each
// is a function over the world's arrays that can be run alone on a
// hand-built world in a test.
#pragma once

#include "state.hpp"

namespace tipsim {

// Builds persons, traffickers and region aggregates at step 0.
void initialise_world(World& world, const Scenario& scenario, std::uint32_t replicate);

void apply_policy_schedule(World& world);  // 1. levers in force, budget, spending, 3P index
void run_prevention(World& world);         // 2. awareness and empowerment
void run_market(World& world);             // 3. demand, entry, desistance, release, replacement
void run_recruitment(World& world);        // 4. free persons recruited by traffickers
void run_movement(World& world);           // 5. destinations, transit, start of exploitation
void run_exploitation(World& world);       // 6. profit, debt, escape, release
void run_identification(World& world);     // 7. identification channels, shelter, non-punishment
void run_prosecution(World& world);        // 8. investigation, prosecution, conviction, deterrence
void run_protection(World& world);         // 9. services end, reintegration
void run_demography(World& world);         // 10. turnover of the population at risk
void collect_metrics(World& world);        // 11. stocks into the step's frame

// The whole step: the phases above in order.
void step_world(World& world);

}  // namespace tipsim
