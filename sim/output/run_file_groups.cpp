// Group writing: the netCDF-4 compatible groups, coordinates and datasets
// of a run file being written, and the helpers that write blocks of values
// and CF category attributes into them.
#include <hdf5.h>
#include <hdf5_hl.h>

#include <functional>
#include <numeric>
#include <stdexcept>

#include "cf_units.hpp"
#include "run_file_internal.hpp"

namespace tipsim::output::detail {

namespace {

constexpr unsigned kDeflateLevel = 4;

// Dataset properties that track attribute creation order, as
// group_creation_properties() does for groups.
Handle dataset_creation_properties(const std::string& path) {
  Handle dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), path, "cannot create dataset properties"), H5Pclose);
  h5::check_status(H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
                   path, "cannot track attribute creation order");
  return dcpl;
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

// write_categories() for one stored type T: CF flag_values must have the
// type of their variable.
template <typename T>
void write_typed_categories(hid_t ds, hid_t file_type, hid_t memory_type,
                            const std::vector<std::string>& labels, bool none, const std::string& path) {
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

}  // namespace

Handle group_creation_properties(const std::string& path, hid_t list_class) {
  Handle gcpl(h5::check(H5Pcreate(list_class), path, "cannot create group properties"), H5Pclose);
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  h5::check_status(H5Pset_link_creation_order(gcpl.get(), order), path, "cannot track link creation order");
  h5::check_status(H5Pset_attr_creation_order(gcpl.get(), order), path,
                   "cannot track attribute creation order");
  return gcpl;
}

GroupWriter::GroupWriter(hid_t parent, const char* name, std::string_view comment, const std::string& path)
    : path_(path) {
  Handle gcpl = group_creation_properties(path);
  group_ = Handle(h5::check(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), path,
                            std::string("cannot create group '") + name + "'"),
                  H5Gclose);
  h5::write_attribute(group_.get(), "comment", comment, path);
}

void GroupWriter::index_dimension(const char* name, std::size_t size, std::string_view long_name,
                                  std::string_view units) {
  std::vector<std::int32_t> values(size);
  std::iota(values.begin(), values.end(), 0);
  Handle ds = create(name, H5T_STD_I32LE, {size});
  write(ds.get(), H5T_NATIVE_INT32, values.data(), size);
  describe(ds.get(), long_name, units);
  make_scale(std::move(ds), name);
}

void GroupWriter::run_dimensions(std::size_t points, std::size_t replicates) {
  index_dimension("point", points, "sweep point (a plain run has one)", "1");
  index_dimension("replicate", replicates, "replicate (independent random streams)", "1");
}

void GroupWriter::growing_dimension(const char* name, std::size_t chunk_rows, std::string_view long_name) {
  Handle ds = create(name, H5T_STD_I64LE, {0}, {chunk_rows}, true);
  describe(ds.get(), long_name, "1");
  make_scale(std::move(ds), name);
}

Handle GroupWriter::growing_column(const char* name, const char* dim, hid_t file_type, std::size_t chunk_rows,
                                   std::string_view long_name, std::string_view units) {
  Handle ds = create(name, file_type, {0}, {chunk_rows}, true);
  describe(ds.get(), long_name, units);
  attach(ds.get(), {dim});
  return ds;
}

// CF wants a coordinate variable numeric: the dimension is an index and
// its labels an auxiliary coordinate, <name>_label, that every variable
// along it names in its `coordinates` attribute (see attach()).
void GroupWriter::label_dimension(const char* name, const std::vector<std::string>& labels,
                                  std::string_view long_name) {
  index_dimension(name, labels.size(), std::string(long_name) + " (index; its label is " + name + "_label)",
                  "1");
  const std::string label_name = label_variable(name);
  Handle ds = strings_dataset(label_name.c_str(), labels);
  describe(ds.get(), long_name, {});
  h5::check_status(H5DSattach_scale(ds.get(), scale(name), 0), path_,
                   "cannot attach dimension '" + std::string(name) + "'");
  labelled_.insert(name);
  labels_.push_back(std::move(ds));
}

