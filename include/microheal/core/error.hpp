#pragma once

#include <array>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "microheal/core/types.hpp"

/// @file
/// @brief The error hierarchy. The command line maps these to exit codes: InputError -> 2,
/// everything else -> 1.

namespace microheal::core {

/// @brief Bad input from the user: a malformed file, a value out of range, an unknown option.
/// The message must name where (file, key or option) and what was expected.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief A run that cannot go on: a step below the minimum size, a NaN, an unwritable file.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief Where in the fields a numerical failure showed: a value of one species in one voxel.
struct FieldLocation {
  std::string species;           ///< field name
  std::array<Index, 3> voxel{};  ///< (i, j, k): x, y, z index
  double value = 0.0;            ///< what the value was (NaN, Inf or too negative)
  std::string layer;             ///< tissue layer of plane k, when a caller that knows it adds it
  double depth_mm = std::numeric_limits<double>::quiet_NaN();  ///< centre of plane k, likewise
};

/// @brief A numerical failure inside the solver (step size underflow, NaN or Inf in a field).
/// Carries what it is about as fields (callers never parse the message): the simulated time and,
/// when a field value was the cause, its location.
class NumericalError : public RunError {
 public:
  explicit NumericalError(const std::string& message,
                          double time_h = std::numeric_limits<double>::quiet_NaN(),
                          std::optional<FieldLocation> location = std::nullopt)
      : RunError(message), _time_h(time_h), _location(std::move(location)) {}

  /// @brief Simulated time of the failure in h (NaN when unknown).
  double time_h() const { return _time_h; }
  /// @brief The value that failed, when one did.
  const std::optional<FieldLocation>& location() const { return _location; }
  /// @brief Add what the solver cannot know (the layer and depth of the voxel's plane).
  void set_layer(std::string layer, double depth_mm) {
    if (_location) {
      _location->layer = std::move(layer);
      _location->depth_mm = depth_mm;
    }
  }

 private:
  double _time_h;
  std::optional<FieldLocation> _location;
};

}  // namespace microheal::core
