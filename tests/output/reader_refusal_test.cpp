// Readers refuse what they do not understand (docs/reliability.md):
// truncated, corrupted, foreign and newer-format files give a FormatError
// naming the file from the reader, and exit 2 with "tipsim: error: FILE: ..."
// from `tipsim inspect`, `tipsim run --from` and `tipsim-viewer` (where it
// is built) — never a crash, never a file written. A corrupted file either still reads (the flip hit a value:
// HDF5 has no checksums on raw data) or is refused; nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "crash_site.hpp"
#include "hdf5_util.hpp"
#include "process_helpers.hpp"
#include "run_file.hpp"
#include "test_paths.hpp"

namespace tipsim {
namespace {

using namespace tipsim::testing;

constexpr const char* kTiny = R"(
[scenario]
name = "reader test"
steps = 3
seed = 2
replicates = 2
[population]
size = 50
[[region]]
name = "Origin"
[[region]]
name = "Destination"
[[route]]
from = "Origin"
to = "Destination"
share = 0.3
)";

std::string read_bytes(const fs::path& path) { return read_text(path); }

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A folder with a small run file the program itself wrote (good.h5).
class ReaderRefusal : public ::testing::Test {
 protected:
  void SetUp() override {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the edits below may fail quietly
    folder_.write("tiny.toml", kTiny);
    const Outcome outcome = run_tipsim(folder_.path(), {"run", "tiny.toml", "-o", "good.h5", "--quiet"});
    ASSERT_EQ(outcome.shell_status(), 0) << outcome.err;
    good_ = read_bytes(folder_ / "good.h5");
    ASSERT_GT(good_.size(), 1000u);
  }

