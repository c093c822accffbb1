#include "microheal/perf/diffusion_bench.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/perf/stream_triad.hpp"
#include "microheal/solver/diffusion.hpp"

namespace microheal::perf {

namespace {

void require(bool ok, const std::string& message) {
  if (!ok)
    throw core::InputError(message);
}

}  // namespace

DiffusionBenchResult run_diffusion_bench(const DiffusionBenchConfig& config) {
  require(config.grid >= 4 && config.grid <= 2048, "bench diffusion: --grid must be in [4, 2048]");
  require(config.species >= 1 && config.species <= 64,
          "bench diffusion: --species must be in [1, 64]");
  require(config.steps >= 1, "bench diffusion: --steps must be >= 1");
  require(config.threads >= 1 && config.threads <= 1024,
          "bench diffusion: --threads must be in [1, 1024]");
  require(config.diffusion_number > 0.0 && std::isfinite(config.diffusion_number),
          "bench diffusion: the diffusion number D dt/dx^2 must be > 0");

  omp_set_num_threads(config.threads);
  const Index n = config.grid;
  const double voxel_mm = 0.02;
  const grid::Grid g = grid::Grid::uniform({n, n, n}, voxel_mm);

  // Species differ in diffusivity (a factor 10 between the slowest and the fastest) and decay,
  // as a model's cytokines, cells and growth factors do; all diffuse, zero flux on every face.
  std::vector<std::string> names;
  std::vector<solver::DiffusionSpec> specs;
  const double d_max = 0.05;  // mm^2/h, the model's cytokine
  for (int s = 0; s < config.species; ++s) {
    names.push_back("species_" + std::to_string(s));
    solver::DiffusionSpec spec;
    spec.diffusivity_mm2_per_h =
        d_max * std::pow(0.1, static_cast<double>(s) / std::max(1, config.species - 1));
    spec.decay_per_h = 0.05 * static_cast<double>(s + 1);
    specs.push_back(spec);
  }
  const double dt_h = config.diffusion_number * voxel_mm * voxel_mm / d_max;

  grid::FieldSet fields(g, names);
  for (int s = 0; s < config.species; ++s) {
    auto u = fields[static_cast<std::size_t>(s)];
    const double kx = 2.0 * std::numbers::pi * (s + 1) / static_cast<double>(n);
#pragma omp parallel for schedule(static)
    for (Index k = 0; k < n; ++k) {
      for (Index j = 0; j < n; ++j) {
        for (Index i = 0; i < n; ++i) {
          u[static_cast<std::size_t>(g.index(i, j, k))] =
              1.0 + 0.5 * std::sin(kx * static_cast<double>(i)) *
                        std::cos(kx * static_cast<double>(j + 2 * k));
        }
      }
    }
  }

  solver::DiffusionSolver diffusion(g, specs);
  const auto weights =
      solver::ErrorWeights::uniform(static_cast<std::size_t>(config.species), 1e-3, 1e-6);
  diffusion.step(fields, dt_h, weights);  // warm-up: builds the line tables for h and h/2

  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < config.steps; ++step)
    diffusion.step(fields, dt_h, weights);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  DiffusionBenchResult r;
  r.grid = n;
  r.species = config.species;
  r.steps = config.steps;
  r.threads = config.threads;
  r.seconds_total = seconds;
  const double updates = static_cast<double>(g.num_voxels()) * config.species * config.steps;
  r.ns_per_voxel_species_step = seconds / updates * 1e9;
  const double cells = static_cast<double>(g.num_voxels()) * config.species;
  r.solver_bytes_per_voxel_species = static_cast<double>(diffusion.bytes_held()) / cells;
  r.bytes_per_voxel_species = static_cast<double>(fields.bytes() + diffusion.bytes_held()) / cells;
  double min_value = 1e300;
  for (int s = 0; s < config.species; ++s) {
    const auto u = fields[static_cast<std::size_t>(s)];
    min_value = std::min(min_value, *std::min_element(u.begin(), u.end()));
  }
  r.min_value = min_value;

  const TriadResult triad = measure_stream_triad();
  r.stream_triad_gb_per_s = triad.gb_per_s;
  // Any step must at least read and write each value once: 16 bytes per voxel and species.
  const double bound_seconds_per_update = 16.0 / (triad.gb_per_s * 1e9);
  r.bandwidth_bound_fraction = bound_seconds_per_update / (seconds / updates);
  return r;
}

}  // namespace microheal::perf
