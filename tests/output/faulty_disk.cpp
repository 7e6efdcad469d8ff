// A failing disk for the disk-failure tests (tests/output/disk_failure_test.cpp),
// without privileges: preloaded into the real `tipsim` (LD_PRELOAD), it
// makes the C library's file calls fail for files under one folder, as a
// full or read-only file system makes them fail. HDF5's sec2 driver and
// tipsim's own sync-and-rename call these functions through the dynamic
// linker, so the failures reach every write of the run file.
//
//   TIPSIM_FAULTY_DISK=FOLDER         the failing disk: files under FOLDER (absolute)
//   TIPSIM_FAULTY_DISK_ERROR=ENOSPC   full after TIPSIM_FAULTY_DISK_BYTES bytes (default 0): a
//                                     write past them fails, and so does every fsync after it
//   TIPSIM_FAULTY_DISK_DEFERRED=1     with ENOSPC: writes past the bytes succeed and only fsync
//                                     fails, as on file systems that allocate at write-back
//   TIPSIM_FAULTY_DISK_ERROR=EROFS    read-only: opening a file for writing and making a
//                                     folder fail
//   TIPSIM_FAULTY_DISK_LOG=FILE       each refused call appends "CALL ERROR" to FILE
//
// Without TIPSIM_FAULTY_DISK every call goes straight to the C library.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

enum class Failure { None, Full, ReadOnly };

// Read once, at load time; the tests set them before exec.
struct Disk {
  Failure failure = Failure::None;
  bool deferred = false;
  char folder[PATH_MAX] = {};
  std::size_t folder_length = 0;
  char log[PATH_MAX] = {};
};

Disk g_disk;
// Bytes the full disk still takes, and whether a write did not fit (then
// every fsync fails).
std::atomic<std::int64_t> g_room{0};
std::atomic<bool> g_overflowed{false};
// The descriptors of files on the failing disk (descriptors above the
// table's size are not watched; the tests open a handful).
constexpr int kWatched = 4096;
std::atomic<bool> g_on_disk[kWatched];

template <typename Function>
Function next(Function& cache, const char* name) {
  if (cache == nullptr) cache = reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
  return cache;
}

using OpenFunction = int (*)(const char*, int, ...);
using OpenatFunction = int (*)(int, const char*, int, ...);
using WriteFunction = ssize_t (*)(int, const void*, std::size_t);
using PwriteFunction = ssize_t (*)(int, const void*, std::size_t, off_t);
using Pwrite64Function = ssize_t (*)(int, const void*, std::size_t, off64_t);
using WritevFunction = ssize_t (*)(int, const struct iovec*, int);
using SyncFunction = int (*)(int);
using MkdirFunction = int (*)(const char*, mode_t);
using MkdiratFunction = int (*)(int, const char*, mode_t);

OpenFunction g_open, g_open64;
OpenatFunction g_openat, g_openat64;
WriteFunction g_write;
PwriteFunction g_pwrite;
Pwrite64Function g_pwrite64;
WritevFunction g_writev;
SyncFunction g_fsync, g_fdatasync, g_close;
MkdirFunction g_mkdir;
MkdiratFunction g_mkdirat;

__attribute__((constructor)) void read_settings() {
  const char* folder = std::getenv("TIPSIM_FAULTY_DISK");
  const char* error = std::getenv("TIPSIM_FAULTY_DISK_ERROR");
  if (folder == nullptr || *folder != '/' || error == nullptr) return;
  std::strncpy(g_disk.folder, folder, sizeof g_disk.folder - 1);
  g_disk.folder_length = std::strlen(g_disk.folder);
  while (g_disk.folder_length > 1 && g_disk.folder[g_disk.folder_length - 1] == '/')
    g_disk.folder[--g_disk.folder_length] = '\0';
  if (const char* log = std::getenv("TIPSIM_FAULTY_DISK_LOG"))
    std::strncpy(g_disk.log, log, sizeof g_disk.log - 1);
  if (const char* bytes = std::getenv("TIPSIM_FAULTY_DISK_BYTES")) g_room = std::strtoll(bytes, nullptr, 10);
  if (const char* deferred = std::getenv("TIPSIM_FAULTY_DISK_DEFERRED")) g_disk.deferred = deferred[0] == '1';
  if (std::strcmp(error, "ENOSPC") == 0) g_disk.failure = Failure::Full;
  if (std::strcmp(error, "EROFS") == 0) g_disk.failure = Failure::ReadOnly;
}

