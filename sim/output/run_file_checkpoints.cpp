// Checkpoints in run files: the whole state of a replicate at the end of
// chosen steps (checkpoints/replicate_R/step_S/), written as runs arrive,
// for `tipsim run --fork` to continue from (docs/output-format.md).
#include <string>
#include <variant>
#include <vector>

#include "run_file_internal.hpp"
#include "state_arrays.hpp"

namespace tipsim::output {

std::string checkpoint_group_name(std::size_t replicate, std::int32_t step) {
  return "checkpoints/replicate_" + std::to_string(replicate) + "/step_" + std::to_string(step);
}

namespace detail {

namespace {

// Creates `name` (and the groups above it) under `parent`.
Handle create_group_path(hid_t parent, const std::string& name, const std::string& path) {
  Handle lcpl(h5::check(H5Pcreate(H5P_LINK_CREATE), path, "cannot create link properties"), H5Pclose);
  h5::check_status(H5Pset_create_intermediate_group(lcpl.get(), 1), path, "cannot set intermediate groups");
  Handle gcpl = group_creation_properties(path);
  return Handle(h5::check(H5Gcreate2(parent, name.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT), path,
                          "cannot create group '" + name + "'"),
                H5Gclose);
}

// One array as a dataset of its own type: (element) or (region, width),
// compressed (a world's persons are mostly alike).
void write_array(hid_t group, const StateArray& array, const std::string& path) {
  std::visit(
      [&](const auto& values) {
        using T = typename std::decay_t<decltype(values)>::value_type;
        hid_t file_type = H5T_STD_U32LE, memory_type = H5T_NATIVE_UINT32;
        if constexpr (!std::is_same_v<T, std::uint32_t>) {
          file_type = file_type_of<T>();
          memory_type = memory_type_of<T>();
        }
        const hsize_t rows = values.size() / array.width;
        std::vector<hsize_t> dims = {rows};
        if (array.width > 1) dims.push_back(array.width);
        Handle space(h5::check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path,
                               "cannot create a dataspace"),
                     H5Sclose);
        Handle dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), path, "cannot create dataset properties"),
                    H5Pclose);
        if (!values.empty()) {
          std::vector<hsize_t> chunk = dims;
          chunk[0] = std::min<hsize_t>(rows, 1u << 16);
          h5::check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), path,
                           "cannot set chunks");
          h5::check_status(H5Pset_shuffle(dcpl.get()), path, "cannot set the shuffle filter");
          h5::check_status(H5Pset_deflate(dcpl.get(), 4), path, "cannot set compression");
        }
        const std::string what = "cannot write checkpoint array '" + array.name + "'";
        Handle lcpl(h5::check(H5Pcreate(H5P_LINK_CREATE), path, "cannot create link properties"), H5Pclose);
        h5::check_status(H5Pset_create_intermediate_group(lcpl.get(), 1), path,
                         "cannot set intermediate groups");
        Handle ds(h5::check(H5Dcreate2(group, array.name.c_str(), file_type, space.get(), lcpl.get(),
                                       dcpl.get(), H5P_DEFAULT),
                            path, what),
                  H5Dclose);
        if (!values.empty())
          h5::check_status(
              h5::write_dataset(ds.get(), memory_type, H5S_ALL, H5S_ALL, values.size(), values.data()), path,
              what);
        if (!array.meaning.empty()) h5::write_attribute(ds.get(), "long_name", array.meaning, path);
      },
      array.values);
}

}  // namespace

void write_checkpoints(hid_t file, std::size_t replicate, const std::vector<State>& checkpoints,
                       const std::string& path) {
  for (const State& state : checkpoints) {
    const std::string name = checkpoint_group_name(replicate, state.step);
    // A run that was written but not recorded before a kill is run again on
    // resuming: its checkpoint is replaced.
    if (h5::has_path(file, name))
      h5::check_status(H5Ldelete(file, name.c_str(), H5P_DEFAULT), path, "cannot replace '" + name + "'");
    Handle group = create_group_path(file, name, path);
    for (const StateArray& array : state_arrays(state)) write_array(group.get(), array, path);
  }
}

}  // namespace detail

}  // namespace tipsim::output
