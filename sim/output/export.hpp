// A run file as tidy long tables (`tipsim export`): one row per coordinate
// combination, coordinates written as their labels, counts in real people
// by default, and a data dictionary; for spreadsheets, R and pandas.
// docs/output-format.md ("Exporting to CSV") describes the tables for
// analysts; export_table_specs() is the one declaration of them that the
// export, its dictionary and that section all follow.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "run_file.hpp"

namespace tipsim::output {

// One cell: missing (an empty field), a number, a whole number or text. A
// float32 field of the file stays a float, so that it is written as the
// shortest text that reads back to it (0.3, not 0.30000001192092896).
using ExportCell = std::variant<std::monostate, double, float, std::int64_t, std::string_view>;

// A column as the data dictionary describes it.
struct ExportColumn {
  std::string name;
  std::string meaning;  // the file's long_name where the file has the column
  std::string unit;     // "" when it has none (labels, text)
  std::string basis;    // people, USD, none or agents (docs/output-format.md, "Units")
};

// In a long table, what a value column means on the rows of one figure
// (the rows whose figure, statistic or effect column names it).
struct ExportFigure {
  std::string column;  // the value column
  std::string figure;  // the name in the figure column
  std::string meaning, unit, basis;
};

// Receives a table's rows, one at a time; the cells' text views are valid
// only during the call. It may throw to stop the table.
class ExportRowSink {
 public:
  virtual ~ExportRowSink() = default;
  virtual void row(std::span<const ExportCell> cells) = 0;
};

// One table of an export, ready to be written.
struct ExportTable {
  std::string name;  // its file in the export folder: "summary.csv", "series/convictions.csv"
  std::vector<ExportColumn> columns;
  std::vector<ExportFigure> figures;  // long tables: the meaning of each figure's values
  std::uint64_t rows = 0;             // the rows write_rows() gives
  // Gives every row to the sink, in order, reading the large parts of the
  // file (series, events, snapshots) a piece at a time.
  std::function<void(ExportRowSink&)> write_rows;
};

struct ExportOptions {
  // Counts of agents as the series hold them, and the summaries and effects
  // counted in people divided by the scale, instead of real people (for
  // debugging the model). Money and rates are the same either way.
  bool agent_units = false;
};

// What one declared table is: its file (VARIABLE standing for each series
// variable), which files have it, what a row is and its columns (LABELS
// standing for the point's labels: a sweep's varied keys or a comparison's
// arm).
struct ExportTableSpec {
  std::string_view name;
  std::string_view present;
  std::string_view row;
  std::string_view columns;
};

// Every table an export can hold, in the order it writes them; the last is
// the data dictionary.
std::span<const ExportTableSpec> export_table_specs();

// Real people one agent stands for at each point: a sweep's varied
// population.scale (or its factor, population.scale*, on the first point's
// scale), else the root attribute population_scale, as
// tipsim_analysis.open_run() scales the series.
std::vector<double> point_scales(const RunFileContents& contents);

// The tables of a file, from what read_run_file() gave (with or without
// the series) and a reader of the same file for the large parts. The
// tables read through `reader` when written, so it must outlive them.
std::vector<ExportTable> export_tables(const RunFileContents& contents, RunFileReader& reader,
                                       const ExportOptions& options);

// CSV as RFC 4180 quotes it: a field with a comma, a double quote or a line
// break is quoted, its quotes doubled; numbers as the shortest text that
// reads back to the same value (std::to_chars); NaN and missing as an empty
// field; each line ends with \n.
void append_csv_header(std::string& out, std::span<const ExportColumn> columns);
void append_csv_row(std::string& out, std::span<const ExportCell> cells);

}  // namespace tipsim::output
