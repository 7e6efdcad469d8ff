// Running the real `tipsim` program from the reliability tests: a scratch
// folder per test, the program started in it with its output captured, and
// the way it ended (an exit code, or the signal that killed it).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_paths.hpp"

namespace tipsim::testing {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The names in a folder (none when it does not exist), sorted.
inline std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// A fresh folder, removed with everything in it at the end.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& prefix = "tipsim-reliability") {
    std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

  // Names of the entries of a folder inside this one (none when it does not
  // exist), sorted.
  std::vector<std::string> entries(const std::string& folder = ".") const { return names_in(path_ / folder); }

 private:
  fs::path path_;
};

// How a program ended.
struct Outcome {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal killed it
  bool timed_out = false;
  std::string out, err;
  pid_t pid = 0;

  // What a shell would report: the exit code, or 128 + the signal.
  int shell_status() const { return signal != 0 ? 128 + signal : exit_code; }
};

// How to start a program (see Tipsim).
struct ProgramOptions {
  std::vector<std::string> environment;  // NAME=VALUE, replacing or added to the inherited ones
  // Run in the child between fork and exec (setrlimit, ...).
  std::function<void()> before_exec;
  // Instead of running tipsim directly: a wrapper (an absolute path) and
  // its arguments, with tipsim's command line appended.
  std::vector<std::string> wrapper;
  // Another program instead of tipsim (e.g. tipsim-viewer).
  std::string program = test_paths::cli;
};

// A running `tipsim`, started in `folder` with stdout and stderr going to
// files there (stdout-PID.txt, stderr-PID.txt are removed by finish()).
class Tipsim {
 public:
  using Options = ProgramOptions;

  Tipsim(const fs::path& folder, const std::vector<std::string>& args, const Options& options = {})
      : folder_(folder) {
    static int counter = 0;
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    out_ = folder_ / ("stdout-" + tag + ".txt");
    err_ = folder_ / ("stderr-" + tag + ".txt");
    std::vector<std::string> command = options.wrapper;
    command.push_back(options.program);
    command.insert(command.end(), args.begin(), args.end());
    // Everything the child needs is made before fork: after fork, in a
    // process with threads, only async-signal-safe calls are allowed.
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string inherited = *e;
      const std::string name = inherited.substr(0, inherited.find('=') + 1);
      bool replaced = false;
      for (const std::string& given : options.environment) replaced = replaced || given.starts_with(name);
      if (!replaced) environment.push_back(inherited);
    }
    environment.insert(environment.end(), options.environment.begin(), options.environment.end());
    std::vector<char*> envp;
    for (const std::string& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    // Without work to do between fork and exec, posix_spawn: it copies none
    // of this process's page tables (the sanitizer builds' test processes
    // are large, and the CLI tests start hundreds of programs).
    if (!options.before_exec) {
      spawn(argv, envp);
      return;
    }
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      if (::chdir(folder_.c_str()) != 0) ::_exit(120);
      const int out_fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out_fd < 0 || err_fd < 0) ::_exit(121);
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(err_fd, STDERR_FILENO);
      // The test's own handlers and mask must not leak into the program.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int s : {SIGINT, SIGTERM, SIGXFSZ, SIGPIPE}) ::signal(s, SIG_DFL);
      if (options.before_exec) options.before_exec();
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  Tipsim(const Tipsim&) = delete;
  Tipsim& operator=(const Tipsim&) = delete;
  ~Tipsim() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  void signal(int number) const { ::kill(pid_, number); }

  // What it has written to stderr so far (read while it runs).
  std::string err_so_far() const { return read_text(err_); }

  // Whether it has ended (then finish() returns at once).
  bool ended() {
    if (pid_ <= 0) return true;
    if (status_known_) return true;
    const pid_t done = ::waitpid(pid_, &status_, WNOHANG);
    status_known_ = done == pid_;
    return status_known_;
  }

  // Waits for the end, at most `timeout` (then SIGKILL and timed_out).
  Outcome finish(std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
    Outcome outcome;
    outcome.pid = pid_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ended()) {
      if (std::chrono::steady_clock::now() > deadline) {
        outcome.timed_out = true;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        status_known_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = 0;
    if (WIFEXITED(status_)) outcome.exit_code = WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) outcome.signal = WTERMSIG(status_);
    outcome.out = read_text(out_);
    outcome.err = read_text(err_);
    std::error_code ignored;
    fs::remove(out_, ignored);
    fs::remove(err_, ignored);
    return outcome;
  }

