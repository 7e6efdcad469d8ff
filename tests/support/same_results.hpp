// Whether two run files hold the same results: every series, summary and
// comparison variable with the same dimensions and bit-identical values.
// Provenance (dates, command lines, threads, ranks) may differ.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>

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

// The named datasets of two HDF5 files hold the same bytes (read in their
// own type), e.g. "snapshots/state": for what RunFileContents leaves out.
inline void expect_same_datasets(const std::string& expected_path, const std::string& actual_path,
                                 const std::vector<std::string>& names) {
  auto read = [](const std::string& path, const std::string& name) {
    std::vector<unsigned char> bytes;
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return bytes;
    const hid_t ds = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    if (ds >= 0) {
      const hid_t file_type = H5Dget_type(ds);
      const hid_t memory_type = H5Tget_native_type(file_type, H5T_DIR_ASCEND);
      const hid_t space = H5Dget_space(ds);
      bytes.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)) * H5Tget_size(memory_type));
      if (!bytes.empty() && H5Dread(ds, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
        bytes.clear();
      H5Sclose(space);
      H5Tclose(memory_type);
      H5Tclose(file_type);
      H5Dclose(ds);
    }
    H5Fclose(file);
    return bytes;
  };
  for (const std::string& name : names) {
    const std::vector<unsigned char> expected = read(expected_path, name);
    EXPECT_FALSE(expected.empty()) << expected_path << ": no " << name;
    EXPECT_TRUE(expected == read(actual_path, name)) << name << " differs";
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
