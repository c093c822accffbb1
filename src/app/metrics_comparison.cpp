#include "metrics_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <string_view>

#include "microheal/core/error.hpp"

namespace microheal::app {

namespace {

using Leaves = std::map<std::string, std::optional<double>>;

// Every number (and null) of a metrics.json tree by its path; format fields are not metrics.
void collect(const nlohmann::json& node, const std::string& prefix, Leaves& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "format" || key == "format_version")
        continue;
      collect(value, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      collect(node[i], prefix + "[" + std::to_string(i) + "]", out);
  } else if (node.is_number()) {
    out[prefix] = node.get<double>();
  } else if (node.is_null()) {
    out[prefix] = std::nullopt;
  }
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

double allowance(const std::string& name, double reference, const MetricTolerance& tolerance) {
  const std::string_view last = std::string_view(name).substr(name.rfind('.') + 1);
  const double relative = std::abs(reference) * tolerance.relative_pct / 100.0;
  // A session's own time and window end are inputs (the protocol), compared relatively.
  const bool protocol_time = last == "time_h" || last == "window_end_h";
  if (ends_with(last, "_h") && !protocol_time)
    return std::max(relative, tolerance.time_h);
  if (ends_with(last, "_d"))
    return std::max(relative, tolerance.time_h / 24.0);
  return reference != 0.0 ? relative : 1e-9;
}

}  // namespace

std::vector<MetricDeviation> compare_metrics(const nlohmann::json& run,
                                             const nlohmann::json& reference,
                                             const MetricTolerance& tolerance) {
  Leaves ours;
  Leaves theirs;
  collect(run, "", ours);
  collect(reference, "", theirs);
  std::vector<MetricDeviation> rows;
  for (const auto& [name, ref] : theirs) {
    MetricDeviation row;
    row.name = name;
    row.reference = ref;
    const auto it = ours.find(name);
    const bool present = it != ours.end();
    if (present)
      row.value = it->second;
    if (!ref || !row.value) {
      const bool both_null = present && !ref && !row.value;
      row.ratio = both_null ? 0.0 : std::numeric_limits<double>::infinity();
    } else {
      row.allowed = allowance(name, *ref, tolerance);
      row.deviation = std::abs(*row.value - *ref);
      row.ratio = row.allowed > 0.0     ? row.deviation / row.allowed
                  : row.deviation > 0.0 ? std::numeric_limits<double>::infinity()
                                        : 0.0;
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(
      rows.begin(), rows.end(),
      [](const MetricDeviation& a, const MetricDeviation& b) { return a.ratio > b.ratio; });
  return rows;
}

double largest_relative_deviation_pct(const std::vector<MetricDeviation>& rows) {
  double largest = 0.0;
  for (const MetricDeviation& row : rows) {
    if (row.value && row.reference && *row.reference != 0.0)
      largest = std::max(largest,
                         100.0 * std::abs(*row.value - *row.reference) / std::abs(*row.reference));
  }
  return largest;
}

nlohmann::json read_metrics(const std::filesystem::path& run_or_file) {
  const std::filesystem::path path =
      std::filesystem::is_directory(run_or_file) ? run_or_file / "metrics.json" : run_or_file;
  std::ifstream in(path);
  if (!in) {
    throw core::InputError("'" + path.string() +
                           "': no such file (expected a run directory with metrics.json, or a "
                           "metrics file)");
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw core::InputError("'" + path.string() + "': not valid JSON (" + error.what() + ")");
  }
}

}  // namespace microheal::app
