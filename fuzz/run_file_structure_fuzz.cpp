// libFuzzer target: the run-file reader against well-formed HDF5 that says
// the wrong things. Byte-level fuzzing (run_file_reader_fuzz) mostly tests
// HDF5's own decoder; this one starts from a real run file and lets the
// input drive edits through the HDF5 API (links deleted or turned into
// other kinds of object, datasets replaced with other types, ranks and
// shapes, huge unwritten ones among them, attributes rewritten with odd
// types and values, dimension scales added or moved, soft links and
// loops), so every file is valid HDF5 and any crash is in tipsim's reader.
// The reader must give contents or an OutputError naming the file and
// leave nothing open (run_file_checks.hpp).
//
// Seeds: the run files in fuzz/corpus/run_file/ (TIPSIM_FUZZ_SEED_DIR
// overrides); the input picks one. With TIPSIM_FUZZ_KEEP=FILE, the edited
// file is also copied to FILE: run the fuzzer on a crash input that way and
// commit FILE to fuzz/regressions/run_file/ (replayed by the test suite).
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "run_file_checks.hpp"

namespace {

namespace fs = std::filesystem;

struct Seed {
  std::string bytes;
  std::vector<std::string> objects;  // every group and dataset, "/" first
};

std::vector<Seed> g_seeds;
fs::path g_folder;
std::uint64_t g_count = 0;

void remove_folder() {
  std::error_code ignored;
  fs::remove_all(g_folder, ignored);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

herr_t collect(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->type == H5O_TYPE_GROUP || info->type == H5O_TYPE_DATASET)
    static_cast<std::vector<std::string>*>(data)->push_back(
        std::string(name) == "." ? "/" : "/" + std::string(name));
  return 0;
}

// Names the reader looks for, so that edits land where they matter.
const char* const kAttributeNames[] = {
    "format",         "format_version",  "experiment",  "event_log", "snapshot_every", "units",
    "long_name",      "CLASS",           "NAME",        "baseline",  "source_path",    "cell_methods",
    "layer",          "replicate_count", "point_count", "steps",     "flag_values",    "flag_meanings",
    "DIMENSION_LIST", "REFERENCE_LIST"};
const char* const kChildNames[] = {"scenario",
                                   "series",
                                   "summary",
                                   "sweep",
                                   "comparison",
                                   "events",
                                   "snapshots",
                                   "point",
                                   "replicate",
                                   "step",
                                   "region",
                                   "state",
                                   "arm",
                                   "event",
                                   "runs",
                                   "source_text",
                                   "resolved_toml",
                                   "parameters",
                                   "regional_values",
                                   "routes",
                                   "interventions",
                                   "key",
                                   "value",
                                   "unit",
                                   "scope",
                                   "definition",
                                   "time_days",
                                   "exploited_mean",
                                   "persons_by_state",
                                   "kind",
                                   "origin",
                                   "share",
                                   "x"};

hid_t pick_type(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return H5Tcopy(H5T_STD_I8LE);
    case 1:
      return H5Tcopy(H5T_STD_I64LE);
    case 2:
      return H5Tcopy(H5T_STD_U64BE);
    case 3:
      return H5Tcopy(H5T_IEEE_F32LE);
    case 4: {
      const hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, H5T_VARIABLE);
      H5Tset_cset(t, H5T_CSET_UTF8);
      return t;
    }
    case 5: {
      const hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, in.ConsumeIntegralInRange<std::size_t>(1, 40));
      return t;
    }
    case 6: {
      const hid_t t = H5Tcreate(H5T_COMPOUND, 16);
      H5Tinsert(t, "a", 0, H5T_NATIVE_DOUBLE);
      H5Tinsert(t, "b", 8, H5T_NATIVE_INT64);
      return t;
    }
    default:
      return H5Tcopy(H5T_IEEE_F64LE);
  }
}

double pick_number(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0:
      return std::numeric_limits<double>::quiet_NaN();
    case 1:
      return std::numeric_limits<double>::infinity();
    case 2:
      return -1;
    case 3:
      return 1e300;
    case 4:
      return 9.3e18;
    case 5:
      return 0;
    case 6:
      return 1;
    case 7:
      return 2;
    default:
      return in.ConsumeFloatingPoint<double>();
  }
}

