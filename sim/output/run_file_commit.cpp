// The atomic commit: a run file is built under a temporary name, laid out
// anew (compressed) where several processes wrote it, synced, and renamed
// to its final name; or kept under an .incomplete name to be resumed; or
// removed when abandoned.
#include <fcntl.h>
#include <hdf5.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "metrics.hpp"
#include "run_file_internal.hpp"

namespace tipsim::output {

using h5::Handle;

namespace {

// Makes a file's data durable and gives it its name: fsync, then rename,
// then (best effort) fsync the folder, so a power cut never leaves an empty
// or partial file under the new name.
void sync_and_rename(const std::string& from, const std::string& to, const std::string& final_path) {
  const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    throw OutputError(final_path + ": cannot sync the temporary file '" + from +
                      "': " + detail::errno_text(error));
  }
  ::close(fd);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int error = errno;
    throw OutputError(final_path + ": cannot rename the temporary file '" + from + "' to '" + to +
                      "': " + detail::errno_text(error));
  }
  std::filesystem::path folder = std::filesystem::path(to).parent_path();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

// The part of a dataset copied at once: one run's values of a per-run
// dataset, (point, replicate, ...), so that memory holds one run, not the
// file; the whole of any other dataset.
struct CopyBlocks {
  int rank = 0;
  std::vector<hsize_t> dims, block;
  std::size_t run_count = 1;
  bool per_run = false;
};

// How to copy a dataset of this dataspace (copy_dataset()).
CopyBlocks copy_blocks(hid_t space) {
  CopyBlocks c;
  c.rank = H5Sget_simple_extent_ndims(space);
  c.dims.resize(static_cast<std::size_t>(std::max(c.rank, 0)));
  if (c.rank > 0) H5Sget_simple_extent_dims(space, c.dims.data(), nullptr);
  c.block = c.dims;
  c.per_run = c.rank > 2;
  if (c.per_run) {
    c.run_count = static_cast<std::size_t>(c.dims[0] * c.dims[1]);
    c.block[0] = c.block[1] = 1;
  }
  return c;
}

// A failure on the side of the file being copied. When resuming, that file
// is a killed process's leftover, and a part that does not read is damaged
// input (FormatError, which take_over_to_resume() names the leftover in);
// otherwise it is this program's own file, and any failure an OutputError.
[[noreturn]] void source_failed(bool resuming, const std::string& part, const std::string& path,
                                const std::string& what) {
  if (resuming) throw FormatError("cannot read " + part + ": " + h5::error_stack_text());
  h5::fail(path, what);
}
hid_t source_check(hid_t id, bool resuming, const std::string& part, const std::string& path,
                   const std::string& what) {
  if (id < 0) source_failed(resuming, part, path, what);
  return id;
}

// Copies a dataset from `from` to `to` (same name, shape and type) run by
// run (its leading point and replicate dimensions), only the runs marked in
// `runs` when it is not empty. `resuming`: see source_failed().
void copy_dataset(hid_t from, hid_t to, const std::string& name, const std::string& path, bool resuming,
                  const std::vector<std::uint8_t>& runs = {}) {
  const std::string what = "cannot copy '" + name + "' into the compressed file";
  const std::string part = "'" + name + "'";
  Handle source(source_check(H5Dopen2(from, name.c_str(), H5P_DEFAULT), resuming, part, path, what),
                H5Dclose);
  Handle target(h5::check(H5Dopen2(to, name.c_str(), H5P_DEFAULT), path, what), H5Dclose);
  Handle file_type(source_check(H5Dget_type(source.get()), resuming, part, path, what), H5Tclose);
  Handle memory_type(
      source_check(H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND), resuming, part, path, what),
      H5Tclose);
  Handle space(source_check(H5Dget_space(source.get()), resuming, part, path, what), H5Sclose);
  const CopyBlocks c = copy_blocks(space.get());
  std::size_t values = 1;
  for (const hsize_t d : c.block) values *= static_cast<std::size_t>(d);
  if (values == 0) return;
  std::vector<unsigned char> buffer(values * H5Tget_size(memory_type.get()));
  Handle memory_space(h5::check(H5Screate_simple(c.rank, c.block.data(), nullptr), path, what), H5Sclose);
  for (std::size_t run = 0; run < c.run_count; ++run) {
    if (c.per_run && !runs.empty() && (run >= runs.size() || runs[run] != 1)) continue;
    std::vector<hsize_t> start(c.dims.size(), 0);
    if (c.per_run) {
      start[0] = run / c.dims[1];
      start[1] = run % c.dims[1];
    }
    const std::string run_part = c.per_run ? "point " + std::to_string(start[0]) + ", replicate " +
                                                 std::to_string(start[1]) + " of " + part
                                           : part;
    Handle source_space(source_check(H5Dget_space(source.get()), resuming, run_part, path, what), H5Sclose);
    Handle target_space(h5::check(H5Dget_space(target.get()), path, what), H5Sclose);
    for (hid_t selection : {source_space.get(), target_space.get()})
      h5::check_status(
          H5Sselect_hyperslab(selection, H5S_SELECT_SET, start.data(), nullptr, c.block.data(), nullptr),
          path, what);
    if (H5Dread(source.get(), memory_type.get(), memory_space.get(), source_space.get(), H5P_DEFAULT,
                buffer.data()) < 0)
      source_failed(resuming, run_part, path, what);
    h5::check_status(h5::write_dataset(target.get(), memory_type.get(), memory_space.get(),
                                       target_space.get(), values, buffer.data()),
                     path, what);
  }
}

