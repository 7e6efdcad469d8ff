// `tipsim export`: the real program writes the tables of real run files,
// and every value read back from its CSV files is the run file's value (as
// read_run_file() gives it) times the right scale, in rows as many as the
// dimensions' product, labelled with the file's labels; bad input leaves
// nothing.
#include "export.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "events.hpp"
#include "faulty_disk.hpp"
#include "process_helpers.hpp"
#include "run_file.hpp"
#include "test_paths.hpp"

namespace tipsim {
namespace {

namespace fs = std::filesystem;
using testing::contains;
using testing::Outcome;

const std::string kTinyToml = std::string(test_paths::source_dir) + "/scenarios/tiny.toml";

// An arm of the tiny world with five times the investigators.
const std::string kSurge = "extends = \"" + kTinyToml +
                           "\"\n[scenario]\nname = \"police surge\"\n[policy.prosecution]\n"
                           "investigators_per_100k = 25\n";

// ---- reading the CSV back -------------------------------------------------------------------

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column '" << name << "'";
    return 0;
  }
};

// RFC 4180, written independently of the exporter: quoted fields may hold
// commas, doubled quotes and line breaks.
Csv read_csv(const fs::path& path) {
  const std::string text = testing::read_text(path);
  std::vector<std::vector<std::string>> lines(1);
  std::string field;
  bool quoted = false, ended = false;
  // Span by span, not character by character: the test code is not
  // optimised, and the suite reads every table of four files.
  constexpr auto npos = std::string::npos;
  for (std::size_t i = 0; i < text.size();) {
    if (quoted) {
      const std::size_t quote = text.find('"', i);
      field.append(text, i, quote == npos ? npos : quote - i);
      if (quote == npos) break;
      const bool doubled = quote + 1 < text.size() && text[quote + 1] == '"';
      if (doubled) field += '"';
      quoted = doubled;
      i = quote + (doubled ? 2 : 1);
      continue;
    }
    const std::size_t special = text.find_first_of(",\"\n", i);
    field.append(text, i, special == npos ? npos : special - i);
    if (special == npos) break;
    i = special + 1;
    if (text[special] == '"') {
      quoted = true;
      continue;
    }
    lines.back().push_back(std::move(field));
    field.clear();
    if (text[special] == '\n') {
      lines.emplace_back().reserve(lines.front().size());
      ended = i == text.size();
    }
  }
  EXPECT_TRUE(ended) << path << ": the last line does not end with \\n";
  EXPECT_FALSE(quoted) << path << ": a quote is not closed";
  lines.pop_back();
  Csv csv;
  if (lines.empty()) {
    ADD_FAILURE() << path << ": no header";
    return csv;
  }
  csv.header = std::move(lines.front());
  csv.rows.assign(std::make_move_iterator(lines.begin() + 1), std::make_move_iterator(lines.end()));
  for (const auto& row : csv.rows) EXPECT_EQ(row.size(), csv.header.size()) << path;
  return csv;
}

// A number field: empty is NaN; anything but a whole number is a failure.
double number(const std::string& text) {
  if (text.empty()) return std::nan("");
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  EXPECT_EQ(end, text.c_str() + text.size()) << "not a number: '" << text << "'";
  return value;
}

// Equal, NaN included (a missing value must be an empty field).
::testing::AssertionResult same(double written, double expected) {
  if ((std::isnan(written) && std::isnan(expected)) || written == expected)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "written " << written << ", expected " << expected;
}

// ---- the files ------------------------------------------------------------------------------

