#pragma once

#include <toml++/toml.h>
#include <string>
#include <string_view>

/// @file
/// @brief How TOML nodes are named in error messages, shared by scenario and sweep files so that
/// both say "file:line:col" and "expected ..., got a string" in the same words.

namespace microheal::scenario {

/// @brief "path:line:col" of @p region; @p fallback names a source without a path.
std::string toml_where(const toml::source_region& region, std::string_view fallback);

/// @brief The kind of @p node with its article: "a table", "an integer", ...
std::string toml_type_text(const toml::node& node);

/// @brief @p items separated by @p separator.
std::string join(const std::vector<std::string>& items, std::string_view separator);

/// @brief The last part of a dotted key path: "needle.length_mm" -> "length_mm".
std::string leaf_of(std::string_view path);

/// @brief Collects every problem of an input file, so that a user fixes them all in one go.
class ProblemList {
 public:
  /// @param document what the problems are in, for the summary line: "scenario", "sweep"
  explicit ProblemList(std::string document) : _document(std::move(document)) {}
  void add(std::string message) { _messages.push_back(std::move(message)); }
  /// @brief "where: key: message" (without "key: " when @p key is empty).
  void add(std::string_view where, std::string_view key, std::string_view message);
  bool empty() const { return _messages.empty(); }
  /// @throws core::InputError with the one problem, or "N problems in the <document>:" and
  /// every problem on its own line
  [[noreturn]] void raise() const;

 private:
  std::string _document;
  std::vector<std::string> _messages;
};

}  // namespace microheal::scenario
