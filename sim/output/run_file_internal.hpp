// What the parts of the run file writer share: the group writer, the stored
// fields of events/ and snapshots/, the layout, resume, commit and group
// (MPI) steps, and the writer's state. Internal to tipsim::output; the
// reader does not use it.
#pragma once

#include <hdf5.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hdf5_util.hpp"
#include "run_file.hpp"

namespace tipsim::output {

namespace detail {

using h5::Handle;

// ---- Group writing (run_file_groups.cpp) -----------------------------------

// Property lists for groups (and the file's root group) that netCDF-4 and
// h5netcdf accept: link and attribute creation order tracked and indexed,
// so that readers list variables and attributes in the order we wrote them.
Handle group_creation_properties(const std::string& path, hid_t list_class = H5P_GROUP_CREATE);

// One group of the file being written, with the dimension scales (netCDF-4
// coordinate variables) that its datasets use. Each group carries its own
// copies of the coordinates it needs: xarray opens one group at a time and
// only labels a dimension whose coordinate variable is in that group.
class GroupWriter {
 public:
  GroupWriter(hid_t parent, const char* name, std::string_view comment, const std::string& path);

  hid_t id() const { return group_.get(); }

  // Datasets created from now on get all their storage at once and no
  // compression: their data can then be written by several processes
  // (parallel HDF5), and writing never changes the file's metadata, so a
  // process killed between writes leaves a consistent file.
  void plain_storage() { plain_storage_ = true; }

  // An integer dimension 0..size-1 (point, replicate, step, table rows).
  void index_dimension(const char* name, std::size_t size, std::string_view long_name,
                       std::string_view units);
  // The (point, replicate) dimensions of the per-run variables.
  void run_dimensions(std::size_t points, std::size_t replicates);

  // A dimension of table rows that grows as rows are appended (the event
  // log): an int64 coordinate 0, 1, ... of unlimited length.
  void growing_dimension(const char* name, std::size_t chunk_rows, std::string_view long_name);
  // A column along a growing dimension, to be filled by append_rows().
  Handle growing_column(const char* name, const char* dim, hid_t file_type, std::size_t chunk_rows,
                        std::string_view long_name, std::string_view units);

  // A dimension labelled by strings (region, state, form, ...): an index
  // coordinate and the labels beside it (label_variable()).
  void label_dimension(const char* name, const std::vector<std::string>& labels, std::string_view long_name);

  Handle strings(const char* name, std::initializer_list<const char*> dims,
                 const std::vector<std::string>& values, std::string_view long_name);
  Handle doubles(const char* name, std::initializer_list<const char*> dims, const std::vector<double>& values,
                 std::string_view long_name, std::string_view units);
  Handle int64s(const char* name, std::initializer_list<const char*> dims,
                const std::vector<std::int64_t>& values, std::string_view long_name, std::string_view units);
  // A scalar text variable (the scenario source, the resolved TOML).
  Handle text(const char* name, const std::string& value, std::string_view long_name);

  // An empty dataset of the given dimensions, to be written piece by piece.
  // An extendible one (a table that grows as runs arrive) has an unlimited
  // first dimension and keeps HDF5's chunk cache, since its chunks fill
  // over several appends.
  Handle create(const char* name, hid_t file_type, const std::vector<std::size_t>& shape,
                const std::vector<std::size_t>& chunk = {}, bool extendible = false);

  // The long_name and (when given) units attributes every variable carries.
  void describe(hid_t ds, std::string_view long_name, std::string_view units);
  // Attaches this group's coordinates of `dims` to a dataset's dimensions, in order.
  void attach(hid_t ds, std::initializer_list<const char*> dims);
  void attach(hid_t ds, const std::vector<std::string>& dims);

  // The sizes of this group's dimensions `dims`.
  std::vector<std::size_t> shape_of(const std::vector<std::string>& dims) const;
  std::vector<std::size_t> shape_of(std::initializer_list<const char*> dims) const;

