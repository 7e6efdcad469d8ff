// The layout of a run file (docs/output-format.md): its root attributes and
// groups, every dataset sized for all runs before any is written, and the
// comparison/ group a comparison adds at commit.
#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <numeric>
#include <variant>

#include "build_info.hpp"
#include "comparison.hpp"
#include "events.hpp"
#include "metrics.hpp"
#include "run_file_internal.hpp"
#include "snapshots.hpp"

namespace tipsim::output::detail {

namespace {

// Chunks hold one (point, replicate) time series; only series longer than
// this many bytes are split along `step` (HDF5 chunks must stay under 4 GiB).
constexpr std::size_t kMaxChunkBytes = 32u << 20;

// The long_name of each categorical axis's coordinate.
const char* axis_long_name(Axis axis) {
  switch (axis) {
    case Axis::None:
      return "";
    case Axis::State:
      return "state of a person";
    case Axis::Form:
      return "form of exploitation";
    case Axis::Market:
      return "market of exploitation (form, and sector for forced labour)";
    case Axis::Method:
      return "recruitment method";
    case Axis::Channel:
      return "channel through which a victim was identified";
    case Axis::CaseType:
      return "case type (sex or labour trafficking, as the TIP report counts them)";
    case Axis::Pillar:
      return "anti-trafficking pillar (the 4 Ps)";
    case Axis::Adjacent:
      return "situation that agencies can mistake for trafficking (none of these people is a victim)";
    case Axis::Record:
      return "what an agency recorded a person as, other than a victim of trafficking";
    case Axis::Exit:
      return "how a person's trafficking ended";
    case Axis::Pathway:
      return "a survivor's pathway: how trafficking ended, and where they are at the follow-up "
             "(ROUTE:OUTCOME)";
    case Axis::Followup:
      return "what services' follow-up of a survivor they assisted found";
  }
  return "";
}

// Axis labels as the strings the dataset writers take.
std::vector<std::string> to_strings(std::span<const std::string_view> labels) {
  return {labels.begin(), labels.end()};
}

// Axes that appear in the metric table, in the order of their first use.
std::vector<Axis> axes_used() {
  std::vector<Axis> axes;
  for (const MetricSpec& m : metric_table())
    if (m.axis != Axis::None && std::find(axes.begin(), axes.end(), m.axis) == axes.end())
      axes.push_back(m.axis);
  return axes;
}

// Names of the person_flag bits, lowest bit first (state.hpp).
const std::vector<std::string>& person_flag_names() {
  static const std::vector<std::string> names = {"FEMALE",         "CHILD",       "CONSENTED_INITIALLY",
                                                 "CROSSED_BORDER", "DEBT_BONDED", "CRIMINALISED",
                                                 "COOPERATING",    "RECOVERING"};
  return names;
}

// The event kinds' names, for the kind column's flag_meanings.
std::vector<std::string> event_kind_names() {
  std::vector<std::string> names;
  for (const EventKindSpec& k : event_kind_table()) names.emplace_back(k.name);
  return names;
}

// Labels of the market axis plus NONE at kNoMarket (255), for snapshots.
void write_market_flags(hid_t ds, const std::string& path) {
  std::vector<std::uint8_t> values;
  std::vector<std::string> meanings;
  const auto labels = axis_labels(Axis::Market);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    values.push_back(static_cast<std::uint8_t>(i));
    meanings.emplace_back(labels[i]);
  }
  values.push_back(kNoMarket);
  meanings.emplace_back("NONE");
  h5::write_array_attribute(ds, "flag_values", H5T_STD_U8LE, H5T_NATIVE_UINT8, values.data(), values.size(),
                            path);
  h5::write_attribute(ds, "flag_meanings", flag_meanings(meanings), path);
}

// CF flag_masks and flag_meanings of the person flags bit field.
void write_person_flag_masks(hid_t ds, const std::string& path) {
  std::vector<std::uint8_t> masks;
  for (std::size_t bit = 0; bit < person_flag_names().size(); ++bit)
    masks.push_back(static_cast<std::uint8_t>(1u << bit));
  h5::write_array_attribute(ds, "flag_masks", H5T_STD_U8LE, H5T_NATIVE_UINT8, masks.data(), masks.size(),
                            path);
  h5::write_attribute(ds, "flag_meanings", flag_meanings(person_flag_names()), path);
}

// What the values of a categorical field mean, so readers can label them.
void write_field_categories(hid_t ds, const FieldSpec& field, const Scenario& first,
                            const std::string& path) {
  const hid_t type = field.file_type();
  switch (field.categories) {
    case FieldCategories::None:
      return;
    case FieldCategories::EventKinds:
      return write_categories(ds, type, event_kind_names(), false, path);
    case FieldCategories::Regions:
      return write_categories(ds, type, region_names(first), false, path);
    case FieldCategories::Forms:
      return write_categories(ds, type, to_strings(axis_labels(Axis::Form)), true, path);
    case FieldCategories::Channels:
      return write_categories(ds, type, to_strings(axis_labels(Axis::Channel)), true, path);
    case FieldCategories::States:
      return write_categories(ds, type, to_strings(axis_labels(Axis::State)), false, path);
    case FieldCategories::Markets:
      return write_market_flags(ds, path);
    case FieldCategories::PersonFlags:
      return write_person_flag_masks(ds, path);
  }
}

// The (point) variables that label a file's points: the value of each
// varied key (sweep), or the arm's name (comparison).
void write_point_labels(GroupWriter& group, const RunFileInfo& info) {
  for (const VaryAxis& axis : info.sweep_axes) {
    if (is_scale_axis(axis.key)) {
      std::vector<double> factors;
      for (const Scenario& p : info.points) factors.push_back(scale_factor(p, axis.key));
      const std::string key = axis.key.substr(0, axis.key.size() - 1);
      group.doubles(axis.key.c_str(), {"point"}, factors,
                    "factor applied to the world value and every region's value of " + key +
                        " at each sweep point (--scale)",
                    "1");
      continue;
    }
    const KeyRef first = find_key(info.points.front(), axis.key);
    if (first.param == nullptr)
      throw std::invalid_argument("run file: the sweep key '" + axis.key + "' is not a scenario key");
    const std::string long_name =
        "value of " + axis.key + " at each sweep point: " + std::string(first.param->doc);
    if (first.param->kind == ParamKind::Text) {
      std::vector<std::string> values;
      for (const Scenario& p : info.points) values.push_back(key_text(p, find_key(p, axis.key)));
      group.strings(axis.key.c_str(), {"point"}, values, long_name);
    } else {
      std::vector<double> values;
      for (const Scenario& p : info.points) values.push_back(key_value(p, find_key(p, axis.key)));
      const std::string units = first.param->unit.empty() || first.param->kind == ParamKind::Boolean
                                    ? std::string("1")
                                    : std::string(first.param->unit);
      group.doubles(axis.key.c_str(), {"point"}, values, long_name, units);
    }
  }
  if (info.experiment == ExperimentKind::Comparison)
    group.strings("arm", {"point"}, info.arm_names,
                  "policy arm of the comparison at each point (baseline first)");
}

// The CF `coordinates` attribute naming the point labels above.
std::string point_label_names(const RunFileInfo& info) {
  std::string names;
  auto add = [&](const std::string& name) {
    if (!names.empty()) names += ' ';
    names += name;
  };
  for (const VaryAxis& axis : info.sweep_axes) add(axis.key);
  if (info.experiment == ExperimentKind::Comparison) add("arm");
  return names;
}

// The datasets and groups of a run file while its layout is created. They
// stay open until the whole layout is written, and close before the file.
struct Layout {
  Layout(const std::string& final_path, const RunFileInfo& run_info, const std::string& created_at)
      : path(final_path),
        info(run_info),
        first(run_info.points.front()),
        created(created_at),
        parallel(run_info.group != nullptr),
        points(run_info.points.size()),
        replicates(run_info.replicates),
        steps(static_cast<std::size_t>(first.steps())),
        regions(first.regions.size()) {}

