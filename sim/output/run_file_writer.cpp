// Writing run files: the per-run writer. It prepares the file (a new
// layout, or a file taken over to resume), then writes each (point,
// replicate) as it arrives: series, summaries, events and snapshots, and
// records the runs it holds so a killed run's file can be resumed.
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>
#include <numeric>

#include "events.hpp"
#include "metrics.hpp"
#include "run_file_internal.hpp"
#include "snapshots.hpp"

namespace tipsim::output {

using h5::Handle;

namespace {

// The creation time, as ACDD's date_created wants it.
std::string iso8601_utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Refuses what no file can hold: points of different shapes, a comparison
// without its arm names, and the like (std::invalid_argument).
void check_run_file_info(const RunFileInfo& info) {
  if (info.points.empty()) throw std::invalid_argument("run file: no scenario points to write");
  if (info.replicates == 0) throw std::invalid_argument("run file: replicates must be at least 1");
  const Scenario& first = info.points.front();
  for (const Scenario& p : info.points) {
    if (p.steps() != first.steps() || detail::region_names(p) != detail::region_names(first))
      throw std::invalid_argument("run file: every sweep point must have the same steps and regions");
    if (info.recording.snapshot_every > 0 &&
        p.get(Param::population_size) != first.get(Param::population_size))
      throw std::invalid_argument("run file: snapshots need every point to have the same population.size");
  }
  if (info.experiment == ExperimentKind::Comparison && info.arm_names.size() != info.points.size())
    throw std::invalid_argument("run file: a comparison needs one arm name per point");
  if (info.experiment != ExperimentKind::Sweep && !info.sweep_axes.empty())
    throw std::invalid_argument("run file: only a sweep has sweep axes");
  if (info.recording.snapshot_every < 0) throw std::invalid_argument("run file: negative snapshot interval");
  if (info.group != nullptr && info.recording.events)
    throw std::invalid_argument("run file: an event log cannot be written by several processes");
  if (!info.checkpoint_steps.empty() && (info.group != nullptr || info.points.size() != 1))
    throw std::invalid_argument("run file: checkpoints are kept by plain runs of one process");
  if (!std::is_sorted(info.checkpoint_steps.begin(), info.checkpoint_steps.end()))
    throw std::invalid_argument("run file: checkpoint steps must be in ascending order");
}

}  // namespace

std::string_view experiment_name(ExperimentKind kind) {
  switch (kind) {
    case ExperimentKind::Run:
      return "run";
    case ExperimentKind::Sweep:
      return "sweep";
    case ExperimentKind::Comparison:
      return "comparison";
  }
  return "run";
}

std::string value_attribute(Averted outcome) {
  return outcome == Averted::VictimYears ? "value_per_victim_year" : "value_per_qaly";
}

double estimate_recording_bytes(const Scenario& scenario, const Recording& recording, double events) {
  double bytes = 0;
  if (recording.events) bytes += events * static_cast<double>(kEventFileBytes);
  bytes += static_cast<double>(snapshot_count(scenario.steps(), recording.snapshot_every)) *
           scenario.get(Param::population_size) * static_cast<double>(Snapshots::kBytesPerPerson);
  return bytes;
}

void RunFileWriter::Impl::shape_for(const std::string& final_path, const RunFileInfo& run_info) {
  const Scenario& first = run_info.points.front();
  path = final_path;
  group = run_info.group;
  points = run_info.points.size();
  replicates = run_info.replicates;
  steps = static_cast<std::size_t>(first.steps());
  regions = first.regions.size();
  written.assign(points * replicates, false);
  experiment = run_info.experiment;
  arm_names = run_info.arm_names;
  summaries.resize(points * replicates);
  max_recording_bytes = run_info.max_recording_bytes;
  info = run_info;
  info.group = nullptr;
  if (run_info.recording.snapshot_every > 0) {
    snapshot_count = tipsim::snapshot_count(first.steps(), run_info.recording.snapshot_every);
    persons = static_cast<std::size_t>(first.get_int(Param::population_size));
  }
}

RunFileWriter::RunFileWriter(const std::string& final_path, const RunFileInfo& info,
                             const std::string& resume_from)
    : final_path_(final_path),
      temporary_path_(temporary_path_for(final_path)),
      impl_(std::make_unique<Impl>()) {
  check_run_file_info(info);
  impl_->shape_for(final_path, info);
  const WriterGroup* group = info.group;
  // Every process names the same file, and records the same time.
  std::string created = iso8601_utc_now();
  if (group) {
    temporary_path_ = group->broadcast(temporary_path_);
    created = group->broadcast(created);
  }

  // One process prepares the file: creates its layout, or checks and takes
  // over the file to resume. Its outcome goes to every process, so that
  // all fail alike.
  const std::string outcome = detail::outcome_on_first_process(
      group,
      [&] {
        h5::QuietErrors quiet;
        if (resume_from.empty()) {
          detail::create_layout(temporary_path_, final_path_, info, created);
        } else {
          detail::take_over_to_resume(resume_from, temporary_path_, final_path_, info, created);
        }
      },
      true);
  if (!outcome.empty()) {
    impl_.reset();  // nothing of the file is held; a new file was removed where made
    if (resume_from.empty() && (!group || group->rank() == 0)) ::unlink(temporary_path_.c_str());
    detail::throw_outcome(outcome);
  }
  impl_->taken_over = !resume_from.empty();
  try {
    open_for_runs(info);
  } catch (...) {
    abandon();
    throw;
  }
}

void RunFileWriter::Impl::open_datasets(const RunFileInfo& run_info) {
  const hid_t f = file.get();
  // Every chunk is written whole, once: caching it would only hold memory
  // (1 MiB per dataset by default) until the file is closed.
  Handle dapl(h5::check(H5Pcreate(H5P_DATASET_ACCESS), path, "cannot create dataset access properties"),
              H5Pclose);
  h5::check_status(H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, 1.0), path,
                   "cannot set the chunk cache");
  auto open = [&](const std::string& name, hid_t access = H5P_DEFAULT) {
    return Handle(h5::check(H5Dopen2(f, name.c_str(), access), path, "cannot open dataset '" + name + "'"),
                  H5Dclose);
  };
  for (const MetricSpec& m : metric_table())
    series_sets.push_back(open("series/" + std::string(m.name), dapl.get()));
  for (const SummarySpec& s : summary_table()) summary_sets.push_back(open("summary/" + std::string(s.name)));
  run_complete = open("campaign/run_complete");
  // Laid out for several processes (now, or by the job that began a
  // resumed file): compressed at commit (copy_into_new_layout()).
  plain = group != nullptr || !detail::is_compressed(series_sets.front().get(), path);
  if (run_info.recording.events) {
    event_rows = open("events/event");
    for (const detail::FieldSpec& c : detail::kEventColumns)
      event_columns.push_back(open("events/" + std::string(c.name)));
    first_event = open("events/runs/first_event");
    event_count = open("events/runs/event_count");
  }
  if (run_info.recording.snapshot_every > 0)
    for (const detail::FieldSpec& field : detail::kSnapshotFields)
      snapshot_sets.push_back(open("snapshots/" + std::string(field.name), dapl.get()));
}

