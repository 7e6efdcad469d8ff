// The programs' large blocks on huge pages (sim/programs/huge_pages.cpp,
// linked into this test program as into `tipsim` and the benchmarks).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

// The "VmFlags:" line of the mapping of this process that holds `address`
// (/proc/self/smaps), empty if none does.
std::string vm_flags_at(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &begin, &end) == 2 && line.find(':') > line.find(' ')) {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

bool advised_huge(const void* address) {
  return (vm_flags_at(address) + " ").find(" hg ") != std::string::npos;
}

}  // namespace

TEST(HugePages, AVectorOfSixteenMebibytesLiesOnMemoryAdvisedForHugePages) {
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled"))
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  std::vector<std::uint8_t> persons(std::size_t{16} << 20);
  const std::uint8_t* middle = persons.data() + persons.size() / 2;
  EXPECT_TRUE(advised_huge(middle)) << "the block's mapping: " << vm_flags_at(middle);
}
