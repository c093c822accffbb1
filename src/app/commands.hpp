#pragma once

#include <CLI/CLI.hpp>

/// @file
/// @brief Each subcommand of `microheal` registers itself on the top-level CLI11 app. Callbacks
/// throw core::InputError for bad input (exit 2) and core::RunError for failed runs (exit 1).

namespace microheal::app {

/// @brief `microheal info`: version, git hash, compiler, OpenMP threads, library versions.
void add_info_command(CLI::App& app);

/// @brief `microheal bench diffusion ...`: speed and memory of the implicit diffusion step.
void add_bench_command(CLI::App& app);

/// @brief `microheal verify`: a quick verification demo (analytic solutions, front speeds).
void add_verify_command(CLI::App& app);

}  // namespace microheal::app