void RunFileWriter::Impl::read_held_runs() {
  const std::size_t runs = points * replicates;
  std::vector<std::uint8_t> complete(runs);
  h5::check_status(
      H5Dread(run_complete.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, complete.data()), path,
      "cannot read 'campaign/run_complete'");
  std::vector<std::vector<double>> summary_values(summary_table().size(), std::vector<double>(runs));
  for (std::size_t i = 0; i < summary_values.size(); ++i)
    h5::check_status(H5Dread(summary_sets[i].get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             summary_values[i].data()),
                     path, "cannot read the summaries");
  for (std::size_t run = 0; run < runs; ++run) {
    if (complete[run] != 1) continue;
    written[run] = true;
    ++written_count;
    summaries[run].resize(summary_values.size());
    for (std::size_t i = 0; i < summary_values.size(); ++i) summaries[run][i] = summary_values[i][run];
  }
  resumed = written_count;
}

// Opens the prepared file for writing runs (every process of a group) and
// learns what it already holds.
void RunFileWriter::open_for_runs(const RunFileInfo& info) {
  h5::QuietErrors quiet;
  Impl& w = *impl_;
  const std::string& path = w.path;
  Handle fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create file access properties"), H5Pclose);
  // Closing the file closes everything in it, so an abandoned writer never
  // leaves objects (or the file descriptor) behind.
  h5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set the close degree");
  if (w.group) w.group->use_parallel_io(static_cast<std::int64_t>(fapl.get()));
  w.file = Handle(h5::check(H5Fopen(temporary_path_.c_str(), H5F_ACC_RDWR, fapl.get()), path,
                            "cannot open the temporary file '" + temporary_path_ + "'"),
                  H5Fclose);
  w.open_datasets(info);
  w.read_held_runs();
}

