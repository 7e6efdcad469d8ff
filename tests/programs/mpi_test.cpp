// The MPI build (docs/cluster.md): `mpirun -n R tipsim sweep|compare ...`
// shares the runs over R ranks and writes one file through parallel HDF5
// whose results are those of the same command in one process, bit for bit;
// a stopped job resumes, on any number of ranks or none. Real mpirun jobs
// (oversubscribed: more ranks than cores is fine for correctness).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process_helpers.hpp"
#include "run_file.hpp"
#include "same_results.hpp"

namespace tipsim {
namespace {

using namespace tipsim::testing;

#ifndef TIPSIM_MPIEXEC

TEST(Mpi, NeedsTheMpiBuild) {
  GTEST_SKIP() << "the MPI build is off: configure with -DTIPSIM_WITH_MPI=ON (Debian: libopenmpi-dev, "
                  "libhdf5-openmpi-dev; scripts/setup.sh --mpi) to run the MPI tests";
}

#else

constexpr const char* kMpiScenario = R"(
[scenario]
name = "mpi test"
steps = 80
seed = 17
replicates = 3
[population]
size = 20000
[[region]]
name = "A"
[[region]]
name = "B"
[[route]]
from = "A"
to = "B"
share = 0.4
)";

constexpr const char* kArm = R"(
extends = "scenario.toml"
[scenario]
name = "more awareness"
[prevention]
awareness_gain = 0.6
)";

const std::vector<std::string> kSweep = {"sweep",  "scenario.toml",
                                         "--vary", "prevention.awareness_gain=0,0.3,0.6",
                                         "--vary", "policy.protection.shelter_beds_per_100k=5,40"};

// mpirun with R ranks, as root if need be (CI), more ranks than cores
// allowed, one thread per rank unless told.
Tipsim::Options job_of(int ranks) {
  Tipsim::Options options;
  options.wrapper = {TIPSIM_MPIEXEC, "-n", std::to_string(ranks), "--oversubscribe", "--bind-to", "none"};
  options.environment = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                         // Shared memory between the ranks, without probing the network.
                         "OMPI_MCA_btl=self,vader", "OMPI_MCA_pml=ob1", "OMPI_MCA_osc=sm,pt2pt,rdma"};
  return options;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& extra) {
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_.write("scenario.toml", kMpiScenario);
    folder_.write("arm.toml", kArm);
  }
  ScratchFolder folder_{"tipsim-mpi"};
};

TEST_F(Mpi, ASweepOnTwoOrThreeRanksIsTheSweepInOneProcess) {
  const Outcome alone = run_tipsim(folder_.path(), with(kSweep, {"-o", "alone.h5", "--threads", "2"}));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  for (int ranks : {2, 3}) {
    SCOPED_TRACE(std::to_string(ranks) + " ranks");
    const std::string name = "ranks" + std::to_string(ranks) + ".h5";
    const Outcome job =
        run_tipsim(folder_.path(), with(kSweep, {"-o", name, "--threads", "1"}), job_of(ranks));
    ASSERT_EQ(job.exit_code, 0) << job.out << job.err;
    // One table, printed by rank 0, naming the ranks.
    EXPECT_EQ(count_of(job.out, "run file"), 1) << job.out;
    EXPECT_TRUE(contains(job.out, std::to_string(ranks) + " MPI ranks")) << job.out;
    expect_same_results((folder_ / "alone.h5").string(), (folder_ / name).string());
    const output::RunFileContents file = output::read_run_file((folder_ / name).string(), false);
    EXPECT_EQ(file.number("mpi_ranks"), ranks);
    EXPECT_EQ(file.runs_complete, 18u);
    // Written uncompressed by the ranks, compressed before it is named: as
    // small as the one-process file.
    EXPECT_LE(fs::file_size(folder_ / name), fs::file_size(folder_ / "alone.h5") * 11 / 10);
    // The summaries printed are those of the file: the same table as alone.
    EXPECT_EQ(job.out.substr(0, job.out.find("run file")), alone.out.substr(0, alone.out.find("run file")));
  }
  EXPECT_EQ(names_in(folder_.path()),
            (std::vector<std::string>{"alone.h5", "arm.toml", "ranks2.h5", "ranks3.h5", "scenario.toml"}));
}

TEST_F(Mpi, SnapshotsOnTwoRanksAreTheSnapshotsInOneProcess) {
  const std::vector<std::string> sweep = {
      "sweep", "scenario.toml",       "--vary", "prevention.awareness_gain=0,0.6", "--snapshot-every", "20",
      "--set", "population.size=4000"};
  const Outcome alone = run_tipsim(folder_.path(), with(sweep, {"-o", "alone.h5"}));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const Outcome job = run_tipsim(folder_.path(), with(sweep, {"-o", "job.h5", "--threads", "1"}), job_of(2));
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err;
  expect_same_results((folder_ / "alone.h5").string(), (folder_ / "job.h5").string());
  // Written plain by the ranks and copied into the compressed layout:
  // every person's fields at every snapshot, byte for byte.
  expect_same_datasets(
      (folder_ / "alone.h5").string(), (folder_ / "job.h5").string(),
      {"snapshots/state", "snapshots/region", "snapshots/home_region", "snapshots/market", "snapshots/flags",
       "snapshots/vulnerability", "snapshots/awareness", "snapshots/controller", "snapshots/debt",
       "snapshots/times_trafficked", "campaign/run_complete"});
}