// Run files written once for the whole suite: a run (with the event log
// and snapshots), a sweep that varies the scale, a comparison and an
// allocation, each at a scale other than 1 so that a missing or misplaced
// factor shows.
class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    files_ = new testing::ScratchFolder("tipsim_export_files");
    files_->write("surge.toml", kSurge);
  }
  static void TearDownTestSuite() {
    delete files_;
    files_ = nullptr;
  }

  // A run file of the suite, written the first time a test asks for it:
  // ctest runs each test in a process of its own, so a file made up front
  // for all would be made again for every test.
  static std::string file(const std::string& name) {
    static const std::map<std::string, std::vector<std::string>> kCommands = {
        {"run.h5",
         {"run", kTinyToml, "--replicates", "2", "--set", "population.scale=2.5", "--steps", "52", "--events",
          "--snapshot-every", "26"}},
        {"sweep.h5",
         {"sweep", kTinyToml, "--vary", "population.scale=1.5,4", "--vary", "policy.partnership.level=0,1",
          "--replicates", "2", "--steps", "30"}},
        {"comparison.h5",
         {"compare", kTinyToml, "surge.toml", "--replicates", "3", "--steps", "40", "--set",
          "population.scale=3"}},
        {"allocation.h5",
         {"allocate", kTinyToml, "--budget", "2e6", "--levels", "2", "--resolution", "1", "--replicates", "2",
          "--steps", "20"}},
    };
    const fs::path path = files_->path() / name;
    if (!fs::exists(path) && kCommands.contains(name)) {
      std::vector<std::string> args = kCommands.at(name);
      args.insert(args.end(), {"-o", name, "--quiet"});
      const Outcome made = testing::run_tipsim(files_->path(), args);
      EXPECT_EQ(made.exit_code, 0) << args.front() << ": " << made.err;
    }
    return path.string();
  }

  Outcome tipsim(const std::vector<std::string>& args) const {
    return testing::run_tipsim(folder_.path(), args);
  }

  // Exports a run file into a new folder; its path.
  fs::path exported(const std::string& name, const std::vector<std::string>& extra = {}) const {
    const fs::path out = folder_ / (name + "-csv");
    std::vector<std::string> args = {"export", file(name), "-o", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome outcome = tipsim(args);
    EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
    return out;
  }

  static testing::ScratchFolder* files_;
  testing::ScratchFolder folder_{"tipsim_export"};
};

testing::ScratchFolder* ExportTest::files_ = nullptr;

// Real people per agent at each point, from the file: a sweep's varied
// population.scale, else the root attribute.
std::vector<double> scales_of(const output::RunFileContents& f) {
  std::vector<double> scales(f.dimension("point"), f.number("population_scale"));
  for (const output::Variable& key : f.sweep_keys)
    if (key.name == "population.scale") scales = key.values;
  return scales;
}

// The labels a point's rows carry: each varied key's value, or the arm.
std::vector<std::string> point_label_columns(const output::RunFileContents& f) {
  std::vector<std::string> names;
  for (const output::Variable& key : f.sweep_keys) names.push_back(key.name);
  if (!f.arm_names.empty()) names.push_back("arm");
  return names;
}

// Checks a row's point labels against the file's.
void expect_point_labels(const output::RunFileContents& f, const Csv& csv,
                         const std::vector<std::string>& row, std::size_t point) {
  for (const output::Variable& key : f.sweep_keys) {
    const std::string& cell = row[csv.column(key.name)];
    if (key.texts.empty()) {
      EXPECT_TRUE(same(number(cell), key.values.at(point))) << key.name << " at point " << point;
    } else {
      EXPECT_EQ(cell, key.texts.at(point));
    }
  }
  if (!f.arm_names.empty()) {
    EXPECT_EQ(row[csv.column("arm")], f.arm_names.at(point));
  }
}

// Every series table: its header, one row per index in row-major order,
// each coordinate its label, each value the file's times `factor(point)`.
template <typename Factor>
void expect_series(const fs::path& out, const output::RunFileContents& f, Factor factor,
                   const std::string& basis_of_counts) {
  const Csv dictionary = read_csv(out / "dictionary.csv");
  ASSERT_FALSE(f.series.empty());
  for (const output::Variable& v : f.series) {
    SCOPED_TRACE(v.name);
    const Csv csv = read_csv(out / "series" / (v.name + ".csv"));
    std::vector<std::string> header = {"point"};
    for (const std::string& label : point_label_columns(f)) header.push_back(label);
    header.insert(header.end(), {"replicate", "step", "time_days", "time_years", "region"});
    if (v.dims.size() == 5) header.push_back(v.dims[4]);
    header.push_back("value");
    ASSERT_EQ(csv.header, header);
    std::size_t expected_rows = 1;
    for (std::size_t d : v.shape) expected_rows *= d;
    ASSERT_EQ(csv.rows.size(), expected_rows);
    const bool counts = v.attribute("basis") == "agents";
    std::vector<std::size_t> index(v.shape.size(), 0);
    for (std::size_t r = 0; r < csv.rows.size(); ++r) {
      std::size_t rest = r;
      for (std::size_t d = v.shape.size(); d-- > 0;) {
        index[d] = rest % v.shape[d];
        rest /= v.shape[d];
      }
      const auto& row = csv.rows[r];
      const std::size_t p = index[0], step = index[2];
      ASSERT_EQ(row[0], std::to_string(p));
      expect_point_labels(f, csv, row, p);
      ASSERT_EQ(row[csv.column("replicate")], std::to_string(index[1]));
      ASSERT_EQ(row[csv.column("step")], std::to_string(step));
      ASSERT_TRUE(same(number(row[csv.column("time_days")]), f.time_days.at(step)));
      ASSERT_TRUE(same(number(row[csv.column("time_years")]), f.time_days.at(step) / 365.0));
      ASSERT_EQ(row[csv.column("region")], f.labels.at("region").at(index[3]));
      if (v.dims.size() == 5) {
        ASSERT_EQ(row[csv.column(v.dims[4])], f.labels.at(v.dims[4]).at(index[4]));
      }
      double expected = 0;
      switch (v.shape.size()) {
        case 4:
          expected = v.at({index[0], index[1], index[2], index[3]});
          break;
        case 5:
          expected = v.at({index[0], index[1], index[2], index[3], index[4]});
          break;
        default:
          FAIL() << "unexpected dimensions";
      }
      if (counts) expected = expected * factor(p);
      ASSERT_TRUE(same(number(row.back()), expected)) << "row " << r + 1;
    }
    // The dictionary says what the value column counts.
    bool described = false;
    for (const auto& row : dictionary.rows) {
      if (row[0] != "series/" + v.name + ".csv" || row[1] != "value") continue;
      described = true;
      EXPECT_EQ(row[3], v.attribute("long_name"));
      EXPECT_EQ(row[4], v.unit_label());
      EXPECT_EQ(row[5], counts ? basis_of_counts : v.attribute("basis"));
    }
    EXPECT_TRUE(described);
  }
}

