#include "microheal/grid/grid.hpp"

#include <cmath>
#include <string>

#include "microheal/core/error.hpp"

namespace microheal::grid {

Grid::Grid(std::array<Index, 3> extent, std::array<double, 3> spacing_mm,
           std::array<double, 3> origin_mm)
    : _extent(extent), _spacing_mm(spacing_mm), _origin_mm(origin_mm) {
  constexpr std::array<const char*, 3> axis_names{"x", "y", "z"};
  for (int a = 0; a < 3; ++a) {
    if (_extent[a] < 1) {
      throw core::InputError("grid: extent along " + std::string(axis_names[a]) +
                             " must be >= 1 voxel, got " + std::to_string(_extent[a]));
    }
    if (!(_spacing_mm[a] > 0.0) || !std::isfinite(_spacing_mm[a])) {
      throw core::InputError("grid: spacing along " + std::string(axis_names[a]) +
                             " must be a finite length > 0 mm, got " +
                             std::to_string(_spacing_mm[a]));
    }
    if (!std::isfinite(_origin_mm[a])) {
      throw core::InputError("grid: origin along " + std::string(axis_names[a]) +
                             " must be finite");
    }
  }
}

int Grid::active_dimensions() const {
  int n = 0;
  for (const Index e : _extent)
    n += e > 1 ? 1 : 0;
  return n;
}

}  // namespace microheal::grid