  const std::string& path;  // the final path, for messages
  const RunFileInfo& info;
  const Scenario& first;  // the first point: steps, regions and population of all
  std::string created;
  bool parallel;  // per-run datasets plain, for several processes
  std::size_t points, replicates, steps, regions;
  std::size_t snapshot_count = 0, persons = 0;
  Handle file;
  std::unique_ptr<GroupWriter> series_group, summary_group, events_group, event_runs_group, snapshots_group;
  std::vector<Handle> series_sets, summary_sets, event_columns, snapshot_sets;
  Handle first_event, event_count;
};

// A root attribute's value: text, integer or real.
using AttributeValue = std::variant<std::string, std::int64_t, double>;
struct RootAttribute {
  const char* name;
  AttributeValue value;
};

// Root attributes in file order: identification, CF / ACDD discovery,
// provenance.
std::vector<RootAttribute> root_attributes(const Layout& w) {
  const Scenario& first = w.first;
  const RunFileInfo& info = w.info;
  const std::string& created = w.created;
  const std::string name = first.name.empty() ? "unnamed" : first.name;
  const std::string summary =
      (first.description.empty() ? std::string() : first.description + " ") +
      "Agent-based simulation of human trafficking and anti-trafficking policy: " + std::to_string(w.points) +
      " point(s) x " + std::to_string(w.replicates) + " replicate(s) of " + std::to_string(w.steps) +
      " steps.";
  std::vector<RootAttribute> attributes = {
      {"format", std::string(kFormatName)},
      {"format_version", std::int64_t{kFormatVersion}},
      {"Conventions", std::string("CF-1.8 ACDD-1.3")},
      {"title", "tipsim run: " + name},
      {"summary", summary},
      {"date_created", created},
      {"creator_name", std::string("tipsim")},
      {"product_version", std::string(version())},
      {"source",
       std::string("tipsim ") + version() + " agent-based model, source revision " + source_revision()},
      {"history", created + " " + info.command_line},
      {"program_version", std::string(version())},
      {"source_revision", std::string(source_revision())},
      {"created", created},
      {"command_line", info.command_line},
      {"scenario_name", first.name},
      {"seed", static_cast<std::int64_t>(first.seed())},
      {"steps", static_cast<std::int64_t>(w.steps)},
      {"step_days", first.get(Param::scenario_step_days)},
      {"burn_in_steps", first.get_int(Param::scenario_burn_in_steps)},
      {"population_size", first.get_int(Param::population_size)},
      {"population_scale", first.get(Param::population_scale)},
      {"region_count", static_cast<std::int64_t>(w.regions)},
      {"replicate_count", static_cast<std::int64_t>(w.replicates)},
      {"point_count", static_cast<std::int64_t>(w.points)},
      {"threads", static_cast<std::int64_t>(info.threads)},
      {"mpi_ranks", static_cast<std::int64_t>(info.group ? info.group->size() : 1)},
      {"experiment", std::string(experiment_name(info.experiment))},
      {"event_log", std::int64_t{info.recording.events ? 1 : 0}},
      {"snapshot_every", static_cast<std::int64_t>(info.recording.snapshot_every)},
  };
  if (info.forked_at_step >= 0) {
    attributes.push_back({"forked_from", info.forked_from});
    attributes.push_back({"forked_from_created", info.forked_from_created});
    attributes.push_back({"forked_at_step", static_cast<std::int64_t>(info.forked_at_step)});
  }
  if (!info.comment.empty()) attributes.push_back({"comment", info.comment});
  return attributes;
}

// A group of per-run variables, kept open in `group` until the layout is
// closed; plain storage when several processes write the runs.
GroupWriter& per_run_group(Layout& w, std::unique_ptr<GroupWriter>& group, const char* name,
                           std::string_view comment) {
  group = std::make_unique<GroupWriter>(w.file.get(), name, comment, w.path);
  if (w.parallel) group->plain_storage();
  return *group;
}

// Identifies the file before any group: readers check format first.
void write_root_attributes(Layout& w) {
  for (const RootAttribute& attribute : root_attributes(w))
    std::visit([&](const auto& value) { h5::write_attribute(w.file.get(), attribute.name, value, w.path); },
               attribute.value);
}

// scenario/: what was run, so the run can be repeated.
void write_scenario(Layout& w) { write_scenario_group(w.file.get(), w.first, w.path); }

// The coordinates of series/: dimensions, the time of each step, region and
// category labels, and the point labels.
void write_series_coordinates(Layout& w, GroupWriter& series) {
  series.run_dimensions(w.points, w.replicates);
  series.index_dimension("step", w.steps, "step (0-based); step s covers days [s, s+1) x step_days", "1");
  std::vector<double> days(w.steps);
  const double step_days = w.first.get(Param::scenario_step_days);
  for (std::size_t s = 0; s < w.steps; ++s) days[s] = static_cast<double>(s + 1) * step_days;
  // "day", not "days": xarray turns variables in "days" into timedelta64,
  // and analysts want plain numbers to plot against.
  series.doubles("time_days", {"step"}, days, "time since the start of the run at the end of the step",
                 "day");
  series.label_dimension("region", region_names(w.first), "region");
  for (Axis axis : axes_used())
    series.label_dimension(std::string(axis_name(axis)).c_str(), to_strings(axis_labels(axis)),
                           axis_long_name(axis));
  write_point_labels(series, w.info);
}

// One metric's (point, replicate, step, region[, category]) variable,
// chunked by run so that each run's write fills whole chunks.
Handle create_series_variable(Layout& w, GroupWriter& series, const MetricSpec& m,
                              const std::string& coordinates) {
  std::vector<std::string> dims = {"point", "replicate", "step", "region"};
  if (m.axis != Axis::None) dims.emplace_back(axis_name(m.axis));
  std::vector<std::size_t> shape = series.shape_of(dims);
  std::vector<std::size_t> chunk = shape;
  chunk[0] = chunk[1] = 1;
  const std::size_t step_bytes =
      8 * std::accumulate(chunk.begin() + 3, chunk.end(), std::size_t{1}, std::multiplies<>());
  chunk[2] = std::clamp<std::size_t>(kMaxChunkBytes / step_bytes, 1, std::max<std::size_t>(w.steps, 1));
  const std::string metric_name(m.name);
  Handle ds = series.create(metric_name.c_str(), m.type == ValueType::Count ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                            shape, chunk);
  series.describe(ds.get(), m.long_name, m.units);
  h5::write_attribute(ds.get(), "cell_methods",
                      std::string_view(m.nature == Nature::Stock ? "step: point" : "step: sum"), w.path);
  h5::write_attribute(ds.get(), "layer", layer_label(m.layer), w.path);
  h5::write_attribute(ds.get(), "basis", basis_label(m.basis), w.path);
  h5::write_attribute(ds.get(), "coordinates", coordinates, w.path);
  series.attach(ds.get(), dims);
  return ds;
}

// series/: coordinates, then one dataset per metric.
void create_series_group(Layout& w) {
  GroupWriter& series = per_run_group(
      w, w.series_group, "series",
      "Per-step figures of every replicate, one variable per metric, dimensions (point, replicate, step, "
      "region[, category]). Stocks are values at the end of the step, flows sums over the step.");
  write_series_coordinates(w, series);
  const std::string point_labels = point_label_names(w.info);
  const std::string coordinates = point_labels.empty() ? "time_days" : "time_days " + point_labels;
  for (const MetricSpec& m : metric_table())
    w.series_sets.push_back(create_series_variable(w, series, m, coordinates));
}

// summary/: one (point, replicate) variable per summary figure.
void create_summary_group(Layout& w) {
  GroupWriter& summary = per_run_group(w, w.summary_group, "summary",
                                       "Per-run summary figures, dimensions (point, replicate), computed "
                                       "after the burn-in (root attribute burn_in_steps).");
  summary.run_dimensions(w.points, w.replicates);
  write_point_labels(summary, w.info);
  const std::string point_labels = point_label_names(w.info);
  for (const SummarySpec& s : summary_table()) {
    const std::string summary_name(s.name);
    Handle ds =
        summary.create(summary_name.c_str(), H5T_IEEE_F64LE, summary.shape_of({"point", "replicate"}));
    summary.describe(ds.get(), s.long_name, s.units);
    h5::write_attribute(ds.get(), "layer", layer_label(s.layer), w.path);
    h5::write_attribute(ds.get(), "basis", basis_label(s.basis), w.path);
    if (!point_labels.empty()) h5::write_attribute(ds.get(), "coordinates", point_labels, w.path);
    summary.attach(ds.get(), {"point", "replicate"});
    w.summary_sets.push_back(std::move(ds));
  }
}

// sweep/: what each point is.
void write_sweep_group(Layout& w) {
  GroupWriter sweep(w.file.get(), "sweep",
                    "What each point is: its fully resolved scenario, and for a sweep the value of each "
                    "varied key (one variable per key, named by the key), for a comparison its arm.",
                    w.path);
  sweep.index_dimension("point", w.points, "sweep point (a plain run has one)", "1");
  std::vector<std::string> tomls;
  // Held for every point at once: no spare capacity.
  for (const Scenario& p : w.info.points) {
    tomls.push_back(resolved_toml(p));
    tomls.back().shrink_to_fit();
  }
  sweep.strings("resolved_toml", {"point"}, tomls, "fully resolved scenario of each point as TOML");
  std::string definition;
  for (const VaryAxis& axis : w.info.sweep_axes) definition += axis.definition + "\n";
  sweep.text("definition", definition,
             "the tipsim sweep --vary arguments, one per line (empty unless a sweep); the first varies "
             "slowest");
  write_point_labels(sweep, w.info);
}

// events/runs/: where each run's rows are, since runs arrive in any order.
void create_event_runs_group(Layout& w, GroupWriter& events) {
  w.event_runs_group = std::make_unique<GroupWriter>(
      events.id(), "runs",
      "Where each run's events are in the event log: rows first_event to first_event + event_count - 1.",
      w.path);
  GroupWriter& runs = *w.event_runs_group;
  runs.run_dimensions(w.points, w.replicates);
  w.first_event = runs.create("first_event", H5T_STD_I64LE, runs.shape_of({"point", "replicate"}));
  runs.describe(w.first_event.get(), "row of the run's first event in the event log", "1");
  runs.attach(w.first_event.get(), {"point", "replicate"});
  w.event_count = runs.create("event_count", H5T_STD_I64LE, runs.shape_of({"point", "replicate"}));
  runs.describe(w.event_count.get(), "number of events of the run", "1");
  runs.attach(w.event_count.get(), {"point", "replicate"});
}

// events/: the event log, one growing column per field.
void create_events_group(Layout& w) {
  w.events_group = std::make_unique<GroupWriter>(
      w.file.get(), "events",
      "Event log: one row per event, in the order the model recorded them (by point, replicate and "
      "step, then in the model's fixed order within a step). Categorical columns have flag_values and "
      "flag_meanings.",
      w.path);
  GroupWriter& events = *w.events_group;
  events.growing_dimension("event", kEventChunkRows, "row of the event log");
  for (const FieldSpec& c : kEventColumns) {
    Handle ds = events.growing_column(c.name, "event", c.file_type(), kEventChunkRows, c.long_name, c.units);
    write_field_categories(ds.get(), c, w.first, w.path);
    w.event_columns.push_back(std::move(ds));
  }
  create_event_runs_group(w, events);
}

// The step and time of each snapshot, its coordinates.
void write_snapshot_times(Layout& w, GroupWriter& snapshots) {
  std::vector<std::int64_t> steps(w.snapshot_count);
  std::vector<double> days(w.snapshot_count);
  const double step_days = w.first.get(Param::scenario_step_days);
  for (std::size_t k = 0; k < w.snapshot_count; ++k) {
    steps[k] =
        static_cast<std::int64_t>((k + 1) * static_cast<std::size_t>(w.info.recording.snapshot_every) - 1);
    days[k] = static_cast<double>(steps[k] + 1) * step_days;
  }
  snapshots.int64s("snapshot_step", {"snapshot"}, steps, "step at whose end the snapshot was taken", "1");
  snapshots.doubles("time_days", {"snapshot"}, days, "time since the start of the run at the snapshot",
                    "day");
}

// One person field's (point, replicate, snapshot, person) variable,
// chunked by snapshot so that each run's write fills whole chunks.
Handle create_snapshot_field(Layout& w, GroupWriter& snapshots, const FieldSpec& field) {
  const std::vector<std::string> dims = {"point", "replicate", "snapshot", "person"};
  std::vector<std::size_t> shape = snapshots.shape_of(dims);
  const std::size_t element = H5Tget_size(field.file_type());
  std::vector<std::size_t> chunk = {
      1, 1, 1, std::clamp<std::size_t>(kMaxChunkBytes / element, 1, std::max<std::size_t>(w.persons, 1))};
  Handle ds = snapshots.create(field.name, field.file_type(), shape, chunk);
  snapshots.describe(ds.get(), field.long_name, field.units);
  h5::write_attribute(ds.get(), "coordinates", std::string_view("snapshot_step time_days"), w.path);
  write_field_categories(ds.get(), field, w.first, w.path);
  snapshots.attach(ds.get(), dims);
  return ds;
}

// snapshots/: every person's fields every snapshot_every-th step.
void create_snapshots_group(Layout& w) {
  GroupWriter& snapshots =
      per_run_group(w, w.snapshots_group, "snapshots",
                    "Every person's fields at the end of every snapshot_every-th step, dimensions (point, "
                    "replicate, snapshot, person).");
  w.snapshot_count = snapshot_count(w.first.steps(), w.info.recording.snapshot_every);
  w.persons = static_cast<std::size_t>(w.first.get_int(Param::population_size));
  snapshots.run_dimensions(w.points, w.replicates);
  snapshots.index_dimension("snapshot", w.snapshot_count, "snapshot (0-based)", "1");
  snapshots.index_dimension("person", w.persons, "person id", "1");
  write_snapshot_times(w, snapshots);
  for (const FieldSpec& field : kSnapshotFields)
    w.snapshot_sets.push_back(create_snapshot_field(w, snapshots, field));
}

// campaign/: which runs the file holds, for resuming.
void create_campaign_group(Layout& w) {
  GroupWriter campaign(
      w.file.get(), "campaign",
      "Which (point, replicate) runs the file holds: run_complete is 1 for each run whose results are in "
      "the file. A finished file holds them all; an unfinished one (FILE.incomplete, kept by an "
      "interrupted run, or FILE.partial-PID, left by a killed one) is finished by the command that made "
      "it with --resume.",
      w.path);
  campaign.plain_storage();
  campaign.run_dimensions(w.points, w.replicates);
  Handle ds = campaign.create("run_complete", H5T_STD_I8LE, campaign.shape_of({"point", "replicate"}));
  const std::vector<std::int8_t> none(w.points * w.replicates, 0);
  write_block(ds.get(), H5T_NATIVE_INT8, none.data(), {0, 0}, {w.points, w.replicates}, w.path,
              "cannot write 'campaign/run_complete'");
  campaign.describe(ds.get(), "1 when the run's results are in the file, 0 when it is still to be run", "1");
  const std::int8_t flags[] = {0, 1};
  h5::write_array_attribute(ds.get(), "flag_values", H5T_STD_I8LE, H5T_NATIVE_INT8, flags, 2, w.path);
  h5::write_attribute(ds.get(), "flag_meanings", std::string_view("missing complete"), w.path);
  campaign.attach(ds.get(), {"point", "replicate"});
}

// checkpoints/: each replicate's whole state at the end of the steps asked
// for, written by consume() as runs arrive.
void create_checkpoints_group(Layout& w) {
  GroupWriter checkpoints(
      w.file.get(), "checkpoints",
      "The whole state of each replicate at the end of the steps in the attribute steps, one group a "
      "checkpoint: replicate_R/step_S/ holds every person's and trafficker's fields (persons/, "
      "traffickers/), each region's aggregates (regions/, a row a region), the cases waiting in the courts "
      "(courts/), the survivors' pending recoveries and reviews (survivors/), the ids of the people not free "
      "(involved) and step (the replicate, the steps done, the "
      "networks founded). tipsim run --fork FILE --at S continues the runs from there.",
      w.path);
  h5::write_array_attribute(checkpoints.id(), "steps", H5T_STD_I32LE, H5T_NATIVE_INT32,
                            w.info.checkpoint_steps.data(), w.info.checkpoint_steps.size(), w.path);
}

// Which optional groups a file has (kLayoutParts).
bool has_event_log(const RunFileInfo& info) { return info.recording.events; }
bool has_snapshots(const RunFileInfo& info) { return info.recording.snapshot_every > 0; }
bool has_checkpoints(const RunFileInfo& info) { return !info.checkpoint_steps.empty(); }

// One part of a run file's layout; `wanted` (null: every file) says
// whether this file has it.
struct LayoutPart {
  bool (*wanted)(const RunFileInfo&);
  void (*write)(Layout&);
};

// The parts of a run file, in file order (readers list them so).
constexpr LayoutPart kLayoutParts[] = {
    {nullptr, write_root_attributes},
    {nullptr, write_scenario},
    {nullptr, create_series_group},
    {nullptr, create_summary_group},
    {nullptr, write_sweep_group},
    {has_event_log, create_events_group},
    {has_snapshots, create_snapshots_group},
    {has_checkpoints, create_checkpoints_group},
    {nullptr, create_campaign_group},
};

// Creates the empty file; closing it closes everything in it, so an
// abandoned writer never leaves objects (or the file descriptor) behind.
Handle create_file(const std::string& file_path, const std::string& path) {
  Handle fcpl = group_creation_properties(path, H5P_FILE_CREATE);
  Handle fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), path, "cannot create file access properties"), H5Pclose);
  h5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "cannot set the close degree");
  return Handle(h5::check(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), path,
                          "cannot create the temporary file '" + file_path + "'"),
                H5Fclose);
}