// The summary table: one row per (point, replicate, figure), each value the
// file's (people divided by the scale with --agent-units).
template <typename Factor>
void expect_summary(const fs::path& out, const output::RunFileContents& f, Factor divisor) {
  const Csv csv = read_csv(out / "summary.csv");
  const std::size_t points = f.dimension("point"), replicates = f.dimension("replicate");
  ASSERT_EQ(csv.rows.size(), points * replicates * f.summary.size());
  std::size_t r = 0;
  for (std::size_t p = 0; p < points; ++p)
    for (std::size_t k = 0; k < replicates; ++k)
      for (const output::Variable& v : f.summary) {
        const auto& row = csv.rows[r++];
        ASSERT_EQ(row[0], std::to_string(p));
        expect_point_labels(f, csv, row, p);
        ASSERT_EQ(row[csv.column("replicate")], std::to_string(k));
        ASSERT_EQ(row[csv.column("figure")], v.name);
        ASSERT_EQ(row[csv.column("unit")], v.unit_label());
        const bool people = v.attribute("basis") == "people";
        const double expected = people ? v.at({p, k}) / divisor(p) : v.at({p, k});
        ASSERT_TRUE(same(number(row[csv.column("value")]), expected)) << v.name;
      }
}

TEST_F(ExportTest, ARunsSeriesAreItsAgentCountsTimesTheScale) {
  const fs::path out = exported("run.h5");
  const output::RunFileContents f = output::read_run_file(file("run.h5"));
  ASSERT_EQ(f.number("population_scale"), 2.5);
  ASSERT_EQ(f.dimension("replicate"), 2u);
  expect_series(
      out, f, [](std::size_t) { return 2.5; }, "people");
  expect_summary(out, f, [](std::size_t) { return 1.0; });
  const Csv points = read_csv(out / "points.csv");
  EXPECT_EQ(points.header, (std::vector<std::string>{"point", "population_scale"}));
  EXPECT_EQ(points.rows, (std::vector<std::vector<std::string>>{{"0", "2.5"}}));
}

TEST_F(ExportTest, AgentUnitsKeepTheCountsAndDivideThePeople) {
  const fs::path out = exported("run.h5", {"--agent-units"});
  const output::RunFileContents f = output::read_run_file(file("run.h5"));
  expect_series(
      out, f, [](std::size_t) { return 1.0; }, "agents");
  expect_summary(out, f, [](std::size_t) { return 2.5; });
}

