// The run file writer and reader: layout, values, atomic commit and errors.
#include "run_file.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "cf_units.hpp"
#include "comparison.hpp"
#include "metrics.hpp"
#include "params.hpp"
#include "sweep.hpp"

namespace tipsim::output {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "tipsim-run-file-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path_, ignored);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path_), {}));
  }

 private:
  fs::path path_;
};

// Two regions, a route and an intervention with two lever changes.
Scenario tiny_scenario(std::int32_t steps = 6) {
  Scenario s = default_scenario();
  s.name = "tiny";
  s.description = "A tiny two-region world for the run file tests.";
  s.source_path = "tiny.toml";
  s.source_text = "[scenario]\nname = \"tiny\"\nsteps = 6\n# ünïcödé survives\n";
  s.globals[Param::scenario_steps] = steps;
  s.globals[Param::population_size] = 2000;
  s.regions.front().values = s.globals;
  RegionSpec south{"south", s.globals};
  south.values[Param::population_share] = 3;
  s.regions.push_back(south);
  s.routes.push_back(RouteSpec{1, 0, 0.25, 14});
  InterventionSpec campaign;
  campaign.name = "campaign";
  campaign.start_step = 2;
  campaign.end_step = 5;
  campaign.region = 1;
  campaign.ramp_steps = 1;
  campaign.changes.push_back({Param::population_share, LeverOp::Set, 2.0});
  campaign.changes.push_back({Param::population_awareness_base, LeverOp::Scale, 1.5});
  s.interventions.push_back(campaign);
  return s;
}

// The value every test writes: counts are whole numbers, amounts are not,
// and every (point, replicate, step, metric, region, category) differs.
double synthetic_value(std::size_t point, std::size_t replicate, std::size_t step, const MetricSpec& m,
                       std::size_t region, std::size_t category) {
  const double base = static_cast<double>(point * 1000000 + replicate * 100000 + step * 1000 +
                                          static_cast<std::size_t>(m.id) * 20 + region * 8 + category);
  return m.type == ValueType::Count ? base : base * 0.5 + 0.125;
}

ReplicateResult synthetic_result(const Scenario& scenario, std::size_t point, std::size_t replicate) {
  ReplicateResult r;
  r.point = point;
  r.replicate = replicate;
  r.series = Series(FrameLayout(scenario.regions.size()), static_cast<std::size_t>(scenario.steps()));
  for (std::size_t s = 0; s < r.series.steps(); ++s) {
    auto frame = r.series.frame(s);
    for (const MetricSpec& m : metric_table())
      for (std::size_t region = 0; region < scenario.regions.size(); ++region)
        for (std::size_t c = 0; c < axis_size(m.axis); ++c)
          frame[r.series.layout().index(m.id, region, c)] =
              synthetic_value(point, replicate, s, m, region, c);
  }
  for (std::size_t i = 0; i < summary_table().size(); ++i)
    r.summary.push_back(static_cast<double>(i) + 0.25 * static_cast<double>(replicate) + 10.0 * point);
  return r;
}

RunFileInfo info_for(const std::vector<Scenario>& points, std::size_t replicates) {
  RunFileInfo info;
  info.command_line = "tipsim run tiny.toml -o out.h5 --replicates " + std::to_string(replicates);
  info.points = points;
  info.replicates = replicates;
  info.threads = 2;
  return info;
}

void write_file(const fs::path& path, const std::vector<Scenario>& points, std::size_t replicates) {
  RunFileWriter writer(path.string(), info_for(points, replicates));
  for (std::size_t p = 0; p < points.size(); ++p)
    for (std::size_t r = 0; r < replicates; ++r) writer.consume(synthetic_result(points[p], p, r));
  writer.commit();
}

TEST(RunFileTest, CommitRenamesTheTemporaryFile) {
  TempFolder folder;
  const fs::path path = folder / "out.h5";
  RunFileWriter writer(path.string(), info_for({tiny_scenario()}, 2));
  EXPECT_EQ(writer.temporary_path(), path.string() + ".partial-" + std::to_string(::getpid()));
  EXPECT_TRUE(fs::exists(writer.temporary_path()));
  EXPECT_FALSE(fs::exists(path));
  writer.consume(synthetic_result(tiny_scenario(), 0, 0));
  writer.consume(synthetic_result(tiny_scenario(), 0, 1));
  writer.commit();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(writer.temporary_path()));
  EXPECT_EQ(folder.entries(), 1u);
}

