// tipsim run files: the HDF5 (netCDF-4 compatible) file every run writes,
// and the reader that `tipsim inspect`, `tipsim run --from` and the viewer
// use. docs/output-format.md describes the layout for analysts; keep the two
// in step.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "allocation.hpp"
#include "comparison.hpp"
#include "experiment.hpp"
#include "params.hpp"
#include "state_arrays.hpp"
#include "sweep.hpp"

namespace tipsim::output {

// The `format` and `format_version` root attributes. Bump the version for
// any change a reader of the previous version would misread.
inline constexpr const char* kFormatName = "tipsim-run";
inline constexpr int kFormatVersion = 4;
// Version 1 kept money in agent units (divided by population.scale); its
// files would be misread, so they are refused with the reason. Version 2
// kept a labelled dimension's labels in its own coordinate variable, which
// version 3 makes an index (CF wants it numeric) beside <name>_label; both
// are read. Versions 2 and 3 gave a route's transit time in whole steps
// (`transit_steps`); version 4 gives its mean in days (`transit_days`), and
// older files are read in days.
inline constexpr int kOldestFormatVersion = 2;

// The variable that holds a labelled dimension's labels: "region_label".
std::string label_variable(std::string_view dim);

// What a file's points are: one scenario, a grid of values of some keys,
// or policy arms compared with a baseline. Stored as the root attribute
// `experiment` ("run", "sweep", "comparison").
enum class ExperimentKind : std::uint8_t { Run, Sweep, Comparison };
std::string_view experiment_name(ExperimentKind kind);

// The comparison/ attribute holding the value of one unit of the outcome
// averted: value_per_victim_year, or value_per_qaly.
std::string value_attribute(Averted outcome);

// The processes that write one run file together (MPI ranks; see
// sim/programs/mpi/); a writer without one is alone. The writer calls it where the
// processes must agree or exchange what they did. Every member is
// collective: all processes call it, in the same order.
class WriterGroup {
 public:
  virtual ~WriterGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Sets an HDF5 file access property list (hid_t) to open the file on
  // every process of the group (parallel HDF5's MPI-IO driver).
  virtual void use_parallel_io(std::int64_t file_access_properties) const = 0;
  // Rank 0's text, on every process.
  virtual std::string broadcast(const std::string& text) const = 0;
  // Every process's values, concatenated in rank order, on every process.
  virtual std::vector<double> all_gather(const std::vector<double>& values) const = 0;
  virtual void barrier() const = 0;
};

// What the writer needs besides the replicates themselves.
struct RunFileInfo {
  std::string command_line;      // as typed, for provenance
  std::vector<Scenario> points;  // one per sweep point; a plain run has one
  std::size_t replicates = 1;    // per point
  int threads = 0;               // worker threads used (0 = all cores); recorded, never affects results
  ExperimentKind experiment = ExperimentKind::Run;
  // Sweep: the --vary axes. Each point's value of each key is read from its
  // scenario and stored as a (point) coordinate named by the key.
  std::vector<VaryAxis> sweep_axes;
  // Comparison: one label per point, the baseline first. The comparison/
  // group (paired effects against the baseline) is written by commit().
  std::vector<std::string> arm_names;
  // Comparison: what cost-effectiveness (and an allocation's best split)
  // counts as averted, and the value of one unit of it that the net
  // monetary benefit and the most cost-effective arm are judged at (USD per
  // victim-year, or per QALY with Averted::Harm).
  Averted outcome = Averted::VictimYears;
  double value_per_victim_year = kDefaultValuePerVictimYear;
  // Allocation (tipsim allocate, a comparison whose arms are splits of an
  // added budget): the targets the money went to, each point's budget level
  // and split (point 0, the scenario as it is: 0 and none), and whether the
  // best split maximises net monetary benefit rather than victim-years
  // averted. The allocation/ group is written by commit().
  std::vector<std::string> allocation_targets;
  std::vector<double> allocation_budgets;               // [point] USD per year
  std::vector<std::vector<double>> allocation_weights;  // [point][target]
  bool allocation_by_net_benefit = false;
  // The event log and agent snapshots every replicate carries; their groups
  // (events/, snapshots/) are written when on.
  Recording recording;
  // The most bytes the event log and snapshots may take (uncompressed, as
  // estimate_recording_bytes() counts them); consume() throws OutputError
  // past it, so a run never writes more than it was allowed. 0 = no limit.
  std::uint64_t max_recording_bytes = 0;
  // Steps at whose end every run's whole state is kept (checkpoints/;
  // tipsim run --checkpoint-at, --checkpoint-every), ascending. A plain run
  // written by one process only.
  std::vector<std::int32_t> checkpoint_steps;
  // A fork (tipsim run --fork): the run file it continues, that file's
  // `created` attribute, and the step it continues from (root attributes
  // forked_from, forked_from_created, forked_at_step); -1: not a fork.
  std::string forked_from;
  std::string forked_from_created;
  std::int32_t forked_at_step = -1;
  // Notes for people, written as the root attribute `comment` when not
  // empty (an exercise's debrief: the decisions, the predictions, their scores).
  std::string comment;
  // The processes writing the file together; null: this process alone.
  // With a group, every process makes its own RunFileWriter, consumes the
  // runs it did and calls commit() or suspend() with the others. Files
  // written so hold their per-run data uncompressed (parallel HDF5 writes
  // no compressed data independently), and cannot hold an event log.
  const WriterGroup* group = nullptr;
};

// Uncompressed bytes one event takes in a run file (all its columns).
inline constexpr std::size_t kEventFileBytes = 8 + 4 + 4 + 4 + 1 + 4 + 4 + 2 + 1 + 1 + 2;
// Uncompressed bytes the event log and snapshots of one replicate with
// this many events take in a run file.
double estimate_recording_bytes(const Scenario& scenario, const Recording& recording, double events);

// A failure to create, write, read or rename a run file. The message names
// the path and the reason (errno text or the HDF5 error stack).
class OutputError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// The file is readable but is not a run file this program understands: not
// HDF5, not a tipsim run, a newer format version, missing parts, or (for
// --resume) not the experiment being resumed.
class FormatError : public OutputError {
 public:
  using OutputError::OutputError;
};

// Writes a run file as replicates arrive, so memory does not grow with the
// number of replicates. The file is built under a temporary name in the
// same folder (temporary_path()) and renamed to the final name by commit();
// a writer destroyed without commit removes it, so a crash, an error or an
// interrupt never leaves a file that looks whole at the final name.
//
// The file records which (point, replicate) runs it holds (campaign/
// run_complete): suspend() keeps an unfinished file for a later run to
// complete (resuming), and a file left by a killed process can be resumed
// too, from the runs it had recorded.
class RunFileWriter : public ReplicateSink {
 public:
  // Creates the temporary file with every attribute, the scenario, the
  // coordinates and all datasets sized (points, replicates, steps, ...).
  // All points must share steps and regions (std::invalid_argument
  // otherwise). Throws OutputError when the file cannot be created.
  //
  // With `resume_from` (a file left by suspend() or by a killed run), takes
  // that file over instead (it is renamed to temporary_path()) and keeps the
  // runs it holds: missing_runs() are those still to do. Throws FormatError
  // when it is not an unfinished run file of this same experiment (other
  // points, replicates, steps, recording, or an event log, which cannot be
  // resumed), leaving it where it was.
  RunFileWriter(const std::string& final_path, const RunFileInfo& info, const std::string& resume_from = {});
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;

