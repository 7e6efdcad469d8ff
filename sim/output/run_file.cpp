// Writing run files: the layout docs/output-format.md describes, built under a
// temporary name as replicates arrive and renamed when complete.
#include "run_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <numeric>

#include "build_info.hpp"
#include "comparison.hpp"
#include "events.hpp"
#include "hdf5_util.hpp"
#include "metrics.hpp"
#include "snapshots.hpp"
#include "sweep.hpp"

namespace tipsim::output {

using h5::Handle;

namespace {

// Chunks hold one (point, replicate) time series; only series longer than
// this many bytes are split along `step` (HDF5 chunks must stay under 4 GiB).
constexpr std::size_t kMaxChunkBytes = 32u << 20;
constexpr unsigned kDeflateLevel = 4;

const char* layer_name(Layer layer) {
  switch (layer) {
    case Layer::True:
      return "true";
    case Layer::Observed:
      return "observed";
    case Layer::Policy:
      return "policy";
  }
  return "true";
}

std::string iso8601_utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string errno_text(int error) { return std::strerror(error); }

// Property lists for groups and datasets that netCDF-4 and h5netcdf accept:
// link and attribute creation order tracked and indexed, so that readers
// list variables and attributes in the order we wrote them.
Handle group_creation_properties(const std::string& path, hid_t list_class = H5P_GROUP_CREATE) {
  Handle gcpl(h5::check(H5Pcreate(list_class), path, "cannot create group properties"), H5Pclose);
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  h5::check_status(H5Pset_link_creation_order(gcpl.get(), order), path, "cannot track link creation order");
  h5::check_status(H5Pset_attr_creation_order(gcpl.get(), order), path,
                   "cannot track attribute creation order");
  return gcpl;
}

Handle dataset_creation_properties(const std::string& path) {
  Handle dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), path, "cannot create dataset properties"), H5Pclose);
  h5::check_status(H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
                   path, "cannot track attribute creation order");
  return dcpl;
}

// One group of the file being written, with the dimension scales (netCDF-4
// coordinate variables) that its datasets use. Each group carries its own
// copies of the coordinates it needs: xarray opens one group at a time and
// only labels a dimension whose coordinate variable is in that group.
class GroupWriter {
 public:
  GroupWriter(hid_t parent, const char* name, std::string_view comment, const std::string& path)
      : path_(path) {
    Handle gcpl = group_creation_properties(path);
    group_ = Handle(h5::check(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), path,
                              std::string("cannot create group '") + name + "'"),
                    H5Gclose);
    h5::write_attribute(group_.get(), "comment", comment, path);
  }

  hid_t id() const { return group_.get(); }

  // Datasets created from now on get all their storage at once and no
  // compression: their data can then be written by several processes
  // (parallel HDF5), and writing never changes the file's metadata, so a
  // process killed between writes leaves a consistent file.
  void plain_storage() { plain_storage_ = true; }

  // An integer dimension 0..size-1 (point, replicate, step, table rows).
  void index_dimension(const char* name, std::size_t size, std::string_view long_name,
                       std::string_view units) {
    std::vector<std::int32_t> values(size);
    std::iota(values.begin(), values.end(), 0);
    Handle ds = create(name, H5T_STD_I32LE, {size});
    write(ds.get(), H5T_NATIVE_INT32, values.data(), size);
    describe(ds.get(), long_name, units);
    make_scale(std::move(ds), name);
  }

  // A dimension of table rows that grows as rows are appended (the event
  // log): an int64 coordinate 0, 1, ... of unlimited length.
  void growing_dimension(const char* name, std::size_t chunk_rows, std::string_view long_name) {
    Handle ds = create(name, H5T_STD_I64LE, {0}, {chunk_rows}, true);
    describe(ds.get(), long_name, "1");
    make_scale(std::move(ds), name);
  }

  // A column along a growing dimension, to be filled by append_rows().
  Handle growing_column(const char* name, const char* dim, hid_t file_type, std::size_t chunk_rows,
                        std::string_view long_name, std::string_view units) {
    Handle ds = create(name, file_type, {0}, {chunk_rows}, true);
    describe(ds.get(), long_name, units);
    attach(ds.get(), {dim});
    return ds;
  }

  // The coordinate variable of a dimension of this group.
  hid_t coordinate(const std::string& dim) const { return scale(dim); }

  // A dimension labelled by strings (region, state, form, ...).
  void label_dimension(const char* name, const std::vector<std::string>& labels, std::string_view long_name) {
    Handle ds = strings_dataset(name, labels);
    describe(ds.get(), long_name, {});
    make_scale(std::move(ds), name);
  }

  Handle strings(const char* name, std::initializer_list<const char*> dims,
                 const std::vector<std::string>& values, std::string_view long_name) {
    Handle ds = strings_dataset(name, values);
    describe(ds.get(), long_name, {});
    attach(ds.get(), dims);
    return ds;
  }

  Handle doubles(const char* name, std::initializer_list<const char*> dims, const std::vector<double>& values,
                 std::string_view long_name, std::string_view units) {
    Handle ds = create(name, H5T_IEEE_F64LE, shape_of(dims));
    write(ds.get(), H5T_NATIVE_DOUBLE, values.data(), values.size());
    describe(ds.get(), long_name, units);
    attach(ds.get(), dims);
    return ds;
  }

  Handle int64s(const char* name, std::initializer_list<const char*> dims,
                const std::vector<std::int64_t>& values, std::string_view long_name, std::string_view units) {
    Handle ds = create(name, H5T_STD_I64LE, shape_of(dims));
    write(ds.get(), H5T_NATIVE_INT64, values.data(), values.size());
    describe(ds.get(), long_name, units);
    attach(ds.get(), dims);
    return ds;
  }

  // A scalar text variable (the scenario source, the resolved TOML).
  Handle text(const char* name, const std::string& value, std::string_view long_name) {
    Handle type = h5::utf8_string_type();
    Handle space(h5::check(H5Screate(H5S_SCALAR), path_, "cannot create a dataspace"), H5Sclose);
    Handle dcpl = dataset_creation_properties(path_);
    Handle ds(h5::check(H5Dcreate2(group_.get(), name, type.get(), space.get(), H5P_DEFAULT, dcpl.get(),
                                   H5P_DEFAULT),
                        path_, std::string("cannot create dataset '") + name + "'"),
              H5Dclose);
    const char* pointer = value.c_str();
    h5::check_status(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &pointer), path_,
                     std::string("cannot write dataset '") + name + "'");
    describe(ds.get(), long_name, {});
    return ds;
  }

  // An empty dataset of the given dimensions, to be written piece by piece.
  // An extendible one (a table that grows as runs arrive) has an unlimited
  // first dimension and keeps HDF5's chunk cache, since its chunks fill
  // over several appends.
  Handle create(const char* name, hid_t file_type, const std::vector<std::size_t>& shape,
                const std::vector<std::size_t>& chunk = {}, bool extendible = false) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    std::vector<hsize_t> max_dims = dims;
    if (extendible) max_dims.at(0) = H5S_UNLIMITED;
    Handle space(h5::check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()),
                           path_, "cannot create a dataspace"),
                 H5Sclose);
    Handle dcpl = dataset_creation_properties(path_);
    Handle dapl(h5::check(H5Pcreate(H5P_DATASET_ACCESS), path_, "cannot create dataset access properties"),
                H5Pclose);
    if (plain_storage_)
      h5::check_status(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), path_,
                       std::string("cannot set the allocation of '") + name + "'");
    if (!chunk.empty()) {
      std::vector<hsize_t> chunk_dims(chunk.begin(), chunk.end());
      const std::string what = std::string("cannot set chunking and compression of '") + name + "'";
      h5::check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk_dims.size()), chunk_dims.data()),
                       path_, what);
      // Shuffle before deflate: counts vary in their low bytes only.
      if (!plain_storage_) {
        h5::check_status(H5Pset_shuffle(dcpl.get()), path_, what);
        h5::check_status(H5Pset_deflate(dcpl.get(), kDeflateLevel), path_, what);
      }
      // Every chunk is written whole, once: caching it would only hold memory
      // (1 MiB per dataset by default) until the file is closed.
      if (!extendible)
        h5::check_status(H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, 1.0), path_, what);
    }
    return Handle(
        h5::check(H5Dcreate2(group_.get(), name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()),
                  path_, std::string("cannot create dataset '") + name + "'"),
        H5Dclose);
  }

  void describe(hid_t ds, std::string_view long_name, std::string_view units) {
    h5::write_attribute(ds, "long_name", long_name, path_);
    if (!units.empty()) h5::write_attribute(ds, "units", units, path_);
  }

  void attach(hid_t ds, std::initializer_list<const char*> dims) {
    attach(ds, std::vector<std::string>(dims.begin(), dims.end()));
  }
  void attach(hid_t ds, const std::vector<std::string>& dims) {
    unsigned index = 0;
    for (const std::string& dim : dims) {
      h5::check_status(H5DSattach_scale(ds, scale(dim), index++), path_,
                       "cannot attach dimension '" + dim + "'");
    }
  }

  std::vector<std::size_t> shape_of(const std::vector<std::string>& dims) const {
    std::vector<std::size_t> shape;
    for (const std::string& dim : dims) shape.push_back(sizes_.at(dim));
    return shape;
  }
  std::vector<std::size_t> shape_of(std::initializer_list<const char*> dims) const {
    return shape_of(std::vector<std::string>(dims.begin(), dims.end()));
  }

 private:
  Handle strings_dataset(const char* name, const std::vector<std::string>& values) {
    Handle type = h5::utf8_string_type();
    Handle ds = create(name, type.get(), {values.size()});
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const std::string& v : values) pointers.push_back(v.c_str());
    write(ds.get(), type.get(), pointers.data(), pointers.size());
    return ds;
  }

  void write(hid_t ds, hid_t memory_type, const void* data, std::size_t count) {
    // An empty table has nothing to write (and HDF5 wants no buffer then).
    if (count == 0) return;
    h5::check_status(H5Dwrite(ds, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path_,
                     "cannot write a dataset");
  }

  void make_scale(Handle ds, const char* name) {
    // The scale's NAME is the netCDF dimension name; the dataset is its
    // coordinate variable.
    h5::check_status(H5DSset_scale(ds.get(), name), path_,
                     std::string("cannot make '") + name + "' a dimension");
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    sizes_[name] = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
    scales_.emplace(name, std::move(ds));
  }

  hid_t scale(const std::string& dim) const {
    auto it = scales_.find(dim);
    if (it == scales_.end()) throw std::logic_error("run file: no dimension '" + dim + "' in this group");
    return it->second.get();
  }

  std::string path_;
  Handle group_;
  bool plain_storage_ = false;
  std::map<std::string, Handle> scales_;
  std::map<std::string, std::size_t> sizes_;
};

