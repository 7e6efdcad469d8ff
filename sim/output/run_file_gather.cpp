// Processes writing one run file together (MPI ranks): what they exchange
// so that every process knows every run, and how a step one process does,
// or a close all must do, fails on every process alike.
#include <cstddef>
#include <stdexcept>

#include "run_file_internal.hpp"

namespace tipsim::output {

namespace detail {

std::string outcome_on_first_process(const WriterGroup* group, const std::function<void()>& step,
                                     bool format_errors) {
  std::string outcome;
  if (!group || group->rank() == 0) {
    try {
      step();
    } catch (const FormatError& e) {
      outcome = std::string(format_errors ? "F" : "O") + e.what();
    } catch (const OutputError& e) {
      outcome = std::string("O") + e.what();
    } catch (const std::exception& e) {
      outcome = std::string("E") + e.what();
    }
  }
  if (group) outcome = group->broadcast(outcome);
  return outcome;
}

void throw_outcome(const std::string& outcome) {
  if (outcome.empty()) return;
  const std::string message = outcome.substr(1);
  if (outcome[0] == 'F') throw FormatError(message);
  if (outcome[0] == 'O') throw OutputError(message);
  throw std::runtime_error(message);
}

void on_first_process(const WriterGroup* group, const std::function<void()>& step) {
  throw_outcome(outcome_on_first_process(group, step, false));
}

void close_on_every_process(const WriterGroup& group, const std::string& final_path,
                            const std::function<void()>& close) {
  // Every rank's data must be in the file before rank 0 goes on.
  std::string error;
  try {
    close();
  } catch (const std::exception& e) {
    error = e.what();
  }
  const std::vector<double> failed = group.all_gather({error.empty() ? 0.0 : 1.0});
  for (std::size_t r = 0; r < failed.size(); ++r)
    if (failed[r] != 0)
      throw OutputError(
          error.empty() ? final_path + ": rank " + std::to_string(r) + " could not close the file" : error);
}

}  // namespace detail

// With a group: every process learns every run the others wrote and its
// summaries, so that all know the same (the comparison and the printed
// table need them all). Collective.
void RunFileWriter::gather_runs() {
  Impl& w = *impl_;
  if (!w.group) return;
  const std::size_t figures = summary_table().size();
  std::vector<double> mine;
  mine.reserve(w.mine.size() * (1 + figures));
  for (const std::size_t slot : w.mine) {
    mine.push_back(static_cast<double>(slot));
    mine.insert(mine.end(), w.summaries[slot].begin(), w.summaries[slot].end());
  }
  const std::vector<double> all = w.group->all_gather(mine);
  for (std::size_t at = 0; at + 1 + figures <= all.size(); at += 1 + figures) {
    const auto slot = static_cast<std::size_t>(all[at]);
    if (slot >= w.written.size()) throw std::logic_error("run file: a process reported a run past the last");
    if (!w.written[slot]) {
      w.written[slot] = true;
      ++w.written_count;
    }
    w.summaries[slot].assign(all.begin() + static_cast<std::ptrdiff_t>(at + 1),
                             all.begin() + static_cast<std::ptrdiff_t>(at + 1 + figures));
  }
  w.mine.clear();
}

}  // namespace tipsim::output
