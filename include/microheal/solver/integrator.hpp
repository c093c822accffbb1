#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "microheal/core/stage_timer.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/solver/chemotaxis.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/error_weights.hpp"
#include "microheal/solver/reaction.hpp"

/// @file
/// @brief The time integrator: Strang splitting of reaction (R), chemotaxis (C) and diffusion (D),
///   u(t + h) = R(h/2) C(h/2) D(h) C(h/2) R(h/2) u(t),
/// each part second order, with an adaptive step from the local error estimates of R and D,
/// rejection of steps whose error or negative values exceed tolerance, and steps that land
/// exactly on times the caller asks for.

namespace microheal::solver {

/// @brief Step-size control.
struct StepControl {
  double rtol = 1e-3;          ///< relative tolerance for every species
  double atol = 1e-6;          ///< absolute tolerance for every species (normalised units)
  double dt_initial_h = 1e-3;  ///< first step; also the fixed step when adaptive == false
  double dt_min_h = 1e-9;      ///< below this a rejected step is a numerical failure
  double dt_max_h = 6.0;       ///< no step is longer
  double safety = 0.9;         ///< factor on the optimal step
  double max_growth = 4.0;     ///< largest ratio of consecutive steps
  double max_shrink = 0.1;     ///< smallest ratio after a rejection
  /// @brief A step is rejected when any value is below -negative_tolerance * atol (never clamped).
  double negative_tolerance = 1.0;
  bool adaptive = true;  ///< false: fixed step dt_initial_h (convergence studies)
};

/// @brief Counters and mass balance of a run.
struct IntegratorStatistics {
  long steps_accepted = 0;
  long steps_rejected_error = 0;     ///< rejected because the error estimate exceeded 1
  long steps_rejected_negative = 0;  ///< rejected because a value fell below tolerance
  double dt_smallest_h = 0.0;
  double dt_largest_h = 0.0;
  /// @brief Work counters, summed over every attempt (rejected ones included: they cost the same).
  long chemotaxis_sub_steps = 0;
  long reaction_voxels_active = 0;   ///< voxel updates integrated (two reaction stages per step)
  long reaction_voxels_resting = 0;  ///< voxel updates skipped as resting
  /// @brief Per species: integral at the start of the first step, at the end of the last, the
  /// sum of changes made by the reaction stages and by the transport stages (chemotaxis and
  /// diffusion). With zero-flux or periodic faces the transport change is round-off.
  std::vector<double> mass_initial, mass_final, mass_change_reaction, mass_change_transport;
  /// @brief Per species: changes made by the caller between calls (injuries applied to the
  /// fields), so that initial + reaction + transport + external - final is round-off.
  std::vector<double> mass_change_external;
};

/// @brief One species' line of the mass balance of an IntegratorStatistics.
struct MassBalanceRow {
  double initial = 0.0;
  double final_mass = 0.0;
  double reaction = 0.0;
  double transport = 0.0;
  double external = 0.0;
  double residual = 0.0;  ///< initial + reaction + transport + external - final
  /// residual / max(the row's largest term, @p reference_mass of mass_balance()): a species made
  /// and cleared again (net changes cancelling to round-off) is measured against the reference,
  /// not against round-off.
  double residual_relative = 0.0;
};

/// @brief The mass balance per species (empty when mass was not tracked). The one definition of
/// the residual, used by SplitIntegrator::report() and the run's manifest.
/// @param[in] reference_mass scale of a species' content, e.g. the block's volume at level 1 for
///            fields normalised to a reference level (mm^3 x unit)
std::vector<MassBalanceRow> mass_balance(const IntegratorStatistics& stats, double reference_mass);

/// @brief Told after every accepted step of advance_to(): the state at the start of the step and
/// its time, and the state at its end and its time (dense output: a caller interpolates between
/// the two for times inside the step instead of forcing the step to land there).
using StepObserver = std::function<void(const grid::FieldSet& start, double start_h,
                                        const grid::FieldSet& end, double end_h)>;

/// @brief Asked after every accepted step of advance_to() that did not land: true stops the call
/// there (a caller that was asked to stop, e.g. by a signal, saves the state and exits).
using StopRequest = std::function<bool()>;

/// @brief Strang-split, adaptive integrator. The parts are optional: a run without reactions or
/// without chemotaxis simply skips those stages.
///
/// Step control: err = max(reaction estimates, diffusion estimate), both O(h^2) local estimates,
/// so the next step is h * min(max_growth, max(max_shrink, safety * err^(-1/2))), clamped to
/// [dt_min_h, dt_max_h]. A step is rejected, and the fields restored from a copy taken at its
/// start, when err > 1, when a value is NaN/Inf (both shrink by the error formula or max_shrink),
/// or when a value is below -negative_tolerance * atol (halved; counted separately). Values are
/// never clamped. After a rejection the next step does not grow. A rejection of a step already
/// at dt_min_h throws core::NumericalError naming the species, voxel (i, j, k) and time.
///
/// Landing: if the rest of the interval is at most the proposed step it is taken in one step;
/// if it is less than two proposed steps it is taken in two even halves (no tiny last step).
/// t_h is then set to t_end_h itself. A step shortened this way does not shrink the proposal:
/// the next call starts from the step the controller wanted (or less, if the short step's error
/// asks for less), so frequent output times do not slow a run down.
///
/// Threads: every stage is deterministic, so results are bitwise identical at any thread count.
class SplitIntegrator {
 public:
  /// @pre the parts agree on the number of species, and control is sane (tolerances > 0,
  ///      0 < dt_min_h <= dt_max_h, 0 < safety <= 1, max_growth >= 1, 0 < max_shrink < 1,
  ///      negative_tolerance >= 0); throws core::InputError otherwise
  SplitIntegrator(DiffusionSolver diffusion, std::optional<ChemotaxisSolver> chemotaxis,
                  std::unique_ptr<ReactionStepper> reactions, StepControl control,
                  std::size_t num_species);