  // Writes one (point, replicate): every series and its summaries. Called
  // one at a time (from any thread). Throws std::invalid_argument for a
  // result of the wrong shape or a run the file already holds, OutputError
  // for a write failure.
  void consume(ReplicateResult&& result) override;

  // The run indices (point * replicates + replicate) the file does not hold
  // yet, in order: every run of a new file. The same on every process.
  std::vector<std::size_t> missing_runs() const;
  // Runs the file held when it was taken over with resume_from.
  std::size_t resumed_runs() const;
  // Whether the file holds every run now, its own and (with a group) those
  // the other processes wrote. Collective with a group.
  bool holds_every_run();

  // Flushes and closes the file, syncs it to disk and renames it to the
  // final name atomically (replacing any file there). Every (point,
  // replicate) must have been consumed. Throws OutputError; on failure no
  // file is left at the final name (a file already there is untouched) and
  // the temporary file is removed.
  void commit();

  // For an interrupted run: keeps the runs written so far in a file a
  // later run can resume, free_incomplete_path_for(final_path()), and
  // returns that path; nothing is left at the final name. When no run is complete,
  // or the file has an event log, removes the file instead and returns "".
  // Throws OutputError (the file is then removed).
  std::string suspend();

  // Every run's summary figures (summary_table() order), by run index, once
  // commit() or suspend() has kept the file: those resumed from the file
  // and, with a group, those of the other processes too; empty for a run
  // not in the file.
  const std::vector<std::vector<double>>& summaries() const { return summaries_; }