// Datasets and groups close before the file, which then flushes.
void close_layout(Layout& w, const std::string& file_path) {
  w.series_sets.clear();
  w.summary_sets.clear();
  w.event_columns.clear();
  w.snapshot_sets.clear();
  w.first_event.reset();
  w.event_count.reset();
  w.series_group.reset();
  w.summary_group.reset();
  w.event_runs_group.reset();
  w.events_group.reset();
  w.snapshots_group.reset();
  if (!w.file.close()) h5::fail(w.path, "cannot write the temporary file '" + file_path + "'");
}

// Each effect's columns in comparison/: paired values by (arm, replicate),
// and their mean and interval by arm.
struct EffectColumns {
  std::vector<std::vector<double>> paired, mean, low, high;  // by effect_table() row
};

// The paired effects of every arm against the baseline's runs.
EffectColumns effect_columns(std::size_t replicates, const std::vector<std::vector<double>>& summaries,
                             std::size_t points) {
  const std::size_t effects = effect_table().size();
  EffectColumns c{std::vector<std::vector<double>>(effects), std::vector<std::vector<double>>(effects),
                  std::vector<std::vector<double>>(effects), std::vector<std::vector<double>>(effects)};
  const auto baseline = std::span(summaries).subspan(0, replicates);
  for (std::size_t a = 1; a < points; ++a) {
    const ArmEffects e = paired_effects(baseline, std::span(summaries).subspan(a * replicates, replicates));
    for (std::size_t k = 0; k < effects; ++k) {
      c.paired[k].insert(c.paired[k].end(), e.paired[k].begin(), e.paired[k].end());
      c.mean[k].push_back(e.estimate[k].mean);
      c.low[k].push_back(e.estimate[k].ci_low);
      c.high[k].push_back(e.estimate[k].ci_high);
    }
  }
  return c;
}