  /// @brief Advance @p fields from @p t_h to exactly @p t_end_h (t_h is updated). The last step
  /// is shortened to land on t_end_h; the step size carries over to the next call. With
  /// control.adaptive == false the interval is cut into the fewest even steps of at most
  /// dt_initial_h, with no rejection (as fixed_step).
  /// @pre t_end_h >= t_h, both finite; fields match the solvers (throws core::InputError)
  /// @throws core::NumericalError when the step falls below dt_min_h, or a NaN/Inf appears
  /// @p on_step, when given, is called after every accepted step (see StepObserver); it must not
  /// change the fields.
  /// @p stop, when given, is asked after every accepted step short of t_end_h (after on_step);
  /// when it says true the call returns there, with t_h < t_end_h. The state of the integration
  /// is then the fields, t_h and next_dt_h(): with adaptive control a later call to the same
  /// t_end_h from there takes the same steps as the uninterrupted call (restart and resume are
  /// bitwise); fixed steps cut the rest of the interval again, the same steps up to round-off.
  /// @return true when t_end_h was reached, false when @p stop ended the call early
  bool advance_to(grid::FieldSet& fields, double& t_h, double t_end_h,
                  const StepObserver& on_step = {}, const StopRequest& stop = {});

  /// @brief Take one step of exactly @p dt_h with no control (tests and convergence studies).
  /// Nothing is rejected or restored: negative values stay. A NaN/Inf still throws
  /// core::NumericalError (the fields then hold it).
  void fixed_step(grid::FieldSet& fields, double dt_h);

  /// @brief Track the mass balance (costs one extra pass per stage); on by default.
  void set_track_mass(bool on) { _track_mass = on; }

  const IntegratorStatistics& statistics() const { return _stats; }
  const core::StageTimer& timer() const { return _timer; }
  /// @brief The step size the next step will try.
  double next_dt_h() const { return _dt_next_h; }

  /// @brief Restart the step size at @p dt_h (clamped to [dt_min_h, dt_max_h]) after a
  /// discontinuity the caller made in the fields (an injury): the step the controller wanted for
  /// the smooth solution before it says nothing about the one after, and trying it would only be
  /// rejected, several times over.
  void restart_step(double dt_h);

  /// @brief The end-of-run report: time per stage, voxel-species updates per second, step
  /// statistics and mass balance per species.
  std::string report(const std::vector<std::string>& species_names) const;

  /// @brief The step-size control in use.
  const StepControl& control() const { return _control; }

 private:
  struct Attempt;
  /// @brief Run the five stages R C D C R on @p fields in place, then the NaN/negative check.
  Attempt attempt(grid::FieldSet& fields, double dt_h);
  /// @brief Book an accepted attempt of @p dt_h into the statistics.
  void accept(const Attempt& result, double dt_h);
  /// @brief Per-species integrals of @p fields (deterministic), timed as a stage: the species
  /// marked in @p changed are summed (all in one pass over the planes), the others are taken
  /// from @p unchanged (a stage that cannot change a species leaves its integral exact).
  std::vector<double> masses(const grid::FieldSet& fields, const std::vector<char>& changed,
                             const std::vector<double>& unchanged);
  /// @brief Start mass tracking on the first call, and book changes made between calls.
  void begin_call(const grid::FieldSet& fields);
  /// @brief Shared fixed-step path (fixed_step and advance_to without control): no rollback.
  void uncontrolled_step(grid::FieldSet& fields, double dt_h, double t_h);
  /// @brief The adaptive path of advance_to.
  bool advance_adaptive(grid::FieldSet& fields, double& t_h, double t_end_h,
                        const StepObserver& on_step, const StopRequest& stop);
  /// @brief Copy @p fields into the saved state (allocated on first use), timed.
  void save_state(const grid::FieldSet& fields);
  DiffusionSolver _diffusion;
  std::optional<ChemotaxisSolver> _chemotaxis;
  std::unique_ptr<ReactionStepper> _reactions;
  StepControl _control;
  ErrorWeights _weights;
  std::size_t _num_species;
  double _dt_next_h;
  bool _track_mass = true;
  IntegratorStatistics _stats;
  core::StageTimer _timer;
  std::size_t _num_voxels;
  std::vector<double> _mass_now;  // integrals after the last accepted step (mass tracking only)
  // Which species each stage can change, for the mass balance: all (reactions, and between
  // calls), the chemotactic cells, the mobile species.
  std::vector<char> _all_species, _cell_species, _mobile_species;
  std::optional<grid::FieldSet> _saved;  // state at the start of the step, for rejection
};

}  // namespace microheal::solver
