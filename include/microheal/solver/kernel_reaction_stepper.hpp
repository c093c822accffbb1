#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/core/types.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/error_weights.hpp"
#include "microheal/solver/reaction.hpp"
#include "microheal/solver/small_lu.hpp"

/// @file
/// @brief The per-voxel stiff integrator for a reaction kernel: one step of the two-stage,
/// L-stable, second-order Rosenbrock method ROS2 (Verwer, Spee, Blom & Hundsdorfer 1999,
/// SIAM J Sci Comput 20:1456) in every voxel, with an embedded first-order error estimate.
///
///   W = I - gamma h J(u),  gamma = 1 + 1/sqrt(2)
///   W k1 = f(u),  W k2 = f(u + h k1) - 2 k1,  u+ = u + 3/2 h k1 + 1/2 h k2
///   error estimate: u+ - (u + h k1) = h/2 (k1 + k2)   (O(h^2) per step)
///
/// ROS2 is second order for any matrix in W (a W-method), so an approximate kernel Jacobian costs
/// accuracy of the error estimate only, not order. Its stability function
/// R(z) = (1 + (1 - 2 gamma) z) / (1 - gamma z)^2 lies in (0, 1) for real z < 0 and tends to 0 at
/// -infinity, so linear decay of any stiffness is never overshot into negative values.

namespace microheal::solver {

/// @brief Drives a ReactionKernel over all voxels with one ROS2 step per voxel.
///
/// Resting voxels: the rates are evaluated first, and a voxel whose change over the step would be
/// negligible, h |f_s| <= rest_fraction * (atol_s + rtol_s |u_s|) for every species s, is left
/// unchanged (no Jacobian, no LU). At exact homeostasis f = 0, so skipping it is exact and nothing
/// drifts; elsewhere the change skipped per step is below rest_fraction of the tolerance. A NaN
/// rate never passes that test, so a NaN is always integrated and ends up in the field.
///
/// Determinism: every voxel is computed independently and the only reductions are a maximum and
/// integer counts, so the result is bitwise identical at any thread count.
template <ReactionKernel K>
class KernelReactionStepper final : public ReactionStepper {
 public:
  static constexpr int species_count = K::num_species;
  static constexpr int coefficient_count = K::num_coefficients;
  using State = Eigen::Matrix<double, species_count, 1>;
  using Jacobian = Eigen::Matrix<double, species_count, species_count>;
  /// @brief The diagonal blocks of the kernel's Jacobian (see SmallLu): K::jacobian_block_end
  /// when the kernel declares one, else one dense block.
  static constexpr std::array<int, static_cast<std::size_t>(species_count)> block_end = [] {
    if constexpr (requires { K::jacobian_block_end; }) {
      return K::jacobian_block_end;
    } else {
      return dense_block_end<species_count>();
    }
  }();

  /// @param[in] grid the grid of the fields this stepper will advance
  /// @param[in] kernel the pointwise reaction description (copied; it holds the parameters)
  /// @param[in] coefficients K::num_coefficients position-dependent coefficient fields, each
  ///            grid.num_voxels() long; the memory must outlive the stepper
  /// @param[in] rest_fraction a voxel rests when its change over the step is below this fraction
  ///            of its error tolerance (>= 0; 0 skips only voxels with f exactly 0)
  /// @pre coefficients.size() == K::num_coefficients, every field grid.num_voxels() long, and
  ///      0 <= rest_fraction < 1 (throws core::InputError otherwise)
  KernelReactionStepper(const grid::Grid& grid, K kernel,
                        std::vector<std::span<const double>> coefficients,
                        double rest_fraction = 1e-3)
      : _num_voxels(grid.num_voxels()),
        _kernel(std::move(kernel)),
        _coefficients(std::move(coefficients)),
        _rest_fraction(rest_fraction) {
    if (_coefficients.size() != static_cast<std::size_t>(coefficient_count)) {
      throw core::InputError("reaction stepper: the kernel takes " +
                             std::to_string(coefficient_count) + " coefficient fields, got " +
                             std::to_string(_coefficients.size()));
    }
    for (std::size_t q = 0; q < _coefficients.size(); ++q) {
      if (_coefficients[q].size() != static_cast<std::size_t>(_num_voxels)) {
        throw core::InputError("reaction stepper: coefficient field " + std::to_string(q) +
                               " has " + std::to_string(_coefficients[q].size()) +
                               " values, the grid has " + std::to_string(_num_voxels) + " voxels");
      }
    }
    if (!(rest_fraction >= 0.0 && rest_fraction < 1.0)) {
      throw core::InputError("reaction stepper: rest_fraction must be in [0, 1), got " +
                             std::to_string(rest_fraction));
    }
  }

