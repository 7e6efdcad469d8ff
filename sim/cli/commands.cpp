#include "commands.hpp"

#include <tbb/info.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "experiment.hpp"
#include "metrics.hpp"
#include "progress.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "simulation.hpp"
#include "summary_table.hpp"

namespace tipsim::cli {

namespace {

// ---- interrupts -----------------------------------------------------------------

// Set by the first SIGINT or SIGTERM; the run stops at the next step and the
// unfinished run file is removed. Lock-free, so safe in a signal handler.
std::atomic<bool> g_cancel{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int signal_number) {
  // A second signal means "now": leave without cleaning up.
  if (g_signal != 0) _exit(128 + signal_number);
  g_signal = signal_number;
  g_cancel.store(true);
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// ---- memory ------------------------------------------------------------------------

std::optional<double> read_number_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stod(text);
  } catch (...) {
    return std::nullopt;
  }
}

// Memory this process can still use, in bytes: MemAvailable, or less when a
// container (cgroup) limit is tighter. Nothing when it cannot be told.
std::optional<double> available_memory_bytes() {
  std::optional<double> available;
  std::ifstream meminfo("/proc/meminfo");
  std::string name;
  double kib = 0;
  std::string unit;
  while (meminfo >> name >> kib >> unit) {
    if (name == "MemAvailable:") {
      available = kib * 1024.0;
      break;
    }
  }
  auto tighten = [&](std::optional<double> limit, std::optional<double> used) {
    if (!limit || *limit <= 0 || *limit >= 1e18) return;
    const double left = std::max(0.0, *limit - used.value_or(0.0));
    if (!available || left < *available) available = left;
  };
  tighten(read_number_file("/sys/fs/cgroup/memory.max"), read_number_file("/sys/fs/cgroup/memory.current"));
  tighten(read_number_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
          read_number_file("/sys/fs/cgroup/memory/memory.usage_in_bytes"));
  return available;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buffer;
}

// ---- the sink -------------------------------------------------------------------------

// Passes every replicate to the run file and keeps its summary figures for
// the table printed at the end.
class WriteAndSummarize : public ReplicateSink {
 public:
  explicit WriteAndSummarize(output::RunFileWriter& writer) : writer_(writer) {}
  void consume(ReplicateResult&& result) override {
    summaries_.push_back(result.summary);
    writer_.consume(std::move(result));
  }
  const std::vector<std::vector<double>>& summaries() const { return summaries_; }

 private:
  output::RunFileWriter& writer_;
  std::vector<std::vector<double>> summaries_;
};

void print_scenario_error(const ScenarioError& e) {
  std::istringstream lines(e.what());
  std::string line;
  while (std::getline(lines, line)) print_error(line);
}

}  // namespace

void print_error(const std::string& message) { std::fprintf(stderr, "tipsim: error: %s\n", message.c_str()); }