  // Without commit() or suspend() (a failure): closes and removes the
  // temporary file; but a file that held runs when it was taken over
  // (resume_from), or that a group wrote, is kept as suspend() keeps one
  // rather than lose them. Never throws. With a group, a writer destroyed
  // with its file open closes nothing and leaves the file, as a kill would
  // (closing waits for every process): the process must end the whole job.
  ~RunFileWriter() override;

  const std::string& final_path() const { return final_path_; }
  // temporary_path_for(final_path()), of rank 0 in a group.
  const std::string& temporary_path() const { return temporary_path_; }

 private:
  struct Impl;
  std::string final_path_;
  std::string temporary_path_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::vector<double>> summaries_;
  void open_for_runs(const RunFileInfo& info);
  void checkpoint(bool force);
  void gather_runs();
  void close_file(const std::string& what);
  void abandon() noexcept;
  void write_events(const ReplicateResult& result);
  void write_snapshots(const ReplicateResult& result);
};

// The temporary name a run file is written under before commit():
// FINAL_PATH + ".partial-" + the process id.
std::string temporary_path_for(const std::string& final_path);
// The name an interrupted run keeps its finished runs under (suspend()):
// FINAL_PATH + ".incomplete".
std::string incomplete_path_for(const std::string& final_path);
// incomplete_path_for(), or when a file is there already (an earlier
// run's, not resumed), FINAL_PATH + ".incomplete-2", "-3", ...
std::string free_incomplete_path_for(const std::string& final_path);

// ---- Reading back -----------------------------------------------------------

// checkpoints/: "checkpoints/replicate_R/step_S", the group of one checkpoint.
std::string checkpoint_group_name(std::size_t replicate, std::int32_t step);
// The steps at whose end the file kept each replicate's whole state, by
// replicate, ascending (empty without checkpoints/). Throws like
// read_run_file() for a file that is not a run file.
std::map<std::size_t, std::vector<std::int32_t>> read_checkpoint_steps(const std::string& path);
// The arrays of one checkpoint (state_from_arrays() makes the state).
// Throws FormatError when the file does not hold it or it is damaged.
std::vector<StateArray> read_checkpoint(const std::string& path, std::size_t replicate, std::int32_t step);

// One dataset read back: its values as doubles (int64 counts are exact up to
// 2^53), row-major, with its dimension names and sizes and its text
// attributes (units, long_name, cell_methods, layer, ...).
struct Variable {
  std::string name;
  std::vector<std::string> dims;
  std::vector<std::size_t> shape;
  bool integer = false;  // stored as int64 (a count) rather than float64
  std::map<std::string, std::string> attributes;
  std::vector<double> values;
  std::vector<std::string> texts;  // instead of values, for a text variable

