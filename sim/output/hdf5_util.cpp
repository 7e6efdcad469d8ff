#include "hdf5_util.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "run_file.hpp"

namespace tipsim::output::h5 {

namespace {

// HDF5 1.10.8 cannot close a file whose metadata flush failed once (a full
// disk: "slist already enabled"); the failed close leaves a dangling file
// object, and the library's exit handler then crashes on it, turning a clean
// error exit into a segmentation fault. tipsim closes every file it opens
// itself, so the exit handler is switched off before HDF5 initialises; it
// must run before any other HDF5 call, hence a static initialiser.
[[maybe_unused]] const bool kNoExitHandler = (H5dont_atexit(), true);

std::atomic<std::size_t> g_refused_closes{0};

}  // namespace

std::size_t refused_closes() { return g_refused_closes.load(); }
void note_refused_close() { g_refused_closes.fetch_add(1); }

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &old_func_, &old_data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, old_func_, old_data_); }

namespace {

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* error, void* client_data) {
  auto* lines = static_cast<std::vector<std::string>*>(client_data);
  std::string line = error->desc != nullptr ? error->desc : "";
  // Several frames repeat the same message; keep each once.
  if (!line.empty() && std::find(lines->begin(), lines->end(), line) == lines->end()) lines->push_back(line);
  return 0;
}

}  // namespace

std::string error_stack_text() {
  std::vector<std::string> lines;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &lines);
  H5Eclear2(H5E_DEFAULT);
  if (lines.empty()) return "HDF5 reported no further detail";
  // HDF5's low-level messages carry a time stamp, flags and buffer
  // addresses; what a user needs is the outermost message and the system's
  // reason ("error message = 'No space left on device'").
  auto clean = [](std::string line) {
    if (const auto cut = line.find(": time = "); cut != std::string::npos) line.erase(cut);
    if (const auto cut = line.find("time = "); cut == 0) line.clear();
    std::replace(line.begin(), line.end(), '\n', ' ');
    return line;
  };
  std::vector<std::string> reasons;
  for (const std::string& line : lines) {
    constexpr std::string_view kMarker = "error message = '";
    const auto begin = line.find(kMarker);
    if (begin == std::string::npos) continue;
    const auto end = line.find('\'', begin + kMarker.size());
    std::string reason = line.substr(begin + kMarker.size(), end - begin - kMarker.size());
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) reasons.push_back(reason);
  }
  std::string text = clean(lines.front());
  if (!reasons.empty()) {
    text += " (";
    for (std::size_t i = 0; i < reasons.size(); ++i) text += (i > 0 ? "; " : "") + reasons[i];
    text += ")";
  } else if (lines.size() > 1) {
    const std::string innermost = clean(lines.back());
    if (!innermost.empty()) text += ": " + innermost;
  }
  return text;
}

void fail(const std::string& path, std::string_view what) {
  throw OutputError(path + ": " + std::string(what) + ": " + error_stack_text());
}

hid_t check(hid_t id, const std::string& path, std::string_view what) {
  if (id < 0) fail(path, what);
  return id;
}

void check_status(herr_t status, const std::string& path, std::string_view what) {
  if (status < 0) fail(path, what);
}

Handle utf8_string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0 || H5Tset_strpad(type.get(), H5T_STR_NULLTERM) < 0)
    fail("<HDF5>", "cannot build the UTF-8 string type");
  return type;
}

herr_t write_dataset(hid_t dataset, hid_t memory_type, hid_t memory_space, hid_t file_space,
                     std::size_t elements, const void* values) {
  // A strip of at most the default 1 MiB, and never less than a page: room
  // for every element in memory and in the file (a variable-length string
  // is a 16-byte heap reference there).
  constexpr std::size_t kDefault = std::size_t{1} << 20, kPage = 4096, kReference = 16;
  Handle file_type(H5Dget_type(dataset), H5Tclose);
  if (!file_type.valid()) return -1;
  const std::size_t element = std::max({H5Tget_size(memory_type), H5Tget_size(file_type.get()), kReference});
  const std::size_t bytes = std::clamp(elements * element, kPage, kDefault);
  Handle transfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  if (!transfer.valid() || H5Pset_buffer(transfer.get(), bytes, nullptr, nullptr) < 0) return -1;
  return H5Dwrite(dataset, memory_type, memory_space, file_space, transfer.get(), values);
}

