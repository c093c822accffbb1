#include "microheal/perf/stream_triad.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace microheal::perf {

TriadResult measure_stream_triad(std::size_t bytes_per_array, int repetitions) {
  const auto n = static_cast<long>(bytes_per_array / sizeof(double));
  std::vector<double> a(static_cast<std::size_t>(n));
  std::vector<double> b(static_cast<std::size_t>(n));
  std::vector<double> c(static_cast<std::size_t>(n));
  // First touch by the same static schedule as the timed loop, so each thread's pages sit near it.
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) {
    a[static_cast<std::size_t>(i)] = 0.0;
    b[static_cast<std::size_t>(i)] = 1.0;
    c[static_cast<std::size_t>(i)] = 2.0;
  }
  const double scalar = 3.0;
  double best = 1e300;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      a[u] = b[u] + scalar * c[u];
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    // Feed the result back so the compiler cannot drop repetitions.
    b[static_cast<std::size_t>(r) % b.size()] += a[static_cast<std::size_t>(r) % a.size()] * 1e-300;
  }
  TriadResult result;
  result.elements = static_cast<std::size_t>(n);
  result.threads = omp_get_max_threads();
  result.gb_per_s = 24.0 * static_cast<double>(n) / best / 1e9;
  return result;
}

}  // namespace microheal::perf