  // The value at one index per dimension.
  double at(std::initializer_list<std::size_t> index) const;
  std::string attribute(const std::string& key) const;  // "" when absent
  // The unit in words ("persons", "USD per year"): unit_label, beside the
  // UDUNITS spelling in units that CF asks for.
  std::string unit_label() const;
};

struct ParameterRow {
  std::string key;
  double value = 0;  // NaN for text parameters (their text is in resolved_toml)
  std::string unit;
  std::string scope;  // "global" or "regional" (then the world default)
};

struct RouteRow {
  std::string origin;
  std::string destination;
  double share = 0;
  double transit_days = 0;  // mean days in transit
};

struct InterventionRow {
  std::string name;
  std::int64_t start_step = 0;
  std::int64_t end_step = 0;
  std::string region;  // a region name, or "all"
  std::int64_t ramp_steps = 0;
  std::string key;
  std::string op;  // "set" or "scale"
  double value = 0;
  // The intervention's index in the scenario, which the event log's
  // intervention column refers to; -1 in files written before the column.
  std::int64_t intervention = -1;
};

struct RunFileContents {
  // Root attributes: text ones and numeric ones (integers as doubles).
  std::map<std::string, std::string> text_attributes;
  std::map<std::string, double> number_attributes;
  int format_version = 0;

  // scenario/
  std::string source_text;
  std::string source_path;
  std::string resolved_toml;
  std::vector<ParameterRow> parameters;
  std::vector<std::string> region_names;   // scenario/regional_values region labels
  std::vector<std::string> regional_keys;  // its parameter keys
  std::vector<double> regional_values;     // (region, parameter), row-major
  std::vector<RouteRow> routes;
  std::vector<InterventionRow> interventions;

  // Dimension sizes (point, replicate, step, region and every categorical
  // axis), the labels of the string coordinates and the time of each step.
  std::map<std::string, std::size_t> dimensions;
  std::map<std::string, std::vector<std::string>> labels;  // "region", "state", ...
  std::vector<double> time_days;                           // (step)

  // series/ (empty when read without series) and summary/, in file order.
  std::vector<Variable> series;
  std::vector<Variable> summary;

  // sweep/: each point's fully resolved scenario, the --vary arguments (one
  // per line; empty unless a sweep), the varied keys' (point) coordinates
  // and, for a comparison, each point's arm label.
  std::vector<std::string> point_resolved_toml;
  std::string sweep_definition;
  std::vector<Variable> sweep_keys;
  std::vector<std::string> arm_names;

  // comparison/ (comparison files only): the paired effects, arm labels
  // (every arm but the baseline) and the baseline's name.
  std::vector<Variable> comparison;
  std::vector<std::string> comparison_arms;
  std::string baseline_arm;
  double value_per_victim_year =
      std::nan("");                        // comparison/'s value per unit of the outcome; NaN when absent
  Averted outcome = Averted::VictimYears;  // comparison/'s attribute outcome
  std::string baseline_frontier_status;    // comparison/'s attribute; empty when absent

  // allocation/ (tipsim allocate files only): what the money went to (the
  // target labels), the group's (point), (point, target) and (level)
  // variables in file order, and its objective attribute.
  std::vector<std::string> allocation_targets;
  std::vector<Variable> allocation;
  std::string allocation_objective;

  // Root attributes experiment, event_log and snapshot_every, with their
  // meaning for files that lack them.
  ExperimentKind experiment = ExperimentKind::Run;
  bool event_log = false;
  std::int32_t snapshot_every = 0;
  std::size_t event_count = 0;  // rows of events/ (0 without an event log)
  // checkpoints/'s steps attribute: where each run kept its whole state (empty: no checkpoints/).
  std::vector<std::int32_t> checkpoint_steps;
  // campaign/run_complete: 1 for each run the file holds, (point,
  // replicate) row-major; empty for files written before the record
  // existed, which hold every run. runs_complete counts them.
  std::vector<std::uint8_t> run_complete;
  std::size_t runs_complete = 0;

