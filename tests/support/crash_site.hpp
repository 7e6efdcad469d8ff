// Where a crash happened, for the reader tests that tolerate crashes inside
// HDF5 1.10.8 on damaged files (docs/reliability.md) and nothing else.
// install_crash_site_report() installs handlers for the signals a crash
// raises; the handler writes to stderr the line
//
//   crash site: inside libhdf5 (OBJECT)      or      crash site: outside libhdf5 (OBJECT)
//
// naming the loaded object that holds the crash's first stack frame outside
// the C and C++ runtime (libc, the dynamic linker, libstdc++, libgcc, the
// sanitizer runtimes: a crash in free() or abort() belongs to their caller),
// then the raw frames, then dies of the same signal. The handler only
// compares addresses with ranges taken when it was installed, so it works
// on a damaged heap. tests/output/crash_site_preload.cpp installs it in `tipsim`
// (LD_PRELOAD).
#pragma once

#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>

namespace tipsim::testing {

namespace crash_site_detail {

enum class Kind { Program, Runtime, Hdf5 };

struct LoadedObject {
  std::uintptr_t begin = 0, end = 0;
  Kind kind = Kind::Program;
  char name[160] = {};
};

inline LoadedObject g_objects[128];
inline int g_object_count = 0;
inline char g_alternate_stack[1 << 16];

inline Kind kind_of(const char* name) {
  if (std::strstr(name, "libhdf5") != nullptr) return Kind::Hdf5;
  for (const char* runtime : {"libc.so", "ld-linux", "libstdc++", "libgcc_s", "libm.so", "libasan",
                              "libubsan", "liblsan", "libtsan", "linux-vdso"})
    if (std::strstr(name, runtime) != nullptr) return Kind::Runtime;
  return Kind::Program;
}

inline int record_object(dl_phdr_info* info, std::size_t, void*) {
  if (g_object_count == static_cast<int>(std::size(g_objects))) return 1;
  LoadedObject& object = g_objects[g_object_count];
  object.begin = UINTPTR_MAX;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    object.begin = std::min<std::uintptr_t>(object.begin, info->dlpi_addr + segment.p_vaddr);
    object.end = std::max<std::uintptr_t>(object.end, info->dlpi_addr + segment.p_vaddr + segment.p_memsz);
  }
  if (object.begin >= object.end) return 0;
  const char* name =
      info->dlpi_name != nullptr && info->dlpi_name[0] != '\0' ? info->dlpi_name : "the program";
  std::strncpy(object.name, name, sizeof object.name - 1);
  object.kind = kind_of(name);
  ++g_object_count;
  return 0;
}

inline const LoadedObject* object_at(std::uintptr_t address) {
  for (int i = 0; i < g_object_count; ++i)
    if (address >= g_objects[i].begin && address < g_objects[i].end) return &g_objects[i];
  return nullptr;
}

inline void say(const char* text) {
  for (std::size_t left = std::strlen(text); left > 0;) {
    const ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= static_cast<std::size_t>(written);
  }
}

// The address the signal interrupted.
inline std::uintptr_t interrupted_at(void* context) {
  const auto* state = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(state->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(state->uc_mcontext.pc);
#else
  (void)state;
  return 0;
#endif
}

inline void on_crash(int signal_number, siginfo_t*, void* context) {
  void* frames[128];
  const int count = ::backtrace(frames, static_cast<int>(std::size(frames)));
  // The crash's own stack starts at the interrupted address; the frames
  // before it are this handler's and the kernel's signal trampoline.
  const std::uintptr_t at = interrupted_at(context);
  int first = count;
  for (int i = 0; i < count && at != 0; ++i)
    if (reinterpret_cast<std::uintptr_t>(frames[i]) == at) {
      first = i;
      break;
    }
  const LoadedObject* site = nullptr;
  for (int i = first; i < count && site == nullptr; ++i) {
    const LoadedObject* object = object_at(reinterpret_cast<std::uintptr_t>(frames[i]));
    if (object == nullptr || object->kind != Kind::Runtime) site = object;
    // An unknown address (generated code, a corrupt stack) ends the search.
    if (object == nullptr) break;
  }
  say(site != nullptr && site->kind == Kind::Hdf5 ? "\ncrash site: inside libhdf5 ("
                                                  : "\ncrash site: outside libhdf5 (");
  say(site != nullptr  ? site->name
      : first == count ? "the interrupted frame is not on the stack"
                       : "unknown code");
  say(")\ncrash frames:\n");
  if (first < count) ::backtrace_symbols_fd(frames + first, count - first, STDERR_FILENO);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace crash_site_detail

// Installs the crash-site report for this process (and the children it
// forks). Call it once all libraries are loaded.
inline void install_crash_site_report() {
  using namespace crash_site_detail;
  g_object_count = 0;
  ::dl_iterate_phdr(record_object, nullptr);
  // backtrace() loads the unwinder on its first call, which allocates:
  // done now, not on a damaged heap.
  void* warm_up[4];
  ::backtrace(warm_up, 4);
  stack_t alternate{};
  alternate.ss_sp = g_alternate_stack;
  alternate.ss_size = sizeof g_alternate_stack;
  ::sigaltstack(&alternate, nullptr);
  struct sigaction action {};
  action.sa_sigaction = on_crash;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP})
    ::sigaction(signal_number, &action, nullptr);
}

// Whether the report of a crash (the stderr of the process) puts it inside
// libhdf5: the crash-site line, else a sanitizer report's first stack frame
// outside the sanitizer runtime. A crash that left neither is not.
inline bool crash_inside_hdf5(const std::string& report) {
  if (report.find("crash site: inside libhdf5 (") != std::string::npos) return true;
  if (report.find("crash site: outside libhdf5 (") != std::string::npos) return false;
  std::size_t at = 0;
  while (at < report.size()) {
    std::size_t end = report.find('\n', at);
    if (end == std::string::npos) end = report.size();
    const std::string line = report.substr(at, end - at);
    at = end + 1;
    const auto hash = line.find('#');
    if (hash == std::string::npos || line.find(" in ", hash) == std::string::npos) continue;
    bool runtime = false;
    for (const char* name : {"libsanitizer", "__interceptor", "__asan", "__sanitizer", "libasan", "libubsan"})
      runtime = runtime || line.find(name) != std::string::npos;
    if (!runtime) return line.find("libhdf5") != std::string::npos;
  }
  return false;
}

}  // namespace tipsim::testing
