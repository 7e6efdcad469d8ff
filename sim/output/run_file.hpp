// tipsim run files: the HDF5 (netCDF-4 compatible) file every run writes,
// and the reader that `tipsim inspect`, `tipsim run --from` and the viewer
// use. docs/output-format.md describes the layout for analysts; keep the two
// in step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "experiment.hpp"
#include "params.hpp"

namespace tipsim::output {

// The `format` and `format_version` root attributes. Bump the version for
// any change a reader of the previous version would misread.
inline constexpr const char* kFormatName = "tipsim-run";
inline constexpr int kFormatVersion = 1;

// What the writer needs besides the replicates themselves.
struct RunFileInfo {
  std::string command_line;      // as typed, for provenance
  std::vector<Scenario> points;  // one per sweep point; a plain run has one
  std::size_t replicates = 1;    // per point
  int threads = 0;               // worker threads used (0 = all cores); recorded, never affects results
};

// A failure to create, write, read or rename a run file. The message names
// the path and the reason (errno text or the HDF5 error stack).
class OutputError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// The file is readable but is not a run file this program understands: not
// HDF5, not a tipsim run, a newer format version, or missing parts.
class FormatError : public OutputError {
 public:
  using OutputError::OutputError;
};

// Writes a run file as replicates arrive, so memory does not grow with the
// number of replicates. The file is built under a temporary name in the
// same folder (temporary_path()) and renamed to the final name by commit();
// a writer destroyed without commit removes it, so a crash, an error or an
// interrupt never leaves a file that looks whole at the final name.
class RunFileWriter : public ReplicateSink {
 public:
  // Creates the temporary file with every attribute, the scenario, the
  // coordinates and all datasets sized (points, replicates, steps, ...).
  // All points must share steps and regions (std::invalid_argument
  // otherwise). Throws OutputError when the file cannot be created.
  RunFileWriter(const std::string& final_path, const RunFileInfo& info);
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;

  // Writes one (point, replicate): every series and its summaries. Called
  // one at a time (from any thread). Throws std::invalid_argument for a
  // result of the wrong shape, OutputError for a write failure.
  void consume(ReplicateResult&& result) override;

  // Flushes and closes the file, syncs it to disk and renames it to the
  // final name atomically (replacing any file there). Every (point,
  // replicate) must have been consumed. Throws OutputError; on failure no
  // file is left at the final name (a file already there is untouched) and
  // the temporary file is removed.
  void commit();

  // Without commit: closes and removes the temporary file. Never throws.
  ~RunFileWriter() override;

  const std::string& final_path() const { return final_path_; }
  // FINAL_PATH + ".partial-" + the process id.
  const std::string& temporary_path() const { return temporary_path_; }

 private:
  struct Impl;
  std::string final_path_;
  std::string temporary_path_;
  std::unique_ptr<Impl> impl_;
  void abandon() noexcept;
};

// The temporary name a run file is written under before commit().
std::string temporary_path_for(const std::string& final_path);

// ---- Reading back -----------------------------------------------------------

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

  // The value at one index per dimension.
  double at(std::initializer_list<std::size_t> index) const;
  std::string attribute(const std::string& key) const;  // "" when absent
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
  std::int64_t transit_steps = 0;
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

  // sweep/: each point's fully resolved scenario.
  std::vector<std::string> point_resolved_toml;

  std::string text(const std::string& attribute) const;  // "" when absent
  double number(const std::string& attribute) const;     // NaN when absent
  const Variable* find_series(std::string_view name) const;
  const Variable* find_summary(std::string_view name) const;
  std::size_t dimension(const std::string& name) const;  // 0 when absent
};

// Reads a run file. Throws FormatError for a file that is not HDF5, not a
// tipsim run, of an unknown format version or incomplete; OutputError when
// it cannot be opened or read. With read_series = false the per-step series
// are left out (their shapes are still in `dimensions`), which keeps
// `tipsim inspect` cheap on large files.
RunFileContents read_run_file(const std::string& path, bool read_series = true);

}  // namespace tipsim::output
