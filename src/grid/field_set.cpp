#include "microheal/grid/field_set.hpp"

#include <algorithm>
#include <set>

#include "microheal/core/error.hpp"

namespace microheal::grid {

FieldSet::FieldSet(const Grid& grid, std::vector<std::string> names)
    : _grid(grid), _names(std::move(names)) {
  if (_names.empty())
    throw core::InputError("field set: at least one species is required");
  const std::set<std::string> unique(_names.begin(), _names.end());
  if (unique.size() != _names.size()) {
    throw core::InputError("field set: species names must be unique");
  }
  _data.assign(_names.size(),
               std::vector<double>(static_cast<std::size_t>(grid.num_voxels()), 0.0));
}

std::size_t FieldSet::species_index(std::string_view name) const {
  const auto it = std::find(_names.begin(), _names.end(), name);
  if (it == _names.end()) {
    throw core::InputError("field set: no species named '" + std::string(name) + "'");
  }
  return static_cast<std::size_t>(it - _names.begin());
}

void FieldSet::fill(std::size_t species, double value) {
  std::fill(_data[species].begin(), _data[species].end(), value);
}

void FieldSet::copy_from(const FieldSet& other) {
  if (other._data.size() != _data.size() || other._grid.extent() != _grid.extent()) {
    throw core::RunError("field set: copy_from between different shapes");
  }
  for (std::size_t s = 0; s < _data.size(); ++s) {
    std::copy(other._data[s].begin(), other._data[s].end(), _data[s].begin());
  }
}

void FieldSet::assign_interpolated(const FieldSet& a, const FieldSet& b, double theta) {
  if (a._data.size() != _data.size() || b._data.size() != _data.size() ||
      a._grid.extent() != _grid.extent() || b._grid.extent() != _grid.extent()) {
    throw core::RunError("field set: assign_interpolated between different shapes");
  }
  for (std::size_t s = 0; s < _data.size(); ++s) {
    const std::vector<double>& x = a._data[s];
    const std::vector<double>& y = b._data[s];
    std::vector<double>& out = _data[s];
    for (std::size_t v = 0; v < out.size(); ++v)
      out[v] = (1.0 - theta) * x[v] + theta * y[v];
  }
}

double FieldSet::integral(std::size_t species) const {
  return deterministic_sum(_grid, _data[species]) * _grid.voxel_volume_mm3();
}

double deterministic_sum(const Grid& grid, std::span<const double> values) {
  const Index plane = grid.nx() * grid.ny();
  double total = 0.0;
  for (Index k = 0; k < grid.nz(); ++k) {
    double partial = 0.0;
    const auto row =
        values.subspan(static_cast<std::size_t>(k * plane), static_cast<std::size_t>(plane));
    for (const double v : row)
      partial += v;
    total += partial;
  }
  return total;
}

}  // namespace microheal::grid
