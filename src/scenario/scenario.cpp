#include "microheal/scenario/scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/geometry/protocol.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/model/species.hpp"
#include "microheal/scenario/key_registry.hpp"
#include "microheal/scenario/toml_text.hpp"

namespace microheal::scenario {

namespace {

constexpr std::string_view set_prefix = "--set ";
constexpr std::string_view overrides_path = "protocol.overrides";
constexpr std::string_view element_marker = "[]";

/// "file:line:col" of a node, or "--set key=value" for a node that came from the command line.
std::string where(const toml::source_region& region) {
  // --set values name the option, not a position in a file.
  if (region.path && std::string_view(*region.path).starts_with(set_prefix))
    return *region.path;
  return toml_where(region, "<scenario>");
}

std::string node_text(const toml::node& node) {
  if (node.is_table())
    return "a table";
  std::ostringstream text;
  node.visit([&text](const auto& n) { text << n; });
  std::string s = text.str();
  if (s.size() > 60)
    s = s.substr(0, 57) + "...";
  return s;
}

std::string parent_of(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(path.substr(0, dot));
}

bool is_element_key(const KeyInfo& key) {
  return key.path.find(element_marker) != std::string::npos;
}

/// Every problem of the scenario; positions of --set values name the option.
class Problems : public ProblemList {
 public:
  Problems() : ProblemList("scenario") {}
  using ProblemList::add;
  void add(const toml::source_region& region, std::string_view key, std::string_view message) {
    ProblemList::add(where(region), key, message);
  }
};

/// A key found in the document: its node and where it is.
struct Found {
  const toml::node* node = nullptr;
  toml::source_region region;
};

/// The closest known key to an unknown @p path, if it is a plausible typo or a key that belongs to
/// another table ("length_mm" in [domain] -> "needle.length_mm").
std::optional<std::string> suggestion(const std::string& path, const std::vector<KeyInfo>& keys) {
  if (path.starts_with("model.")) {
    if (const auto symbol = model::closest_parameter_symbol(path.substr(6)))
      return "model." + std::string(*symbol);
  }
  const std::string leaf = leaf_of(path);
  std::set<std::string> candidates;
  for (const KeyInfo& key : keys) {
    if (is_element_key(key))
      continue;
    candidates.insert(key.path);
    // Tables are candidates too (a misspelt [section]).
    for (std::string parent = parent_of(key.path); !parent.empty(); parent = parent_of(parent))
      candidates.insert(parent);
  }
  candidates.insert(std::string(overrides_path));
  std::optional<std::string> best;
  std::size_t best_score = std::max<std::size_t>(2, leaf.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    std::size_t score = edit_distance(path, candidate);
    if (leaf_of(candidate) == leaf && leaf.size() > 2)
      score = std::min<std::size_t>(score, 1);  // right key, wrong table
    if (score < best_score) {
      best_score = score;
      best = candidate;
    }
  }
  return best;
}

/// The keys that may appear directly in table @p table (for "the keys of [needle] are ...").
std::vector<std::string> keys_of_table(const std::string& table, const std::vector<KeyInfo>& keys) {
  std::vector<std::string> names;
  for (const KeyInfo& key : keys) {
    if (!is_element_key(key) && parent_of(key.path) == table)
      names.push_back(leaf_of(key.path));
  }
  return names;
}

class Parser {
 public:
  explicit Parser(std::vector<KeyInfo> keys) : _keys(std::move(keys)) {
    for (const KeyInfo& key : _keys) {
      if (is_element_key(key))
        continue;
      _known.insert(key.path);
      for (std::string parent = parent_of(key.path); !parent.empty(); parent = parent_of(parent))
        _tables.insert(parent);
    }
  }

  Scenario parse(toml::table& root) {
    walk(root, "");
    Scenario scenario;
    for (const KeyInfo& key : _keys) {
      if (is_element_key(key))
        continue;
      const auto it = _found.find(key.path);
      if (it == _found.end())
        continue;
      apply(key, it->second, [&](const Value& v) { key.set(scenario, v); });
    }
    apply_overrides(scenario);
    check_either_or("protocol.session_days",
                    {"protocol.sessions", "protocol.interval_days", "protocol.first_session_day"});
    check_either_or("output.times_h", {"output.every_h"});
    check_fields(scenario);
    if (!_problems.empty())
      _problems.raise();
    return scenario;
  }