TEST(RunFileTest, ReadsBackEveryValueExactly) {
  TempFolder folder;
  const fs::path path = folder / "out.h5";
  const Scenario scenario = tiny_scenario();
  write_file(path, {scenario}, 2);
  const RunFileContents f = read_run_file(path.string());

  EXPECT_EQ(f.format_version, kFormatVersion);
  EXPECT_EQ(f.text("format"), "tipsim-run");
  EXPECT_EQ(f.number("format_version"), 4);
  EXPECT_EQ(f.text("Conventions"), "CF-1.8 ACDD-1.3");
  EXPECT_EQ(f.text("creator_name"), "tipsim");
  EXPECT_EQ(f.text("program_version"), version());
  EXPECT_EQ(f.text("product_version"), version());
  EXPECT_EQ(f.text("source_revision"), source_revision());
  EXPECT_EQ(f.text("command_line"), "tipsim run tiny.toml -o out.h5 --replicates 2");
  EXPECT_EQ(f.text("scenario_name"), "tiny");
  EXPECT_EQ(f.text("created"), f.text("date_created"));
  EXPECT_EQ(f.text("created").size(), std::string("2025-01-01T00:00:00Z").size());
  for (const char* acdd : {"title", "summary", "source", "history"})
    EXPECT_FALSE(f.text(acdd).empty()) << acdd;
  EXPECT_EQ(f.number("seed"), 1);
  EXPECT_EQ(f.number("steps"), 6);
  EXPECT_EQ(f.number("step_days"), 7);
  EXPECT_EQ(f.number("population_size"), 2000);
  EXPECT_EQ(f.number("population_scale"), 1);
  EXPECT_EQ(f.number("replicate_count"), 2);
  EXPECT_EQ(f.number("point_count"), 1);
  EXPECT_EQ(f.number("region_count"), 2);

  // Scenario provenance.
  EXPECT_EQ(f.source_text, scenario.source_text);
  EXPECT_EQ(f.source_path, "tiny.toml");
  EXPECT_EQ(f.resolved_toml, resolved_toml(scenario));
  ASSERT_EQ(f.point_resolved_toml.size(), 1u);
  EXPECT_EQ(f.point_resolved_toml[0], resolved_toml(scenario));
  ASSERT_EQ(f.parameters.size(), param_table().size());
  for (std::size_t i = 0; i < f.parameters.size(); ++i) {
    const ParamSpec& p = param_table()[i];
    EXPECT_EQ(f.parameters[i].key, p.key);
    EXPECT_EQ(f.parameters[i].unit, p.unit);
    if (p.kind == ParamKind::Text)
      EXPECT_TRUE(std::isnan(f.parameters[i].value)) << p.key;
    else
      EXPECT_EQ(f.parameters[i].value, scenario.get(p.id)) << p.key;
  }
  EXPECT_EQ(f.region_names, (std::vector<std::string>{"world", "south"}));
  const auto share = std::find(f.regional_keys.begin(), f.regional_keys.end(), "population.share");
  ASSERT_NE(share, f.regional_keys.end());
  EXPECT_EQ(f.regional_values[f.regional_keys.size() + (share - f.regional_keys.begin())], 3.0);
  ASSERT_EQ(f.routes.size(), 1u);
  EXPECT_EQ(f.routes[0].origin, "south");
  EXPECT_EQ(f.routes[0].destination, "world");
  EXPECT_EQ(f.routes[0].share, 0.25);
  EXPECT_EQ(f.routes[0].transit_days, 14.0);
  ASSERT_EQ(f.interventions.size(), 2u);
  EXPECT_EQ(f.interventions[1].name, "campaign");
  EXPECT_EQ(f.interventions[1].region, "south");
  EXPECT_EQ(f.interventions[1].start_step, 2);
  EXPECT_EQ(f.interventions[1].end_step, 5);
  EXPECT_EQ(f.interventions[1].ramp_steps, 1);
  EXPECT_EQ(f.interventions[1].key, "population.awareness_base");
  EXPECT_EQ(f.interventions[1].op, "scale");
  EXPECT_EQ(f.interventions[1].value, 1.5);
  EXPECT_EQ(f.interventions[0].op, "set");

  // Dimensions and coordinates.
  EXPECT_EQ(f.dimension("point"), 1u);
  EXPECT_EQ(f.dimension("replicate"), 2u);
  EXPECT_EQ(f.dimension("step"), 6u);
  EXPECT_EQ(f.dimension("region"), 2u);
  EXPECT_EQ(f.labels.at("region"), (std::vector<std::string>{"world", "south"}));
  for (Axis axis : {Axis::State, Axis::Form, Axis::Market, Axis::Method, Axis::Channel, Axis::CaseType,
                    Axis::Pillar, Axis::Adjacent, Axis::Record}) {
    const std::string name(axis_name(axis));
    EXPECT_EQ(f.dimension(name), axis_size(axis)) << name;
    EXPECT_EQ(f.labels.at(name),
              std::vector<std::string>(axis_labels(axis).begin(), axis_labels(axis).end()));
  }
  ASSERT_EQ(f.time_days.size(), 6u);
  EXPECT_EQ(f.time_days.front(), 7.0);
  EXPECT_EQ(f.time_days.back(), 42.0);

  // Every series, with its metadata and every value.
  ASSERT_EQ(f.series.size(), metric_table().size());
  for (const MetricSpec& m : metric_table()) {
    const Variable* v = f.find_series(m.name);
    ASSERT_NE(v, nullptr) << m.name;
    std::vector<std::string> dims = {"point", "replicate", "step", "region"};
    std::vector<std::size_t> shape = {1, 2, 6, 2};
    if (m.axis != Axis::None) {
      dims.emplace_back(axis_name(m.axis));
      shape.push_back(axis_size(m.axis));
    }
    EXPECT_EQ(v->dims, dims) << m.name;
    EXPECT_EQ(v->shape, shape) << m.name;
    EXPECT_EQ(v->integer, m.type == ValueType::Count) << m.name;
    EXPECT_EQ(v->unit_label(), m.units);
    EXPECT_EQ(v->attribute("units"), cf_units(m.units)) << m.name;
    EXPECT_EQ(v->attribute("long_name"), m.long_name);
    EXPECT_EQ(v->attribute("cell_methods"), m.nature == Nature::Stock ? "step: point" : "step: sum");
    EXPECT_EQ(v->attribute("layer"), m.layer == Layer::True       ? "true"
                                     : m.layer == Layer::Observed ? "observed"
                                                                  : "policy");
    // CF: the labels of every labelled axis are auxiliary coordinates.
    EXPECT_EQ(v->attribute("coordinates"),
              m.axis == Axis::None ? "time_days region_label"
                                   : "time_days region_label " + std::string(axis_name(m.axis)) + "_label");
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t s = 0; s < 6; ++s)
        for (std::size_t region = 0; region < 2; ++region)
          for (std::size_t c = 0; c < axis_size(m.axis); ++c) {
            const double expected = synthetic_value(0, r, s, m, region, c);
            const double got = m.axis == Axis::None ? v->at({0, r, s, region}) : v->at({0, r, s, region, c});
            ASSERT_EQ(got, expected) << m.name << " r" << r << " s" << s << " region" << region << " c" << c;
          }
  }

  ASSERT_EQ(f.summary.size(), summary_table().size());
  for (std::size_t i = 0; i < summary_table().size(); ++i) {
    const Variable& v = f.summary[i];
    EXPECT_EQ(v.name, summary_table()[i].name);
    EXPECT_EQ(v.dims, (std::vector<std::string>{"point", "replicate"}));
    EXPECT_FALSE(v.integer);
    EXPECT_EQ(v.unit_label(), summary_table()[i].units);
    EXPECT_EQ(v.attribute("units"), cf_units(summary_table()[i].units));
    EXPECT_EQ(v.attribute("long_name"), summary_table()[i].long_name);
    EXPECT_FALSE(v.attribute("layer").empty());
    EXPECT_EQ(v.at({0, 0}), static_cast<double>(i));
    EXPECT_EQ(v.at({0, 1}), static_cast<double>(i) + 0.25);
  }

  // Without series: metadata only.
  const RunFileContents light = read_run_file(path.string(), false);
  ASSERT_EQ(light.series.size(), metric_table().size());
  EXPECT_TRUE(light.series.front().values.empty());
  EXPECT_EQ(light.series.front().shape, f.series.front().shape);
  EXPECT_EQ(light.summary.front().values, f.summary.front().values);
}

