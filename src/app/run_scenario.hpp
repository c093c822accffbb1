#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "microheal/simulation/metrics.hpp"
#include "output_directory.hpp"

/// @file
/// @brief One scenario run with every output of `microheal run`: the command itself and each case
/// of a sweep go through run_scenario(), so a sweep case writes exactly what a run writes.

namespace microheal::app {

/// @brief What to run and where.
struct RunRequest {
  std::filesystem::path scenario;  ///< scenario file (TOML)
  std::vector<std::string> sets;   ///< "key=value" overrides, checked like the file
  /// Output directory; empty: runs/<scenario file stem>.
  std::filesystem::path output;
  int threads = 0;  ///< OpenMP threads; 0 leaves OMP_NUM_THREADS (or all cores) in effect
  DirectoryMode mode = DirectoryMode::fresh;
  bool quiet = false;  ///< no progress or summary lines (errors still propagate)
};

/// @brief What a completed run gives back to its caller.
struct RunResult {
  std::filesystem::path output;  ///< the output directory
  simulation::Metrics metrics;   ///< as written to metrics.json
  double wall_seconds = 0.0;     ///< this process's time for the run (a resumed run: this segment)
  int threads = 0;               ///< OpenMP threads the run used
  /// Stopped by SIGINT or SIGTERM before the end: the state is in the checkpoint, the manifest
  /// says "stopped", metrics are empty; `--resume` continues.
  bool stopped = false;
  std::string stop_signal;  ///< "SIGTERM" or "SIGINT" when stopped
};

/// @brief Load and check the scenario, prepare the output directory, run the protocol with
/// snapshots, checkpoints and progress, and write manifest.json, metrics.json, timeseries.csv and
/// collagen_profile.csv. Nothing is written before every input has been checked.
/// @throws core::InputError for bad input (the scenario, the overrides, the output directory);
///         nothing was written
/// @throws core::RunError (core::NumericalError for a numerical failure) when the run failed;
///         the manifest then says "failed" with the message, and the last good state is kept
/// SIGINT and SIGTERM stop the run gracefully while it lives (StopSignals): the step in progress
/// ends, a checkpoint is written and the result says stopped.
RunResult run_scenario(const RunRequest& request);

}  // namespace microheal::app