  /// Where @p key was given, if it was.
  std::optional<toml::source_region> location(const std::string& key) const {
    if (const auto it = _found.find(key); it != _found.end())
      return it->second.region;
    if (const auto it = _table_regions.find(key); it != _table_regions.end())
      return it->second;
    return std::nullopt;
  }

 private:
  void walk(const toml::table& table, const std::string& prefix) {
    for (const auto& [name, node] : table) {
      const std::string path =
          prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      if (_known.contains(path)) {
        _found[path] = Found{&node, node.source()};
        continue;
      }
      if (path == overrides_path) {
        _table_regions[path] = node.source();
        walk_overrides(node);
        continue;
      }
      if (_tables.contains(path)) {
        _table_regions[path] = node.source();
        if (const toml::table* sub = node.as_table()) {
          walk(*sub, path);
        } else {
          _problems.add(node.source(), path,
                        "expected a table ([" + path + "]), got " + toml_type_text(node));
        }
        continue;
      }
      unknown(path, name.source(), prefix);
    }
  }

  void unknown(const std::string& path, const toml::source_region& region,
               const std::string& table) {
    std::string message = "unknown key '" + path + "'";
    if (const auto close = suggestion(path, _keys)) {
      message += "; did you mean '" + *close + "'?";
    } else if (table == "model") {
      message += ": not a parameter of the model (docs/scenarios.md lists them)";
    } else if (!table.empty() && _tables.contains(table)) {
      message += "; the keys of [" + table + "] are " + join(keys_of_table(table, _keys), ", ");
    } else {
      message +=
          "; scenario tables are [tissue], [domain], [needle], [protocol], [output], "
          "[numerics] and [model]";
    }
    _problems.add(where(region) + ": " + message);
  }

  void walk_overrides(const toml::node& node) {
    const toml::array* entries = node.as_array();
    if (entries == nullptr || !entries->is_array_of_tables()) {
      _problems.add(node.source(), overrides_path,
                    "expected an array of tables ([[protocol.overrides]] entries), got " +
                        toml_type_text(node));
      return;
    }
    for (std::size_t e = 0; e < entries->size(); ++e) {
      const toml::table& entry = *(*entries)[e].as_table();
      bool has_session = false;
      for (const auto& [name, value] : entry) {
        const std::string element_path = std::string(overrides_path) + std::string(element_marker) +
                                         "." + std::string(name.str());
        const auto key = std::find_if(_keys.begin(), _keys.end(),
                                      [&](const KeyInfo& k) { return k.path == element_path; });
        if (key == _keys.end()) {
          std::vector<std::string> allowed;
          for (const KeyInfo& k : _keys) {
            if (k.path.starts_with(std::string(overrides_path) + std::string(element_marker)))
              allowed.push_back(leaf_of(k.path));
          }
          _problems.add(where(name.source()) + ": unknown key '" + std::string(name.str()) +
                        "' in a [[protocol.overrides]] entry; allowed: " + join(allowed, ", "));
          continue;
        }
        has_session = has_session || name.str() == "session";
        _elements.push_back({&*key, e, Found{&value, value.source()}});
      }
      if (!has_session) {
        _problems.add(entry.source(), overrides_path,
                      "every [[protocol.overrides]] entry needs 'session' (0-based index)");
      }
    }
  }

  void apply_overrides(Scenario& scenario) {
    for (const Element& element : _elements) {
      apply(*element.key, element.found,
            [&](const Value& v) { element.key->set_element(scenario, element.index, v); });
    }
  }

  /// Convert, check and store one value; problems are collected, not thrown.
  template <class Store>
  void apply(const KeyInfo& key, const Found& found, Store store) {
    const std::string key_name = [&] {
      std::string name = key.path;
      if (const auto p = name.find(element_marker); p != std::string::npos)
        name.erase(p, element_marker.size());
      return name;
    }();
    const std::optional<Value> value = convert(key, key_name, *found.node);
    if (!value)
      return;
    try {
      store(*value);
    } catch (const core::InputError& error) {
      _problems.add(found.region, key_name, error.what());
    }
  }

  std::optional<double> number(const toml::node& node) const {
    if (const auto* f = node.as_floating_point())
      return f->get();
    if (const auto* i = node.as_integer())
      return static_cast<double>(i->get());
    return std::nullopt;
  }

  bool in_range(const KeyInfo& key, double v) const {
    return (key.min_exclusive ? v > key.min : v >= key.min) && v <= key.max;
  }

