// What program wrote a file or printed a version: the release and the
// source revision it was built from (git describe, "-dirty" for local
// changes). Generated at build time by cmake/build_info.cmake.
#pragma once

namespace tipsim {

// The release, as in the top-level CMakeLists.txt ("0.1.0").
const char* version();
// The source revision the program was built from, or "unknown".
const char* source_revision();
// The bundled scenarios' folder (scenarios/ of the source tree the program
// was built from), where `tipsim scenarios` looks unless told otherwise.
const char* bundled_scenario_dir();

}  // namespace tipsim