 private:
  Handle strings_dataset(const char* name, const std::vector<std::string>& values);
  // A numeric variable written whole: doubles() and int64s().
  Handle numbers(const char* name, std::initializer_list<const char*> dims, hid_t file_type,
                 hid_t memory_type, const void* data, std::size_t count, std::string_view long_name,
                 std::string_view units);
  void write(hid_t ds, hid_t memory_type, const void* data, std::size_t count);
  void make_scale(Handle ds, const char* name);
  hid_t scale(const std::string& dim) const;

  std::string path_;
  Handle group_;
  bool plain_storage_ = false;
  std::map<std::string, Handle> scales_;
  std::map<std::string, std::size_t> sizes_;
  std::set<std::string> labelled_;  // dimensions with a label variable
  std::vector<Handle> labels_;      // their label variables
};

// Writes a block of values at `start` with extent `count` (any rank).
void write_block(hid_t ds, hid_t memory_type, const void* data, const std::vector<hsize_t>& start,
                 const std::vector<hsize_t>& count, const std::string& path, const std::string& what);

// Appends `count` values to a 1-D extendible dataset that holds `at` rows.
void append_rows(hid_t ds, hid_t memory_type, const void* data, std::size_t at, std::size_t count,
                 const std::string& path, const std::string& what);

// CF flag_meanings: the labels as words (letters, digits and _ - . + @
// only), separated by spaces.
std::string flag_meanings(const std::vector<std::string>& labels);

// CF flag_values and flag_meanings of a categorical dataset stored as
// `file_type` (int8, int16 or uint8): value i means labels[i]; with `none`,
// -1 means NONE (not applicable).
void write_categories(hid_t ds, hid_t file_type, const std::vector<std::string>& labels, bool none,
                      const std::string& path);

// ---- Stored fields of events/ and snapshots/ -------------------------------

// What a categorical field's values mean (its CF flag attributes); None
// for a measured field.
enum class FieldCategories : std::uint8_t {
  None,
  EventKinds,
  Regions,
  Forms,
  Channels,
  States,
  Markets,
  PersonFlags
};

// One stored field of a table: an events/ column or a snapshots/ person
// field.
struct FieldSpec {
  const char* name;
  hid_t (*file_type)();
  const char* long_name;
  const char* units;  // empty for a categorical field (flag_values instead)
  FieldCategories categories = FieldCategories::None;
};

// The HDF5 types of a C++ value type: in the file (little-endian, as every
// dataset) and in memory. The tables below name a field's file type by
// this function.
template <typename T>
hid_t file_type_of() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  if constexpr (std::is_same_v<T, std::int8_t>) return H5T_STD_I8LE;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_STD_U8LE;
  if constexpr (std::is_same_v<T, std::int16_t>) return H5T_STD_I16LE;
  if constexpr (std::is_same_v<T, std::uint16_t>) return H5T_STD_U16LE;
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int8_t> ||
                std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int16_t> ||
                std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::int32_t>);
  return H5T_STD_I32LE;
}
template <typename T>
hid_t memory_type_of() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, std::int8_t>) return H5T_NATIVE_INT8;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
  if constexpr (std::is_same_v<T, std::int16_t>) return H5T_NATIVE_INT16;
  if constexpr (std::is_same_v<T, std::uint16_t>) return H5T_NATIVE_UINT16;
  return H5T_NATIVE_INT32;
}

