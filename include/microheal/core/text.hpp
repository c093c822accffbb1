#pragma once

#include <array>
#include <charconv>
#include <sstream>
#include <string>

/// @file
/// @brief Numbers as text: the project's two ways, so that no module grows its own.

namespace microheal::core {

/// @brief The shortest text that reads back as the same double (std::to_chars): for files that
/// are read again (JSON, CSV, TOML, XML), where times, origins and parameters must survive the
/// round trip exactly. "inf", "-inf", "nan" for values that are not finite (callers that need
/// another spelling, such as JSON's null, check first).
inline std::string round_trip_text(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return {buffer.data(), result.ptr};
}

/// @brief A number for a message: @p significant digits, no trailing zeros (printf's %g), so that
/// "0.6 mm" does not read "0.59999999999999998 mm".
inline std::string message_text(double value, int significant = 6) {
  std::ostringstream text;
  text.precision(significant);
  text << value;
  return text.str();
}

}  // namespace microheal::core
