#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

/// @file
/// @brief FNV-1a (64 bit): the one hash of the project, for fingerprints (scenarios, sweep case
/// ids) and checksums (checkpoint datasets). Not cryptographic: it detects accidental change (a
/// flipped bit, a truncated or mixed-up file), which is all these uses need.

namespace microheal::core {

/// @brief FNV-1a offset basis: the hash of nothing, and the seed to continue from.
inline constexpr std::uint64_t fnv1a64_basis = 0xcbf29ce484222325ULL;

/// @brief FNV-1a of @p bytes, continuing from @p hash (chain calls to hash several pieces).
constexpr std::uint64_t fnv1a64(std::span<const std::byte> bytes,
                                std::uint64_t hash = fnv1a64_basis) {
  constexpr std::uint64_t prime = 0x100000001b3ULL;
  for (const std::byte b : bytes) {
    hash ^= static_cast<std::uint64_t>(b);
    hash *= prime;
  }
  return hash;
}

/// @brief FNV-1a of the characters of @p text, continuing from @p hash.
constexpr std::uint64_t fnv1a64(std::string_view text, std::uint64_t hash = fnv1a64_basis) {
  constexpr std::uint64_t prime = 0x100000001b3ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= prime;
  }
  return hash;
}

}  // namespace microheal::core
