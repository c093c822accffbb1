#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

/// @file
/// @brief The sbatch script of a Slurm job array that runs a sweep: one array task per case,
/// each `microheal sweep SWEEP -o DIR --case-index $SLURM_ARRAY_TASK_ID`. Slurm does the
/// scheduling; `microheal sweep collect DIR` gathers the results afterwards.

namespace microheal::sweep {

/// @brief What the script runs and asks Slurm for.
struct SlurmJob {
  std::filesystem::path script;      ///< where the script goes (named in its comments)
  std::filesystem::path executable;  ///< microheal, absolute
  std::filesystem::path sweep_file;  ///< absolute
  std::filesystem::path directory;   ///< the sweep directory, absolute
  std::string job_name;              ///< letters, digits, '-', '_', '.'
  std::vector<std::size_t> cases;    ///< case indices to run (the array), ascending
  std::size_t total_cases = 0;       ///< cases of the whole sweep (for the comment)
  std::string partition;             ///< empty: the cluster's default
  std::string time_limit;            ///< per task, Slurm's format; empty: the partition's default
  int cpus_per_task = 1;             ///< OpenMP threads of each case
};

/// @brief Slurm's array syntax for @p indices (ascending): runs become ranges, "0-5,7,9-11".
std::string array_ranges(std::span<const std::size_t> indices);

/// @brief @p text quoted for bash (single quotes; a quote inside becomes '\'').
std::string shell_quoted(const std::string& text);

/// @brief True for the time formats sbatch --time takes: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
bool is_slurm_time(const std::string& text);

/// @brief Seconds of a Slurm time limit (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S).
/// @pre is_slurm_time(text)
long slurm_time_seconds(const std::string& text);

/// @brief How long before a task's time limit Slurm is asked to send SIGTERM (`#SBATCH
/// --signal=B:TERM@N`), so that the case stops gracefully and saves its checkpoint instead of
/// being killed: a quarter of the limit, at least 30 s and at most 300 s (Slurm delivers it up to
/// 60 s early; a resolved 3D step and its checkpoint take seconds).
long stop_warning_seconds(long time_limit_s);

/// @brief The job script. With a time limit it asks for the stop warning signal; the task execs
/// microheal, so the batch shell that receives it (`B:`) is microheal itself.
/// @pre job.cases is not empty
std::string slurm_script(const SlurmJob& job);

}  // namespace microheal::sweep