// A unit the writer does not know stops the write, so every unit that a
// table declares (parameters, series, summaries, effects) needs its
// UDUNITS spelling; a made-up one is refused.
TEST(RunFileTest, EveryDeclaredUnitHasAUdunitsSpelling) {
  std::vector<std::string_view> declared;
  for (const ParamSpec& p : param_table()) declared.push_back(p.unit);
  for (const MetricSpec& m : metric_table()) declared.push_back(m.units);
  for (const SummarySpec& s : summary_table()) declared.push_back(s.units);
  for (const EffectSpec& e : effect_table()) declared.push_back(e.units);
  for (std::string_view unit : declared) {
    if (unit.empty()) continue;
    EXPECT_NO_THROW(cf_units(unit)) << unit;
  }
  EXPECT_THROW(cf_units("furlongs per fortnight"), std::invalid_argument);
  // Each label is in the table once.
  for (std::size_t i = 0; i < unit_spellings().size(); ++i)
    for (std::size_t j = i + 1; j < unit_spellings().size(); ++j)
      EXPECT_NE(unit_spellings()[i].label, unit_spellings()[j].label);
}

TEST(RunFileTest, SweepPointsAreStoredAtTheirIndex) {
  TempFolder folder;
  const fs::path path = folder / "sweep.h5";
  Scenario a = tiny_scenario(3), b = tiny_scenario(3);
  b.globals[Param::population_scale] = 10;
  write_file(path, {a, b}, 2);
  const RunFileContents f = read_run_file(path.string());
  EXPECT_EQ(f.dimension("point"), 2u);
  EXPECT_EQ(f.point_resolved_toml[1], resolved_toml(b));
  const MetricSpec& m = spec(Metric::escapes);
  EXPECT_EQ(f.find_series("escapes")->at({1, 1, 2, 1}), synthetic_value(1, 1, 2, m, 1, 0));
  EXPECT_EQ(f.find_summary("exploited_mean")->at({1, 0}), 10.0);
}