namespace {

// Attributes are created with a scalar (or 1-D) dataspace; an attribute of
// the same name is replaced so that writers may set a value twice.
void write_raw_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type, hid_t space,
                         const void* data, const std::string& path) {
  const std::string what = std::string("cannot write attribute '") + name + "'";
  if (H5Aexists(object, name) > 0) check_status(H5Adelete(object, name), path, what);
  Handle attribute(check(H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), path, what),
                   H5Aclose);
  check_status(H5Awrite(attribute.get(), memory_type, data), path, what);
}

}  // namespace

void write_attribute(hid_t object, const char* name, std::string_view value, const std::string& path) {
  Handle type = utf8_string_type();
  Handle space(check(H5Screate(H5S_SCALAR), path, "cannot create a dataspace"), H5Sclose);
  const std::string text(value);
  const char* pointer = text.c_str();
  write_raw_attribute(object, name, type.get(), type.get(), space.get(), &pointer, path);
}

void write_attribute(hid_t object, const char* name, std::int64_t value, const std::string& path) {
  Handle space(check(H5Screate(H5S_SCALAR), path, "cannot create a dataspace"), H5Sclose);
  write_raw_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value, path);
}

void write_attribute(hid_t object, const char* name, double value, const std::string& path) {
  Handle space(check(H5Screate(H5S_SCALAR), path, "cannot create a dataspace"), H5Sclose);
  write_raw_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &value, path);
}

void write_attribute(hid_t object, const char* name, std::span<const double> values,
                     const std::string& path) {
  const hsize_t size = values.size();
  Handle space(check(H5Screate_simple(1, &size, nullptr), path, "cannot create a dataspace"), H5Sclose);
  write_raw_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), values.data(), path);
}

void write_array_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type,
                           const void* values, std::size_t count, const std::string& path) {
  const hsize_t size = count;
  Handle space(check(H5Screate_simple(1, &size, nullptr), path, "cannot create a dataspace"), H5Sclose);
  write_raw_attribute(object, name, file_type, memory_type, space.get(), values, path);
}

bool has_attribute(hid_t object, const char* name) { return H5Aexists(object, name) > 0; }