 private:
  // The program started as the constructor's fork() starts it: in the folder,
  // its output to the two files, no signal blocked, the default action for
  // those the tests handle.
  void spawn(const std::vector<char*>& argv, const std::vector<char*>& envp) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, folder_.c_str());
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, handled;
    sigemptyset(&none);
    sigemptyset(&handled);
    for (int s : {SIGINT, SIGTERM, SIGXFSZ, SIGPIPE}) sigaddset(&handled, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &handled);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int failed = ::posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (failed != 0) throw std::runtime_error("posix_spawn of " + std::string(argv[0]) + " failed");
  }

  fs::path folder_, out_, err_;
  pid_t pid_ = 0;
  int status_ = 0;
  bool status_known_ = false;
};

inline Outcome run_tipsim(const fs::path& folder, const std::vector<std::string>& args,
                          const Tipsim::Options& options = {},
                          std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
  Tipsim program(folder, args, options);
  return program.finish(timeout);
}

// Waits until what the program has written to stderr satisfies `seen`, or
// it ends, or `timeout` passes; true when `seen` held. Tests that race a
// running program wait so for what it shows (--progress lines), never for
// a guess at its speed: the timeout is only for a program that hangs.
inline bool wait_for_stderr(Tipsim& program, const std::function<bool(const std::string&)>& seen,
                            std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Whether it had ended before the read: then the read holds its last line.
    const bool ended = program.ended();
    if (seen(program.err_so_far())) return true;
    if (ended || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Waits until the program has made a file whose name contains `part` in
// `folder` (for a run: its temporary FINAL.partial-PID, which exists once
// its stop handlers are in place), or it ends, or `timeout` passes; true
// when the file appeared.
inline bool wait_for_file(Tipsim& program, const fs::path& folder, const std::string& part,
                          std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const bool ended = program.ended();
    for (const std::string& name : names_in(folder))
      if (name.find(part) != std::string::npos) return true;
    if (ended || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// What a program's --progress lines have said so far: the runs done and
// the runs recorded in its file (alone: the largest count reported; an MPI
// job: each rank's largest, summed over the ranks), and how many runs it
// reported done itself (one line each).
struct ReportedProgress {
  std::size_t done = 0, recorded = 0;
  std::size_t done_here = 0;
};

inline ReportedProgress reported_progress(const std::string& err) {
  std::vector<std::size_t> done_by_rank(1, 0), recorded_by_rank(1, 0);
  auto note = [](std::vector<std::size_t>& by_rank, int rank, std::size_t count) {
    const auto at = static_cast<std::size_t>(rank);
    if (by_rank.size() <= at) by_rank.resize(at + 1, 0);
    by_rank[at] = std::max(by_rank[at], count);
  };
  std::size_t lines_done = 0;
  std::istringstream lines(err);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t count = 0, total = 0;
    int rank = -1, ranks = 0, end = 0;
    if (std::sscanf(line.c_str(), "tipsim: run %zu of %zu done%n", &count, &total, &end) == 2 &&
        end == static_cast<int>(line.size())) {
      note(done_by_rank, 0, count);
      ++lines_done;
    } else if (std::sscanf(line.c_str(), "tipsim: %zu of %zu runs recorded in %n", &count, &total, &end) ==
                   2 &&
               end > 0) {
      note(recorded_by_rank, 0, count);
    } else if (std::sscanf(line.c_str(), "tipsim: rank %d of %d: %zu run%n", &rank, &ranks, &count, &end) ==
                   3 &&
               rank >= 0) {
      if (contains(line.substr(static_cast<std::size_t>(end)), " done and recorded in ")) {
        note(done_by_rank, rank, count);
        note(recorded_by_rank, rank, count);
        ++lines_done;
      }
    }
  }
  ReportedProgress progress;
  progress.done_here = lines_done;
  for (const std::size_t n : done_by_rank) progress.done += n;
  for (const std::size_t n : recorded_by_rank) progress.recorded += n;
  return progress;
}

// What a resumed run says it found and will do: "tipsim: resuming FILE: K
// of N runs done, M to run". `found` is false when it did not say it.
struct ResumeAccount {
  bool found = false;
  std::size_t done = 0, total = 0, to_run = 0;
};

inline ResumeAccount resume_account(const std::string& err) {
  ResumeAccount account;
  std::istringstream lines(err);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("tipsim: resuming ")) continue;
    const std::size_t colon = line.rfind(": ");
    if (colon == std::string::npos) continue;
    account.found = std::sscanf(line.c_str() + colon, ": %zu of %zu runs done, %zu to run", &account.done,
                                &account.total, &account.to_run) == 3;
  }
  return account;
}

// Deterministic pseudo-random numbers (splitmix64), the same on every
// machine and standard library.
class Splitmix {
 public:
  explicit Splitmix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

}  // namespace tipsim::testing