// What netCDF-4, h5netcdf and xarray rely on, checked with the HDF5 C API.
TEST(RunFileTest, LayoutIsNetcdf4Compatible) {
  TempFolder folder;
  const fs::path path = folder / "out.h5";
  write_file(path, {tiny_scenario()}, 2);

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto creation_order_tracked = [](hid_t object) {
    const hid_t plist = H5Gget_create_plist(object);
    unsigned links = 0, attributes = 0;
    H5Pget_link_creation_order(plist, &links);
    H5Pget_attr_creation_order(plist, &attributes);
    H5Pclose(plist);
    return (links & H5P_CRT_ORDER_TRACKED) && (attributes & H5P_CRT_ORDER_TRACKED);
  };
  for (const char* group_name : {"/", "scenario", "scenario/parameters", "scenario/regional_values",
                                 "scenario/routes", "scenario/interventions", "series", "summary", "sweep"}) {
    const hid_t group = H5Gopen2(file, group_name, H5P_DEFAULT);
    ASSERT_GE(group, 0) << group_name;
    EXPECT_TRUE(creation_order_tracked(group)) << group_name;
    H5Gclose(group);
  }

  // format_version is an integer attribute.
  const hid_t version = H5Aopen(file, "format_version", H5P_DEFAULT);
  const hid_t version_type = H5Aget_type(version);
  EXPECT_EQ(H5Tget_class(version_type), H5T_INTEGER);
  H5Tclose(version_type);
  H5Aclose(version);

  // A categorical count series: int64, every dimension attached to the
  // coordinate of the same name in its group, chunked by replicate and
  // compressed with shuffle + deflate.
  const hid_t series = H5Gopen2(file, "series", H5P_DEFAULT);
  const hid_t counts = H5Dopen2(series, "persons_by_state", H5P_DEFAULT);
  const char* dims[] = {"point", "replicate", "step", "region", "state"};
  for (unsigned d = 0; d < 5; ++d) {
    const hid_t scale = H5Dopen2(series, dims[d], H5P_DEFAULT);
    ASSERT_GE(scale, 0) << dims[d];
    EXPECT_GT(H5DSis_scale(scale), 0) << dims[d];
    EXPECT_GT(H5DSis_attached(counts, scale, d), 0) << dims[d];
    char name[64] = {};
    H5DSget_scale_name(scale, name, sizeof name);
    EXPECT_STREQ(name, dims[d]);
    H5Dclose(scale);
  }
  const hid_t count_type = H5Dget_type(counts);
  EXPECT_GT(H5Tequal(count_type, H5T_STD_I64LE), 0);
  H5Tclose(count_type);
  const hid_t dcpl = H5Dget_create_plist(counts);
  ASSERT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
  hsize_t chunk[5] = {};
  ASSERT_EQ(H5Pget_chunk(dcpl, 5, chunk), 5);
  EXPECT_EQ(std::vector<hsize_t>(chunk, chunk + 5), (std::vector<hsize_t>{1, 1, 6, 2, 4}));
  bool shuffle = false, deflate = false;
  for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
    unsigned flags = 0;
    size_t n = 0;
    const H5Z_filter_t filter =
        H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, nullptr);
    shuffle |= filter == H5Z_FILTER_SHUFFLE;
    deflate |= filter == H5Z_FILTER_DEFLATE;
  }
  EXPECT_TRUE(shuffle);
  EXPECT_TRUE(deflate);
  H5Pclose(dcpl);
  H5Dclose(counts);

  // An amount series is float64.
  const hid_t amounts = H5Dopen2(series, "trafficker_profit", H5P_DEFAULT);
  const hid_t amount_type = H5Dget_type(amounts);
  EXPECT_GT(H5Tequal(amount_type, H5T_IEEE_F64LE), 0);
  H5Tclose(amount_type);
  H5Dclose(amounts);

  // Region labels are variable-length UTF-8 strings beside the region
  // index (CF wants a coordinate variable numeric).
  const hid_t region = H5Dopen2(series, "region_label", H5P_DEFAULT);
  const hid_t region_type = H5Dget_type(region);
  EXPECT_EQ(H5Tget_class(region_type), H5T_STRING);
  EXPECT_GT(H5Tis_variable_str(region_type), 0);
  EXPECT_EQ(H5Tget_cset(region_type), H5T_CSET_UTF8);
  H5Tclose(region_type);
  H5Dclose(region);
  H5Gclose(series);
  EXPECT_GE(H5Fclose(file), 0);
}

