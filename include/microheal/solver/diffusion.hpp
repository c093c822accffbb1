#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "microheal/grid/boundary.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/error_weights.hpp"

/// @file
/// @brief Implicit diffusion(-decay) of all species on a grid.
///
/// Scheme: locally one-dimensional (LOD) backward Euler, one tridiagonal solve per grid line and
/// axis (cyclic tridiagonal on periodic axes), Richardson-extrapolated to second order:
///   E(h) = 2 P(h/2) P(h/2) u - P(h) u,   P(h) = (I - h Az)^-1 (I - h Ay)^-1 (I - h Ax)^-1.
/// E is second order in time (the LOD splitting error cancels with the O(h^2) term of backward
/// Euler) and L-stable: every stiff mode is damped, |E| <= 1, E -> 0 as h*lambda -> -inf. E is not
/// positive for every step (Bolley & Crouzeix: no linear scheme above first order is), so the
/// difference P(h/2)^2 u - P(h) u is returned as the local error estimate and the step controller
/// rejects steps whose negatives exceed its tolerance.
///
/// The spatial operator is the conservative 7-point finite-volume Laplacian with the face
/// diffusivity the harmonic mean of the two voxel diffusivities (exact flux continuity across a
/// layer interface); second order in space. Units: mm and h.

namespace microheal::solver {

/// @brief How one species diffuses.
struct DiffusionSpec {
  /// @brief Immobile species (damage, collagen) skip diffusion entirely.
  bool mobile = true;
  /// @brief Base diffusivity in mm^2/h (>= 0).
  double diffusivity_mm2_per_h = 0.0;
  /// @brief Optional per-z-plane factor (size nz): D(k) = diffusivity * z_factor[k] (layered
  /// tissue).
  std::vector<double> z_factor;
  /// @brief Optional per-voxel diffusivity in mm^2/h (size num_voxels); overrides the two above.
  std::vector<double> voxel_diffusivity_mm2_per_h;
  /// @brief Linear decay rate in 1/h folded into the implicit solve (the BioFVM "diffusion-decay"
  /// step); a model normally keeps decay in its reaction kernel and leaves this 0.
  double decay_per_h = 0.0;
  /// @brief Conditions on the six faces.
  grid::Boundary boundary;
};

/// @brief Implicit diffusion solver. Holds precomputed line factorisations and one species' worth
/// of scratch (species are advanced one after the other), so its memory is small next to the
/// fields: see bytes_held().
class DiffusionSolver {
 public:
  /// @pre one spec per species of the fields it will be used with; boundaries validated; sizes of
  /// z_factor / voxel_diffusivity match the grid (throws core::InputError otherwise)
  DiffusionSolver(const grid::Grid& grid, std::vector<DiffusionSpec> species);
  ~DiffusionSolver();
  DiffusionSolver(DiffusionSolver&&) noexcept;
  DiffusionSolver& operator=(DiffusionSolver&&) noexcept;
  DiffusionSolver(const DiffusionSolver&) = delete;
  DiffusionSolver& operator=(const DiffusionSolver&) = delete;

  /// @brief Advance @p fields in place by @p dt_h with the second-order extrapolated scheme.
  /// @return the local error estimate max over voxels and species of
  ///         weights.weighted(s, P(h/2)^2 u - P(h) u, E u) (0 when no species is mobile)
  double step(grid::FieldSet& fields, double dt_h, const ErrorWeights& weights);

  /// @brief Advance @p fields in place by one first-order LOD backward-Euler step P(h).
  void step_backward_euler(grid::FieldSet& fields, double dt_h);

  /// @brief Bytes of all memory this solver holds (tables and scratch), excluding the fields.
  std::size_t bytes_held() const;

  const grid::Grid& grid() const;
  const std::vector<DiffusionSpec>& species() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> _impl;
};

}  // namespace microheal::solver