std::vector<std::string> to_strings(std::span<const std::string_view> labels) {
  return {labels.begin(), labels.end()};
}

std::vector<std::string> region_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const RegionSpec& region : scenario.regions) names.push_back(region.name);
  return names;
}

// Axes that appear in the metric table, in the order of their first use.
std::vector<Axis> axes_used() {
  std::vector<Axis> axes;
  for (const MetricSpec& m : metric_table())
    if (m.axis != Axis::None && std::find(axes.begin(), axes.end(), m.axis) == axes.end())
      axes.push_back(m.axis);
  return axes;
}

const char* axis_long_name(Axis axis) {
  switch (axis) {
    case Axis::None:
      return "";
    case Axis::State:
      return "state of a person";
    case Axis::Form:
      return "form of exploitation";
    case Axis::Market:
      return "market of exploitation (form, and sector for forced labour)";
    case Axis::Method:
      return "recruitment method";
    case Axis::Channel:
      return "channel through which a victim was identified";
    case Axis::CaseType:
      return "case type (sex or labour trafficking, as the TIP report counts them)";
    case Axis::Pillar:
      return "anti-trafficking pillar (the 4 Ps)";
  }
  return "";
}

// Writes a block of values at `start` with extent `count` (any rank).
void write_block(hid_t ds, hid_t memory_type, const void* data, const std::vector<hsize_t>& start,
                 const std::vector<hsize_t>& count, const std::string& path, const std::string& what) {
  Handle file_space(h5::check(H5Dget_space(ds), path, what), H5Sclose);
  h5::check_status(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      path, what);
  Handle memory_space(
      h5::check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), path, what),
      H5Sclose);
  h5::check_status(H5Dwrite(ds, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), path,
                   what);
}

// Appends `count` values to a 1-D extendible dataset that holds `at` rows.
void append_rows(hid_t ds, hid_t memory_type, const void* data, std::size_t at, std::size_t count,
                 const std::string& path, const std::string& what) {
  if (count == 0) return;
  const hsize_t size = at + count;
  h5::check_status(H5Dset_extent(ds, &size), path, what);
  write_block(ds, memory_type, data, {at}, {count}, path, what);
}

// A label as a CF flag meaning: letters, digits and _ - . + @ only.
std::string flag_word(std::string_view label) {
  std::string word(label);
  for (char& c : word) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '_' || c == '-' || c == '.' || c == '+' || c == '@';
    if (!allowed) c = '_';
  }
  return word.empty() ? "_" : word;
}

std::string flag_meanings(const std::vector<std::string>& labels) {
  std::string text;
  for (const std::string& label : labels) {
    if (!text.empty()) text += ' ';
    text += flag_word(label);
  }
  return text;
}

// CF flag_values and flag_meanings of a categorical column: value i means
// labels[i]; with `none`, -1 means NONE (not applicable).
template <typename T>
void write_categories(hid_t ds, hid_t file_type, hid_t memory_type, const std::vector<std::string>& labels,
                      bool none, const std::string& path) {
  std::vector<T> values;
  std::vector<std::string> meanings;
  if (none) {
    values.push_back(static_cast<T>(-1));
    meanings.emplace_back("NONE");
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    values.push_back(static_cast<T>(i));
    meanings.push_back(labels[i]);
  }
  h5::write_array_attribute(ds, "flag_values", file_type, memory_type, values.data(), values.size(), path);
  h5::write_attribute(ds, "flag_meanings", flag_meanings(meanings), path);
}

// Labels of the market axis plus NONE at kNoMarket (255), for snapshots.
void write_market_flags(hid_t ds, const std::string& path) {
  std::vector<std::uint8_t> values;
  std::vector<std::string> meanings;
  const auto labels = axis_labels(Axis::Market);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    values.push_back(static_cast<std::uint8_t>(i));
    meanings.emplace_back(labels[i]);
  }
  values.push_back(kNoMarket);
  meanings.emplace_back("NONE");
  h5::write_array_attribute(ds, "flag_values", H5T_STD_U8LE, H5T_NATIVE_UINT8, values.data(), values.size(),
                            path);
  h5::write_attribute(ds, "flag_meanings", flag_meanings(meanings), path);
}

// Names of the person_flag bits, lowest bit first (state.hpp).
const std::vector<std::string>& person_flag_names() {
  static const std::vector<std::string> names = {"FEMALE",         "CHILD",       "CONSENTED_INITIALLY",
                                                 "CROSSED_BORDER", "DEBT_BONDED", "CRIMINALISED",
                                                 "COOPERATING",    "REINTEGRATED"};
  return names;
}

std::vector<std::string> event_kind_names() {
  std::vector<std::string> names;
  for (const EventKindSpec& k : event_kind_table()) names.emplace_back(k.name);
  return names;
}

// The (point) variables that label a file's points: the value of each
// varied key (sweep), or the arm's name (comparison).
void write_point_labels(GroupWriter& group, const RunFileInfo& info) {
  for (const VaryAxis& axis : info.sweep_axes) {
    const KeyRef first = find_key(info.points.front(), axis.key);
    if (first.param == nullptr)
      throw std::invalid_argument("run file: the sweep key '" + axis.key + "' is not a scenario key");
    const std::string long_name =
        "value of " + axis.key + " at each sweep point: " + std::string(first.param->doc);
    if (first.param->kind == ParamKind::Text) {
      std::vector<std::string> values;
      for (const Scenario& p : info.points) values.push_back(key_text(p, find_key(p, axis.key)));
      group.strings(axis.key.c_str(), {"point"}, values, long_name);
    } else {
      std::vector<double> values;
      for (const Scenario& p : info.points) values.push_back(key_value(p, find_key(p, axis.key)));
      const std::string units = first.param->unit.empty() || first.param->kind == ParamKind::Boolean
                                    ? std::string("1")
                                    : std::string(first.param->unit);
      group.doubles(axis.key.c_str(), {"point"}, values, long_name, units);
    }
  }
  if (info.experiment == ExperimentKind::Comparison)
    group.strings("arm", {"point"}, info.arm_names,
                  "policy arm of the comparison at each point (baseline first)");
}

// The CF `coordinates` attribute naming the point labels above.
std::string point_label_names(const RunFileInfo& info) {
  std::string names;
  for (const VaryAxis& axis : info.sweep_axes) names += (names.empty() ? "" : " ") + axis.key;
  if (info.experiment == ExperimentKind::Comparison) names += (names.empty() ? "" : " ") + std::string("arm");
  return names;
}

void write_scenario_group(hid_t file, const Scenario& scenario, const std::string& path) {
  GroupWriter group(file, "scenario",
                    "The scenario as given and fully resolved. The run can be repeated from resolved_toml "
                    "(tipsim run --from FILE).",
                    path);
  {
    Handle source = group.text("source_text", scenario.source_text,
                               "scenario file text exactly as given (empty for a built-in scenario)");
    h5::write_attribute(source.get(), "source_path", scenario.source_path, path);
    Handle resolved =
        group.text("resolved_toml", resolved_toml(scenario),
                   "fully resolved scenario as TOML: every key, defaults and --set overrides applied");
  }

  // The world-wide values of every parameter (for regional parameters, the
  // default that regions without an override use).
  {
    GroupWriter table(
        group.id(), "parameters",
        "Resolved world-wide value of every scenario parameter, one row per key. Text parameters "
        "(scenario.name, scenario.description) have value NaN; their text is in resolved_toml.",
        path);
    std::vector<std::string> keys, units, scopes;
    std::vector<double> values;
    for (const ParamSpec& p : param_table()) {
      keys.emplace_back(p.key);
      values.push_back(p.kind == ParamKind::Text ? std::numeric_limits<double>::quiet_NaN()
                                                 : scenario.get(p.id));
      units.emplace_back(p.unit);
      scopes.emplace_back(p.scope == ParamScope::Global ? "global" : "regional");
    }
    table.index_dimension("parameter", keys.size(), "row of the parameter table", "1");
    table.strings("key", {"parameter"}, keys, "dotted scenario key");
    table.doubles("value", {"parameter"}, values, "resolved value, in the unit of the unit column", {});
    table.strings("unit", {"parameter"}, units, "unit of the value");
    table.strings("scope", {"parameter"}, scopes,
                  "global: one value for the world; regional: the world default, which regions may override");
  }

  // Every region's value of every regional parameter, overrides applied.
  {
    GroupWriter table(
        group.id(), "regional_values",
        "Resolved value of every regional parameter in every region (region overrides applied).", path);
    std::vector<std::string> keys;
    std::vector<Param> ids;
    for (const ParamSpec& p : param_table()) {
      if (p.scope != ParamScope::Regional || p.kind == ParamKind::Text) continue;
      keys.emplace_back(p.key);
      ids.push_back(p.id);
    }
    std::vector<double> values;
    for (const RegionSpec& region : scenario.regions)
      for (Param id : ids) values.push_back(region.values[id]);
    table.label_dimension("region", region_names(scenario), "region");
    table.index_dimension("parameter", keys.size(), "row of the regional parameter table", "1");
    table.strings("key", {"parameter"}, keys, "dotted scenario key");
    table.doubles("value", {"region", "parameter"}, values, "resolved value in the region, in the key's unit",
                  {});
  }

  {
    GroupWriter table(
        group.id(), "routes",
        "Routes: a person recruited in origin is exploited in destination with probability share.", path);
    std::vector<std::string> origins, destinations;
    std::vector<double> shares;
    std::vector<std::int64_t> transit;
    for (const RouteSpec& r : scenario.routes) {
      origins.push_back(scenario.regions.at(r.from).name);
      destinations.push_back(scenario.regions.at(r.to).name);
      shares.push_back(r.share);
      transit.push_back(r.transit_steps);
    }
    table.index_dimension("route", origins.size(), "row of the route table", "1");
    table.strings("origin", {"route"}, origins, "region where the person is recruited");
    table.strings("destination", {"route"}, destinations, "region where the person is exploited");
    table.doubles("share", {"route"}, shares, "probability that a recruit of origin is taken to destination",
                  "1");
    table.int64s("transit_steps", {"route"}, transit, "steps in transit before exploitation", "steps");
  }

  {
    GroupWriter table(
        group.id(), "interventions",
        "Interventions, one row per lever change: active for steps in [start_step, end_step), at "
        "full strength after ramp_steps.",
        path);
    std::vector<std::string> names, regions, keys, ops;
    std::vector<std::int64_t> indices, starts, ends, ramps;
    std::vector<double> values;
    for (std::size_t i = 0; i < scenario.interventions.size(); ++i) {
      const InterventionSpec& iv = scenario.interventions[i];
      for (const LeverChange& c : iv.changes) {
        names.push_back(iv.name);
        indices.push_back(static_cast<std::int64_t>(i));
        starts.push_back(iv.start_step);
        ends.push_back(iv.end_step);
        regions.push_back(iv.region < 0 ? std::string("all") : scenario.regions.at(iv.region).name);
        ramps.push_back(iv.ramp_steps);
        keys.emplace_back(spec(c.param).key);
        ops.emplace_back(c.op == LeverOp::Set ? "set" : "scale");
        values.push_back(c.value);
      }
    }
    table.index_dimension("change", names.size(), "row of the intervention table (one lever change)", "1");
    table.strings("name", {"change"}, names, "intervention name");
    table.int64s("intervention", {"change"}, indices,
                 "index of the intervention in the scenario (the event log's intervention column)", "1");
    table.int64s("start_step", {"change"}, starts, "first step the intervention is active", "steps");
    table.int64s("end_step", {"change"}, ends, "step at which the intervention ends (exclusive)", "steps");
    table.strings("region", {"change"}, regions, "region the intervention applies to, or all");
    table.int64s("ramp_steps", {"change"}, ramps, "steps to reach full strength", "steps");
    table.strings("key", {"change"}, keys, "scenario key of the lever");
    table.strings("op", {"change"}, ops,
                  "set: the lever takes value; scale: the lever is multiplied by value");
    table.doubles("value", {"change"}, values, "new value (set, in the key's unit) or factor (scale)", {});
  }
}

}  // namespace