TEST(RunFileTest, WriterDestroyedWithoutCommitLeavesNoFile) {
  TempFolder folder;
  const fs::path path = folder / "out.h5";
  std::string temporary;
  {
    RunFileWriter writer(path.string(), info_for({tiny_scenario()}, 2));
    temporary = writer.temporary_path();
    writer.consume(synthetic_result(tiny_scenario(), 0, 0));
    EXPECT_TRUE(fs::exists(temporary));
  }
  EXPECT_FALSE(fs::exists(temporary));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(folder.entries(), 0u);
}

TEST(RunFileTest, CommitRefusesAnIncompleteRun) {
  TempFolder folder;
  const fs::path path = folder / "out.h5";
  RunFileWriter writer(path.string(), info_for({tiny_scenario()}, 2));
  writer.consume(synthetic_result(tiny_scenario(), 0, 1));
  try {
    writer.commit();
    FAIL() << "commit of 1 of 2 replicates succeeded";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("only 1 of 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(folder.entries(), 0u);
}

TEST(RunFileTest, ConsumeRejectsResultsOfTheWrongShape) {
  TempFolder folder;
  RunFileWriter writer((folder / "out.h5").string(), info_for({tiny_scenario()}, 1));
  EXPECT_THROW(writer.consume(synthetic_result(tiny_scenario(), 0, 1)), std::invalid_argument);
  EXPECT_THROW(writer.consume(synthetic_result(tiny_scenario(5), 0, 0)), std::invalid_argument);
  writer.consume(synthetic_result(tiny_scenario(), 0, 0));
  EXPECT_THROW(writer.consume(synthetic_result(tiny_scenario(), 0, 0)), std::invalid_argument);
}

void expect_output_error_naming(const std::string& path) {
  try {
    RunFileWriter writer(path, info_for({tiny_scenario()}, 1));
    FAIL() << "created a run file at " << path;
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(RunFileTest, UnwritableFolderThrowsOutputErrorNamingThePath) {
  TempFolder folder;
  expect_output_error_naming((folder / "no-such-folder" / "out.h5").string());
  // A read-only file system stops even root.
  expect_output_error_naming("/proc/tipsim-run-file-test.h5");
  if (::geteuid() != 0) {
    fs::permissions(folder.path(), fs::perms::owner_read | fs::perms::owner_exec);
    expect_output_error_naming((folder / "out.h5").string());
  }
}

// A full disk, simulated with a file size limit: a write fails (EFBIG)
// somewhere between creating and committing, the error names the path, and
// nothing is left behind. The limit also applies to the in-memory file an
// abandoned writer flushes into, so it is lifted before the writer goes.
TEST(RunFileTest, DiskFullLeavesNoFile) {
  TempFolder folder;
  const fs::path path = folder / "full.h5";
  const Scenario scenario = tiny_scenario(400);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit = old_limit;
  limit.rlim_cur = 256 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::string message;
  std::optional<RunFileWriter> writer;
  try {
    writer.emplace(path.string(), info_for({scenario}, 16));
    for (std::size_t r = 0; r < 16; ++r) {
      ReplicateResult result = synthetic_result(scenario, 0, r);
      // Scrambled values, so that compression cannot keep the file small.
      std::uint64_t x = 88172645463325252ull + r;
      for (std::size_t s = 0; s < result.series.steps(); ++s)
        for (double& v : result.series.frame(s)) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          v = static_cast<double>(x % 1000003);
        }
      writer->consume(std::move(result));
    }
    writer->commit();
  } catch (const OutputError& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find(path.string()), std::string::npos) << "no OutputError naming the path: " << message;
  EXPECT_FALSE(fs::exists(path));
  writer.reset();
  EXPECT_EQ(folder.entries(), 0u);
}

TEST(RunFileTest, ReadingAFileThatIsNotHdf5ThrowsFormatError) {
  TempFolder folder;
  const fs::path path = folder / "notes.h5";
  std::ofstream(path) << "this is not HDF5\n";
  try {
    read_run_file(path.string());
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
}

TEST(RunFileTest, ReadingAForeignHdf5FileThrowsFormatError) {
  TempFolder folder;
  const fs::path path = folder / "foreign.h5";
  H5Fclose(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  try {
    read_run_file(path.string());
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not a tipsim run file"), std::string::npos) << e.what();
  }
}

TEST(RunFileTest, ReadingANewerFormatVersionThrowsFormatError) {
  TempFolder folder;
  const fs::path path = folder / "future.h5";
  write_file(path, {tiny_scenario(2)}, 1);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
  const std::int64_t future = 99;
  ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &future), 0);
  H5Aclose(attribute);
  H5Fclose(file);
  try {
    read_run_file(path.string());
    FAIL();
  } catch (const FormatError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("format version 99"), std::string::npos) << message;
    EXPECT_NE(message.find("reads format version " + std::to_string(kFormatVersion)), std::string::npos)
        << message;
    EXPECT_NE(message.find("newer tipsim"), std::string::npos) << message;
  }
}

TEST(RunFileTest, AVersion3FileGivesItsTransitStepsInDays) {
  // Version 3 kept a route's transit time in whole steps, `transit_steps`.
  TempFolder folder;
  const fs::path path = folder / "v3.h5";
  Scenario scenario = tiny_scenario(2);
  scenario.globals[Param::scenario_step_days] = 5;
  write_file(path, {scenario}, 1);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
  const std::int64_t three = 3;
  ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &three), 0);
  H5Aclose(attribute);
  const hid_t routes = H5Gopen2(file, "scenario/routes", H5P_DEFAULT);
  ASSERT_GE(routes, 0);
  ASSERT_GE(H5Ldelete(routes, "transit_days", H5P_DEFAULT), 0);
  const hsize_t rows = 1;
  const std::int64_t steps = 3;
  ASSERT_GE(H5LTmake_dataset(routes, "transit_steps", 1, &rows, H5T_NATIVE_INT64, &steps), 0);
  H5Gclose(routes);
  H5Fclose(file);
  const RunFileContents f = read_run_file(path.string());
  EXPECT_EQ(f.format_version, 3);
  ASSERT_EQ(f.routes.size(), 1u);
  EXPECT_EQ(f.routes[0].transit_days, 15.0);  // 3 steps of 5 days
}

