// Running tipsim on a disk that fails: tests/output/faulty_disk.cpp,
// preloaded, makes the C library's writes under one folder fail with
// ENOSPC or EROFS (see docs/reliability.md).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "process_helpers.hpp"
#include "test_paths.hpp"

namespace tipsim::testing {

// How the disk under a folder fails.
struct FaultyDisk {
  std::string error;       // ENOSPC or EROFS
  std::int64_t bytes = 0;  // ENOSPC: what the disk takes before it is full
  bool deferred = false;   // ENOSPC: writes succeed, fsync tells
};

// Runs tipsim in `folder` with the failing `disk` preloaded; each call it
// refused is a line ("pwrite ENOSPC") of `log`.
inline Outcome run_on_faulty_disk(const ScratchFolder& folder, const std::filesystem::path& disk,
                                  const FaultyDisk& fault, const std::filesystem::path& log,
                                  const std::vector<std::string>& args) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  Tipsim::Options options;
  options.environment = {
      std::string("LD_PRELOAD=") + test_paths::faulty_disk_library,
      "TIPSIM_FAULTY_DISK=" + disk.string(),
      "TIPSIM_FAULTY_DISK_ERROR=" + fault.error,
      "TIPSIM_FAULTY_DISK_BYTES=" + std::to_string(fault.bytes),
      std::string("TIPSIM_FAULTY_DISK_DEFERRED=") + (fault.deferred ? "1" : "0"),
      "TIPSIM_FAULTY_DISK_LOG=" + log.string(),
      // A sanitized tipsim accepts a library loaded before its runtime.
      std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":verify_asan_link_order=0",
  };
  return run_tipsim(folder.path(), args, options);
}

}  // namespace tipsim::testing
