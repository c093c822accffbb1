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

}  // namespace microheal::scenario