TEST(RunFileTest, ReadingATruncatedFileThrowsFormatError) {
  TempFolder folder;
  const fs::path path = folder / "whole.h5";
  write_file(path, {tiny_scenario()}, 1);
  const fs::path truncated = folder / "truncated.h5";
  fs::copy_file(path, truncated);
  fs::resize_file(truncated, fs::file_size(path) / 2);
  try {
    read_run_file(truncated.string());
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("damaged or incomplete"), std::string::npos) << e.what();
  }
}

TEST(RunFileTest, ReadingAMissingFileThrowsOutputError) {
  TempFolder folder;
  const std::string path = (folder / "missing.h5").string();
  try {
    read_run_file(path);
    FAIL();
  } catch (const FormatError&) {
    FAIL() << "a missing file is not a format problem";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

// ---- sweeps, comparisons, events and snapshots ---------------------------------------------

Scenario with_partnership(double level) {
  Scenario s = tiny_scenario(3);
  s.globals[Param::policy_partnership_level] = level;
  for (RegionSpec& r : s.regions) r.values[Param::policy_partnership_level] = level;
  return s;
}

TEST(RunFileTest, SweepKeysAreCoordinatesOfThePoints) {
  TempFolder folder;
  const fs::path path = folder / "sweep.h5";
  RunFileInfo info = info_for({with_partnership(0.2), with_partnership(0.8)}, 2);
  info.experiment = ExperimentKind::Sweep;
  info.sweep_axes = {parse_vary("policy.partnership.level=0.2,0.8")};
  {
    RunFileWriter writer(path.string(), info);
    for (std::size_t p = 0; p < 2; ++p)
      for (std::size_t r = 0; r < 2; ++r) writer.consume(synthetic_result(info.points[p], p, r));
    writer.commit();
  }
  const RunFileContents f = read_run_file(path.string(), false);
  EXPECT_EQ(f.experiment, ExperimentKind::Sweep);
  EXPECT_EQ(f.text("experiment"), "sweep");
  EXPECT_EQ(f.sweep_definition, "policy.partnership.level=0.2,0.8\n");
  ASSERT_EQ(f.sweep_keys.size(), 1u);
  EXPECT_EQ(f.sweep_keys[0].name, "policy.partnership.level");
  EXPECT_EQ(f.sweep_keys[0].dims, std::vector<std::string>{"point"});
  EXPECT_EQ(f.sweep_keys[0].values, (std::vector<double>{0.2, 0.8}));
  EXPECT_EQ(f.sweep_keys[0].attribute("units"), "1");
  EXPECT_TRUE(f.arm_names.empty());
  // The series name the key as a coordinate, so xarray attaches it.
  EXPECT_EQ(f.series.size(), metric_table().size());
  EXPECT_EQ(f.series.front().attribute("coordinates"),
            "time_days policy.partnership.level region_label state_label");
  EXPECT_EQ(f.summary.front().attribute("coordinates"), "policy.partnership.level");
  EXPECT_FALSE(f.event_log);
  EXPECT_EQ(f.snapshot_every, 0);
}

TEST(RunFileTest, AComparisonHoldsArmsAndThePairedEffects) {
  TempFolder folder;
  const fs::path path = folder / "comparison.h5";
  RunFileInfo info = info_for({tiny_scenario(), tiny_scenario(), tiny_scenario()}, 3);
  info.experiment = ExperimentKind::Comparison;
  info.arm_names = {"base", "arm b", "arm c"};
  {
    RunFileWriter writer(path.string(), info);
    for (std::size_t p = 0; p < 3; ++p)
      for (std::size_t r = 0; r < 3; ++r) writer.consume(synthetic_result(info.points[p], p, r));
    writer.commit();
  }
  const RunFileContents f = read_run_file(path.string(), false);
  EXPECT_EQ(f.experiment, ExperimentKind::Comparison);
  EXPECT_EQ(f.arm_names, (std::vector<std::string>{"base", "arm b", "arm c"}));
  EXPECT_EQ(f.comparison_arms, (std::vector<std::string>{"arm b", "arm c"}));
  EXPECT_EQ(f.baseline_arm, "base");
  EXPECT_EQ(f.series.front().attribute("coordinates"), "time_days arm region_label state_label");
  // Synthetic summaries are 10 x point higher in every figure: each arm
  // has 10 x point more victim-years (fewer averted) and spending.
  for (const EffectSpec& e : effect_table()) {
    const std::string name(e.name);
    const Variable* paired = f.find_comparison(name);
    const Variable* mean = f.find_comparison(name + "_mean");
    const Variable* low = f.find_comparison(name + "_ci_low");
    const Variable* high = f.find_comparison(name + "_ci_high");
    ASSERT_TRUE(paired && mean && low && high) << name;
    EXPECT_EQ(paired->dims, (std::vector<std::string>{"arm", "replicate"}));
    EXPECT_EQ(mean->dims, std::vector<std::string>{"arm"});
    EXPECT_EQ(paired->unit_label(), e.units);
    EXPECT_EQ(paired->attribute("units"), cf_units(e.units));
    for (std::size_t a = 0; a < 2; ++a) {
      const double expected = e.sign == EffectSign::BaselineMinusArm   ? -10.0 * (a + 1)
                              : e.sign == EffectSign::ArmMinusBaseline ? 10.0 * (a + 1)
                                                                       : std::nan("");
      for (std::size_t r = 0; r < 3; ++r) {
        if (std::isnan(expected)) {
          EXPECT_TRUE(std::isnan(paired->at({a, r}))) << name;
        } else {
          EXPECT_EQ(paired->at({a, r}), expected) << name;
        }
      }
      if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(mean->values[a])) << name;
      } else {
        EXPECT_EQ(mean->values[a], expected) << name;
        EXPECT_EQ(low->values[a], expected) << name;
        EXPECT_EQ(high->values[a], expected) << name;
      }
    }
  }
}