// Provenance goes with the copy: its history and command line, and how
// many processes and threads wrote it.
void copy_provenance(hid_t from, hid_t to, const std::string& path) {
  for (const char* name : {"history", "command_line"})
    h5::write_attribute(to, name, h5::read_string_attribute(from, name, path), path);
  for (const char* name : {"mpi_ranks", "threads"})
    h5::write_attribute(to, name, static_cast<std::int64_t>(h5::read_number_attribute(from, name, path)),
                        path);
}

// campaign/run_complete of a file: which runs a copy may read.
std::vector<std::uint8_t> read_recorded_runs(hid_t from, const RunFileInfo& info, const std::string& path) {
  Handle complete(h5::check(H5Dopen2(from, "campaign/run_complete", H5P_DEFAULT), path,
                            "cannot open 'campaign/run_complete'"),
                  H5Dclose);
  std::vector<std::uint8_t> recorded(info.points.size() * info.replicates);
  h5::check_status(H5Dread(complete.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, recorded.data()),
                   path, "cannot read 'campaign/run_complete'");
  return recorded;
}

// The per-run data (series, summaries, snapshots), then run_complete last,
// so a copy interrupted half-way holds no run.
void copy_runs(hid_t from, hid_t to, const std::string& copy_path, const std::string& path,
               const RunFileInfo& info, bool resuming, const std::vector<std::uint8_t>& recorded) {
  for (const MetricSpec& m : metric_table())
    copy_dataset(from, to, "series/" + std::string(m.name), path, resuming, recorded);
  for (const SummarySpec& m : summary_table())
    copy_dataset(from, to, "summary/" + std::string(m.name), path, resuming, recorded);
  if (info.recording.snapshot_every > 0)
    for (const detail::FieldSpec& field : detail::kSnapshotFields)
      copy_dataset(from, to, "snapshots/" + std::string(field.name), path, resuming, recorded);
  // Checkpoints of the runs the copy holds (a plain run's: one point).
  if (!info.checkpoint_steps.empty())
    for (std::size_t r = 0; r < info.replicates; ++r) {
      const std::string name = "checkpoints/replicate_" + std::to_string(r);
      if ((resuming && !recorded.at(r)) || H5Lexists(from, name.c_str(), H5P_DEFAULT) <= 0) continue;
      h5::check_status(H5Ocopy(from, name.c_str(), to, name.c_str(), H5P_DEFAULT, H5P_DEFAULT), path,
                       "cannot copy '" + name + "'");
    }
  h5::check_status(H5Fflush(to, H5F_SCOPE_LOCAL), path, "cannot flush '" + copy_path + "'");
  copy_dataset(from, to, "campaign/run_complete", path, resuming);
}

