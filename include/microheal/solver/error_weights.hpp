#pragma once

#include <cmath>
#include <vector>

/// @file
/// @brief Tolerances shared by every part of a time step that estimates its own local error.

namespace microheal::solver {

/// @brief Absolute and relative tolerance per species. The weighted error of a value e at a state
/// u of species s is |e| / (atol[s] + rtol[s] * |u|); a step is accepted when the maximum over all
/// voxels and species is <= 1. The maximum is exact in any order, so it is thread-count
/// independent.
struct ErrorWeights {
  std::vector<double> rtol;  ///< per species, > 0
  std::vector<double> atol;  ///< per species, > 0, in the species' own unit

  /// @brief The same tolerances for @p num_species species.
  static ErrorWeights uniform(std::size_t num_species, double rtol, double atol) {
    return ErrorWeights{std::vector<double>(num_species, rtol),
                        std::vector<double>(num_species, atol)};
  }
  /// @brief Weighted size of an error @p e at value @p u for species @p s.
  double weighted(std::size_t s, double e, double u) const {
    return std::abs(e) / (atol[s] + rtol[s] * std::abs(u));
  }
};

}  // namespace microheal::solver