std::string temporary_path_for(const std::string& final_path) {
  return final_path + ".partial-" + std::to_string(::getpid());
}

std::string incomplete_path_for(const std::string& final_path) { return final_path + ".incomplete"; }

struct RunFileWriter::Impl {
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

  // snapshots/: one dataset per snapshot field (snapshot_fields() order).
  std::vector<Handle> snapshot_sets;
  std::size_t snapshot_count = 0, persons = 0;

  std::uint64_t recording_bytes = 0;      // event log and snapshots written so far
  std::uint64_t max_recording_bytes = 0;  // 0 = no limit

  // Closes datasets before the file; returns false when closing the file
  // failed (it flushes what was still cached).
  bool close() {
    series_sets.clear();
    summary_sets.clear();
    run_complete.reset();
    event_rows.reset();
    event_columns.clear();
    first_event.reset();
    event_count.reset();
    snapshot_sets.clear();
    return file.close();
  }
};

namespace {

// One stored field of a table: an events/ column or a snapshots/ person
// field.
struct FieldSpec {
  const char* name;
  hid_t (*file_type)();
  const char* long_name;
  const char* units;  // empty for a categorical field (flag_values instead)
};

// The columns of events/, in file order.
hid_t i8() { return H5T_STD_I8LE; }
hid_t i16() { return H5T_STD_I16LE; }
hid_t i32() { return H5T_STD_I32LE; }
constexpr FieldSpec kEventColumns[] = {
    {"point", i32, "sweep point of the run the event belongs to", "1"},
    {"replicate", i32, "replicate of the run the event belongs to", "1"},
    {"step", i32, "step in which the event happened", "1"},
    {"kind", i8, "what happened (flag_meanings)", ""},
    {"person", i32, "person id (index into the persons of the run), -1 for a trafficker event", "1"},
    {"trafficker", i32, "trafficker id (index into the traffickers of the run), -1 when none", "1"},
    {"region", i16, "region where the event happened (flag_meanings; the series/ region labels)", ""},
    {"form", i8, "form of exploitation involved (flag_meanings; -1 NONE)", ""},
    {"channel", i8, "identification channel (flag_meanings; -1 NONE)", ""},
    {"intervention", i16,
     "index of the intervention responsible (scenario/interventions intervention column), -1 when none", "1"},
};
constexpr std::size_t kEventChunkRows = 1u << 16;

// The HDF5 types of a snapshot field (snapshot_fields.def): in the file
// (little-endian, as the other datasets) and in memory.
hid_t snapshot_file_type(const SnapshotField& field) {
  if (field.is_float) return field.value_bytes == 8 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
  switch (field.value_bytes) {
    case 1:
      return field.is_signed ? H5T_STD_I8LE : H5T_STD_U8LE;
    case 2:
      return field.is_signed ? H5T_STD_I16LE : H5T_STD_U16LE;
    case 4:
      return field.is_signed ? H5T_STD_I32LE : H5T_STD_U32LE;
    default:
      return field.is_signed ? H5T_STD_I64LE : H5T_STD_U64LE;
  }
}
hid_t snapshot_memory_type(const SnapshotField& field) {
  if (field.is_float) return field.value_bytes == 8 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;
  switch (field.value_bytes) {
    case 1:
      return field.is_signed ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8;
    case 2:
      return field.is_signed ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16;
    case 4:
      return field.is_signed ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32;
    default:
      return field.is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64;
  }
}

}  // namespace

std::string_view experiment_name(ExperimentKind kind) {
  switch (kind) {
    case ExperimentKind::Run:
      return "run";
    case ExperimentKind::Sweep:
      return "sweep";
    case ExperimentKind::Comparison:
      return "comparison";
  }
  return "run";
}

double estimate_recording_bytes(const Scenario& scenario, const Recording& recording, double events) {
  double bytes = 0;
  if (recording.events) bytes += events * static_cast<double>(kEventFileBytes);
  bytes += static_cast<double>(snapshot_count(scenario.steps(), recording.snapshot_every)) *
           scenario.get(Param::population_size) * static_cast<double>(Snapshots::kBytesPerPerson);
  return bytes;
}

namespace {

// The datasets and groups of a run file while its layout is created.
struct Layout {
  std::size_t points = 0, replicates = 0, steps = 0, regions = 0;
  std::size_t snapshot_count = 0, persons = 0;
  Handle file;
  std::unique_ptr<GroupWriter> series_group, summary_group, events_group, event_runs_group, snapshots_group;
  std::vector<Handle> series_sets, summary_sets, event_columns, snapshot_sets;
  Handle first_event, event_count;
};

// Creates a new run file at `file_path` with its whole layout: every
// attribute, the scenario, the coordinates, and every dataset sized for all
// runs, none written yet (campaign/run_complete all 0); then closes it.
// `parallel`: the per-run datasets get plain storage (GroupWriter::
// plain_storage()) so that several processes can write them.
void create_layout(const std::string& file_path, const std::string& path, const RunFileInfo& info,
                   const std::string& created) {
  const bool parallel = info.group != nullptr;
  const Scenario& first = info.points.front();
  Layout w;
  w.points = info.points.size();
  w.replicates = info.replicates;
  w.steps = static_cast<std::size_t>(first.steps());
  w.regions = first.regions.size();
  {
    Handle fcpl = group_creation_properties(path, H5P_FILE_CREATE);
    Handle fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create file access properties"),
                H5Pclose);
    // Closing the file closes everything in it, so an abandoned writer
    // never leaves objects (or the file descriptor) behind.
    h5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set the close degree");
    w.file = Handle(h5::check(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), path,
                              "cannot create the temporary file '" + file_path + "'"),
                    H5Fclose);
    const hid_t f = w.file.get();

    // Root attributes: identification, CF / ACDD discovery, provenance.
    const std::string name = first.name.empty() ? "unnamed" : first.name;
    h5::write_attribute(f, "format", std::string_view(kFormatName), path);
    h5::write_attribute(f, "format_version", std::int64_t{kFormatVersion}, path);
    h5::write_attribute(f, "Conventions", std::string_view("CF-1.8 ACDD-1.3"), path);
    h5::write_attribute(f, "title", "tipsim run: " + name, path);
    h5::write_attribute(f, "summary",
                        (first.description.empty() ? std::string() : first.description + " ") +
                            "Agent-based simulation of human trafficking and anti-trafficking policy: " +
                            std::to_string(w.points) + " point(s) x " + std::to_string(w.replicates) +
                            " replicate(s) of " + std::to_string(w.steps) + " steps.",
                        path);
    h5::write_attribute(f, "date_created", created, path);
    h5::write_attribute(f, "creator_name", std::string_view("tipsim"), path);
    h5::write_attribute(f, "product_version", std::string_view(version()), path);
    h5::write_attribute(
        f, "source",
        std::string("tipsim ") + version() + " agent-based model, source revision " + source_revision(),
        path);
    h5::write_attribute(f, "history", created + " " + info.command_line, path);
    h5::write_attribute(f, "program_version", std::string_view(version()), path);
    h5::write_attribute(f, "source_revision", std::string_view(source_revision()), path);
    h5::write_attribute(f, "created", created, path);
    h5::write_attribute(f, "command_line", info.command_line, path);
    h5::write_attribute(f, "scenario_name", first.name, path);
    h5::write_attribute(f, "seed", static_cast<std::int64_t>(first.seed()), path);
    h5::write_attribute(f, "steps", static_cast<std::int64_t>(w.steps), path);
    h5::write_attribute(f, "step_days", first.get(Param::scenario_step_days), path);
    h5::write_attribute(f, "burn_in_steps", first.get_int(Param::scenario_burn_in_steps), path);
    h5::write_attribute(f, "population_size", first.get_int(Param::population_size), path);
    h5::write_attribute(f, "population_scale", first.get(Param::population_scale), path);
    h5::write_attribute(f, "region_count", static_cast<std::int64_t>(w.regions), path);
    h5::write_attribute(f, "replicate_count", static_cast<std::int64_t>(w.replicates), path);
    h5::write_attribute(f, "point_count", static_cast<std::int64_t>(w.points), path);
    h5::write_attribute(f, "threads", static_cast<std::int64_t>(info.threads), path);
    h5::write_attribute(f, "mpi_ranks", static_cast<std::int64_t>(info.group ? info.group->size() : 1), path);
    h5::write_attribute(f, "experiment", experiment_name(info.experiment), path);
    h5::write_attribute(f, "event_log", std::int64_t{info.recording.events ? 1 : 0}, path);
    h5::write_attribute(f, "snapshot_every", static_cast<std::int64_t>(info.recording.snapshot_every), path);

