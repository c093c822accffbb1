#include "microheal/simulation/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/core/text.hpp"
#include "microheal/grid/boundary.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/model/species.hpp"
#include "microheal/solver/chemotaxis.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/kernel_reaction_stepper.hpp"

namespace microheal::simulation {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
/// Slits: the row is rasterised on a y-periodic strip this many times thinner than the needle
/// radius. The periodic images of each needle then merge into a band whose half-width is within
/// (1/128)^2 / 2 = 3e-5 (relative) of the track radius, i.e. a slit.
constexpr double slit_strip_per_radius = 64.0;
/// Points of the midpoint rule for the exact slit cross-section (a reported figure only).
constexpr int slit_area_points = 4096;

std::string number(double value) {
  return core::message_text(value);
}

/// Rasterisation settings: the bleeding field comes back as a volume fraction (bolus 1), so the
/// size of the platelet bolus stays a model parameter (T_bleed) with one source.
geometry::RasterOptions raster_options() {
  geometry::RasterOptions options;
  options.bleeding_bolus = 1.0;
  return options;
}

/// Area of a slit's x-z cross-section, mm²: the integral of 2 R(z) over the track.
double slit_area_mm2(const geometry::NeedleSpec& needle, double depth_limit_mm) {
  const double depth = std::min(needle.effective_depth_mm(), depth_limit_mm);
  const double h = depth / slit_area_points;
  double area = 0.0;
  for (int q = 0; q < slit_area_points; ++q)
    area += 2.0 * needle.track_radius_mm((q + 0.5) * h) * h;
  return area;
}

model::CoefficientFields build_coefficients(const grid::Grid& grid,
                                            const geometry::Tissue& tissue) {
  const std::vector<double> vessels = tissue.vessel_density_profile(grid);
  const std::vector<double> collagen = tissue.baseline_collagen_profile(grid);
  const std::vector<double> fibroblasts = tissue.baseline_fibroblast_profile(grid);
  const std::vector<double> epidermis = tissue.keratinocyte_fraction_profile(grid);
  model::CoefficientFields coefficients(grid.num_voxels());
  const Index plane = grid.nx() * grid.ny();
  for (Index k = 0; k < grid.nz(); ++k) {
    const auto kk = static_cast<std::size_t>(k);
    const model::VoxelCoefficients values{vessels[kk], collagen[kk], fibroblasts[kk],
                                          epidermis[kk]};
    for (Index v = k * plane; v < (k + 1) * plane; ++v)
      coefficients.set(v, values);
  }
  return coefficients;
}

std::vector<double> per_voxel(const grid::Grid& grid, const std::vector<double>& per_plane) {
  const Index plane = grid.nx() * grid.ny();
  std::vector<double> values(static_cast<std::size_t>(grid.num_voxels()));
  for (Index k = 0; k < grid.nz(); ++k) {
    std::fill_n(values.begin() + k * plane, plane, per_plane[static_cast<std::size_t>(k)]);
  }
  return values;
}

grid::FieldSet homeostatic_fields(const grid::Grid& grid,
                                  const model::CoefficientFields& coefficients) {
  grid::FieldSet fields(grid, model::species_names());
  for (Index v = 0; v < grid.num_voxels(); ++v) {
    const model::SkinKernel::State u = model::SkinKernel::homeostasis(coefficients.at(v));
    for (std::size_t s = 0; s < model::num_species; ++s)
      fields[s][static_cast<std::size_t>(v)] = u(static_cast<int>(s));
  }
  return fields;
}

void add_statistics(solver::IntegratorStatistics& into, const solver::IntegratorStatistics& add) {
  const bool first = into.steps_accepted == 0;
  into.steps_accepted += add.steps_accepted;
  into.steps_rejected_error += add.steps_rejected_error;
  into.steps_rejected_negative += add.steps_rejected_negative;
  into.chemotaxis_sub_steps += add.chemotaxis_sub_steps;
  into.reaction_voxels_active += add.reaction_voxels_active;
  into.reaction_voxels_resting += add.reaction_voxels_resting;
  if (add.steps_accepted > 0) {
    into.dt_smallest_h =
        first ? add.dt_smallest_h : std::min(into.dt_smallest_h, add.dt_smallest_h);
    into.dt_largest_h = first ? add.dt_largest_h : std::max(into.dt_largest_h, add.dt_largest_h);
  }
  // Mass balances of the segments of a resumed run join: the first segment's initial mass, the
  // changes of all segments, the last one's final mass (each segment starts where the last ended).
  if (add.mass_initial.empty())
    return;
  if (into.mass_initial.size() != add.mass_initial.size() ||
      into.mass_change_reaction.size() != add.mass_change_reaction.size()) {
    into.mass_initial = add.mass_initial;
    into.mass_final = add.mass_final;
    into.mass_change_reaction = add.mass_change_reaction;
    into.mass_change_transport = add.mass_change_transport;
    into.mass_change_external = add.mass_change_external;
    return;
  }
  const auto accumulate = [](std::vector<double>& sum, const std::vector<double>& more) {
    for (std::size_t s = 0; s < sum.size() && s < more.size(); ++s)
      sum[s] += more[s];
  };
  accumulate(into.mass_change_reaction, add.mass_change_reaction);
  accumulate(into.mass_change_transport, add.mass_change_transport);
  accumulate(into.mass_change_external, add.mass_change_external);
  into.mass_final = add.mass_final;
}

}  // namespace