// The columns of events/, in file order.
inline constexpr FieldSpec kEventColumns[] = {
    {"point", file_type_of<std::int32_t>, "sweep point of the run the event belongs to", "1"},
    {"replicate", file_type_of<std::int32_t>, "replicate of the run the event belongs to", "1"},
    {"step", file_type_of<std::int32_t>, "step in which the event happened", "1"},
    {"kind", file_type_of<std::int8_t>, "what happened (flag_meanings)", "", FieldCategories::EventKinds},
    {"person", file_type_of<std::int32_t>,
     "person id (index into the persons of the run), -1 for a trafficker event", "1"},
    {"trafficker", file_type_of<std::int32_t>,
     "trafficker id (index into the traffickers of the run), -1 when none", "1"},
    {"region", file_type_of<std::int16_t>,
     "region where the event happened (flag_meanings; the series/ region labels)", "",
     FieldCategories::Regions},
    {"form", file_type_of<std::int8_t>, "form of exploitation involved (flag_meanings; -1 NONE)", "",
     FieldCategories::Forms},
    {"channel", file_type_of<std::int8_t>, "identification channel (flag_meanings; -1 NONE)", "",
     FieldCategories::Channels},
    {"intervention", file_type_of<std::int16_t>,
     "index of the intervention responsible (scenario/interventions intervention column), -1 when none", "1"},
};
inline constexpr std::size_t kEventChunkRows = 1u << 16;

// The fields of snapshots/, in file order (sim/model/snapshot_fields.def).
inline constexpr FieldSpec kSnapshotFields[] = {
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units) \
  {#name, file_type_of<type>, long_name, units, FieldCategories::categories},
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
};

// ---- Checkpoints (run_file_checkpoints.cpp) ---------------------------------

// Writes each state as checkpoints/replicate_R/step_S/ (replacing one that
// is there: a run written again on resuming).
void write_checkpoints(hid_t file, std::size_t replicate, const std::vector<State>& checkpoints,
                       const std::string& path);

// ---- Layout (run_file_layout.cpp, run_file_scenario.cpp) -------------------

std::vector<std::string> region_names(const Scenario& scenario);

// Creates a new run file at `file_path` with its whole layout: every
// attribute, the scenario, the coordinates, and every dataset sized for all
// runs, none written yet (campaign/run_complete all 0); then closes it.
// With info.group, the per-run datasets get plain storage (GroupWriter::
// plain_storage()) so that several processes can write them.
void create_layout(const std::string& file_path, const std::string& path, const RunFileInfo& info,
                   const std::string& created);

// scenario/: the scenario as given and fully resolved, and its tables.
void write_scenario_group(hid_t file, const Scenario& scenario, const std::string& path);

// comparison/: the paired effects of every arm against the baseline (point
// 0), and the arms' cost-effectiveness on `outcome` at `value` USD per unit
// of it, from every run's summaries (by run index).
void write_comparison(hid_t file, const std::string& path, const std::vector<std::string>& arm_names,
                      std::size_t replicates, const std::vector<std::vector<double>>& summaries, double value,
                      Averted outcome);

// allocation/: what each point's added money went to, and the best split
// at each budget level with how sure we are of it.
void write_allocation(hid_t file, const std::string& path, const RunFileInfo& info,
                      const std::vector<std::vector<double>>& summaries);

// ---- Resuming (run_file_resume.cpp) ----------------------------------------

// Whether a per-run dataset is compressed (a file written by one process)
// rather than plain (laid out for several).
bool is_compressed(hid_t dataset, const std::string& path);

// Checks the unfinished run file `resume_from` against `info`, renames it
// to `temporary_path` and adds this command to its history, laying it out
// anew where the runs need it. On failure the file is back at resume_from.
void take_over_to_resume(const std::string& resume_from, const std::string& temporary_path,
                         const std::string& final_path, const RunFileInfo& info, const std::string& created);

// ---- Commit (run_file_commit.cpp) ------------------------------------------

// The system's text for an errno value, for messages.
std::string errno_text(int error);

// Copies a run file into a new layout: compressed (info.group null) or
// plain, for several processes to write (info.group set). With
// `recorded_runs_only`, the runs not recorded complete are not read at all.
void copy_into_new_layout(const std::string& file_path, const std::string& path, const RunFileInfo& info,
                          bool recorded_runs_only = false);

// ---- Processes writing together (run_file_gather.cpp) ----------------------

