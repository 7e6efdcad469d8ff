#include "branch.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "run_file.hpp"
#include "state_arrays.hpp"
#include "timeline.hpp"

namespace tipsim::viz {

namespace {

// The latest checkpoint of the replicate at or before `steps_done`; 0 when none.
std::int32_t latest_checkpoint(const output::RunFileContents& contents, const BranchPoint& at) {
  // Checkpoints are kept by plain runs, whose one point is point 0.
  if (contents.experiment != output::ExperimentKind::Run || at.point != 0) return 0;
  const auto kept = output::read_checkpoint_steps(at.path);
  const auto found = kept.find(at.replicate);
  if (found == kept.end()) return 0;
  std::int32_t best = 0;
  for (std::int32_t s : found->second)
    if (s <= at.steps_done) best = std::max(best, s);
  return best;
}

bool same_bits(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

Branch build_branch(const BranchPoint& at, const Scenario& scenario) {
  if (at.steps_done < 1 || at.steps_done >= scenario.steps())
    throw std::invalid_argument("a branch starts after a step of the run, between 1 and " +
                                std::to_string(scenario.steps() - 1) + " steps; not after " +
                                std::to_string(at.steps_done));
  const output::RunFileContents contents = output::read_run_file(at.path);
  Branch branch;
  branch.parent_created = contents.text("created");
  branch.checkpoint = latest_checkpoint(contents, at);
  const auto model = std::make_shared<const Model>(compile_model(scenario));
  const auto steps = static_cast<std::size_t>(model->steps);
  const Series recorded = output::read_run_rows(contents, at.path, model->layout, steps, at.point,
                                                at.replicate, static_cast<std::size_t>(at.steps_done));
  if (branch.checkpoint > 0) {
    State state =
        state_from_arrays(*model, output::read_checkpoint(at.path, at.replicate, branch.checkpoint));
    branch.simulation = std::make_unique<Simulation>(model, std::move(state));
    branch.simulation->adopt_past(recorded, {}, {});
  } else {
    branch.simulation = std::make_unique<Simulation>(model, static_cast<std::uint32_t>(at.replicate));
  }
  // The steps between are simulated again and must be the file's.
  while (branch.simulation->steps_done() < at.steps_done) {
    const auto t = static_cast<std::size_t>(branch.simulation->steps_done());
    branch.simulation->step();
    if (!same_bits(branch.simulation->series().frame(t), recorded.frame(t)))
      throw std::runtime_error(
          at.path + ": simulating replicate " + std::to_string(at.replicate + 1) +
          " again does not give the " +
          step_name(static_cast<std::int32_t>(t), scenario.globals[Param::scenario_step_days]) +
          " the file records; it was written by another version of the model (revision " +
          contents.text("source_revision") + "), so a branch would not continue what it shows");
  }
  return branch;
}

}  // namespace tipsim::viz