struct Simulation::Impl {
  SimulationSpec spec;
  geometry::Tissue tissue;
  geometry::Protocol protocol;
  grid::Grid grid;
  std::vector<double> session_times_h;
  // The reaction stepper holds views of these arrays: Impl lives on the heap and never moves.
  model::CoefficientFields coefficients;
  std::vector<double> solute_factor;
  grid::FieldSet homeostasis;
  grid::FieldSet fields;
  std::optional<solver::SplitIntegrator> integrator;
  double time_h = 0.0;
  int sessions_applied = 0;
  std::size_t next_output = 0;
  double next_sample_h = 0.0;
  std::optional<geometry::InjuryField> latest_injury;
  std::vector<std::string> warnings;
  std::vector<Observer> observers;
  solver::IntegratorStatistics statistics_before_restore;
  // What observers see: the state itself, or during an interpolated observation the scratch
  // state between two step ends.
  const grid::FieldSet* observed = nullptr;
  double observed_time_h = 0.0;
  std::optional<grid::FieldSet> interpolated;

  explicit Impl(SimulationSpec validated)
      : spec(std::move(validated)),
        tissue(spec.tissue),
        protocol(spec.protocol),
        grid(make_grid(spec.domain)),
        session_times_h(protocol.session_times_h()),
        coefficients(build_coefficients(grid, tissue)),
        solute_factor(per_voxel(grid, tissue.diffusivity_factor_profile(grid))),
        homeostasis(homeostatic_fields(grid, coefficients)),
        fields(homeostasis),
        observed(&fields) {
    build_integrator(spec.step_control.dt_initial_h);
    next_sample_h = spec.sampling.enabled ? 0.0 : infinity;
  }

  void build_integrator(double dt_initial_h) {
    const model::Parameters& p = spec.parameters;
    const grid::Boundary boundary = grid::Boundary::periodic_xy();
    solver::StepControl control = spec.step_control;
    control.dt_initial_h = std::clamp(dt_initial_h, control.dt_min_h, control.dt_max_h);
    integrator.reset();
    integrator.emplace(
        solver::DiffusionSolver(
            grid, model::diffusion_specs(p, grid, coefficients, boundary, solute_factor)),
        solver::ChemotaxisSolver(grid, model::chemotaxis_specs(p),
                                 std::vector<grid::Boundary>(model::num_species, boundary)),
        std::make_unique<solver::KernelReactionStepper<model::SkinKernel>>(
            grid, model::SkinKernel(p), coefficients.spans(), spec.rest_fraction),
        control, model::num_species);
  }