// The acceptability curve: the share of pairs in which each arm is the
// most cost-effective, at each value per unit of the outcome.
void write_acceptability(GroupWriter& group, const std::string& path,
                         const std::vector<std::vector<std::vector<double>>>& runs, Averted outcome) {
  const std::string unit(outcome_spec(outcome).unit);
  const std::vector<double> values = acceptability_values();
  group.index_dimension("value", values.size(),
                        "index of the values per " + unit + " of the acceptability curve", "1");
  auto with_basis = [&](Handle ds, Basis basis) {
    h5::write_attribute(ds.get(), "basis", basis_label(basis), path);
  };
  with_basis(
      group.doubles("acceptability_value", {"value"}, values, "value of one " + unit + " averted", "USD"),
      Basis::Usd);
  std::vector<double> table, baseline;
  for (const auto& row : acceptability_curve(runs, values, outcome)) {
    baseline.push_back(row.front());
    table.insert(table.end(), row.begin() + 1, row.end());
  }
  with_basis(
      group.doubles("acceptability", {"value", "arm"}, table,
                    "cost-effectiveness acceptability curve: the share of replicate pairs in which the arm "
                    "has the highest net monetary benefit at each acceptability_value",
                    "1"),
      Basis::Invariant);
  with_basis(group.doubles("acceptability_baseline", {"value"}, baseline,
                           "the acceptability curve of the baseline (nothing more done)", "1"),
             Basis::Invariant);
}