    write_scenario_group(f, first, path);

    // series/: coordinates, then one dataset per metric.
    w.series_group = std::make_unique<GroupWriter>(
        f, "series",
        "Per-step figures of every replicate, one variable per metric, dimensions (point, replicate, step, "
        "region[, category]). Stocks are values at the end of the step, flows sums over the step.",
        path);
    GroupWriter& series = *w.series_group;
    if (parallel) series.plain_storage();
    series.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
    series.index_dimension("replicate", w.replicates, "replicate (independent random streams)", "1");
    series.index_dimension("step", w.steps, "step (0-based); step s covers days [s, s+1) x step_days", "1");
    {
      std::vector<double> days(w.steps);
      const double step_days = first.get(Param::scenario_step_days);
      for (std::size_t s = 0; s < w.steps; ++s) days[s] = static_cast<double>(s + 1) * step_days;
      // "day", not "days": xarray turns variables in "days" into timedelta64,
      // and analysts want plain numbers to plot against.
      series.doubles("time_days", {"step"}, days, "time since the start of the run at the end of the step",
                     "day");
    }
    series.label_dimension("region", region_names(first), "region");
    for (Axis axis : axes_used())
      series.label_dimension(std::string(axis_name(axis)).c_str(), to_strings(axis_labels(axis)),
                             axis_long_name(axis));
    write_point_labels(series, info);
    const std::string point_labels = point_label_names(info);
    const std::string series_coordinates = point_labels.empty() ? "time_days" : "time_days " + point_labels;

    for (const MetricSpec& m : metric_table()) {
      std::vector<std::string> dims = {"point", "replicate", "step", "region"};
      if (m.axis != Axis::None) dims.emplace_back(axis_name(m.axis));
      std::vector<std::size_t> shape = series.shape_of(dims);
      std::vector<std::size_t> chunk = shape;
      chunk[0] = chunk[1] = 1;
      const std::size_t step_bytes =
          8 * std::accumulate(chunk.begin() + 3, chunk.end(), std::size_t{1}, std::multiplies<>());
      chunk[2] = std::clamp<std::size_t>(kMaxChunkBytes / step_bytes, 1, std::max<std::size_t>(w.steps, 1));
      const std::string metric_name(m.name);
      Handle ds = series.create(metric_name.c_str(),
                                m.type == ValueType::Count ? H5T_STD_I64LE : H5T_IEEE_F64LE, shape, chunk);
      series.describe(ds.get(), m.long_name, m.units);
      h5::write_attribute(ds.get(), "cell_methods",
                          std::string_view(m.nature == Nature::Stock ? "step: point" : "step: sum"), path);
      h5::write_attribute(ds.get(), "layer", std::string_view(layer_name(m.layer)), path);
      h5::write_attribute(ds.get(), "coordinates", series_coordinates, path);
      series.attach(ds.get(), dims);
      w.series_sets.push_back(std::move(ds));
    }

    // summary/: one (point, replicate) variable per summary figure.
    w.summary_group = std::make_unique<GroupWriter>(
        f, "summary",
        "Per-run summary figures, dimensions (point, replicate), computed after the burn-in "
        "(root attribute burn_in_steps).",
        path);
    GroupWriter& summary = *w.summary_group;
    if (parallel) summary.plain_storage();
    summary.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
    summary.index_dimension("replicate", w.replicates, "replicate (independent random streams)", "1");
    write_point_labels(summary, info);
    for (const SummarySpec& s : summary_table()) {
      const std::string summary_name(s.name);
      Handle ds =
          summary.create(summary_name.c_str(), H5T_IEEE_F64LE, summary.shape_of({"point", "replicate"}));
      summary.describe(ds.get(), s.long_name, s.units);
      h5::write_attribute(ds.get(), "layer", std::string_view(layer_name(s.layer)), path);
      if (!point_labels.empty()) h5::write_attribute(ds.get(), "coordinates", point_labels, path);
      summary.attach(ds.get(), {"point", "replicate"});
      w.summary_sets.push_back(std::move(ds));
    }

    // sweep/: what each point is.
    {
      GroupWriter sweep(f, "sweep",
                        "What each point is: its fully resolved scenario, and for a sweep the value of each "
                        "varied key (one variable per key, named by the key), for a comparison its arm.",
                        path);
      sweep.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
      std::vector<std::string> tomls;
      for (const Scenario& p : info.points) tomls.push_back(resolved_toml(p));
      sweep.strings("resolved_toml", {"point"}, tomls, "fully resolved scenario of each point as TOML");
      std::string definition;
      for (const VaryAxis& axis : info.sweep_axes) definition += axis.definition + "\n";
      sweep.text("definition", definition,
                 "the tipsim sweep --vary arguments, one per line (empty unless a sweep); the first varies "
                 "slowest");
      write_point_labels(sweep, info);
    }

    if (info.recording.events) {
      w.events_group = std::make_unique<GroupWriter>(
          f, "events",
          "Event log: one row per event, in the order the model recorded them (by point, replicate and "
          "step, then in the model's fixed order within a step). Categorical columns have flag_values and "
          "flag_meanings.",
          path);
      GroupWriter& events = *w.events_group;
      events.growing_dimension("event", kEventChunkRows, "row of the event log");
      for (const FieldSpec& c : kEventColumns) {
        Handle ds =
            events.growing_column(c.name, "event", c.file_type(), kEventChunkRows, c.long_name, c.units);
        const std::string name = c.name;
        if (name == "kind")
          write_categories<std::int8_t>(ds.get(), H5T_STD_I8LE, H5T_NATIVE_INT8, event_kind_names(), false,
                                        path);
        if (name == "region")
          write_categories<std::int16_t>(ds.get(), H5T_STD_I16LE, H5T_NATIVE_INT16, region_names(first),
                                         false, path);
        if (name == "form")
          write_categories<std::int8_t>(ds.get(), H5T_STD_I8LE, H5T_NATIVE_INT8,
                                        to_strings(axis_labels(Axis::Form)), true, path);
        if (name == "channel")
          write_categories<std::int8_t>(ds.get(), H5T_STD_I8LE, H5T_NATIVE_INT8,
                                        to_strings(axis_labels(Axis::Channel)), true, path);
        w.event_columns.push_back(std::move(ds));
      }
      w.event_runs_group = std::make_unique<GroupWriter>(
          events.id(), "runs",
          "Where each run's events are in the event log: rows first_event to first_event + event_count - 1.",
          path);
      GroupWriter& runs = *w.event_runs_group;
      runs.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
      runs.index_dimension("replicate", w.replicates, "replicate (independent random streams)", "1");
      w.first_event = runs.create("first_event", H5T_STD_I64LE, runs.shape_of({"point", "replicate"}));
      runs.describe(w.first_event.get(), "row of the run's first event in the event log", "1");
      runs.attach(w.first_event.get(), {"point", "replicate"});
      w.event_count = runs.create("event_count", H5T_STD_I64LE, runs.shape_of({"point", "replicate"}));
      runs.describe(w.event_count.get(), "number of events of the run", "1");
      runs.attach(w.event_count.get(), {"point", "replicate"});
    }

    if (info.recording.snapshot_every > 0) {
      w.snapshots_group = std::make_unique<GroupWriter>(
          f, "snapshots",
          "Every person's fields at the end of every snapshot_every-th step, dimensions (point, replicate, "
          "snapshot, person).",
          path);
      GroupWriter& snapshots = *w.snapshots_group;
      if (parallel) snapshots.plain_storage();
      w.snapshot_count = snapshot_count(first.steps(), info.recording.snapshot_every);
      w.persons = static_cast<std::size_t>(first.get_int(Param::population_size));
      snapshots.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
      snapshots.index_dimension("replicate", w.replicates, "replicate (independent random streams)", "1");
      snapshots.index_dimension("snapshot", w.snapshot_count, "snapshot (0-based)", "1");
      snapshots.index_dimension("person", w.persons, "person id", "1");
      {
        std::vector<std::int64_t> steps(w.snapshot_count);
        std::vector<double> days(w.snapshot_count);
        const double step_days = first.get(Param::scenario_step_days);
        for (std::size_t k = 0; k < w.snapshot_count; ++k) {
          steps[k] = static_cast<std::int64_t>(
              (k + 1) * static_cast<std::size_t>(info.recording.snapshot_every) - 1);
          days[k] = static_cast<double>(steps[k] + 1) * step_days;
        }
        snapshots.int64s("snapshot_step", {"snapshot"}, steps, "step at whose end the snapshot was taken",
                         "1");
        snapshots.doubles("time_days", {"snapshot"}, days, "time since the start of the run at the snapshot",
                          "day");
      }
      const std::vector<std::string> dims = {"point", "replicate", "snapshot", "person"};
      for (const SnapshotField& field : snapshot_fields()) {
        std::vector<std::size_t> shape = snapshots.shape_of(dims);
        const std::size_t element = H5Tget_size(snapshot_file_type(field));
        std::vector<std::size_t> chunk = {
            1, 1, 1,
            std::clamp<std::size_t>(kMaxChunkBytes / element, 1, std::max<std::size_t>(w.persons, 1))};
        Handle ds = snapshots.create(field.name, snapshot_file_type(field), shape, chunk);
        snapshots.describe(ds.get(), field.long_name, field.units);
        h5::write_attribute(ds.get(), "coordinates", std::string_view("snapshot_step time_days"), path);
        const std::string name = field.name;
        if (name == "state")
          write_categories<std::uint8_t>(ds.get(), H5T_STD_U8LE, H5T_NATIVE_UINT8,
                                         to_strings(axis_labels(Axis::State)), false, path);
        if (name == "region" || name == "home_region")
          write_categories<std::uint8_t>(ds.get(), H5T_STD_U8LE, H5T_NATIVE_UINT8, region_names(first), false,
                                         path);
        if (name == "market") write_market_flags(ds.get(), path);
        if (name == "flags") {
          std::vector<std::uint8_t> masks;
          for (std::size_t bit = 0; bit < person_flag_names().size(); ++bit)
            masks.push_back(static_cast<std::uint8_t>(1u << bit));
          h5::write_array_attribute(ds.get(), "flag_masks", H5T_STD_U8LE, H5T_NATIVE_UINT8, masks.data(),
                                    masks.size(), path);
          h5::write_attribute(ds.get(), "flag_meanings", flag_meanings(person_flag_names()), path);
        }
        snapshots.attach(ds.get(), dims);
        w.snapshot_sets.push_back(std::move(ds));
      }
    }

