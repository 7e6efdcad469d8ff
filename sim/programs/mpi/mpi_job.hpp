// One rank of an MPI job: what `mpirun -n R tipsim sweep ...` makes of each
// process. The ranks share the runs of an experiment through a counter on
// rank 0 that every rank takes its next run from (so a rank that finishes
// early takes more), and write one run file together through parallel HDF5
// (see RunFileWriter). Built only with TIPSIM_WITH_MPI; docs/cluster.md.
#pragma once

#include <mpi.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "commands.hpp"

namespace tipsim::mpi {

// Whether this process was started by an MPI launcher (mpirun, mpiexec,
// srun with PMI or PMIx), as one rank of a job.
bool launched_as_a_job();

class Job final : public cli::ParallelJob {
 public:
  // Initialises MPI (for one thread at a time, MPI_THREAD_SERIALIZED).
  Job(int* argc, char*** argv);
  ~Job() override;  // finalises MPI
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void use_parallel_io(std::int64_t file_access_properties) const override;
  std::string broadcast(const std::string& text) const override;
  std::vector<double> all_gather(const std::vector<double>& values) const override;
  void barrier() const override;

  std::unique_ptr<RunQueue> share_runs(const std::vector<std::size_t>& runs) override;
  void stop_sharing(RunQueue& queue) override;
  bool any(bool value) const override;
  [[noreturn]] void abort(int exit_code) const override;
  std::mutex& mpi_mutex() override { return mutex_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::mutex mutex_;
};

}  // namespace tipsim::mpi