  std::string text(const std::string& attribute) const;  // "" when absent
  double number(const std::string& attribute) const;     // NaN when absent
  const Variable* find_series(std::string_view name) const;
  const Variable* find_summary(std::string_view name) const;
  const Variable* find_comparison(std::string_view name) const;
  const Variable* find_allocation(std::string_view name) const;
  std::size_t dimension(const std::string& name) const;  // 0 when absent
};

// Steps [0, rows) of one (point, replicate) run's series as the file holds
// them (model units), in the frame layout of a run of `steps` steps: the
// past a fork or a branch continues. Throws FormatError for a series that is
// missing or of another shape.
Series read_run_rows(const RunFileContents& contents, const std::string& path, const FrameLayout& layout,
                     std::size_t steps, std::size_t point, std::size_t replicate, std::size_t rows);

// Reads a run file. Throws FormatError for a file that is not HDF5, not a
// tipsim run, of an unknown format version or incomplete; OutputError when
// it cannot be opened or read. With read_series = false the per-step series
// are left out (their shapes are still in `dimensions`), which keeps
// `tipsim inspect` cheap on large files.
RunFileContents read_run_file(const std::string& path, bool read_series = true);

// Reads what resuming an unfinished run file needs (no series): like
// read_run_file(), but accepts a file that does not hold every run and the
// temporary name of a killed run.
RunFileContents read_unfinished_run_file(const std::string& path);

// The event log of a run file: each column of events/ by name ("point",
// "replicate", "step", "kind", ...), all of the same length, as integers.
struct EventTable {
  std::map<std::string, std::vector<std::int64_t>> columns;
  std::size_t size() const { return columns.empty() ? 0 : columns.begin()->second.size(); }
  const std::vector<std::int64_t>& column(const std::string& name) const;  // throws std::out_of_range
};
// Reads events/. Throws FormatError when the file has no event log, and
// like read_run_file() for a file that is not a run file.
EventTable read_event_table(const std::string& path);

// One column of the event log or one field of the snapshots: its text
// attributes (long_name, units, ...), its HDF5 type, and what its values
// mean when it is categorical: each value's label (CF flag_values and
// flag_meanings) or each bit's (flag_masks and flag_meanings).
struct RecordField {
  std::string name;
  std::map<std::string, std::string> attributes;
  bool integer = false;           // an integer type
  bool single_precision = false;  // float32: its values are floats widened to double
  std::vector<std::pair<std::int64_t, std::string>> labels;  // value -> label
  std::vector<std::pair<std::int64_t, std::string>> bits;    // mask -> label

  std::string attribute(const std::string& key) const;  // "" when absent
};

// The parts of a run file too large to read whole, a piece at a time: one
// series variable, a range of the event log's rows, one (point, replicate,
// snapshot) of every snapshot field; so that what a reader holds is one
// piece, however large the file. Opening checks the file as read_run_file()
// does and throws the same errors.
class RunFileReader {
 public:
  explicit RunFileReader(const std::string& path);
  RunFileReader(const RunFileReader&) = delete;
  RunFileReader& operator=(const RunFileReader&) = delete;
  ~RunFileReader();

  const std::string& path() const;

  // The text attributes of any dataset ("series/time_days",
  // "scenario/routes/share"); empty when it is not in the file.
  std::map<std::string, std::string> attributes(const std::string& dataset);

  // The values of series/NAME, row-major over its dimensions, as
  // Variable::values holds them.
  std::vector<double> series_values(const std::string& name);

  // events/: its columns in file order (the `event` coordinate left out),
  // and `count` rows from `first` of each, [column][row].
  const std::vector<RecordField>& event_columns() const;
  std::size_t event_rows() const;
  std::vector<std::vector<std::int64_t>> read_events(std::size_t first, std::size_t count);

  // snapshots/: its (point, replicate, snapshot, person) fields in file
  // order, the step and day of each snapshot, the number of persons, and
  // every field of one (point, replicate, snapshot), [field][person].
  const std::vector<RecordField>& snapshot_fields() const;
  const std::vector<std::int64_t>& snapshot_steps() const;
  const std::vector<double>& snapshot_days() const;
  std::size_t snapshot_persons() const;
  std::vector<std::vector<double>> read_snapshot(std::size_t point, std::size_t replicate,
                                                 std::size_t snapshot);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tipsim::output
