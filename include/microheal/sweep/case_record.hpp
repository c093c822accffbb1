#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file
/// @brief case.json: the record a finished case leaves in its folder. Its presence is what makes
/// a case done: a re-run, a resumed sweep and `sweep collect` read these records and nothing
/// else, so a laptop sweep, an MPI job and a Slurm array end the same way. The file is written
/// atomically (temporary file, fsync, rename), so a killed case leaves no record rather than half
/// of one.

namespace microheal::sweep {

/// @brief How a case ended.
enum class CaseStatus {
  ok,      ///< the run completed; its metrics are in the record
  failed,  ///< the run failed (bad value for this case, numerical failure, crash); see error
};

/// @brief "ok", "failed".
std::string_view status_name(CaseStatus status);

/// @brief One metric of a case; empty when the run did not reach it (a time never crossed).
struct MetricValue {
  std::string name;
  std::optional<double> value;
  friend bool operator==(const MetricValue&, const MetricValue&) = default;
};

/// @brief The record of one finished case.
struct CaseRecord {
  std::string id;                        ///< the case id (its folder name)
  std::size_t index = 0;                 ///< its number in the design
  std::vector<std::string> assignments;  ///< every override it ran with ("key=value")
  CaseStatus status = CaseStatus::ok;
  std::string error;                 ///< why it failed (empty when ok)
  double wall_seconds = 0.0;         ///< wall time of the case, s
  int threads = 0;                   ///< OpenMP threads it ran with
  std::string host;                  ///< where it ran
  std::string finished;              ///< UTC time it finished, ISO 8601
  std::vector<MetricValue> metrics;  ///< metrics.json's run-level values (none when failed)
  friend bool operator==(const CaseRecord&, const CaseRecord&) = default;
};

/// @brief The file name of the record in a case folder.
inline constexpr std::string_view case_record_name = "case.json";

/// @brief The record as JSON (format "microheal-sweep-case", version 1).
std::string case_record_json(const CaseRecord& record);

/// @brief Read a record written by case_record_json(); @p source names it in messages.
/// @throws core::InputError when the text is not such a record
CaseRecord parse_case_record(std::string_view text, std::string_view source);

/// @brief Write @p record into @p case_directory atomically.
void write_case_record(const std::filesystem::path& case_directory, const CaseRecord& record);

/// @brief The record in @p case_directory, or nothing when the case has not finished.
/// @throws core::InputError when a record exists but cannot be read
std::optional<CaseRecord> read_case_record(const std::filesystem::path& case_directory);

}  // namespace microheal::sweep
