// The tables of `tipsim export`, built from what the reader gives: every
// table is declared once in kTables below, with what it is and the function
// that builds it; the export, the dictionary and the documentation follow
// that list.
#include "export.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace tipsim::output {

namespace {

// Days in a year for time_years, as tipsim_analysis (DAYS_PER_YEAR) has it.
constexpr double kDaysPerYear = 365.0;
// Event log rows read at a time: the memory of one read, not of the log.
constexpr std::size_t kEventRowsPerRead = 65536;

constexpr std::string_view kPeople = "people";
constexpr std::string_view kAgents = "agents";
constexpr std::string_view kNone = "none";

// A point label: the value of a varied key, or the arm, at each point.
struct PointLabel {
  ExportColumn column;
  std::vector<double> numbers;
  std::vector<std::string> texts;  // instead of numbers: a text key, or the arm
};

// What every table reads: the file, its reader, the options, each point's
// scale and labels.
struct Source {
  Source(const RunFileContents& contents, RunFileReader& file_reader, const ExportOptions& export_options)
      : file(contents),
        reader(file_reader),
        options(export_options),
        points(contents.dimension("point")),
        replicates(contents.dimension("replicate")),
        scales(point_scales(contents)) {}

  const RunFileContents& file;
  RunFileReader& reader;
  ExportOptions options;
  std::size_t points, replicates;
  std::vector<double> scales;
  std::vector<PointLabel> labels;

  std::string attribute(const std::string& dataset, const std::string& key) const {
    const auto attributes = reader.attributes(dataset);
    auto it = attributes.find(key);
    return it == attributes.end() ? std::string() : it->second;
  }
  std::string long_name(const std::string& dataset) const { return attribute(dataset, "long_name"); }

  // The basis a figure of `basis` is written in.
  std::string written_basis(std::string_view basis) const {
    if (!options.agent_units && basis == kAgents) return std::string(kPeople);
    if (options.agent_units && basis == kPeople) return std::string(kAgents);
    return std::string(basis);
  }
  // A value of `basis` as written, at a point of this scale: agents times
  // the scale, or (--agent-units) people divided by it, as
  // tipsim_analysis.open_run() computes them.
  double written(double value, std::string_view basis, double scale) const {
    if (!options.agent_units && basis == kAgents) return value * scale;
    if (options.agent_units && basis == kPeople) return value / scale;
    return value;
  }

