#pragma once

#include <array>
#include <string>
#include <vector>

#include "microheal/core/types.hpp"
#include "microheal/geometry/tissue.hpp"
#include "microheal/model/well_mixed.hpp"
#include "microheal/simulation/metrics.hpp"
#include "microheal/simulation/observables.hpp"
#include "microheal/simulation/simulation.hpp"
#include "microheal/simulation/simulation_spec.hpp"
#include "microheal/solver/integrator.hpp"

/// @file
/// @brief Running a protocol end to end: an observer that records observables, the one-call
/// run_protocol(), the benchmark figures, and the 0D (well-mixed) mode of a spec.

namespace microheal::simulation {

/// @brief Records observables of a simulation: every observation point into the dense series
/// (metrics), output times also into the output table and the collagen depth profile.
class Recorder {
 public:
  /// @brief Precomputes the weights of @p simulation's grid.
  explicit Recorder(const Simulation& simulation);

  /// @brief An observer to register with Simulation::add_observer; it refers to this Recorder,
  /// which must outlive the run.
  Observer observer();

  /// @brief Every observation in time order (before/after sessions, samples, outputs).
  const std::vector<Observables>& series() const { return _series; }
  /// @brief Observables at the output times (observables_columns()).
  const TimeSeriesTable& outputs() const { return _outputs; }
  /// @brief The collagen depth profile at the output times, one row per (time, plane): time_h,
  /// depth_mm, new, mature, baseline, relative.
  const TimeSeriesTable& collagen_profiles() const { return _profiles; }
  /// @brief The dense series as a table (observables_columns()).
  TimeSeriesTable series_table() const;

 private:
  void record(const Simulation& simulation, const Observation& observation);

  ObservableCalculator _calculator;
  std::vector<Observables> _series;
  TimeSeriesTable _outputs;
  TimeSeriesTable _profiles;
};

/// @brief Everything a finished run reports.
struct RunResult {
  TimeSeriesTable outputs;            ///< observables at the output times
  TimeSeriesTable collagen_profiles;  ///< collagen depth profile at the output times
  TimeSeriesTable samples;            ///< the dense metric series
  Metrics metrics;
  std::vector<std::string> warnings;
  solver::IntegratorStatistics statistics;
  std::string integrator_report;  ///< stage times, throughput, steps, mass balance
  double wall_seconds = 0.0;
};

/// @brief Build a Simulation from @p spec, record, run to the end and compute the metrics.
/// @throws core::InputError for an invalid spec, core::NumericalError from the integrator
RunResult run_protocol(const SimulationSpec& spec);

/// @brief Figures of a protocol run (`microheal bench model`).
struct ProtocolBenchmark {
  int dimensions = 3;
  std::array<Index, 3> extent{};
  Index num_voxels = 0;
  double simulated_days = 0.0;
  double setup_seconds = 0.0;  ///< building the simulation (grids, coefficients, solvers)
  double wall_seconds = 0.0;   ///< the run itself, observers included
  long steps_accepted = 0;
  long steps_rejected = 0;
  double ms_per_step = 0.0;
  /// Accepted steps x voxels x species per second of integrator time.
  double voxel_species_updates_per_second = 0.0;
  Metrics metrics;
  std::string integrator_report;
};

/// @brief Run @p spec as run_protocol() does and return wall time, steps and metrics.
ProtocolBenchmark run_protocol_benchmark(const SimulationSpec& spec);

/// @brief The 0D (well-mixed) mode of @p spec: the puncture zone has the coefficients of
/// @p zone in the spec's tissue (the tissue stays the only source of per-layer values) and
/// bleeds when the first session's needle reaches below the plexus. The step control is the
/// well-mixed default (tighter than 3D; the zone is cheap).
model::WellMixedOptions well_mixed_options(
    const SimulationSpec& spec, geometry::Layer zone = geometry::Layer::papillary_dermis);

}  // namespace microheal::simulation
