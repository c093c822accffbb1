// libFuzzer target: scenario text (TOML) -> scenario::parse_scenario().
//
// Findings: crashes, sanitizer reports, hangs and exceptions other than core::InputError; and a
// valid scenario whose effective configuration (to_toml) does not read back as the same scenario,
// which scenario.hpp promises and `microheal run` relies on (it writes scenario.toml that way).

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "microheal/core/error.hpp"
#include "microheal/scenario/scenario.hpp"

namespace {

using microheal::core::InputError;
namespace scenario = microheal::scenario;

void check_round_trip(const scenario::Scenario& parsed) {
  const std::string written = scenario::to_toml(parsed);
  try {
    const scenario::Scenario again = scenario::parse_scenario(written, "to_toml");
    if (scenario::to_toml(again) != written)
      microheal::fuzz::broken_promise("to_toml(parse_scenario(to_toml(s))) differs", written);
  } catch (const InputError& error) {
    microheal::fuzz::broken_promise(error.what(), written);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    check_round_trip(scenario::parse_scenario(microheal::fuzz::text_of(data, size), "fuzz.toml"));
  } catch (const InputError&) {
    // Bad input, reported as the API promises.
  }
  return 0;
}
