#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/core/json.hpp"
#include "microheal/core/text.hpp"

/// @file
/// @brief A small streaming JSON writer for manifest.json and metrics.json (no JSON library is a
/// dependency, and these files are written, never read back).

namespace microheal::app {

/// @brief Writes one JSON document with two-space indentation. Keys are given for members of
/// objects and left empty for array elements. Non-finite numbers become null (JSON has no NaN).
class JsonWriter {
 public:
  JsonWriter& begin_object(std::string_view key = {}) { return open(key, '{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array(std::string_view key = {}) { return open(key, '['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& value(std::string_view key, double v) { return raw(key, number(v)); }
  JsonWriter& value(std::string_view key, std::optional<double> v) {
    return raw(key, v ? number(*v) : "null");
  }
  JsonWriter& value(std::string_view key, std::int64_t v) { return raw(key, std::to_string(v)); }
  JsonWriter& value(std::string_view key, int v) { return raw(key, std::to_string(v)); }
  JsonWriter& value(std::string_view key, bool v) { return raw(key, v ? "true" : "false"); }
  JsonWriter& value(std::string_view key, std::string_view v) { return raw(key, quoted(v)); }
  JsonWriter& value(std::string_view key, const char* v) { return raw(key, quoted(v)); }
  JsonWriter& null(std::string_view key) { return raw(key, "null"); }

  /// @brief The document (complete once every object and array is closed).
  std::string str() const { return _out + "\n"; }

  /// @brief Shortest text that reads back as the same double; null when not finite.
  static std::string number(double v) {
    if (!std::isfinite(v))
      return "null";
    return core::round_trip_text(v);
  }

  static std::string quoted(std::string_view text) {
    // Appended piece by piece: g++ 12 reports a false -Wrestrict on "\"" + std::string + "\"".
    std::string out(1, '"');
    out += core::json_escape(text);
    out += '"';
    return out;
  }

 private:
  JsonWriter& open(std::string_view key, char bracket) {
    prefix(key);
    _out += bracket;
    _first.push_back(true);
    return *this;
  }
  JsonWriter& close(char bracket) {
    const bool empty = _first.back();
    _first.pop_back();
    if (!empty)
      newline();
    _out += bracket;
    return *this;
  }
  JsonWriter& raw(std::string_view key, const std::string& text) {
    prefix(key);
    _out += text;
    return *this;
  }
  void prefix(std::string_view key) {
    if (!_first.empty()) {
      if (!_first.back())
        _out += ',';
      _first.back() = false;
      newline();
    }
    if (!key.empty())
      _out += quoted(key) + ": ";
  }
  void newline() {
    _out += '\n';
    _out.append(2 * _first.size(), ' ');
  }

  std::string _out;
  std::vector<bool> _first;  // per open container: nothing written into it yet
};

}  // namespace microheal::app
