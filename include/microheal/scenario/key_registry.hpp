#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "microheal/scenario/scenario.hpp"

/// @file
/// @brief The registry of scenario keys: for each key its TOML path, type, unit, allowed range or
/// choices, default and meaning, and how it reads from and writes to a Scenario. The parser, the
/// effective configuration (`print-config`), the manifest and the key table of docs/scenarios.md
/// are all generated from it, so they cannot disagree.

namespace microheal::scenario {

/// @brief The TOML type a key takes.
enum class ValueKind {
  real,       ///< a float or an integer
  integer,    ///< an integer
  boolean,    ///< true or false
  text,       ///< a string (one of `choices` when they are given)
  real_list,  ///< an array of numbers
  text_list,  ///< an array of strings (each one of `choices` when given)
};

/// @brief A key's value.
using Value = std::variant<double, std::int64_t, bool, std::string, std::vector<double>,
                           std::vector<std::string>>;

/// @brief One scenario key.
///
/// Keys of `[[protocol.overrides]]` entries have paths "protocol.overrides[].<name>" and are
/// applied per entry (`set_element`); all others are applied in registry order (`set`), so a key
/// that others build on (tissue.site) comes first.
struct KeyInfo {
  std::string path;  ///< "needle.length_mm"
  ValueKind kind = ValueKind::real;
  std::string unit;                                       ///< "mm", "1/h", "" when dimensionless
  double min = -std::numeric_limits<double>::infinity();  ///< numbers and list elements
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  ///< the range is (min, max] rather than [min, max]
  std::size_t min_items = 0;   ///< lists
  std::size_t max_items = std::numeric_limits<std::size_t>::max();
  std::vector<std::string> choices;  ///< text keys: the allowed values (empty: any)
  std::string default_text;          ///< for docs when the default is not a plain value
  std::string description;
  /// Store a checked value. Throws core::InputError for what a range cannot express.
  std::function<void(Scenario&, const Value&)> set;
  /// The value in effect, or nothing when the key is not used by @p scenario (the other side of an
  /// either/or pair such as output.every_h / output.times_h).
  std::function<std::optional<Value>(const Scenario&)> get;
  /// Keys of one [[protocol.overrides]] entry: store into entry @p element.
  std::function<void(Scenario&, std::size_t element, const Value&)> set_element;
};

/// @brief Every key, in the order they are applied and printed.
std::vector<KeyInfo> scenario_keys();

/// @brief The allowed values of a key for messages: "in [0.1, 3] mm", "one of pen, roller", ...
std::string expected_text(const KeyInfo& key);

/// @brief A value as TOML text (shortest round-trip form for numbers).
std::string toml_value_text(const Value& value);

/// @brief The key reference of docs/scenarios.md (Markdown): one table per section with key,
/// type, unit, default, allowed values and meaning.
std::string key_table_markdown();

/// @brief Levenshtein distance (for "did you mean").
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace microheal::scenario