  /// @brief Advance every voxel of @p fields by @p dt_h (hours) in place.
  /// @return error_norm is the max over voxels and species of the weighted embedded estimate, or
  ///         +infinity when any result is NaN or Inf (those values are left in the fields, so
  ///         the caller can find and name them)
  /// @pre fields has K::num_species species on a grid of the constructor's voxel count
  ///      (throws core::InputError otherwise)
  ReactionStepStats step(grid::FieldSet& fields, double dt_h,
                         const ErrorWeights& weights) override {
    if (fields.num_species() != static_cast<std::size_t>(species_count) ||
        fields.grid().num_voxels() != _num_voxels) {
      throw core::InputError("reaction stepper: fields have " +
                             std::to_string(fields.num_species()) + " species and " +
                             std::to_string(fields.grid().num_voxels()) + " voxels, expected " +
                             std::to_string(species_count) + " and " + std::to_string(_num_voxels));
    }
    if (weights.atol.size() < static_cast<std::size_t>(species_count) ||
        weights.rtol.size() < static_cast<std::size_t>(species_count)) {
      throw core::InputError("reaction stepper: error weights cover fewer species than the kernel");
    }
    std::array<double*, species_count> u_data{};
    std::array<double, species_count> atol{};
    std::array<double, species_count> rtol{};
    for (int s = 0; s < species_count; ++s) {
      const auto us = static_cast<std::size_t>(s);
      u_data[us] = fields[us].data();
      atol[us] = weights.atol[us];
      rtol[us] = weights.rtol[us];
    }
    std::array<const double*, std::max(coefficient_count, 1)> c_data{};
    for (int q = 0; q < coefficient_count; ++q) {
      c_data[static_cast<std::size_t>(q)] = _coefficients[static_cast<std::size_t>(q)].data();
    }

    const double h = dt_h;
    const double rest_fraction = _rest_fraction;
    const K& kernel = _kernel;
    const Index n = _num_voxels;
    double error_norm = 0.0;
    long active = 0;
    long resting = 0;
    long nonfinite = 0;

    // Dynamic chunks: active voxels cost a Jacobian and an LU, resting ones a rate evaluation,
    // and the two kinds cluster in space (wounds), so static blocks would balance badly. Small
    // grids run serially: waking threads costs more than the work (same results either way).
#pragma omp parallel for schedule(dynamic, chunk) if (n >= 4 * chunk) reduction(max : error_norm) \
    reduction(+ : active, resting, nonfinite)
    for (Index v = 0; v < n; ++v) {
      State u;
      for (int s = 0; s < species_count; ++s)
        u(s) = u_data[static_cast<std::size_t>(s)][v];
      std::array<double, std::max(coefficient_count, 1)> c_values{};
      for (int q = 0; q < coefficient_count; ++q) {
        c_values[static_cast<std::size_t>(q)] = c_data[static_cast<std::size_t>(q)][v];
      }
      const std::span<const double, coefficient_count> c(c_values.data(), coefficient_count);

      State f;
      kernel.rates(u, c, f);
      bool rests = true;
      for (int s = 0; s < species_count; ++s) {
        const auto us = static_cast<std::size_t>(s);
        // Written as "<=" so that a NaN rate is never taken for a resting voxel.
        rests =
            rests && (h * std::abs(f(s)) <= rest_fraction * (atol[us] + rtol[us] * std::abs(u(s))));
      }
      if (rests) {
        ++resting;
        continue;
      }
      ++active;

      Jacobian jac;
      kernel.jacobian(u, c, jac);
      const SmallLu<species_count, block_end> lu(jac, gamma * h);  // W = I - gamma h J
      const State k1 = lu.solve(f);
      const State u1 = u + h * k1;
      State f1;
      kernel.rates(u1, c, f1);
      const State k2 = lu.solve(State(f1 - 2.0 * k1));
      const State u_new = u + (1.5 * h) * k1 + (0.5 * h) * k2;

      double voxel_error = 0.0;
      bool finite = true;
      for (int s = 0; s < species_count; ++s) {
        const auto us = static_cast<std::size_t>(s);
        const double value = u_new(s);
        finite = finite && std::isfinite(value);
        // Same weighting as ErrorWeights::weighted(s, u+ - (u + h k1), u+), from local copies.
        const double e = std::abs(value - u1(s)) / (atol[us] + rtol[us] * std::abs(value));
        voxel_error = std::max(voxel_error, e);
        u_data[us][v] = value;
      }
      if (!finite || !std::isfinite(voxel_error)) {
        ++nonfinite;
      } else {
        error_norm = std::max(error_norm, voxel_error);
      }
    }

    ReactionStepStats stats;
    stats.error_norm = nonfinite > 0 ? std::numeric_limits<double>::infinity() : error_norm;
    stats.active_voxels = active;
    stats.resting_voxels = resting;
    return stats;
  }

  std::size_t num_species() const override {
    return static_cast<std::size_t>(species_count);
  }

  /// @brief The kernel (for reports and tests).
  const K& kernel() const {
    return _kernel;
  }

 private:
  // Voxels per dynamically scheduled chunk.
  static constexpr Index chunk = 256;
  // gamma = 1 + 1/sqrt(2): the root of gamma^2 - 2 gamma + 1/2 = 0 that makes ROS2 L-stable.
  static constexpr double gamma = 1.7071067811865475244;

  Index _num_voxels;
  K _kernel;
  std::vector<std::span<const double>> _coefficients;
  double _rest_fraction;
};

}  // namespace microheal::solver