  std::optional<Value> convert(const KeyInfo& key, const std::string& key_name,
                               const toml::node& node) {
    const auto fail = [&](const std::string& got) -> std::optional<Value> {
      _problems.add(node.source(), key_name, "expected " + expected_text(key) + ", got " + got);
      return std::nullopt;
    };
    switch (key.kind) {
      case ValueKind::real: {
        const auto v = number(node);
        if (!v)
          return fail(toml_type_text(node) + " " + node_text(node));
        if (!in_range(key, *v))
          return fail(node_text(node));
        return Value(*v);
      }
      case ValueKind::integer: {
        const auto* i = node.as_integer();
        if (i == nullptr)
          return fail(toml_type_text(node) + " " + node_text(node));
        if (!in_range(key, static_cast<double>(i->get())))
          return fail(node_text(node));
        return Value(i->get());
      }
      case ValueKind::boolean: {
        const auto* b = node.as_boolean();
        if (b == nullptr)
          return fail(toml_type_text(node) + " " + node_text(node));
        return Value(b->get());
      }
      case ValueKind::text: {
        const auto* s = node.as_string();
        if (s == nullptr)
          return fail(toml_type_text(node) + " " + node_text(node));
        const std::string text = s->get();
        if (!key.choices.empty() &&
            std::find(key.choices.begin(), key.choices.end(), text) == key.choices.end()) {
          return fail(node_text(node) + choice_hint(key, text));
        }
        return Value(text);
      }
      case ValueKind::real_list: {
        const auto* array = node.as_array();
        if (array == nullptr)
          return fail(toml_type_text(node) + " " + node_text(node));
        if (array->size() < key.min_items || array->size() > key.max_items)
          return fail(std::to_string(array->size()) + " value(s) " + node_text(node));
        std::vector<double> values;
        for (const toml::node& item : *array) {
          const auto v = number(item);
          if (!v || !in_range(key, *v))
            return fail(node_text(node));
          values.push_back(*v);
        }
        return Value(std::move(values));
      }
      case ValueKind::text_list: {
        const auto* array = node.as_array();
        if (array == nullptr)
          return fail(toml_type_text(node) + " " + node_text(node));
        if (array->size() < key.min_items || array->size() > key.max_items)
          return fail(std::to_string(array->size()) + " value(s) " + node_text(node));
        std::vector<std::string> values;
        for (const toml::node& item : *array) {
          const auto* s = item.as_string();
          if (s == nullptr)
            return fail(node_text(node));
          if (!key.choices.empty() &&
              std::find(key.choices.begin(), key.choices.end(), s->get()) == key.choices.end()) {
            return fail(node_text(item) + choice_hint(key, s->get()));
          }
          values.push_back(s->get());
        }
        return Value(std::move(values));
      }
    }
    return std::nullopt;
  }

  static std::string choice_hint(const KeyInfo& key, const std::string& text) {
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, text.size() / 3) + 1;
    for (const std::string& choice : key.choices) {
      const std::size_t d = edit_distance(text, choice);
      if (d < best_distance) {
        best_distance = d;
        best = choice;
      }
    }
    return best ? "; did you mean \"" + *best + "\"?" : std::string();
  }

  void check_either_or(const std::string& key, const std::vector<std::string>& others) {
    const auto it = _found.find(key);
    if (it == _found.end())
      return;
    for (const std::string& other : others) {
      if (const auto o = _found.find(other); o != _found.end()) {
        _problems.add(o->second.region, other,
                      "give either " + key + " (at " + where(it->second.region) + ") or " +
                          join(others, " / ") + ", not both");
      }
    }
  }

  void check_fields(const Scenario& scenario) {
    std::set<std::string> seen;
    for (const std::string& field : scenario.output.fields) {
      if (!seen.insert(field).second) {
        _problems.add(_found.at("output.fields").region, "output.fields",
                      "\"" + field + "\" is listed twice");
      }
    }
  }

  struct Element {
    const KeyInfo* key;
    std::size_t index;
    Found found;
  };

  std::vector<KeyInfo> _keys;
  std::set<std::string> _known;
  std::set<std::string> _tables;
  std::map<std::string, Found> _found;
  std::map<std::string, toml::source_region> _table_regions;
  std::vector<Element> _elements;
  Problems _problems;
};

toml::table parse_toml(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    throw core::InputError(where(error.source()) +
                           ": not valid TOML: " + std::string(error.description()));
  }
}

