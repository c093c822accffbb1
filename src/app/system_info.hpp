#pragma once

#include <string>

/// @file
/// @brief What the run manifest and the sweep's case records say about where and when they were
/// made.

namespace microheal::app {

/// @brief This machine's host name, or "unknown".
std::string host_name();

/// @brief @p epoch_s (seconds since 1970, UTC) as ISO 8601: "2026-11-21T10:45:00Z".
std::string iso_time(double epoch_s);

/// @brief Now, as iso_time() writes it.
std::string utc_now();

}  // namespace microheal::app