std::vector<hsize_t> pick_dims(FuzzedDataProvider& in, bool allow_huge) {
  std::vector<hsize_t> dims(in.ConsumeIntegralInRange<std::size_t>(0, 4));
  for (hsize_t& d : dims) {
    switch (in.ConsumeIntegralInRange(0, 5)) {
      case 0:
        d = 0;
        break;
      case 1:
        d = allow_huge ? hsize_t{1} << in.ConsumeIntegralInRange(20, 40) : 3;
        break;
      default:
        d = in.ConsumeIntegralInRange<hsize_t>(1, 6);
    }
  }
  return dims;
}

// Writes a buffer of the type's size per element, filled from the input
// (vlen strings get short texts).
void fill_and_write(FuzzedDataProvider& in, hid_t type, std::size_t count,
                    const std::function<herr_t(hid_t, const void*)>& write) {
  if (count == 0 || count > 4096) return;
  if (H5Tis_variable_str(type) > 0) {
    std::vector<std::string> texts(count);
    std::vector<const char*> pointers(count);
    for (std::size_t i = 0; i < count; ++i) {
      texts[i] = in.ConsumeRandomLengthString(24);
      pointers[i] = texts[i].c_str();
    }
    write(type, pointers.data());
    return;
  }
  const std::size_t size = H5Tget_size(type);
  std::vector<unsigned char> buffer(size * count);
  if (H5Tget_class(type) == H5T_FLOAT && size == 8) {
    for (std::size_t i = 0; i < count; ++i) {
      const double v = pick_number(in);
      std::memcpy(buffer.data() + i * 8, &v, 8);
    }
  } else {
    for (unsigned char& b : buffer) b = in.ConsumeIntegral<unsigned char>();
  }
  write(type, buffer.data());
}

void replace_dataset(FuzzedDataProvider& in, hid_t parent, const std::string& name) {
  H5Ldelete(parent, name.c_str(), H5P_DEFAULT);
  const std::vector<hsize_t> dims = pick_dims(in, true);
  const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t type = pick_type(in);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  double count = 1;
  for (hsize_t d : dims) count *= static_cast<double>(d);
  if (!dims.empty() && count > 4096) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    H5Pset_chunk(dcpl, static_cast<int>(dims.size()), chunk.data());
  }
  const hid_t ds = H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (ds >= 0) {
    fill_and_write(in, type, static_cast<std::size_t>(count), [&](hid_t t, const void* data) {
      return H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    });
    if (in.ConsumeBool() && dims.size() == 1) H5DSset_scale(ds, name.c_str());
    H5Dclose(ds);
  }
  H5Pclose(dcpl);
  H5Tclose(type);
  H5Sclose(space);
}

void set_attribute(FuzzedDataProvider& in, hid_t object) {
  const char* name =
      kAttributeNames[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kAttributeNames) - 1)];
  H5Adelete(object, name);
  if (in.ConsumeBool()) return;  // deleted only
  const std::vector<hsize_t> dims = pick_dims(in, false);
  const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t type = pick_type(in);
  const hid_t a = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    std::size_t count = 1;
    for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
    if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0 && count == 1 && in.ConsumeBool()) {
      // A plausible text: what the reader compares with.
      const char* texts[] = {"tipsim-run", "run", "sweep", "comparison", "DIMENSION_SCALE", ""};
      const char* text = texts[in.ConsumeIntegralInRange<std::size_t>(0, 5)];
      H5Awrite(a, type, &text);
    } else {
      fill_and_write(in, type, count, [&](hid_t t, const void* data) { return H5Awrite(a, t, data); });
    }
    H5Aclose(a);
  }
  H5Tclose(type);
  H5Sclose(space);
}