    // campaign/: which runs the file holds, for resuming.
    {
      GroupWriter campaign(
          w.file.get(), "campaign",
          "Which (point, replicate) runs the file holds: run_complete is 1 for each run whose results are in "
          "the file. A finished file holds them all; an unfinished one (FILE.incomplete, kept by an "
          "interrupted run, or FILE.partial-PID, left by a killed one) is finished by the command that made "
          "it with --resume.",
          path);
      campaign.plain_storage();
      campaign.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
      campaign.index_dimension("replicate", w.replicates, "replicate (independent random streams)", "1");
      Handle ds = campaign.create("run_complete", H5T_STD_I8LE, campaign.shape_of({"point", "replicate"}));
      const std::vector<std::int8_t> none(w.points * w.replicates, 0);
      write_block(ds.get(), H5T_NATIVE_INT8, none.data(), {0, 0}, {w.points, w.replicates}, path,
                  "cannot write 'campaign/run_complete'");
      campaign.describe(ds.get(), "1 when the run's results are in the file, 0 when it is still to be run",
                        "1");
      const std::int8_t flags[] = {0, 1};
      h5::write_array_attribute(ds.get(), "flag_values", H5T_STD_I8LE, H5T_NATIVE_INT8, flags, 2, path);
      h5::write_attribute(ds.get(), "flag_meanings", std::string_view("missing complete"), path);
      campaign.attach(ds.get(), {"point", "replicate"});
    }
  }
  // Datasets and groups close before the file, which then flushes.
  w.series_sets.clear();
  w.summary_sets.clear();
  w.event_columns.clear();
  w.snapshot_sets.clear();
  w.first_event.reset();
  w.event_count.reset();
  w.series_group.reset();
  w.summary_group.reset();
  w.event_runs_group.reset();
  w.events_group.reset();
  w.snapshots_group.reset();
  if (!w.file.close()) h5::fail(path, "cannot write the temporary file '" + file_path + "'");
}

// Checks that an unfinished run file is one of the experiment `info`
// describes, so that resuming it completes it exactly. Throws FormatError
// naming the first difference.
void check_resumable(const RunFileContents& file, const std::string& from, const RunFileInfo& info) {
  auto refuse = [&](const std::string& why) {
    throw FormatError(from + ": cannot resume it with this command: " + why);
  };
  if (file.run_complete.empty())
    refuse(
        "it records no completed runs (a file from an older tipsim, which finished or was never resumable)");
  if (file.event_log)
    refuse("it has an event log, which is kept in run order and cannot be resumed; run it again");
  if (file.experiment != info.experiment)
    refuse("it is a " + std::string(experiment_name(file.experiment)) + "; this command makes a " +
           std::string(experiment_name(info.experiment)));
  if (file.point_resolved_toml.size() != info.points.size())
    refuse("it has " + std::to_string(file.point_resolved_toml.size()) + " points; this command runs " +
           std::to_string(info.points.size()));
  if (file.dimension("replicate") != info.replicates)
    refuse("it has " + std::to_string(file.dimension("replicate")) +
           " replicates per point; this command runs " + std::to_string(info.replicates));
  if (file.snapshot_every != std::max(0, info.recording.snapshot_every))
    refuse("it takes snapshots every " + std::to_string(file.snapshot_every) + " steps; this command every " +
           std::to_string(info.recording.snapshot_every) + " (0: none)");
  if (info.recording.events) refuse("--events cannot be resumed; leave it out");
  for (std::size_t p = 0; p < info.points.size(); ++p) {
    const std::string ours = resolved_toml(info.points[p]);
    const std::string& theirs = file.point_resolved_toml[p];
    if (ours == theirs) continue;
    // The first line that differs says which key.
    std::size_t at = 0;
    while (at < ours.size() && at < theirs.size() && ours[at] == theirs[at]) ++at;
    auto line_at = [](const std::string& text, std::size_t at) {
      const std::size_t begin = text.rfind('\n', at == 0 ? 0 : at - 1);
      const std::size_t start = begin == std::string::npos ? 0 : begin + 1;
      return text.substr(start, text.find('\n', start) - start);
    };
    refuse("point " + std::to_string(p) + "'s scenario differs: the file has '" + line_at(theirs, at) +
           "' where this command has '" + line_at(ours, at) + "'");
  }
  if (info.experiment == ExperimentKind::Comparison && file.arm_names != info.arm_names)
    refuse("its arms are named differently");
}

// comparison/: the paired effects of every arm against the baseline (point
// 0), from every run's summaries (by run index).
void write_comparison(hid_t file, const std::string& path, const std::vector<std::string>& arm_names,
                      std::size_t replicates, const std::vector<std::vector<double>>& summaries) {
  struct {
    std::size_t points, replicates;
    const std::vector<std::string>& arm_names;
    const std::vector<std::vector<double>>& summaries;
  } w{arm_names.size(), replicates, arm_names, summaries};
  GroupWriter group(
      file, "comparison",
      "Paired effects of each arm against the baseline (point 0), measured after the burn-in. Arms "
      "ran on the same random streams per replicate, so replicate r of an arm is paired with "
      "replicate r of the baseline. For each effect E: E(arm, replicate) the paired value, "
      "E_mean, E_ci_low and E_ci_high(arm) its mean and 95 % t-interval over replicates.",
      path);
  h5::write_attribute(group.id(), "baseline", w.arm_names.front(), path);
  h5::write_attribute(group.id(), "confidence_level", 0.95, path);
  const std::vector<std::string> arms(w.arm_names.begin() + 1, w.arm_names.end());
  group.label_dimension("arm", arms, "policy arm compared with the baseline");
  group.index_dimension("replicate", w.replicates,
                        "replicate (the pair: the same random streams in both arms)", "1");
  std::vector<std::int64_t> points(arms.size());
  std::iota(points.begin(), points.end(), 1);
  group.int64s("arm_point", {"arm"}, points, "point of the arm in series/ and summary/", "1");

  const std::size_t effects = effect_table().size();
  std::vector<std::vector<double>> paired(effects), mean(effects), low(effects), high(effects);
  const auto baseline = std::span(w.summaries).subspan(0, w.replicates);
  for (std::size_t a = 1; a < w.points; ++a) {
    const ArmEffects e =
        paired_effects(baseline, std::span(w.summaries).subspan(a * w.replicates, w.replicates));
    for (std::size_t k = 0; k < effects; ++k) {
      paired[k].insert(paired[k].end(), e.paired[k].begin(), e.paired[k].end());
      mean[k].push_back(e.estimate[k].mean);
      low[k].push_back(e.estimate[k].ci_low);
      high[k].push_back(e.estimate[k].ci_high);
    }
  }
  for (std::size_t k = 0; k < effects; ++k) {
    const EffectSpec& e = effect_table()[k];
    const std::string name(e.name);
    const bool cost = e.sign == EffectSign::CostPerAverted;
    group.doubles(name.c_str(), {"arm", "replicate"}, paired[k],
                  cost ? std::string(e.long_name) + ", per replicate pair (NaN when the pair averts none)"
                       : std::string(e.long_name) + ", per replicate pair",
                  e.units);
    group.doubles((name + "_mean").c_str(), {"arm"}, mean[k],
                  cost ? std::string(e.long_name) +
                             ": ratio of means, mean extra spending over mean victim-years averted (NaN when "
                             "the mean averted is not positive)"
                       : std::string(e.long_name) + ": mean over replicate pairs",
                  e.units);
    group.doubles((name + "_ci_low").c_str(), {"arm"}, low[k],
                  std::string(e.long_name) + ": lower bound of the 95 % interval", e.units);
    group.doubles((name + "_ci_high").c_str(), {"arm"}, high[k],
                  std::string(e.long_name) + ": upper bound of the 95 % interval", e.units);
  }
}

}  // namespace

namespace {

void copy_into_new_layout(const std::string& file_path, const std::string& path, const RunFileInfo& info,
                          bool recorded_runs_only = false);

// Whether a per-run dataset is compressed (a file written by one process)
// rather than plain (laid out for several).
bool is_compressed(hid_t dataset, const std::string& path) {
  Handle dcpl(h5::check(H5Dget_create_plist(dataset), path, "cannot read a dataset's layout"), H5Pclose);
  return H5Pget_nfilters(dcpl.get()) > 0;
}

// The same, of a file's first series.
bool has_compressed_runs(const std::string& file_path, const std::string& path) {
  Handle file(h5::check(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path,
                        "cannot open '" + file_path + "'"),
              H5Fclose);
  const std::string name = "series/" + std::string(metric_table().front().name);
  Handle ds(h5::check(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), path, "cannot open '" + name + "'"),
            H5Dclose);
  return is_compressed(ds.get(), path);
}

}  // namespace

std::string free_incomplete_path_for(const std::string& final_path) {
  std::error_code ec;
  std::string path = incomplete_path_for(final_path);
  for (int copy = 2; std::filesystem::exists(path, ec); ++copy)
    path = incomplete_path_for(final_path) + "-" + std::to_string(copy);
  return path;
}

