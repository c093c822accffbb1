#include <fmt/core.h>

#include <memory>

#include "commands.hpp"
#include "microheal/perf/diffusion_bench.hpp"

namespace microheal::app {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Measure solver speed and memory (not a test)");
  bench->require_subcommand(1);
  add_bench_model_command(*bench);
  auto* diffusion = bench->add_subcommand(
      "diffusion",
      "Time the implicit diffusion-decay step on an N^3 grid: ns per voxel*species*step, bytes per "
      "voxel*species, this machine's STREAM triad bandwidth and the fraction of the bandwidth "
      "bound");
  auto config = std::make_shared<perf::DiffusionBenchConfig>();
  auto json = std::make_shared<bool>(false);
  diffusion->add_option("--grid", config->grid, "Voxels per axis N (N^3 grid)")
      ->check(CLI::Range(4L, 2048L))
      ->capture_default_str();
  diffusion->add_option("--species", config->species, "Number of species")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  diffusion->add_option("--steps", config->steps, "Timed steps (after one warm-up step)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  diffusion->add_option("--threads", config->threads, "OpenMP threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  diffusion
      ->add_option("--diffusion-number", config->diffusion_number,
                   "D dt / dx^2 of the fastest species")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  diffusion->add_flag("--json", *json, "Print one JSON object instead of text");
  diffusion->callback([config, json] {
    const perf::DiffusionBenchResult r = perf::run_diffusion_bench(*config);
    if (*json) {
      fmt::print(
          "{{\"benchmark\": \"diffusion\", \"grid\": {}, \"species\": {}, \"steps\": {}, "
          "\"threads\": {}, \"ns_per_voxel_species_step\": {:.4f}, \"bytes_per_voxel_species\": "
          "{:.3f}, \"solver_bytes_per_voxel_species\": {:.3f}, \"stream_triad_gb_per_s\": {:.3f}, "
          "\"bandwidth_bound_fraction\": {:.4f}, \"seconds_total\": {:.4f}, \"min_value\": "
          "{:.6g}}}\n",
          r.grid, r.species, r.steps, r.threads, r.ns_per_voxel_species_step,
          r.bytes_per_voxel_species, r.solver_bytes_per_voxel_species, r.stream_triad_gb_per_s,
          r.bandwidth_bound_fraction, r.seconds_total, r.min_value);
      return;
    }
    fmt::print("benchmark                      diffusion (second-order extrapolated LOD step)\n");
    fmt::print("grid                           {}^3 voxels x {} species, {} steps, {} thread(s)\n",
               r.grid, r.species, r.steps, r.threads);
    fmt::print("ns_per_voxel_species_step      {:.3f}\n", r.ns_per_voxel_species_step);
    fmt::print("bytes_per_voxel_species        {:.2f} (fields 8.00 + solver {:.2f})\n",
               r.bytes_per_voxel_species, r.solver_bytes_per_voxel_species);
    fmt::print("stream_triad_gb_per_s          {:.2f}\n", r.stream_triad_gb_per_s);
    fmt::print(
        "bandwidth_bound_fraction       {:.3f} (16 B per voxel*species*step at triad speed)\n",
        r.bandwidth_bound_fraction);
    fmt::print("seconds_total                  {:.3f}\n", r.seconds_total);
  });
}

}  // namespace microheal::app
