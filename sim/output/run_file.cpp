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
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <numeric>

#include "hdf5_util.hpp"
#include "metrics.hpp"

#ifndef TIPSIM_VERSION
#define TIPSIM_VERSION "unknown"
#endif
#ifndef TIPSIM_SOURCE_REVISION
#define TIPSIM_SOURCE_REVISION "unknown"
#endif

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
  Handle create(const char* name, hid_t file_type, const std::vector<std::size_t>& shape,
                const std::vector<std::size_t>& chunk = {}) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    Handle space(h5::check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path_,
                           "cannot create a dataspace"),
                 H5Sclose);
    Handle dcpl = dataset_creation_properties(path_);
    Handle dapl(h5::check(H5Pcreate(H5P_DATASET_ACCESS), path_, "cannot create dataset access properties"),
                H5Pclose);
    if (!chunk.empty()) {
      std::vector<hsize_t> chunk_dims(chunk.begin(), chunk.end());
      const std::string what = std::string("cannot set chunking and compression of '") + name + "'";
      h5::check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk_dims.size()), chunk_dims.data()),
                       path_, what);
      // Shuffle before deflate: counts vary in their low bytes only.
      h5::check_status(H5Pset_shuffle(dcpl.get()), path_, what);
      h5::check_status(H5Pset_deflate(dcpl.get(), kDeflateLevel), path_, what);
      // Every chunk is written whole, once: caching it would only hold memory
      // (1 MiB per dataset by default) until the file is closed.
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
    std::vector<std::int64_t> starts, ends, ramps;
    std::vector<double> values;
    for (const InterventionSpec& iv : scenario.interventions) {
      for (const LeverChange& c : iv.changes) {
        names.push_back(iv.name);
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

struct RunFileWriter::Impl {
  std::string path;  // the final path, for messages
  std::size_t points = 0, replicates = 0, steps = 0, regions = 0;
  Handle file;
  std::unique_ptr<GroupWriter> series_group, summary_group;
  std::vector<Handle> series_sets;   // by metric_table() row
  std::vector<Handle> summary_sets;  // by summary_table() row
  std::vector<bool> written;         // (point, replicate) consumed
  std::size_t written_count = 0;
  bool failed = false;  // a write failed: the file can only be abandoned
  std::vector<double> values;
  std::vector<std::int64_t> counts;

  // Closes datasets and groups before the file; returns false when closing
  // the file failed (it flushes what was still cached).
  bool close() {
    series_sets.clear();
    summary_sets.clear();
    series_group.reset();
    summary_group.reset();
    return file.close();
  }
};

RunFileWriter::RunFileWriter(const std::string& final_path, const RunFileInfo& info)
    : final_path_(final_path),
      temporary_path_(temporary_path_for(final_path)),
      impl_(std::make_unique<Impl>()) {
  if (info.points.empty()) throw std::invalid_argument("run file: no scenario points to write");
  if (info.replicates == 0) throw std::invalid_argument("run file: replicates must be at least 1");
  const Scenario& first = info.points.front();
  for (const Scenario& p : info.points) {
    if (p.steps() != first.steps() || region_names(p) != region_names(first))
      throw std::invalid_argument("run file: every sweep point must have the same steps and regions");
  }

  h5::QuietErrors quiet;
  Impl& w = *impl_;
  w.path = final_path;
  w.points = info.points.size();
  w.replicates = info.replicates;
  w.steps = static_cast<std::size_t>(first.steps());
  w.regions = first.regions.size();
  w.written.assign(w.points * w.replicates, false);
  const std::string& path = w.path;

  try {
    Handle fcpl = group_creation_properties(path, H5P_FILE_CREATE);
    Handle fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create file access properties"),
                H5Pclose);
    // Closing the file closes everything in it, so an abandoned writer
    // never leaves objects (or the file descriptor) behind.
    h5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set the close degree");
    w.file = Handle(h5::check(H5Fcreate(temporary_path_.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), path,
                              "cannot create the temporary file '" + temporary_path_ + "'"),
                    H5Fclose);
    const hid_t f = w.file.get();

    // Root attributes: identification, CF / ACDD discovery, provenance.
    const std::string created = iso8601_utc_now();
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
    h5::write_attribute(f, "product_version", std::string_view(TIPSIM_VERSION), path);
    h5::write_attribute(f, "source",
                        std::string("tipsim ") + TIPSIM_VERSION + " agent-based model, source revision " +
                            TIPSIM_SOURCE_REVISION,
                        path);
    h5::write_attribute(f, "history", created + " " + info.command_line, path);
    h5::write_attribute(f, "program_version", std::string_view(TIPSIM_VERSION), path);
    h5::write_attribute(f, "source_revision", std::string_view(TIPSIM_SOURCE_REVISION), path);
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

    write_scenario_group(f, first, path);

    // series/: coordinates, then one dataset per metric.
    w.series_group = std::make_unique<GroupWriter>(
        f, "series",
        "Per-step figures of every replicate, one variable per metric, dimensions (point, replicate, step, "
        "region[, category]). Stocks are values at the end of the step, flows sums over the step.",
        path);
    GroupWriter& series = *w.series_group;
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
      h5::write_attribute(ds.get(), "coordinates", std::string_view("time_days"), path);
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
    summary.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
    summary.index_dimension("replicate", w.replicates, "replicate (independent random streams)", "1");
    for (const SummarySpec& s : summary_table()) {
      const std::string summary_name(s.name);
      Handle ds =
          summary.create(summary_name.c_str(), H5T_IEEE_F64LE, summary.shape_of({"point", "replicate"}));
      summary.describe(ds.get(), s.long_name, s.units);
      h5::write_attribute(ds.get(), "layer", std::string_view(layer_name(s.layer)), path);
      summary.attach(ds.get(), {"point", "replicate"});
      w.summary_sets.push_back(std::move(ds));
    }

    // sweep/: reserved for the varied keys; each point's scenario already.
    {
      GroupWriter sweep(f, "sweep",
                        "Sweep points. Reserved: the varied keys and their values per point come in a later "
                        "format version; resolved_toml gives each point's full scenario.",
                        path);
      sweep.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
      std::vector<std::string> tomls;
      for (const Scenario& p : info.points) tomls.push_back(resolved_toml(p));
      sweep.strings("resolved_toml", {"point"}, tomls, "fully resolved scenario of each point as TOML");
    }
  } catch (...) {
    abandon();
    throw;
  }
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
                                std::to_string(result.replicate) + ") written twice");
  if (result.series.steps() != w.steps || result.series.layout().regions() != w.regions)
    throw std::invalid_argument("run file: series of " + std::to_string(result.series.steps()) + " steps x " +
                                std::to_string(result.series.layout().regions()) + " regions, file expects " +
                                std::to_string(w.steps) + " x " + std::to_string(w.regions));
  if (result.summary.size() != summary_table().size())
    throw std::invalid_argument("run file: " + std::to_string(result.summary.size()) +
                                " summary values, expected " + std::to_string(summary_table().size()));

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
  } catch (...) {
    w.failed = true;
    throw;
  }
  w.written[slot] = true;
  ++w.written_count;
}

