#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

/// @file
/// @brief The output directory of `microheal run`: its file names, the checks made before a run
/// touches it (a non-empty directory needs --overwrite or --resume) and atomic writes into it.

namespace microheal::app {

/// @brief What `microheal run` may do with a directory.
enum class DirectoryMode {
  fresh,      ///< refuse a non-empty directory
  overwrite,  ///< replace what an earlier run wrote (other files are left alone)
  resume,     ///< continue from the checkpoint in it (or start when there is none)
};

class OutputDirectory {
 public:
  static constexpr std::string_view manifest_name = "manifest.json";
  static constexpr std::string_view metrics_name = "metrics.json";
  static constexpr std::string_view timeseries_name = "timeseries.csv";
  static constexpr std::string_view profile_name = "collagen_profile.csv";
  static constexpr std::string_view scenario_name = "scenario.toml";
  static constexpr std::string_view punctures_name = "punctures.csv";
  static constexpr std::string_view checkpoint_name = "checkpoint.h5";
  /// The generation before the latest checkpoint, kept until the next one is complete.
  static constexpr std::string_view previous_checkpoint_name = "checkpoint.prev.h5";
  static constexpr std::string_view failure_name = "failure_state.hdf";
  /// Held (flock) by the run working in the directory; not a result, so not counted as content.
  static constexpr std::string_view lock_name = ".microheal-run.lock";

  explicit OutputDirectory(std::filesystem::path root) : _root(std::move(root)) {}

  const std::filesystem::path& root() const { return _root; }
  std::filesystem::path path(std::string_view name) const { return _root / name; }
  std::filesystem::path checkpoint() const { return path(checkpoint_name); }
  std::filesystem::path previous_checkpoint() const { return path(previous_checkpoint_name); }

  /// @brief True when the directory exists and holds anything besides the lock file.
  bool non_empty() const;
  /// @brief True when a checkpoint file exists.
  bool has_checkpoint() const;

  /// @brief Throws core::InputError when @p mode does not allow running in this directory:
  /// a non-empty directory without --overwrite/--resume, a path that is a file, or a directory
  /// that cannot be created or written. Changes nothing.
  void check(DirectoryMode mode) const;

  /// @brief Create the directory (and parents).
  void create() const;
  /// @brief Remove every file a run writes (manifest, metrics, time series, scenario copy,
  /// checkpoint, snapshots and their series files); other files stay.
  void remove_run_files() const;
  /// @brief Replace the file @p name atomically with @p contents.
  void write(std::string_view name, std::string_view contents) const;

 private:
  std::filesystem::path _root;
};

}  // namespace microheal::app