  // The point column and the point's labels.
  void add_point_columns(std::vector<ExportColumn>& columns, const std::string& group) const {
    columns.push_back({"point", long_name(group + "/point"), "", std::string(kNone)});
    for (const PointLabel& label : labels) columns.push_back(label.column);
  }
  void push_point(std::vector<ExportCell>& cells, std::size_t point) const {
    cells.emplace_back(static_cast<std::int64_t>(point));
    for (const PointLabel& label : labels) {
      if (!label.texts.empty()) {
        cells.emplace_back(point < label.texts.size() ? std::string_view(label.texts[point])
                                                      : std::string_view());
      } else {
        cells.emplace_back(point < label.numbers.size() ? label.numbers[point] : std::nan(""));
      }
    }
  }
};

using SourcePtr = std::shared_ptr<const Source>;

std::int64_t whole(std::size_t n) { return static_cast<std::int64_t>(n); }

// Where a text from the file becomes part of a file name: anything but
// letters, digits, '_', '-' and '.' becomes '_', and it cannot climb out.
std::string file_name_part(std::string_view name) {
  std::string part(name);
  for (char& c : part)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  if (part.empty() || part.front() == '.') part.insert(part.begin(), '_');
  return part;
}

// The columns a dimension becomes, and its cells at an index.
struct Coordinate {
  std::vector<ExportColumn> columns;
  std::function<void(std::size_t, std::vector<ExportCell>&)> push;
};

Coordinate coordinate_of(const SourcePtr& s, const std::string& dim, const std::string& group) {
  Coordinate c;
  const RunFileContents& f = s->file;
  if (dim == "point") {
    s->add_point_columns(c.columns, group);
    c.push = [s](std::size_t i, std::vector<ExportCell>& cells) { s->push_point(cells, i); };
  } else if (dim == "step") {
    c.columns = {{"step", s->long_name(group + "/step"), "", std::string(kNone)},
                 {"time_days", s->long_name("series/time_days"), "day", std::string(kNone)},
                 {"time_years", "years since the start at the end of the step", "year", std::string(kNone)}};
    c.push = [s](std::size_t i, std::vector<ExportCell>& cells) {
      const double days = i < s->file.time_days.size() ? s->file.time_days[i] : std::nan("");
      cells.emplace_back(whole(i));
      cells.emplace_back(days);
      cells.emplace_back(days / kDaysPerYear);
    };
  } else if (auto labels = f.labels.find(dim); labels != f.labels.end()) {
    c.columns = {{dim, s->long_name(group + "/" + dim), "", std::string(kNone)}};
    const std::vector<std::string>* texts = &labels->second;
    c.push = [texts](std::size_t i, std::vector<ExportCell>& cells) {
      cells.emplace_back(i < texts->size() ? std::string_view((*texts)[i]) : std::string_view());
    };
  } else {
    c.columns = {{dim, s->long_name(group + "/" + dim), "", std::string(kNone)}};
    c.push = [](std::size_t i, std::vector<ExportCell>& cells) { cells.emplace_back(whole(i)); };
  }
  return c;
}

std::uint64_t product(const std::vector<std::size_t>& shape) {
  std::uint64_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

// Calls visit(index) for every index of `shape`, the last dimension fastest.
template <typename Visit>
void for_each_index(const std::vector<std::size_t>& shape, Visit visit) {
  if (product(shape) == 0) return;
  std::vector<std::size_t> index(shape.size(), 0);
  while (true) {
    visit(index);
    std::size_t d = shape.size();
    while (d > 0) {
      --d;
      if (++index[d] < shape[d]) break;
      index[d] = 0;
      if (d == 0) return;
    }
    if (shape.empty()) return;
  }
}

// The unit in words: unit_label, or units in a file of format 2.
std::string unit_words(const std::string& label, const std::string& units) {
  return label.empty() ? units : label;
}
template <typename Column>
std::string unit_words(const Column& c) {
  return unit_words(c.attribute("unit_label"), c.attribute("units"));
}

std::string basis_of(const Variable& v) {
  const std::string basis = v.attribute("basis");
  if (!basis.empty()) return basis;
  // allocation/ has no basis attribute: its units say it.
  const std::string units = v.unit_label();
  if (units.starts_with("USD")) return "USD";
  if (units == "person-years" || units == "persons" || units == "cases" || units == "traffickers")
    return std::string(kPeople);
  return std::string(kNone);
}

// ---- the tables ----------------------------------------------------------------------------

using Tables = std::vector<ExportTable>;

void add_points(const SourcePtr& s, Tables& tables) {
  ExportTable t;
  t.name = "points.csv";
  s->add_point_columns(t.columns, "sweep");
  t.columns.push_back({"population_scale",
                       "real people one agent stands for at the point (the series counted in agents are "
                       "multiplied by it)",
                       "real persons per agent", std::string(kNone)});
  t.rows = s->points;
  t.write_rows = [s](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (std::size_t p = 0; p < s->points; ++p) {
      cells.clear();
      s->push_point(cells, p);
      cells.emplace_back(s->scales[p]);
      sink.row(cells);
    }
  };
  tables.push_back(std::move(t));
}

void add_series(const SourcePtr& s, Tables& tables) {
  for (const Variable& v : s->file.series) {
    ExportTable t;
    t.name = "series/" + file_name_part(v.name) + ".csv";
    std::vector<Coordinate> coordinates;
    for (const std::string& dim : v.dims) {
      coordinates.push_back(coordinate_of(s, dim, "series"));
      for (const ExportColumn& c : coordinates.back().columns) t.columns.push_back(c);
    }
    const std::string basis = v.attribute("basis");
    t.columns.push_back({"value", v.attribute("long_name"), v.unit_label(), s->written_basis(basis)});
    t.rows = product(v.shape);
    const auto point_axis =
        static_cast<std::size_t>(std::find(v.dims.begin(), v.dims.end(), "point") - v.dims.begin());
    t.write_rows = [s, variable = &v, coordinates, basis, point_axis](ExportRowSink& sink) {
      const Variable& v = *variable;
      // One variable in memory at a time, read when its table is written.
      const std::vector<double> loaded =
          v.values.empty() && product(v.shape) > 0 ? s->reader.series_values(v.name) : std::vector<double>();
      const std::vector<double>& values = v.values.empty() ? loaded : v.values;
      if (values.size() != product(v.shape))
        throw FormatError(s->reader.path() + ": damaged run file: 'series/" + v.name +
                          "' does not match its dimensions");
      std::vector<ExportCell> cells;
      std::size_t flat = 0;
      for_each_index(v.shape, [&](const std::vector<std::size_t>& index) {
        cells.clear();
        for (std::size_t d = 0; d < index.size(); ++d) coordinates[d].push(index[d], cells);
        const double scale = point_axis < index.size() ? s->scales.at(index[point_axis]) : s->scales.at(0);
        cells.emplace_back(s->written(values[flat++], basis, scale));
        sink.row(cells);
      });
    };
    tables.push_back(std::move(t));
  }
}

// The figure, value, unit and basis columns of a long table.
void add_figure_columns(ExportTable& t, const char* figure, const std::string& group) {
  t.columns.push_back({figure, "name of the figure (a variable of " + group + "/)", "", std::string(kNone)});
  t.columns.push_back({"value", "the figure's value (see the dictionary's rows for each figure)", "",
                       "see the basis column"});
  t.columns.push_back({"unit", "unit of the value", "", std::string(kNone)});
  t.columns.push_back(
      {"basis", "what the value counts: people, USD, none or agents", "", std::string(kNone)});
}

void add_summary(const SourcePtr& s, Tables& tables) {
  std::vector<const Variable*> figures;
  for (const Variable& v : s->file.summary)
    if (v.dims == std::vector<std::string>{"point", "replicate"}) figures.push_back(&v);
  ExportTable t;
  t.name = "summary.csv";
  s->add_point_columns(t.columns, "summary");
  t.columns.push_back({"replicate", s->long_name("summary/replicate"), "", std::string(kNone)});
  add_figure_columns(t, "figure", "summary");
  for (const Variable* v : figures)
    t.figures.push_back(
        {"value", v->name, v->attribute("long_name"), v->unit_label(), s->written_basis(basis_of(*v))});
  t.rows = static_cast<std::uint64_t>(s->points) * s->replicates * figures.size();
  t.write_rows = [s, figures](ExportRowSink& sink) {
    std::vector<std::string> units, bases;
    for (const Variable* v : figures) {
      units.push_back(v->unit_label());
      bases.push_back(s->written_basis(basis_of(*v)));
    }
    std::vector<ExportCell> cells;
    for (std::size_t p = 0; p < s->points; ++p) {
      for (std::size_t r = 0; r < s->replicates; ++r) {
        for (std::size_t k = 0; k < figures.size(); ++k) {
          const Variable& v = *figures[k];
          cells.clear();
          s->push_point(cells, p);
          cells.emplace_back(whole(r));
          cells.emplace_back(std::string_view(v.name));
          cells.emplace_back(s->written(v.at({p, r}), basis_of(v), s->scales[p]));
          cells.emplace_back(std::string_view(units[k]));
          cells.emplace_back(std::string_view(bases[k]));
          sink.row(cells);
        }
      }
    }
  };
  tables.push_back(std::move(t));
}

bool has_comparison(const RunFileContents& f) { return !f.comparison_arms.empty(); }

// The statistics of comparison/ with a mean and an interval: each effect,
// the ICER and the net monetary benefit, in file order.
std::vector<std::string> interval_statistics(const RunFileContents& f) {
  std::vector<std::string> names;
  for (const Variable& v : f.comparison) {
    if (!v.name.ends_with("_mean") || v.dims != std::vector<std::string>{"arm"}) continue;
    const std::string name = v.name.substr(0, v.name.size() - 5);
    if (f.find_comparison(name + "_ci_low") != nullptr && f.find_comparison(name + "_ci_high") != nullptr)
      names.push_back(name);
  }
  return names;
}

// A point held as a number (comparison/arm_point, allocation/'s points);
// none when it is not one of the file's points (a damaged file), since a
// cast of such a number is undefined.
std::optional<std::size_t> point_index(double value, std::size_t points) {
  if (!(value >= 0 && value < static_cast<double>(points)) || value != std::floor(value)) return std::nullopt;
  return static_cast<std::size_t>(value);
}

// The point of each arm of comparison/.
std::size_t arm_point(const RunFileContents& f, std::size_t arm) {
  const Variable* points = f.find_comparison("arm_point");
  const std::optional<std::size_t> point = points != nullptr && arm < points->values.size()
                                               ? point_index(points->values[arm], f.dimension("point"))
                                               : std::nullopt;
  return point.value_or(arm + 1);
}

void add_comparison(const SourcePtr& s, Tables& tables) {
  const RunFileContents& f = s->file;
  if (!has_comparison(f)) return;
  const std::vector<std::string> statistics = interval_statistics(f);
  ExportTable t;
  t.name = "comparison.csv";
  s->add_point_columns(t.columns, "sweep");
  t.columns.push_back({"statistic", "name of the paired statistic against the baseline (comparison/)", "",
                       std::string(kNone)});
  t.columns.push_back({"mean",
                       "the statistic's mean over replicate pairs (see the dictionary's rows for each)", "",
                       "see the basis column"});
  t.columns.push_back({"ci_low", "lower bound of its 95 % interval", "", "see the basis column"});
  t.columns.push_back({"ci_high", "upper bound of its 95 % interval", "", "see the basis column"});
  t.columns.push_back({"unit", "unit of mean, ci_low and ci_high", "", std::string(kNone)});
  t.columns.push_back({"basis", "what they count: people, USD, none or agents", "", std::string(kNone)});
  for (const std::string& name : statistics)
    for (const char* part : {"mean", "ci_low", "ci_high"}) {
      const Variable& v = *f.find_comparison(name + "_" + part);
      t.figures.push_back(
          {part, name, v.attribute("long_name"), v.unit_label(), s->written_basis(basis_of(v))});
    }
  t.rows = f.comparison_arms.size() * statistics.size();
  t.write_rows = [s, statistics](ExportRowSink& sink) {
    const RunFileContents& f = s->file;
    std::vector<ExportCell> cells;
    for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
      for (const std::string& name : statistics) {
        const Variable& mean = *f.find_comparison(name + "_mean");
        const std::string basis = basis_of(mean), unit = mean.unit_label();
        const std::string written = s->written_basis(basis);
        cells.clear();
        s->push_point(cells, arm_point(f, a));
        cells.emplace_back(std::string_view(name));
        for (const char* part : {"_mean", "_ci_low", "_ci_high"})
          // Every arm shares the baseline's scale (tipsim compare refuses others).
          cells.emplace_back(s->written(f.find_comparison(name + part)->at({a}), basis, s->scales[0]));
        cells.emplace_back(std::string_view(unit));
        cells.emplace_back(std::string_view(written));
        sink.row(cells);
      }
    }
  };
  tables.push_back(std::move(t));
}

void add_comparison_pairs(const SourcePtr& s, Tables& tables) {
  const RunFileContents& f = s->file;
  if (!has_comparison(f)) return;
  std::vector<const Variable*> effects;
  for (const Variable& v : f.comparison)
    if (v.dims == std::vector<std::string>{"arm", "replicate"}) effects.push_back(&v);
  ExportTable t;
  t.name = "comparison_pairs.csv";
  s->add_point_columns(t.columns, "sweep");
  t.columns.push_back({"replicate", s->long_name("comparison/replicate"), "", std::string(kNone)});
  add_figure_columns(t, "effect", "comparison");
  for (const Variable* v : effects)
    t.figures.push_back(
        {"value", v->name, v->attribute("long_name"), v->unit_label(), s->written_basis(basis_of(*v))});
  const std::size_t replicates = f.dimension("replicate");
  t.rows = f.comparison_arms.size() * replicates * effects.size();
  t.write_rows = [s, effects, replicates](ExportRowSink& sink) {
    const RunFileContents& f = s->file;
    std::vector<ExportCell> cells;
    for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
      for (std::size_t r = 0; r < replicates; ++r) {
        for (const Variable* v : effects) {
          const std::string basis = basis_of(*v), unit = v->unit_label();
          const std::string written = s->written_basis(basis);
          cells.clear();
          s->push_point(cells, arm_point(f, a));
          cells.emplace_back(whole(r));
          cells.emplace_back(std::string_view(v->name));
          cells.emplace_back(s->written(v->at({a, r}), basis, s->scales[0]));
          cells.emplace_back(std::string_view(unit));
          cells.emplace_back(std::string_view(written));
          sink.row(cells);
        }
      }
    }
  };
  tables.push_back(std::move(t));
}