std::vector<std::size_t> RunFileWriter::missing_runs() const {
  std::vector<std::size_t> runs;
  if (!impl_) return runs;
  for (std::size_t run = 0; run < impl_->written.size(); ++run)
    if (!impl_->written[run]) runs.push_back(run);
  return runs;
}

std::size_t RunFileWriter::resumed_runs() const { return impl_ ? impl_->resumed : 0; }

bool RunFileWriter::holds_every_run() {
  if (!impl_) return false;
  gather_runs();
  return impl_->written_count == impl_->written.size();
}

std::size_t RunFileWriter::Impl::check_fits(const ReplicateResult& result) const {
  if (result.point >= points || result.replicate >= replicates)
    throw std::invalid_argument("run file: (point " + std::to_string(result.point) + ", replicate " +
                                std::to_string(result.replicate) + ") is outside the file's " +
                                std::to_string(points) + " x " + std::to_string(replicates));
  const std::size_t slot = result.point * replicates + result.replicate;
  if (written[slot])
    throw std::invalid_argument("run file: (point " + std::to_string(result.point) + ", replicate " +
                                std::to_string(result.replicate) + ") is already in the file");
  if (result.series.steps() != steps || result.series.layout().regions() != regions)
    throw std::invalid_argument("run file: series of " + std::to_string(result.series.steps()) + " steps x " +
                                std::to_string(result.series.layout().regions()) + " regions, file expects " +
                                std::to_string(steps) + " x " + std::to_string(regions));
  if (result.summary.size() != summary_table().size())
    throw std::invalid_argument("run file: " + std::to_string(result.summary.size()) +
                                " summary values, expected " + std::to_string(summary_table().size()));
  if (!snapshot_sets.empty() && (result.snapshots.count() != snapshot_count ||
                                 (snapshot_count > 0 && result.snapshots.persons != persons)))
    throw std::invalid_argument("run file: " + std::to_string(result.snapshots.count()) + " snapshots of " +
                                std::to_string(result.snapshots.persons) + " persons, file expects " +
                                std::to_string(snapshot_count) + " of " + std::to_string(persons));
  return slot;
}

std::uint64_t RunFileWriter::Impl::check_recording_limit(const ReplicateResult& result) {
  // The limit is checked before anything of this run is written, so the
  // file never holds more than it was allowed.
  const std::uint64_t bytes =
      (event_rows.valid() ? result.events.size() * kEventFileBytes : 0) +
      (!snapshot_sets.empty() ? snapshot_count * persons * Snapshots::kBytesPerPerson : 0);
  if (max_recording_bytes > 0 && recording_bytes + bytes > max_recording_bytes) {
    failed = true;
    throw OutputError(path + ": the event log and snapshots grew past the --max-output limit of " +
                      std::to_string(max_recording_bytes) + " bytes at (point " +
                      std::to_string(result.point) + ", replicate " + std::to_string(result.replicate) +
                      "), more than estimated; raise --max-output or record less");
  }
  return bytes;
}

void RunFileWriter::Impl::write_series(const ReplicateResult& result) {
  for (const MetricSpec& m : metric_table()) {
    const hid_t ds = series_sets[static_cast<std::size_t>(m.id)].get();
    std::vector<hsize_t> start = {result.point, result.replicate, 0, 0};
    std::vector<hsize_t> count = {1, 1, steps, regions};
    if (m.axis != Axis::None) {
      start.push_back(0);
      count.push_back(axis_size(m.axis));
    }
    result.series.extract(m.id, values);
    const std::string what = "cannot write series '" + std::string(m.name) + "'";
    if (m.type == ValueType::Count) {
      // Counts are whole numbers held in doubles; store them exactly.
      counts.resize(values.size());
      std::transform(values.begin(), values.end(), counts.begin(),
                     [](double v) { return static_cast<std::int64_t>(std::llround(v)); });
      detail::write_block(ds, H5T_NATIVE_INT64, counts.data(), start, count, path, what);
    } else {
      detail::write_block(ds, H5T_NATIVE_DOUBLE, values.data(), start, count, path, what);
    }
  }
}

