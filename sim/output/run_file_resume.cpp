// Resuming: what an unfinished run file must match to be completed by this
// command, and taking it over (renamed to the temporary name, with this
// command in its history) so the writer can add the runs it lacks.
#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "metrics.hpp"
#include "run_file_internal.hpp"

namespace tipsim::output::detail {

namespace {

// The line of `text` that holds offset `at`.
std::string line_at(const std::string& text, std::size_t at) {
  const std::size_t begin = text.rfind('\n', at == 0 ? 0 : at - 1);
  const std::size_t start = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(start, text.find('\n', start) - start);
}

// Why a file cannot be resumed by this command, for FormatError.
[[noreturn]] void refuse(const std::string& from, const std::string& why) {
  throw FormatError(from + ": cannot resume it with this command: " + why);
}

// What the file records and how it was run must be what this command does.
void check_experiment_matches(const RunFileContents& file, const std::string& from, const RunFileInfo& info) {
  if (file.run_complete.empty())
    refuse(
        from,
        "it records no completed runs (a file from an older tipsim, which finished or was never resumable)");
  if (file.event_log)
    refuse(from, "it has an event log, which is kept in run order and cannot be resumed; run it again");
  if (file.experiment != info.experiment)
    refuse(from, "it is a " + std::string(experiment_name(file.experiment)) + "; this command makes a " +
                     std::string(experiment_name(info.experiment)));
  if (file.point_resolved_toml.size() != info.points.size())
    refuse(from, "it has " + std::to_string(file.point_resolved_toml.size()) + " points; this command runs " +
                     std::to_string(info.points.size()));
  if (file.dimension("replicate") != info.replicates)
    refuse(from, "it has " + std::to_string(file.dimension("replicate")) +
                     " replicates per point; this command runs " + std::to_string(info.replicates));
  if (file.snapshot_every != std::max(0, info.recording.snapshot_every))
    refuse(from, "it takes snapshots every " + std::to_string(file.snapshot_every) +
                     " steps; this command every " + std::to_string(info.recording.snapshot_every) +
                     " (0: none)");
  if (info.recording.events) refuse(from, "--events cannot be resumed; leave it out");
}

// Every point's resolved scenario must be the same, or the resumed runs
// would not be those of the file; the first line that differs says which
// key.
void check_points_match(const RunFileContents& file, const std::string& from, const RunFileInfo& info) {
  for (std::size_t p = 0; p < info.points.size(); ++p) {
    const std::string ours = resolved_toml(info.points[p]);
    const std::string& theirs = file.point_resolved_toml[p];
    if (ours == theirs) continue;
    std::size_t at = 0;
    while (at < ours.size() && at < theirs.size() && ours[at] == theirs[at]) ++at;
    refuse(from, "point " + std::to_string(p) + "'s scenario differs: the file has '" + line_at(theirs, at) +
                     "' where this command has '" + line_at(ours, at) + "'");
  }
  if (info.experiment == ExperimentKind::Comparison && file.arm_names != info.arm_names)
    refuse(from, "its arms are named differently");
}

// Checks that an unfinished run file is one of the experiment `info`
// describes, so that resuming it completes it exactly. Throws FormatError
// naming the first difference.
void check_resumable(const RunFileContents& file, const std::string& from, const RunFileInfo& info) {
  check_experiment_matches(file, from, info);
  check_points_match(file, from, info);
  if (file.checkpoint_steps != info.checkpoint_steps)
    throw FormatError(from + ": not the run being resumed: it keeps checkpoints at other steps");
}

// Whether a file's first series is compressed (see is_compressed()).
bool has_compressed_runs(const std::string& file_path, const std::string& path) {
  Handle file(h5::check(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path,
                        "cannot open '" + file_path + "'"),
              H5Fclose);
  const std::string name = "series/" + std::string(metric_table().front().name);
  Handle ds(h5::check(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), path, "cannot open '" + name + "'"),
            H5Dclose);
  return is_compressed(ds.get(), path);
}

// Provenance: the command that completed the file, after the one that began it.
void record_resume_in_history(const std::string& temporary_path, const std::string& final_path,
                              const RunFileInfo& info, const std::string& created) {
  Handle file(h5::check(H5Fopen(temporary_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), final_path,
                        "cannot open the file to resume '" + temporary_path + "'"),
              H5Fclose);
  const std::string history = h5::read_string_attribute(file.get(), "history", final_path);
  h5::write_attribute(file.get(), "history",
                      history + "\n" + created + " " + info.command_line + " (resumed)", final_path);
  if (!file.close()) h5::fail(final_path, "cannot write the file to resume '" + temporary_path + "'");
}

// A run the file records must have its series stored: a process killed
// while HDF5 rewrote the file's structure (finishing it) can leave a chunk
// index that no longer finds a recorded run's chunk, which would read back
// as zeros. Such a file is refused as damaged rather than resumed into a
// file that differs from the uninterrupted one.
void require_recorded_series(const std::string& from, const std::vector<std::uint8_t>& run_complete,
                             std::size_t replicates) {
  h5::QuietErrors quiet;
  Handle file(h5::check(H5Fopen(from.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), from, "cannot open"), H5Fclose);
  Handle series(h5::check(H5Gopen2(file.get(), "series", H5P_DEFAULT), from, "cannot open series/"),
                H5Gclose);
  H5G_info_t info{};
  h5::check_status(H5Gget_info(series.get(), &info), from, "cannot list series/");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256] = "";
    if (H5Lget_name_by_idx(series.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) <
        0)
      continue;
    Handle ds(H5Dopen2(series.get(), name, H5P_DEFAULT), H5Dclose);
    if (ds.get() < 0) continue;
    Handle dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 4 || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) continue;
    std::vector<hsize_t> shape(rank), chunk(rank);
    H5Sget_simple_extent_dims(space.get(), shape.data(), nullptr);
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    for (std::size_t run = 0; run < run_complete.size(); ++run) {
      if (run_complete[run] != 1) continue;
      std::vector<hsize_t> offset(rank, 0);
      offset[0] = run / replicates;
      offset[1] = run % replicates;
      // Every chunk of the run along step (one unless a run's series is split).
      for (hsize_t step = 0; step < shape[2]; step += std::max<hsize_t>(chunk[2], 1)) {
        offset[2] = step;
        hsize_t bytes = 0;
        if (H5Dget_chunk_storage_size(ds.get(), offset.data(), &bytes) < 0 || bytes == 0)
          throw FormatError(from + ": damaged run file: series/" + name + " has no stored values for run " +
                            std::to_string(run) + ", which the file records as complete");
      }
    }
  }
}