// Lets an abandoned file close cleanly after a failed write (a full disk):
// a file being thrown away needs none of its cached data, so its descriptor
// is pointed at an anonymous in-memory file, where the final flush succeeds
// and whose memory goes with the descriptor. (When the failure hit HDF5's
// metadata flush, HDF5 1.10 cannot close the file at all; see
// hdf5_util.cpp for why that no longer crashes the program at exit.)
void discard_further_writes(hid_t file) {
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  const int fd = *static_cast<int*>(handle);  // the sec2 driver's descriptor
  const int sink = ::memfd_create("tipsim-discarded-run-file", MFD_CLOEXEC);
  if (sink < 0) return;
  ::dup2(sink, fd);
  ::close(sink);
}

}  // namespace

// A file the ranks of a job wrote (parallel HDF5 writes no compressed data
// independently) is compressed so before it gets its final name, so that
// every finished file is as small as a one-process file; a one-process
// file resumed by a job is made plain first. The original is replaced only
// once the copy is whole. With `recorded_runs_only`, a killed process's
// runs not recorded complete are not read (they may not be whole).
void detail::copy_into_new_layout(const std::string& file_path, const std::string& path,
                                  const RunFileInfo& info, bool recorded_runs_only) {
  h5::QuietErrors quiet;
  const std::string copy_path = file_path + "-relayout";
  try {
    Handle from(h5::check(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path,
                          "cannot open '" + file_path + "' to compress it"),
                H5Fclose);
    create_layout(copy_path, path, info, h5::read_string_attribute(from.get(), "created", path));
    Handle to(h5::check(H5Fopen(copy_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), path,
                        "cannot open '" + copy_path + "'"),
              H5Fclose);
    copy_provenance(from.get(), to.get(), path);
    const std::vector<std::uint8_t> recorded =
        recorded_runs_only ? read_recorded_runs(from.get(), info, path) : std::vector<std::uint8_t>{};
    copy_runs(from.get(), to.get(), copy_path, path, info, recorded_runs_only, recorded);
    if (!to.close()) h5::fail(path, "cannot write '" + copy_path + "'");
  } catch (...) {
    ::unlink(copy_path.c_str());
    throw;
  }
  if (std::rename(copy_path.c_str(), file_path.c_str()) != 0) {
    const int error = errno;
    ::unlink(copy_path.c_str());
    throw OutputError(path + ": cannot replace '" + file_path +
                      "' by its compressed copy: " + errno_text(error));
  }
}

std::string detail::errno_text(int error) { return std::strerror(error); }

std::string temporary_path_for(const std::string& final_path) {
  return final_path + ".partial-" + std::to_string(::getpid());
}

std::string incomplete_path_for(const std::string& final_path) { return final_path + ".incomplete"; }

std::string free_incomplete_path_for(const std::string& final_path) {
  std::error_code ec;
  std::string path = incomplete_path_for(final_path);
  for (int copy = 2; std::filesystem::exists(path, ec); ++copy)
    path = incomplete_path_for(final_path) + "-" + std::to_string(copy);
  return path;
}

// Closes the file (every process of a group together), naming `what` was
// being done in the error.
void RunFileWriter::close_file(const std::string& what) {
  Impl& w = *impl_;
  h5::QuietErrors quiet;
  if (!w.close()) h5::fail(final_path_, "cannot " + what + " the temporary file '" + temporary_path_ + "'");
}