RunFileWriter::RunFileWriter(const std::string& final_path, const RunFileInfo& info,
                             const std::string& resume_from)
    : final_path_(final_path),
      temporary_path_(temporary_path_for(final_path)),
      impl_(std::make_unique<Impl>()) {
  if (info.points.empty()) throw std::invalid_argument("run file: no scenario points to write");
  if (info.replicates == 0) throw std::invalid_argument("run file: replicates must be at least 1");
  const Scenario& first = info.points.front();
  for (const Scenario& p : info.points) {
    if (p.steps() != first.steps() || region_names(p) != region_names(first))
      throw std::invalid_argument("run file: every sweep point must have the same steps and regions");
    if (info.recording.snapshot_every > 0 &&
        p.get(Param::population_size) != first.get(Param::population_size))
      throw std::invalid_argument("run file: snapshots need every point to have the same population.size");
  }
  if (info.experiment == ExperimentKind::Comparison && info.arm_names.size() != info.points.size())
    throw std::invalid_argument("run file: a comparison needs one arm name per point");
  if (info.experiment != ExperimentKind::Sweep && !info.sweep_axes.empty())
    throw std::invalid_argument("run file: only a sweep has sweep axes");
  if (info.recording.snapshot_every < 0) throw std::invalid_argument("run file: negative snapshot interval");
  if (info.group != nullptr && info.recording.events)
    throw std::invalid_argument("run file: an event log cannot be written by several processes");

  Impl& w = *impl_;
  w.path = final_path;
  w.group = info.group;
  w.points = info.points.size();
  w.replicates = info.replicates;
  w.steps = static_cast<std::size_t>(first.steps());
  w.regions = first.regions.size();
  w.written.assign(w.points * w.replicates, false);
  w.experiment = info.experiment;
  w.arm_names = info.arm_names;
  w.summaries.resize(w.points * w.replicates);
  w.max_recording_bytes = info.max_recording_bytes;
  w.info = info;
  w.info.group = nullptr;
  if (info.recording.snapshot_every > 0) {
    w.snapshot_count = snapshot_count(first.steps(), info.recording.snapshot_every);
    w.persons = static_cast<std::size_t>(first.get_int(Param::population_size));
  }
  const WriterGroup* group = info.group;
  // Every process names the same file, and records the same time.
  std::string created = iso8601_utc_now();
  if (group) {
    temporary_path_ = group->broadcast(temporary_path_);
    created = group->broadcast(created);
  }

  // One process prepares the file: creates its layout, or checks and takes
  // over the file to resume. Its outcome ("" or the kind and text of its
  // error) goes to every process, so that all fail alike.
  std::string outcome;
  if (!group || group->rank() == 0) {
    try {
      h5::QuietErrors quiet;
      if (resume_from.empty()) {
        create_layout(temporary_path_, final_path_, info, created);
      } else {
        std::error_code ec;
        if (!std::filesystem::exists(resume_from, ec))
          throw FormatError(resume_from + ": cannot resume it: no such file");
        check_resumable(read_unfinished_run_file(resume_from), resume_from, info);
        if (std::rename(resume_from.c_str(), temporary_path_.c_str()) != 0) {
          const int error = errno;
          throw OutputError(resume_from + ": cannot take it over to resume it: " + errno_text(error));
        }
        // Provenance: the command that completed the file, after the one that began it.
        try {
          Handle file(h5::check(H5Fopen(temporary_path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), final_path_,
                                "cannot open the file to resume '" + temporary_path_ + "'"),
                      H5Fclose);
          const std::string history = h5::read_string_attribute(file.get(), "history", final_path_);
          h5::write_attribute(file.get(), "history",
                              history + "\n" + created + " " + info.command_line + " (resumed)", final_path_);
          if (!file.close())
            h5::fail(final_path_, "cannot write the file to resume '" + temporary_path_ + "'");
          // Only the recorded runs go on, in a new layout: a file left by a
          // killed process may have metadata that reads but can no longer be
          // written to (killed while HDF5 wrote its structure), and a file
          // begun by one process is compressed, while ranks need it plain.
          // A job's own plain file is consistent at any moment and is kept.
          if (!group || has_compressed_runs(temporary_path_, final_path_))
            copy_into_new_layout(temporary_path_, final_path_, info, true);
        } catch (...) {
          std::rename(temporary_path_.c_str(), resume_from.c_str());
          throw;
        }
      }
    } catch (const FormatError& e) {
      outcome = std::string("F") + e.what();
    } catch (const OutputError& e) {
      outcome = std::string("O") + e.what();
    } catch (const std::exception& e) {
      outcome = std::string("E") + e.what();
    }
  }
  if (group) outcome = group->broadcast(outcome);
  if (!outcome.empty()) {
    impl_.reset();  // nothing of the file is held; a new file was removed where made
    if (resume_from.empty() && (!group || group->rank() == 0)) ::unlink(temporary_path_.c_str());
    const std::string message = outcome.substr(1);
    if (outcome[0] == 'F') throw FormatError(message);
    if (outcome[0] == 'O') throw OutputError(message);
    throw std::runtime_error(message);
  }
  impl_->taken_over = !resume_from.empty();
  try {
    open_for_runs(info);
  } catch (...) {
    abandon();
    throw;
  }
}

void RunFileWriter::open_for_runs(const RunFileInfo& info) {
  h5::QuietErrors quiet;
  Impl& w = *impl_;
  const std::string& path = w.path;
  Handle fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create file access properties"), H5Pclose);
  // Closing the file closes everything in it, so an abandoned writer never
  // leaves objects (or the file descriptor) behind.
  h5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set the close degree");
  if (w.group) w.group->use_parallel_io(static_cast<std::int64_t>(fapl.get()));
  w.file = Handle(h5::check(H5Fopen(temporary_path_.c_str(), H5F_ACC_RDWR, fapl.get()), path,
                            "cannot open the temporary file '" + temporary_path_ + "'"),
                  H5Fclose);
  const hid_t f = w.file.get();
  // Every chunk is written whole, once: caching it would only hold memory
  // (1 MiB per dataset by default) until the file is closed.
  Handle dapl(h5::check(H5Pcreate(H5P_DATASET_ACCESS), path, "cannot create dataset access properties"),
              H5Pclose);
  h5::check_status(H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, 1.0), path,
                   "cannot set the chunk cache");
  auto open = [&](const std::string& name, hid_t access = H5P_DEFAULT) {
    return Handle(h5::check(H5Dopen2(f, name.c_str(), access), path, "cannot open dataset '" + name + "'"),
                  H5Dclose);
  };
  for (const MetricSpec& m : metric_table())
    w.series_sets.push_back(open("series/" + std::string(m.name), dapl.get()));
  for (const SummarySpec& s : summary_table())
    w.summary_sets.push_back(open("summary/" + std::string(s.name)));
  w.run_complete = open("campaign/run_complete");
  // Laid out for several processes (now, or by the job that began a
  // resumed file): compressed at commit (copy_into_new_layout()).
  w.plain = w.group != nullptr || !is_compressed(w.series_sets.front().get(), path);
  if (info.recording.events) {
    w.event_rows = open("events/event");
    for (const FieldSpec& c : kEventColumns) w.event_columns.push_back(open("events/" + std::string(c.name)));
    w.first_event = open("events/runs/first_event");
    w.event_count = open("events/runs/event_count");
  }
  if (info.recording.snapshot_every > 0)
    for (const SnapshotField& field : snapshot_fields())
      w.snapshot_sets.push_back(open("snapshots/" + std::string(field.name), dapl.get()));

  // What the file already holds (a resumed file): its runs and their summaries.
  const std::size_t runs = w.points * w.replicates;
  std::vector<std::uint8_t> complete(runs);
  h5::check_status(
      H5Dread(w.run_complete.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, complete.data()), path,
      "cannot read 'campaign/run_complete'");
  std::vector<std::vector<double>> summary_values(summary_table().size(), std::vector<double>(runs));
  for (std::size_t i = 0; i < summary_values.size(); ++i)
    h5::check_status(H5Dread(w.summary_sets[i].get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             summary_values[i].data()),
                     path, "cannot read the summaries");
  for (std::size_t run = 0; run < runs; ++run) {
    if (complete[run] != 1) continue;
    w.written[run] = true;
    ++w.written_count;
    w.summaries[run].resize(summary_values.size());
    for (std::size_t i = 0; i < summary_values.size(); ++i) w.summaries[run][i] = summary_values[i][run];
  }
  w.resumed = w.written_count;
}

std::vector<std::size_t> RunFileWriter::missing_runs() const {
  std::vector<std::size_t> runs;
  if (!impl_) return runs;
  for (std::size_t run = 0; run < impl_->written.size(); ++run)
    if (!impl_->written[run]) runs.push_back(run);
  return runs;
}

std::size_t RunFileWriter::resumed_runs() const { return impl_ ? impl_->resumed : 0; }

bool RunFileWriter::holds_every_run() {
  if (!impl_) return false;
  gather_runs();
  return impl_->written_count == impl_->written.size();
}

