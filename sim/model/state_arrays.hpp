// The whole state of a replicate as named flat arrays, and back: what a
// run file keeps as a checkpoint (docs/output-format.md, checkpoints/) and a
// fork continues from. The random streams are counter-based, so the arrays
// and the step are all a run needs to go on.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model.hpp"
#include "state.hpp"

namespace tipsim {

using StateArrayValues =
    std::variant<std::vector<std::uint8_t>, std::vector<std::uint16_t>, std::vector<std::int32_t>,
                 std::vector<std::uint32_t>, std::vector<float>, std::vector<double>>;

// One array of a state: "persons/<field>" and "traffickers/<field>" (their
// field tables, one value a person or trafficker), "regions/<field>" (a
// region's aggregates, `width` values a region), "courts/<field>" (every
// region's waiting cases, oldest first, region by region, with
// "regions/court_queue_length"), "involved", "newly_incarcerated" and
// "step" (replicate, step, networks).
struct StateArray {
  std::string name;
  StateArrayValues values;
  std::size_t width = 1;  // values per element: per region for regions/ (a market's, a parameter's, ...)
  std::string meaning;
};

// Every array of `state`, in a fixed order.
std::vector<StateArray> state_arrays(const State& state);

// The state the arrays hold, checked against `model`: every array present,
// of its type and of the size the world's persons, traffickers and regions
// give. Throws std::invalid_argument naming the array otherwise.
State state_from_arrays(const Model& model, const std::vector<StateArray>& arrays);

}  // namespace tipsim
