#include "microheal/simulation/run.hpp"

#include <chrono>
#include <utility>

#include "microheal/model/species.hpp"

namespace microheal::simulation {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<Column> profile_columns() {
  return {{"time_h", "h"},          {"depth_mm", "mm"},         {"new_collagen", "1"},
          {"mature_collagen", "1"}, {"baseline_collagen", "1"}, {"relative_collagen", "1"}};
}

}  // namespace

Recorder::Recorder(const Simulation& simulation)
    : _calculator(simulation), _outputs(observables_columns()), _profiles(profile_columns()) {}

Observer Recorder::observer() {
  return [this](const Simulation& simulation, const Observation& observation) {
    record(simulation, observation);
  };
}

void Recorder::record(const Simulation& simulation, const Observation& observation) {
  _series.push_back(_calculator.compute(simulation));
  if (!observation.output)
    return;
  _outputs.add_row(observables_row(_series.back()));
  for (const CollagenDepthSample& plane : _calculator.collagen_depth_profile(simulation)) {
    _profiles.add_row({observation.time_h, plane.depth_mm, plane.new_collagen,
                       plane.mature_collagen, plane.baseline, plane.relative()});
  }
}

TimeSeriesTable Recorder::series_table() const {
  TimeSeriesTable table(observables_columns());
  for (const Observables& o : _series)
    table.add_row(observables_row(o));
  return table;
}

RunResult run_protocol(const SimulationSpec& spec) {
  Simulation simulation(spec);
  Recorder recorder(simulation);
  simulation.add_observer(recorder.observer());
  const auto start = std::chrono::steady_clock::now();
  simulation.run();
  RunResult result;
  result.wall_seconds = seconds_since(start);
  result.outputs = recorder.outputs();
  result.collagen_profiles = recorder.collagen_profiles();
  result.samples = recorder.series_table();
  result.metrics = compute_metrics(recorder.series(), simulation.session_times_h());
  result.warnings = simulation.warnings();
  result.statistics = simulation.integrator().statistics();
  result.integrator_report = simulation.integrator().report(model::species_names());
  return result;
}

ProtocolBenchmark run_protocol_benchmark(const SimulationSpec& spec) {
  const auto setup = std::chrono::steady_clock::now();
  Simulation simulation(spec);
  Recorder recorder(simulation);
  simulation.add_observer(recorder.observer());
  ProtocolBenchmark bench;
  bench.setup_seconds = seconds_since(setup);
  const auto start = std::chrono::steady_clock::now();
  simulation.run();
  bench.wall_seconds = seconds_since(start);

  const grid::Grid& grid = simulation.grid();
  const solver::IntegratorStatistics& stats = simulation.integrator().statistics();
  bench.dimensions = spec.domain.dimensions;
  bench.extent = grid.extent();
  bench.num_voxels = grid.num_voxels();
  bench.simulated_days = spec.protocol.duration_days;
  bench.steps_accepted = stats.steps_accepted;
  bench.steps_rejected = stats.steps_rejected_error + stats.steps_rejected_negative;
  bench.ms_per_step = stats.steps_accepted > 0
                          ? 1e3 * bench.wall_seconds / static_cast<double>(stats.steps_accepted)
                          : 0.0;
  const double integrator_seconds = simulation.integrator().timer().total_seconds();
  bench.voxel_species_updates_per_second =
      integrator_seconds > 0.0
          ? static_cast<double>(stats.steps_accepted) * static_cast<double>(grid.num_voxels()) *
                static_cast<double>(model::num_species) / integrator_seconds
          : 0.0;
  bench.metrics = compute_metrics(recorder.series(), simulation.session_times_h());
  bench.integrator_report = simulation.integrator().report(model::species_names());
  return bench;
}

model::WellMixedOptions well_mixed_options(const SimulationSpec& spec, geometry::Layer zone) {
  const geometry::Tissue tissue(spec.tissue);
  const geometry::LayerProperties& layer = tissue.properties(zone);
  model::WellMixedOptions options;
  options.zone = {layer.vessel_density, layer.baseline_collagen, layer.baseline_fibroblasts,
                  layer.keratinocytes ? 1.0 : 0.0};
  const geometry::Protocol protocol(spec.protocol);
  options.bleeding = protocol.num_sessions() > 0 &&
                     protocol.needle_for_session(0).effective_depth_mm() > tissue.plexus_depth_mm();
  return options;
}

}  // namespace microheal::simulation
