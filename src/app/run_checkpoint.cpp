#include "run_checkpoint.hpp"

#include <string>

#include "microheal/core/error.hpp"
#include "microheal/model/species.hpp"

namespace microheal::app {

namespace {

constexpr double format_version = 1.0;

double scalar(const io::CheckpointState& state, const std::string& name) {
  const auto it = state.scalars.find(name);
  if (it == state.scalars.end())
    throw core::InputError("checkpoint: the value '" + name + "' is missing");
  return it->second;
}

std::vector<double> array(const io::CheckpointState& state, const std::string& name) {
  const auto it = state.float64_arrays.find(name);
  if (it == state.float64_arrays.end())
    throw core::InputError("checkpoint: the array '" + name + "' is missing");
  return it->second;
}

long counter(const io::CheckpointState& state, const std::string& name) {
  return static_cast<long>(scalar(state, name));
}

}  // namespace

void save_run_checkpoint(const std::filesystem::path& path,
                         const simulation::Simulation& simulation, const RunRecorder& recorder,
                         std::size_t outputs_written, std::uint64_t scenario_fingerprint,
                         const RunHistory& history) {
  const simulation::SimulationState s = simulation.state();
  io::CheckpointState state;
  state.scalars["run.format_version"] = format_version;
  state.scalars["time_h"] = s.time_h;
  state.scalars["sessions_applied"] = s.sessions_applied;
  state.scalars["next_dt_h"] = s.next_dt_h;
  state.scalars["outputs_written"] = static_cast<double>(outputs_written);
  // Counters are far below 2^53, so doubles hold them exactly.
  const solver::IntegratorStatistics& st = s.statistics;
  state.scalars["stats.steps_accepted"] = static_cast<double>(st.steps_accepted);
  state.scalars["stats.steps_rejected_error"] = static_cast<double>(st.steps_rejected_error);
  state.scalars["stats.steps_rejected_negative"] = static_cast<double>(st.steps_rejected_negative);
  state.scalars["stats.dt_smallest_h"] = st.dt_smallest_h;
  state.scalars["stats.dt_largest_h"] = st.dt_largest_h;
  state.scalars["stats.chemotaxis_sub_steps"] = static_cast<double>(st.chemotaxis_sub_steps);
  state.scalars["stats.reaction_voxels_active"] = static_cast<double>(st.reaction_voxels_active);
  state.scalars["stats.reaction_voxels_resting"] = static_cast<double>(st.reaction_voxels_resting);
  state.float64_arrays["stats.mass_initial"] = st.mass_initial;
  state.float64_arrays["stats.mass_final"] = st.mass_final;
  state.float64_arrays["stats.mass_change_reaction"] = st.mass_change_reaction;
  state.float64_arrays["stats.mass_change_transport"] = st.mass_change_transport;
  state.float64_arrays["stats.mass_change_external"] = st.mass_change_external;
  state.float64_arrays["history.start_epoch_s"] = history.start_epoch_s;
  state.float64_arrays["history.end_epoch_s"] = history.end_epoch_s;
  state.float64_arrays["history.from_h"] = history.from_h;
  state.float64_arrays["history.to_h"] = history.to_h;
  state.uint64_arrays["scenario_fingerprint"] = {scenario_fingerprint};
  recorder.save(state);
  io::write_checkpoint(path, s.fields, state);
}

LoadedCheckpoint load_run_checkpoint(const std::filesystem::path& path,
                                     const simulation::Simulation& simulation,
                                     std::uint64_t scenario_fingerprint) {
  grid::FieldSet fields(simulation.grid(), model::species_names());
  io::CheckpointState state;
  try {
    state = io::read_checkpoint(path, fields);
  } catch (const core::InputError& error) {
    throw core::InputError("cannot resume from '" + path.string() + "': " + error.what());
  }
  const auto fingerprint = state.uint64_arrays.find("scenario_fingerprint");
  if (fingerprint == state.uint64_arrays.end() || fingerprint->second.size() != 1 ||
      fingerprint->second.front() != scenario_fingerprint) {
    throw core::InputError("cannot resume from '" + path.string() +
                           "': it was written for a different scenario");
  }
  solver::IntegratorStatistics st;
  st.steps_accepted = counter(state, "stats.steps_accepted");
  st.steps_rejected_error = counter(state, "stats.steps_rejected_error");
  st.steps_rejected_negative = counter(state, "stats.steps_rejected_negative");
  st.dt_smallest_h = scalar(state, "stats.dt_smallest_h");
  st.dt_largest_h = scalar(state, "stats.dt_largest_h");
  st.chemotaxis_sub_steps = counter(state, "stats.chemotaxis_sub_steps");
  st.reaction_voxels_active = counter(state, "stats.reaction_voxels_active");
  st.reaction_voxels_resting = counter(state, "stats.reaction_voxels_resting");
  st.mass_initial = array(state, "stats.mass_initial");
  st.mass_final = array(state, "stats.mass_final");
  st.mass_change_reaction = array(state, "stats.mass_change_reaction");
  st.mass_change_transport = array(state, "stats.mass_change_transport");
  st.mass_change_external = array(state, "stats.mass_change_external");
  RunHistory history{array(state, "history.start_epoch_s"), array(state, "history.end_epoch_s"),
                     array(state, "history.from_h"), array(state, "history.to_h")};
  const double time_h = scalar(state, "time_h");
  const int sessions = static_cast<int>(scalar(state, "sessions_applied"));
  const double next_dt_h = scalar(state, "next_dt_h");
  const auto outputs = static_cast<std::size_t>(scalar(state, "outputs_written"));
  return LoadedCheckpoint{
      simulation::SimulationState{time_h, sessions, std::move(fields), next_dt_h, std::move(st)},
      std::move(state), outputs, std::move(history)};
}

}  // namespace microheal::app
