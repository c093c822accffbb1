#include "microheal/scenario/toml_text.hpp"

#include "microheal/core/error.hpp"

namespace microheal::scenario {

std::string toml_where(const toml::source_region& region, std::string_view fallback) {
  std::string out = region.path ? *region.path : std::string(fallback);
  out += ':';
  out += std::to_string(region.begin.line);
  out += ':';
  out += std::to_string(region.begin.column);
  return out;
}

std::string toml_type_text(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty())
      out += separator;
    out += item;
  }
  return out;
}

std::string leaf_of(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return std::string(dot == std::string_view::npos ? path : path.substr(dot + 1));
}

void ProblemList::add(std::string_view where, std::string_view key, std::string_view message) {
  std::string text(where);
  text += ": ";
  if (!key.empty()) {
    text += key;
    text += ": ";
  }
  text += message;
  _messages.push_back(std::move(text));
}

void ProblemList::raise() const {
  if (_messages.size() == 1)
    throw core::InputError(_messages.front());
  throw core::InputError(std::to_string(_messages.size()) + " problems in the " + _document +
                         ":\n  " + join(_messages, "\n  "));
}

}  // namespace microheal::scenario