TEST_F(Mpi, AComparisonOnTwoRanksIsTheComparisonInOneProcess) {
  const std::vector<std::string> compare = {"compare", "scenario.toml", "arm.toml", "--replicates", "4"};
  const Outcome alone = run_tipsim(folder_.path(), with(compare, {"-o", "alone.h5"}));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const Outcome job =
      run_tipsim(folder_.path(), with(compare, {"-o", "job.h5", "--threads", "1"}), job_of(2));
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err;
  expect_same_results((folder_ / "alone.h5").string(), (folder_ / "job.h5").string());
  EXPECT_FALSE(output::read_run_file((folder_ / "job.h5").string(), false).comparison.empty());
}

// Stops the job once some of its runs are recorded in its file (its
// --progress lines say so): SIGTERM to mpirun, which passes it on to every
// rank (about a second later, in Open MPI 4.1), or to the one process.
// Returns how many runs the kept unfinished file holds (0: none kept).
std::size_t stop_part_way(const fs::path& folder, const std::vector<std::string>& args,
                          const Tipsim::Options& options) {
  fs::remove_all(folder / "out");
  Tipsim program(folder, with(args, {"--progress"}), options);
  const bool recorded =
      wait_for_stderr(program, [](const std::string& err) { return reported_progress(err).recorded >= 1; });
  EXPECT_TRUE(recorded) << "no run was reported recorded\n" << program.err_so_far();
  const std::size_t reported = reported_progress(program.err_so_far()).recorded;
  program.signal(SIGTERM);
  const Outcome outcome = program.finish(std::chrono::minutes(5));
  EXPECT_FALSE(outcome.timed_out) << "the job did not end after SIGTERM";
  // One process ends as SIGTERM says (mpirun reports its ranks its own way).
  if (options.wrapper.empty()) {
    EXPECT_EQ(outcome.exit_code, 143) << outcome.err;
  }
  EXPECT_FALSE(fs::exists(folder / "out/run.h5"));
  if (!fs::exists(folder / "out/run.h5.incomplete")) return 0;
  // It kept every run it had reported recorded, and not all of them.
  const std::size_t kept =
      output::read_unfinished_run_file((folder / "out/run.h5.incomplete").string()).runs_complete;
  EXPECT_GE(kept, reported) << outcome.err;
  EXPECT_LT(kept, 18u) << outcome.err;
  return kept;
}

TEST_F(Mpi, AStoppedJobResumesOnAnyNumberOfRanksOrNone) {
  // 18 runs of about half a second each in Release, one thread each: a
  // stop after the first is recorded leaves most to do.
  const std::vector<std::string> sweep =
      with(kSweep, {"--threads", "1", "--set", "population.size=250000", "--steps", "800"});
  const Outcome alone = run_tipsim(folder_.path(), with(sweep, {"-o", "alone.h5"}));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;

  // Stopped on 2 ranks, finished on 3.
  ASSERT_GT(stop_part_way(folder_.path(), with(sweep, {"-o", "out/run.h5"}), job_of(2)), 0u);
  const Outcome three = run_tipsim(
      folder_.path(), with(sweep, {"-o", "out/run.h5", "--resume", "out/run.h5.incomplete"}), job_of(3));
  ASSERT_EQ(three.exit_code, 0) << three.out << three.err;
  expect_same_results((folder_ / "alone.h5").string(), (folder_ / "out/run.h5").string());
  EXPECT_LE(fs::file_size(folder_ / "out/run.h5"), fs::file_size(folder_ / "alone.h5") * 11 / 10);

  // Stopped in one process (its file compressed), finished on 2 ranks.
  ASSERT_GT(stop_part_way(folder_.path(), with(sweep, {"-o", "out/run.h5"}), {}), 0u);
  const Outcome two = run_tipsim(
      folder_.path(), with(sweep, {"-o", "out/run.h5", "--resume", "out/run.h5.incomplete"}), job_of(2));
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  expect_same_results((folder_ / "alone.h5").string(), (folder_ / "out/run.h5").string());

  // Stopped on 3 ranks, finished by one process without mpirun.
  ASSERT_GT(stop_part_way(folder_.path(), with(sweep, {"-o", "out/run.h5"}), job_of(3)), 0u);
  const Outcome one =
      run_tipsim(folder_.path(), with(sweep, {"-o", "out/run.h5", "--resume", "out/run.h5.incomplete"}));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  expect_same_results((folder_ / "alone.h5").string(), (folder_ / "out/run.h5").string());
  // Begun uncompressed by the ranks, finished compressed by one process.
  EXPECT_LE(fs::file_size(folder_ / "out/run.h5"), fs::file_size(folder_ / "alone.h5") * 11 / 10);
  EXPECT_EQ(names_in(folder_ / "out"), std::vector<std::string>{"run.h5"});
}

TEST_F(Mpi, BadInputIsReportedOnceWithExitTwo) {
  const Outcome events = run_tipsim(folder_.path(), with(kSweep, {"-o", "e.h5", "--events"}), job_of(2));
  EXPECT_EQ(events.exit_code, 2);
  EXPECT_EQ(count_of(events.err, "--events cannot be used under mpirun"), 1) << events.err;
  const Outcome unknown = run_tipsim(
      folder_.path(), {"sweep", "scenario.toml", "--vary", "prevention.awarenes_gain=0,1", "-o", "u.h5"},
      job_of(2));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(count_of(unknown.err, "did you mean"), 1) << unknown.err;
  EXPECT_EQ(names_in(folder_.path()), (std::vector<std::string>{"arm.toml", "scenario.toml"}));
}

#endif

}  // namespace
}  // namespace tipsim