void RunFileWriter::Impl::write_summaries(const ReplicateResult& result) {
  const hsize_t start[2] = {result.point, result.replicate};
  const hsize_t count[2] = {1, 1};
  Handle memory_space(h5::check(H5Screate_simple(2, count, nullptr), path, "cannot write summaries"),
                      H5Sclose);
  for (std::size_t i = 0; i < summary_sets.size(); ++i) {
    const hid_t ds = summary_sets[i].get();
    const std::string what = "cannot write summary '" + std::string(summary_table()[i].name) + "'";
    Handle file_space(h5::check(H5Dget_space(ds), path, what), H5Sclose);
    h5::check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
                     path, what);
    h5::check_status(
        h5::write_dataset(ds, H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(), 1, &result.summary[i]),
        path, what);
  }
}

void RunFileWriter::consume(ReplicateResult&& result) {
  if (!impl_) throw std::logic_error("run file: consume after commit");
  Impl& w = *impl_;
  if (w.failed) throw std::logic_error("run file: consume after a failure");
  const std::size_t slot = w.check_fits(result);
  const std::uint64_t recording_bytes = w.check_recording_limit(result);
  try {
    h5::QuietErrors quiet;
    w.write_series(result);
    w.write_summaries(result);
    if (w.event_rows.valid()) write_events(result);
    if (!w.snapshot_sets.empty()) write_snapshots(result);
    if (!result.checkpoints.empty())
      detail::write_checkpoints(w.file.get(), result.replicate, result.checkpoints, w.path);
    if (w.group) {
      // Alone with its own runs, a process records each as soon as its data
      // are written: with plain storage, writing data changes no metadata,
      // so whatever stops the job, a run recorded complete is in the file.
      const std::int8_t one = 1;
      detail::write_block(w.run_complete.get(), H5T_NATIVE_INT8, &one, {result.point, result.replicate},
                          {1, 1}, w.path, "cannot write 'campaign/run_complete'");
    } else {
      w.unrecorded.push_back(slot);
    }
  } catch (...) {
    w.failed = true;
    throw;
  }
  w.written[slot] = true;
  ++w.written_count;
  w.mine.push_back(slot);
  w.recording_bytes += recording_bytes;
  w.summaries[slot] = std::move(result.summary);
  checkpoint(false);
}

// Alone, the file's metadata (chunk indexes, the event log's extent) change
// as runs are written, so runs are recorded complete only after a flush has
// put their data and that metadata on disk: a killed run's file then holds
// at least the runs it records. Flushing costs, so it happens at most once
// a second (and always when forced).
void RunFileWriter::checkpoint(bool force) {
  Impl& w = *impl_;
  if (w.group || w.unrecorded.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - w.last_checkpoint < std::chrono::seconds(1)) return;
  h5::QuietErrors quiet;
  try {
    h5::check_status(H5Fflush(w.file.get(), H5F_SCOPE_LOCAL), w.path,
                     "cannot flush the temporary file '" + temporary_path_ + "'");
    // On disk, not only handed to the system: a power cut after the flags
    // below must not find flags without their data.
    void* handle = nullptr;
    if (H5Fget_vfd_handle(w.file.get(), H5P_DEFAULT, &handle) >= 0 && handle != nullptr &&
        ::fsync(*static_cast<int*>(handle)) != 0) {
      const int error = errno;
      throw OutputError(w.path + ": cannot sync the temporary file '" + temporary_path_ +
                        "': " + detail::errno_text(error));
    }
    const std::int8_t one = 1;
    for (const std::size_t slot : w.unrecorded)
      detail::write_block(w.run_complete.get(), H5T_NATIVE_INT8, &one,
                          {slot / w.replicates, slot % w.replicates}, {1, 1}, w.path,
                          "cannot write 'campaign/run_complete'");
    w.unrecorded.clear();
    h5::check_status(H5Fflush(w.file.get(), H5F_SCOPE_LOCAL), w.path,
                     "cannot flush the temporary file '" + temporary_path_ + "'");
  } catch (...) {
    w.failed = true;
    throw;
  }
  w.last_checkpoint = now;
}