// The frontier, the incremental cost-effectiveness ratios, the net monetary
// benefit, the most cost-effective arm and the acceptability curve.
void write_cost_effectiveness(GroupWriter& group, const std::string& path,
                              const std::vector<std::string>& arm_names, std::size_t replicates,
                              const std::vector<std::vector<double>>& summaries, double value,
                              Averted outcome) {
  const auto runs = runs_by_arm(summaries, replicates);
  const CostEffectiveness ce = cost_effectiveness(runs, value, outcome);
  const std::string unit(outcome_spec(outcome).unit), value_name = value_attribute(outcome);
  h5::write_attribute(group.id(), "outcome", outcome_spec(outcome).name, path);
  h5::write_attribute(group.id(), value_name.c_str(), value, path);
  h5::write_attribute(group.id(), "baseline_frontier_status", frontier_label(ce.status.front()), path);
  std::vector<std::string> status, comparator;
  std::vector<double> icer[3], benefit[3], best;
  for (std::size_t a = 1; a < arm_names.size(); ++a) {
    status.emplace_back(frontier_label(ce.status[a]));
    comparator.push_back(ce.comparator[a] < 0 ? std::string()
                                              : arm_names[static_cast<std::size_t>(ce.comparator[a])]);
    const EffectEstimate& i = ce.icer[a];
    const EffectEstimate& b = ce.net_benefit[a];
    icer[0].push_back(i.mean), icer[1].push_back(i.ci_low), icer[2].push_back(i.ci_high);
    benefit[0].push_back(b.mean), benefit[1].push_back(b.ci_low), benefit[2].push_back(b.ci_high);
    best.push_back(ce.probability_best[a]);
  }
  auto with_basis = [&](Handle ds, Basis basis) {
    h5::write_attribute(ds.get(), "basis", basis_label(basis), path);
  };
  group.strings("frontier_status", {"arm"}, status,
                "where the arm stands among the arms ordered by extra cost (the baseline at 0): frontier, "
                "dominated (another arm costs no more and averts no less) or extendedly dominated (a mix of "
                "two frontier arms averts more for the same cost)");
  group.strings("icer_comparator", {"arm"}, comparator,
                "the next cheaper frontier arm the ICER is taken against (empty off the frontier)");
  const std::string suffix[3] = {"_mean", "_ci_low", "_ci_high"};
  const std::string part[3] = {": ratio of mean differences over replicate pairs",
                               ": lower bound of the 95 % delta-method interval",
                               ": upper bound of the 95 % delta-method interval"};
  const std::string benefit_part[3] = {": mean over replicate pairs", ": lower bound of the 95 % interval",
                                       ": upper bound of the 95 % interval"};
  for (int k = 0; k < 3; ++k) {
    with_basis(group.doubles(("icer" + suffix[k]).c_str(), {"arm"}, icer[k],
                             "extra cost per extra " + unit +
                                 " averted against icer_comparator (NaN off the "
                                 "frontier)" +
                                 part[k],
                             "USD per " + unit),
               Basis::Usd);
    with_basis(group.doubles(("net_monetary_benefit" + suffix[k]).c_str(), {"arm"}, benefit[k],
                             value_name + " x " + unit + "s averted - extra spending, against the baseline" +
                                 benefit_part[k],
                             "USD"),
               Basis::Usd);
  }
  with_basis(
      group.doubles("probability_most_cost_effective", {"arm"}, best,
                    "share of replicate pairs in which the arm has the highest net monetary benefit at " +
                        value_name + " (the baseline's share is 1 minus their sum)",
                    "1"),
      Basis::Invariant);
  write_acceptability(group, path, runs, outcome);
}