/// Put every value of @p from into @p into at the same path (replacing what is there).
void merge(toml::table& into, toml::table& from, const std::string& what) {
  for (auto&& [name, node] : from) {
    toml::node* existing = into.get(name.str());
    if (toml::table* sub = node.as_table(); sub != nullptr && !sub->is_inline()) {
      if (existing == nullptr) {
        into.insert(name, toml::table{});
        existing = into.get(name.str());
      }
      if (toml::table* target = existing->as_table()) {
        merge(*target, *sub, what);
        continue;
      }
      throw core::InputError(what + ": '" + std::string(name.str()) +
                             "' is not a table in the scenario");
    }
    into.insert_or_assign(name, std::move(node));
  }
}

/// Keys that exclude each other: setting one side on the command line removes the other side
/// from the file, so `--set output.times_h=[...]` simply replaces the file's every_h.
std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> exclusive_groups() {
  return {{{"output.times_h"}, {"output.every_h"}},
          {{"protocol.session_days"},
           {"protocol.sessions", "protocol.interval_days", "protocol.first_session_day"}}};
}

void erase_path(toml::table& root, const std::string& path) {
  const std::size_t dot = path.find('.');
  toml::table* table = root.get_as<toml::table>(path.substr(0, dot));
  if (table != nullptr)
    table->erase(path.substr(dot + 1));
}

/// Apply one `--set key=value`: the value is TOML, or else a bare string.
void apply_set(toml::table& root, const std::string& assignment) {
  const std::string what = std::string(set_prefix) + assignment;
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw core::InputError(what + ": expected KEY=VALUE, e.g. --set needle.length_mm=1.5");
  }
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  const auto trim = [](std::string& s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
  };
  trim(key);
  trim(value);
  toml::table parsed;
  try {
    parsed = toml::parse(key + " = " + value, what);
  } catch (const toml::parse_error&) {
    // Not a TOML value: take it as a string (`--set tissue.site=scalp`).
    try {
      parsed = toml::parse(key + " = " + toml_value_text(Value(value)), what);
    } catch (const toml::parse_error& error) {
      throw core::InputError(what + ": '" + key + "' is not a valid key (" +
                             std::string(error.description()) + ")");
    }
  }
  for (const auto& [one, other] : exclusive_groups()) {
    const auto sets = [&](const std::vector<std::string>& side) {
      return std::find(side.begin(), side.end(), key) != side.end();
    };
    for (const std::string& path : sets(one)     ? other
                                   : sets(other) ? one
                                                 : std::vector<std::string>{})
      erase_path(root, path);
  }
  merge(root, parsed, what);
}

/// The scenario keys that a SimulationSpec::validate() message is about (the first one names it),
/// from its leading path.
std::vector<std::string> keys_of_spec_message(std::string_view message) {
  const auto starts = [&](std::string_view p) { return message.starts_with(p); };
  const auto has = [&](std::string_view p) { return message.find(p) != std::string_view::npos; };
  if (starts("domain.tile_mm")) {
    return {"domain.tile_mm", "needle.density_per_cm2", "needle.passes"};
  }
  for (const char* key : {"domain.voxel_mm", "domain.depth_mm", "domain.dimensions"}) {
    if (starts(key))
      return {key};
  }
  if (starts("domain:"))
    return {"domain.voxel_mm"};
  if (starts("protocol.overrides") || starts("protocol: override") ||
      starts("protocol: more than one override"))
    return {"protocol.overrides"};
  if (starts("protocol.needle")) {
    if (has("effective depth"))
      return {"needle.length_mm", "domain.depth_mm", "needle.penetration_efficiency"};
    if (has("slit"))
      return {"needle.device", "needle.pattern", "domain.dimensions", "domain.tracks"};
    return {"needle.density_per_cm2", "domain.tile_mm", "needle.pattern"};
  }
  if (starts("protocol: session_days"))
    return {"protocol.session_days"};
  if (starts("protocol: session") && has("after the end")) {
    return {"protocol.duration_days", "protocol.session_days", "protocol.sessions",
            "protocol.interval_days", "protocol.first_session_day"};
  }
  for (const char* key : {"sessions", "first_session_day", "interval_days", "duration_days"}) {
    if (starts(std::string("protocol: ") + key))
      return {std::string("protocol.") + key};
  }
  if (starts("needle: roller.")) {
    const auto name = message.substr(15, message.find(' ', 15) - 15);
    return {"needle.roller." + std::string(name)};
  }
  if (starts("needle: ")) {
    const auto name = message.substr(8, message.find(' ', 8) - 8);
    for (const char* key : {"length_mm", "diameter_mm", "penetration_efficiency", "density_per_cm2",
                            "jitter_fraction", "passes", "tip_cone_length_mm"}) {
      if (name == key)
        return {"needle." + std::string(name)};
    }
    return {"needle.density_per_cm2", "domain.tile_mm", "needle.pattern", "needle.passes"};
  }
  if (starts("step_control.")) {
    const auto name = message.substr(13, message.find(' ', 13) - 13);
    return {"numerics." + std::string(name)};
  }
  if (starts("output_times_h"))
    return {"output.times_h"};
  if (starts("rest_fraction"))
    return {"numerics.rest_fraction"};
  if (starts("sampling.interval_h"))
    return {"numerics.sample_interval_h"};
  if (starts("tissue")) {
    for (const geometry::Layer layer : geometry::all_layers) {
      if (has("layer " + std::string(geometry::layer_name(layer))))
        return {"tissue." + std::string(geometry::layer_name(layer)) + "_mm"};
    }
    return {"tissue.site"};
  }
  return {};
}

