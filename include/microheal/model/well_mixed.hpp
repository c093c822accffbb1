#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "microheal/model/parameters.hpp"
#include "microheal/model/skin_kernel.hpp"
#include "microheal/model/species.hpp"
#include "microheal/solver/integrator.hpp"

/// @file
/// @brief The 0D (well-mixed) mode: the kinetics of one puncture zone, integrated by the real
/// solver (KernelReactionStepper<SkinKernel> inside a SplitIntegrator on a 1x1x1 grid with every
/// species immobile), so it shares every equation with the 3D model. Reproduces the notes'
/// 0D prototype (notes §4): I peak 4.7 h, N 17.9 h, M 41 h, F 4.7 d at 2.8x, swelling 16 h.

namespace microheal::model {

/// @brief What the well-mixed zone is and how tightly it is integrated.
struct WellMixedOptions {
  /// @brief Coefficients of the zone; default a fully vascularised dermis (V = 1, C0 = F0 = 1),
  /// the setting of the notes' prototype.
  VoxelCoefficients zone{1.0, 1.0, 1.0, 0.0};
  /// @brief Whether the puncture bled (adds the T_bleed bolus), as in the prototype.
  bool bleeding = true;
  /// @brief Step control; tighter than the 3D default because the zone is cheap and peak times
  /// are read off the result.
  solver::StepControl control{
      .rtol = 1e-6, .atol = 1e-9, .dt_initial_h = 1e-3, .dt_min_h = 1e-9, .dt_max_h = 2.0};
};

/// @brief Time series of a well-mixed run: the state at t = 0 and at every requested time.
class WellMixedSeries {
 public:
  WellMixedSeries(std::vector<double> times_h, std::array<std::vector<double>, num_species> values,
                  std::vector<double> redness);

  /// @brief Sample times in hours (the first is 0).
  const std::vector<double>& times_h() const { return _times_h; }
  /// @brief Samples of species @p s, one per time.
  const std::vector<double>& values(Species s) const { return _values[index(s)]; }
  /// @brief Redness index E = I/(K_E + I) per time.
  const std::vector<double>& redness() const { return _redness; }

  /// @brief Time of the maximum of @p s, refined by the parabola through the largest sample and
  /// its two neighbours (the largest sample's time when it is the first or last).
  double peak_time_h(Species s) const;
  /// @brief Value of the maximum of @p s (from the same parabola).
  double peak_value(Species s) const;
  /// @brief First time after the peak at which @p s falls below @p fraction of its peak value
  /// (linear interpolation between samples); nothing if it never does within the series.
  std::optional<double> time_below_fraction_h(Species s, double fraction) const;
  /// @brief First time after the peak at which @p s falls below @p level (same interpolation).
  std::optional<double> time_below_level_h(Species s, double level) const;

 private:
  std::vector<double> _times_h;
  std::array<std::vector<double>, num_species> _values;
  std::vector<double> _redness;
};

/// @brief Run the well-mixed puncture zone (notes §4: d0 = 1, T0 = T_bleed if bleeding, F and Cm
/// reduced by phi_fib, n = 0 where epidermal) from t = 0 through @p output_times_h.
/// @param[in] p model parameters
/// @param[in] output_times_h strictly increasing times in hours, all > 0
/// @param[in] options zone coefficients, bleeding and step control
/// @pre output_times_h non-empty, positive and strictly increasing (throws core::InputError)
/// @throws core::NumericalError when the integrator fails
WellMixedSeries run_well_mixed(const Parameters& p, std::span<const double> output_times_h,
                               const WellMixedOptions& options = {});

}  // namespace microheal::model