// The (arm) variables of comparison/ that are not part of an interval:
// where each arm stands (frontier_status, icer_comparator,
// probability_most_cost_effective), the baseline on the first row.
void add_cost_effectiveness(const SourcePtr& s, Tables& tables) {
  const RunFileContents& f = s->file;
  if (!has_comparison(f)) return;
  const std::vector<std::string> statistics = interval_statistics(f);
  std::vector<const Variable*> columns;
  for (const Variable& v : f.comparison) {
    if (v.dims != std::vector<std::string>{"arm"} || v.name == "arm_point") continue;
    const bool interval = std::any_of(statistics.begin(), statistics.end(), [&](const std::string& name) {
      return v.name == name + "_mean" || v.name == name + "_ci_low" || v.name == name + "_ci_high";
    });
    if (!interval) columns.push_back(&v);
  }
  if (columns.empty()) return;
  ExportTable t;
  t.name = "cost_effectiveness.csv";
  s->add_point_columns(t.columns, "sweep");
  for (const Variable* v : columns)
    t.columns.push_back({v->name, v->attribute("long_name"), v->unit_label(),
                         v->texts.empty() ? s->written_basis(basis_of(*v)) : std::string(kNone)});
  t.rows = f.comparison_arms.size() + 1;
  t.write_rows = [s, columns](ExportRowSink& sink) {
    const RunFileContents& f = s->file;
    std::vector<ExportCell> cells;
    // The baseline: its status (an attribute of comparison/) and the
    // share of pairs in which nothing more done is best, 1 minus the arms'.
    s->push_point(cells, 0);
    for (const Variable* v : columns) {
      if (v->name == "frontier_status") {
        cells.emplace_back(std::string_view(f.baseline_frontier_status));
      } else if (v->name == "probability_most_cost_effective") {
        double others = 0;
        for (double p : v->values) others += p;
        cells.emplace_back(1 - others);
      } else {
        cells.emplace_back(std::monostate());
      }
    }
    sink.row(cells);
    for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
      cells.clear();
      s->push_point(cells, arm_point(f, a));
      for (const Variable* v : columns) {
        if (!v->texts.empty()) {
          cells.emplace_back(a < v->texts.size() ? std::string_view(v->texts[a]) : std::string_view());
        } else {
          cells.emplace_back(s->written(v->at({a}), basis_of(*v), s->scales[0]));
        }
      }
      sink.row(cells);
    }
  };
  tables.push_back(std::move(t));
}

