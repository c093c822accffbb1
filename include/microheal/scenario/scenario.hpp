#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/simulation/simulation_spec.hpp"

/// @file
/// @brief Scenario: everything one `microheal run` needs, read from a TOML scenario file (plus
/// `--set key=value` overrides), validated once, and written back as TOML (`print-config`).
///
/// Keys, units, defaults and ranges live in one registry (scenario/key_registry.hpp); the parser,
/// print-config and docs/scenarios.md all come from it.

namespace microheal::scenario {

/// @brief Floating-point width of the field snapshots.
enum class FieldPrecision { float32, float64 };

/// @brief What a run writes besides metrics and the time series.
///
/// Output times: either every_h (0, every_h, 2 every_h, ... and always the end of the run) or the
/// explicit list times_h (strictly increasing, within the run).
struct OutputSpec {
  /// Write field snapshots (fields/, fields.xmf, fields.hdf.series). Off keeps the time series,
  /// metrics and checkpoints: sweeps run hundreds of cases and rarely look at fields.
  bool snapshots = true;
  double every_h = 24.0;        ///< used when times_h is empty
  std::vector<double> times_h;  ///< explicit output times, h; non-empty replaces every_h
  FieldPrecision precision = FieldPrecision::float32;
  std::vector<std::string> fields;  ///< species written to the snapshots; empty: all
  int gzip_level = 1;               ///< 0: none; 1..9: gzip level of the snapshot datasets
};

/// @brief A validated scenario: the simulation spec plus what the command line needs to run it.
struct Scenario {
  std::string description;          ///< free text, copied to the manifest
  simulation::SimulationSpec spec;  ///< output_times_h filled in from `output`
  OutputSpec output;
  /// Wall-clock minutes between checkpoints (besides the one after every session); 0: only at
  /// sessions.
  double checkpoint_every_min = 10.0;
};

/// @brief The output times (h) of @p output over a run of @p duration_h.
std::vector<double> output_times_h(const OutputSpec& output, double duration_h);

/// @brief Read, check and validate the scenario file @p path, then apply @p overrides.
/// @param[in] path a TOML scenario file
/// @param[in] overrides "key=value" strings (`--set`); the value is TOML (`1.5`, `"scalp"`,
///            `[0, 24]`), a bare word is taken as a string
/// @throws core::InputError listing every unknown key (with "did you mean"), wrong type and
///         out-of-range value with file:line:column, key, unit and range; or the first reason the
///         whole is impossible (needle deeper than the block, sessions after the end, ...)
Scenario load_scenario(const std::filesystem::path& path,
                       std::span<const std::string> overrides = {});

/// @brief As load_scenario() for scenario text; @p source_name names it in messages.
Scenario parse_scenario(std::string_view text, std::string_view source_name,
                        std::span<const std::string> overrides = {});

/// @brief The effective configuration as a scenario file: every key with its value, defaults
/// filled in, one commented line per key. parse_scenario(to_toml(s)) gives s again.
/// @param[in] header comment lines put at the top (each is prefixed with "# ")
std::string to_toml(const Scenario& scenario, std::span<const std::string> header = {});

}  // namespace microheal::scenario