/// A spec message in the scenario's vocabulary (numerics.* rather than step_control.*, ...).
std::string in_scenario_terms(std::string message) {
  const std::vector<std::pair<std::string, std::string>> renames{
      {"step_control.", "numerics."},
      {"sampling.interval_h", "numerics.sample_interval_h"},
      {"protocol.needle: ", ""},
      {"protocol.needle", "[needle]"},
      {"output_times_h", "output.times_h"},
      {"domain.tile_mm.x", "domain.tile_mm[0] (x)"},
      {"domain.tile_mm.y", "domain.tile_mm[1] (y)"}};
  for (const auto& [from, to] : renames) {
    for (std::size_t p = message.find(from); p != std::string::npos;
         p = message.find(from, p + to.size())) {
      message.replace(p, from.size(), to);
    }
  }
  if (message.starts_with("rest_fraction"))
    message = "numerics." + message;
  return message;
}

/// Physically impossible combinations that SimulationSpec does not check itself.
void check_physics(const Scenario& scenario) {
  const geometry::Protocol protocol(scenario.spec.protocol);
  for (int s = 0; s < protocol.num_sessions(); ++s) {
    const geometry::NeedleSpec needle = protocol.needle_for_session(s);
    const double spacing_mm = std::sqrt(100.0 / needle.density_per_cm2);
    if (spacing_mm < needle.diameter_mm) {
      std::ostringstream text;
      text << "needle.density_per_cm2: " << needle.density_per_cm2 << " punctures/cm² (session "
           << s << ") are on average " << spacing_mm
           << " mm apart, closer than the needle diameter of " << needle.diameter_mm
           << " mm: the tracks would overlap entirely and ablate the skin rather than puncture "
              "it; use at most "
           << std::floor(100.0 / (needle.diameter_mm * needle.diameter_mm))
           << " punctures/cm² or a thinner needle";
      throw core::InputError(text.str());
    }
    // The default cone (3 x radius) obeys the rule too: a scenario accepted with it would
    // otherwise print an effective configuration (print-config, a run's scenario.toml) that does
    // not read back, the default being written out as a value.
    if (needle.cone_length_mm() > needle.length_mm) {
      const std::string cone = toml_value_text(Value(needle.cone_length_mm()));
      throw core::InputError(
          "needle.tip_cone_length_mm: the tip cone (" +
          (needle.tip_cone_length_mm ? cone : "by default 3 x radius = " + cone) +
          " mm) is longer than the needle (" + toml_value_text(Value(needle.length_mm)) + " mm)" +
          (needle.tip_cone_length_mm ? "" : "; give a shorter needle.tip_cone_length_mm"));
    }
  }
}