void add_acceptability(const SourcePtr& s, Tables& tables) {
  const RunFileContents& f = s->file;
  const Variable* values = f.find_comparison("acceptability_value");
  const Variable* curve = f.find_comparison("acceptability");
  const Variable* baseline = f.find_comparison("acceptability_baseline");
  if (!has_comparison(f) || values == nullptr || curve == nullptr || baseline == nullptr) return;
  ExportTable t;
  t.name = "acceptability.csv";
  t.columns.push_back({"value_per_victim_year", values->attribute("long_name"), values->unit_label(), "USD"});
  s->add_point_columns(t.columns, "sweep");
  t.columns.push_back({"probability_most_cost_effective", curve->attribute("long_name"), curve->unit_label(),
                       std::string(kNone)});
  t.rows = values->values.size() * (f.comparison_arms.size() + 1);
  t.write_rows = [s, values, curve, baseline](ExportRowSink& sink) {
    const RunFileContents& f = s->file;
    std::vector<ExportCell> cells;
    for (std::size_t k = 0; k < values->values.size(); ++k) {
      cells.clear();
      cells.emplace_back(values->values[k]);
      s->push_point(cells, 0);
      cells.emplace_back(baseline->at({k}));
      sink.row(cells);
      for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
        cells.clear();
        cells.emplace_back(values->values[k]);
        s->push_point(cells, arm_point(f, a));
        cells.emplace_back(curve->at({k, a}));
        sink.row(cells);
      }
    }
  };
  tables.push_back(std::move(t));
}

void add_allocation_splits(const SourcePtr& s, Tables& tables) {
  const RunFileContents& f = s->file;
  const Variable* budget = f.find_allocation("budget");
  const Variable* weight = f.find_allocation("weight");
  if (budget == nullptr || weight == nullptr) return;
  ExportTable t;
  t.name = "allocation_splits.csv";
  s->add_point_columns(t.columns, "sweep");
  t.columns.push_back({"budget", budget->attribute("long_name"), budget->unit_label(), "USD"});
  t.columns.push_back({"target", s->long_name("allocation/target"), "", std::string(kNone)});
  t.columns.push_back({"weight", weight->attribute("long_name"), weight->unit_label(), std::string(kNone)});
  const std::size_t targets = f.allocation_targets.size();
  t.rows = budget->values.size() * targets;
  t.write_rows = [s, budget, weight, targets](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (std::size_t p = 0; p < budget->values.size(); ++p) {
      for (std::size_t k = 0; k < targets; ++k) {
        cells.clear();
        s->push_point(cells, p);
        cells.emplace_back(budget->values[p]);
        cells.emplace_back(std::string_view(s->file.allocation_targets[k]));
        cells.emplace_back(weight->at({p, k}));
        sink.row(cells);
      }
    }
  };
  tables.push_back(std::move(t));
}

