#include "microheal/model/well_mixed.hpp"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/kernel_reaction_stepper.hpp"

namespace microheal::model {

namespace {

struct Peak {
  double time_h;
  double value;
  std::size_t sample;
};

Peak find_peak(const std::vector<double>& t, const std::vector<double>& y) {
  const auto largest =
      static_cast<std::size_t>(std::distance(y.begin(), std::max_element(y.begin(), y.end())));
  if (largest == 0 || largest + 1 >= y.size())
    return {t[largest], y[largest], largest};
  // Vertex of the parabola through three (possibly unevenly spaced) samples.
  const double t0 = t[largest - 1], t1 = t[largest], t2 = t[largest + 1];
  const double y0 = y[largest - 1], y1 = y[largest], y2 = y[largest + 1];
  const double s01 = (y1 - y0) / (t1 - t0);
  const double s12 = (y2 - y1) / (t2 - t1);
  const double curvature = (s12 - s01) / (t2 - t0);  // second divided difference
  if (!(curvature < 0.0))
    return {t1, y1, largest};
  // y(t) = y1 + s01 (t - t1) + curvature (t - t1)(t - t0), so y'(t) = 0 at:
  const double vertex = (t1 + t0) / 2.0 - s01 / (2.0 * curvature);
  const double value = y1 + s01 * (vertex - t1) + curvature * (vertex - t1) * (vertex - t0);
  return {vertex, value, largest};
}

}  // namespace

WellMixedSeries::WellMixedSeries(std::vector<double> times_h,
                                 std::array<std::vector<double>, num_species> values,
                                 std::vector<double> redness)
    : _times_h(std::move(times_h)), _values(std::move(values)), _redness(std::move(redness)) {}

double WellMixedSeries::peak_time_h(Species s) const {
  return find_peak(_times_h, _values[index(s)]).time_h;
}

double WellMixedSeries::peak_value(Species s) const {
  return find_peak(_times_h, _values[index(s)]).value;
}

std::optional<double> WellMixedSeries::time_below_fraction_h(Species s, double fraction) const {
  return time_below_level_h(s, fraction * peak_value(s));
}

std::optional<double> WellMixedSeries::time_below_level_h(Species s, double level) const {
  const std::vector<double>& y = _values[index(s)];
  const Peak peak = find_peak(_times_h, y);
  for (std::size_t i = peak.sample + 1; i < y.size(); ++i) {
    if (y[i] < level) {
      const double t0 = _times_h[i - 1];
      const double t1 = _times_h[i];
      const double y0 = y[i - 1];
      return t0 + (t1 - t0) * (y0 - level) / (y0 - y[i]);
    }
  }
  return std::nullopt;
}

WellMixedSeries run_well_mixed(const Parameters& p, std::span<const double> output_times_h,
                               const WellMixedOptions& options) {
  if (output_times_h.empty()) {
    throw core::InputError("well-mixed run: no output times given");
  }
  for (std::size_t i = 0; i < output_times_h.size(); ++i) {
    const double previous = i == 0 ? 0.0 : output_times_h[i - 1];
    if (!(output_times_h[i] > previous)) {
      throw core::InputError(
          "well-mixed run: output times must be > 0 and strictly increasing; "
          "time " +
          std::to_string(i) + " is " + std::to_string(output_times_h[i]) + " h after " +
          std::to_string(previous) + " h");
    }
  }

  const grid::Grid zone_grid = grid::Grid::uniform({1, 1, 1}, 1.0);
  grid::FieldSet fields(zone_grid, species_names());
  const SkinKernel::State initial = punctured_state(options.zone, options.bleeding, p);
  for (std::size_t s = 0; s < num_species; ++s)
    fields.fill(s, initial(static_cast<int>(s)));

  // The coefficients must outlive the stepper, which holds views of them.
  CoefficientFields coefficients(zone_grid.num_voxels());
  coefficients.set(0, options.zone);

  // One voxel: every species immobile, so the transport stage is the identity and the run is
  // exactly the kinetics of SkinKernel under the solver's reaction stepper.
  std::vector<solver::DiffusionSpec> immobile = diffusion_specs(p, grid::Boundary::zero_flux());
  for (solver::DiffusionSpec& spec : immobile)
    spec.mobile = false;
  solver::SplitIntegrator integrator(solver::DiffusionSolver(zone_grid, std::move(immobile)),
                                     std::nullopt,
                                     std::make_unique<solver::KernelReactionStepper<SkinKernel>>(
                                         zone_grid, SkinKernel(p), coefficients.spans()),
                                     options.control, num_species);
  integrator.set_track_mass(false);

  std::vector<double> times;
  std::array<std::vector<double>, num_species> values;
  std::vector<double> redness_series;
  times.reserve(output_times_h.size() + 1);
  for (auto& series : values)
    series.reserve(output_times_h.size() + 1);
  redness_series.reserve(output_times_h.size() + 1);
  const auto record = [&](double t_h) {
    times.push_back(t_h);
    for (std::size_t s = 0; s < num_species; ++s)
      values[s].push_back(fields[s][0]);
    redness_series.push_back(redness(fields[index(Species::cytokine)][0], p));
  };

  double t_h = 0.0;
  record(t_h);
  for (const double t_out : output_times_h) {
    integrator.advance_to(fields, t_h, t_out);
    record(t_h);
  }
  return WellMixedSeries(std::move(times), std::move(values), std::move(redness_series));
}

}  // namespace microheal::model
