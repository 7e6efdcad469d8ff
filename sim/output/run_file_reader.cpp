// Reading run files back: `tipsim inspect`, `tipsim run --from`, the viewer
// and the tests. Reads what the file holds (it is self-describing) rather
// than what this program's metric table lists, so files written by other
// versions of the same format read too.
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>

#include "build_info.hpp"
#include "hdf5_util.hpp"
#include "run_file.hpp"

namespace tipsim::output {

using h5::Handle;

double Variable::at(std::initializer_list<std::size_t> index) const {
  if (index.size() != shape.size()) throw std::out_of_range(name + ": wrong number of indices");
  std::size_t flat = 0;
  std::size_t d = 0;
  for (std::size_t i : index) {
    if (i >= shape[d]) throw std::out_of_range(name + ": index out of range in dimension " + dims[d]);
    flat = flat * shape[d] + i;
    ++d;
  }
  return values.at(flat);
}

std::string Variable::attribute(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? std::string() : it->second;
}

std::string label_variable(std::string_view dim) { return std::string(dim) + "_label"; }

std::string Variable::unit_label() const {
  std::string label = attribute("unit_label");
  return label.empty() ? attribute("units") : label;
}

std::string RunFileContents::text(const std::string& attribute) const {
  auto it = text_attributes.find(attribute);
  return it == text_attributes.end() ? std::string() : it->second;
}

double RunFileContents::number(const std::string& attribute) const {
  auto it = number_attributes.find(attribute);
  return it == number_attributes.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

const Variable* RunFileContents::find_series(std::string_view name) const {
  for (const Variable& v : series)
    if (v.name == name) return &v;
  return nullptr;
}

Series read_run_rows(const RunFileContents& contents, const std::string& path, const FrameLayout& layout,
                     std::size_t steps, std::size_t point, std::size_t replicate, std::size_t rows) {
  Series out(layout, steps);
  const std::size_t points = std::max<std::size_t>(1, contents.dimension("point"));
  const std::size_t replicates = contents.dimension("replicate");
  const std::size_t file_steps = contents.dimension("step");
  if (point >= points || replicate >= replicates || rows > std::min(steps, file_steps))
    throw FormatError(path + ": holds no steps 0 to " + std::to_string(rows) + " of point " +
                      std::to_string(point) + ", replicate " + std::to_string(replicate));
  for (const MetricSpec& m : metric_table()) {
    const Variable* variable = contents.find_series(m.name);
    const std::size_t width = layout.width(m.id);
    if (variable == nullptr || variable->values.size() != points * replicates * file_steps * width)
      throw FormatError(path + ": damaged run file: series/" + std::string(m.name) +
                        " is missing or of another shape");
    for (std::size_t t = 0; t < rows; ++t) {
      const auto from =
          variable->values.begin() +
          static_cast<std::ptrdiff_t>(((point * replicates + replicate) * file_steps + t) * width);
      std::copy(from, from + static_cast<std::ptrdiff_t>(width),
                out.frame(t).begin() + static_cast<std::ptrdiff_t>(layout.offset(m.id)));
    }
  }
  return out;
}

const Variable* RunFileContents::find_summary(std::string_view name) const {
  for (const Variable& v : summary)
    if (v.name == name) return &v;
  return nullptr;
}

const Variable* RunFileContents::find_comparison(std::string_view name) const {
  for (const Variable& v : comparison)
    if (v.name == name) return &v;
  return nullptr;
}

const Variable* RunFileContents::find_allocation(std::string_view name) const {
  for (const Variable& v : allocation)
    if (v.name == name) return &v;
  return nullptr;
}

std::string RecordField::attribute(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? std::string() : it->second;
}

const std::vector<std::int64_t>& EventTable::column(const std::string& name) const {
  auto it = columns.find(name);
  if (it == columns.end()) throw std::out_of_range("event log: no column '" + name + "'");
  return it->second;
}

std::size_t RunFileContents::dimension(const std::string& name) const {
  auto it = dimensions.find(name);
  return it == dimensions.end() ? 0 : it->second;
}

namespace {

// The names an HDF5 iteration visits, in creation order (by name when the
// file does not track it: foreign files). Collected first and read
// afterwards, so that no C++ exception crosses HDF5's C iteration.
template <typename Iterate>
std::vector<std::string> names_in_order(Iterate iterate, const std::string& path, const char* what) {
  std::vector<std::string> names;
  hsize_t position = 0;
  if (iterate(H5_INDEX_CRT_ORDER, &position, &names) < 0) {
    H5Eclear2(H5E_DEFAULT);
    names.clear();
    position = 0;
    h5::check_status(iterate(H5_INDEX_NAME, &position, &names), path, what);
  }
  return names;
}

std::vector<std::string> attribute_names(hid_t object, const std::string& path) {
  return names_in_order(
      [object](H5_index_t index, hsize_t* position, std::vector<std::string>* names) {
        auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
          static_cast<std::vector<std::string>*>(data)->emplace_back(name);
          return 0;
        };
        return H5Aiterate2(object, index, H5_ITER_INC, position, collect, names);
      },
      path, "cannot list attributes");
}

// Collects the text and scalar numeric attributes of an object; H5DS's own
// bookkeeping attributes (CLASS, NAME, DIMENSION_LIST, REFERENCE_LIST) are
// skipped.
void read_attributes(hid_t object, std::map<std::string, std::string>* texts,
                     std::map<std::string, double>* numbers, const std::string& path) {
  for (const std::string& name : attribute_names(object, path)) {
    if (name == "CLASS" || name == "NAME" || name == "DIMENSION_LIST" || name == "REFERENCE_LIST") continue;
    Handle attribute(
        h5::check(H5Aopen(object, name.c_str(), H5P_DEFAULT), path, "cannot open attribute '" + name + "'"),
        H5Aclose);
    Handle type(h5::check(H5Aget_type(attribute.get()), path, "attribute type"), H5Tclose);
    Handle space(h5::check(H5Aget_space(attribute.get()), path, "attribute space"), H5Sclose);
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class == H5T_STRING) {
      (*texts)[name] = h5::read_string_attribute(object, name.c_str(), path);
    } else if ((type_class == H5T_INTEGER || type_class == H5T_FLOAT) && numbers != nullptr &&
               H5Sget_simple_extent_npoints(space.get()) == 1) {
      (*numbers)[name] = h5::read_number_attribute(object, name.c_str(), path);
    }
  }
}

Handle open_group(hid_t parent, const char* name, const std::string& path) {
  if (H5Lexists(parent, name, H5P_DEFAULT) <= 0)
    throw FormatError(path + ": incomplete run file: no group '" + name + "'");
  return Handle(
      h5::check(H5Gopen2(parent, name, H5P_DEFAULT), path, std::string("cannot open group '") + name + "'"),
      H5Gclose);
}

Handle open_dataset(hid_t group, const std::string& name, const std::string& where, const std::string& path) {
  if (H5Lexists(group, name.c_str(), H5P_DEFAULT) <= 0)
    throw FormatError(path + ": incomplete run file: no dataset '" + where + name + "'");
  return Handle(h5::check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), path,
                          "cannot open dataset '" + where + name + "'"),
                H5Dclose);
}