  double end_time_h() const { return protocol.duration_h(); }

  /// The first time of the sampling ladder after @p t_h (at most the end of the run; infinity
  /// when sampling is off or the run is over).
  double sample_after(double t_h) const {
    const SamplingSpec& sampling = spec.sampling;
    if (!sampling.enabled || t_h >= end_time_h())
      return infinity;
    const bool treated = sessions_applied > 0;
    const double anchor =
        treated ? session_times_h[static_cast<std::size_t>(sessions_applied - 1)] : 0.0;
    double band_start = 0.0;
    double next = infinity;
    const auto first_in_band = [&](double start, double until, double interval) {
      // Points start + n interval (n >= 1) up to until, then until itself; the first beyond t.
      const double offset = t_h - anchor;
      if (offset >= until)
        return infinity;
      auto n = static_cast<long>(std::floor((offset - start) / interval)) + 1;
      n = std::max(n, 1L);
      double candidate = anchor + std::min(until, start + static_cast<double>(n) * interval);
      while (candidate <= t_h)
        candidate = anchor + std::min(until, start + static_cast<double>(++n) * interval);
      return candidate;
    };
    if (treated) {
      for (const SamplingBand& band : sampling.after_session) {
        next = first_in_band(band_start, band.until_h, band.interval_h);
        if (next < infinity)
          break;
        band_start = band.until_h;
      }
    }
    if (next == infinity)
      next = first_in_band(band_start, infinity, sampling.interval_h);
    return std::min(next, end_time_h());
  }

  void notify(const Simulation& self, const Observation& observation) const {
    for (const Observer& observer : observers)
      observer(self, observation);
  }

  void process_events(const Simulation& self) {
    while (sessions_applied < protocol.num_sessions() &&
           session_times_h[static_cast<std::size_t>(sessions_applied)] <= time_h) {
      const int session = sessions_applied;
      notify(self, {time_h, Moment::before_session, false, false, session});
      apply_injury(session_injury(session));
      // A session is a discontinuity: the integrator restarts from the first step, as after t = 0.
      integrator->restart_step(spec.step_control.dt_initial_h);
      ++sessions_applied;
      next_sample_h = sample_after(time_h);
      notify(self, {time_h, Moment::after_session, false, false, session});
    }
    bool output = false;
    while (next_output < spec.output_times_h.size() && spec.output_times_h[next_output] <= time_h) {
      output = true;
      ++next_output;
    }
    bool sample = false;
    if (next_sample_h <= time_h) {
      sample = true;
      next_sample_h = sample_after(time_h);
    }
    if (output || sample)
      notify(self, {time_h, Moment::scheduled, output, sample, -1});
  }

  /// Observe the sample times of the step from @p start_h to @p end_h that lie before its end
  /// (or at its end when @p end_h is not a landing time, where process_events looks), on the
  /// state interpolated linearly between @p start and @p end: second order, as the scheme.
  void observe_inside_step(const Simulation& self, const grid::FieldSet& start, double start_h,
                           const grid::FieldSet& end, double end_h, double landing_h) {
    while (next_sample_h < end_h || (next_sample_h == end_h && end_h < landing_h)) {
      const double sample_h = next_sample_h;
      const double theta = (sample_h - start_h) / (end_h - start_h);
      if (!interpolated || interpolated->grid().extent() != end.grid().extent())
        interpolated.emplace(end);
      interpolated->assign_interpolated(start, end, theta);
      observed = &*interpolated;
      observed_time_h = sample_h;
      Observation observation{sample_h, Moment::scheduled, false, true, -1};
      observation.interpolated = true;
      notify(self, observation);
      observed = &fields;
      next_sample_h = sample_after(sample_h);
    }
  }