// Whether `path` (relative to the folder of `dir`) names something on the
// failing disk.
bool on_disk(int dir, const char* path) {
  if (g_disk.failure == Failure::None || path == nullptr) return false;
  char full[2 * PATH_MAX];
  if (path[0] == '/') {
    std::strncpy(full, path, sizeof full - 1);
    full[sizeof full - 1] = '\0';
  } else {
    char base[PATH_MAX];
    if (dir == AT_FDCWD) {
      if (::getcwd(base, sizeof base) == nullptr) return false;
    } else {
      char link[64];
      std::snprintf(link, sizeof link, "/proc/self/fd/%d", dir);
      const ssize_t length = ::readlink(link, base, sizeof base - 1);
      if (length < 0) return false;
      base[length] = '\0';
    }
    std::snprintf(full, sizeof full, "%s/%s", base, path);
  }
  return std::strncmp(full, g_disk.folder, g_disk.folder_length) == 0 &&
         (full[g_disk.folder_length] == '/' || full[g_disk.folder_length] == '\0');
}

bool watched(int fd) { return fd >= 0 && fd < kWatched && g_on_disk[fd].load(); }

void watch(int fd, bool on) {
  if (fd >= 0 && fd < kWatched) g_on_disk[fd].store(on);
}

// Records a refused call and sets errno; returns -1.
int refuse(const char* call, int error) {
  if (g_disk.log[0] != '\0') {
    const int fd = next(g_open, "open")(g_disk.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      char line[128];
      const int length =
          std::snprintf(line, sizeof line, "%s %s\n", call, error == ENOSPC ? "ENOSPC" : "EROFS");
      [[maybe_unused]] const ssize_t written =
          next(g_write, "write")(fd, line, static_cast<std::size_t>(length));
      next(g_close, "close")(fd);
    }
  }
  errno = error;
  return -1;
}

bool for_writing(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0; }

// The common part of every open: refused on a read-only disk when it would
// write, else opened and, on the failing disk, watched.
template <typename Open>
int open_on(int dir, const char* path, int flags, const char* call, Open open) {
  const bool here = on_disk(dir, path);
  if (here && g_disk.failure == Failure::ReadOnly && for_writing(flags)) return refuse(call, EROFS);
  const int fd = open();
  if (fd >= 0) watch(fd, here);
  return fd;
}

mode_t mode_of(int flags, va_list arguments) {
  return (flags & (O_CREAT | O_TMPFILE)) != 0 ? static_cast<mode_t>(va_arg(arguments, int)) : 0;
}

// How many of `count` bytes a write to `fd` may put on the disk (all of
// them when the full disk only tells at fsync).
std::size_t room_for(int fd, std::size_t count) {
  if (!watched(fd) || g_disk.failure != Failure::Full) return count;
  std::int64_t room = g_room.load();
  std::int64_t taken = 0;
  do {
    taken = std::min<std::int64_t>(std::max<std::int64_t>(room, 0), static_cast<std::int64_t>(count));
  } while (!g_room.compare_exchange_weak(
      room, room - (g_disk.deferred ? static_cast<std::int64_t>(count) : taken)));
  if (taken < static_cast<std::int64_t>(count)) g_overflowed = true;
  return g_disk.deferred ? count : static_cast<std::size_t>(taken);
}

