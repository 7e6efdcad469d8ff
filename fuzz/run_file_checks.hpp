// What the run-file reader's fuzz target requires of every input, shared
// with the regression test (tests/output/fuzz_regression_test.cpp) that replays
// the seed corpus and every input a fuzzer ever found (fuzz/regressions/).
// The check returns an empty string when the input was handled as it must
// be, else what went wrong. A crash or a sanitizer report ends the program
// before it returns.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <string>

#include "run_file.hpp"

namespace tipsim::fuzz {

// A file as a run file: its contents, or an OutputError (a FormatError for
// a file that is not a run file this program reads); afterwards no HDF5
// object may be left open. Any other exception escapes to the caller.
inline std::string check_run_file(const std::string& path) {
  try {
    const output::RunFileContents contents = output::read_run_file(path);
    for (const auto* group :
         {&contents.series, &contents.summary, &contents.comparison, &contents.sweep_keys})
      for (const output::Variable& v : *group) {
        std::size_t n = 1;
        for (std::size_t d : v.shape) n *= d;
        if (v.dims.size() != v.shape.size()) return "variable " + v.name + ": dims and shape differ in rank";
        if (!v.values.empty() && v.values.size() != n)
          return "variable " + v.name + ": values do not fill its shape";
      }
  } catch (const output::OutputError& e) {
    if (std::string(e.what()).find(path) == std::string::npos)
      return "an error that does not name the file: " + std::string(e.what());
  }
  if (const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); open != 0)
    return "HDF5 objects left open after read_run_file: " + std::to_string(open);
  try {
    const output::EventTable events = output::read_event_table(path);
    for (const auto& [name, column] : events.columns)
      if (column.size() != events.size()) return "event column " + name + " differs in length";
  } catch (const output::OutputError& e) {
    if (std::string(e.what()).find(path) == std::string::npos)
      return "an error that does not name the file: " + std::string(e.what());
  }
  if (const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); open != 0)
    return "HDF5 objects left open after read_event_table: " + std::to_string(open);
  return "";
}

}  // namespace tipsim::fuzz