// Appends a run's events to the event log, a block of rows at a time and
// one column at a time within it, and records where they are in
// events/runs/. The buffers hold one block, so writing a log of millions
// adds a megabyte or two to the run's memory, not a copy of the log.
void RunFileWriter::write_events(const ReplicateResult& result) {
  Impl& w = *impl_;
  const std::string& path = w.path;
  const EventList& events = result.events;
  const std::size_t n = events.size();
  constexpr std::size_t kBlockRows = detail::kEventChunkRows;
  std::vector<std::int64_t> rows(std::min(n, kBlockRows));
  std::vector<std::int32_t> i32s(rows.size());
  std::vector<std::int16_t> i16s(rows.size());
  std::vector<std::int8_t> i8s(rows.size());
  const std::string what = "cannot write the event log";
  for (std::size_t from = 0; from < n; from += kBlockRows) {
    const std::size_t count = std::min(kBlockRows, n - from), at = w.events_written + from;
    const auto first = events.begin() + static_cast<std::ptrdiff_t>(from);
    std::iota(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(count), static_cast<std::int64_t>(at));
    detail::append_rows(w.event_rows.get(), H5T_NATIVE_INT64, rows.data(), at, count, path, what);
    for (std::size_t c = 0; c < std::size(detail::kEventColumns); ++c) {
      const std::string_view name = detail::kEventColumns[c].name;
      const hid_t ds = w.event_columns[c].get();
      auto fill = [&](auto& buffer, hid_t type, auto get) {
        auto e = first;
        for (std::size_t i = 0; i < count; ++i, ++e) buffer[i] = get(*e);
        detail::append_rows(ds, type, buffer.data(), at, count, path, what);
      };
      if (name == "point")
        fill(i32s, H5T_NATIVE_INT32, [&](const Event&) { return static_cast<std::int32_t>(result.point); });
      if (name == "replicate")
        fill(i32s, H5T_NATIVE_INT32,
             [&](const Event&) { return static_cast<std::int32_t>(result.replicate); });
      if (name == "step") fill(i32s, H5T_NATIVE_INT32, [](const Event& e) { return e.step; });
      if (name == "kind")
        fill(i8s, H5T_NATIVE_INT8, [](const Event& e) { return static_cast<std::int8_t>(e.kind); });
      if (name == "person") fill(i32s, H5T_NATIVE_INT32, [](const Event& e) { return e.person; });
      if (name == "trafficker") fill(i32s, H5T_NATIVE_INT32, [](const Event& e) { return e.trafficker; });
      if (name == "region") fill(i16s, H5T_NATIVE_INT16, [](const Event& e) { return e.region; });
      if (name == "form") fill(i8s, H5T_NATIVE_INT8, [](const Event& e) { return e.form; });
      if (name == "channel") fill(i8s, H5T_NATIVE_INT8, [](const Event& e) { return e.channel; });
      if (name == "intervention") fill(i16s, H5T_NATIVE_INT16, [](const Event& e) { return e.intervention; });
    }
  }
  const std::int64_t first = static_cast<std::int64_t>(w.events_written),
                     count = static_cast<std::int64_t>(n);
  detail::write_block(w.first_event.get(), H5T_NATIVE_INT64, &first, {result.point, result.replicate}, {1, 1},
                      path, what);
  detail::write_block(w.event_count.get(), H5T_NATIVE_INT64, &count, {result.point, result.replicate}, {1, 1},
                      path, what);
  w.events_written += n;
}

// Writes a run's snapshots: every person field, all snapshots at once.
void RunFileWriter::write_snapshots(const ReplicateResult& result) {
  Impl& w = *impl_;
  if (w.snapshot_count == 0 || w.persons == 0) return;
  const Snapshots& s = result.snapshots;
  const std::vector<hsize_t> start = {result.point, result.replicate, 0, 0};
  const std::vector<hsize_t> count = {1, 1, w.snapshot_count, w.persons};
  // One dataset a field, in kSnapshotFields' (the table's) order.
  std::size_t f = 0;
#define TIPSIM_SNAPSHOT_FIELD(name, type, value, categories, long_name, units)                          \
  detail::write_block(w.snapshot_sets[f++].get(), detail::memory_type_of<type>(), s.name.data(), start, \
                      count, w.path, "cannot write snapshots '" #name "'");
#include "snapshot_fields.def"
#undef TIPSIM_SNAPSHOT_FIELD
}

bool RunFileWriter::Impl::close() {
  series_sets.clear();
  summary_sets.clear();
  run_complete.reset();
  event_rows.reset();
  event_columns.clear();
  first_event.reset();
  event_count.reset();
  snapshot_sets.clear();
  return file.close();
}

}  // namespace tipsim::output
