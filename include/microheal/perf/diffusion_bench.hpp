#pragma once

#include <cstddef>

/// @file
/// @brief The benchmark behind `microheal bench diffusion`: the implicit diffusion-decay step of
/// the production solver (solver::DiffusionSolver::step) on an N^3 grid with S species.

namespace microheal::perf {

/// @brief What to run.
struct DiffusionBenchConfig {
  long grid = 128;                ///< voxels per axis (N^3 grid)
  int species = 8;                ///< number of species
  int steps = 10;                 ///< timed steps (one untimed warm-up step runs first)
  int threads = 1;                ///< OpenMP threads
  double diffusion_number = 1.0;  ///< D dt / dx^2 of the fastest species
};

/// @brief What was measured.
struct DiffusionBenchResult {
  double ns_per_voxel_species_step = 0.0;
  double bytes_per_voxel_species = 0.0;         ///< fields + everything the solver holds
  double solver_bytes_per_voxel_species = 0.0;  ///< the solver's own tables and scratch only
  double stream_triad_gb_per_s = 0.0;
  /// @brief Time a step would take if it only read and wrote every value once at triad speed
  /// (16 bytes per voxel and species), divided by the measured time. 1 = at the bound.
  double bandwidth_bound_fraction = 0.0;
  double seconds_total = 0.0;
  double min_value = 0.0;  ///< smallest field value after the run (sanity: >= 0 here)
  long grid = 0;
  int species = 0;
  int steps = 0;
  int threads = 0;
};

/// @brief Run the benchmark (also measures the triad bandwidth with the same thread count).
/// @pre grid >= 4, species >= 1, steps >= 1, threads >= 1 (throws core::InputError otherwise)
DiffusionBenchResult run_diffusion_bench(const DiffusionBenchConfig& config);

}  // namespace microheal::perf
