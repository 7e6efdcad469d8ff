// Where the tests find the source tree and the programs they run. The
// build writes the values into a file of its own (test_paths.cpp in the
// build folder, tests/CMakeLists.txt), so that no test's source names a
// path of one checkout: the tests compile to the same objects in every
// checkout, which a compiler cache can then reuse.
#pragma once

namespace tipsim::test_paths {

// The repository's root.
extern const char source_dir[];
// The tipsim program.
extern const char cli[];
// The tipsim-viewer program; empty in a build without the viewer.
extern const char viewer[];
// The libraries the reliability tests preload into tipsim (LD_PRELOAD): a
// disk that fails on request and the crash-site report.
extern const char faulty_disk_library[];
extern const char crash_site_library[];

}  // namespace tipsim::test_paths
