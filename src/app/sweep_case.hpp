#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "microheal/sweep/design.hpp"
#include "microheal/sweep/sweep_directory.hpp"
#include "microheal/sweep/sweep_spec.hpp"

/// @file
/// @brief One case of a sweep run in this process, as `microheal run` would run it (through
/// run_scenario()), into its folder DIR/cases/<id>/, ending with its record (case.json). Used by
/// `--case-index` (a Slurm task, or a child process of a local sweep) and by MPI worker ranks.

namespace microheal::app {

/// @brief A loaded sweep: the file, its spec, its design and its directory.
struct SweepSession {
  std::filesystem::path sweep_file;  ///< absolute
  sweep::SweepSpec spec;
  sweep::Design design;
  sweep::SweepDirectory directory;
};

/// @brief How a case went, as far as this process can tell.
enum class CaseOutcome {
  ok,            ///< ran and completed; recorded
  failed,        ///< ran and failed; recorded with the reason
  already_done,  ///< its record was there (ok, or failed and failures are not retried)
  busy,          ///< another process holds it (a concurrent sweep); nothing recorded
  stopped,       ///< stopped by SIGINT/SIGTERM with its checkpoint saved; nothing recorded, so it
                 ///< stays pending and resumes next time
};

/// @brief The outcome and, for a case that ran or was done, what its record says.
struct CaseReport {
  std::size_t index = 0;
  CaseOutcome outcome = CaseOutcome::ok;
  bool recorded_ok = false;   ///< the case's record says ok
  double wall_seconds = 0.0;  ///< the record's wall time
  std::string error;          ///< the record's error (failed cases)
};

/// @brief Options of run_case_here().
struct CaseOptions {
  int threads = 0;            ///< OpenMP threads; 0: OMP_NUM_THREADS or all cores
  bool quiet = true;          ///< the run's progress lines
  bool retry_failed = false;  ///< run a case whose record says failed again
};

/// @brief Whether case @p index has to run (no record, or a failed one and @p retry_failed).
bool case_pending(const SweepSession& session, std::size_t index, bool retry_failed);

/// @brief Run case @p index here: lock its folder (flock, so two processes never run one case),
/// skip it when it is done, else run it with the base scenario copy and the case's overrides and
/// write its record. A failure of the case itself (a value this scenario cannot take, a numerical
/// failure, an unwritable file) is recorded, not thrown.
/// @throws core::RunError only when the record itself cannot be written
CaseReport run_case_here(const SweepSession& session, std::size_t index,
                         const CaseOptions& options);

/// @brief "needle.length_mm=1.0 protocol.interval_days=28.0": the axis values of a case.
std::string case_values_text(const sweep::Case& c);

}  // namespace microheal::app
