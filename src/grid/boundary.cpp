#include "microheal/grid/boundary.hpp"

#include <string>

#include "microheal/core/error.hpp"

namespace microheal::grid {

Boundary Boundary::periodic_all() {
  Boundary b;
  for (auto& f : b.faces)
    f.kind = BoundaryKind::periodic;
  return b;
}

Boundary Boundary::periodic_xy() {
  Boundary b;
  for (const Face f : {Face::x_low, Face::x_high, Face::y_low, Face::y_high}) {
    b.at(f).kind = BoundaryKind::periodic;
  }
  return b;
}

void Boundary::validate(std::string_view what) const {
  for (const Axis a : {Axis::x, Axis::y, Axis::z}) {
    const bool lo = low(a).kind == BoundaryKind::periodic;
    const bool hi = high(a).kind == BoundaryKind::periodic;
    if (lo != hi) {
      const auto axis = static_cast<int>(a);
      throw core::InputError(std::string(what) + ": boundary " +
                             std::string(face_name(static_cast<Face>(2 * axis + (lo ? 1 : 0)))) +
                             " must be periodic because its opposite face is periodic");
    }
  }
}

std::string_view face_name(Face f) {
  switch (f) {
    case Face::x_low:
      return "x_low";
    case Face::x_high:
      return "x_high";
    case Face::y_low:
      return "y_low";
    case Face::y_high:
      return "y_high";
    case Face::z_low:
      return "z_low";
    case Face::z_high:
      return "z_high";
  }
  return "unknown";
}

}  // namespace microheal::grid
