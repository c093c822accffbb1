#pragma once

#include <Eigen/Dense>
#include <concepts>
#include <cstddef>
#include <span>
#include <vector>

#include "microheal/grid/field_set.hpp"
#include "microheal/solver/error_weights.hpp"

/// @file
/// @brief Local (per-voxel) reactions: the kernel interface and the stiff integrator that the
/// solver drives over all voxels.
///
/// A kernel may also declare `static constexpr std::array<int, num_species> jacobian_block_end`:
/// its Jacobian is zero above those diagonal blocks (SmallLu), and the stepper's per-voxel LU then
/// works on the blocks alone. The declaration must hold for every state (a test should check it).
///
/// A reaction kernel is a pure, allocation-free description of du/dt = f(u; p, c(x)) for the
/// species of one voxel: u the state, p the parameters held by the kernel object, c(x) a few
/// position-dependent coefficients (vessel density, baseline collagen, ...). The kernel owns no
/// loops and knows nothing of grids; the solver loops.

namespace microheal::solver {

/// @brief What a reaction kernel provides. State and rates are Eigen fixed-size vectors of
/// K::num_species; K::num_coefficients position-dependent coefficients are passed per voxel.
template <class K>
concept ReactionKernel = requires(const K& k, const Eigen::Matrix<double, K::num_species, 1>& u,
                                  std::span<const double, K::num_coefficients> c,
                                  Eigen::Matrix<double, K::num_species, 1>& f,
                                  Eigen::Matrix<double, K::num_species, K::num_species>& jac) {
  { K::num_species } -> std::convertible_to<int>;
  { K::num_coefficients } -> std::convertible_to<int>;
  { k.rates(u, c, f) } -> std::same_as<void>;       // f = du/dt
  { k.jacobian(u, c, jac) } -> std::same_as<void>;  // jac(i, j) = d f_i / d u_j
};

/// @brief Statistics of one reaction sweep over all voxels.
struct ReactionStepStats {
  double error_norm = 0.0;  ///< max weighted local error estimate (<= 1 means acceptable)
  long active_voxels = 0;   ///< voxels that were integrated
  long resting_voxels = 0;  ///< voxels skipped because their rates were negligible
};

/// @brief Type-erased per-voxel reaction integrator (so the time integrator is not a template).
class ReactionStepper {
 public:
  virtual ~ReactionStepper() = default;
  /// @brief Advance every voxel of @p fields by @p dt_h in place.
  virtual ReactionStepStats step(grid::FieldSet& fields, double dt_h,
                                 const ErrorWeights& weights) = 0;
  /// @brief Number of species the kernel expects.
  virtual std::size_t num_species() const = 0;
};

}  // namespace microheal::solver
