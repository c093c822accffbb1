#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json_writer.hpp"
#include "microheal/scenario/scenario.hpp"
#include "microheal/simulation/metrics.hpp"
#include "microheal/simulation/observables.hpp"

/// @file
/// @brief The text outputs of a run: metrics.json, timeseries.csv (units in the header) and the
/// resolved scenario as a JSON object for manifest.json.

namespace microheal::app {

/// @brief metrics.json: every metric (times in h or d as their names say, collagen in %), null
/// where a time was not reached.
std::string metrics_json(const simulation::Metrics& metrics);

/// @brief The run-level metrics of metrics.json (everything but the per-session array) as named
/// values: names as in metrics.json, members of nested objects joined with '.'
/// ("collagen_gain_papillary.total_pct"); empty where metrics.json has null. A sweep's summary
/// has one column per entry.
std::vector<std::pair<std::string, std::optional<double>>> run_metric_values(
    const simulation::Metrics& metrics);

/// @brief CSV with a header "name [unit]" per column and shortest round-trip numbers ("nan" for
/// missing values).
std::string table_csv(const simulation::TimeSeriesTable& table);

/// @brief Write @p scenario into @p json as the object member @p key: one member per table,
/// one per key, values as in print-config.
void scenario_json(JsonWriter& json, std::string_view key, const scenario::Scenario& scenario);

}  // namespace microheal::app