void RunFileWriter::consume(ReplicateResult&& result) {
  if (!impl_) throw std::logic_error("run file: consume after commit");
  Impl& w = *impl_;
  if (w.failed) throw std::logic_error("run file: consume after a failure");
  if (result.point >= w.points || result.replicate >= w.replicates)
    throw std::invalid_argument("run file: (point " + std::to_string(result.point) + ", replicate " +
                                std::to_string(result.replicate) + ") is outside the file's " +
                                std::to_string(w.points) + " x " + std::to_string(w.replicates));
  const std::size_t slot = result.point * w.replicates + result.replicate;
  if (w.written[slot])
    throw std::invalid_argument("run file: (point " + std::to_string(result.point) + ", replicate " +
                                std::to_string(result.replicate) + ") is already in the file");
  if (result.series.steps() != w.steps || result.series.layout().regions() != w.regions)
    throw std::invalid_argument("run file: series of " + std::to_string(result.series.steps()) + " steps x " +
                                std::to_string(result.series.layout().regions()) + " regions, file expects " +
                                std::to_string(w.steps) + " x " + std::to_string(w.regions));
  if (result.summary.size() != summary_table().size())
    throw std::invalid_argument("run file: " + std::to_string(result.summary.size()) +
                                " summary values, expected " + std::to_string(summary_table().size()));
  if (!w.snapshot_sets.empty() && (result.snapshots.count() != w.snapshot_count ||
                                   (w.snapshot_count > 0 && result.snapshots.persons != w.persons)))
    throw std::invalid_argument("run file: " + std::to_string(result.snapshots.count()) + " snapshots of " +
                                std::to_string(result.snapshots.persons) + " persons, file expects " +
                                std::to_string(w.snapshot_count) + " of " + std::to_string(w.persons));

  // The limit is checked before anything of this run is written, so the
  // file never holds more than it was allowed.
  const std::uint64_t recording_bytes =
      (w.event_rows.valid() ? result.events.size() * kEventFileBytes : 0) +
      (!w.snapshot_sets.empty() ? w.snapshot_count * w.persons * Snapshots::kBytesPerPerson : 0);
  if (w.max_recording_bytes > 0 && w.recording_bytes + recording_bytes > w.max_recording_bytes) {
    w.failed = true;
    throw OutputError(w.path + ": the event log and snapshots grew past the --max-output limit of " +
                      std::to_string(w.max_recording_bytes) + " bytes at (point " +
                      std::to_string(result.point) + ", replicate " + std::to_string(result.replicate) +
                      "), more than estimated; raise --max-output or record less");
  }

  try {
    h5::QuietErrors quiet;
    const std::string& path = w.path;
    for (const MetricSpec& m : metric_table()) {
      const hid_t ds = w.series_sets[static_cast<std::size_t>(m.id)].get();
      const std::size_t categories = axis_size(m.axis);
      std::vector<hsize_t> start = {result.point, result.replicate, 0, 0};
      std::vector<hsize_t> count = {1, 1, w.steps, w.regions};
      if (m.axis != Axis::None) {
        start.push_back(0);
        count.push_back(categories);
      }
      result.series.extract(m.id, w.values);
      const std::string what = "cannot write series '" + std::string(m.name) + "'";
      Handle file_space(h5::check(H5Dget_space(ds), path, what), H5Sclose);
      h5::check_status(
          H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
          path, what);
      Handle memory_space(
          h5::check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), path, what),
          H5Sclose);
      if (m.type == ValueType::Count) {
        // Counts are whole numbers held in doubles; store them exactly.
        w.counts.resize(w.values.size());
        std::transform(w.values.begin(), w.values.end(), w.counts.begin(),
                       [](double v) { return static_cast<std::int64_t>(std::llround(v)); });
        h5::check_status(H5Dwrite(ds, H5T_NATIVE_INT64, memory_space.get(), file_space.get(), H5P_DEFAULT,
                                  w.counts.data()),
                         path, what);
      } else {
        h5::check_status(H5Dwrite(ds, H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(), H5P_DEFAULT,
                                  w.values.data()),
                         path, what);
      }
    }

    const hsize_t start[2] = {result.point, result.replicate};
    const hsize_t count[2] = {1, 1};
    Handle memory_space(h5::check(H5Screate_simple(2, count, nullptr), path, "cannot write summaries"),
                        H5Sclose);
    for (std::size_t i = 0; i < w.summary_sets.size(); ++i) {
      const hid_t ds = w.summary_sets[i].get();
      const std::string what = "cannot write summary '" + std::string(summary_table()[i].name) + "'";
      Handle file_space(h5::check(H5Dget_space(ds), path, what), H5Sclose);
      h5::check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
                       path, what);
      h5::check_status(H5Dwrite(ds, H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(), H5P_DEFAULT,
                                &result.summary[i]),
                       path, what);
    }
    if (w.event_rows.valid()) write_events(result);
    if (!w.snapshot_sets.empty()) write_snapshots(result);
    if (w.group) {
      // Alone with its own runs, a process records each as soon as its data
      // are written: with plain storage, writing data changes no metadata,
      // so whatever stops the job, a run recorded complete is in the file.
      const std::int8_t one = 1;
      write_block(w.run_complete.get(), H5T_NATIVE_INT8, &one, {result.point, result.replicate}, {1, 1}, path,
                  "cannot write 'campaign/run_complete'");
    } else {
      w.unrecorded.push_back(slot);
    }
  } catch (...) {
    w.failed = true;
    throw;
  }
  w.written[slot] = true;
  ++w.written_count;
  w.mine.push_back(slot);
  w.recording_bytes += recording_bytes;
  w.summaries[slot] = std::move(result.summary);
  checkpoint(false);
}

// Alone, the file's metadata (chunk indexes, the event log's extent) change
// as runs are written, so runs are recorded complete only after a flush has
// put their data and that metadata on disk: a killed run's file then holds
// at least the runs it records. Flushing costs, so it happens at most once
// a second (and always when forced).
void RunFileWriter::checkpoint(bool force) {
  Impl& w = *impl_;
  if (w.group || w.unrecorded.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - w.last_checkpoint < std::chrono::seconds(1)) return;
  h5::QuietErrors quiet;
  try {
    h5::check_status(H5Fflush(w.file.get(), H5F_SCOPE_LOCAL), w.path,
                     "cannot flush the temporary file '" + temporary_path_ + "'");
    // On disk, not only handed to the system: a power cut after the flags
    // below must not find flags without their data.
    void* handle = nullptr;
    if (H5Fget_vfd_handle(w.file.get(), H5P_DEFAULT, &handle) >= 0 && handle != nullptr &&
        ::fsync(*static_cast<int*>(handle)) != 0) {
      const int error = errno;
      throw OutputError(w.path + ": cannot sync the temporary file '" + temporary_path_ +
                        "': " + errno_text(error));
    }
    const std::int8_t one = 1;
    for (const std::size_t slot : w.unrecorded)
      write_block(w.run_complete.get(), H5T_NATIVE_INT8, &one, {slot / w.replicates, slot % w.replicates},
                  {1, 1}, w.path, "cannot write 'campaign/run_complete'");
    w.unrecorded.clear();
    h5::check_status(H5Fflush(w.file.get(), H5F_SCOPE_LOCAL), w.path,
                     "cannot flush the temporary file '" + temporary_path_ + "'");
  } catch (...) {
    w.failed = true;
    throw;
  }
  w.last_checkpoint = now;
}

void RunFileWriter::write_events(const ReplicateResult& result) {
  Impl& w = *impl_;
  const std::string& path = w.path;
  const std::vector<Event>& events = result.events;
  const std::size_t n = events.size();
  // One column at a time, through one buffer per element width.
  std::vector<std::int64_t> rows(n);
  std::vector<std::int32_t> i32s(n);
  std::vector<std::int16_t> i16s(n);
  std::vector<std::int8_t> i8s(n);
  const std::string what = "cannot write the event log";
  std::iota(rows.begin(), rows.end(), static_cast<std::int64_t>(w.events_written));
  append_rows(w.event_rows.get(), H5T_NATIVE_INT64, rows.data(), w.events_written, n, path, what);
  for (std::size_t c = 0; c < std::size(kEventColumns); ++c) {
    const std::string name = kEventColumns[c].name;
    const hid_t ds = w.event_columns[c].get();
    auto fill32 = [&](auto get) {
      for (std::size_t i = 0; i < n; ++i) i32s[i] = get(events[i]);
      append_rows(ds, H5T_NATIVE_INT32, i32s.data(), w.events_written, n, path, what);
    };
    auto fill16 = [&](auto get) {
      for (std::size_t i = 0; i < n; ++i) i16s[i] = get(events[i]);
      append_rows(ds, H5T_NATIVE_INT16, i16s.data(), w.events_written, n, path, what);
    };
    auto fill8 = [&](auto get) {
      for (std::size_t i = 0; i < n; ++i) i8s[i] = get(events[i]);
      append_rows(ds, H5T_NATIVE_INT8, i8s.data(), w.events_written, n, path, what);
    };
    if (name == "point") fill32([&](const Event&) { return static_cast<std::int32_t>(result.point); });
    if (name == "replicate")
      fill32([&](const Event&) { return static_cast<std::int32_t>(result.replicate); });
    if (name == "step") fill32([](const Event& e) { return e.step; });
    if (name == "kind") fill8([](const Event& e) { return static_cast<std::int8_t>(e.kind); });
    if (name == "person") fill32([](const Event& e) { return e.person; });
    if (name == "trafficker") fill32([](const Event& e) { return e.trafficker; });
    if (name == "region") fill16([](const Event& e) { return e.region; });
    if (name == "form") fill8([](const Event& e) { return e.form; });
    if (name == "channel") fill8([](const Event& e) { return e.channel; });
    if (name == "intervention") fill16([](const Event& e) { return e.intervention; });
  }
  const std::int64_t first = static_cast<std::int64_t>(w.events_written),
                     count = static_cast<std::int64_t>(n);
  write_block(w.first_event.get(), H5T_NATIVE_INT64, &first, {result.point, result.replicate}, {1, 1}, path,
              what);
  write_block(w.event_count.get(), H5T_NATIVE_INT64, &count, {result.point, result.replicate}, {1, 1}, path,
              what);
  w.events_written += n;
}

void RunFileWriter::write_snapshots(const ReplicateResult& result) {
  Impl& w = *impl_;
  if (w.snapshot_count == 0 || w.persons == 0) return;
  const Snapshots& s = result.snapshots;
  const std::vector<hsize_t> start = {result.point, result.replicate, 0, 0};
  const std::vector<hsize_t> count = {1, 1, w.snapshot_count, w.persons};
  const std::span<const SnapshotField> fields = snapshot_fields();
  for (std::size_t f = 0; f < fields.size(); ++f) {
    const std::string what = "cannot write snapshots '" + std::string(fields[f].name) + "'";
    write_block(w.snapshot_sets[f].get(), snapshot_memory_type(fields[f]), fields[f].data(s), start, count,
                w.path, what);
  }
}

void RunFileWriter::close_file(const std::string& what) {
  Impl& w = *impl_;
  h5::QuietErrors quiet;
  if (!w.close()) h5::fail(final_path_, "cannot " + what + " the temporary file '" + temporary_path_ + "'");
}

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

namespace {

// Makes a file's data durable and gives it its name: fsync, then rename,
// then (best effort) fsync the folder, so a power cut never leaves an empty
// or partial file under the new name.
void sync_and_rename(const std::string& from, const std::string& to, const std::string& final_path) {
  const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    throw OutputError(final_path + ": cannot sync the temporary file '" + from + "': " + errno_text(error));
  }
  ::close(fd);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int error = errno;
    throw OutputError(final_path + ": cannot rename the temporary file '" + from + "' to '" + to +
                      "': " + errno_text(error));
  }
  std::filesystem::path folder = std::filesystem::path(to).parent_path();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

