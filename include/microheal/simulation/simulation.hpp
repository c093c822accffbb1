#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "microheal/geometry/needle_pattern.hpp"
#include "microheal/geometry/protocol.hpp"
#include "microheal/geometry/tissue.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/model/skin_kernel.hpp"
#include "microheal/simulation/simulation_spec.hpp"
#include "microheal/solver/integrator.hpp"

/// @file
/// @brief The simulation: wires the tissue and the needles (geometry) and the skin model (model)
/// to the solver, and runs a protocol event by event.
///
/// Wiring: the tissue's per-plane profiles (vessel density, baseline fibroblasts and collagen,
/// keratinocyte fraction, solute diffusivity factor) become the kernel's coefficient fields and
/// the layered diffusion specs (model::diffusion_specs); chemotaxis comes from
/// model::chemotaxis_specs; reactions are solver::KernelReactionStepper<model::SkinKernel>; all
/// are driven by solver::SplitIntegrator. Every face is periodic in x and y and zero flux at the
/// skin surface and the bottom of the block. The run starts at exact homeostasis.
///
/// Events: at each session time the session's injury is rasterised (geometry: where) and applied
/// to the state (model::injured_state: what it does to each species); at each output time and
/// each time of the metric sampling ladder the observers are called. The integrator lands on
/// every session and output time exactly; sample times inside a step are observed on the state
/// interpolated linearly between the step's ends (dense output, Observation::interpolated), so
/// the sampling ladder does not set the step size.
///
/// 2D: the x-z cross-section (ny = 1) through a row of needles, each extruded along y into a slit;
/// equivalently the 3D model with fields and injury uniform along y. See docs/model.md.

namespace microheal::simulation {

class Simulation;

/// @brief Where in the event sequence an observer is called.
enum class Moment {
  scheduled,       ///< an output time and/or a metric sample time (see the flags)
  before_session,  ///< a session is about to be applied at this time
  after_session,   ///< a session has just been applied at this time
};

/// @brief What an observer is told.
struct Observation {
  double time_h = 0.0;
  Moment moment = Moment::scheduled;
  bool output = false;  ///< the time is one of SimulationSpec::output_times_h
  bool sample = false;  ///< the time is on the metric sampling ladder
  int session = -1;     ///< the session of a before/after call, else -1
  /// @brief The time fell inside an integrator step: Simulation::fields() and time_h() show the
  /// state interpolated linearly between the step's ends (dense output), not a state the run
  /// passes through. Nothing that must be resumed from (a checkpoint) may be taken then.
  bool interpolated = false;
};

/// @brief Called with the simulation (read-only) at observation points.
using Observer = std::function<void(const Simulation&, const Observation&)>;

/// @brief The state a checkpoint must hold to continue a run exactly (the io module writes it).
/// The latest injury is not part of it: it is re-rasterised from the session index.
struct SimulationState {
  double time_h = 0.0;
  int sessions_applied = 0;  ///< sessions applied so far (index of the next session)
  grid::FieldSet fields;
  double next_dt_h = 0.0;  ///< the step the integrator will try next
  /// Counters of the run so far; restore() keeps them as an offset (the integrator's own
  /// counters restart), see Simulation::statistics_before_restore().
  solver::IntegratorStatistics statistics;
};

/// @brief A running simulation. Owns the state, the solvers and the coefficient fields; movable,
/// not copyable.
class Simulation {
 public:
  /// @brief Validates @p spec (throws core::InputError) and sets up the block at homeostasis at
  /// t = 0. Nothing is applied yet: a session at t = 0 is applied by the first advance_to().
  explicit Simulation(SimulationSpec spec);
  ~Simulation();
  Simulation(Simulation&&) noexcept;
  Simulation& operator=(Simulation&&) noexcept;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const SimulationSpec& spec() const;
  const geometry::Tissue& tissue() const;
  const geometry::Protocol& protocol() const;
  const grid::Grid& grid() const;
  /// @brief The kernel's coefficient fields (V, C0, F0, e per voxel).
  const model::CoefficientFields& coefficients() const;
  /// @brief The homeostatic state (the initial state, and the baseline of every observable).
  const grid::FieldSet& homeostasis() const;
  /// @brief The current state (inside an interpolated observation: the interpolated state).
  const grid::FieldSet& fields() const;
  /// @brief The current time, h (inside an interpolated observation: the observed time).
  double time_h() const;
  /// @brief End of the protocol, h.
  double end_time_h() const;
  /// @brief Sessions applied so far.
  int sessions_applied() const;
  /// @brief Session start times, h.
  std::span<const double> session_times_h() const;
  /// @brief The injury of the latest applied session (nothing before the first).
  const geometry::InjuryField* latest_injury() const;
  /// @brief Start-up warnings: the inflammatory loop gain when >= 1, voxels coarser than the
  /// needle, a 2D row that the lattice fits only approximately, ...
  const std::vector<std::string>& warnings() const;
  /// @brief The inflammatory loop gain of the parameters (model::inflammatory_loop_gain).
  double loop_gain() const;
  /// @brief The integrator (statistics, stage timings, next step).
  const solver::SplitIntegrator& integrator() const;
  /// @brief Statistics carried over from a restored checkpoint (zero without one).
  const solver::IntegratorStatistics& statistics_before_restore() const;

  /// @brief Register an observer; observers are called in registration order.
  void add_observer(Observer observer);

  /// @brief Run to @p t_h (<= end_time_h()), landing exactly on every session and output time
  /// on the way and observing the sample times in between (interpolated where they fall inside
  /// a step); events at @p t_h itself are processed too.
  /// @p stop, when given, is asked after every step and after the events of every landing time;
  /// when it says true the call returns there. The state (state(), as a checkpoint saves it) then
  /// continues bitwise as the uninterrupted run would: a resumed run gives the same numbers.
  /// @return true when @p t_h was reached, false when @p stop ended the call early
  /// @throws core::InputError when @p t_h is before the current time or after the end
  /// @throws core::NumericalError from the integrator
  bool advance_to(double t_h, const solver::StopRequest& stop = {});
  /// @brief advance_to(end_time_h(), stop).
  bool run(const solver::StopRequest& stop = {});

  /// @brief The injury session @p session would leave on this grid (needles or slits), with
  /// bleeding given as the volume fraction of track below the plexus.
  geometry::InjuryField session_injury(int session) const;
  /// @brief Where the needles of session @p session enter the skin (x, y in mm, pass), the
  /// positions session_injury() rasterises, without rasterising. In the 2D section the needles
  /// of the row become slits through the whole y extent: y is then the section's centre.
  std::vector<geometry::Puncture> session_punctures(int session) const;
  /// @brief Apply @p injury to the current state (model::injured_state per voxel) and make it
  /// the latest injury. Sessions call this; tests use it for injuries no protocol draws (a
  /// laterally uniform one). Does not count as a session.
  /// @pre arrays of grid().num_voxels() values in [0, 1] (throws core::InputError)
  void apply_injury(geometry::InjuryField injury);

  /// @brief The state to checkpoint.
  SimulationState state() const;
  /// @brief Continue from a checkpoint of a simulation with the same spec: time, fields, session
  /// index and next step are restored exactly (so the continued run matches an uninterrupted one
  /// bitwise), the latest injury is re-rasterised.
  /// @pre fields on the same grid with the model's species (throws core::InputError)
  void restore(SimulationState state);

 private:
  struct Impl;
  std::unique_ptr<Impl> _impl;
};

}  // namespace microheal::simulation