bool sync_fails(int fd) { return watched(fd) && g_disk.failure == Failure::Full && g_overflowed.load(); }

}  // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  const mode_t mode = mode_of(flags, arguments);
  va_end(arguments);
  return open_on(AT_FDCWD, path, flags, "open", [&] { return next(g_open, "open")(path, flags, mode); });
}

int open64(const char* path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  const mode_t mode = mode_of(flags, arguments);
  va_end(arguments);
  return open_on(AT_FDCWD, path, flags, "open64",
                 [&] { return next(g_open64, "open64")(path, flags, mode); });
}

int openat(int dir, const char* path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  const mode_t mode = mode_of(flags, arguments);
  va_end(arguments);
  return open_on(dir, path, flags, "openat",
                 [&] { return next(g_openat, "openat")(dir, path, flags, mode); });
}

int openat64(int dir, const char* path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  const mode_t mode = mode_of(flags, arguments);
  va_end(arguments);
  return open_on(dir, path, flags, "openat64",
                 [&] { return next(g_openat64, "openat64")(dir, path, flags, mode); });
}

// The _FORTIFY_SOURCE entry points (an open without a mode).
int __open_2(const char* path, int flags) { return open(path, flags); }
int __open64_2(const char* path, int flags) { return open64(path, flags); }
int __openat_2(int dir, const char* path, int flags) { return openat(dir, path, flags); }
int __openat64_2(int dir, const char* path, int flags) { return openat64(dir, path, flags); }

int creat(const char* path, mode_t mode) { return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode); }
int creat64(const char* path, mode_t mode) { return open64(path, O_WRONLY | O_CREAT | O_TRUNC, mode); }

int close(int fd) {
  watch(fd, false);
  return next(g_close, "close")(fd);
}

ssize_t write(int fd, const void* data, std::size_t count) {
  const std::size_t room = room_for(fd, count);
  if (room == 0 && count > 0) return refuse("write", ENOSPC);
  return next(g_write, "write")(fd, data, room);
}

ssize_t pwrite(int fd, const void* data, std::size_t count, off_t offset) {
  const std::size_t room = room_for(fd, count);
  if (room == 0 && count > 0) return refuse("pwrite", ENOSPC);
  return next(g_pwrite, "pwrite")(fd, data, room, offset);
}

ssize_t pwrite64(int fd, const void* data, std::size_t count, off64_t offset) {
  const std::size_t room = room_for(fd, count);
  if (room == 0 && count > 0) return refuse("pwrite64", ENOSPC);
  return next(g_pwrite64, "pwrite64")(fd, data, room, offset);
}

// All or nothing: a full disk refuses a vector it cannot take whole.
ssize_t writev(int fd, const struct iovec* parts, int count) {
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) total += parts[i].iov_len;
  const std::size_t room = room_for(fd, total);
  if (room < total) return refuse("writev", ENOSPC);
  return next(g_writev, "writev")(fd, parts, count);
}

int fsync(int fd) {
  if (sync_fails(fd)) return refuse("fsync", ENOSPC);
  return next(g_fsync, "fsync")(fd);
}

int fdatasync(int fd) {
  if (watched(fd) && g_disk.failure == Failure::Full && g_room.load() <= 0)
    return refuse("fdatasync", ENOSPC);
  return next(g_fdatasync, "fdatasync")(fd);
}

// A read-only file system refuses a new folder (an existing one is
// reported as existing first, as the kernel does).
int mkdir(const char* path, mode_t mode) {
  struct stat info {};
  if (g_disk.failure == Failure::ReadOnly && on_disk(AT_FDCWD, path) && ::stat(path, &info) != 0)
    return refuse("mkdir", EROFS);
  return next(g_mkdir, "mkdir")(path, mode);
}

int mkdirat(int dir, const char* path, mode_t mode) {
  struct stat info {};
  if (g_disk.failure == Failure::ReadOnly && on_disk(dir, path) && ::fstatat(dir, path, &info, 0) != 0)
    return refuse("mkdirat", EROFS);
  return next(g_mkdirat, "mkdirat")(dir, path, mode);
}

}  // extern "C"
