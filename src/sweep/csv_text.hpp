#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "microheal/core/text.hpp"

/// @file
/// @brief Text of CSV cells, shared by summary.csv and the analysis tables (private to sweep).

namespace microheal::sweep {

/// @brief Shortest text that reads back to the same double; @p nan_text for NaN (summary.csv
/// writes "nan", the analysis tables leave the cell empty).
inline std::string number_text(double v, std::string_view nan_text) {
  if (std::isnan(v))
    return std::string(nan_text);
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  return core::round_trip_text(v);
}

/// @brief RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside.
inline std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos)
    return std::string(text);
  std::string out(1, '"');
  for (const char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace microheal::sweep
