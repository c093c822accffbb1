#pragma once

#include <span>
#include <string>
#include <vector>

#include "microheal/grid/grid.hpp"

/// @file
/// @brief A set of species fields on one grid, stored as structure of arrays.

namespace microheal::grid {

/// @brief N species on one grid: one contiguous array of num_voxels doubles per species.
///
/// Species are addressed by index; names are carried for reports and outputs only. Moving or
/// swapping a FieldSet is O(1), which the time integrator uses to accept a step without copying.
class FieldSet {
 public:
  /// @brief All species zero.
  /// @pre names is non-empty and has no duplicates (throws core::InputError otherwise)
  FieldSet(const Grid& grid, std::vector<std::string> names);

  const Grid& grid() const { return _grid; }
  std::size_t num_species() const { return _data.size(); }
  const std::vector<std::string>& names() const { return _names; }
  /// @brief Index of species @p name; throws core::InputError when there is none.
  std::size_t species_index(std::string_view name) const;

  std::span<double> operator[](std::size_t species) { return _data[species]; }
  std::span<const double> operator[](std::size_t species) const { return _data[species]; }

  /// @brief Set every voxel of @p species to @p value.
  void fill(std::size_t species, double value);
  /// @brief Copy all values from @p other (same grid shape and species count).
  void copy_from(const FieldSet& other);
  /// @brief Set every value to (1 - @p theta) a + @p theta b (linear interpolation between two
  /// states of the same shape; theta = 1 gives b exactly).
  void assign_interpolated(const FieldSet& a, const FieldSet& b, double theta);
  /// @brief Swap the storage of one species with the same species of @p other (O(1)).
  void swap_species(std::size_t species, FieldSet& other) {
    _data[species].swap(other._data[species]);
  }

  /// @brief Sum over all voxels of @p species times the voxel volume (mm^3 * unit).
  /// Summed plane by plane in a fixed order, so the result does not depend on the thread count.
  double integral(std::size_t species) const;

  /// @brief Bytes held by the field arrays.
  std::size_t bytes() const {
    return _data.size() * static_cast<std::size_t>(_grid.num_voxels()) * sizeof(double);
  }

 private:
  Grid _grid;
  std::vector<std::string> _names;
  std::vector<std::vector<double>> _data;  // one contiguous array per species (SoA)
};

/// @brief Deterministic sum of @p values: per z-plane partial sums in index order, then the planes
/// in order. Same result at any thread count.
double deterministic_sum(const Grid& grid, std::span<const double> values);

}  // namespace microheal::grid