// One effect's four variables: paired values, mean and 95 % interval.
void write_effect(GroupWriter& group, const EffectSpec& e, const EffectColumns& c, std::size_t k,
                  const std::string& path) {
  const std::string name(e.name);
  const bool cost = e.sign == EffectSign::CostPerAverted;
  auto with_basis = [&](Handle ds) { h5::write_attribute(ds.get(), "basis", basis_label(e.basis), path); };
  with_basis(
      group.doubles(name.c_str(), {"arm", "replicate"}, c.paired[k],
                    cost ? std::string(e.long_name) + ", per replicate pair (NaN when the pair averts none)"
                         : std::string(e.long_name) + ", per replicate pair",
                    e.units));
  with_basis(group.doubles((name + "_mean").c_str(), {"arm"}, c.mean[k],
                           cost ? std::string(e.long_name) +
                                      ": ratio of means, mean extra spending over the mean averted (NaN "
                                      "when the mean averted is not positive)"
                                : std::string(e.long_name) + ": mean over replicate pairs",
                           e.units));
  with_basis(group.doubles((name + "_ci_low").c_str(), {"arm"}, c.low[k],
                           std::string(e.long_name) + ": lower bound of the 95 % interval", e.units));
  with_basis(group.doubles((name + "_ci_high").c_str(), {"arm"}, c.high[k],
                           std::string(e.long_name) + ": upper bound of the 95 % interval", e.units));
}

}  // namespace

