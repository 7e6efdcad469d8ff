// Whether two run files hold the same results: every series, summary and
// comparison variable with the same dimensions and bit-identical values.
// Provenance (dates, command lines, threads, ranks) may differ.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "run_file.hpp"

namespace tipsim::testing {

inline void expect_same_variables(const std::vector<output::Variable>& a,
                                  const std::vector<output::Variable>& b, const std::string& group) {
  ASSERT_EQ(a.size(), b.size()) << group;
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(group + "/" + a[i].name);
    ASSERT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].dims, b[i].dims);
    ASSERT_EQ(a[i].shape, b[i].shape);
    EXPECT_EQ(a[i].texts, b[i].texts);
    ASSERT_EQ(a[i].values.size(), b[i].values.size());
    // Bit for bit (NaN included): the number of ranks, threads or
    // interruptions changes nothing.
    std::size_t differ = 0, first = 0;
    for (std::size_t k = 0; k < a[i].values.size(); ++k) {
      if (std::memcmp(&a[i].values[k], &b[i].values[k], sizeof(double)) != 0 && differ++ == 0) first = k;
    }
    EXPECT_EQ(differ, 0u) << differ << " values differ, the first at flat index " << first << ": "
                          << a[i].values[first] << " vs " << b[i].values[first];
  }
}

// Reads both files (whole: they must be complete run files) and compares.
inline void expect_same_results(const std::string& expected_path, const std::string& actual_path) {
  SCOPED_TRACE(expected_path + " vs " + actual_path);
  output::RunFileContents expected, actual;
  try {
    expected = output::read_run_file(expected_path);
    actual = output::read_run_file(actual_path);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(expected.point_resolved_toml, actual.point_resolved_toml);
  EXPECT_EQ(expected.dimensions, actual.dimensions);
  EXPECT_EQ(actual.runs_complete, actual.dimension("point") * actual.dimension("replicate"));
  expect_same_variables(expected.series, actual.series, "series");
  expect_same_variables(expected.summary, actual.summary, "summary");
  expect_same_variables(expected.comparison, actual.comparison, "comparison");
}

}  // namespace tipsim::testing
