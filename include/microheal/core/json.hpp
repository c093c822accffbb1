#pragma once

#include <string>
#include <string_view>

/// @file
/// @brief JSON string escaping, shared by every file microheal writes as JSON (series, manifest,
/// metrics).

namespace microheal::core {

/// @brief @p text escaped for use inside a JSON string literal (without the quotes): quote,
/// backslash and control characters become escapes; other bytes (UTF-8 included) pass through.
std::string json_escape(std::string_view text);

}  // namespace microheal::core
