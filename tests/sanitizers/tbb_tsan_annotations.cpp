// ThreadSanitizer and Debian's oneTBB (built without ThreadSanitizer).
//
// TBB hands tasks between threads through atomics inside libtbb.so, which
// ThreadSanitizer cannot see, so every parallel_for looks like a data race
// between the thread that prepared the data and the worker that used it.
// Built with -DTBB_USE_PROFILING_TOOLS=2 (the tsan preset), TBB's headers
// report those hand-overs to r1::call_itt_notify(): "releasing" when a task
// is spawned and when a task finishes (its wait_context is released),
// "acquired" when a wait returns. Defined here, in the test program, that
// function passes them on to ThreadSanitizer as release and acquire, and
// TBB's execution_slot() (asked by the partitioners as each task starts)
// as an acquire of every spawn, and a task object taken from TBB's pool
// as an acquire of its release by the task that last used it. Races in
// tipsim's own code stay visible: two tasks that run at the same time are
// not ordered by any of this.
// Linked into tipsim_tests in the tsan build only (tests/CMakeLists.txt).
#include <dlfcn.h>
#include <oneapi/tbb/detail/_small_object_pool.h>
#include <oneapi/tbb/detail/_task.h>
#include <oneapi/tbb/profiling.h>
#include <sanitizer/tsan_interface.h>

namespace {

// Every spawn and every finished task releases this; every task start
// acquires it.
char g_handover;

template <typename F>
F real(const char* mangled) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, mangled));
}

}  // namespace

namespace tbb::detail::r1 {

// spawn(task) and a task's end (its wait_context released) say
// "releasing"; the return of a wait says "acquired" of the wait_context,
// whose counter the last task decremented after it said "releasing"; a
// task object going back to TBB's pool says "destroy".
void __TBB_EXPORTED_FUNC call_itt_notify(int t, void* ptr) {
  static_assert(sizeof(d1::wait_context) == 16, "wait_context: 8 bytes of traits, then the counter");
  switch (static_cast<d1::notify_type>(t)) {
    case d1::releasing:
      __tsan_release(ptr);
      __tsan_release(&g_handover);
      break;
    case d1::acquired:
      __tsan_acquire(ptr);
      __tsan_acquire(static_cast<char*>(ptr) + 8);
      __tsan_acquire(&g_handover);
      break;
    case d1::destroy:
      __tsan_release(ptr);
      break;
    default:
      break;
  }
}

// Asked by the partitioners as a task starts.
d1::slot_id __TBB_EXPORTED_FUNC execution_slot(const d1::execution_data* ed) {
  static const auto next = real<d1::slot_id (*)(const d1::execution_data*)>(
      "_ZN3tbb6detail2r114execution_slotEPKNS0_2d114execution_dataE");
  __tsan_acquire(&g_handover);
  return next(ed);
}

// A task object taken from TBB's pool: ordered after whoever gave it back,
// and after every hand-over so far (a split task starts here).
void* __TBB_EXPORTED_FUNC allocate(d1::small_object_pool*& pool, std::size_t bytes,
                                   const d1::execution_data& ed) {
  static const auto next = real<void* (*)(d1::small_object_pool*&, std::size_t, const d1::execution_data&)>(
      "_ZN3tbb6detail2r18allocateERPNS0_2d117small_object_poolEmRKNS2_14execution_dataE");
  void* object = next(pool, bytes, ed);
  __tsan_acquire(object);
  __tsan_acquire(&g_handover);
  return object;
}

void* __TBB_EXPORTED_FUNC allocate(d1::small_object_pool*& pool, std::size_t bytes) {
  static const auto next = real<void* (*)(d1::small_object_pool*&, std::size_t)>(
      "_ZN3tbb6detail2r18allocateERPNS0_2d117small_object_poolEm");
  void* object = next(pool, bytes);
  __tsan_acquire(object);
  __tsan_acquire(&g_handover);
  return object;
}

}  // namespace tbb::detail::r1
