#pragma once

#include <cstdint>
#include <random>

/// @file
/// @brief Draws from std::mt19937_64 that are the same on every standard library: the engine is
/// specified bit for bit, but std::uniform_real_distribution, std::uniform_int_distribution and
/// std::shuffle are not. Designs and bootstrap intervals must not change with the compiler.

namespace microheal::sweep {

/// @brief Uniform in [0, 1) from the top 53 bits of one draw.
inline double unit_draw(std::mt19937_64& rng) {
  constexpr double two_to_minus_53 = 0x1.0p-53;
  return static_cast<double>(rng() >> 11U) * two_to_minus_53;
}

/// @brief Uniform integer in [0, n) by rejection (no modulo bias).
/// @pre n > 0
inline std::uint64_t draw_below(std::mt19937_64& rng, std::uint64_t n) {
  // The lowest 2^64 mod n draws would make small remainders more likely: draw again.
  const std::uint64_t threshold = (0 - n) % n;
  while (true) {
    const std::uint64_t x = rng();
    if (x >= threshold)
      return x % n;
  }
}

}  // namespace microheal::sweep