bool has_path(hid_t object, const std::string& path) {
  for (std::size_t slash = path.find('/');; slash = path.find('/', slash + 1)) {
    if (H5Lexists(object, path.substr(0, slash).c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
  }
}

namespace {

// Reads every string of an attribute or dataset, whatever its string
// flavour: variable length (what tipsim writes) or fixed length (what other
// tools may write). `read(memory_type, buffer, transfer)` reads them with the
// given transfer property list (H5P_DEFAULT where a read takes none).
template <typename Read>
std::vector<std::string> read_string_elements(hid_t file_type, hid_t space, Read read,
                                              const std::string& path, std::string_view what,
                                              hid_t transfer = H5P_DEFAULT) {
  if (H5Tget_class(file_type) != H5T_STRING)
    throw OutputError(path + ": " + std::string(what) + " is not text");
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(path, what);
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  if (H5Tis_variable_str(file_type) > 0) {
    Handle memory_type = utf8_string_type();
    H5Tset_cset(memory_type.get(), H5Tget_cset(file_type));
    std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
    // Strings come from the bounded allocator below when `transfer` names it:
    // freed with std::free then, with HDF5's own free otherwise; and freed
    // whether the read succeeded or not.
    const bool bounded = transfer != H5P_DEFAULT;
    const herr_t status = count > 0 ? read(memory_type.get(), pointers.data(), transfer) : 0;
    if (status >= 0)
      for (char* p : pointers) out.emplace_back(p != nullptr ? p : "");
    for (char* p : pointers) {
      if (bounded)
        std::free(p);
      else
        H5free_memory(p);
    }
    check_status(status, path, what);
  } else {
    const std::size_t width = H5Tget_size(file_type);
    Handle memory_type(H5Tcopy(file_type), H5Tclose);
    std::vector<char> buffer(width * static_cast<std::size_t>(count) + 1, '\0');
    if (count > 0) check_status(read(memory_type.get(), buffer.data(), transfer), path, what);
    for (hssize_t i = 0; i < count; ++i) {
      const char* begin = buffer.data() + static_cast<std::size_t>(i) * width;
      out.emplace_back(begin, std::find(begin, begin + width, '\0'));
    }
  }
  return out;
}

}  // namespace

std::string read_string_attribute(hid_t object, const char* name, const std::string& path) {
  const std::string what = std::string("attribute '") + name + "'";
  Handle attribute(check(H5Aopen(object, name, H5P_DEFAULT), path, "cannot open " + what), H5Aclose);
  Handle type(check(H5Aget_type(attribute.get()), path, what), H5Tclose);
  Handle space(check(H5Aget_space(attribute.get()), path, what), H5Sclose);
  auto values = read_string_elements(
      type.get(), space.get(),
      [&](hid_t memory_type, void* buffer, hid_t) { return H5Aread(attribute.get(), memory_type, buffer); },
      path, what);
  if (values.size() != 1)
    throw OutputError(path + ": " + what + " holds " + std::to_string(values.size()) + " strings, not one");
  return values.front();
}

double read_number_attribute(hid_t object, const char* name, const std::string& path) {
  const std::string what = std::string("attribute '") + name + "'";
  Handle attribute(check(H5Aopen(object, name, H5P_DEFAULT), path, "cannot open " + what), H5Aclose);
  Handle type(check(H5Aget_type(attribute.get()), path, what), H5Tclose);
  Handle space(check(H5Aget_space(attribute.get()), path, what), H5Sclose);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if ((type_class != H5T_INTEGER && type_class != H5T_FLOAT) ||
      H5Sget_simple_extent_npoints(space.get()) != 1)
    throw OutputError(path + ": " + what + " is not a single number");
  // A damaged type whose bits lie beyond its bytes (a precision of 65 343
  // bits in 8 bytes, say) makes HDF5's conversion write past the value.
  const std::size_t bytes = H5Tget_size(type.get());
  const std::size_t bits = H5Tget_precision(type.get()) + H5Tget_offset(type.get());
  if (bytes == 0 || bytes > 16 || bits == 0 || bits > 8 * bytes)
    throw OutputError(path + ": " + what + " has a damaged number type (" + std::to_string(bits) +
                      " bits in " + std::to_string(bytes) + " bytes)");
  double value = 0;
  check_status(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), path, "cannot read " + what);
  return value;
}

std::size_t checked_element_count(hid_t dataset, const std::string& path, std::string_view what) {
  Handle space(check(H5Dget_space(dataset), path, "dataset space"), H5Sclose);
  Handle type(check(H5Dget_type(dataset), path, "dataset type"), H5Tclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(path, what);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const double element_bytes = static_cast<double>(std::max<std::size_t>(1, H5Tget_size(type.get())));
  double count = 1;
  for (hsize_t d : dims) count *= static_cast<double>(d);
  const double stored = static_cast<double>(H5Dget_storage_size(dataset));
  if (count * element_bytes > 2048.0 * stored + 1048576.0)
    throw FormatError(path + ": damaged run file: " + std::string(what) + " claims " +
                      std::to_string(static_cast<unsigned long long>(std::min(count, 1e19))) +
                      " values, far more than the " +
                      std::to_string(static_cast<unsigned long long>(stored)) + " bytes it holds");
  return static_cast<std::size_t>(count);
}

namespace {

// What the strings of one dataset may take in memory: far more than any
// run file holds (labels, scenario texts), far less than a damaged length
// in the file can claim (HDF5 would otherwise allocate and copy gigabytes).
constexpr std::size_t kStringBytesPerRead = std::size_t{256} << 20;

struct StringBudget {
  std::size_t left = kStringBytesPerRead;
  bool exceeded = false;
};

void* bounded_string_alloc(std::size_t size, void* info) {
  auto* budget = static_cast<StringBudget*>(info);
  if (size > budget->left) {
    budget->exceeded = true;
    return nullptr;
  }
  budget->left -= size;
  return std::malloc(size);
}

void bounded_string_free(void* memory, void*) { std::free(memory); }

}  // namespace

std::vector<std::string> read_strings(hid_t dataset, const std::string& path) {
  Handle type(check(H5Dget_type(dataset), path, "dataset type"), H5Tclose);
  checked_element_count(dataset, path, "a string dataset");
  Handle space(check(H5Dget_space(dataset), path, "dataset space"), H5Sclose);
  StringBudget budget;
  Handle transfer(check(H5Pcreate(H5P_DATASET_XFER), path, "a transfer property list"), H5Pclose);
  check_status(
      H5Pset_vlen_mem_manager(transfer.get(), bounded_string_alloc, &budget, bounded_string_free, nullptr),
      path, "the string allocator");
  try {
    return read_string_elements(
        type.get(), space.get(),
        [&](hid_t memory_type, void* buffer, hid_t plist) {
          return H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, plist, buffer);
        },
        path, "string dataset", transfer.get());
  } catch (const OutputError&) {
    if (budget.exceeded)
      throw FormatError(path + ": damaged run file: a string dataset claims more than " +
                        std::to_string(kStringBytesPerRead >> 20) + " MiB of text");
    throw;
  }
}

}  // namespace tipsim::output::h5
