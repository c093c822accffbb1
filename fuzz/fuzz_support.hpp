#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

/// @file
/// @brief What the libFuzzer targets share: the input as text, and how a broken promise of the
/// API under test is reported.
///
/// A target catches only the exceptions its API documents (core::InputError for bad input).
/// Anything else escapes to libFuzzer, which reports it as a crash, as it does a sanitizer report,
/// a hang (-timeout) or running out of memory (-rss_limit_mb).

namespace microheal::fuzz {

/// @brief The fuzz input as text (any bytes; the parsers must cope with all of them).
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// @brief Stops the fuzzer with @p what when a documented property does not hold: abort() is a
/// crash to libFuzzer, which then saves the input that caused it.
[[noreturn]] inline void broken_promise(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "broken promise: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace microheal::fuzz