void RunFileWriter::commit() {
  if (!impl_) throw std::logic_error("run file: commit called twice");
  if (impl_->failed) throw std::logic_error("run file: commit after a failure");
  try {
    Impl& w = *impl_;
    if (w.written_count != w.written.size())
      throw OutputError(final_path_ + ": cannot commit the run file: only " +
                        std::to_string(w.written_count) + " of " + std::to_string(w.written.size()) +
                        " (point, replicate) runs were written");
    {
      h5::QuietErrors quiet;
      h5::check_status(H5Fflush(w.file.get(), H5F_SCOPE_GLOBAL), final_path_,
                       "cannot flush the temporary file '" + temporary_path_ + "'");
      if (!w.close()) h5::fail(final_path_, "cannot close the temporary file '" + temporary_path_ + "'");
    }
    // Make the data durable before the rename makes the name visible, so a
    // power cut never leaves an empty or partial file under the final name.
    const int fd = ::open(temporary_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const int error = errno;
      if (fd >= 0) ::close(fd);
      throw OutputError(final_path_ + ": cannot sync the temporary file '" + temporary_path_ +
                        "': " + errno_text(error));
    }
    ::close(fd);
    if (std::rename(temporary_path_.c_str(), final_path_.c_str()) != 0) {
      const int error = errno;
      throw OutputError(final_path_ + ": cannot rename the temporary file '" + temporary_path_ +
                        "' to the final name: " + errno_text(error));
    }
    // Best effort: persist the rename itself. The file is complete either way.
    std::filesystem::path folder = std::filesystem::path(final_path_).parent_path();
    const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    impl_.reset();
  } catch (...) {
    // The name goes now; what HDF5 still holds is released by the destructor
    // (see abandon()).
    impl_->failed = true;
    ::unlink(temporary_path_.c_str());
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
  if (impl_) {
    h5::QuietErrors quiet;
    if (impl_->file.valid()) discard_further_writes(impl_->file.get());
    impl_->close();
    H5Eclear2(H5E_DEFAULT);
    impl_.reset();
  }
  ::unlink(temporary_path_.c_str());
}

RunFileWriter::~RunFileWriter() {
  if (impl_) abandon();
}

}  // namespace tipsim::output
