#pragma once

#include <array>
#include <string_view>

#include "microheal/grid/grid.hpp"

/// @file
/// @brief Boundary conditions per face of the block, chosen per species.

namespace microheal::grid {

/// @brief What happens at one face of the block.
enum class BoundaryKind {
  zero_flux,    ///< no diffusive or advective flux through the face (homogeneous Neumann)
  periodic,     ///< the face is glued to the opposite face; both must be periodic
  fixed_value,  ///< the field takes a fixed value on the face itself (Dirichlet at the face)
};

/// @brief The six faces of the block, in the order low/high x, low/high y, low/high z.
enum class Face { x_low = 0, x_high = 1, y_low = 2, y_high = 3, z_low = 4, z_high = 5 };

/// @brief Condition on one face.
struct FaceCondition {
  BoundaryKind kind = BoundaryKind::zero_flux;
  double value = 0.0;  ///< the face value for fixed_value; ignored otherwise
};

/// @brief Conditions on all six faces for one species.
struct Boundary {
  std::array<FaceCondition, 6> faces{};

  const FaceCondition& at(Face f) const { return faces[static_cast<int>(f)]; }
  FaceCondition& at(Face f) { return faces[static_cast<int>(f)]; }
  const FaceCondition& low(Axis a) const { return faces[2 * static_cast<int>(a)]; }
  const FaceCondition& high(Axis a) const { return faces[2 * static_cast<int>(a) + 1]; }
  /// @brief True when both faces of @p a are periodic.
  bool periodic(Axis a) const {
    return low(a).kind == BoundaryKind::periodic && high(a).kind == BoundaryKind::periodic;
  }

  /// @brief Zero flux on all six faces.
  static Boundary zero_flux() { return Boundary{}; }
  /// @brief Periodic on all six faces.
  static Boundary periodic_all();
  /// @brief Periodic in x and y (a lateral tile of a repeating pattern), zero flux at top and
  /// bottom.
  static Boundary periodic_xy();

  /// @brief Throws core::InputError if a periodic face is paired with a non-periodic one.
  /// @param[in] what name used in the message (e.g. the species)
  void validate(std::string_view what) const;
};

/// @brief Name of a face for messages ("x_low", ...).
std::string_view face_name(Face f);

}  // namespace microheal::grid
