// `microheal compare RUN REFERENCE`: the metrics of a run against a reference run of the same
// scenario (docs/numerics.md, Accuracy). Exit 0 when every metric is within its tolerance, 1 when
// one is not (CommandExit), 2 on bad input.

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "metrics_comparison.hpp"

namespace microheal::app {

namespace {

struct CompareOptions {
  std::string run;
  std::string reference;
  MetricTolerance tolerance;
  bool json = false;
};

std::string number_or_null(const std::optional<double>& value) {
  return value ? fmt::format("{:.6g}", *value) : std::string("null");
}

void compare(const CompareOptions& o) {
  const auto rows = compare_metrics(read_metrics(o.run), read_metrics(o.reference), o.tolerance);
  bool within = true;
  for (const MetricDeviation& row : rows)
    within = within && row.ratio <= 1.0;
  const double largest = largest_relative_deviation_pct(rows);
  if (o.json) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const MetricDeviation& row : rows) {
      metrics.push_back(
          {{"metric", row.name},
           {"value", row.value ? nlohmann::json(*row.value) : nlohmann::json()},
           {"reference", row.reference ? nlohmann::json(*row.reference) : nlohmann::json()},
           {"deviation", row.deviation},
           {"allowed", row.allowed},
           {"ratio", std::isinf(row.ratio) ? nlohmann::json() : nlohmann::json(row.ratio)}});
    }
    const nlohmann::json out = {
        {"within_tolerance", within},
        {"relative_pct", o.tolerance.relative_pct},
        {"time_h", o.tolerance.time_h},
        {"largest_relative_deviation_pct", largest},
        {"worst_metric", rows.empty() ? nlohmann::json() : nlohmann::json(rows.front().name)},
        {"metrics", metrics}};
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("{:<48} {:>13} {:>13} {:>11} {:>11}  {}\n", "metric", "run", "reference",
               "deviation", "allowed", "");
    for (const MetricDeviation& row : rows) {
      const char* verdict =
          row.ratio <= 1.0 ? "ok" : (std::isinf(row.ratio) ? "MISMATCH" : "OUTSIDE");
      fmt::print("{:<48} {:>13} {:>13} {:>11.3g} {:>11.3g}  {}\n", row.name,
                 number_or_null(row.value), number_or_null(row.reference), row.deviation,
                 row.allowed, verdict);
    }
    fmt::print(
        "largest relative deviation {:.3f} %; worst against its tolerance: {} ({:.2f} x); {}\n",
        largest, rows.empty() ? "-" : rows.front().name, rows.empty() ? 0.0 : rows.front().ratio,
        within ? "every metric within tolerance" : "NOT within tolerance");
  }
  if (!within)
    throw CommandExit{1};
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto options = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand(
      "compare",
      "Compare every metric of a run with a reference run of the same scenario: times within "
      "--rel-pct % or --time-h hours, other values within --rel-pct %. Exit 0 within tolerance, 1 "
      "outside, 2 bad input");
  cmd->add_option("run", options->run, "Run directory (or its metrics.json)")->required();
  cmd->add_option("reference", options->reference, "Reference run directory (or metrics file)")
      ->required();
  cmd->add_option("--rel-pct", options->tolerance.relative_pct, "Relative tolerance, %")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--time-h", options->tolerance.time_h, "Absolute tolerance of times, h")
      ->check(CLI::Range(0.0, 8760.0))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print one JSON object instead of text");
  cmd->callback([options] { compare(*options); });
}

}  // namespace microheal::app
