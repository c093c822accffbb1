#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/sweep/case_record.hpp"
#include "microheal/sweep/design.hpp"
#include "microheal/sweep/sweep_spec.hpp"

/// @file
/// @brief The output directory of a sweep:
///
///     DIR/sweep.toml          the sweep with every setting spelled out (base = "base.toml")
///     DIR/base.toml           a copy of the base scenario: every case runs from it
///     DIR/cases/<id>/         one folder per case: what `microheal run` writes, plus case.json
///     DIR/summary.csv, .h5    one row per case (rebuilt from the case records)
///     DIR/analysis/           main_effects.csv, sobol_indices.csv (`sweep analyze`)
///     DIR/slurm/              the logs of a Slurm array job
///
/// A directory holds one sweep: running it again (on a laptop, under MPI, as Slurm tasks) skips
/// the finished cases, and a different sweep or base scenario is refused rather than mixed in.

namespace microheal::sweep {

class SweepDirectory {
 public:
  static constexpr std::string_view sweep_name = "sweep.toml";
  static constexpr std::string_view base_name = "base.toml";
  static constexpr std::string_view cases_name = "cases";
  static constexpr std::string_view summary_csv_name = "summary.csv";
  static constexpr std::string_view summary_h5_name = "summary.h5";
  static constexpr std::string_view analysis_name = "analysis";
  static constexpr std::string_view slurm_name = "slurm";

  explicit SweepDirectory(std::filesystem::path root) : _root(std::move(root)) {}

  const std::filesystem::path& root() const { return _root; }
  std::filesystem::path path(std::string_view name) const { return _root / name; }
  std::filesystem::path case_directory(const std::string& id) const {
    return _root / cases_name / id;
  }

  /// @brief The resolved sweep text stored in the directory for @p spec (see to_toml()).
  static std::string resolved_text(const SweepSpec& spec);

  /// @brief Throws core::InputError when the sweep @p spec cannot run here: the path is a file,
  /// cannot be created or written, is a non-empty directory that holds no sweep, or holds another
  /// sweep (its sweep.toml or base.toml differ; the message gives the first difference).
  /// Changes nothing.
  void check(const SweepSpec& spec) const;

  /// @brief Create the directory, cases/ and slurm/, and write sweep.toml and base.toml when they
  /// are missing (atomically).
  /// @pre check(spec) passed
  void prepare(const SweepSpec& spec) const;

  /// @brief The sweep stored in the directory (for collect and analyze).
  /// @throws core::InputError when the directory holds no sweep
  SweepSpec load() const;

  /// @brief The record of every case of @p design (empty for cases not finished).
  /// @throws core::InputError for a record that cannot be read or belongs to another case
  std::vector<std::optional<CaseRecord>> read_records(const Design& design) const;

 private:
  std::filesystem::path _root;
};

}  // namespace microheal::sweep