// allocation/'s (level) variables, one column each in file order; the
// points of the best and even splits are followed by their arms' names.
void add_allocation_frontier(const SourcePtr& s, Tables& tables) {
  const RunFileContents& f = s->file;
  auto level_variable = [&](const std::string& name) {
    const Variable* v = f.find_allocation(name);
    return v != nullptr && v->dims == std::vector<std::string>{"level"} ? v : nullptr;
  };
  // File order, but each interval's bounds right after its mean.
  std::vector<const Variable*> columns;
  for (const Variable& v : f.allocation) {
    if (v.dims != std::vector<std::string>{"level"}) continue;
    const bool bound = v.name.ends_with("_ci_low") || v.name.ends_with("_ci_high");
    const std::string stem = v.name.substr(0, v.name.rfind("_ci_"));
    if (bound && level_variable(stem + "_mean") != nullptr) continue;
    columns.push_back(&v);
    if (!v.name.ends_with("_mean")) continue;
    const std::string mean_stem = v.name.substr(0, v.name.size() - 5);
    for (const char* part : {"_ci_low", "_ci_high"})
      if (const Variable* b = level_variable(mean_stem + part)) columns.push_back(b);
  }
  if (columns.empty()) return;
  const std::vector<std::string>* arms = f.arm_names.empty() ? nullptr : &f.arm_names;
  ExportTable t;
  t.name = "allocation_frontier.csv";
  t.columns.push_back({"level", s->long_name("allocation/level"), "", std::string(kNone)});
  for (const Variable* v : columns) {
    const bool point = v->name.ends_with("_point");
    t.columns.push_back({v->name, v->attribute("long_name"), point ? "" : v->unit_label(),
                         point ? std::string(kNone) : s->written_basis(basis_of(*v))});
    if (point && arms != nullptr)
      t.columns.push_back(
          {v->name.substr(0, v->name.size() - 6) + "_arm", "the arm of " + v->name, "", std::string(kNone)});
  }
  t.rows = columns.front()->values.size();
  t.write_rows = [s, columns, arms](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (std::size_t l = 0; l < columns.front()->values.size(); ++l) {
      cells.clear();
      cells.emplace_back(whole(l));
      for (const Variable* v : columns) {
        const double value = l < v->values.size() ? v->values[l] : std::nan("");
        if (v->name.ends_with("_point")) {
          const std::optional<std::size_t> point = point_index(value, s->points);
          cells.emplace_back(point ? ExportCell(whole(*point)) : ExportCell());
          if (arms != nullptr)
            cells.emplace_back(point && *point < arms->size() ? std::string_view((*arms)[*point])
                                                              : std::string_view());
        } else {
          cells.emplace_back(s->written(value, basis_of(*v), s->scales[0]));
        }
      }
      sink.row(cells);
    }
  };
  tables.push_back(std::move(t));
}

// The label of a categorical value (its flag_values meaning), or the value
// itself as text when the file gives it none.
std::string_view label_of(const RecordField& field, std::int64_t value, std::string& spare) {
  for (const auto& [v, label] : field.labels)
    if (v == value) return label;
  spare = std::to_string(value);
  return spare;
}

void add_events(const SourcePtr& s, Tables& tables) {
  RunFileReader& reader = s->reader;
  if (reader.event_columns().empty()) return;
  ExportTable t;
  t.name = "events.csv";
  t.columns.push_back({"event", s->long_name("events/event"), "", std::string(kNone)});
  for (const RecordField& column : reader.event_columns()) {
    if (column.name == "point") {
      s->add_point_columns(t.columns, "series");
    } else if (column.name == "step") {
      const Coordinate step = coordinate_of(s, "step", "series");
      t.columns.push_back({"step", column.attribute("long_name"), "", std::string(kNone)});
      t.columns.insert(t.columns.end(), step.columns.begin() + 1, step.columns.end());
    } else {
      t.columns.push_back({column.name, column.attribute("long_name"),
                           column.labels.empty() ? unit_words(column) : "", std::string(kNone)});
      if (column.name == "intervention")
        t.columns.push_back({"intervention_name",
                             "name of the intervention responsible (scenario/interventions/name)", "",
                             std::string(kNone)});
    }
  }
  t.rows = reader.event_rows();
  t.write_rows = [s](ExportRowSink& sink) {
    RunFileReader& reader = s->reader;
    const std::vector<RecordField>& columns = reader.event_columns();
    const Coordinate step = coordinate_of(s, "step", "series");
    std::vector<ExportCell> cells;
    std::vector<std::string> spare(columns.size());
    for (std::size_t first = 0; first < reader.event_rows(); first += kEventRowsPerRead) {
      const std::size_t count = std::min(kEventRowsPerRead, reader.event_rows() - first);
      const auto values = reader.read_events(first, count);
      for (std::size_t row = 0; row < count; ++row) {
        cells.clear();
        cells.emplace_back(whole(first + row));
        for (std::size_t c = 0; c < columns.size(); ++c) {
          const RecordField& column = columns[c];
          const std::int64_t value = values[c][row];
          if (column.name == "point") {
            s->push_point(cells, static_cast<std::size_t>(value));
          } else if (column.name == "step") {
            step.push(static_cast<std::size_t>(value), cells);
          } else if (!column.labels.empty()) {
            cells.emplace_back(label_of(column, value, spare[c]));
          } else {
            cells.emplace_back(value);
          }
          if (column.name == "intervention") {
            std::string_view name;
            for (const InterventionRow& iv : s->file.interventions)
              if (iv.intervention == value) {
                name = iv.name;
                break;
              }
            cells.emplace_back(name);
          }
        }
        sink.row(cells);
      }
    }
  };
  tables.push_back(std::move(t));
}

