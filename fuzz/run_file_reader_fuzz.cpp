// libFuzzer target: the run-file reader behind `tipsim inspect`,
// `tipsim run --from` and the viewer. Any bytes, as a file, must give either
// the file's contents or an OutputError naming the file (a FormatError for
// a file that is not a run file this program reads), and leave no HDF5
// object open (run_file_checks.hpp). A crash, a hang, a sanitizer report or any
// other exception is a bug.
//
// The bytes go to a fresh file per input in a private folder (under
// TIPSIM_FUZZ_TMPDIR, else /dev/shm, else /tmp), removed afterwards.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "run_file_checks.hpp"

namespace {

std::filesystem::path g_folder;
std::uint64_t g_count = 0;

void remove_folder() {
  std::error_code ignored;
  std::filesystem::remove_all(g_folder, ignored);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string base = "/tmp";
  if (const char* chosen = std::getenv("TIPSIM_FUZZ_TMPDIR"); chosen != nullptr && *chosen != '\0')
    base = chosen;
  else if (::access("/dev/shm", W_OK) == 0)
    base = "/dev/shm";
  std::string pattern = base + "/tipsim-run-file-fuzz-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("run_file_reader_fuzz: mkdtemp");
    std::exit(1);
  }
  g_folder = pattern;
  std::atexit(remove_folder);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A new name each time: HDF5 must never be handed a file it still holds.
  const std::string path = (g_folder / ("input-" + std::to_string(g_count++) + ".h5")).string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
      std::fprintf(stderr, "run_file_reader_fuzz: cannot write %s\n", path.c_str());
      std::exit(1);
    }
  }
  const std::string problem = tipsim::fuzz::check_run_file(path);
  if (!problem.empty()) {
    std::fprintf(stderr, "run_file_reader_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  return 0;
}
