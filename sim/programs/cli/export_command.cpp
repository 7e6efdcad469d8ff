// `tipsim export FILE.h5 -o DIR`: a run file's tables (sim/output/export.hpp)
// as CSV files in a new folder, built under a temporary name beside it and
// renamed into place only when every table is written, so that DIR is
// either whole or absent.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "export.hpp"
#include "process.hpp"
#include "progress.hpp"
#include "suggest.hpp"
#include "summary_table.hpp"

namespace tipsim::cli {

namespace {

namespace fs = std::filesystem;

// Rows a table's text gathers before it is written out.
constexpr std::size_t kWriteBytes = std::size_t{1} << 20;
// Rows between looks at the stop signal and the progress line.
constexpr std::uint64_t kRowsPerLook = 1024;

// Thrown from the rows when a stop signal came; the export is abandoned.
struct Interrupted {};

// A failure to write the export (a full disk, a folder that cannot be
// made), as against one to read the run file.
class WriteError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// The folder an export is built in, removed unless it was kept.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(fs::path path) : path_(std::move(path)) {}
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  ~TemporaryFolder() {
    if (keep_) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  fs::path path_;
  bool keep_ = false;
};

std::string errno_text(int error) { return std::strerror(error); }

// What the export reports as it goes: a line kept updated on a terminal,
// or (--progress) one plain line per table written.
struct ExportProgress {
  ProgressLine line;
  bool lines = false;
  Progress done;
};

// Writes one table's rows into its file as CSV text. The file is written
// with write(2) rather than stdio, so that every failure is seen where it
// happens (and the disk-failure tests' preloaded library sees every write).
class CsvFile : public output::ExportRowSink {
 public:
  CsvFile(const fs::path& path, ExportProgress& progress) : path_(path.string()), progress_(progress) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create");
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
  ~CsvFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void row(std::span<const output::ExportCell> cells) override {
    output::append_csv_row(text_, cells);
    ++rows_;
    if (text_.size() >= kWriteBytes) flush();
    if (rows_ % kRowsPerLook == 0) {
      if (stop_requested().load()) throw Interrupted{};
      progress_.done.steps_done += kRowsPerLook;
      progress_.line.update(progress_.done);
    }
  }

  void header(std::span<const output::ExportColumn> columns) { output::append_csv_header(text_, columns); }

