// Small RAII and error-reporting helpers over the HDF5 C API, shared by the
// run file writer and reader. Internal to tipsim::output.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tipsim::output::h5 {

// How many closes HDF5 has refused in this process (Handle::close). HDF5
// 1.10.8 may refuse to close a damaged file it read, and then keeps the
// file's identifier, broken: callers that count what is left open tell
// such a refusal from an identifier tipsim never closed by this.
std::size_t refused_closes();
void note_refused_close();

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; returns false when HDF5 reports a failure (a failed flush
  // on a file, typically).
  bool close() {
    if (id_ < 0) return true;
    const herr_t status = closer_(std::exchange(id_, H5I_INVALID_HID));
    if (status < 0) note_refused_close();
    return status >= 0;
  }
  void reset() { close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Turns HDF5's automatic error printing off for the current thread while it
// lives (the library is built thread-safe, so the setting is per thread),
// and restores the previous handler afterwards. Every entry point that calls
// HDF5 holds one, so failures surface as exceptions with the error stack's
// text instead of being printed to stderr.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t old_func_ = nullptr;
  void* old_data_ = nullptr;
};

// The current thread's HDF5 error stack as one line, outermost call first,
// innermost (usually naming errno) last; clears the stack.
std::string error_stack_text();

// Throws OutputError("<path>: <what>: <error stack>").
[[noreturn]] void fail(const std::string& path, std::string_view what);
// Returns id, or fails with the error stack when id is negative.
hid_t check(hid_t id, const std::string& path, std::string_view what);
void check_status(herr_t status, const std::string& path, std::string_view what);

// A variable-length UTF-8 string type (h5py reads it as str, netCDF-4 as
// `string`).
Handle utf8_string_type();

// H5Dwrite of `elements` values (of memory_type in memory) into the
// selection `file_space` of `dataset` (H5S_ALL: all of it), with a type
// conversion buffer sized to the values. HDF5's default buffer is 1 MiB,
// allocated and zeroed for every write that converts (strings, integers
// stored narrower), which costs more than the small writes of a run file.
herr_t write_dataset(hid_t dataset, hid_t memory_type, hid_t memory_space, hid_t file_space,
                     std::size_t elements, const void* values);

// Writers of attributes on any object (file, group or dataset).
void write_attribute(hid_t object, const char* name, std::string_view value, const std::string& path);
void write_attribute(hid_t object, const char* name, std::int64_t value, const std::string& path);
void write_attribute(hid_t object, const char* name, double value, const std::string& path);
void write_attribute(hid_t object, const char* name, std::span<const double> values, const std::string& path);
// A 1-D array attribute of `count` values stored as `file_type` (CF
// flag_values must have the type of their variable).
void write_array_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type,
                           const void* values, std::size_t count, const std::string& path);

// Readers; a missing attribute or one of another class fails.
bool has_attribute(hid_t object, const char* name);
// Whether `path` ("a/b/c") names an object under `object`: every link on
// the way exists (H5Lexists fails on a missing group above the last name).
bool has_path(hid_t object, const std::string& path);
std::string read_string_attribute(hid_t object, const char* name, const std::string& path);
double read_number_attribute(hid_t object, const char* name, const std::string& path);

// Reads a dataset of strings (fixed or variable length, any shape) as a
// flat list.
std::vector<std::string> read_strings(hid_t dataset, const std::string& path);

// The number of elements of a dataset, after checking that the file could
// hold them: a damaged dataspace may claim more values than any file has,
// and reading it would allocate that much. Throws FormatError when the
// element count overflows or its bytes exceed 2048 times the dataset's
// storage (deflate compresses at most about 1032:1) plus 1 MiB.
std::size_t checked_element_count(hid_t dataset, const std::string& path, std::string_view what);

}  // namespace tipsim::output::h5
