// The phases of one step, in the order of the model (docs/model.md). Each
// reads the compiled model, changes the state, and records into the step's
// context; each can be run alone on a hand-built state in a test.
#pragma once

#include "model.hpp"
#include "state.hpp"
#include "step_context.hpp"

namespace tipsim {

// The state at step 0 of a replicate: persons, traffickers and their
// victims, region aggregates (world_init.cpp).
State initial_state(const Model& model, std::uint32_t replicate);

// clang-format off
void apply_policy_schedule(const Model& model, State& state, StepContext& ctx);  // 1. levers in force, budget, spending, 3P index
void run_prevention(const Model& model, State& state, StepContext& ctx);         // 2. awareness and empowerment
void run_market(const Model& model, State& state, StepContext& ctx);             // 3. demand, entry, desistance, release, replacement
void run_recruitment(const Model& model, State& state, StepContext& ctx);        // 4. free persons recruited by traffickers
void run_movement(const Model& model, State& state, StepContext& ctx);           // 5. destinations, transit, start of exploitation
void run_exploitation(const Model& model, State& state, StepContext& ctx);       // 6. profit, debt, escape, release
void run_identification(const Model& model, State& state, StepContext& ctx);     // 7. identification channels, shelter, non-punishment
void run_prosecution(const Model& model, State& state, StepContext& ctx);        // 8. investigation, prosecution, conviction, deterrence
void run_protection(const Model& model, State& state, StepContext& ctx);         // 9. services end, reintegration
void run_survivors(const Model& model, State& state, StepContext& ctx);          // 10. recovery, pathways, follow-up
void run_demography(const Model& model, State& state, StepContext& ctx);         // 11. turnover of the population at risk
void collect_metrics(const Model& model, State& state, StepContext& ctx);        // 12. stocks into the frame; active traffickers
// clang-format on

// People of an adjacent situation in a region (counts of agents; none is a
// victim): residents by the region's rates per 100 000, smuggled migrants
// in transit by the yearly flow times the default transit time.
double adjacent_persons(const Model& model, const State& state, std::size_t region, Adjacent group);

// Demand, pull and attractiveness of every region from the levers and the
// current market counts; shared by initialisation and the market phase.
void update_market_signals(const Model& model, State& state);

// The whole step: the phases above in order; the state's step advances.
void step(const Model& model, State& state, StepContext& context);

}  // namespace tipsim
