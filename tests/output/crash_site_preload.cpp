// Preloaded into `tipsim` by the reader tests (LD_PRELOAD): installs the
// crash-site report (crash_site.hpp), so that a crash of the program on a
// damaged file says whether it happened inside libhdf5.
#include "crash_site.hpp"

namespace {

// Runs after every library the program needs is loaded, before main().
__attribute__((constructor)) void report_crash_sites() { tipsim::testing::install_crash_site_report(); }

}  // namespace
