#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "sweep_case.hpp"

/// @file
/// @brief `microheal sweep --mpi`: rank 0 hands out case indices one at a time to whichever rank
/// asks (MPI_Send/MPI_Recv), so fast and slow cases balance themselves; every other rank runs
/// whole cases in its own process. With a single rank, rank 0 runs the cases itself. The sweep
/// logic comes in as steps, so this is the only code that sees MPI (sweep_mpi.cpp, or
/// sweep_mpi_unavailable.cpp when CMake found no MPI).

namespace microheal::app {

/// @brief The parts of an MPI sweep, called on the ranks named.
struct MpiSweepSteps {
  /// Rank 0, first: load and check the sweep, prepare its directory; the case indices to run.
  /// An exception stops every rank (bad input: exit 2 everywhere, with one message).
  std::function<std::vector<std::size_t>(int ranks)> coordinator_prepare;
  /// Every other rank, once rank 0 succeeded: load the sweep.
  std::function<void()> worker_prepare;
  /// Any rank: run one case in this process (never throws for a failure of the case).
  std::function<CaseReport(std::size_t index)> run_case;
  /// Rank 0: case @p report.index finished on rank @p rank.
  std::function<void(const CaseReport& report, int rank)> case_finished;
  /// Rank 0, at the end: the summary; returns the exit code of the sweep.
  std::function<int()> coordinator_finish;
};

/// @brief Run the steps under MPI (MPI_Init to MPI_Finalize).
/// @return the exit code of this rank (rank 0: the sweep's; workers: 0, or rank 0's code when it
///         could not start)
/// @throws whatever coordinator_prepare threw, on rank 0, after MPI_Finalize; core::InputError
///         when microheal was built without MPI
int run_sweep_with_mpi(const MpiSweepSteps& steps);

/// @brief True when this microheal was built with MPI.
bool mpi_available();

}  // namespace microheal::app