ReplicateResult with_recording(const Scenario& scenario, std::size_t point, std::size_t replicate,
                               std::size_t events, std::int32_t snapshot_every) {
  ReplicateResult r = synthetic_result(scenario, point, replicate);
  for (std::size_t i = 0; i < events; ++i) {
    Event e;
    e.step = static_cast<std::int32_t>(i % 6);
    e.kind = static_cast<EventKind>(i % kEventKinds);
    e.person = static_cast<std::int32_t>(100 * point + 10 * replicate + i);
    e.trafficker = i % 2 == 0 ? -1 : static_cast<std::int32_t>(i);
    e.region = static_cast<std::int16_t>(i % 2);
    e.form = static_cast<std::int8_t>(i % 5) - 1;
    e.channel = static_cast<std::int8_t>(i % 8) - 1;
    e.intervention = static_cast<std::int16_t>(i % 3) - 1;
    r.events.push_back(e);
  }
  const std::size_t persons = static_cast<std::size_t>(scenario.get(Param::population_size));
  for (std::size_t k = 0; k < snapshot_count(scenario.steps(), snapshot_every); ++k) {
    r.snapshots.persons = persons;
    r.snapshots.steps.push_back(static_cast<std::int32_t>((k + 1) * snapshot_every - 1));
    for (std::size_t i = 0; i < persons; ++i) {
      r.snapshots.state.push_back(static_cast<std::uint8_t>((i + k + replicate) % 4));
      r.snapshots.region.push_back(static_cast<std::uint8_t>(i % 2));
      r.snapshots.home_region.push_back(static_cast<std::uint8_t>(i % 2));
      r.snapshots.market.push_back(i % 3 == 0 ? kNoMarket : static_cast<std::uint8_t>(i % 7));
      r.snapshots.flags.push_back(static_cast<std::uint8_t>(i));
      r.snapshots.vulnerability.push_back(static_cast<float>(i) / static_cast<float>(persons));
      r.snapshots.awareness.push_back(0.5f);
      r.snapshots.controller.push_back(i % 5 == 0 ? 7 : -1);
      r.snapshots.debt.push_back(i % 5 == 0 ? 250.5f : 0.0f);
      r.snapshots.times_trafficked.push_back(static_cast<std::uint8_t>(i % 3));
    }
  }
  return r;
}

