// Large blocks on transparent huge pages. A world at one agent per person
// keeps its persons and traffickers in arrays of hundreds of megabytes that
// the step's passes read at random (a victim's controller, a recruiter's
// slot); with 4 KiB pages nearly every such read also misses the TLB and
// waits for a page walk. Linked into the programs (not the libraries), this
// replaces the global operator new: blocks of 4 MiB or more are advised to
// the kernel as huge-page memory (madvise MADV_HUGEPAGE) before anything is
// written to them, which the kernel honours unless its policy
// (/sys/kernel/mm/transparent_hugepage/enabled) is "never"; under "always"
// it needs no advice. Smaller blocks, and every block's contents, are as
// with the standard operator new (std::malloc, std::free).
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{1} << 21;
// The least size that always holds one whole aligned huge page.
constexpr std::size_t kAdvisedFrom = 2 * kHugePage;

// The whole huge pages inside the block; failure (a kernel without
// transparent huge pages) leaves it on small pages.
void advise_huge_pages(void* block, std::size_t size) {
  const auto begin = reinterpret_cast<std::uintptr_t>(block);
  const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t last = (begin + size) & ~(kHugePage - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace

void* operator new(std::size_t size) {
  if (size == 0) size = 1;
  for (;;) {
    if (void* block = std::malloc(size)) {
      if (size >= kAdvisedFrom) advise_huge_pages(block, size);
      return block;
    }
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void operator delete(void* block) noexcept { std::free(block); }

void operator delete(void* block, std::size_t) noexcept { std::free(block); }
