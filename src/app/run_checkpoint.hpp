#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "microheal/io/checkpoint.hpp"
#include "microheal/simulation/simulation.hpp"
#include "run_recorder.hpp"

/// @file
/// @brief What a run's checkpoint holds beyond the fields, and how it is packed into the io
/// module's checkpoint file: the simulation state (time, sessions applied, the integrator's next
/// step and counters), the recorded observables, the number of snapshots written, the scenario's
/// fingerprint and the wall-clock history of the run's segments. Needle positions need nothing:
/// they are a pure function of needle.seed and the session index.

namespace microheal::app {

/// @brief Wall-clock history of a run that was interrupted and resumed: one entry per segment.
struct RunHistory {
  std::vector<double> start_epoch_s;  ///< wall-clock start of each segment (Unix time)
  std::vector<double> end_epoch_s;    ///< last checkpoint (or the end) of each segment
  std::vector<double> from_h;         ///< simulated time each segment started at
  std::vector<double> to_h;           ///< simulated time of its last checkpoint
};

/// @brief A checkpoint as read back.
struct LoadedCheckpoint {
  simulation::SimulationState state;
  io::CheckpointState extra;  ///< everything besides the state (the recorder reads its part)
  std::size_t outputs_written = 0;
  RunHistory history;
};

/// @brief Write the checkpoint of @p simulation (atomically, replacing any older one).
void save_run_checkpoint(const std::filesystem::path& path,
                         const simulation::Simulation& simulation, const RunRecorder& recorder,
                         std::size_t outputs_written, std::uint64_t scenario_fingerprint,
                         const RunHistory& history);

/// @brief Read the checkpoint at @p path for a run of @p simulation.
/// @throws core::InputError when the file is unreadable, holds another grid or species, or was
///         written for a scenario with another fingerprint (the message says so)
LoadedCheckpoint load_run_checkpoint(const std::filesystem::path& path,
                                     const simulation::Simulation& simulation,
                                     std::uint64_t scenario_fingerprint);

}  // namespace microheal::app