  std::vector<geometry::Puncture> session_punctures(int session) const {
    const geometry::NeedleSpec needle = protocol.needle_for_session(session);
    if (!uses_slits(spec.domain))
      return geometry::place_punctures(needle, geometry::Tile::of(grid), session).punctures;
    const geometry::NeedleSpec row_needle = slit_row_needle(needle);
    std::vector<geometry::Puncture> row =
        geometry::place_punctures(row_needle, layout_tile(spec.domain, row_needle), session)
            .punctures;
    const double centre_y_mm =
        grid.origin_mm()[1] + 0.5 * static_cast<double>(grid.ny()) * grid.spacing_mm(grid::Axis::y);
    for (geometry::Puncture& puncture : row)
      puncture.y_mm = centre_y_mm;
    return row;
  }

  geometry::InjuryField session_injury(int session) const {
    const geometry::NeedleSpec needle = protocol.needle_for_session(session);
    const double plexus_mm = tissue.plexus_depth_mm();
    if (!uses_slits(spec.domain))
      return geometry::rasterise_session(needle, grid, session, plexus_mm, raster_options());

    // Slits: the row's punctures on a strip much thinner than the needle, periodic in y, where
    // every needle and its images merge into a band through the whole strip; then extruded.
    const geometry::NeedleSpec row_needle = slit_row_needle(needle);
    const geometry::PunctureLayout layout =
        geometry::place_punctures(row_needle, layout_tile(spec.domain, row_needle), session);
    const double strip_mm = needle.radius_mm() / slit_strip_per_radius;
    const grid::Grid strip({grid.nx(), 1, grid.nz()}, {grid.spacing_mm(grid::Axis::x), strip_mm,
                                                       grid.spacing_mm(grid::Axis::z)});
    std::vector<geometry::Puncture> row = layout.punctures;
    for (geometry::Puncture& puncture : row)
      puncture.y_mm = 0.5 * strip_mm;
    const geometry::InjuryField section =
        geometry::rasterise(needle, strip, row, plexus_mm, raster_options());

    geometry::InjuryField injury;
    const auto voxels = static_cast<std::size_t>(grid.num_voxels());
    injury.track_fraction.resize(voxels);
    injury.damage.resize(voxels);
    injury.bleeding.resize(voxels);
    const Index nx = grid.nx();
    for (Index k = 0; k < grid.nz(); ++k) {
      for (Index j = 0; j < grid.ny(); ++j) {
        for (Index i = 0; i < nx; ++i) {
          const auto from = static_cast<std::size_t>(i + nx * k);
          const auto to = static_cast<std::size_t>(grid.index(i, j, k));
          injury.track_fraction[to] = section.track_fraction[from];
          injury.damage[to] = section.damage[from];
          injury.bleeding[to] = section.bleeding[from];
        }
      }
    }
    injury.punctures = std::move(row);
    injury.requested_density_per_cm2 = layout.requested_density_per_cm2;
    injury.expected_density_per_cm2 = layout.expected_density_per_cm2;
    injury.realised_density_per_cm2 = layout.realised_density_per_cm2;
    injury.effective_depth_mm = needle.effective_depth_mm();
    const double depth_mm = static_cast<double>(grid.nz()) * grid.spacing_mm(grid::Axis::z);
    const double length_y_mm = static_cast<double>(grid.ny()) * grid.spacing_mm(grid::Axis::y);
    injury.analytic_track_volume_mm3 = static_cast<double>(injury.punctures.size()) *
                                       slit_area_mm2(needle, depth_mm) * length_y_mm;
    double fraction_sum = 0.0;
    for (const double f : injury.track_fraction)
      fraction_sum += f;
    injury.rasterised_track_volume_mm3 = fraction_sum * grid.voxel_volume_mm3();
    return injury;
  }