Handle GroupWriter::strings(const char* name, std::initializer_list<const char*> dims,
                            const std::vector<std::string>& values, std::string_view long_name) {
  Handle ds = strings_dataset(name, values);
  describe(ds.get(), long_name, {});
  attach(ds.get(), dims);
  return ds;
}

Handle GroupWriter::doubles(const char* name, std::initializer_list<const char*> dims,
                            const std::vector<double>& values, std::string_view long_name,
                            std::string_view units) {
  return numbers(name, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), values.size(), long_name,
                 units);
}

Handle GroupWriter::int64s(const char* name, std::initializer_list<const char*> dims,
                           const std::vector<std::int64_t>& values, std::string_view long_name,
                           std::string_view units) {
  return numbers(name, dims, H5T_STD_I64LE, H5T_NATIVE_INT64, values.data(), values.size(), long_name, units);
}

Handle GroupWriter::text(const char* name, const std::string& value, std::string_view long_name) {
  Handle type = h5::utf8_string_type();
  Handle space(h5::check(H5Screate(H5S_SCALAR), path_, "cannot create a dataspace"), H5Sclose);
  Handle dcpl = dataset_creation_properties(path_);
  Handle ds(
      h5::check(H5Dcreate2(group_.get(), name, type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                path_, std::string("cannot create dataset '") + name + "'"),
      H5Dclose);
  const char* pointer = value.c_str();
  h5::check_status(h5::write_dataset(ds.get(), type.get(), H5S_ALL, H5S_ALL, 1, &pointer), path_,
                   std::string("cannot write dataset '") + name + "'");
  describe(ds.get(), long_name, {});
  return ds;
}

Handle GroupWriter::create(const char* name, hid_t file_type, const std::vector<std::size_t>& shape,
                           const std::vector<std::size_t>& chunk, bool extendible) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  std::vector<hsize_t> max_dims = dims;
  if (extendible) max_dims.at(0) = H5S_UNLIMITED;
  Handle space(h5::check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), path_,
                         "cannot create a dataspace"),
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
    h5::check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk_dims.size()), chunk_dims.data()), path_,
                     what);
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

// units as UDUNITS spells it (CF), unit_label as people read it.
void GroupWriter::describe(hid_t ds, std::string_view long_name, std::string_view units) {
  h5::write_attribute(ds, "long_name", long_name, path_);
  if (units.empty()) return;
  h5::write_attribute(ds, "units", cf_units(units), path_);
  h5::write_attribute(ds, "unit_label", units, path_);
}

void GroupWriter::attach(hid_t ds, std::initializer_list<const char*> dims) {
  attach(ds, std::vector<std::string>(dims.begin(), dims.end()));
}

void GroupWriter::attach(hid_t ds, const std::vector<std::string>& dims) {
  unsigned index = 0;
  std::string coordinates = h5::has_attribute(ds, "coordinates")
                                ? h5::read_string_attribute(ds, "coordinates", path_)
                                : std::string();
  const std::size_t named = coordinates.size();
  for (const std::string& dim : dims) {
    h5::check_status(H5DSattach_scale(ds, scale(dim), index++), path_,
                     "cannot attach dimension '" + dim + "'");
    if (!labelled_.contains(dim)) continue;
    if (!coordinates.empty()) coordinates += ' ';
    coordinates += label_variable(dim);
  }
  if (coordinates.size() != named) h5::write_attribute(ds, "coordinates", coordinates, path_);
}

std::vector<std::size_t> GroupWriter::shape_of(const std::vector<std::string>& dims) const {
  std::vector<std::size_t> shape;
  for (const std::string& dim : dims) shape.push_back(sizes_.at(dim));
  return shape;
}

std::vector<std::size_t> GroupWriter::shape_of(std::initializer_list<const char*> dims) const {
  return shape_of(std::vector<std::string>(dims.begin(), dims.end()));
}