// A snapshot column's name for one bit of a bit field: the bit's label in
// lower case (female, child, ...).
std::string bit_column(const std::string& label) {
  std::string name = label;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

void add_snapshots(const SourcePtr& s, Tables& tables) {
  RunFileReader& reader = s->reader;
  if (reader.snapshot_fields().empty()) return;
  ExportTable t;
  t.name = "snapshots.csv";
  s->add_point_columns(t.columns, "snapshots");
  t.columns.push_back({"replicate", s->long_name("snapshots/replicate"), "", std::string(kNone)});
  t.columns.push_back({"snapshot", s->long_name("snapshots/snapshot"), "", std::string(kNone)});
  t.columns.push_back({"step", s->long_name("snapshots/snapshot_step"), "", std::string(kNone)});
  t.columns.push_back({"time_days", s->long_name("snapshots/time_days"), "day", std::string(kNone)});
  t.columns.push_back(
      {"time_years", "years since the start of the run at the snapshot", "year", std::string(kNone)});
  t.columns.push_back({"person", s->long_name("snapshots/person"), "", std::string(kNone)});
  for (const RecordField& field : reader.snapshot_fields()) {
    if (!field.bits.empty()) {
      for (const auto& [mask, label] : field.bits)
        t.columns.push_back({bit_column(label),
                             field.attribute("long_name") + ": 1 when " + label + ", else 0", "1",
                             std::string(kNone)});
    } else {
      const std::string units = field.labels.empty() ? unit_words(field) : "";
      t.columns.push_back(
          {field.name, field.attribute("long_name"), units, units == "USD" ? "USD" : std::string(kNone)});
    }
  }
  const std::size_t snapshots = reader.snapshot_steps().size();
  t.rows = static_cast<std::uint64_t>(s->points) * s->replicates * snapshots * reader.snapshot_persons();
  t.write_rows = [s, snapshots](ExportRowSink& sink) {
    RunFileReader& reader = s->reader;
    const std::vector<RecordField>& fields = reader.snapshot_fields();
    std::vector<ExportCell> cells;
    std::vector<std::string> spare(fields.size());
    for (std::size_t p = 0; p < s->points; ++p) {
      for (std::size_t r = 0; r < s->replicates; ++r) {
        for (std::size_t k = 0; k < snapshots; ++k) {
          // One (point, replicate, snapshot) of every field in memory at a time.
          const auto values = reader.read_snapshot(p, r, k);
          const double days = reader.snapshot_days()[k];
          for (std::size_t person = 0; person < reader.snapshot_persons(); ++person) {
            cells.clear();
            s->push_point(cells, p);
            cells.emplace_back(whole(r));
            cells.emplace_back(whole(k));
            cells.emplace_back(reader.snapshot_steps()[k]);
            cells.emplace_back(days);
            cells.emplace_back(days / kDaysPerYear);
            cells.emplace_back(whole(person));
            for (std::size_t c = 0; c < fields.size(); ++c) {
              const RecordField& field = fields[c];
              const double value = values[c][person];
              if (!field.bits.empty()) {
                const auto bits = static_cast<std::int64_t>(value);
                for (const auto& bit : field.bits) cells.emplace_back(std::int64_t{(bits & bit.first) != 0});
              } else if (!field.labels.empty()) {
                cells.emplace_back(label_of(field, static_cast<std::int64_t>(value), spare[c]));
              } else if (field.integer) {
                cells.emplace_back(static_cast<std::int64_t>(value));
              } else if (field.single_precision) {
                cells.emplace_back(static_cast<float>(value));
              } else {
                cells.emplace_back(value);
              }
            }
            sink.row(cells);
          }
        }
      }
    }
  };
  tables.push_back(std::move(t));
}

// A column of a scenario table, described as the file describes it.
ExportColumn scenario_column(const Source& s, const std::string& table, const std::string& name,
                             const std::string& column_name = {}) {
  const std::string dataset = "scenario/" + table + "/" + name;
  return {column_name.empty() ? name : column_name, s.long_name(dataset),
          unit_words(s.attribute(dataset, "unit_label"), s.attribute(dataset, "units")), std::string(kNone)};
}

void add_parameters(const SourcePtr& s, Tables& tables) {
  ExportTable t;
  t.name = "parameters.csv";
  for (const char* name : {"key", "value", "unit", "scope"})
    t.columns.push_back(scenario_column(*s, "parameters", name));
  t.rows = s->file.parameters.size();
  t.write_rows = [s](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (const ParameterRow& row : s->file.parameters) {
      cells = {std::string_view(row.key), row.value, std::string_view(row.unit), std::string_view(row.scope)};
      sink.row(cells);
    }
  };
  tables.push_back(std::move(t));
}

void add_regional_parameters(const SourcePtr& s, Tables& tables) {
  ExportTable t;
  t.name = "regional_parameters.csv";
  t.columns.push_back(scenario_column(*s, "regional_values", "region"));
  t.columns.push_back(scenario_column(*s, "regional_values", "key"));
  t.columns.push_back(scenario_column(*s, "regional_values", "value"));
  t.columns.push_back(scenario_column(*s, "parameters", "unit"));
  const RunFileContents& f = s->file;
  t.rows = f.region_names.size() * f.regional_keys.size();
  t.write_rows = [s](ExportRowSink& sink) {
    const RunFileContents& f = s->file;
    std::vector<std::string_view> units;
    for (const std::string& key : f.regional_keys) {
      auto it = std::find_if(f.parameters.begin(), f.parameters.end(),
                             [&](const ParameterRow& row) { return row.key == key; });
      units.push_back(it == f.parameters.end() ? std::string_view() : std::string_view(it->unit));
    }
    std::vector<ExportCell> cells;
    for (std::size_t r = 0; r < f.region_names.size(); ++r) {
      for (std::size_t k = 0; k < f.regional_keys.size(); ++k) {
        cells = {std::string_view(f.region_names[r]), std::string_view(f.regional_keys[k]),
                 f.regional_values[r * f.regional_keys.size() + k], units[k]};
        sink.row(cells);
      }
    }
  };
  tables.push_back(std::move(t));
}

void add_routes(const SourcePtr& s, Tables& tables) {
  ExportTable t;
  t.name = "routes.csv";
  for (const char* name : {"origin", "destination", "share", "transit_days"})
    t.columns.push_back(scenario_column(*s, "routes", name));
  t.rows = s->file.routes.size();
  t.write_rows = [s](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (const RouteRow& row : s->file.routes) {
      cells = {std::string_view(row.origin), std::string_view(row.destination), row.share, row.transit_days};
      sink.row(cells);
    }
  };
  tables.push_back(std::move(t));
}

void add_interventions(const SourcePtr& s, Tables& tables) {
  ExportTable t;
  t.name = "interventions.csv";
  for (const char* name :
       {"intervention", "name", "start_step", "end_step", "region", "ramp_steps", "key", "op", "value"})
    t.columns.push_back(scenario_column(*s, "interventions", name));
  t.rows = s->file.interventions.size();
  t.write_rows = [s](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (const InterventionRow& row : s->file.interventions) {
      cells = {row.intervention >= 0 ? ExportCell(row.intervention) : ExportCell(),
               std::string_view(row.name),
               row.start_step,
               row.end_step,
               std::string_view(row.region),
               row.ramp_steps,
               std::string_view(row.key),
               std::string_view(row.op),
               row.value};
      sink.row(cells);
    }
  };
  tables.push_back(std::move(t));
}

// The data dictionary: one row per column of every table (its own too),
// and one per figure of a long table's value columns.
void add_dictionary(const SourcePtr&, Tables& tables) {
  ExportTable t;
  t.name = "dictionary.csv";
  t.columns = {
      {"table", "the table's file in the export folder", "", std::string(kNone)},
      {"column", "a column of the table", "", std::string(kNone)},
      {"figure", "for a long table, the figure whose rows this describes (empty: the column on every row)",
       "", std::string(kNone)},
      {"meaning", "what the column holds (the run file's long_name where it has one)", "",
       std::string(kNone)},
      {"unit", "its unit (empty for labels and text)", "", std::string(kNone)},
      {"basis",
       "what its numbers count: people (real people or cases), USD (real money), none (a rate, share, score, "
       "label or index, the same at any scale) or agents (model agents, with --agent-units)",
       "", std::string(kNone)},
  };
  // The tables as they are once the dictionary is among them.
  auto rows_of = [](const Tables& all) {
    std::uint64_t n = 0;
    for (const ExportTable& table : all) n += table.columns.size() + table.figures.size();
    return n;
  };
  const auto described = std::make_shared<Tables>();
  for (const ExportTable& table : tables) {
    ExportTable copy;
    copy.name = table.name;
    copy.columns = table.columns;
    copy.figures = table.figures;
    described->push_back(std::move(copy));
  }
  ExportTable self;
  self.name = t.name;
  self.columns = t.columns;
  described->push_back(std::move(self));
  t.rows = rows_of(*described);
  t.write_rows = [described](ExportRowSink& sink) {
    std::vector<ExportCell> cells;
    for (const ExportTable& table : *described) {
      for (const ExportColumn& c : table.columns) {
        cells = {std::string_view(table.name), std::string_view(c.name), std::string_view(),
                 std::string_view(c.meaning),  std::string_view(c.unit), std::string_view(c.basis)};
        sink.row(cells);
      }
      for (const ExportFigure& f : table.figures) {
        cells = {std::string_view(table.name), std::string_view(f.column), std::string_view(f.figure),
                 std::string_view(f.meaning),  std::string_view(f.unit),   std::string_view(f.basis)};
        sink.row(cells);
      }
    }
  };
  tables.push_back(std::move(t));
}

// ---- the declaration -----------------------------------------------------------------------

struct TableDeclaration {
  ExportTableSpec spec;
  void (*add)(const SourcePtr&, Tables&);
};

// Every table, in the order they are written; add() adds none when the file
// lacks what the table holds.
constexpr TableDeclaration kTables[] = {
    {{"points.csv", "every file", "a point (a plain run has one)", "point, LABELS, population_scale"},
     add_points},
    {{"series/VARIABLE.csv", "every file, one per series variable",
      "a (point, replicate, step, region[, CATEGORY]) of the variable",
      "point, LABELS, replicate, step, time_days, time_years, region, [CATEGORY], value"},
     add_series},
    {{"summary.csv", "every file", "a summary figure of a (point, replicate)",
      "point, LABELS, replicate, figure, value, unit, basis"},
     add_summary},
    {{"comparison.csv", "comparisons (tipsim compare, tipsim allocate)",
      "a paired statistic of an arm against the baseline: each effect, the ICER and the net monetary benefit",
      "point, LABELS, statistic, mean, ci_low, ci_high, unit, basis"},
     add_comparison},
    {{"comparison_pairs.csv", "comparisons", "an effect of an arm in one replicate pair",
      "point, LABELS, replicate, effect, value, unit, basis"},
     add_comparison_pairs},
    {{"cost_effectiveness.csv", "comparisons", "an arm, the baseline first",
      "point, LABELS, frontier_status, icer_comparator, probability_most_cost_effective"},
     add_cost_effectiveness},
    {{"acceptability.csv", "comparisons",
      "an arm, the baseline included, at a value per unit of the outcome (victim-year, or QALY with outcome "
      "harm_qalys)",
      "value_per_victim_year, point, LABELS, probability_most_cost_effective"},
     add_acceptability},
    {{"allocation_splits.csv", "allocations (tipsim allocate)", "a target of a point's split",
      "point, LABELS, budget, target, weight"},
     add_allocation_splits},
    {{"allocation_frontier.csv", "allocations", "a budget level",
      "level, frontier_budget, frontier_best_point, frontier_best_arm, frontier_even_point, "
      "frontier_even_arm, "
      "frontier_victim_years_averted_mean, frontier_victim_years_averted_ci_low, "
      "frontier_victim_years_averted_ci_high, frontier_harm_averted_mean, frontier_harm_averted_ci_low, "
      "frontier_harm_averted_ci_high, frontier_best_minus_even_mean, "
      "frontier_best_minus_even_ci_low, "
      "frontier_best_minus_even_ci_high, frontier_probability_better_than_even"},
     add_allocation_frontier},
    {{"events.csv", "files with the event log (--events)", "an event",
      "event, point, LABELS, replicate, step, time_days, time_years, kind, person, trafficker, region, form, "
      "channel, intervention, intervention_name"},
     add_events},
    {{"snapshots.csv", "files with snapshots (--snapshot-every)", "a person at a snapshot",
      "point, LABELS, replicate, snapshot, step, time_days, time_years, person, state, region, home_region, "
      "market, female, child, consented_initially, crossed_border, debt_bonded, criminalised, cooperating, "
      "recovering, vulnerability, awareness, controller, debt, times_trafficked"},
     add_snapshots},
    {{"parameters.csv", "every file (the first point's scenario)", "a scenario key",
      "key, value, unit, scope"},
     add_parameters},
    {{"regional_parameters.csv", "every file (the first point's scenario)", "a regional key in a region",
      "region, key, value, unit"},
     add_regional_parameters},
    {{"routes.csv", "every file (the first point's scenario)", "a route",
      "origin, destination, share, transit_days"},
     add_routes},
    {{"interventions.csv", "every file (the first point's scenario)", "a lever change of an intervention",
      "intervention, name, start_step, end_step, region, ramp_steps, key, op, value"},
     add_interventions},
    {{"dictionary.csv", "every export", "a column of a table, or a figure of a long table's value columns",
      "table, column, figure, meaning, unit, basis"},
     add_dictionary},
};

constexpr std::array<ExportTableSpec, std::size(kTables)> specs_of_tables() {
  std::array<ExportTableSpec, std::size(kTables)> specs{};
  for (std::size_t i = 0; i < std::size(kTables); ++i) specs[i] = kTables[i].spec;
  return specs;
}
constexpr auto kTableSpecs = specs_of_tables();

// The labels of the points: each varied key of a sweep, or the arm.
std::vector<PointLabel> point_labels(const Source& s) {
  std::vector<PointLabel> labels;
  for (const Variable& key : s.file.sweep_keys) {
    PointLabel label;
    label.column = {key.name, key.attribute("long_name"), key.unit_label(), std::string(kNone)};
    label.numbers = key.values;
    label.texts = key.texts;
    labels.push_back(std::move(label));
  }
  if (!s.file.arm_names.empty()) {
    PointLabel label;
    label.column = {"arm", s.long_name("sweep/arm"), "", std::string(kNone)};
    label.texts = s.file.arm_names;
    labels.push_back(std::move(label));
  }
  return labels;
}

// The shortest text that reads back to the value: in plain decimals from
// 1e-5 to 1e15 (500000, not 5e+05, for people who read it), with an
// exponent beyond.
template <typename Number>
void append_number(std::string& out, Number value) {
  char buffer[400];
  std::to_chars_result written{};
  if constexpr (std::is_floating_point_v<Number>) {
    if (std::isnan(value)) return;
    const Number magnitude = std::abs(value);
    written = (magnitude == 0 || (magnitude >= Number(1e-5) && magnitude < Number(1e15)))
                  ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                  : std::to_chars(buffer, buffer + sizeof buffer, value);
  } else {
    written = std::to_chars(buffer, buffer + sizeof buffer, value);
  }
  out.append(buffer, written.ptr);
}

void append_text(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::span<const ExportTableSpec> export_table_specs() { return kTableSpecs; }

std::vector<double> point_scales(const RunFileContents& contents) {
  const std::size_t points = std::max<std::size_t>(1, contents.dimension("point"));
  const double root = contents.number("population_scale");
  std::vector<double> scales(points, std::isnan(root) ? 1.0 : root);
  for (const Variable& key : contents.sweep_keys) {
    if (key.values.size() != points) continue;
    if (key.name == "population.scale") {
      scales = key.values;
    } else if (key.name == "population.scale*" && key.values.front() != 0) {
      // A factor on the scenario's scale; the root attribute is the first point's.
      for (std::size_t p = 0; p < points; ++p) scales[p] = root / key.values.front() * key.values[p];
    }
  }
  return scales;
}

std::vector<ExportTable> export_tables(const RunFileContents& contents, RunFileReader& reader,
                                       const ExportOptions& options) {
  auto source = std::make_shared<Source>(contents, reader, options);
  source->labels = point_labels(*source);
  const SourcePtr shared = source;
  std::vector<ExportTable> tables;
  for (const TableDeclaration& declaration : kTables) declaration.add(shared, tables);
  return tables;
}

void append_csv_header(std::string& out, std::span<const ExportColumn> columns) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_text(out, columns[i].name);
  }
  out.push_back('\n');
}

void append_csv_row(std::string& out, std::span<const ExportCell> cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    std::visit(
        [&out](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            append_text(out, value);
          } else if constexpr (!std::is_same_v<T, std::monostate>) {
            append_number(out, value);
          }
        },
        cells[i]);
  }
  out.push_back('\n');
}

}  // namespace tipsim::output