void RunFileWriter::commit() {
  if (!impl_) throw std::logic_error("run file: commit called twice");
  if (impl_->failed) throw std::logic_error("run file: commit after a failure");
  try {
    Impl& w = *impl_;
    checkpoint(true);
    gather_runs();
    if (w.written_count != w.written.size())
      throw OutputError(final_path_ + ": cannot commit the run file: only " +
                        std::to_string(w.written_count) + " of " + std::to_string(w.written.size()) +
                        " (point, replicate) runs were written");
    if (w.group) {
      detail::close_on_every_process(*w.group, final_path_, [&] { close_file("close"); });
    } else {
      close_file("close");
    }
    detail::on_first_process(w.group, [&] {
      if (w.plain) detail::copy_into_new_layout(temporary_path_, final_path_, w.info);
      if (w.experiment == ExperimentKind::Comparison) {
        h5::QuietErrors quiet;
        Handle file(h5::check(H5Fopen(temporary_path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), final_path_,
                              "cannot open the temporary file '" + temporary_path_ + "'"),
                    H5Fclose);
        detail::write_comparison(file.get(), final_path_, w.arm_names, w.replicates, w.summaries,
                                 w.info.value_per_victim_year, w.info.outcome);
        if (!w.info.allocation_targets.empty())
          detail::write_allocation(file.get(), final_path_, w.info, w.summaries);
        if (!file.close()) h5::fail(final_path_, "cannot close the temporary file '" + temporary_path_ + "'");
      }
      sync_and_rename(temporary_path_, final_path_, final_path_);
    });
    summaries_ = std::move(w.summaries);
    impl_.reset();
  } catch (...) {
    // Removes the file now, or keeps it when it holds runs worth keeping.
    impl_->failed = true;
    abandon();
    throw;
  }
}

std::string RunFileWriter::suspend() {
  if (!impl_) throw std::logic_error("run file: suspend after commit");
  Impl& w = *impl_;
  std::string kept;
  try {
    if (w.failed) {
      abandon();  // which keeps a resumed file
      return "";
    }
    checkpoint(true);
    gather_runs();
    if (w.written_count == 0 || w.event_rows.valid()) {
      close_file("close");  // together, with a group
      const bool first = !w.group || w.group->rank() == 0;
      impl_.reset();
      if (first) ::unlink(temporary_path_.c_str());
      return "";
    }
    close_file("close");
    // Never over another unfinished file (of an earlier run to this name).
    kept = free_incomplete_path_for(final_path_);
    if (w.group) kept = w.group->broadcast(kept);
    detail::on_first_process(w.group, [&] { sync_and_rename(temporary_path_, kept, final_path_); });
    summaries_ = std::move(w.summaries);
    impl_.reset();
    return kept;
  } catch (...) {
    abandon();
    throw;
  }
}

void RunFileWriter::abandon() noexcept {
  if (impl_ && impl_->group && impl_->file.valid()) {
    // Closing a file opened by a group waits for every process, which may
    // never come: this process is ending the job (see the header). The
    // file stays, as after a kill, and can be resumed.
    static_cast<void>(impl_.release());
    return;
  }
  if (!impl_) {
    ::unlink(temporary_path_.c_str());
    return;
  }
  // A file that held runs before this process took it over (resumed), or
  // that the ranks of a job filled, is kept for a later --resume rather
  // than removed with the runs it holds; a new file of one process goes.
  const bool keep = impl_->taken_over || impl_->group != nullptr;
  const bool first = !impl_->group || impl_->group->rank() == 0;
  {
    h5::QuietErrors quiet;
    if (impl_->file.valid() && !keep) discard_further_writes(impl_->file.get());
    impl_->close();
    H5Eclear2(H5E_DEFAULT);
  }
  impl_.reset();
  if (!first) return;
  if (keep) {
    const std::string kept = free_incomplete_path_for(final_path_);
    if (std::rename(temporary_path_.c_str(), kept.c_str()) == 0) {
      std::fprintf(stderr, "tipsim: the runs %s held are kept in %s\n", final_path_.c_str(), kept.c_str());
      return;
    }
  }
  ::unlink(temporary_path_.c_str());
}

RunFileWriter::~RunFileWriter() {
  if (impl_) abandon();
}

}  // namespace tipsim::output
