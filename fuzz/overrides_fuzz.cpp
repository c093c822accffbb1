// libFuzzer target: `--set key=value` overrides (one per input line) applied to the default
// scenario (an empty scenario file) by scenario::parse_scenario().
//
// Findings: as for the scenario target (scenario_fuzz.cpp), including the to_toml round trip.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "microheal/core/error.hpp"
#include "microheal/scenario/scenario.hpp"

namespace {

using microheal::core::InputError;
namespace scenario = microheal::scenario;

/// The input's lines, each one `--set` value.
std::vector<std::string> assignments_of(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> overrides = assignments_of(microheal::fuzz::text_of(data, size));
  try {
    const scenario::Scenario parsed = scenario::parse_scenario("", "default", overrides);
    const std::string written = scenario::to_toml(parsed);
    try {
      if (scenario::to_toml(scenario::parse_scenario(written, "to_toml")) != written)
        microheal::fuzz::broken_promise("to_toml(parse_scenario(to_toml(s))) differs", written);
    } catch (const InputError& error) {
      microheal::fuzz::broken_promise(error.what(), written);
    }
  } catch (const InputError&) {
    // Bad input, reported as the API promises.
  }
  return 0;
}
