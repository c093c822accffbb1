#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/scenario/key_registry.hpp"
#include "microheal/sweep/case_record.hpp"
#include "microheal/sweep/design.hpp"

/// @file
/// @brief The summary of a sweep: one row per case with its inputs (the axis values), every
/// metric, its status (ok, failed with its error, or pending: not run yet) and its wall time.
/// Built from the case records alone, so a finished, resumed, MPI or Slurm sweep all give the same
/// table; written as summary.csv and summary.h5.

namespace microheal::sweep {

/// @brief A case's state in the summary.
enum class CaseState { ok, failed, pending };

/// @brief "ok", "failed", "pending".
std::string_view state_name(CaseState state);

/// @brief One case.
struct SummaryRow {
  std::size_t index = 0;  ///< case number in the design
  std::string id;
  CaseState state = CaseState::pending;
  std::string error;                           ///< failed cases: why
  std::optional<double> wall_seconds;          ///< finished cases
  std::vector<scenario::Value> inputs;         ///< one per axis
  std::vector<std::optional<double>> metrics;  ///< one per metric name; empty: not reached
};

/// @brief The table.
struct SummaryTable {
  std::vector<std::string> input_keys;    ///< the axis keys
  std::vector<std::string> metric_names;  ///< every metric of any ok case, in record order
  std::vector<SummaryRow> rows;           ///< one per case, in design order

  std::size_t count(CaseState state) const;
  /// @brief Metric @p metric of every case; NaN where the case is not ok or did not reach it.
  std::vector<double> metric_column(std::size_t metric) const;
};

/// @brief The summary of @p design from its case records (@p records[i] belongs to case i, empty
/// while it has not finished).
/// @pre records.size() == design.cases.size()
SummaryTable build_summary(const Design& design,
                           std::span<const std::optional<CaseRecord>> records);

/// @brief summary.csv: columns index, id, status, wall_seconds, one per axis key, one per metric,
/// error. Numbers in shortest round-trip form; an empty field where a value is missing; fields
/// with a comma, quote or newline quoted as RFC 4180 says.
std::string summary_csv(const SummaryTable& table);

/// @brief summary.h5 (replaced atomically): datasets of one element per case.
///
/// Layout: /index (int64), /id (uint64: the id's 16 hex digits as a number), /status (int64:
/// 0 ok, 1 failed, 2 pending; attributes name the codes), /wall_seconds (float64, NaN when not
/// finished), /inputs/<axis key> (float64 for number keys; for other keys int64 level numbers
/// whose attributes "level_<k>" give the value as TOML text), /metrics/<name> (float64, NaN where
/// missing), and /errors with one string attribute per failed case (named by its id). The root
/// carries the attributes format = "microheal-sweep-summary", format_version, design and cases.
void write_summary_h5(const std::filesystem::path& path, const SummaryTable& table,
                      std::string_view design_name);

}  // namespace microheal::sweep
