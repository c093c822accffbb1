#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

/// @file
/// @brief How close the metrics of a run are to those of a reference run of the same scenario
/// (`microheal compare`, `microheal bench model`, the accuracy test).
///
/// Every number of metrics.json is compared, the per-session values included, by its path
/// ("collagen_gain_papillary.total_pct", "sessions[1].epidermis_closed_h"). A time (a name ending
/// in _h or _d, except a session's own time_h and window_end_h) must lie within relative_pct of
/// the reference or within time_h hours of it; every other value within relative_pct (a
/// reference of exactly 0 within 1e-9). A value that is null in one and a number in the other, or
/// missing, is a mismatch.

namespace microheal::app {

/// @brief The tolerance of the comparison.
struct MetricTolerance {
  double relative_pct = 1.0;  ///< relative tolerance, % of the reference
  double time_h = 0.5;        ///< absolute tolerance of times, h (d: time_h / 24)
};

/// @brief One compared metric.
struct MetricDeviation {
  std::string name;                 ///< path in metrics.json
  std::optional<double> value;      ///< the run's (empty: null or missing)
  std::optional<double> reference;  ///< the reference's (empty: null)
  double deviation = 0.0;           ///< |value - reference| (0 when both are null)
  double allowed = 0.0;             ///< the tolerance of this metric
  double ratio = 0.0;               ///< deviation / allowed; infinity for a mismatch
};

/// @brief Every metric of @p reference against @p run, worst (largest ratio) first.
std::vector<MetricDeviation> compare_metrics(const nlohmann::json& run,
                                             const nlohmann::json& reference,
                                             const MetricTolerance& tolerance);

/// @brief The largest deviation relative to a non-zero reference, % (the headline figure).
double largest_relative_deviation_pct(const std::vector<MetricDeviation>& rows);

/// @brief metrics.json of a run directory (or a metrics file itself).
/// @throws core::InputError naming the path when it is missing or not valid JSON
nlohmann::json read_metrics(const std::filesystem::path& run_or_file);

}  // namespace microheal::app