void create_layout(const std::string& file_path, const std::string& path, const RunFileInfo& info,
                   const std::string& created) {
  Layout w(path, info, created);
  w.file = create_file(file_path, path);
  for (const LayoutPart& part : kLayoutParts)
    if (part.wanted == nullptr || part.wanted(info)) part.write(w);
  close_layout(w, file_path);
}

void write_allocation(hid_t file, const std::string& path, const RunFileInfo& info,
                      const std::vector<std::vector<double>>& summaries) {
  GroupWriter group(
      file, "allocation",
      "tipsim allocate: each point (an arm of comparison/) is the scenario with an added yearly "
      "budget split over the targets; the frontier is the best split at each budget level.",
      path);
  const std::string objective = info.allocation_by_net_benefit
                                    ? "net monetary benefit"
                                    : std::string(outcome_spec(info.outcome).unit) + "s averted";
  h5::write_attribute(group.id(), "objective", std::string_view(objective), path);
  h5::write_attribute(group.id(), "outcome", outcome_spec(info.outcome).name, path);
  const std::size_t points = info.points.size(), targets = info.allocation_targets.size();
  group.index_dimension("point", points, "point of the comparison (0: the scenario as it is)", "1");
  group.label_dimension("target", info.allocation_targets,
                        "what the added money went to: a P (split within it by the budget.*_share_* "
                        "weights) or a lever");
  group.doubles("budget", {"point"}, info.allocation_budgets, "added budget of the point", "USD per year");
  std::vector<double> weights;
  for (const auto& w : info.allocation_weights) weights.insert(weights.end(), w.begin(), w.end());
  weights.resize(points * targets, 0.0);
  group.doubles("weight", {"point", "target"}, weights, "share of the added budget going to each target",
                "1");
  const auto runs = runs_by_arm(summaries, info.replicates);
  const auto levels =
      allocation_frontier(runs, info.allocation_budgets, info.allocation_weights,
                          info.allocation_by_net_benefit ? info.value_per_victim_year : 0.0, info.outcome);
  group.index_dimension("level", levels.size(), "budget level of the frontier", "1");
  std::vector<double> budget, best, even, averted[3], harm[3], difference[3], better;
  for (const AllocationLevel& l : levels) {
    budget.push_back(l.budget);
    best.push_back(static_cast<double>(l.best_arm));
    even.push_back(static_cast<double>(l.even_arm));
    averted[0].push_back(l.best_averted.mean), averted[1].push_back(l.best_averted.ci_low),
        averted[2].push_back(l.best_averted.ci_high);
    harm[0].push_back(l.best_harm_averted.mean), harm[1].push_back(l.best_harm_averted.ci_low),
        harm[2].push_back(l.best_harm_averted.ci_high);
    difference[0].push_back(l.best_minus_even.mean), difference[1].push_back(l.best_minus_even.ci_low),
        difference[2].push_back(l.best_minus_even.ci_high);
    better.push_back(l.probability_better_than_even);
  }
  group.doubles("frontier_budget", {"level"}, budget, "added budget of the level", "USD per year");
  group.doubles("frontier_best_point", {"level"}, best, "point of the best split at the level", "1");
  group.doubles("frontier_even_point", {"level"}, even, "point of the even split at the level", "1");
  const std::string suffix[3] = {"_mean", "_ci_low", "_ci_high"};
  const std::string part[3] = {": mean over replicate pairs", ": lower bound of the 95 % interval",
                               ": upper bound of the 95 % interval"};
  for (int k = 0; k < 3; ++k) {
    group.doubles(("frontier_victim_years_averted" + suffix[k]).c_str(), {"level"}, averted[k],
                  "victim-years averted by the best split, against the scenario as it is" + part[k],
                  "person-years");
    group.doubles(("frontier_harm_averted" + suffix[k]).c_str(), {"level"}, harm[k],
                  "QALYs of harm averted by the best split, against the scenario as it is" + part[k], "QALY");
    group.doubles(("frontier_best_minus_even" + suffix[k]).c_str(), {"level"}, difference[k],
                  "the objective of the best split minus the even split's, per replicate pair" + part[k],
                  info.allocation_by_net_benefit         ? "USD"
                  : info.outcome == Averted::VictimYears ? "person-years"
                                                         : "QALY");
  }
  group.doubles("frontier_probability_better_than_even", {"level"}, better,
                "share of replicate pairs in which the best split beats the even split on the objective",
                "1");
}