TEST_F(ExportTest, ASweepScalesEachPointByItsOwnScaleAndLabelsItsPoints) {
  const fs::path out = exported("sweep.h5");
  const output::RunFileContents f = output::read_run_file(file("sweep.h5"));
  const std::vector<double> scales = scales_of(f);
  ASSERT_EQ(scales, (std::vector<double>{1.5, 1.5, 4, 4}));
  expect_series(
      out, f, [&](std::size_t p) { return scales[p]; }, "people");
  expect_summary(out, f, [](std::size_t) { return 1.0; });
  const Csv points = read_csv(out / "points.csv");
  EXPECT_EQ(points.header, (std::vector<std::string>{"point", "population.scale", "policy.partnership.level",
                                                     "population_scale"}));
  ASSERT_EQ(points.rows.size(), 4u);
  for (std::size_t p = 0; p < 4; ++p) {
    expect_point_labels(f, points, points.rows[p], p);
    EXPECT_TRUE(same(number(points.rows[p][3]), scales[p]));
  }
}

TEST_F(ExportTest, AComparisonsEffectsAreTheFilesAndItsArmsAreNamed) {
  const fs::path out = exported("comparison.h5");
  const output::RunFileContents f = output::read_run_file(file("comparison.h5"));
  ASSERT_EQ(f.arm_names, (std::vector<std::string>{"tiny", "police surge"}));
  expect_series(
      out, f, [](std::size_t) { return 3.0; }, "people");
  expect_summary(out, f, [](std::size_t) { return 1.0; });

  // comparison.csv: every effect, the ICER and the net benefit of the arm.
  const Csv effects = read_csv(out / "comparison.csv");
  EXPECT_EQ(effects.header, (std::vector<std::string>{"point", "arm", "statistic", "mean", "ci_low",
                                                      "ci_high", "unit", "basis"}));
  std::vector<std::string> statistics;
  for (const EffectSpec& e : effect_table()) statistics.emplace_back(e.name);
  statistics.insert(statistics.end(), {"icer", "net_monetary_benefit"});
  ASSERT_EQ(effects.rows.size(), statistics.size());
  for (std::size_t i = 0; i < statistics.size(); ++i) {
    const auto& row = effects.rows[i];
    SCOPED_TRACE(statistics[i]);
    EXPECT_EQ(row[0], "1");
    EXPECT_EQ(row[1], "police surge");
    EXPECT_EQ(row[2], statistics[i]);
    for (const char* part : {"mean", "ci_low", "ci_high"}) {
      const output::Variable* v = f.find_comparison(statistics[i] + "_" + part);
      ASSERT_NE(v, nullptr);
      EXPECT_TRUE(same(number(row[effects.column(part)]), v->values.at(0))) << part;
      EXPECT_EQ(row[effects.column("unit")], v->unit_label());
      EXPECT_EQ(row[effects.column("basis")], v->attribute("basis"));
    }
  }

  // comparison_pairs.csv: each effect of each replicate pair.
  const Csv pairs = read_csv(out / "comparison_pairs.csv");
  ASSERT_EQ(pairs.rows.size(), 3 * effect_table().size());
  std::size_t r = 0;
  for (std::size_t k = 0; k < 3; ++k)
    for (const EffectSpec& e : effect_table()) {
      const auto& row = pairs.rows[r++];
      EXPECT_EQ(row[pairs.column("arm")], "police surge");
      EXPECT_EQ(row[pairs.column("replicate")], std::to_string(k));
      EXPECT_EQ(row[pairs.column("effect")], e.name);
      EXPECT_TRUE(same(number(row[pairs.column("value")]), f.find_comparison(e.name)->at({0, k}))) << e.name;
    }

  // cost_effectiveness.csv: the baseline, then the arm.
  const Csv ce = read_csv(out / "cost_effectiveness.csv");
  ASSERT_EQ(ce.rows.size(), 2u);
  EXPECT_EQ(ce.rows[0][ce.column("arm")], "tiny");
  EXPECT_EQ(ce.rows[0][ce.column("frontier_status")], f.baseline_frontier_status);
  EXPECT_EQ(ce.rows[1][ce.column("frontier_status")], f.find_comparison("frontier_status")->texts.at(0));
  const double best = f.find_comparison("probability_most_cost_effective")->values.at(0);
  EXPECT_TRUE(same(number(ce.rows[1][ce.column("probability_most_cost_effective")]), best));
  EXPECT_TRUE(same(number(ce.rows[0][ce.column("probability_most_cost_effective")]), 1 - best));

  const Csv acceptability = read_csv(out / "acceptability.csv");
  const output::Variable* values = f.find_comparison("acceptability_value");
  ASSERT_EQ(acceptability.rows.size(), values->values.size() * 2);
  for (std::size_t k = 0; k < values->values.size(); ++k) {
    EXPECT_TRUE(same(number(acceptability.rows[2 * k][0]), values->values[k]));
    EXPECT_TRUE(same(number(acceptability.rows[2 * k].back()),
                     f.find_comparison("acceptability_baseline")->values.at(k)));
    EXPECT_TRUE(
        same(number(acceptability.rows[2 * k + 1].back()), f.find_comparison("acceptability")->at({k, 0})));
  }
}