// Runs `step` on rank 0 (or alone) and returns, on every process of the
// group, how it failed: "" when it did not, else a letter for the kind of
// error (F format, O output, E other) and its message. With
// `format_errors` false, a FormatError counts as the OutputError it is.
std::string outcome_on_first_process(const WriterGroup* group, const std::function<void()>& step,
                                     bool format_errors);
// Throws the error an outcome names (nothing for "").
void throw_outcome(const std::string& outcome);
// Runs `step` on rank 0 (or alone) and makes every process of the group
// throw its error, if any.
void on_first_process(const WriterGroup* group, const std::function<void()>& step);
// Closes the file on every process of the group (`close`), and throws on
// every process when any could not.
void close_on_every_process(const WriterGroup& group, const std::string& final_path,
                            const std::function<void()>& close);

}  // namespace detail

// The state of a RunFileWriter while its file is open.
struct RunFileWriter::Impl {
  using Handle = h5::Handle;

  std::string path;  // the final path, for messages
  const WriterGroup* group = nullptr;
  std::size_t points = 0, replicates = 0, steps = 0, regions = 0;
  Handle file;
  std::vector<Handle> series_sets;   // by metric_table() row
  std::vector<Handle> summary_sets;  // by summary_table() row
  Handle run_complete;               // campaign/run_complete
  std::vector<bool> written;         // (point, replicate) in the file, as far as this process knows
  std::size_t written_count = 0;
  std::size_t resumed = 0;  // runs the file held when taken over
  bool taken_over = false;  // the file was resumed: never removed by a failure
  // Runs this process wrote, and those of them campaign/run_complete does
  // not record yet (alone: until the next checkpoint).
  std::vector<std::size_t> mine, unrecorded;
  // The first runs are recorded a second after the file opens: a kill
  // before that loses under a second of work.
  std::chrono::steady_clock::time_point last_checkpoint = std::chrono::steady_clock::now();
  bool failed = false;  // a write failed: the file can only be abandoned
  std::vector<double> values;
  std::vector<std::int64_t> counts;

  // What the file is, to lay out its compressed copy (copy_into_new_layout()).
  RunFileInfo info;
  bool plain = false;  // per-run datasets uncompressed (written by several processes)

  ExperimentKind experiment = ExperimentKind::Run;
  std::vector<std::string> arm_names;
  std::vector<std::vector<double>> summaries;  // by run; empty where not known (yet)

  // events/: the row coordinate, its columns (kEventColumns order), the
  // per-run index, and the rows written so far.
  Handle event_rows;
  std::vector<Handle> event_columns;
  Handle first_event, event_count;
  std::size_t events_written = 0;

  // snapshots/: one dataset per person field (kSnapshotFields order).
  std::vector<Handle> snapshot_sets;
  std::size_t snapshot_count = 0, persons = 0;

  std::uint64_t recording_bytes = 0;      // event log and snapshots written so far
  std::uint64_t max_recording_bytes = 0;  // 0 = no limit

  // Takes the file's shape and what it records from `info`.
  void shape_for(const std::string& final_path, const RunFileInfo& info);
  // Opens every dataset runs are written to (the file is open).
  void open_datasets(const RunFileInfo& info);
  // Marks the runs the file already holds (a resumed file) and keeps their
  // summaries.
  void read_held_runs();

  // The run index of a result, after checking that it fits the file and is
  // not in it yet (std::invalid_argument).
  std::size_t check_fits(const ReplicateResult& result) const;
  // The bytes of event log and snapshots a result adds, after checking
  // that they stay under the limit (OutputError, and the writer fails).
  std::uint64_t check_recording_limit(const ReplicateResult& result);
  void write_series(const ReplicateResult& result);
  void write_summaries(const ReplicateResult& result);

  // Closes datasets before the file; returns false when closing the file
  // failed (it flushes what was still cached).
  bool close();
};

}  // namespace tipsim::output
