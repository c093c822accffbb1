#pragma once

#include <CLI/CLI.hpp>

/// @file
/// @brief Each subcommand of `microheal` registers itself on the top-level CLI11 app. Callbacks
/// throw core::InputError for bad input (exit 2) and core::RunError for failed runs (exit 1), or
/// CommandExit for an exit code they have explained already.

namespace microheal::app {

/// @brief `microheal info`: version, git hash, compiler, OpenMP threads, library versions.
void add_info_command(CLI::App& app);

/// @brief `microheal bench diffusion ...`: speed and memory of the implicit diffusion step.
void add_bench_command(CLI::App& app);

/// @brief `microheal bench model ...`: time to solution of fixed model cases and their metric
/// deviation from stored references (bench_model.cpp); registered by add_bench_command.
void add_bench_model_command(CLI::App& bench);

/// @brief `microheal compare RUN REFERENCE [--rel-pct P] [--time-h H] [--json]`: every metric of
/// a run against a reference run; exit 0 within tolerance, 1 outside, 2 bad input.
void add_compare_command(CLI::App& app);

/// @brief `microheal verify`: a quick verification demo (analytic solutions, front speeds).
void add_verify_command(CLI::App& app);

/// @brief `microheal run SCENARIO [-o DIR] [--set k=v]... [--threads N] [--resume|--overwrite]
/// [--quiet]`: a protocol run with snapshots, time series, metrics, manifest and checkpoints.
void add_run_command(CLI::App& app);

/// @brief `microheal sweep SWEEP -o DIR [--jobs N] [--mpi] [--case-index I] [--emit-slurm F]`,
/// `microheal sweep collect DIR` and `microheal sweep analyze DIR`: parameter sweeps.
void add_sweep_command(CLI::App& app);

/// @brief Thrown by a command that has said everything itself and ends with exit code @p code
/// (a sweep whose cases failed, an MPI rank): main() returns the code and prints nothing more.
struct CommandExit {
  int code = 1;
};

/// @brief `microheal validate`, `microheal print-config` (scenario checks and the effective
/// configuration) and `microheal keys` (the scenario key reference).
void add_scenario_commands(CLI::App& app);

}  // namespace microheal::app