TEST_F(ExportTest, AgentUnitsDivideAComparisonsPeopleByTheScaleAndLeaveMoney) {
  const fs::path out = exported("comparison.h5", {"--agent-units"});
  const output::RunFileContents f = output::read_run_file(file("comparison.h5"));
  const Csv effects = read_csv(out / "comparison.csv");
  for (const auto& row : effects.rows) {
    const output::Variable* mean = f.find_comparison(row[2] + "_mean");
    ASSERT_NE(mean, nullptr);
    const bool people = mean->attribute("basis") == "people";
    EXPECT_EQ(row[effects.column("basis")], people ? "agents" : mean->attribute("basis"));
    EXPECT_TRUE(same(number(row[effects.column("mean")]), people ? mean->values[0] / 3 : mean->values[0]));
  }
}

TEST_F(ExportTest, AnAllocationsSplitsAndFrontierAreTheFiles) {
  const fs::path out = exported("allocation.h5");
  const output::RunFileContents f = output::read_run_file(file("allocation.h5"));
  ASSERT_EQ(f.allocation_targets.size(), 4u);
  const Csv splits = read_csv(out / "allocation_splits.csv");
  const std::size_t points = f.dimension("point");
  ASSERT_EQ(splits.rows.size(), points * 4);
  for (std::size_t p = 0; p < points; ++p)
    for (std::size_t t = 0; t < 4; ++t) {
      const auto& row = splits.rows[p * 4 + t];
      EXPECT_EQ(row[splits.column("arm")], f.arm_names.at(p));
      EXPECT_EQ(row[splits.column("target")], f.allocation_targets[t]);
      EXPECT_TRUE(same(number(row[splits.column("budget")]), f.find_allocation("budget")->values.at(p)));
      EXPECT_TRUE(same(number(row[splits.column("weight")]), f.find_allocation("weight")->at({p, t})));
    }
  const Csv frontier = read_csv(out / "allocation_frontier.csv");
  ASSERT_EQ(frontier.rows.size(), 2u);
  for (std::size_t l = 0; l < 2; ++l) {
    for (const output::Variable& v : f.allocation) {
      if (v.dims != std::vector<std::string>{"level"}) continue;
      EXPECT_TRUE(same(number(frontier.rows[l][frontier.column(v.name)]), v.values.at(l))) << v.name;
    }
    const auto best = static_cast<std::size_t>(f.find_allocation("frontier_best_point")->values.at(l));
    EXPECT_EQ(frontier.rows[l][frontier.column("frontier_best_arm")], f.arm_names.at(best));
  }
}

TEST_F(ExportTest, EventsAndSnapshotsAreTheFilesWithTheirLabels) {
  const fs::path out = exported("run.h5");
  const output::RunFileContents f = output::read_run_file(file("run.h5"), false);
  const output::EventTable events = output::read_event_table(file("run.h5"));
  ASSERT_GT(events.size(), 0u);
  const Csv log = read_csv(out / "events.csv");
  ASSERT_EQ(log.rows.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& row = log.rows[i];
    ASSERT_EQ(row[log.column("event")], std::to_string(i));
    const auto kind = static_cast<std::size_t>(events.column("kind")[i]);
    ASSERT_EQ(row[log.column("kind")], event_kind_table()[kind].name);
    ASSERT_EQ(row[log.column("region")],
              f.labels.at("region").at(static_cast<std::size_t>(events.column("region")[i])));
    for (const char* name : {"point", "replicate", "step", "person", "trafficker", "intervention"})
      ASSERT_EQ(row[log.column(name)], std::to_string(events.column(name)[i])) << name;
    const auto step = static_cast<std::size_t>(events.column("step")[i]);
    ASSERT_TRUE(same(number(row[log.column("time_days")]), f.time_days.at(step)));
  }

  // Snapshots: read here with HDF5 itself, not through the exporter's reader.
  const hid_t h5 = H5Fopen(file("run.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(h5, 0);
  auto read = [&](const char* name, hid_t type, void* buffer) {
    const hid_t ds = H5Dopen2(h5, name, H5P_DEFAULT);
    ASSERT_GE(ds, 0) << name;
    EXPECT_GE(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer), 0) << name;
    H5Dclose(ds);
  };
  const std::size_t snapshots = 2, persons = 20000, runs = 2;
  std::vector<std::uint8_t> state(runs * snapshots * persons), flags(state.size());
  std::vector<float> vulnerability(state.size());
  read("snapshots/state", H5T_NATIVE_UINT8, state.data());
  read("snapshots/flags", H5T_NATIVE_UINT8, flags.data());
  read("snapshots/vulnerability", H5T_NATIVE_FLOAT, vulnerability.data());
  H5Fclose(h5);
  const Csv table = read_csv(out / "snapshots.csv");
  ASSERT_EQ(table.rows.size(), state.size());
  const std::vector<std::string> states = f.labels.at("state");
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    ASSERT_EQ(row[table.column("person")], std::to_string(i % persons));
    ASSERT_EQ(row[table.column("state")], states.at(state[i]));
    ASSERT_EQ(row[table.column("female")], (flags[i] & 1) != 0 ? "1" : "0");
    ASSERT_EQ(row[table.column("child")], (flags[i] & 2) != 0 ? "1" : "0");
    ASSERT_EQ(std::strtof(row[table.column("vulnerability")].c_str(), nullptr), vulnerability[i]);
  }
  // --steps 52 --snapshot-every 26: the last snapshot is taken after step 51.
  EXPECT_EQ(table.rows.back()[table.column("step")], "51");
}