// Dataset names of a group.
std::vector<std::string> member_names(hid_t group, const std::string& path) {
  return names_in_order(
      [group](H5_index_t index, hsize_t* position, std::vector<std::string>* names) {
        auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
          static_cast<std::vector<std::string>*>(data)->emplace_back(name);
          return 0;
        };
        return H5Literate(group, index, H5_ITER_INC, position, collect, names);
      },
      path, "cannot list a group");
}

std::vector<std::size_t> shape_of(hid_t ds, const std::string& path) {
  Handle space(h5::check(H5Dget_space(ds), path, "dataset space"), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) h5::fail(path, "dataset rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

std::vector<double> read_doubles(hid_t ds, const std::string& path, const std::string& what) {
  std::vector<double> values(h5::checked_element_count(ds, path, what));
  if (!values.empty())
    h5::check_status(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path,
                     "cannot read " + what);
  return values;
}

std::vector<std::int64_t> read_int64s(hid_t ds, const std::string& path, const std::string& what) {
  std::vector<std::int64_t> values(h5::checked_element_count(ds, path, what));
  if (!values.empty())
    h5::check_status(H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path,
                     "cannot read " + what);
  return values;
}

// The length of a one-dimensional dataset (a coordinate, a column).
std::size_t length_of(hid_t ds, const std::string& path, const std::string& what) {
  const auto shape = shape_of(ds, path);
  if (shape.size() != 1)
    throw FormatError(path + ": damaged run file: '" + what + "' is not one-dimensional");
  return shape[0];
}

std::string dimension_name(hid_t ds, unsigned dim) {
  std::string name;
  auto visit = [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
    char buffer[256] = {};
    const ssize_t length = H5DSget_scale_name(scale, buffer, sizeof buffer);
    if (length > 0) *static_cast<std::string*>(data) = buffer;
    return 1;  // the first attached scale names the dimension
  };
  if (H5DSget_num_scales(ds, dim) > 0) H5DSiterate_scales(ds, dim, nullptr, visit, &name);
  H5Eclear2(H5E_DEFAULT);
  return name;
}

Variable read_variable(hid_t group, const std::string& name, const std::string& where, bool with_values,
                       const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  Variable v;
  v.name = name;
  v.shape = shape_of(ds.get(), path);
  for (unsigned d = 0; d < v.shape.size(); ++d) v.dims.push_back(dimension_name(ds.get(), d));
  Handle type(h5::check(H5Dget_type(ds.get()), path, "dataset type"), H5Tclose);
  v.integer = H5Tget_class(type.get()) == H5T_INTEGER;
  read_attributes(ds.get(), &v.attributes, nullptr, path);
  if (with_values) {
    if (H5Tget_class(type.get()) == H5T_STRING) {
      v.texts = h5::read_strings(ds.get(), path);
    } else {
      v.values = read_doubles(ds.get(), path, "dataset '" + where + name + "'");
    }
  }
  return v;
}

// "region" for "region_label": the dimension a label variable labels, or "".
std::string labelled_dimension(const std::string& name) {
  constexpr std::string_view suffix = "_label";
  if (name.size() <= suffix.size() || !name.ends_with(suffix)) return {};
  return name.substr(0, name.size() - suffix.size());
}

// Reads the variables of series/ or summary/, and its dimensions into
// `contents`.
std::vector<Variable> read_variable_group(hid_t file, const char* group_name, bool with_values,
                                          RunFileContents& contents, const std::string& path) {
  Handle group = open_group(file, group_name, path);
  const std::string where = std::string(group_name) + "/";
  std::vector<Variable> variables;
  for (const std::string& name : member_names(group.get(), path)) {
    Handle ds = open_dataset(group.get(), name, where, path);
    if (H5DSis_scale(ds.get()) > 0) {
      contents.dimensions[name] = length_of(ds.get(), path, where + name);
      // Format version 2 kept the labels in the dimension's own variable.
      Handle type(h5::check(H5Dget_type(ds.get()), path, "dataset type"), H5Tclose);
      if (H5Tget_class(type.get()) == H5T_STRING) contents.labels[name] = h5::read_strings(ds.get(), path);
    } else if (const std::string dim = labelled_dimension(name); !dim.empty()) {
      contents.labels[dim] = h5::read_strings(ds.get(), path);
    } else if (name == "time_days") {
      contents.time_days = read_doubles(ds.get(), path, "series/time_days");
    } else if (shape_of(ds.get(), path).size() > 1) {
      variables.push_back(read_variable(group.get(), name, where, with_values, path));
    }
    // (point) variables are the point labels (varied keys, arms); they are
    // read from sweep/.
  }
  return variables;
}

std::string read_text(hid_t group, const std::string& name, const std::string& where,
                      const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  auto values = h5::read_strings(ds.get(), path);
  if (values.size() != 1) throw FormatError(path + ": '" + where + name + "' is not a single text");
  return values.front();
}

std::vector<std::string> read_string_column(hid_t group, const char* name, const std::string& where,
                                            const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  return h5::read_strings(ds.get(), path);
}

// The labels of a labelled dimension: its <name>_label variable, or (format
// version 2) the dimension's own text variable.
std::vector<std::string> read_labels(hid_t group, const char* name, const std::string& where,
                                     const std::string& path) {
  const std::string label = label_variable(name);
  if (H5Lexists(group, label.c_str(), H5P_DEFAULT) > 0)
    return read_string_column(group, label.c_str(), where, path);
  return read_string_column(group, name, where, path);
}

std::vector<double> read_double_column(hid_t group, const char* name, const std::string& where,
                                       const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  return read_doubles(ds.get(), path, "'" + where + name + "'");
}

std::vector<std::int64_t> read_int_column(hid_t group, const char* name, const std::string& where,
                                          const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  return read_int64s(ds.get(), path, "'" + where + name + "'");
}

bool has_link(hid_t group, const char* name) { return H5Lexists(group, name, H5P_DEFAULT) > 0; }

void require_rows(std::size_t rows, std::initializer_list<std::size_t> sizes, const std::string& table,
                  const std::string& path) {
  for (std::size_t size : sizes)
    if (size != rows) throw FormatError(path + ": table '" + table + "' has columns of different lengths");
}

// scenario/: the scenario's texts and its tables.
void read_scenario_group(hid_t file, RunFileContents& out, const std::string& path) {
  Handle group = open_group(file, "scenario", path);
  const hid_t g = group.get();
  out.source_text = read_text(g, "source_text", "scenario/", path);
  {
    Handle ds = open_dataset(g, "source_text", "scenario/", path);
    if (h5::has_attribute(ds.get(), "source_path"))
      out.source_path = h5::read_string_attribute(ds.get(), "source_path", path);
  }
  out.resolved_toml = read_text(g, "resolved_toml", "scenario/", path);
  {
    Handle table = open_group(g, "parameters", path);
    const std::string where = "scenario/parameters/";
    auto keys = read_string_column(table.get(), "key", where, path);
    auto values = read_double_column(table.get(), "value", where, path);
    auto units = read_string_column(table.get(), "unit", where, path);
    auto scopes = read_string_column(table.get(), "scope", where, path);
    require_rows(keys.size(), {values.size(), units.size(), scopes.size()}, where, path);
    for (std::size_t i = 0; i < keys.size(); ++i)
      out.parameters.push_back({keys[i], values[i], units[i], scopes[i]});
  }
  {
    Handle table = open_group(g, "regional_values", path);
    const std::string where = "scenario/regional_values/";
    out.region_names = read_labels(table.get(), "region", where, path);
    out.regional_keys = read_string_column(table.get(), "key", where, path);
    out.regional_values = read_double_column(table.get(), "value", where, path);
    if (out.regional_values.size() != out.region_names.size() * out.regional_keys.size())
      throw FormatError(path + ": '" + where + "value' does not match its dimensions");
  }
  {
    Handle table = open_group(g, "routes", path);
    const std::string where = "scenario/routes/";
    auto origins = read_string_column(table.get(), "origin", where, path);
    auto destinations = read_string_column(table.get(), "destination", where, path);
    auto shares = read_double_column(table.get(), "share", where, path);
    // Before version 4 the transit time was a whole number of steps.
    std::vector<double> transit;
    if (out.format_version >= 4) {
      transit = read_double_column(table.get(), "transit_days", where, path);
    } else {
      for (const std::int64_t steps : read_int_column(table.get(), "transit_steps", where, path))
        transit.push_back(static_cast<double>(steps) * out.number("step_days"));
    }
    require_rows(origins.size(), {destinations.size(), shares.size(), transit.size()}, where, path);
    for (std::size_t i = 0; i < origins.size(); ++i)
      out.routes.push_back({origins[i], destinations[i], shares[i], transit[i]});
  }
  {
    Handle table = open_group(g, "interventions", path);
    const std::string where = "scenario/interventions/";
    auto names = read_string_column(table.get(), "name", where, path);
    auto starts = read_int_column(table.get(), "start_step", where, path);
    auto ends = read_int_column(table.get(), "end_step", where, path);
    auto regions = read_string_column(table.get(), "region", where, path);
    auto ramps = read_int_column(table.get(), "ramp_steps", where, path);
    auto keys = read_string_column(table.get(), "key", where, path);
    auto ops = read_string_column(table.get(), "op", where, path);
    auto values = read_double_column(table.get(), "value", where, path);
    require_rows(
        names.size(),
        {starts.size(), ends.size(), regions.size(), ramps.size(), keys.size(), ops.size(), values.size()},
        where, path);
    // Files written before the column existed lack it (docs/output-format.md, Versions).
    std::vector<std::int64_t> indices(names.size(), -1);
    if (has_link(table.get(), "intervention")) {
      indices = read_int_column(table.get(), "intervention", where, path);
      require_rows(names.size(), {indices.size()}, where, path);
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      out.interventions.push_back(
          {names[i], starts[i], ends[i], regions[i], ramps[i], keys[i], ops[i], values[i], indices[i]});
  }
}

// Refuses, before HDF5 sees it, a path that cannot be read, and the
// temporary name of a run that never finished.
void check_readable(const std::string& path, bool unfinished) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    throw OutputError(path + ": cannot open: " + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw OutputError(path + ": cannot open: is a folder, not a run file");
  if (::access(path.c_str(), R_OK) != 0) {
    const int error = errno;
    throw OutputError(path + ": cannot open: " + std::strerror(error));
  }

  // The temporary name a writer uses (temporary_path_for()): a file left
  // under it was never committed (its run was killed or crashed while
  // writing), however whole it may look inside.
  if (const std::size_t mark = path.rfind(".partial-"); mark != std::string::npos && !unfinished) {
    // FINAL.partial-PID, and the copy a commit compresses it into.
    const std::string pid = path.substr(mark + 9);
    if (!pid.empty() && std::isdigit(static_cast<unsigned char>(pid.front())))
      throw FormatError(path +
                        ": not a run file: the temporary file of a run that never finished (it was "
                        "killed or crashed while writing); finish it with the command that made it "
                        "and --resume " +
                        path + ", or delete it");
  }
}

// A format version as the file holds it: a whole number as one, anything
// else (a damaged file's 8e118, 2.5) as written, never cast out of range.
std::string version_text(double version) {
  if (version == std::floor(version) && std::abs(version) < 1e15)
    return std::to_string(static_cast<long long>(version));
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", version);
  return text;
}

// Identifies the file before reading anything else, so a foreign or newer
// file is refused with a message that says so; returns its format version.
int check_format(hid_t f, const std::string& path) {
  if (!h5::has_attribute(f, "format"))
    throw FormatError(path + ": not a tipsim run file (an HDF5 file without a 'format' attribute)");
  const std::string format = h5::read_string_attribute(f, "format", path);
  if (format != kFormatName)
    throw FormatError(path + ": not a tipsim run file (format is '" + format + "', not '" + kFormatName +
                      "')");
  if (!h5::has_attribute(f, "format_version"))
    throw FormatError(path + ": tipsim run file without a 'format_version' attribute");
  const double version = h5::read_number_attribute(f, "format_version", path);
  if (version == 1)
    throw FormatError(path +
                      ": tipsim run file format version 1, written by an older tipsim whose money was in "
                      "agent units (divided by population.scale); run the scenario again with this tipsim");
  if (version != std::floor(version) || version < kOldestFormatVersion || version > kFormatVersion) {
    std::string message = path + ": tipsim run file format version " + version_text(version) +
                          " cannot be read by tipsim " + tipsim::version() + ", which reads format version " +
                          std::to_string(kFormatVersion);
    if (version > kFormatVersion) message += "; use a newer tipsim";
    throw FormatError(message);
  }
  return static_cast<int>(version);
}

// Opens a file and checks that it is a run file of a version this program
// reads; returns the file and its format version.
std::pair<Handle, int> open_run_file(const std::string& path, bool unfinished = false) {
  check_readable(path, unfinished);
  h5::QuietErrors quiet;
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) h5::fail(path, "cannot open");
  if (is_hdf5 == 0) throw FormatError(path + ": not a tipsim run file (not an HDF5 file)");

  Handle fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create file access properties"), H5Pclose);
  h5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set the close degree");
  // The file is readable and starts like HDF5, so a failure here means it is
  // damaged: truncated by a full disk or an interrupted copy, typically.
  const hid_t opened = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (opened < 0) throw FormatError(path + ": damaged or incomplete HDF5 file: " + h5::error_stack_text());
  Handle file(opened, H5Fclose);
  const int version = check_format(file.get(), path);
  return {std::move(file), version};
}

// campaign/run_complete, (point, replicate) row-major, one value per run
// of point_count x replicate_count: empty for a file written before the
// record existed, which holds every run.
std::vector<std::uint8_t> read_run_complete(hid_t f, const std::string& path) {
  if (!has_link(f, "campaign")) return {};
  double points = 0, replicates = 0;
  if (h5::has_attribute(f, "point_count")) points = h5::read_number_attribute(f, "point_count", path);
  if (h5::has_attribute(f, "replicate_count"))
    replicates = h5::read_number_attribute(f, "replicate_count", path);
  if (!(points >= 0 && replicates >= 0 && points * replicates < 1e12))
    throw FormatError(path + ": damaged run file: impossible point_count or replicate_count");
  const auto runs = static_cast<std::size_t>(points * replicates);
  Handle group = open_group(f, "campaign", path);
  Handle ds = open_dataset(group.get(), "run_complete", "campaign/", path);
  if (h5::checked_element_count(ds.get(), path, "campaign/run_complete") != runs)
    throw FormatError(path + ": damaged run file: 'campaign/run_complete' does not have one value per run");
  std::vector<std::uint8_t> complete(runs);
  if (runs > 0)
    h5::check_status(H5Dread(ds.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, complete.data()),
                     path, "cannot read 'campaign/run_complete'");
  return complete;
}

// Refuses a file that does not hold every run: one an interrupted run kept
// to be resumed (or a killed run's temporary file, renamed).
void require_every_run(const std::vector<std::uint8_t>& complete, const std::string& path) {
  const auto done = static_cast<std::size_t>(std::count(complete.begin(), complete.end(), 1));
  if (done != complete.size())
    throw FormatError(
        path + ": an unfinished run file: it holds " + std::to_string(done) + " of its " +
        std::to_string(complete.size()) +
        " runs (its run was interrupted); finish it with the command that made it and --resume " + path);
}

// sweep/: what each point is (resolved scenario, varied keys, arm).
void read_sweep_group(hid_t f, RunFileContents& out, const std::string& path) {
  Handle sweep = open_group(f, "sweep", path);
  out.point_resolved_toml = read_string_column(sweep.get(), "resolved_toml", "sweep/", path);
  for (const std::string& name : member_names(sweep.get(), path)) {
    if (name == "point" || name == "resolved_toml") continue;
    if (name == "definition") {
      out.sweep_definition = read_text(sweep.get(), name, "sweep/", path);
    } else if (name == "arm") {
      out.arm_names = read_string_column(sweep.get(), "arm", "sweep/", path);
    } else {
      out.sweep_keys.push_back(read_variable(sweep.get(), name, "sweep/", true, path));
    }
  }
}

// The variables of a group along one labelled dimension `dim`, and its
// labels: <dim>_label, or (format 2) the dimension's own text variable.
void read_labelled_variables(hid_t group, const std::string& where, const std::string& dim,
                             int format_version, std::vector<std::string>& labels,
                             std::vector<Variable>& variables, const std::string& path) {
  for (const std::string& name : member_names(group, path)) {
    Handle ds = open_dataset(group, name, where, path);
    if (name == label_variable(dim) || (name == dim && format_version < 3)) {
      labels = h5::read_strings(ds.get(), path);
      continue;
    }
    if (H5DSis_scale(ds.get()) > 0) continue;
    variables.push_back(read_variable(group, name, where, true, path));
  }
}

// comparison/: the paired effects, their arms and the baseline's name.
void read_comparison_group(hid_t f, RunFileContents& out, const std::string& path) {
  Handle group = open_group(f, "comparison", path);
  if (h5::has_attribute(group.get(), "baseline"))
    out.baseline_arm = h5::read_string_attribute(group.get(), "baseline", path);
  if (h5::has_attribute(group.get(), "outcome")) {
    const std::string name = h5::read_string_attribute(group.get(), "outcome", path);
    const std::optional<Averted> outcome = outcome_named(name);
    if (!outcome) throw FormatError(path + ": comparison/ has an unknown outcome '" + name + "'");
    out.outcome = *outcome;
  }
  const std::string value = value_attribute(out.outcome);
  if (h5::has_attribute(group.get(), value.c_str()))
    out.value_per_victim_year = h5::read_number_attribute(group.get(), value.c_str(), path);
  if (h5::has_attribute(group.get(), "baseline_frontier_status"))
    out.baseline_frontier_status = h5::read_string_attribute(group.get(), "baseline_frontier_status", path);
  read_labelled_variables(group.get(), "comparison/", "arm", out.format_version, out.comparison_arms,
                          out.comparison, path);
}

// allocation/: the targets, the splits and the frontier.
void read_allocation_group(hid_t f, RunFileContents& out, const std::string& path) {
  Handle group = open_group(f, "allocation", path);
  if (h5::has_attribute(group.get(), "objective"))
    out.allocation_objective = h5::read_string_attribute(group.get(), "objective", path);
  read_labelled_variables(group.get(), "allocation/", "target", out.format_version, out.allocation_targets,
                          out.allocation, path);
}

std::vector<std::int64_t> read_integer_list_attribute(hid_t object, const char* name,
                                                      const std::string& path);

// Reads a run file: with `unfinished`, one that may lack runs.
RunFileContents read_contents(const std::string& path, bool read_series, bool unfinished) {
  h5::QuietErrors quiet;
  auto [file, version] = open_run_file(path, unfinished);
  const hid_t f = file.get();
  // Checked first, so that an unfinished file is refused before its series are read.
  RunFileContents out;
  out.run_complete = read_run_complete(f, path);
  if (!unfinished) require_every_run(out.run_complete, path);

  out.format_version = version;
  read_attributes(f, &out.text_attributes, &out.number_attributes, path);
  const std::string experiment = out.text("experiment");
  if (experiment == "sweep") out.experiment = ExperimentKind::Sweep;
  if (experiment == "comparison") out.experiment = ExperimentKind::Comparison;
  out.event_log = out.number("event_log") == 1;
  if (const double every = out.number("snapshot_every"); every > 0)
    out.snapshot_every = static_cast<std::int32_t>(every);
  read_scenario_group(f, out, path);
  out.series = read_variable_group(f, "series", read_series, out, path);
  out.summary = read_variable_group(f, "summary", true, out, path);
  read_sweep_group(f, out, path);
  if (has_link(f, "comparison")) read_comparison_group(f, out, path);
  if (has_link(f, "allocation")) read_allocation_group(f, out, path);
  if (has_link(f, "events")) {
    Handle group = open_group(f, "events", path);
    Handle rows = open_dataset(group.get(), "event", "events/", path);
    out.event_count = length_of(rows.get(), path, "events/event");
  }
  if (has_link(f, "checkpoints")) {
    Handle group = open_group(f, "checkpoints", path);
    for (const std::int64_t step : read_integer_list_attribute(group.get(), "steps", path))
      out.checkpoint_steps.push_back(static_cast<std::int32_t>(step));
  }
  out.runs_complete =
      out.run_complete.empty()
          ? out.dimension("point") * out.dimension("replicate")
          : static_cast<std::size_t>(std::count(out.run_complete.begin(), out.run_complete.end(), 1));
  return out;
}

// A list attribute of integers (CF flag_values, flag_masks).
std::vector<std::int64_t> read_integer_list_attribute(hid_t object, const char* name,
                                                      const std::string& path) {
  const std::string what = std::string("attribute '") + name + "'";
  Handle attribute(h5::check(H5Aopen(object, name, H5P_DEFAULT), path, "cannot open " + what), H5Aclose);
  Handle type(h5::check(H5Aget_type(attribute.get()), path, what), H5Tclose);
  Handle space(h5::check(H5Aget_space(attribute.get()), path, what), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  // Flag lists name a few categories; more means a damaged attribute.
  if (H5Tget_class(type.get()) != H5T_INTEGER || count < 0 || count > 65536)
    throw FormatError(path + ": damaged run file: " + what + " is not a short list of whole numbers");
  std::vector<std::int64_t> values(static_cast<std::size_t>(count));
  if (count > 0)
    h5::check_status(H5Aread(attribute.get(), H5T_NATIVE_INT64, values.data()), path, "cannot read " + what);
  return values;
}

// flag_meanings split at blanks, paired with the values of `list_name`.
std::vector<std::pair<std::int64_t, std::string>> flag_pairs(hid_t ds, const char* list_name,
                                                             const std::string& meanings,
                                                             const std::string& where,
                                                             const std::string& path) {
  const std::vector<std::int64_t> values = read_integer_list_attribute(ds, list_name, path);
  std::vector<std::string> labels;
  for (std::size_t begin = 0; begin < meanings.size();) {
    const std::size_t end = std::min(meanings.find(' ', begin), meanings.size());
    if (end > begin) labels.push_back(meanings.substr(begin, end - begin));
    begin = end + 1;
  }
  if (labels.size() != values.size())
    throw FormatError(path + ": damaged run file: '" + where + "' has " + std::to_string(values.size()) +
                      " " + list_name + " but " + std::to_string(labels.size()) + " flag_meanings");
  std::vector<std::pair<std::int64_t, std::string>> pairs;
  for (std::size_t i = 0; i < values.size(); ++i) pairs.emplace_back(values[i], labels[i]);
  return pairs;
}

RecordField read_record_field(hid_t group, const std::string& name, const std::string& where,
                              const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  RecordField field;
  field.name = name;
  read_attributes(ds.get(), &field.attributes, nullptr, path);
  Handle type(h5::check(H5Dget_type(ds.get()), path, "dataset type"), H5Tclose);
  field.integer = H5Tget_class(type.get()) == H5T_INTEGER;
  field.single_precision = H5Tget_class(type.get()) == H5T_FLOAT && H5Tget_size(type.get()) == 4;
  const std::string meanings = field.attribute("flag_meanings");
  if (h5::has_attribute(ds.get(), "flag_values"))
    field.labels = flag_pairs(ds.get(), "flag_values", meanings, where + name, path);
  if (h5::has_attribute(ds.get(), "flag_masks"))
    field.bits = flag_pairs(ds.get(), "flag_masks", meanings, where + name, path);
  return field;
}

// Reads `count` values of a dataset from `start`, one hyperslab, as `memory_type`.
void read_slab(hid_t ds, const std::vector<hsize_t>& start, const std::vector<hsize_t>& count,
               hid_t memory_type, void* buffer, const std::string& path, const std::string& what) {
  Handle file_space(h5::check(H5Dget_space(ds), path, "dataset space"), H5Sclose);
  h5::check_status(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      path, "cannot select part of " + what);
  hsize_t total = 1;
  for (hsize_t c : count) total *= c;
  if (total == 0) return;
  Handle memory_space(h5::check(H5Screate_simple(1, &total, nullptr), path, "memory space"), H5Sclose);
  h5::check_status(H5Dread(ds, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, buffer), path,
                   "cannot read " + what);
}

}  // namespace

RunFileContents read_run_file(const std::string& path, bool read_series) {
  return read_contents(path, read_series, false);
}

RunFileContents read_unfinished_run_file(const std::string& path) { return read_contents(path, false, true); }

EventTable read_event_table(const std::string& path) {
  h5::QuietErrors quiet;
  auto [file, version] = open_run_file(path);
  require_every_run(read_run_complete(file.get(), path), path);
  if (!has_link(file.get(), "events"))
    throw FormatError(path + ": the run file has no event log (it was written without --events)");
  Handle group = open_group(file.get(), "events", path);
  EventTable table;
  for (const std::string& name : member_names(group.get(), path)) {
    // Columns only: the runs/ subgroup is an index, not a column.
    Handle object(
        h5::check(H5Oopen(group.get(), name.c_str(), H5P_DEFAULT), path, "cannot open events/" + name),
        H5Oclose);
    if (H5Iget_type(object.get()) != H5I_DATASET) continue;
    Handle ds = open_dataset(group.get(), name, "events/", path);
    if (H5DSis_scale(ds.get()) > 0) continue;
    table.columns[name] = read_int64s(ds.get(), path, "events/" + name);
  }
  for (const auto& [name, values] : table.columns)
    if (values.size() != table.size()) throw FormatError(path + ": the event log's columns differ in length");
  return table;
}

struct RunFileReader::Impl {
  std::string path;
  Handle file;
  std::vector<RecordField> event_columns, snapshot_fields;
  std::size_t event_rows = 0;
  std::vector<std::size_t> snapshot_shape;  // (point, replicate, snapshot, person)
  std::vector<std::int64_t> snapshot_steps;
  std::vector<double> snapshot_days;
};

RunFileReader::RunFileReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  h5::QuietErrors quiet;
  impl_->path = path;
  auto [file, version] = open_run_file(path);
  require_every_run(read_run_complete(file.get(), path), path);
  impl_->file = std::move(file);
  const hid_t f = impl_->file.get();
  if (has_link(f, "events")) {
    Handle group = open_group(f, "events", path);
    for (const std::string& name : member_names(group.get(), path)) {
      // Columns only: the runs/ subgroup is an index, not a column.
      Handle object(
          h5::check(H5Oopen(group.get(), name.c_str(), H5P_DEFAULT), path, "cannot open events/" + name),
          H5Oclose);
      if (H5Iget_type(object.get()) != H5I_DATASET) continue;
      Handle ds = open_dataset(group.get(), name, "events/", path);
      if (H5DSis_scale(ds.get()) > 0) {
        impl_->event_rows = length_of(ds.get(), path, "events/" + name);
        continue;
      }
      if (length_of(ds.get(), path, "events/" + name) != impl_->event_rows)
        throw FormatError(path + ": the event log's columns differ in length");
      impl_->event_columns.push_back(read_record_field(group.get(), name, "events/", path));
    }
  }
  if (has_link(f, "snapshots")) {
    Handle group = open_group(f, "snapshots", path);
    for (const std::string& name : member_names(group.get(), path)) {
      Handle ds = open_dataset(group.get(), name, "snapshots/", path);
      if (H5DSis_scale(ds.get()) > 0) continue;
      const std::vector<std::size_t> shape = shape_of(ds.get(), path);
      if (name == "snapshot_step") {
        impl_->snapshot_steps = read_int64s(ds.get(), path, "snapshots/snapshot_step");
      } else if (name == "time_days") {
        impl_->snapshot_days = read_doubles(ds.get(), path, "snapshots/time_days");
      } else if (shape.size() == 4) {
        if (!impl_->snapshot_shape.empty() && shape != impl_->snapshot_shape)
          throw FormatError(path + ": damaged run file: the snapshot fields differ in shape");
        impl_->snapshot_shape = shape;
        impl_->snapshot_fields.push_back(read_record_field(group.get(), name, "snapshots/", path));
      }
    }
    if (!impl_->snapshot_shape.empty() && (impl_->snapshot_steps.size() != impl_->snapshot_shape[2] ||
                                           impl_->snapshot_days.size() != impl_->snapshot_shape[2]))
      throw FormatError(path + ": damaged run file: snapshots/ has not one step and time per snapshot");
  }
}

RunFileReader::~RunFileReader() {
  h5::QuietErrors quiet;
  impl_.reset();
}

const std::string& RunFileReader::path() const { return impl_->path; }

std::map<std::string, std::string> RunFileReader::attributes(const std::string& dataset) {
  h5::QuietErrors quiet;
  std::map<std::string, std::string> texts;
  // Each link of the path must exist before the next is asked about.
  for (std::size_t slash = dataset.find('/'); slash != std::string::npos;
       slash = dataset.find('/', slash + 1))
    if (H5Lexists(impl_->file.get(), dataset.substr(0, slash).c_str(), H5P_DEFAULT) <= 0) return texts;
  if (H5Lexists(impl_->file.get(), dataset.c_str(), H5P_DEFAULT) <= 0) return texts;
  Handle ds(h5::check(H5Dopen2(impl_->file.get(), dataset.c_str(), H5P_DEFAULT), impl_->path,
                      "cannot open dataset '" + dataset + "'"),
            H5Dclose);
  read_attributes(ds.get(), &texts, nullptr, impl_->path);
  return texts;
}

std::vector<double> RunFileReader::series_values(const std::string& name) {
  h5::QuietErrors quiet;
  Handle group = open_group(impl_->file.get(), "series", impl_->path);
  Handle ds = open_dataset(group.get(), name, "series/", impl_->path);
  return read_doubles(ds.get(), impl_->path, "dataset 'series/" + name + "'");
}

const std::vector<RecordField>& RunFileReader::event_columns() const { return impl_->event_columns; }
std::size_t RunFileReader::event_rows() const { return impl_->event_rows; }

std::vector<std::vector<std::int64_t>> RunFileReader::read_events(std::size_t first, std::size_t count) {
  h5::QuietErrors quiet;
  if (first > impl_->event_rows || count > impl_->event_rows - first)
    throw std::out_of_range(impl_->path + ": rows beyond the end of the event log");
  Handle group = open_group(impl_->file.get(), "events", impl_->path);
  std::vector<std::vector<std::int64_t>> columns;
  for (const RecordField& column : impl_->event_columns) {
    Handle ds = open_dataset(group.get(), column.name, "events/", impl_->path);
    std::vector<std::int64_t> values(count);
    read_slab(ds.get(), {first}, {count}, H5T_NATIVE_INT64, values.data(), impl_->path,
              "events/" + column.name);
    columns.push_back(std::move(values));
  }
  return columns;
}

const std::vector<RecordField>& RunFileReader::snapshot_fields() const { return impl_->snapshot_fields; }
const std::vector<std::int64_t>& RunFileReader::snapshot_steps() const { return impl_->snapshot_steps; }
const std::vector<double>& RunFileReader::snapshot_days() const { return impl_->snapshot_days; }
std::size_t RunFileReader::snapshot_persons() const {
  return impl_->snapshot_shape.empty() ? 0 : impl_->snapshot_shape[3];
}

std::vector<std::vector<double>> RunFileReader::read_snapshot(std::size_t point, std::size_t replicate,
                                                              std::size_t snapshot) {
  h5::QuietErrors quiet;
  const std::vector<std::size_t>& shape = impl_->snapshot_shape;
  if (shape.empty() || point >= shape[0] || replicate >= shape[1] || snapshot >= shape[2])
    throw std::out_of_range(impl_->path + ": no such snapshot");
  Handle group = open_group(impl_->file.get(), "snapshots", impl_->path);
  std::vector<std::vector<double>> fields;
  for (const RecordField& field : impl_->snapshot_fields) {
    Handle ds = open_dataset(group.get(), field.name, "snapshots/", impl_->path);
    std::vector<double> values(shape[3]);
    read_slab(ds.get(), {point, replicate, snapshot, 0}, {1, 1, 1, shape[3]}, H5T_NATIVE_DOUBLE,
              values.data(), impl_->path, "snapshots/" + field.name);
    fields.push_back(std::move(values));
  }
  return fields;
}

// ---- checkpoints/ -----------------------------------------------------------

namespace {

// "replicate_12" -> 12, "step_260" -> 260; nothing for another name.
std::optional<std::int64_t> numbered(const std::string& name, const std::string& prefix) {
  if (!name.starts_with(prefix) || name.size() == prefix.size() || name.size() > prefix.size() + 9) return {};
  std::int64_t value = 0;
  for (std::size_t i = prefix.size(); i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return {};
    value = value * 10 + (name[i] - '0');
  }
  return value;
}

// One dataset of a checkpoint as the array type its HDF5 type names.
StateArray read_state_array(hid_t group, const std::string& name, const std::string& where,
                            const std::string& path) {
  Handle ds = open_dataset(group, name, where, path);
  Handle type(h5::check(H5Dget_type(ds.get()), path, "the type of '" + where + name + "'"), H5Tclose);
  const std::vector<std::size_t> shape = shape_of(ds.get(), path);
  const std::size_t count = h5::checked_element_count(ds.get(), path, where + name);
  const H5T_class_t type_class = H5Tget_class(type.get());
  const std::size_t size = H5Tget_size(type.get());
  const bool is_signed = type_class == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_2;
  StateArray array;
  array.name = name;
  array.width = shape.size() == 2 ? shape[1] : 1;
  auto read = [&](auto tag, hid_t memory_type) {
    std::vector<decltype(tag)> values(count);
    if (count > 0)
      h5::check_status(H5Dread(ds.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path,
                       "cannot read '" + where + name + "'");
    array.values = std::move(values);
  };
  if (shape.size() > 2)
    throw FormatError(path + ": damaged checkpoint: '" + where + name + "' has " +
                      std::to_string(shape.size()) + " dimensions");
  if (type_class == H5T_INTEGER && size == 1 && !is_signed)
    read(std::uint8_t{}, H5T_NATIVE_UINT8);
  else if (type_class == H5T_INTEGER && size == 2 && !is_signed)
    read(std::uint16_t{}, H5T_NATIVE_UINT16);
  else if (type_class == H5T_INTEGER && size == 4 && is_signed)
    read(std::int32_t{}, H5T_NATIVE_INT32);
  else if (type_class == H5T_INTEGER && size == 4)
    read(std::uint32_t{}, H5T_NATIVE_UINT32);
  else if (type_class == H5T_FLOAT && size == 4)
    read(float{}, H5T_NATIVE_FLOAT);
  else if (type_class == H5T_FLOAT && size == 8)
    read(double{}, H5T_NATIVE_DOUBLE);
  else
    throw FormatError(path + ": damaged checkpoint: '" + where + name + "' has a type no state array has");
  return array;
}

}  // namespace

std::map<std::size_t, std::vector<std::int32_t>> read_checkpoint_steps(const std::string& path) {
  auto [file, version] = open_run_file(path);
  (void)version;
  h5::QuietErrors quiet;
  std::map<std::size_t, std::vector<std::int32_t>> steps;
  if (!has_link(file.get(), "checkpoints")) return steps;
  Handle group = open_group(file.get(), "checkpoints", path);
  for (const std::string& name : member_names(group.get(), path)) {
    const auto replicate = numbered(name, "replicate_");
    if (!replicate) continue;
    Handle run = open_group(group.get(), name.c_str(), path);
    std::vector<std::int32_t>& kept = steps[static_cast<std::size_t>(*replicate)];
    for (const std::string& step : member_names(run.get(), path))
      if (const auto s = numbered(step, "step_")) kept.push_back(static_cast<std::int32_t>(*s));
    std::sort(kept.begin(), kept.end());
  }
  return steps;
}

std::vector<StateArray> read_checkpoint(const std::string& path, std::size_t replicate, std::int32_t step) {
  auto [file, version] = open_run_file(path);
  (void)version;
  h5::QuietErrors quiet;
  const std::string name = checkpoint_group_name(replicate, step);
  if (!h5::has_path(file.get(), name))
    throw FormatError(path + ": no checkpoint of replicate " + std::to_string(replicate) + " at step " +
                      std::to_string(step));
  Handle group = open_group(file.get(), name.c_str(), path);
  std::vector<StateArray> arrays;
  for (const std::string& member : member_names(group.get(), path)) {
    if (member == "persons" || member == "traffickers" || member == "regions" || member == "courts" ||
        member == "survivors" || member == "strata") {
      Handle part = open_group(group.get(), member.c_str(), path);
      for (const std::string& field : member_names(part.get(), path)) {
        StateArray array = read_state_array(part.get(), field, name + "/" + member + "/", path);
        array.name = member + "/" + field;
        arrays.push_back(std::move(array));
      }
    } else {
      arrays.push_back(read_state_array(group.get(), member, name + "/", path));
    }
  }
  return arrays;
}

}  // namespace tipsim::output
