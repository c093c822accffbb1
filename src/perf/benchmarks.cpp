// Google Benchmark executables for the solver's hot paths (built with the `bench` preset; not
// tests). `microheal bench diffusion` is the user-facing figure; these are for profiling changes.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <string>
#include <vector>

#include "microheal/grid/field_set.hpp"
#include "microheal/solver/diffusion.hpp"

namespace {

using namespace microheal;

void diffusion_step(benchmark::State& state) {
  const auto n = static_cast<Index>(state.range(0));
  const auto species = static_cast<std::size_t>(state.range(1));
  const auto g = grid::Grid::uniform({n, n, n}, 0.02);
  std::vector<std::string> names;
  std::vector<solver::DiffusionSpec> specs;
  for (std::size_t s = 0; s < species; ++s) {
    names.push_back("s" + std::to_string(s));
    solver::DiffusionSpec spec;
    spec.diffusivity_mm2_per_h = 0.05 / static_cast<double>(s + 1);
    spec.decay_per_h = 0.1;
    specs.push_back(spec);
  }
  grid::FieldSet fields(g, names);
  for (std::size_t s = 0; s < species; ++s)
    fields.fill(s, 1.0);
  fields[0][static_cast<std::size_t>(g.index(n / 2, n / 2, n / 2))] = 100.0;
  solver::DiffusionSolver diffusion(g, specs);
  const auto weights = solver::ErrorWeights::uniform(species, 1e-3, 1e-6);
  const double dt_h = 0.02 * 0.02 / 0.05;
  for (auto _ : state) {
    benchmark::DoNotOptimize(diffusion.step(fields, dt_h, weights));
  }
  state.counters["ns_per_voxel_species"] = benchmark::Counter(
      static_cast<double>(g.num_voxels() * static_cast<Index>(species)),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["threads"] = omp_get_max_threads();
}

}  // namespace

BENCHMARK(diffusion_step)->Args({64, 4})->Args({128, 8})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
