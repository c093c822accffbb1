#include "microheal/scenario/toml_text.hpp"

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

}  // namespace microheal::scenario