// Runs `read` on a file to resume. A file that opens as a run file but
// whose parts do not read (a process killed while HDF5 wrote the file's
// structure can leave addresses past the file's end) is damaged input,
// refused like any other file this command cannot resume (FormatError),
// not a failure of this program; so is a path that cannot be opened.
template <typename Read>
auto read_leftover(const std::string& from, Read read) {
  try {
    return read();
  } catch (const FormatError&) {
    throw;
  } catch (const OutputError& e) {
    // Not opened at all (a folder, no permission): bad input, but no damage.
    if (std::string_view(e.what()).starts_with(from + ": cannot open: ")) throw FormatError(e.what());
    std::string why = e.what();
    if (why.starts_with(from + ": ")) why.erase(0, from.size() + 2);
    throw FormatError(from + ": damaged run file: " + why);
  }
}

}  // namespace

bool is_compressed(hid_t dataset, const std::string& path) {
  Handle dcpl(h5::check(H5Dget_create_plist(dataset), path, "cannot read a dataset's layout"), H5Pclose);
  return H5Pget_nfilters(dcpl.get()) > 0;
}

void take_over_to_resume(const std::string& resume_from, const std::string& temporary_path,
                         const std::string& final_path, const RunFileInfo& info, const std::string& created) {
  std::error_code ec;
  if (!std::filesystem::exists(resume_from, ec))
    throw FormatError(resume_from + ": cannot resume it: no such file");
  const RunFileContents left =
      read_leftover(resume_from, [&] { return read_unfinished_run_file(resume_from); });
  check_resumable(left, resume_from, info);
  read_leftover(resume_from, [&] {
    require_recorded_series(resume_from, left.run_complete,
                            std::max<std::size_t>(left.dimension("replicate"), 1));
  });
  if (std::rename(resume_from.c_str(), temporary_path.c_str()) != 0) {
    const int error = errno;
    throw OutputError(resume_from + ": cannot take it over to resume it: " + errno_text(error));
  }
  try {
    record_resume_in_history(temporary_path, final_path, info, created);
    // Only the recorded runs go on, in a new layout: a file left by a
    // killed process may have metadata that reads but can no longer be
    // written to (killed while HDF5 wrote its structure), and a file
    // begun by one process is compressed, while ranks need it plain.
    // A job's own plain file is consistent at any moment and is kept.
    if (!info.group || has_compressed_runs(temporary_path, final_path))
      copy_into_new_layout(temporary_path, final_path, info, true);
  } catch (const FormatError& e) {
    // A recorded run that does not read (copy_into_new_layout()): the
    // leftover, under its own name again, is damaged.
    std::rename(temporary_path.c_str(), resume_from.c_str());
    throw FormatError(resume_from + ": damaged run file: " + e.what());
  } catch (...) {
    std::rename(temporary_path.c_str(), resume_from.c_str());
    throw;
  }
}

}  // namespace tipsim::output::detail