Handle GroupWriter::numbers(const char* name, std::initializer_list<const char*> dims, hid_t file_type,
                            hid_t memory_type, const void* data, std::size_t count,
                            std::string_view long_name, std::string_view units) {
  Handle ds = create(name, file_type, shape_of(dims));
  write(ds.get(), memory_type, data, count);
  describe(ds.get(), long_name, units);
  attach(ds.get(), dims);
  return ds;
}

Handle GroupWriter::strings_dataset(const char* name, const std::vector<std::string>& values) {
  Handle type = h5::utf8_string_type();
  Handle ds = create(name, type.get(), {values.size()});
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& v : values) pointers.push_back(v.c_str());
  write(ds.get(), type.get(), pointers.data(), pointers.size());
  return ds;
}

void GroupWriter::write(hid_t ds, hid_t memory_type, const void* data, std::size_t count) {
  // An empty table has nothing to write (and HDF5 wants no buffer then).
  if (count == 0) return;
  h5::check_status(h5::write_dataset(ds, memory_type, H5S_ALL, H5S_ALL, count, data), path_,
                   "cannot write a dataset");
}

void GroupWriter::make_scale(Handle ds, const char* name) {
  // The scale's NAME is the netCDF dimension name; the dataset is its
  // coordinate variable.
  h5::check_status(H5DSset_scale(ds.get(), name), path_,
                   std::string("cannot make '") + name + "' a dimension");
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  sizes_[name] = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  scales_.emplace(name, std::move(ds));
}

hid_t GroupWriter::scale(const std::string& dim) const {
  auto it = scales_.find(dim);
  if (it == scales_.end()) throw std::logic_error("run file: no dimension '" + dim + "' in this group");
  return it->second.get();
}

void write_block(hid_t ds, hid_t memory_type, const void* data, const std::vector<hsize_t>& start,
                 const std::vector<hsize_t>& count, const std::string& path, const std::string& what) {
  Handle file_space(h5::check(H5Dget_space(ds), path, what), H5Sclose);
  h5::check_status(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      path, what);
  Handle memory_space(
      h5::check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), path, what),
      H5Sclose);
  const hsize_t elements = std::accumulate(count.begin(), count.end(), hsize_t{1}, std::multiplies<>());
  h5::check_status(h5::write_dataset(ds, memory_type, memory_space.get(), file_space.get(), elements, data),
                   path, what);
}

void append_rows(hid_t ds, hid_t memory_type, const void* data, std::size_t at, std::size_t count,
                 const std::string& path, const std::string& what) {
  if (count == 0) return;
  const hsize_t size = at + count;
  h5::check_status(H5Dset_extent(ds, &size), path, what);
  write_block(ds, memory_type, data, {at}, {count}, path, what);
}

std::string flag_meanings(const std::vector<std::string>& labels) {
  std::string text;
  for (const std::string& label : labels) {
    if (!text.empty()) text += ' ';
    text += flag_word(label);
  }
  return text;
}

void write_categories(hid_t ds, hid_t file_type, const std::vector<std::string>& labels, bool none,
                      const std::string& path) {
  if (H5Tequal(file_type, H5T_STD_I8LE) > 0)
    return write_typed_categories<std::int8_t>(ds, H5T_STD_I8LE, H5T_NATIVE_INT8, labels, none, path);
  if (H5Tequal(file_type, H5T_STD_I16LE) > 0)
    return write_typed_categories<std::int16_t>(ds, H5T_STD_I16LE, H5T_NATIVE_INT16, labels, none, path);
  if (H5Tequal(file_type, H5T_STD_U8LE) > 0)
    return write_typed_categories<std::uint8_t>(ds, H5T_STD_U8LE, H5T_NATIVE_UINT8, labels, none, path);
  throw std::logic_error("run file: categories of a type other than int8, int16 or uint8");
}

}  // namespace tipsim::output::detail