// What export_table_specs() declares is what the export writes: the
// tables' names and every table's header (LABELS and CATEGORY expanded).
TEST_F(ExportTest, TheDeclaredTablesAreTheTablesWritten) {
  for (const std::string& name : {std::string("run.h5"), std::string("comparison.h5"),
                                  std::string("allocation.h5"), std::string("sweep.h5")}) {
    SCOPED_TRACE(name);
    const fs::path out = exported(name);
    const output::RunFileContents f = output::read_run_file(file(name), false);
    const Csv dictionary = read_csv(out / "dictionary.csv");
    std::map<std::string, std::vector<std::string>> described;
    for (const auto& row : dictionary.rows)
      if (row[2].empty()) described[row[0]].push_back(row[1]);
    std::size_t tables = 0;
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      if (!entry.is_regular_file()) continue;
      ++tables;
      const std::string table = fs::relative(entry.path(), out).string();
      const Csv csv = read_csv(entry.path());
      EXPECT_EQ(described[table], csv.header) << table << ": the dictionary describes other columns";
      const output::ExportTableSpec* spec = nullptr;
      for (const output::ExportTableSpec& s : output::export_table_specs())
        if (s.name == table ||
            (std::string_view(s.name).starts_with("series/") && table.starts_with("series/")))
          spec = &s;
      ASSERT_NE(spec, nullptr) << table << " is not declared";
      std::vector<std::string> expected;
      std::string columns(spec->columns);
      for (std::size_t begin = 0; begin <= columns.size();) {
        std::size_t end = columns.find(", ", begin);
        if (end == std::string::npos) end = columns.size();
        const std::string column = columns.substr(begin, end - begin);
        begin = end + 2;
        if (column == "LABELS") {
          for (const std::string& label : point_label_columns(f)) expected.push_back(label);
        } else if (column == "[CATEGORY]") {
          if (csv.header.size() == expected.size() + 2) expected.push_back(csv.header[expected.size()]);
        } else {
          expected.push_back(column);
        }
      }
      EXPECT_EQ(csv.header, expected) << table;
    }
    EXPECT_EQ(described.size(), tables);
  }
}

// ---- how the command behaves --------------------------------------------------------------------