TEST(RunFileTest, EventsAndSnapshotsAreTablesOfTheirRuns) {
  TempFolder folder;
  const fs::path path = folder / "recorded.h5";
  RunFileInfo info = info_for({tiny_scenario()}, 2);
  info.recording.events = true;
  info.recording.snapshot_every = 2;
  const std::vector<std::size_t> counts = {5, 70000};  // the second spans chunks of the event table
  std::vector<ReplicateResult> written;
  {
    RunFileWriter writer(path.string(), info);
    for (std::size_t r = 0; r < 2; ++r) {
      written.push_back(with_recording(info.points[0], 0, r, counts[r], 2));
      ReplicateResult copy = with_recording(info.points[0], 0, r, counts[r], 2);
      writer.consume(std::move(copy));
    }
    writer.commit();
  }
  const RunFileContents f = read_run_file(path.string(), false);
  EXPECT_TRUE(f.event_log);
  EXPECT_EQ(f.snapshot_every, 2);
  EXPECT_EQ(f.event_count, counts[0] + counts[1]);

  const EventTable table = read_event_table(path.string());
  ASSERT_EQ(table.size(), counts[0] + counts[1]);
  std::size_t row = 0;
  for (std::size_t r = 0; r < 2; ++r) {
    for (const Event& e : written[r].events) {
      ASSERT_EQ(table.column("point")[row], 0);
      ASSERT_EQ(table.column("replicate")[row], static_cast<std::int64_t>(r));
      ASSERT_EQ(table.column("step")[row], e.step);
      ASSERT_EQ(table.column("kind")[row], static_cast<std::int64_t>(e.kind));
      ASSERT_EQ(table.column("person")[row], e.person);
      ASSERT_EQ(table.column("trafficker")[row], e.trafficker);
      ASSERT_EQ(table.column("region")[row], e.region);
      ASSERT_EQ(table.column("form")[row], e.form);
      ASSERT_EQ(table.column("channel")[row], e.channel);
      ASSERT_EQ(table.column("intervention")[row], e.intervention);
      ++row;
    }
  }

  // The per-run index and the snapshots, with the HDF5 C API.
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto read_int64 = [&](const char* name) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    std::vector<std::int64_t> values(2);
    H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(ds);
    return values;
  };
  EXPECT_EQ(read_int64("/events/runs/first_event"), (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(read_int64("/events/runs/event_count"), (std::vector<std::int64_t>{5, 70000}));
  const std::size_t persons = 2000, snapshots = 3;  // after steps 1, 3 and 5
  auto read_field = [&](const char* name, hid_t type, std::size_t element) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    std::vector<unsigned char> bytes(2 * snapshots * persons * element);
    EXPECT_GE(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), 0) << name;
    H5Dclose(ds);
    return bytes;
  };
  const auto state = read_field("/snapshots/state", H5T_NATIVE_UINT8, 1);
  const auto debt = read_field("/snapshots/debt", H5T_NATIVE_FLOAT, 4);
  for (std::size_t r = 0; r < 2; ++r) {
    const Snapshots& s = written[r].snapshots;
    EXPECT_TRUE(std::equal(s.state.begin(), s.state.end(), state.begin() + r * snapshots * persons));
    EXPECT_EQ(std::memcmp(s.debt.data(), debt.data() + r * snapshots * persons * 4, s.debt.size() * 4), 0);
  }
  H5Fclose(file);
}

TEST(RunFileTest, RecordingPastTheLimitIsRefusedAndLeavesNoFile) {
  TempFolder folder;
  const fs::path path = folder / "big.h5";
  RunFileInfo info = info_for({tiny_scenario()}, 2);
  info.recording.events = true;
  info.max_recording_bytes = 150 * kEventFileBytes;
  {
    RunFileWriter writer(path.string(), info);
    writer.consume(with_recording(info.points[0], 0, 0, 100, 0));
    try {
      writer.consume(with_recording(info.points[0], 0, 1, 100, 0));
      ADD_FAILURE() << "200 events were written under a limit of 150";
    } catch (const OutputError& e) {
      EXPECT_NE(std::string(e.what()).find("--max-output"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(folder.entries(), 0u);
}

}  // namespace
}  // namespace tipsim::output