void edit(FuzzedDataProvider& in, hid_t file, const std::vector<std::string>& objects) {
  const std::string& path = objects[in.ConsumeIntegralInRange<std::size_t>(0, objects.size() - 1)];
  const hid_t object = H5Oopen(file, path.c_str(), H5P_DEFAULT);
  if (object < 0) return;  // removed by an earlier edit
  H5O_info_t info{};
  H5Oget_info2(object, &info, H5O_INFO_BASIC);
  const bool group = info.type == H5O_TYPE_GROUP;
  // The parent and the name within it, for edits of the link itself.
  const std::size_t slash = path.rfind('/');
  const std::string parent_path = slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
    case 1:
      set_attribute(in, object);
      break;
    case 2:
      if (path != "/") H5Ldelete(file, path.c_str(), H5P_DEFAULT);
      break;
    case 3:
      if (path != "/") {
        const hid_t parent = H5Oopen(file, parent_path.c_str(), H5P_DEFAULT);
        H5Oclose(object);
        replace_dataset(in, parent, name);
        H5Oclose(parent);
        return;
      }
      break;
    case 4:
      if (group) {
        const char* child =
            kChildNames[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kChildNames) - 1)];
        if (in.ConsumeBool()) {
          replace_dataset(in, object, child);
        } else {
          H5Ldelete(object, child, H5P_DEFAULT);
          H5Gclose(H5Gcreate2(object, child, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        }
      }
      break;
    case 5:
      if (group) {
        // A soft link: to another object, to nothing, or to itself.
        const char* child =
            kChildNames[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kChildNames) - 1)];
        H5Ldelete(object, child, H5P_DEFAULT);
        const std::string target =
            in.ConsumeBool()   ? objects[in.ConsumeIntegralInRange<std::size_t>(0, objects.size() - 1)]
            : in.ConsumeBool() ? std::string("/nowhere")
                               : (path == "/" ? "" : path) + "/" + child;
        H5Lcreate_soft(target.c_str(), object, child, H5P_DEFAULT, H5P_DEFAULT);
      }
      break;
    case 6:
      if (!group) {
        // Dimension scale bookkeeping: make it a scale, or attach one.
        if (in.ConsumeBool()) {
          H5DSset_scale(object, in.ConsumeBool() ? name.c_str() : "other");
        } else {
          const std::string& other = objects[in.ConsumeIntegralInRange<std::size_t>(0, objects.size() - 1)];
          const hid_t scale = H5Dopen2(file, other.c_str(), H5P_DEFAULT);
          if (scale >= 0) {
            if (H5DSis_scale(scale) <= 0) H5DSset_scale(scale, nullptr);
            H5DSattach_scale(object, scale, in.ConsumeIntegralInRange(0u, 4u));
            H5Dclose(scale);
          }
        }
      }
      break;
    default:
      if (group && path != "/") {
        // A hard link back to the root: a cycle.
        H5Lcreate_hard(file, "/", object, "loop", H5P_DEFAULT, H5P_DEFAULT);
      }
      break;
  }
  H5Oclose(object);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const char* chosen = std::getenv("TIPSIM_FUZZ_SEED_DIR");
  const fs::path seeds = chosen != nullptr && *chosen != '\0'
                             ? fs::path(chosen)
                             : fs::path(TIPSIM_SOURCE_DIR) / "fuzz/corpus/run_file";
  std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string pattern = base + "/tipsim-structure-fuzz-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("run_file_structure_fuzz: mkdtemp");
    std::exit(1);
  }
  g_folder = pattern;
  std::atexit(remove_folder);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(seeds)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    // Only the whole run files: they have something to edit.
    try {
      tipsim::output::read_run_file(file.string(), false);
    } catch (const std::exception&) {
      continue;
    }
    Seed seed;
    seed.bytes = read_bytes(file);
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, collect, &seed.objects, H5O_INFO_BASIC);
    H5Fclose(f);
    g_seeds.push_back(std::move(seed));
  }
  if (g_seeds.empty()) {
    std::fprintf(stderr, "run_file_structure_fuzz: no readable run file in %s\n", seeds.c_str());
    std::exit(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const Seed& seed = g_seeds[in.ConsumeIntegralInRange<std::size_t>(0, g_seeds.size() - 1)];
  const std::string path = (g_folder / ("input-" + std::to_string(g_count++) + ".h5")).string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(seed.bytes.data(), static_cast<std::streamsize>(seed.bytes.size()));
  }
  {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) std::abort();
    const int edits = in.ConsumeIntegralInRange(1, 6);
    for (int i = 0; i < edits && in.remaining_bytes() > 0; ++i) edit(in, file, seed.objects);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
  }
  if (const char* keep = std::getenv("TIPSIM_FUZZ_KEEP"); keep != nullptr && *keep != '\0') {
    std::error_code ignored;
    fs::copy_file(path, keep, fs::copy_options::overwrite_existing, ignored);
  }
  const std::string problem = tipsim::fuzz::check_run_file(path);
  if (!problem.empty()) {
    std::fprintf(stderr, "run_file_structure_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  std::error_code ignored;
  fs::remove(path, ignored);
  return 0;
}
