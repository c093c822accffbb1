#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/scenario/key_registry.hpp"

/// @file
/// @brief A sweep file: a base scenario, the axes (scenario keys and the values they take), a
/// design that combines them into cases, and overrides applied to every case. Read from TOML with
/// the same quality of errors as a scenario (file:line:column, key, what was expected, "did you
/// mean"), and written back as TOML (the resolved copy a sweep directory keeps).
///
/// @code{.toml}
/// description = "needle length x session interval"
/// base = "../teaching-single-session.toml"   # relative to the sweep file
/// [sweep]
/// design = "factorial"                        # factorial | latin_hypercube | sobol
/// [fixed]
/// "protocol.duration_days" = 28
/// [[axis]]
/// key = "needle.length_mm"
/// values = [0.5, 1.0, 1.5]
/// [[axis]]
/// key = "protocol.interval_days"
/// linspace = { from = 14, to = 42, count = 3 }
/// @endcode

namespace microheal::sweep {

/// @brief How the axes are combined into cases.
enum class Sampler {
  factorial,        ///< every combination of every axis's values
  latin_hypercube,  ///< `samples` cases, each axis stratified into `samples` equal intervals
  sobol,  ///< Saltelli's scheme on a digitally shifted Sobol sequence: samples x (axes + 2) cases
};

/// @brief "factorial", "latin_hypercube", "sobol".
std::string_view sampler_name(Sampler sampler);

/// @brief How an axis gives its values.
enum class AxisSpacing {
  list,         ///< `values = [...]`: exactly these (any key type)
  linear,       ///< `linspace = {from, to, count}`: evenly spaced numbers
  logarithmic,  ///< `logspace = {from, to, count}`: evenly spaced logarithms (from, to > 0)
};

/// @brief One axis: a scenario key and the values it takes.
///
/// A factorial design takes the listed values or the `count` points of a linspace/logspace. The
/// samplers (Latin hypercube, Sobol) map a position u in [0, 1) to a value: a list gives its
/// element floor(u x size) (each equally likely), a linspace from + u (to - from) and a logspace
/// from (to / from)^u (continuous; `count` is not used).
struct Axis {
  std::string key;  ///< scenario key, e.g. "needle.length_mm"
  AxisSpacing spacing = AxisSpacing::list;
  std::vector<scenario::Value> values;  ///< list axes: the values, checked against the key
  double from = 0.0;                    ///< linear and logarithmic axes: the interval
  double to = 0.0;
  std::size_t count = 0;  ///< factorial points of a linspace/logspace (0: none)
  bool integer = false;   ///< the key takes integers (values are std::int64_t)
  friend bool operator==(const Axis&, const Axis&) = default;
};

/// @brief A key set to the same value in every case.
struct FixedValue {
  std::string key;
  scenario::Value value;
  friend bool operator==(const FixedValue&, const FixedValue&) = default;
};

/// @brief A validated sweep.
struct SweepSpec {
  std::string description;
  /// The base scenario file: as written in the sweep file, and resolved against the sweep file's
  /// directory.
  std::string base_as_written;
  std::filesystem::path base;
  Sampler sampler = Sampler::factorial;
  std::size_t samples = 0;        ///< latin_hypercube: cases; sobol: base samples N
  std::uint64_t seed = 0;         ///< latin_hypercube and sobol
  bool fields = false;            ///< write field snapshots in every case (output.snapshots)
  bool keep_checkpoints = false;  ///< keep checkpoint.h5 of completed cases
  std::vector<FixedValue> fixed;
  std::vector<Axis> axes;
  friend bool operator==(const SweepSpec&, const SweepSpec&) = default;
};

/// @brief The most cases a design may have (a typo in a count should not fill a disk).
inline constexpr std::size_t max_cases = 1'000'000;

/// @brief Read and check the sweep file @p path, and check that its base scenario with the fixed
/// values is a valid scenario.
/// @throws core::InputError listing every problem: unknown keys (with "did you mean"), wrong
///         types, values out of the scenario key's range, with file:line:column and key; a missing
///         or invalid base scenario
SweepSpec load_sweep(const std::filesystem::path& path);

/// @brief As load_sweep() for sweep text; @p source_name names it in messages and a relative base
/// is resolved against @p directory.
SweepSpec parse_sweep(std::string_view text, std::string_view source_name,
                      const std::filesystem::path& directory);

/// @brief The sweep as a sweep file with every setting spelled out and @p base as its base;
/// parse_sweep(to_toml(s, b)) gives s again (with base b).
/// @param[in] header comment lines put at the top (each is prefixed with "# ")
std::string to_toml(const SweepSpec& spec, std::string_view base,
                    const std::vector<std::string>& header = {});

/// @brief "key=value" with the value as TOML text (shortest round-trip numbers): an override as
/// `microheal run --set` takes it.
std::string assignment(std::string_view key, const scenario::Value& value);

}  // namespace microheal::sweep
