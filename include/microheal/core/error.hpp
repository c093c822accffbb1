#pragma once

#include <stdexcept>
#include <string>

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

/// @brief A numerical failure inside the solver (step size underflow, NaN or Inf in a field).
class NumericalError : public RunError {
 public:
  using RunError::RunError;
};

}  // namespace microheal::core