void write_comparison(hid_t file, const std::string& path, const std::vector<std::string>& arm_names,
                      std::size_t replicates, const std::vector<std::vector<double>>& summaries, double value,
                      Averted outcome) {
  GroupWriter group(
      file, "comparison",
      "Paired effects of each arm against the baseline (point 0), measured after the burn-in. Arms "
      "ran on the same random streams per replicate, so replicate r of an arm is paired with "
      "replicate r of the baseline. For each effect E: E(arm, replicate) the paired value, "
      "E_mean, E_ci_low and E_ci_high(arm) its mean and 95 % t-interval over replicates.",
      path);
  h5::write_attribute(group.id(), "baseline", arm_names.front(), path);
  h5::write_attribute(group.id(), "confidence_level", 0.95, path);
  const std::vector<std::string> arms(arm_names.begin() + 1, arm_names.end());
  group.label_dimension("arm", arms, "policy arm compared with the baseline");
  group.index_dimension("replicate", replicates, "replicate (the pair: the same random streams in both arms)",
                        "1");
  std::vector<std::int64_t> points(arms.size());
  std::iota(points.begin(), points.end(), 1);
  group.int64s("arm_point", {"arm"}, points, "point of the arm in series/ and summary/", "1");
  const EffectColumns columns = effect_columns(replicates, summaries, arm_names.size());
  for (std::size_t k = 0; k < effect_table().size(); ++k)
    write_effect(group, effect_table()[k], columns, k, path);
  write_cost_effectiveness(group, path, arm_names, replicates, summaries, value, outcome);
}

}  // namespace tipsim::output::detail