int run_command(const RunArguments& arguments) {
  std::vector<std::string> overrides = arguments.overrides;
  if (arguments.replicates) overrides.push_back("scenario.replicates=" + *arguments.replicates);
  if (arguments.seed) overrides.push_back("scenario.seed=" + *arguments.seed);
  if (arguments.steps) overrides.push_back("scenario.steps=" + *arguments.steps);

  Scenario scenario;
  try {
    scenario = load_scenario_file(arguments.scenario_path, overrides);
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
  const auto replicates = static_cast<std::size_t>(scenario.get_int(Param::scenario_replicates));

  // Refuse up front what cannot fit, rather than fail half-way.
  const int threads = arguments.threads > 0 ? arguments.threads : tbb::info::default_concurrency();
  const std::size_t concurrent =
      std::min<std::size_t>(replicates, static_cast<std::size_t>(std::max(1, threads)));
  const double per_replicate = static_cast<double>(estimate_replicate_bytes(scenario));
  const double needed = per_replicate * static_cast<double>(concurrent);
  if (const auto available = available_memory_bytes(); available && needed > *available) {
    print_error("not enough memory: this run needs about " + format_bytes(needed) + " (" +
                format_bytes(per_replicate) + " per replicate x " + std::to_string(concurrent) +
                " replicates at once) but only " + format_bytes(*available) +
                " is available; lower population.size, --threads or --replicates");
    return kExitBadInput;
  }

  const std::string output_path =
      arguments.output_path.empty()
          ? (std::filesystem::path("runs") / std::filesystem::path(arguments.scenario_path).stem()).string() +
                ".h5"
          : arguments.output_path;
  std::error_code ec;
  if (std::filesystem::is_directory(output_path, ec)) {
    print_error("the output '" + output_path + "' is a folder; give the run file's name, e.g. -o " +
                (std::filesystem::path(output_path) / "run.h5").string());
    return kExitBadInput;
  }
  const std::filesystem::path folder = std::filesystem::path(output_path).parent_path();
  if (!folder.empty()) {
    std::filesystem::create_directories(folder, ec);
    if (ec) {
      print_error("cannot create the output folder '" + folder.string() + "': " + ec.message());
      return kExitFailure;
    }
  }

  install_stop_handlers();
  const bool show_progress = !arguments.quiet && isatty(STDERR_FILENO) == 1;
  ProgressLine progress(show_progress);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::vector<double>> summaries;
  try {
    output::RunFileInfo info;
    info.command_line = arguments.command_line;
    info.points = {scenario};
    info.replicates = replicates;
    info.threads = arguments.threads;
    // Destroyed without commit() on every way out but success: the
    // temporary file is then removed and nothing is left at output_path.
    output::RunFileWriter writer(output_path, info);
    WriteAndSummarize sink(writer);

    ExperimentOptions options;
    options.threads = arguments.threads;
    options.replicates = replicates;
    options.cancel = &g_cancel;
    if (show_progress) options.on_progress = [&progress](const Progress& p) { progress.update(p); };

    const ExperimentStatus status = run_experiment(info.points, options, sink);
    progress.clear();
    if (status == ExperimentStatus::Cancelled) {
      std::fprintf(stderr, "tipsim: interrupted; no run file was written\n");
      return g_signal == SIGTERM ? 128 + SIGTERM : kExitInterrupted;
    }
    writer.commit();
    summaries = sink.summaries();
  } catch (const output::OutputError& e) {
    progress.clear();
    print_error(e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    progress.clear();
    print_error("the run stopped: " + std::string(e.what()) + "; no run file was written to '" + output_path +
                "'");
    return kExitFailure;
  }
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  RunFacts facts;
  facts.scenario_name = scenario.name;
  facts.output_path = output_path;
  facts.replicates = replicates;
  facts.steps = scenario.steps();
  facts.burn_in_steps =
      std::min<std::int64_t>(scenario.get_int(Param::scenario_burn_in_steps), scenario.steps() - 1);
  facts.step_days = scenario.get(Param::scenario_step_days);
  facts.population = scenario.get(Param::population_size);
  facts.scale = scenario.get(Param::population_scale);
  facts.wall_seconds = wall_seconds;
  print_summary(stdout, facts, summaries);
  return kExitOk;
}

int validate_command(const std::string& scenario_path, const std::vector<std::string>& overrides) {
  try {
    const Scenario scenario = load_scenario_file(scenario_path, overrides);
    const std::string text = resolved_toml(scenario);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  } catch (const ScenarioError& e) {
    print_scenario_error(e);
    return kExitBadInput;
  }
}

int scenarios_command() {
  // The environment wins so that an installed binary can be pointed at a
  // copy of the scenarios.
  const char* from_environment = std::getenv("TIPSIM_SCENARIO_DIR");
  const std::filesystem::path folder =
      from_environment != nullptr && *from_environment != '\0' ? from_environment : TIPSIM_SCENARIO_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    print_error("the scenario folder '" + folder.string() +
                "' does not exist; set TIPSIM_SCENARIO_DIR to the folder of the bundled scenarios");
    return kExitBadInput;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "tipsim: no scenarios (*.toml) in '%s'\n", folder.string().c_str());
    return kExitOk;
  }

  struct Line {
    std::string file, name, description;
  };
  std::vector<Line> lines;
  bool all_valid = true;
  for (const auto& path : files) {
    try {
      const Scenario s = load_scenario_file(path.string());
      lines.push_back({path.filename().string(), s.name, s.description});
    } catch (const ScenarioError& e) {
      print_scenario_error(e);
      lines.push_back({path.filename().string(), "(invalid)", "see the errors above"});
      all_valid = false;
    }
  }
  std::size_t file_width = 0, name_width = 0;
  for (const Line& l : lines) {
    file_width = std::max(file_width, l.file.size());
    name_width = std::max(name_width, l.name.size());
  }
  for (const Line& l : lines) {
    std::fprintf(stdout, "%-*s  %-*s  %s\n", static_cast<int>(file_width), l.file.c_str(),
                 static_cast<int>(name_width), l.name.c_str(), l.description.c_str());
  }
  std::fflush(stdout);
  return all_valid ? kExitOk : kExitBadInput;
}

}  // namespace tipsim::cli
