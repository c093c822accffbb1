#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>

#include "sweep_case.hpp"

/// @file
/// @brief The cases of a local sweep, each in a child process of its own: the same executable run
/// as `microheal sweep SWEEP -o DIR --case-index I --threads-per-job T`, at most `jobs` at a time.
/// Debian's HDF5 is not thread-safe, so cases never share a process; and a case that crashes
/// takes only its own process down. Each child's output goes to DIR/cases/<id>/log.txt, and each
/// child dies with the sweep (PR_SET_PDEATHSIG), so a killed sweep leaves no case running.

namespace microheal::app {

/// @brief How to start the children.
struct ProcessPoolOptions {
  std::size_t jobs = 1;       ///< children at a time
  int threads_per_job = 1;    ///< OpenMP threads of each
  bool retry_failed = false;  ///< passed on to the children
};

/// @brief Run @p cases (indices into session.design.cases) in child processes; calls
/// @p finished on this thread as each one ends. A child that dies without a record (a crash, the
/// OOM killer) gets a failed record written here, unless it was stopped (exit code
/// stopped_exit_code after a graceful stop, or killed by SIGINT, SIGTERM, SIGHUP): then the case
/// stays pending and runs again next time.
///
/// SIGINT and SIGTERM to the sweep stop it gracefully: no new case starts, each running child is
/// sent SIGTERM (children run in process groups of their own, so a Ctrl-C at the terminal reaches
/// them only this way, once) and saves its checkpoint; the call returns when all have ended. A
/// second signal ends the sweep at once, and its children with it (PR_SET_PDEATHSIG).
/// @return true when a signal stopped the sweep
/// @throws core::RunError when a child cannot be started
bool run_in_processes(const SweepSession& session, std::span<const std::size_t> cases,
                      const ProcessPoolOptions& options,
                      const std::function<void(const CaseReport&)>& finished);

}  // namespace microheal::app