  void apply_injury(geometry::InjuryField injury) {
    const auto voxels = static_cast<std::size_t>(grid.num_voxels());
    if (injury.track_fraction.size() != voxels || injury.damage.size() != voxels ||
        injury.bleeding.size() != voxels) {
      throw core::InputError("apply_injury: the injury arrays must have one value per voxel (" +
                             std::to_string(voxels) + ")");
    }
    const model::Parameters& p = spec.parameters;
    model::SkinKernel::State u;
    for (std::size_t v = 0; v < voxels; ++v) {
      const model::VoxelInjury hit{injury.track_fraction[v], injury.damage[v], injury.bleeding[v]};
      if (hit.track_fraction == 0.0 && hit.damage == 0.0 && hit.bleeding == 0.0)
        continue;
      for (std::size_t s = 0; s < model::num_species; ++s)
        u(static_cast<int>(s)) = fields[s][v];
      const model::SkinKernel::State hurt = model::injured_state(u, hit, p);
      for (std::size_t s = 0; s < model::num_species; ++s)
        fields[s][v] = hurt(static_cast<int>(s));
    }
    latest_injury = std::move(injury);
  }

  void collect_warnings() {
    if (const auto warning = model::loop_gain_warning(spec.parameters))
      warnings.push_back(*warning);
    if (const auto warning = model::aggregation_warning(spec.parameters))
      warnings.push_back(*warning);
    for (int s = 0; s < protocol.num_sessions(); ++s) {
      const geometry::NeedleSpec needle = protocol.needle_for_session(s);
      const double coarsest =
          std::max(grid.spacing_mm(grid::Axis::x), grid.spacing_mm(grid::Axis::z));
      if (coarsest > needle.diameter_mm) {
        warnings.push_back("voxels of up to " + number(coarsest) +
                           " mm are coarser than the needle diameter of session " +
                           std::to_string(s) + " (" + number(needle.diameter_mm) +
                           " mm): the injured volume is exact (supersampled), but each track is "
                           "smeared over its voxels and track means mix in untouched tissue");
        break;
      }
    }
  }
};

Simulation::Simulation(SimulationSpec spec) {
  spec.validate();
  _impl = std::make_unique<Impl>(std::move(spec));
  _impl->collect_warnings();
}

Simulation::~Simulation() = default;
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;

const SimulationSpec& Simulation::spec() const {
  return _impl->spec;
}
const geometry::Tissue& Simulation::tissue() const {
  return _impl->tissue;
}
const geometry::Protocol& Simulation::protocol() const {
  return _impl->protocol;
}
const grid::Grid& Simulation::grid() const {
  return _impl->grid;
}
const model::CoefficientFields& Simulation::coefficients() const {
  return _impl->coefficients;
}
const grid::FieldSet& Simulation::homeostasis() const {
  return _impl->homeostasis;
}
const grid::FieldSet& Simulation::fields() const {
  return *_impl->observed;
}
double Simulation::time_h() const {
  return _impl->observed == &_impl->fields ? _impl->time_h : _impl->observed_time_h;
}
double Simulation::end_time_h() const {
  return _impl->end_time_h();
}
int Simulation::sessions_applied() const {
  return _impl->sessions_applied;
}
std::span<const double> Simulation::session_times_h() const {
  return _impl->session_times_h;
}
const geometry::InjuryField* Simulation::latest_injury() const {
  return _impl->latest_injury ? &*_impl->latest_injury : nullptr;
}
const std::vector<std::string>& Simulation::warnings() const {
  return _impl->warnings;
}
double Simulation::loop_gain() const {
  return model::inflammatory_loop_gain(_impl->spec.parameters);
}
const solver::SplitIntegrator& Simulation::integrator() const {
  return *_impl->integrator;
}
const solver::IntegratorStatistics& Simulation::statistics_before_restore() const {
  return _impl->statistics_before_restore;
}

void Simulation::add_observer(Observer observer) {
  _impl->observers.push_back(std::move(observer));
}

