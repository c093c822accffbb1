// libFuzzer target: sweep file text (TOML) -> sweep::parse_sweep(), with relative bases resolved
// against scenarios/sweeps/ of the source tree (so the examples' "../teaching-single-session.toml"
// is found and its scenario is checked as well).
//
// Findings: crashes, sanitizer reports, hangs and exceptions other than core::InputError; and a
// valid sweep whose resolved copy (to_toml) does not read back as the same sweep, which
// sweep_spec.hpp promises and `microheal sweep` relies on (the sweep directory keeps that copy
// and compares it on every re-run).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "fuzz_paths.hpp"
#include "fuzz_support.hpp"
#include "microheal/core/error.hpp"
#include "microheal/sweep/sweep_spec.hpp"

namespace {

using microheal::core::InputError;
namespace sweep = microheal::sweep;

const std::filesystem::path& sweep_directory() {
  static const std::filesystem::path directory =
      std::filesystem::path(microheal::fuzz::source_dir) / "scenarios" / "sweeps";
  return directory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const sweep::SweepSpec spec =
        sweep::parse_sweep(microheal::fuzz::text_of(data, size), "fuzz.toml", sweep_directory());
    const std::string written = sweep::to_toml(spec, spec.base_as_written);
    try {
      if (sweep::parse_sweep(written, "to_toml", sweep_directory()) != spec)
        microheal::fuzz::broken_promise("parse_sweep(to_toml(s)) differs from s", written);
    } catch (const InputError& error) {
      microheal::fuzz::broken_promise(error.what(), written);
    }
  } catch (const InputError&) {
    // Bad input, reported as the API promises.
  }
  return 0;
}