  void flush() {
    for (std::size_t done = 0; done < text_.size();) {
      const ssize_t n = ::write(fd_, text_.data() + done, text_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("cannot write");
      done += static_cast<std::size_t>(n);
    }
    bytes_ += text_.size();
    text_.clear();
  }

  // Writes what is left, syncs it to disk and closes the file.
  void finish() {
    flush();
    if (::fsync(fd_) != 0) fail("cannot write");
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail("cannot write");
  }

  std::uint64_t rows() const { return rows_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  [[noreturn]] void fail(const char* what) const {
    const int error = errno;
    throw WriteError(path_ + ": " + what + ": " + errno_text(error));
  }

  int fd_ = -1;
  std::string path_;
  ExportProgress& progress_;
  std::string text_;
  std::uint64_t rows_ = 0, bytes_ = 0;
};

// What one table took.
struct Written {
  std::string name;
  std::uint64_t rows = 0, bytes = 0;
};

// Writes a table into `folder`, synced to disk.
Written write_table(const output::ExportTable& table, const fs::path& folder, ExportProgress& progress) {
  const fs::path path = folder / table.name;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw WriteError(path.parent_path().string() + ": cannot create: " + ec.message());
  const std::uint64_t rows_before = progress.done.steps_done;
  CsvFile csv(path, progress);
  csv.header(table.columns);
  table.write_rows(csv);
  csv.finish();
  // The declaration said how many rows the table has; a table that wrote
  // another number would make the summary, the progress and the tests lie.
  if (csv.rows() != table.rows)
    throw std::logic_error(table.name + ": " + std::to_string(csv.rows()) + " rows written, " +
                           std::to_string(table.rows) + " declared");
  progress.done.steps_done = rows_before + table.rows;
  ++progress.done.runs_done;
  progress.line.update(progress.done);
  return {table.name, csv.rows(), csv.bytes()};
}

// Syncs a folder's entries (the files' names) to disk.
void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Renames the finished folder to its final name: over nothing or an empty
// folder directly; over a folder with files (only with --force) by
// exchanging the two atomically and then removing the old one.
void move_into_place(const fs::path& temporary, const fs::path& final_path, bool force) {
  if (::rename(temporary.c_str(), final_path.c_str()) == 0) return;
  const int error = errno;
  if (error != ENOTEMPTY && error != EEXIST)
    throw WriteError(final_path.string() + ": cannot rename " + temporary.string() +
                     " to it: " + errno_text(error));
  // Files that appeared there while the tables were written are not ours to replace.
  if (!force)
    throw WriteError(final_path.string() +
                     ": files appeared in the folder while the tables were written; nothing was replaced");
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, final_path.c_str(), RENAME_EXCHANGE) != 0) {
    // A file system without the exchange: the old folder steps aside first.
    const fs::path aside = final_path.string() + ".replaced-" + std::to_string(::getpid());
    if (::rename(final_path.c_str(), aside.c_str()) != 0 ||
        ::rename(temporary.c_str(), final_path.c_str()) != 0) {
      const int error = errno;
      throw WriteError(final_path.string() + ": cannot replace it: " + errno_text(error));
    }
    std::error_code ignored;
    fs::remove_all(aside, ignored);
    return;
  }
  // The temporary name now holds the old folder.
  std::error_code ignored;
  fs::remove_all(temporary, ignored);
}

// Whether `folder` is `path` or one of the folders above it.
bool holds(const fs::path& folder, const fs::path& path) {
  std::error_code ec;
  const fs::path outer = fs::weakly_canonical(folder, ec);
  if (ec) return false;
  fs::path inner = fs::weakly_canonical(path, ec);
  if (ec) return false;
  for (; !inner.empty(); inner = inner.parent_path()) {
    if (inner == outer) return true;
    if (inner == inner.parent_path()) break;
  }
  return false;
}

// The reason DIR cannot receive the export; empty when it can.
std::string folder_problem(const ExportArguments& a, const fs::path& folder) {
  std::error_code ec;
  const fs::file_status status = fs::status(folder, ec);
  if (!fs::exists(status)) return {};
  if (!fs::is_directory(status))
    return folder.string() + ": exists and is not a folder; give a new folder's name with -o";
  const bool empty = fs::is_empty(folder, ec);
  if (ec) return folder.string() + ": cannot look inside: " + ec.message();
  if (empty) return {};
  if (!a.force)
    return folder.string() +
           ": the folder exists and is not empty; give a new or empty folder with -o, or --force to replace "
           "what it holds";
  if (holds(folder, a.path))
    return folder.string() +
           ": --force would delete the run file being exported, which is in it; give another "
           "folder with -o";
  if (holds(folder, fs::current_path(ec)))
    return folder.string() + ": --force cannot replace the folder this command runs in; give another folder";
  return {};
}

// --format: csv, or why not.
std::string format_problem(const std::string& format) {
  if (format == "csv") return {};
  if (format == "parquet")
    return "--format parquet: this build has no Parquet writer: Debian 12, whose packages tipsim is built "
           "from, packages neither Apache Arrow nor Parquet for C++ (libarrow-dev, libparquet-dev; nor "
           "python3-pyarrow); use --format csv, which pandas, R and spreadsheets read (pandas with pyarrow "
           "installed elsewhere turns the CSV into Parquet in one call)";
  const std::vector<std::string> formats = {"csv", "parquet"};
  return "--format " + format + ": not a format tipsim exports; allowed: csv" +
         did_you_mean(near_misses(format, formats));
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The default folder: the run file's name without .h5, plus -csv.
fs::path default_folder(const std::string& path) {
  fs::path folder(path);
  if (folder.extension() == ".h5") folder.replace_extension();
  return folder.string() + "-csv";
}

std::string thousands(std::uint64_t n) { return format_figure(static_cast<double>(n)); }

// The tables written, their rows and sizes, the folder and the unit basis.
void print_summary(const std::string& path, const output::RunFileContents& contents, const fs::path& folder,
                   const std::vector<Written>& written, bool agent_units) {
  const std::size_t points = contents.dimension("point"), replicates = contents.dimension("replicate");
  std::fprintf(stdout, "Exported %s (a %s of %zu point%s x %zu replicate%s) as CSV into %s/\n", path.c_str(),
               std::string(output::experiment_name(contents.experiment)).c_str(), points,
               points == 1 ? "" : "s", replicates, replicates == 1 ? "" : "s", folder.string().c_str());
  const std::vector<double> scales = output::point_scales(contents);
  const bool one_scale = std::all_of(scales.begin(), scales.end(), [&](double s) { return s == scales[0]; });
  // The scale as the file holds it (2.5, not 2.50): it is what multiplied.
  char scale[64];
  const auto scale_end = std::to_chars(scale, scale + sizeof scale, scales[0]).ptr;
  const std::string scale_text = one_scale ? "population_scale " + std::string(scale, scale_end)
                                           : std::string("each point's population_scale");
  if (agent_units) {
    std::fprintf(stdout,
                 "Counts in agents (--agent-units): the series as the file holds them, the summaries and "
                 "effects counted in people divided by %s; money in real USD.\n",
                 scale_text.c_str());
  } else {
    std::fprintf(stdout,
                 "Counts in real people: the series counted in agents multiplied by %s; money in real USD. "
                 "dictionary.csv gives each column's unit and basis.\n",
                 scale_text.c_str());
  }
  std::size_t width = 5;
  for (const Written& w : written) width = std::max(width, w.name.size());
  std::fprintf(stdout, "  %-*s %12s %12s\n", static_cast<int>(width), "table", "rows", "size");
  std::uint64_t rows = 0, bytes = 0;
  for (const Written& w : written) {
    std::fprintf(stdout, "  %-*s %12s %12s\n", static_cast<int>(width), w.name.c_str(),
                 thousands(w.rows).c_str(), format_bytes(static_cast<double>(w.bytes)).c_str());
    rows += w.rows;
    bytes += w.bytes;
  }
  std::fprintf(stdout, "  %zu tables, %s rows, %s in %s/\n", written.size(), thousands(rows).c_str(),
               format_bytes(static_cast<double>(bytes)).c_str(), folder.string().c_str());
  std::fflush(stdout);
}

}  // namespace

int export_command(const ExportArguments& arguments) {
  if (const std::string problem = format_problem(lower(arguments.format)); !problem.empty()) {
    print_error(problem);
    return kExitBadInput;
  }
  output::RunFileContents contents;
  std::unique_ptr<output::RunFileReader> reader;
  try {
    contents = output::read_run_file(arguments.path, false);
    reader = std::make_unique<output::RunFileReader>(arguments.path);
  } catch (const output::OutputError& e) {
    print_error(e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    // A damaged file can fail in ways the reader does not name.
    print_error(arguments.path + ": cannot read the run file: " + e.what());
    return kExitBadInput;
  }
  const fs::path folder =
      arguments.output_path.empty() ? default_folder(arguments.path) : fs::path(arguments.output_path);
  if (const std::string problem = folder_problem(arguments, folder); !problem.empty()) {
    print_error(problem);
    return kExitBadInput;
  }

  output::ExportOptions options;
  options.agent_units = arguments.agent_units;
  std::vector<output::ExportTable> tables;
  try {
    tables = output::export_tables(contents, *reader, options);
  } catch (const std::exception& e) {
    print_error(arguments.path + ": cannot read the run file: " + e.what());
    return kExitBadInput;
  }

  install_stop_handlers();
  std::error_code ec;
  const fs::path parent = folder.parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  TemporaryFolder temporary(fs::path(folder.string() + ".partial-" + std::to_string(::getpid())));
  if (!ec) fs::remove_all(temporary.path(), ec);
  if (!ec) fs::create_directory(temporary.path(), ec);
  if (ec) {
    print_error(temporary.path().string() + ": cannot create the folder: " + ec.message() +
                "; nothing was written to " + folder.string());
    return kExitFailure;
  }

  const bool show_line = !arguments.quiet && !progress_lines_requested() && isatty(STDERR_FILENO) == 1;
  ExportProgress progress{ProgressLine(show_line, stderr, ProgressUnits{"tables", "rows"}),
                          progress_lines_requested(), Progress{}};
  progress.done.runs_total = tables.size();
  for (const output::ExportTable& table : tables) progress.done.steps_total += table.rows;
  std::vector<Written> written;
  try {
    for (const output::ExportTable& table : tables) {
      if (stop_requested().load()) throw Interrupted{};
      written.push_back(write_table(table, temporary.path(), progress));
      if (progress.lines)
        std::fprintf(stderr, "tipsim: table %zu of %zu written: %s (%s row%s)\n", written.size(),
                     tables.size(), table.name.c_str(), thousands(table.rows).c_str(),
                     table.rows == 1 ? "" : "s");
    }
    sync_folder(temporary.path());
    move_into_place(temporary.path(), folder, arguments.force);
    temporary.keep();
    if (!parent.empty()) sync_folder(parent);
  } catch (const Interrupted&) {
    progress.line.clear();
    std::fprintf(stderr, "tipsim: interrupted; nothing was written to %s\n", folder.string().c_str());
    return stop_signal() == SIGTERM ? 128 + SIGTERM : kExitInterrupted;
  } catch (const WriteError& e) {
    progress.line.clear();
    print_error(std::string(e.what()) + "; nothing was written to " + folder.string());
    return kExitFailure;
  } catch (const output::OutputError& e) {
    // The run file could not be read (a damaged part of it).
    progress.line.clear();
    print_error(std::string(e.what()) + "; nothing was written to " + folder.string());
    return kExitBadInput;
  } catch (const std::exception& e) {
    progress.line.clear();
    print_error(std::string(e.what()) + "; nothing was written to " + folder.string());
    return kExitFailure;
  }
  progress.line.clear();
  print_summary(arguments.path, contents, folder, written, arguments.agent_units);
  return kExitOk;
}

}  // namespace tipsim::cli
