#pragma once

#include <array>

#include "microheal/core/types.hpp"

/// @file
/// @brief Uniform cell-centred Cartesian grid. Lengths are in mm throughout microheal.

namespace microheal::grid {

/// @brief Axis of the grid: x and y span the skin surface, z points into the skin (depth).
enum class Axis { x = 0, y = 1, z = 2 };

/// @brief A uniform, cell-centred Cartesian grid of nx * ny * nz voxels.
///
/// Voxel (i, j, k) has its centre at origin + (i + 1/2, j + 1/2, k + 1/2) * spacing. Fields are
/// stored x fastest: linear index = i + nx * (j + ny * k). A 2D grid is a 3D grid with ny = 1 or
/// nz = 1 (and 1D with two of them 1); every solver handles those with the same code by skipping
/// axes of extent 1.
class Grid {
 public:
  /// @brief Build a grid.
  /// @param[in] extent voxels along x, y, z; each >= 1
  /// @param[in] spacing_mm voxel edge lengths along x, y, z; each > 0
  /// @param[in] origin_mm position of the low corner of voxel (0, 0, 0)
  /// @pre every extent >= 1 and every spacing > 0 (throws core::InputError otherwise)
  Grid(std::array<Index, 3> extent, std::array<double, 3> spacing_mm,
       std::array<double, 3> origin_mm = {0.0, 0.0, 0.0});

  /// @brief Cubic voxels of edge @p voxel_mm.
  static Grid uniform(std::array<Index, 3> extent, double voxel_mm,
                      std::array<double, 3> origin_mm = {0.0, 0.0, 0.0}) {
    return Grid(extent, {voxel_mm, voxel_mm, voxel_mm}, origin_mm);
  }

  Index nx() const { return _extent[0]; }
  Index ny() const { return _extent[1]; }
  Index nz() const { return _extent[2]; }
  /// @brief Voxels along @p axis.
  Index extent(Axis axis) const { return _extent[static_cast<int>(axis)]; }
  const std::array<Index, 3>& extent() const { return _extent; }
  /// @brief Total number of voxels.
  Index num_voxels() const { return _extent[0] * _extent[1] * _extent[2]; }
  /// @brief Voxel edge length along @p axis in mm.
  double spacing_mm(Axis axis) const { return _spacing_mm[static_cast<int>(axis)]; }
  const std::array<double, 3>& spacing_mm() const { return _spacing_mm; }
  const std::array<double, 3>& origin_mm() const { return _origin_mm; }
  /// @brief Volume of one voxel in mm^3.
  double voxel_volume_mm3() const { return _spacing_mm[0] * _spacing_mm[1] * _spacing_mm[2]; }
  /// @brief Number of axes with more than one voxel (1, 2 or 3; 0 for a single voxel).
  int active_dimensions() const;

  /// @brief Linear index of voxel (i, j, k); x fastest.
  Index index(Index i, Index j, Index k) const { return i + _extent[0] * (j + _extent[1] * k); }
  /// @brief Centre of voxel @p idx along @p axis, in mm.
  double center_mm(Axis axis, Index idx) const {
    const int a = static_cast<int>(axis);
    return _origin_mm[a] + (static_cast<double>(idx) + 0.5) * _spacing_mm[a];
  }

 private:
  std::array<Index, 3> _extent;
  std::array<double, 3> _spacing_mm;
  std::array<double, 3> _origin_mm;
};

}  // namespace microheal::grid