TEST_F(ExportTest, ItSaysWhatItWroteAndInWhichUnits) {
  const fs::path out = folder_ / "tables";
  const Outcome outcome = tipsim({"export", file("run.h5"), "-o", out.string(), "--progress"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  // One table per series, and points, summary, events, snapshots, parameters,
  // regional_parameters, routes, interventions and dictionary.
  const std::string tables = std::to_string(kMetricCount + 9);
  for (const std::string& expected :
       {std::string("as CSV into"), std::string("Counts in real people"), std::string("population_scale 2.5"),
        std::string("series/convictions.csv"), std::string("dictionary.csv"), tables + " tables"})
    EXPECT_TRUE(contains(outcome.out, expected)) << expected << "\n" << outcome.out;
  EXPECT_TRUE(contains(outcome.err, "tipsim: table 1 of " + tables + " written: points.csv (1 row)"))
      << outcome.err;
  const Outcome agents =
      tipsim({"export", file("run.h5"), "-o", (folder_ / "agents").string(), "--agent-units"});
  EXPECT_TRUE(contains(agents.out, "Counts in agents (--agent-units)")) << agents.out;
  const Outcome help = tipsim({"export", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* expected : {"CSV", "--format", "--force", "--agent-units", "DIR"})
    EXPECT_TRUE(contains(help.out, expected)) << expected << "\n" << help.out;
}

// Nothing at DIR, nor a temporary folder beside it.
void expect_nothing_written(const testing::ScratchFolder& folder) {
  for (const std::string& name : folder.entries())
    EXPECT_TRUE(name.starts_with("stdout-") || name.starts_with("stderr-") || name.ends_with(".h5") ||
                name == "notes.txt")
        << name << " was left behind";
}

TEST_F(ExportTest, ParquetAndUnknownFormatsAreRefusedWithNothingWritten) {
  const Outcome parquet = tipsim({"export", file("run.h5"), "--format", "parquet", "-o", "out"});
  EXPECT_EQ(parquet.exit_code, 2);
  for (const char* expected : {"parquet", "Debian 12", "libparquet-dev", "--format csv"})
    EXPECT_TRUE(contains(parquet.err, expected)) << expected << "\n" << parquet.err;
  const Outcome typo = tipsim({"export", file("run.h5"), "--format", "cvs", "-o", "out"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(
      contains(typo.err, "--format cvs: not a format tipsim exports; allowed: csv; did you mean 'csv'"))
      << typo.err;
  const Outcome other = tipsim({"export", file("run.h5"), "--format", "xlsx", "-o", "out"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_TRUE(contains(other.err, "allowed: csv")) << other.err;
  expect_nothing_written(folder_);
}

TEST_F(ExportTest, FilesThatAreNotRunFilesAreRefusedWithNothingWritten) {
  folder_.write("notes.txt", "not a run file\n");
  fs::copy_file(file("run.h5"), folder_ / "newer.h5");
  {
    const hid_t h5 = H5Fopen((folder_ / "newer.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(h5, 0);
    const hid_t attribute = H5Aopen(h5, "format_version", H5P_DEFAULT);
    const std::int64_t version = output::kFormatVersion + 1;
    H5Awrite(attribute, H5T_NATIVE_INT64, &version);
    H5Aclose(attribute);
    H5Fclose(h5);
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing.h5", "tipsim: error: missing.h5: cannot open: No such file or directory"},
      {"notes.txt", "tipsim: error: notes.txt: not a tipsim run file (not an HDF5 file)"},
      {"newer.h5", "tipsim: error: newer.h5: tipsim run file format version " +
                       std::to_string(output::kFormatVersion + 1) + " cannot be read"},
      {".", "tipsim: error: .: cannot open: is a folder, not a run file"},
  };
  for (const auto& [name, message] : cases) {
    SCOPED_TRACE(name);
    const Outcome outcome = tipsim({"export", name, "-o", "out"});
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_TRUE(contains(outcome.err, message)) << outcome.err;
    EXPECT_TRUE(outcome.out.empty()) << outcome.out;
  }
  expect_nothing_written(folder_);
}

TEST_F(ExportTest, AFolderWithFilesIsRefusedUnlessForced) {
  const fs::path out = folder_ / "out";
  folder_.write("out/mine.txt", "keep me\n");
  const Outcome refused = tipsim({"export", file("run.h5"), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, "the folder exists and is not empty")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--force")) << refused.err;
  EXPECT_EQ(testing::names_in(out), std::vector<std::string>{"mine.txt"});
  EXPECT_EQ(testing::read_text(out / "mine.txt"), "keep me\n");

  folder_.write("file-not-folder", "x");
  const Outcome not_folder = tipsim({"export", file("run.h5"), "-o", (folder_ / "file-not-folder").string()});
  EXPECT_EQ(not_folder.exit_code, 2);
  EXPECT_TRUE(contains(not_folder.err, "exists and is not a folder")) << not_folder.err;

  // An empty folder is taken as it is; --force replaces one with files.
  fs::create_directory(folder_ / "empty");
  EXPECT_EQ(tipsim({"export", file("run.h5"), "-o", (folder_ / "empty").string()}).exit_code, 0);
  EXPECT_TRUE(fs::exists(folder_ / "empty" / "dictionary.csv"));
  const Outcome forced = tipsim({"export", file("run.h5"), "-o", out.string(), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_FALSE(fs::exists(out / "mine.txt"));
  EXPECT_TRUE(fs::exists(out / "summary.csv"));

  // --force never deletes the run file being exported.
  fs::copy_file(file("run.h5"), out / "run.h5");
  const Outcome own = tipsim({"export", (out / "run.h5").string(), "-o", out.string(), "--force"});
  EXPECT_EQ(own.exit_code, 2);
  EXPECT_TRUE(contains(own.err, "would delete the run file being exported")) << own.err;
  EXPECT_TRUE(fs::exists(out / "run.h5"));
  for (const std::string& name : folder_.entries()) EXPECT_FALSE(contains(name, ".partial-")) << name;
}

// A disk that fills up half-way, or is read-only, fails the export (exit
// code 1) with the file and the reason, and leaves neither DIR nor its
// temporary folder (tests/output/faulty_disk.cpp fails the writes).
TEST_F(ExportTest, AFullOrReadOnlyDiskFailsAndLeavesNothing) {
  const fs::path disk = folder_ / "disk";
  fs::create_directory(disk);
  const std::vector<std::pair<std::string, std::string>> faults = {
      {"ENOSPC", "cannot write: No space left on device"},
      {"EROFS", "cannot create the folder: Read-only file system"}};
  for (const auto& [error, message] : faults) {
    SCOPED_TRACE(error);
    const fs::path log = folder_ / ("refused-" + error + ".log");
    const Outcome outcome = testing::run_on_faulty_disk(
        folder_, disk, {error, 200000}, log, {"export", file("run.h5"), "-o", (disk / "out").string()});
    EXPECT_EQ(outcome.exit_code, 1) << outcome.err;
    EXPECT_TRUE(contains(outcome.err, message)) << outcome.err;
    EXPECT_TRUE(contains(outcome.err, "nothing was written to " + (disk / "out").string())) << outcome.err;
    EXPECT_TRUE(testing::names_in(disk).empty());
    // The failure came from the disk, not from anything else.
    EXPECT_FALSE(testing::read_text(log).empty());
  }
}

TEST(ExportCsv, FieldsAreQuotedAsRfc4180AndNumbersReadBackExactly) {
  std::string out;
  const std::vector<output::ExportCell> cells = {std::string_view("plain"),
                                                 std::string_view("a, b"),
                                                 std::string_view("say \"no\""),
                                                 std::string_view("two\nlines"),
                                                 std::monostate(),
                                                 std::nan(""),
                                                 0.1,
                                                 1e-7,
                                                 500000.0,
                                                 2.5e20,
                                                 -0.0,
                                                 0.2f,
                                                 std::int64_t{-1}};
  output::append_csv_row(out, cells);
  EXPECT_EQ(out, "plain,\"a, b\",\"say \"\"no\"\"\",\"two\nlines\",,,0.1,1e-07,500000,2.5e+20,-0,0.2,-1\n");
  // Every double comes back as itself.
  testing::Splitmix random(11);
  for (int i = 0; i < 2000; ++i) {
    const double value = std::ldexp(random.uniform() - 0.5, static_cast<int>(random.below(200)) - 100);
    std::string text;
    output::append_csv_row(text, std::vector<output::ExportCell>{value});
    text.pop_back();
    ASSERT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

}  // namespace

// A Ctrl-C or SIGTERM while the tables are written leaves neither the
// folder nor its temporary (exit code 130 or 143). The export waits for
// the temporary folder (made once the stop handlers are in place) and is
// stopped while it writes a run's 1.4 million snapshot rows.
TEST(Interruption, AnInterruptedExportLeavesNoFolder) {
  testing::ScratchFolder folder("tipsim_export_interrupted");
  ASSERT_EQ(testing::run_tipsim(folder.path(), {"run", kTinyToml, "--replicates", "2", "--snapshot-every",
                                                "3", "-o", "big.h5", "--quiet"})
                .exit_code,
            0);
  for (const int signal_number : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal_number);
    testing::Tipsim program(folder.path(), {"export", "big.h5", "-o", "out"});
    ASSERT_TRUE(testing::wait_for_file(program, folder.path(), "out.partial-"));
    program.signal(signal_number);
    const Outcome outcome = program.finish();
    EXPECT_EQ(outcome.exit_code, 128 + signal_number) << outcome.err;
    EXPECT_TRUE(contains(outcome.err, "interrupted; nothing was written to out")) << outcome.err;
    for (const std::string& name : folder.entries())
      EXPECT_TRUE(name == "big.h5") << name << " was left behind";
  }
}

}  // namespace tipsim