Scenario finish(Scenario scenario, const Parser& parser) {
  scenario.spec.output_times_h =
      output_times_h(scenario.output, 24.0 * scenario.spec.protocol.duration_days);
  const auto locate = [&](const std::string& key) {
    std::optional<toml::source_region> region = parser.location(key);
    if (!region && !key.empty())
      region = parser.location(parent_of(key));
    return region;
  };
  try {
    check_physics(scenario);
    scenario.spec.validate();
  } catch (const core::InputError& error) {
    const std::string message = error.what();
    std::vector<std::string> keys = keys_of_spec_message(message);
    for (const char* own : {"needle.density_per_cm2", "needle.tip_cone_length_mm"}) {
      if (message.starts_with(own))
        keys = {own};
    }
    if (!keys.empty() && keys.front() == "output.times_h")
      keys.push_back("output.every_h");
    // Name the first key given (a --set first: that is what the user just changed).
    std::optional<std::string> key;
    std::optional<toml::source_region> region;
    for (const bool from_command_line : {true, false}) {
      for (const std::string& candidate : keys) {
        const auto found = parser.location(candidate);
        if (!found || key)
          continue;
        const bool is_set = found->path && std::string_view(*found->path).starts_with(set_prefix);
        if (is_set == from_command_line) {
          key = candidate;
          region = found;
        }
      }
    }
    if (!key && !keys.empty()) {
      key = keys.front();
      region = locate(*key);
    }
    std::string text = in_scenario_terms(message);
    for (const std::string_view section : {"protocol: ", "needle: ", "tissue: ", "domain: "}) {
      if (text.starts_with(section))
        text.erase(0, section.size());
    }
    if (key && !text.starts_with(*key))
      text = *key + ": " + text;
    // The other keys of the combination that the scenario gives, so the user sees all of them.
    std::vector<std::string> also;
    for (const std::string& other : keys) {
      if (other == key)
        continue;
      if (const auto found = parser.location(other))
        also.push_back(other + " at " + where(*found));
    }
    if (!also.empty())
      text += " (see also " + join(also, ", ") + ")";
    const std::string origin = region ? where(*region) : std::string("(default value)");
    throw core::InputError(origin + ": " + text);
  }
  return scenario;
}

}  // namespace

std::vector<double> output_times_h(const OutputSpec& output, double duration_h) {
  if (!output.times_h.empty())
    return output.times_h;
  std::vector<double> times;
  // k x every_h rather than a running sum, so the times do not drift and are the same on resume.
  for (long k = 0;; ++k) {
    const double t = static_cast<double>(k) * output.every_h;
    if (t > duration_h * (1.0 - 1e-12))
      break;
    times.push_back(t);
  }
  times.push_back(duration_h);
  return times;
}

Scenario parse_scenario(std::string_view text, std::string_view source_name,
                        std::span<const std::string> overrides) {
  toml::table root = parse_toml(text, source_name);
  for (const std::string& assignment : overrides)
    apply_set(root, assignment);
  Parser parser(scenario_keys());
  Scenario scenario = parser.parse(root);
  return finish(std::move(scenario), parser);
}

Scenario load_scenario(const std::filesystem::path& path, std::span<const std::string> overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw core::InputError("cannot read the scenario file '" + path.string() + "'" +
                           (std::filesystem::exists(path) ? "" : ": no such file"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path.string(), overrides);
}

std::string to_toml(const Scenario& scenario, std::span<const std::string> header) {
  const std::vector<KeyInfo> keys = scenario_keys();
  std::ostringstream out;
  for (const std::string& line : header)
    out << "# " << line << '\n';
  std::string section = "?";
  const auto comment = [](const KeyInfo& key) {
    std::string text;
    if (key.kind == ValueKind::real || key.kind == ValueKind::integer ||
        key.kind == ValueKind::real_list) {
      text = expected_text(key);
    } else if (!key.choices.empty() && key.kind == ValueKind::text) {
      text = expected_text(key);
    }
    return text.empty() ? std::string() : "  # " + text;
  };
  const auto emit_overrides = [&] {
    for (const geometry::SessionOverride& o : scenario.spec.protocol.overrides) {
      out << "\n[[protocol.overrides]]\nsession = " << o.session << '\n';
      if (o.needle_length_mm)
        out << "length_mm = " << toml_value_text(Value(*o.needle_length_mm)) << '\n';
      if (o.density_per_cm2)
        out << "density_per_cm2 = " << toml_value_text(Value(*o.density_per_cm2)) << '\n';
      if (o.passes)
        out << "passes = " << *o.passes << '\n';
    }
  };
  for (const KeyInfo& key : keys) {
    if (is_element_key(key) || !key.get)
      continue;
    const std::string this_section = parent_of(key.path);
    if (this_section != section) {
      if (section == "protocol")
        emit_overrides();
      section = this_section;
      if (!section.empty())
        out << "\n[" << section << "]\n";
    }
    const std::optional<Value> value = key.get(scenario);
    if (!value)
      continue;
    out << leaf_of(key.path) << " = " << toml_value_text(*value) << comment(key) << '\n';
  }
  if (section == "protocol")
    emit_overrides();
  return out.str();
}

}  // namespace microheal::scenario
