#pragma once

#include <cstddef>

/// @file
/// @brief This machine's memory bandwidth, measured the way STREAM does (a[i] = b[i] + s * c[i]).

namespace microheal::perf {

/// @brief Result of a triad measurement.
struct TriadResult {
  double gb_per_s = 0.0;     ///< best of the repetitions, counting 24 bytes per element
  std::size_t elements = 0;  ///< array length used
  int threads = 0;           ///< OpenMP threads used
};

/// @brief Measure the STREAM triad bandwidth with the current OpenMP thread count.
/// @param[in] bytes_per_array size of each of the three arrays; should be several times the last
///            level cache so that the figure is memory, not cache, bandwidth
/// @param[in] repetitions best-of count
TriadResult measure_stream_triad(std::size_t bytes_per_array = std::size_t{256} << 20,
                                 int repetitions = 8);

}  // namespace microheal::perf
