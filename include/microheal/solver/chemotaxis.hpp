#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include "microheal/grid/boundary.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"

/// @file
/// @brief Chemotaxis: conservative finite-volume advection of a cell species up the gradient of a
/// signal species, with a bounded (saturating) velocity.
///
/// At each face the normal velocity is v = v_lin / sqrt(1 + (v_lin / v_max)^2), v_lin = chi dS/dn,
/// so |v| < v_max always. The face value of the cell density is upwinded with a limited linear
/// reconstruction (minmod), which makes each forward-Euler stage positivity preserving under the
/// CFL limit; stages are combined with the strong-stability-preserving RK2 (Heun) method, which
/// keeps positivity and is second order. The flux through a face is added to one voxel and
/// subtracted from the other, so mass is conserved to round-off. A call of step() sub-cycles under
/// the CFL limit of the current velocities, each cell species under its own limit unless some
/// cell species is also a signal (then all share the smallest). Faces on a non-periodic boundary
/// carry no chemotactic flux. Units: mm and h.

namespace microheal::solver {

/// @brief One chemotactic pair.
struct ChemotaxisSpec {
  std::size_t cell_species = 0;    ///< index of the species that moves
  std::size_t signal_species = 0;  ///< index of the species whose gradient it climbs (!= cell)
  /// @brief chi in mm^2/(h * signal unit): the low-gradient velocity is chi * grad S.
  double chemotactic_coefficient = 0.0;
  /// @brief Speed cap in mm/h (> 0); +infinity means linear (Keller-Segel) velocity.
  double max_speed_mm_per_h = std::numeric_limits<double>::infinity();
};

/// @brief Statistics of one chemotaxis step.
struct ChemotaxisStepStats {
  /// @brief SSP-RK2 sub-steps taken, summed over the groups that sub-cycle independently (the
  /// pairs of one cell species form a group; groups whose cells are nobody's signal each take
  /// the sub-steps of their own CFL limit, coupled groups one shared sub-cycle).
  int sub_steps = 0;
  double max_speed_mm_per_h = 0;  ///< largest face speed seen
};

/// @brief Explicit, sub-cycled chemotaxis solver for any number of pairs.
class ChemotaxisSolver {
 public:
  /// @param[in] boundaries one per species of the fields (the cell species' boundary decides which
  ///            axes wrap around)
  /// @param[in] cfl fraction of the positivity limit used per sub-step, in (0, 1]: every value
  ///            keeps each forward-Euler stage non-negative (the limit is derived in
  ///            chemotaxis.cpp: dt * sum over a voxel's outflow faces of the weighted speeds <= 1);
  ///            below 1 leaves a margin for round-off
  /// @pre indices in range, cell != signal, chi >= 0, max speed > 0 (throws core::InputError)
  ChemotaxisSolver(const grid::Grid& grid, std::vector<ChemotaxisSpec> pairs,
                   std::vector<grid::Boundary> boundaries, double cfl = 0.9);
  ~ChemotaxisSolver();
  ChemotaxisSolver(ChemotaxisSolver&&) noexcept;
  ChemotaxisSolver& operator=(ChemotaxisSolver&&) noexcept;
  ChemotaxisSolver(const ChemotaxisSolver&) = delete;
  ChemotaxisSolver& operator=(const ChemotaxisSolver&) = delete;

  /// @brief Advance @p fields in place by @p dt_h (only the cell species change).
  ChemotaxisStepStats step(grid::FieldSet& fields, double dt_h);

  /// @brief True when there are no pairs (the integrator then skips the stage).
  bool empty() const;

  /// @brief The species a step can change (the cell species of the pairs), ascending.
  std::vector<std::size_t> cell_species() const;

  /// @brief Bytes of all memory this solver holds (stage copies of the cell species).
  std::size_t bytes_held() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> _impl;
};

}  // namespace microheal::solver