  // The reader refuses `name` with a FormatError naming it (and, when
  // `expected` is given, saying so).
  void expect_format_error(const std::string& name, const std::string& expected = "") const {
    const std::string path = (folder_ / name).string();
    try {
      output::read_run_file(path);
      ADD_FAILURE() << name << " was read as a run file";
    } catch (const output::FormatError& e) {
      EXPECT_TRUE(contains(e.what(), path)) << e.what();
      if (!expected.empty()) {
        EXPECT_TRUE(contains(e.what(), expected)) << e.what();
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": not a FormatError: " << e.what();
    }
  }

  // `tipsim inspect`, `tipsim run --from` and the viewer refuse it: exit
  // 2, the file named, nothing written.
  void expect_cli_refusal(const std::string& name, const std::string& expected = "") const {
    const Outcome inspect = run_tipsim(folder_.path(), {"inspect", name});
    EXPECT_EQ(inspect.shell_status(), 2) << name << ": " << inspect.err;
    EXPECT_TRUE(contains(inspect.err, "tipsim: error: " + name)) << inspect.err;
    if (!expected.empty()) {
      EXPECT_TRUE(contains(inspect.err, expected)) << inspect.err;
    }
    if (*test_paths::viewer != '\0') {
      // The viewer reads the file before it opens a window, so no display
      // is needed to see it refuse one.
      Tipsim::Options viewer;
      viewer.program = test_paths::viewer;
      viewer.environment = {"DISPLAY=", "WAYLAND_DISPLAY="};
      const Outcome replay = run_tipsim(folder_.path(), {name}, viewer);
      EXPECT_EQ(replay.shell_status(), 2) << "tipsim-viewer " << name << ": " << replay.err;
      EXPECT_TRUE(contains(replay.err, name)) << replay.err;
    }
    const Outcome rerun =
        run_tipsim(folder_.path(), {"run", "--from", name, "-o", "rerun/out.h5", "--quiet"});
    EXPECT_EQ(rerun.shell_status(), 2) << name << ": " << rerun.err;
    EXPECT_TRUE(contains(rerun.err, "tipsim: error: " + name)) << rerun.err;
    EXPECT_TRUE(folder_.entries("rerun").empty());
  }

  // Rewrites one root attribute of a copy of good.h5 as a 64-bit integer
  // or a double.
  fs::path with_root_attribute(const std::string& name, const std::string& attribute, double value,
                               bool as_integer) const {
    const fs::path path = folder_ / name;
    write_bytes(path, good_);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    EXPECT_GE(file, 0);
    H5Adelete(file, attribute.c_str());
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t type = as_integer ? H5T_STD_I64LE : H5T_IEEE_F64LE;
    const hid_t a = H5Acreate2(file, attribute.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (as_integer) {
      const std::int64_t v =
          value >= 9.2e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(value);
      H5Awrite(a, H5T_NATIVE_INT64, &v);
    } else {
      H5Awrite(a, H5T_NATIVE_DOUBLE, &value);
    }
    H5Aclose(a);
    H5Sclose(space);
    H5Fclose(file);
    return path;
  }

  ScratchFolder folder_{"tipsim-reader"};
  std::string good_;
};

TEST_F(ReaderRefusal, TheGoodFileReads) {
  const output::RunFileContents contents = output::read_run_file((folder_ / "good.h5").string());
  EXPECT_EQ(contents.dimension("replicate"), 2u);
  const Outcome inspect = run_tipsim(folder_.path(), {"inspect", "good.h5"});
  EXPECT_EQ(inspect.shell_status(), 0) << inspect.err;
}

TEST_F(ReaderRefusal, TruncatedFiles) {
  const std::size_t size = good_.size();
  for (std::size_t length :
       {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::size_t{100}, std::size_t{512}, std::size_t{2048},
        size / 4, size / 2, size * 3 / 4, size - 100, size - 1}) {
    SCOPED_TRACE("truncated to " + std::to_string(length) + " of " + std::to_string(size) + " bytes");
    const std::string name = "truncated-" + std::to_string(length) + ".h5";
    write_bytes(folder_ / name, good_.substr(0, length));
    // Too short to be HDF5 at all, or HDF5 that ends too soon.
    expect_format_error(name);
  }
  write_bytes(folder_ / "half.h5", good_.substr(0, size / 2));
  expect_cli_refusal("half.h5", "damaged or incomplete");
}

TEST_F(ReaderRefusal, ForeignFiles) {
  write_bytes(folder_ / "notes.h5", "a text file, not HDF5\n");
  expect_format_error("notes.h5", "not an HDF5 file");
  expect_cli_refusal("notes.h5", "not an HDF5 file");

  write_bytes(folder_ / "empty.h5", "");
  expect_format_error("empty.h5");

  // HDF5 without the attributes of a run file.
  H5Fclose(H5Fcreate((folder_ / "bare.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  expect_format_error("bare.h5", "not a tipsim run file");
  expect_cli_refusal("bare.h5", "not a tipsim run file");

  // Another program's HDF5 file that says what it is.
  {
    const hid_t file = H5Fcreate((folder_ / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 6);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(file, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, "netCDF");
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Gclose(H5Gcreate2(file, "series", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Fclose(file);
  }
  expect_format_error("other.h5", "format is 'netCDF'");
  expect_cli_refusal("other.h5", "not a tipsim run file");

  // A run file with a part missing.
  {
    write_bytes(folder_ / "no-summary.h5", good_);
    const hid_t file = H5Fopen((folder_ / "no-summary.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(file, "summary", H5P_DEFAULT);
    H5Fclose(file);
  }
  expect_format_error("no-summary.h5", "incomplete run file");
  expect_cli_refusal("no-summary.h5", "incomplete run file");
}

TEST_F(ReaderRefusal, FormatVersionsThisProgramDoesNotRead) {
  // The version after this program's.
  const std::string newer = "v" + std::to_string(output::kFormatVersion + 1) + ".h5";
  with_root_attribute(newer, "format_version", output::kFormatVersion + 1, true);
  expect_format_error(newer, "use a newer tipsim");
  expect_cli_refusal(newer, "use a newer tipsim");
  // Version 1 kept money in agent units: refused with the reason.
  with_root_attribute("v1.h5", "format_version", 1, true);
  expect_format_error("v1.h5", "money was in agent units");
  expect_cli_refusal("v1.h5", "run the scenario again");
  // Nonsense versions: refused, and reported as the file holds them, never
  // cast to an integer they do not fit (GCC's UBSan does not check such
  // casts: the message is checked instead).
  with_root_attribute("v0.h5", "format_version", 0, true);
  expect_format_error("v0.h5", "format version 0");
  with_root_attribute("vmax.h5", "format_version", 9.3e18, true);
  // Written as a 64-bit integer, which holds at most 2^63 - 1.
  expect_format_error("vmax.h5", "format version 9.22337e+18 cannot be read");
  with_root_attribute("vhalf.h5", "format_version", 1.5, false);
  expect_format_error("vhalf.h5", "format version 1.5 cannot be read");
  with_root_attribute("vnan.h5", "format_version", std::nan(""), false);
  expect_format_error("vnan.h5", "format version nan cannot be read");
  with_root_attribute("vhuge.h5", "format_version", 1e300, false);
  expect_format_error("vhuge.h5", "format version 1e+300 cannot be read");
  expect_cli_refusal("vhuge.h5", "cannot be read");
}

// Files made to mislead the reader: shapes that are not what the layout
// says, and datasets that claim far more values than the file holds (a
// damaged dataspace). Refused with a FormatError, never an allocation of
// the claimed size or an exception of another kind.
TEST_F(ReaderRefusal, CraftedFiles) {
  auto copy_and_edit = [&](const std::string& name, auto&& edit) {
    write_bytes(folder_ / name, good_);
    const hid_t file = H5Fopen((folder_ / name).c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    edit(file);
    ASSERT_GE(H5Fclose(file), 0);
  };
  // A summary variable of 2^40 values whose chunks were never written.
  auto huge_dataset = [](hid_t group, const char* name, int rank, const hsize_t* dims) {
    H5Ldelete(group, name, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(rank, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank), 1);
    H5Pset_chunk(dcpl, rank, chunk.data());
    const hid_t ds = H5Dcreate2(group, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    EXPECT_GE(ds, 0);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
  };
  copy_and_edit("huge-summary.h5", [&](hid_t file) {
    const hid_t summary = H5Gopen2(file, "summary", H5P_DEFAULT);
    const hsize_t dims[2] = {hsize_t{1} << 20, hsize_t{1} << 20};
    huge_dataset(summary, "exploited_mean", 2, dims);
    H5Gclose(summary);
  });
  expect_format_error("huge-summary.h5", "exploited_mean");
  expect_cli_refusal("huge-summary.h5");

  // Dimensions whose product overflows 64 bits.
  copy_and_edit("overflowing-summary.h5", [&](hid_t file) {
    const hid_t summary = H5Gopen2(file, "summary", H5P_DEFAULT);
    const hsize_t dims[3] = {hsize_t{1} << 32, hsize_t{1} << 32, 2};
    huge_dataset(summary, "exploited_mean", 3, dims);
    H5Gclose(summary);
  });
  expect_format_error("overflowing-summary.h5", "exploited_mean");

  // A scenario table column of 2^40 rows.
  copy_and_edit("huge-routes.h5", [&](hid_t file) {
    const hid_t routes = H5Gopen2(file, "scenario/routes", H5P_DEFAULT);
    const hsize_t dims[1] = {hsize_t{1} << 40};
    huge_dataset(routes, "share", 1, dims);
    H5Gclose(routes);
  });
  expect_format_error("huge-routes.h5", "share");

  // An event log whose row dataset is a single value, not a column.
  copy_and_edit("scalar-events.h5", [&](hid_t file) {
    H5Ldelete(file, "events", H5P_DEFAULT);
    const hid_t events = H5Gcreate2(file, "events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t ds = H5Dcreate2(events, "event", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(space);
    H5Gclose(events);
  });
  expect_format_error("scalar-events.h5", "events/event");
  expect_cli_refusal("scalar-events.h5");
}

// ---- random byte flips ------------------------------------------------------------
//
// HDF5 1.10.8 (Debian 12) itself crashes on some damaged files: out-of-
// bounds reads, bad frees and huge allocations inside libhdf5 while it
// decodes corrupted metadata (found by fuzz/run_file_reader_fuzz; see
// docs/reliability.md). tipsim cannot fix those, so each corrupted copy is
// read in a child process and the outcome classified: a read, a refusal
// naming the file, or a crash whose first stack frame outside the C and C++
// runtime is inside libhdf5 (crash_site.hpp), or a damaged file libhdf5
// read but then refused to close (its identifier stays, broken: counted
// with the crashes, and bounded). Any other exception, a wrong exit code,
// any other HDF5 object left open, or a crash or sanitizer report anywhere
// else — tipsim's own code above all — fails the test.

enum class Ending { Read, Refused, Hdf5Crash, Bug };

// Reads `path` in a child process; `why` says what went wrong for a Bug.
Ending read_in_child(const fs::path& path, const fs::path& report_file, std::string& why) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(report_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDERR_FILENO);
    install_crash_site_report();
    int code = 10;
    try {
      output::read_run_file(path.string());
    } catch (const output::OutputError& e) {
      code = contains(e.what(), path.string()) ? 12 : 13;
      std::fprintf(stderr, "%s\n", e.what());
    } catch (const std::exception& e) {
      code = 14;
      std::fprintf(stderr, "%s\n", e.what());
    }
    // Something left open is tipsim's leak, unless it is only files whose
    // close libhdf5 refused (16: counted with libhdf5's crashes).
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
      code =
          output::h5::refused_closes() > 0 && H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL & ~H5F_OBJ_FILE) == 0
              ? 16
              : 15;
    std::fflush(stderr);
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string report = read_text(report_file);
  const bool signalled = WIFSIGNALED(status);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 10) return Ending::Read;
  if (code == 12) return Ending::Refused;
  if (code == 16) return Ending::Hdf5Crash;
  // A signal, or a sanitizer's report (exit 1).
  if ((signalled || code == 1) && crash_inside_hdf5(report)) return Ending::Hdf5Crash;
  why = code == 13   ? "an OutputError that does not name the file"
        : code == 14 ? "an exception other than OutputError"
        : code == 15 ? "HDF5 objects left open"
                     : "a crash outside libhdf5";
  why += " (exit " + std::to_string(code) +
         (signalled ? ", signal " + std::to_string(WTERMSIG(status)) : "") + "):\n" + report.substr(0, 4000);
  return Ending::Bug;
}

std::string flip_bytes(const std::string& good, Splitmix& random, std::string& where) {
  std::string bytes = good;
  const std::size_t flips = 1 + random.below(4);
  for (std::size_t i = 0; i < flips; ++i) {
    // Half the flips in the first 4 KiB, where HDF5 keeps most metadata.
    const std::size_t at = random.below(2) == 0 ? random.below(std::min<std::size_t>(4096, bytes.size()))
                                                : random.below(bytes.size());
    bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + random.below(255)));
    where += " " + std::to_string(at);
  }
  return bytes;
}

// The most crashes inside libhdf5 that `trials` corrupted copies may meet:
// the 99.9 % upper quantile of a binomial at the rate measured
// (docs/reliability.md: about 1 in 15 copies, in Release and under ASan
// alike; 25 of 200, 11 of 60, 6 of 25). More means the library, or how
// tipsim drives it, got worse. A bound proportional to the trials would be
// too tight for few of them: their count varies relatively more.
int most_hdf5_crashes(int trials) {
  const boost::math::binomial_distribution<double> crashes(trials, 1.0 / 15);
  return static_cast<int>(boost::math::quantile(boost::math::complement(crashes, 0.001)));
}
// The sanitizer builds read fewer corrupted copies (each costs several times
// more there).
#ifdef TIPSIM_SANITIZED
constexpr int kByteFlipTrials = 60;
#else
constexpr int kByteFlipTrials = 200;
#endif

TEST_F(ReaderRefusal, RandomByteFlips) {
  Splitmix random(4242);
  int read = 0, refused = 0, hdf5_crashes = 0;
  constexpr int kTrials = kByteFlipTrials;
  const int max_hdf5_crashes = most_hdf5_crashes(kTrials);
  for (int trial = 0; trial < kTrials; ++trial) {
    std::string where;
    const std::string bytes = flip_bytes(good_, random, where);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": bytes flipped at" + where);
    write_bytes(folder_ / "flipped.h5", bytes);
    std::string why;
    switch (read_in_child(folder_ / "flipped.h5", folder_ / "report.txt", why)) {
      case Ending::Read:
        ++read;
        break;
      case Ending::Refused:
        ++refused;
        break;
      case Ending::Hdf5Crash:
        ++hdf5_crashes;
        break;
      case Ending::Bug: {
        // The corrupted copy outlives the scratch folder, for whoever
        // reproduces the failure (the run file differs from run to run: it
        // holds its creation time).
        const fs::path kept = fs::current_path() / ("reader_refusal_trial_" + std::to_string(trial) + ".h5");
        write_bytes(kept, bytes);
        ADD_FAILURE() << why << "\nthe corrupted copy: " << kept.string();
        break;
      }
    }
  }
  RecordProperty("read", read);
  RecordProperty("refused", refused);
  RecordProperty("hdf5_crashes", hdf5_crashes);
  std::printf("%d corrupted copies: %d read, %d refused, %d failed inside libhdf5 (at most %d allowed)\n",
              kTrials, read, refused, hdf5_crashes, max_hdf5_crashes);
  EXPECT_GT(refused, kTrials / 4);
  EXPECT_LE(hdf5_crashes, max_hdf5_crashes);
}

// The same through the program: exit 0 (the flip hit a value) or 2 with
// the file named; never exit 1, never an uncaught exception, and a crash
// only inside libhdf5 (the crash-site report is preloaded into tipsim).
TEST_F(ReaderRefusal, RandomByteFlipsThroughTheProgram) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  Tipsim::Options crash_sites;
  crash_sites.environment = {
      std::string("LD_PRELOAD=") + test_paths::crash_site_library,
      // A sanitized tipsim accepts a library loaded before its runtime.
      std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":verify_asan_link_order=0"};
  Splitmix random(777);
  constexpr int kTrials = 25;
  int read = 0, refused = 0, hdf5_crashes = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::string where;
    const std::string bytes = flip_bytes(good_, random, where);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": bytes flipped at" + where);
    write_bytes(folder_ / "flipped.h5", bytes);
    const Outcome inspect = run_tipsim(folder_.path(), {"inspect", "flipped.h5"}, crash_sites);
    if (inspect.shell_status() == 0) {
      ++read;
    } else if (inspect.shell_status() == 2) {
      ++refused;
      EXPECT_TRUE(contains(inspect.err, "tipsim: error: flipped.h5")) << inspect.err;
    } else if ((inspect.signal != 0 || inspect.exit_code == 1) && crash_inside_hdf5(inspect.err) &&
               !contains(inspect.err, "tipsim: error:")) {
      ++hdf5_crashes;
    } else {
      ADD_FAILURE() << "exit " << inspect.shell_status() << "\n" << inspect.err;
    }
  }
  RecordProperty("hdf5_crashes", hdf5_crashes);
  std::printf(
      "%d corrupted copies through tipsim inspect: %d read, %d refused, %d crashed inside libhdf5 (at most "
      "%d "
      "allowed)\n",
      kTrials, read, refused, hdf5_crashes, most_hdf5_crashes(kTrials));
  EXPECT_LE(hdf5_crashes, most_hdf5_crashes(kTrials));
}

}  // namespace
}  // namespace tipsim
