#include "mpi_job.hpp"

#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <stdexcept>

namespace tipsim::mpi {

namespace {

// The runs of an experiment, handed out in order through one counter on
// rank 0: each rank's next() adds one to it atomically (a one-sided
// fetch-and-add, with no help needed from rank 0) and takes the run at the
// old value. So every run goes to exactly one rank, each rank's runs
// increase, and a rank that is done early simply takes more.
class SharedRunQueue final : public RunQueue {
 public:
  SharedRunQueue(MPI_Comm comm, std::vector<std::size_t> runs, std::mutex& mutex)
      : runs_(std::move(runs)), mutex_(mutex) {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    const MPI_Aint bytes = rank == 0 ? static_cast<MPI_Aint>(sizeof(std::int64_t)) : 0;
    MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm, &counter_, &window_);
    if (rank == 0) {
      MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_);
      *counter_ = 0;
      MPI_Win_unlock(0, window_);
    }
    MPI_Barrier(comm);
    MPI_Win_lock_all(0, window_);
  }

  // Collective, like MPI_Win_free.
  ~SharedRunQueue() override {
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

  std::optional<std::size_t> next() override {
    std::lock_guard lock(mutex_);
    const std::int64_t one = 1;
    std::int64_t taken = 0;
    MPI_Fetch_and_op(&one, &taken, MPI_INT64_T, 0, 0, MPI_SUM, window_);
    MPI_Win_flush(0, window_);
    if (taken < 0 || static_cast<std::size_t>(taken) >= runs_.size()) return std::nullopt;
    return runs_[static_cast<std::size_t>(taken)];
  }

  std::size_t runs_at_most() const override { return runs_.size(); }

  // Moves the counter past the last run: no rank takes another. (An
  // addition too, like next(): operations on one location are atomic only
  // when they are the same operation.)
  void stop() {
    std::lock_guard lock(mutex_);
    const auto past_the_end = static_cast<std::int64_t>(runs_.size());
    std::int64_t ignored = 0;
    MPI_Fetch_and_op(&past_the_end, &ignored, MPI_INT64_T, 0, 0, MPI_SUM, window_);
    MPI_Win_flush(0, window_);
  }

 private:
  std::vector<std::size_t> runs_;
  std::mutex& mutex_;
  std::int64_t* counter_ = nullptr;
  MPI_Win window_ = MPI_WIN_NULL;
};

}  // namespace

bool launched_as_a_job() {
  // Open MPI's mpirun, PMIx launchers (srun --mpi=pmix, prterun), and
  // PMI-1/2 launchers (MPICH's hydra, srun --mpi=pmi2).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

Job::Job(int* argc, char*** argv) {
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
  if (provided < MPI_THREAD_SERIALIZED) {
    std::fprintf(stderr,
                 "tipsim: error: this MPI library cannot be called from several threads "
                 "(MPI_THREAD_SERIALIZED), which tipsim needs\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

Job::~Job() {
  MPI_Comm_free(&comm_);
  MPI_Finalize();
}

void Job::use_parallel_io(std::int64_t file_access_properties) const {
  static_assert(sizeof(hid_t) == sizeof(std::int64_t));
  if (H5Pset_fapl_mpio(static_cast<hid_t>(file_access_properties), comm_, MPI_INFO_NULL) < 0)
    throw std::runtime_error("cannot set up parallel HDF5 (H5Pset_fapl_mpio)");
}

std::string Job::broadcast(const std::string& text) const {
  std::uint64_t size = text.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, comm_);
  std::string out = rank_ == 0 ? text : std::string(size, '\0');
  if (size > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    throw std::length_error("broadcast: text too long");
  if (size > 0) MPI_Bcast(out.data(), static_cast<int>(size), MPI_CHAR, 0, comm_);
  return out;
}

std::vector<double> Job::all_gather(const std::vector<double>& values) const {
  if (values.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("all_gather: too many values");
  const int mine = static_cast<int>(values.size());
  std::vector<int> counts(static_cast<std::size_t>(size_));
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
  std::vector<int> offsets(counts.size());
  std::int64_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (total > std::numeric_limits<int>::max()) throw std::length_error("all_gather: too many values");
    offsets[r] = static_cast<int>(total);
    total += counts[r];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(values.data(), mine, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                 comm_);
  return all;
}

void Job::barrier() const { MPI_Barrier(comm_); }

std::unique_ptr<RunQueue> Job::share_runs(const std::vector<std::size_t>& runs) {
  return std::make_unique<SharedRunQueue>(comm_, runs, mutex_);
}

void Job::stop_sharing(RunQueue& queue) {
  if (auto* shared = dynamic_cast<SharedRunQueue*>(&queue)) shared->stop();
}

bool Job::any(bool value) const {
  int mine = value ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LOR, comm_);
  return all != 0;
}

void Job::abort(int exit_code) const {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(comm_, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace tipsim::mpi