// Copies one dataset from `from` to `to` (same name, shape and type). A
// per-run dataset, (point, replicate, ...), goes one run at a time, so that
// memory holds one run's values, not the file's.
// Copies a dataset run by run (its leading point and replicate dimensions),
// only the runs marked in `runs` when it is not empty.
void copy_dataset(hid_t from, hid_t to, const std::string& name, const std::string& path,
                  const std::vector<std::uint8_t>& runs = {}) {
  const std::string what = "cannot copy '" + name + "' into the compressed file";
  Handle source(h5::check(H5Dopen2(from, name.c_str(), H5P_DEFAULT), path, what), H5Dclose);
  Handle target(h5::check(H5Dopen2(to, name.c_str(), H5P_DEFAULT), path, what), H5Dclose);
  Handle file_type(h5::check(H5Dget_type(source.get()), path, what), H5Tclose);
  Handle memory_type(h5::check(H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND), path, what), H5Tclose);
  Handle space(h5::check(H5Dget_space(source.get()), path, what), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const std::size_t element = H5Tget_size(memory_type.get());
  const std::vector<std::uint8_t>& only = runs;
  std::vector<hsize_t> block = dims;
  std::size_t run_count = 1;
  if (rank > 2) {
    run_count = static_cast<std::size_t>(dims[0] * dims[1]);
    block[0] = block[1] = 1;
  }
  std::size_t values = 1;
  for (const hsize_t d : block) values *= static_cast<std::size_t>(d);
  if (values == 0) return;
  std::vector<unsigned char> buffer(values * element);
  Handle memory_space(h5::check(H5Screate_simple(rank, block.data(), nullptr), path, what), H5Sclose);
  for (std::size_t run = 0; run < run_count; ++run) {
    if (rank > 2 && !only.empty() && (run >= only.size() || only[run] != 1)) continue;
    std::vector<hsize_t> start(dims.size(), 0);
    if (rank > 2) {
      start[0] = run / dims[1];
      start[1] = run % dims[1];
    }
    Handle source_space(h5::check(H5Dget_space(source.get()), path, what), H5Sclose);
    Handle target_space(h5::check(H5Dget_space(target.get()), path, what), H5Sclose);
    for (hid_t selection : {source_space.get(), target_space.get()})
      h5::check_status(
          H5Sselect_hyperslab(selection, H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr), path,
          what);
    h5::check_status(H5Dread(source.get(), memory_type.get(), memory_space.get(), source_space.get(),
                             H5P_DEFAULT, buffer.data()),
                     path, what);
    h5::check_status(H5Dwrite(target.get(), memory_type.get(), memory_space.get(), target_space.get(),
                              H5P_DEFAULT, buffer.data()),
                     path, what);
  }
}

// Copies a run file into a new layout: compressed (info.group null) or
// plain, for several processes to write (info.group set). A file the
// ranks of a job wrote (parallel HDF5 writes no compressed data
// independently) is compressed so before it gets its final name, so that
// every finished file is as small as a one-process file; a one-process
// file resumed by a job is made plain first. Its provenance goes with it.
// The copy's run_complete is written last, so a copy interrupted half-way
// holds no run; the original is replaced only once the copy is whole. With
// `recorded_runs_only`, the runs not recorded complete are not read at all
// (a killed process's file may not hold them whole).
void copy_into_new_layout(const std::string& file_path, const std::string& path, const RunFileInfo& info,
                          bool recorded_runs_only) {
  h5::QuietErrors quiet;
  const std::string copy_path = file_path + "-relayout";
  try {
    Handle from(h5::check(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path,
                          "cannot open '" + file_path + "' to compress it"),
                H5Fclose);
    create_layout(copy_path, path, info, h5::read_string_attribute(from.get(), "created", path));
    Handle to(h5::check(H5Fopen(copy_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), path,
                        "cannot open '" + copy_path + "'"),
              H5Fclose);
    for (const char* name : {"history", "command_line"})
      h5::write_attribute(to.get(), name, h5::read_string_attribute(from.get(), name, path), path);
    for (const char* name : {"mpi_ranks", "threads"})
      h5::write_attribute(to.get(), name,
                          static_cast<std::int64_t>(h5::read_number_attribute(from.get(), name, path)), path);
    std::vector<std::uint8_t> recorded;
    if (recorded_runs_only) {
      Handle complete(h5::check(H5Dopen2(from.get(), "campaign/run_complete", H5P_DEFAULT), path,
                                "cannot open 'campaign/run_complete'"),
                      H5Dclose);
      recorded.resize(info.points.size() * info.replicates);
      h5::check_status(
          H5Dread(complete.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, recorded.data()), path,
          "cannot read 'campaign/run_complete'");
    }
    for (const MetricSpec& m : metric_table())
      copy_dataset(from.get(), to.get(), "series/" + std::string(m.name), path, recorded);
    for (const SummarySpec& m : summary_table())
      copy_dataset(from.get(), to.get(), "summary/" + std::string(m.name), path, recorded);
    if (info.recording.snapshot_every > 0)
      for (const SnapshotField& field : snapshot_fields())
        copy_dataset(from.get(), to.get(), "snapshots/" + std::string(field.name), path, recorded);
    h5::check_status(H5Fflush(to.get(), H5F_SCOPE_LOCAL), path, "cannot flush '" + copy_path + "'");
    copy_dataset(from.get(), to.get(), "campaign/run_complete", path);
    if (!to.close()) h5::fail(path, "cannot write '" + copy_path + "'");
  } catch (...) {
    ::unlink(copy_path.c_str());
    throw;
  }
  if (std::rename(copy_path.c_str(), file_path.c_str()) != 0) {
    const int error = errno;
    ::unlink(copy_path.c_str());
    throw OutputError(path + ": cannot replace '" + file_path +
                      "' by its compressed copy: " + errno_text(error));
  }
}

// Runs `step` on rank 0 (or alone) and makes every process of the group
// throw its error, if any.
template <class Step>
void on_first_process(const WriterGroup* group, Step&& step) {
  std::string outcome;
  if (!group || group->rank() == 0) {
    try {
      step();
    } catch (const OutputError& e) {
      outcome = std::string("O") + e.what();
    } catch (const std::exception& e) {
      outcome = std::string("E") + e.what();
    }
  }
  if (group) outcome = group->broadcast(outcome);
  if (outcome.empty()) return;
  if (outcome[0] == 'O') throw OutputError(outcome.substr(1));
  throw std::runtime_error(outcome.substr(1));
}

}  // namespace

void RunFileWriter::commit() {
  if (!impl_) throw std::logic_error("run file: commit called twice");
  if (impl_->failed) throw std::logic_error("run file: commit after a failure");
  try {
    Impl& w = *impl_;
    checkpoint(true);
    gather_runs();
    if (w.written_count != w.written.size())
      throw OutputError(final_path_ + ": cannot commit the run file: only " +
                        std::to_string(w.written_count) + " of " + std::to_string(w.written.size()) +
                        " (point, replicate) runs were written");
    if (w.group) {
      // Every rank's data must be in the file before rank 0 goes on.
      std::string error;
      try {
        close_file("close");
      } catch (const std::exception& e) {
        error = e.what();
      }
      const std::vector<double> failed = w.group->all_gather({error.empty() ? 0.0 : 1.0});
      for (std::size_t r = 0; r < failed.size(); ++r)
        if (failed[r] != 0)
          throw OutputError(error.empty()
                                ? final_path_ + ": rank " + std::to_string(r) + " could not close the file"
                                : error);
    } else {
      close_file("close");
    }
    on_first_process(w.group, [&] {
      if (w.plain) copy_into_new_layout(temporary_path_, final_path_, w.info);
      if (w.experiment == ExperimentKind::Comparison) {
        h5::QuietErrors quiet;
        Handle file(h5::check(H5Fopen(temporary_path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), final_path_,
                              "cannot open the temporary file '" + temporary_path_ + "'"),
                    H5Fclose);
        write_comparison(file.get(), final_path_, w.arm_names, w.replicates, w.summaries);
        if (!file.close()) h5::fail(final_path_, "cannot close the temporary file '" + temporary_path_ + "'");
      }
      sync_and_rename(temporary_path_, final_path_, final_path_);
    });
    summaries_ = std::move(w.summaries);
    impl_.reset();
  } catch (...) {
    // Removes the file now, or keeps it when it holds runs worth keeping.
    impl_->failed = true;
    abandon();
    throw;
  }
}

std::string RunFileWriter::suspend() {
  if (!impl_) throw std::logic_error("run file: suspend after commit");
  Impl& w = *impl_;
  std::string kept;
  try {
    if (w.failed) {
      abandon();  // which keeps a resumed file
      return "";
    }
    checkpoint(true);
    gather_runs();
    if (w.written_count == 0 || w.event_rows.valid()) {
      close_file("close");  // together, with a group
      const bool first = !w.group || w.group->rank() == 0;
      impl_.reset();
      if (first) ::unlink(temporary_path_.c_str());
      return "";
    }
    close_file("close");
    // Never over another unfinished file (of an earlier run to this name).
    kept = free_incomplete_path_for(final_path_);
    if (w.group) kept = w.group->broadcast(kept);
    on_first_process(w.group, [&] { sync_and_rename(temporary_path_, kept, final_path_); });
    summaries_ = std::move(w.summaries);
    impl_.reset();
    return kept;
  } catch (...) {
    abandon();
    throw;
  }
}

namespace {

// Lets an abandoned file close cleanly after a failed write (a full disk):
// a file being thrown away needs none of its cached data, so its descriptor
// is pointed at an anonymous in-memory file, where the final flush succeeds
// and whose memory goes with the descriptor. (When the failure hit HDF5's
// metadata flush, HDF5 1.10 cannot close the file at all; see
// hdf5_util.cpp for why that no longer crashes the program at exit.)
void discard_further_writes(hid_t file) {
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  const int fd = *static_cast<int*>(handle);  // the sec2 driver's descriptor
  const int sink = ::memfd_create("tipsim-discarded-run-file", MFD_CLOEXEC);
  if (sink < 0) return;
  ::dup2(sink, fd);
  ::close(sink);
}

}  // namespace

void RunFileWriter::abandon() noexcept {
  if (impl_ && impl_->group && impl_->file.valid()) {
    // Closing a file opened by a group waits for every process, which may
    // never come: this process is ending the job (see the header). The
    // file stays, as after a kill, and can be resumed.
    static_cast<void>(impl_.release());
    return;
  }
  if (!impl_) {
    ::unlink(temporary_path_.c_str());
    return;
  }
  // A file that held runs before this process took it over (resumed), or
  // that the ranks of a job filled, is kept for a later --resume rather
  // than removed with the runs it holds; a new file of one process goes.
  const bool keep = impl_->taken_over || impl_->group != nullptr;
  const bool first = !impl_->group || impl_->group->rank() == 0;
  {
    h5::QuietErrors quiet;
    if (impl_->file.valid() && !keep) discard_further_writes(impl_->file.get());
    impl_->close();
    H5Eclear2(H5E_DEFAULT);
  }
  impl_.reset();
  if (!first) return;
  if (keep) {
    const std::string kept = free_incomplete_path_for(final_path_);
    if (std::rename(temporary_path_.c_str(), kept.c_str()) == 0) {
      std::fprintf(stderr, "tipsim: the runs %s held are kept in %s\n", final_path_.c_str(), kept.c_str());
      return;
    }
  }
  ::unlink(temporary_path_.c_str());
}

RunFileWriter::~RunFileWriter() {
  if (impl_) abandon();
}

}  // namespace tipsim::output