bool Simulation::advance_to(double t_h, const solver::StopRequest& stop) {
  Impl& s = *_impl;
  if (!(std::isfinite(t_h) && t_h >= s.time_h && t_h <= s.end_time_h())) {
    throw core::InputError("simulation: cannot advance from t = " + number(s.time_h) +
                           " h to t = " + number(t_h) + " h (the run ends at " +
                           number(s.end_time_h()) + " h)");
  }
  s.process_events(*this);
  while (s.time_h < t_h) {
    // Checked between landings too: a step that lands is followed by its events before the stop,
    // so a resumed run never processes an event twice or skips one.
    if (stop && stop())
      return false;
    double next = t_h;
    if (s.sessions_applied < s.protocol.num_sessions())
      next = std::min(next, s.session_times_h[static_cast<std::size_t>(s.sessions_applied)]);
    if (s.next_output < s.spec.output_times_h.size())
      next = std::min(next, s.spec.output_times_h[s.next_output]);
    bool reached = false;
    try {
      reached = s.integrator->advance_to(
          s.fields, s.time_h, next,
          [&](const grid::FieldSet& start, double start_h, const grid::FieldSet& end,
              double end_h) { s.observe_inside_step(*this, start, start_h, end, end_h, next); },
          stop);
    } catch (core::NumericalError& error) {
      // The solver knows voxels, not tissue: add the layer and depth of the failing plane.
      if (const auto& where = error.location()) {
        const Index k = where->voxel[2];
        const std::vector<geometry::Layer> layers = s.tissue.plane_layers(s.grid);
        if (k >= 0 && k < static_cast<Index>(layers.size())) {
          error.set_layer(std::string(geometry::layer_name(layers[static_cast<std::size_t>(k)])),
                          s.grid.center_mm(grid::Axis::z, k));
        }
      }
      throw;
    }
    if (!reached)
      return false;
    s.process_events(*this);
  }
  return true;
}

bool Simulation::run(const solver::StopRequest& stop) {
  return advance_to(end_time_h(), stop);
}

geometry::InjuryField Simulation::session_injury(int session) const {
  return _impl->session_injury(session);
}

std::vector<geometry::Puncture> Simulation::session_punctures(int session) const {
  return _impl->session_punctures(session);
}

void Simulation::apply_injury(geometry::InjuryField injury) {
  _impl->apply_injury(std::move(injury));
}

SimulationState Simulation::state() const {
  solver::IntegratorStatistics statistics = _impl->statistics_before_restore;
  add_statistics(statistics, _impl->integrator->statistics());
  return SimulationState{_impl->time_h, _impl->sessions_applied, _impl->fields,
                         _impl->integrator->next_dt_h(), std::move(statistics)};
}

void Simulation::restore(SimulationState state) {
  Impl& s = *_impl;
  if (state.fields.grid().extent() != s.grid.extent() ||
      state.fields.num_species() != model::num_species) {
    throw core::InputError("simulation restore: the checkpoint's fields do not match the grid (" +
                           std::to_string(s.grid.nx()) + " x " + std::to_string(s.grid.ny()) +
                           " x " + std::to_string(s.grid.nz()) + ") and the " +
                           std::to_string(model::num_species) + " model species");
  }
  if (!(std::isfinite(state.time_h) && state.time_h >= 0.0 && state.time_h <= s.end_time_h()) ||
      state.sessions_applied < 0 || state.sessions_applied > s.protocol.num_sessions() ||
      !(state.next_dt_h > 0.0)) {
    throw core::InputError("simulation restore: time, session index or next step out of range");
  }
  s.fields.copy_from(state.fields);
  s.time_h = state.time_h;
  s.sessions_applied = state.sessions_applied;
  // Events at the checkpoint time were processed before it was taken.
  s.next_output = 0;
  while (s.next_output < s.spec.output_times_h.size() &&
         s.spec.output_times_h[s.next_output] <= s.time_h) {
    ++s.next_output;
  }
  s.next_sample_h = s.sample_after(s.time_h);
  s.latest_injury.reset();
  if (s.sessions_applied > 0)
    s.latest_injury = s.session_injury(s.sessions_applied - 1);
  s.statistics_before_restore = std::move(state.statistics);
  s.build_integrator(state.next_dt_h);
}

}  // namespace microheal::simulation
