#include "microheal/sweep/sweep_spec.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/scenario/scenario.hpp"
#include "microheal/scenario/toml_text.hpp"
#include "microheal/sweep/design.hpp"

namespace microheal::sweep {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view snapshots_key = "output.snapshots";

std::string in_quotes(std::string_view text) {
  std::string out(1, '\'');
  out += text;
  out += '\'';
  return out;
}

/// "file:line:col" of a node.
std::string where_of(const toml::source_region& region) {
  return scenario::toml_where(region, "<sweep>");
}

std::string node_text(const toml::node& node) {
  if (node.is_table())
    return "a table";
  // Numbers as the user wrote them would read them (0.95, not 0.94999999999999996).
  if (const auto* f = node.as_floating_point())
    return scenario::toml_value_text(scenario::Value(f->get()));
  std::ostringstream text;
  node.visit([&text](const auto& n) { text << n; });
  std::string s = text.str();
  if (s.size() > 60)
    s = s.substr(0, 57) + "...";
  return s;
}

/// The closest of @p candidates to @p name, if close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view name,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_score = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t score = scenario::edit_distance(name, candidate);
    if (score < best_score) {
      best_score = score;
      best = candidate;
    }
  }
  return best;
}

/// Every problem of the sweep file.
class Problems : public scenario::ProblemList {
 public:
  Problems() : ProblemList("sweep") {}
  using ProblemList::add;
  void add(const toml::source_region& region, std::string_view key, std::string_view message) {
    ProblemList::add(where_of(region), key, message);
  }
};

/// The keys a table of the sweep file may hold.
struct TableSchema {
  std::string name;  ///< "" (top level), "sweep", "axis", "linspace"
  std::vector<std::string> keys;
};

/// The design names, in the order of Sampler.
std::vector<std::string> sampler_names() {
  return {"factorial", "latin_hypercube", "sobol"};
}

class SweepParser {
 public:
  SweepParser(std::string_view source_name, fs::path directory)
      : _source(source_name), _directory(std::move(directory)), _keys(scenario::scenario_keys()) {
    for (const scenario::KeyInfo& key : _keys) {
      if (key.path.find("[]") == std::string::npos && key.set)
        _key_paths.push_back(key.path);
    }
  }

  SweepSpec parse(const toml::table& root) {
    SweepSpec spec;
    check_keys(root, {"", {"description", "base", "sweep", "fixed", "axis"}}, "");
    if (const toml::node* node = root.get("description"))
      spec.description = string_of(*node, "description").value_or("");
    const toml::node* base = root.get("base");
    if (base == nullptr) {
      _problems.add(root.source(), "base",
                    "missing: the base scenario file, e.g. base = \"../default.toml\" (relative "
                    "to the sweep file)");
    } else if (const auto text = string_of(*base, "base")) {
      spec.base_as_written = *text;
      const fs::path path(*text);
      spec.base = path.is_absolute() ? path : _directory / path;
    }
    parse_sweep_table(root, spec);
    parse_fixed(root, spec);
    parse_axes(root, spec);
    check_size(root, spec);
    if (_problems.empty() && base != nullptr)
      check_base(*base, spec);
    if (!_problems.empty())
      _problems.raise();
    return spec;
  }

 private:
  /// Report keys of @p table that @p schema does not know, with "did you mean".
  void check_keys(const toml::table& table, const TableSchema& schema, const std::string& prefix) {
    // Words people reach for that edit distance would not map to the right key.
    const std::map<std::string, std::string> synonyms{{"sampler", "design"},  {"method", "design"},
                                                      {"axes", "axis"},       {"set", "fixed"},
                                                      {"overrides", "fixed"}, {"n", "samples"}};
    for (const auto& [name, node] : table) {
      const std::string key(name.str());
      if (std::find(schema.keys.begin(), schema.keys.end(), key) != schema.keys.end())
        continue;
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      std::string message = "unknown key " + in_quotes(path);
      std::optional<std::string> suggestion;
      if (const auto it = synonyms.find(key);
          it != synonyms.end() &&
          std::find(schema.keys.begin(), schema.keys.end(), it->second) != schema.keys.end()) {
        suggestion = it->second;
      } else {
        suggestion = closest(key, schema.keys);
      }
      if (suggestion) {
        message += "; did you mean " +
                   in_quotes(prefix.empty() ? *suggestion : prefix + "." + *suggestion) + "?";
      } else if (schema.name.empty() && is_scenario_path(key)) {
        message +=
            ": scenario keys go into [fixed] (the same in every case) or an [[axis]] (varied); "
            "the base scenario sets the rest";
      } else {
        message += "; expected one of " + scenario::join(schema.keys, ", ");
      }
      _problems.add(name.source(), "", message);
    }
  }

  bool is_scenario_path(const std::string& key) const {
    return std::any_of(_key_paths.begin(), _key_paths.end(), [&](const std::string& path) {
      return path == key || path.starts_with(key + ".");
    });
  }

  std::optional<std::string> string_of(const toml::node& node, std::string_view key) {
    if (const auto* s = node.as_string())
      return s->get();
    _problems.add(node.source(), key, "expected a string, got " + scenario::toml_type_text(node));
    return std::nullopt;
  }

  std::optional<bool> bool_of(const toml::node& node, std::string_view key) {
    if (const auto* b = node.as_boolean())
      return b->get();
    _problems.add(
        node.source(), key,
        "expected true or false, got " + scenario::toml_type_text(node) + " " + node_text(node));
    return std::nullopt;
  }

  std::optional<std::int64_t> integer_of(const toml::node& node, std::string_view key,
                                         std::int64_t min, std::int64_t max) {
    const auto* i = node.as_integer();
    if (i == nullptr || i->get() < min || i->get() > max) {
      _problems.add(node.source(), key,
                    "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                        "], got " + (i == nullptr ? scenario::toml_type_text(node) + " " : "") +
                        node_text(node));
      return std::nullopt;
    }
    return i->get();
  }

  void parse_sweep_table(const toml::table& root, SweepSpec& spec) {
    const toml::node* node = root.get("sweep");
    if (node == nullptr) {
      _problems.add(root.source(), "sweep",
                    "missing: a [sweep] table with design = \"factorial\", \"latin_hypercube\" or "
                    "\"sobol\"");
      return;
    }
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      _problems.add(node->source(), "sweep",
                    "expected a table ([sweep]), got " + scenario::toml_type_text(*node));
      return;
    }
    check_keys(*table, {"sweep", {"design", "samples", "seed", "fields", "keep_checkpoints"}},
               "sweep");
    const toml::node* design = table->get("design");
    if (design == nullptr) {
      _problems.add(table->source(), "sweep.design",
                    "missing: one of \"factorial\", \"latin_hypercube\", \"sobol\"");
    } else if (const auto name = string_of(*design, "sweep.design")) {
      const std::vector<std::string> names = sampler_names();
      const auto it = std::find(names.begin(), names.end(), *name);
      if (it == names.end()) {
        std::string message =
            "expected one of \"factorial\", \"latin_hypercube\", \"sobol\", got " +
            node_text(*design);
        if (const auto close = closest(*name, names))
          message += "; did you mean \"" + *close + "\"?";
        _problems.add(design->source(), "sweep.design", message);
      } else {
        spec.sampler = static_cast<Sampler>(it - names.begin());
        _have_design = true;
      }
    }
    const toml::node* samples = table->get("samples");
    if (_have_design && spec.sampler == Sampler::factorial && samples != nullptr) {
      _problems.add(samples->source(), "sweep.samples",
                    "a factorial design runs every combination of the axis values; samples is "
                    "for latin_hypercube and sobol designs");
    } else if (_have_design && spec.sampler != Sampler::factorial && samples == nullptr) {
      _problems.add(table->source(), "sweep.samples",
                    spec.sampler == Sampler::sobol
                        ? "missing: the base sample count N of the Sobol design (it runs N x "
                          "(axes + 2) cases; a power of 2 such as 64 is best)"
                        : "missing: the number of cases of the Latin hypercube");
    } else if (samples != nullptr) {
      if (const auto n =
              integer_of(*samples, "sweep.samples", 1, static_cast<std::int64_t>(max_cases))) {
        spec.samples = static_cast<std::size_t>(*n);
      }
    }
    if (const toml::node* seed = table->get("seed")) {
      if (const auto s =
              integer_of(*seed, "sweep.seed", 0, std::numeric_limits<std::int64_t>::max())) {
        spec.seed = static_cast<std::uint64_t>(*s);
      }
    }
    if (const toml::node* fields = table->get("fields"))
      spec.fields = bool_of(*fields, "sweep.fields").value_or(false);
    if (const toml::node* keep = table->get("keep_checkpoints"))
      spec.keep_checkpoints = bool_of(*keep, "sweep.keep_checkpoints").value_or(false);
  }

  /// The registry entry of scenario key @p path, or a problem with "did you mean".
  const scenario::KeyInfo* scenario_key(const std::string& path, const toml::source_region& region,
                                        std::string_view context) {
    for (const scenario::KeyInfo& key : _keys) {
      if (key.path == path && key.set)
        return &key;
    }
    std::string message = "unknown scenario key " + in_quotes(path) + " in " + std::string(context);
    std::optional<std::string> suggestion = closest(path, _key_paths);
    if (!suggestion) {
      // Right key, wrong table ("length_mm" for "needle.length_mm").
      const std::string leaf = scenario::leaf_of(path);
      for (const std::string& candidate : _key_paths) {
        if (leaf.size() > 2 && scenario::leaf_of(candidate) == leaf)
          suggestion = candidate;
      }
    }
    if (suggestion)
      message += "; did you mean " + in_quotes(*suggestion) + "?";
    else
      message += " (microheal keys lists them all)";
    _problems.add(region, "", message);
    return nullptr;
  }

  static bool in_range(const scenario::KeyInfo& key, double v) {
    return (key.min_exclusive ? v > key.min : v >= key.min) && v <= key.max;
  }

  static std::optional<double> number(const toml::node& node) {
    if (const auto* f = node.as_floating_point())
      return f->get();
    if (const auto* i = node.as_integer())
      return static_cast<double>(i->get());
    return std::nullopt;
  }

  /// A value for scenario key @p key, checked against its type and range.
  std::optional<scenario::Value> value_of(const scenario::KeyInfo& key, const toml::node& node,
                                          const std::string& label) {
    const auto fail = [&](const std::string& got) -> std::optional<scenario::Value> {
      _problems.add(node.source(), label,
                    "expected " + scenario::expected_text(key) + ", got " + got);
      return std::nullopt;
    };
    const auto is_choice = [&](const std::string& text) {
      return key.choices.empty() ||
             std::find(key.choices.begin(), key.choices.end(), text) != key.choices.end();
    };
    switch (key.kind) {
      case scenario::ValueKind::real: {
        const auto v = number(node);
        if (!v)
          return fail(scenario::toml_type_text(node) + " " + node_text(node));
        if (!in_range(key, *v))
          return fail(node_text(node));
        return scenario::Value(*v);
      }
      case scenario::ValueKind::integer: {
        const auto* i = node.as_integer();
        if (i == nullptr)
          return fail(scenario::toml_type_text(node) + " " + node_text(node));
        if (!in_range(key, static_cast<double>(i->get())))
          return fail(node_text(node));
        return scenario::Value(i->get());
      }
      case scenario::ValueKind::boolean: {
        const auto* b = node.as_boolean();
        if (b == nullptr)
          return fail(scenario::toml_type_text(node) + " " + node_text(node));
        return scenario::Value(b->get());
      }
      case scenario::ValueKind::text: {
        const auto* s = node.as_string();
        if (s == nullptr)
          return fail(scenario::toml_type_text(node) + " " + node_text(node));
        if (!is_choice(s->get())) {
          std::string got = node_text(node);
          if (const auto close = closest(s->get(), key.choices))
            got += "; did you mean \"" + *close + "\"?";
          return fail(got);
        }
        return scenario::Value(s->get());
      }
      case scenario::ValueKind::real_list: {
        const auto* array = node.as_array();
        if (array == nullptr)
          return fail(scenario::toml_type_text(node) + " " + node_text(node));
        if (array->size() < key.min_items || array->size() > key.max_items)
          return fail(std::to_string(array->size()) + " value(s) " + node_text(node));
        std::vector<double> values;
        for (const toml::node& item : *array) {
          const auto v = number(item);
          if (!v || !in_range(key, *v))
            return fail(node_text(node));
          values.push_back(*v);
        }
        return scenario::Value(std::move(values));
      }
      case scenario::ValueKind::text_list: {
        const auto* array = node.as_array();
        if (array == nullptr)
          return fail(scenario::toml_type_text(node) + " " + node_text(node));
        if (array->size() < key.min_items || array->size() > key.max_items)
          return fail(std::to_string(array->size()) + " value(s) " + node_text(node));
        std::vector<std::string> values;
        for (const toml::node& item : *array) {
          const auto* s = item.as_string();
          if (s == nullptr || !is_choice(s->get()))
            return fail(node_text(item));
          values.push_back(s->get());
        }
        return scenario::Value(std::move(values));
      }
    }
    return std::nullopt;
  }

  /// Leaves of [fixed], as dotted paths ("needle.length_mm"): quoted dotted keys and nested
  /// tables both work.
  void collect_fixed(const toml::table& table, const std::string& prefix,
                     std::vector<std::pair<std::string, const toml::node*>>& out) {
    for (const auto& [name, node] : table) {
      const std::string path =
          prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      if (const toml::table* sub = node.as_table())
        collect_fixed(*sub, path, out);
      else
        out.emplace_back(path, &node);
    }
  }

  void parse_fixed(const toml::table& root, SweepSpec& spec) {
    const toml::node* node = root.get("fixed");
    if (node == nullptr)
      return;
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      _problems.add(
          node->source(), "fixed",
          "expected a table ([fixed] with scenario keys), got " + scenario::toml_type_text(*node));
      return;
    }
    std::vector<std::pair<std::string, const toml::node*>> leaves;
    collect_fixed(*table, "", leaves);
    for (const auto& [path, value] : leaves) {
      if (path == snapshots_key) {
        _problems.add(value->source(), "fixed." + path,
                      "snapshots are set by the sweep: use fields = true in [sweep]");
        continue;
      }
      const scenario::KeyInfo* key = scenario_key(path, value->source(), "[fixed]");
      if (key == nullptr)
        continue;
      if (auto v = value_of(*key, *value, "fixed." + path)) {
        spec.fixed.push_back({path, std::move(*v)});
        _fixed_regions.emplace(path, value->source());
      }
    }
  }

  void parse_axes(const toml::table& root, SweepSpec& spec) {
    const toml::node* node = root.get("axis");
    const toml::array* entries = node != nullptr ? node->as_array() : nullptr;
    if (node == nullptr || (entries != nullptr && entries->empty())) {
      _problems.add(root.source(), "axis",
                    "missing: at least one [[axis]] with key = \"...\" and values, linspace or "
                    "logspace");
      return;
    }
    if (entries == nullptr || !entries->is_array_of_tables()) {
      _problems.add(
          node->source(), "axis",
          "expected an array of tables ([[axis]] entries), got " + scenario::toml_type_text(*node));
      return;
    }
    std::set<std::string> seen;
    for (std::size_t e = 0; e < entries->size(); ++e) {
      const toml::table& entry = *(*entries)[e].as_table();
      const std::string label = "axis[" + std::to_string(e) + "]";
      check_keys(entry, {"axis", {"key", "values", "linspace", "logspace"}}, label);
      const toml::node* key_node = entry.get("key");
      if (key_node == nullptr) {
        _problems.add(entry.source(), label, "missing: key = \"<scenario key>\"");
        continue;
      }
      const auto path = string_of(*key_node, label + ".key");
      if (!path)
        continue;
      if (*path == snapshots_key) {
        _problems.add(key_node->source(), label + ".key",
                      "snapshots are set by the sweep: use fields = true in [sweep]");
        continue;
      }
      const scenario::KeyInfo* key = scenario_key(*path, key_node->source(), label + ".key");
      if (key == nullptr)
        continue;
      if (!seen.insert(*path).second) {
        _problems.add(key_node->source(), label + ".key",
                      in_quotes(*path) + " is already an axis; give each key one axis");
        continue;
      }
      if (const auto fixed = _fixed_regions.find(*path); fixed != _fixed_regions.end()) {
        _problems.add(key_node->source(), label + ".key",
                      in_quotes(*path) + " is also in [fixed] (at " + where_of(fixed->second) +
                          "); a key is either fixed or an axis");
        continue;
      }
      if (auto axis = parse_axis(entry, *key, spec, label))
        spec.axes.push_back(std::move(*axis));
    }
  }

  std::optional<Axis> parse_axis(const toml::table& entry, const scenario::KeyInfo& key,
                                 const SweepSpec& spec, const std::string& label) {
    Axis axis;
    axis.key = key.path;
    axis.integer = key.kind == scenario::ValueKind::integer;
    std::vector<std::string> given;
    for (const char* form : {"values", "linspace", "logspace"}) {
      if (entry.get(form) != nullptr)
        given.emplace_back(form);
    }
    if (given.size() != 1) {
      _problems.add(entry.source(), label + " (" + key.path + ")",
                    given.empty() ? "expected one of values = [...], linspace = {from, to, count} "
                                    "or logspace = {from, to, count}"
                                  : "give one of values, linspace and logspace, not " +
                                        scenario::join(given, " and "));
      return std::nullopt;
    }
    const std::string form = given.front();
    const toml::node& node = *entry.get(form);
    const std::string where_label = label + "." + form + " (" + key.path + ")";
    if (form == "values") {
      const toml::array* array = node.as_array();
      if (array == nullptr || array->empty()) {
        _problems.add(node.source(), where_label,
                      "expected a non-empty array of values, each " + scenario::expected_text(key) +
                          ", got " + node_text(node));
        return std::nullopt;
      }
      bool ok = true;
      for (const toml::node& item : *array) {
        auto v = value_of(key, item, where_label);
        if (!v) {
          ok = false;
          continue;
        }
        if (std::find(axis.values.begin(), axis.values.end(), *v) != axis.values.end()) {
          _problems.add(item.source(), where_label,
                        node_text(item) + " is listed twice (each case would run twice)");
          ok = false;
          continue;
        }
        axis.values.push_back(std::move(*v));
      }
      return ok ? std::optional<Axis>(std::move(axis)) : std::nullopt;
    }
    axis.spacing = form == "linspace" ? AxisSpacing::linear : AxisSpacing::logarithmic;
    if (key.kind != scenario::ValueKind::real && key.kind != scenario::ValueKind::integer) {
      _problems.add(node.source(), where_label,
                    form + " needs a number key; " + key.path + " takes " +
                        scenario::expected_text(key) + ": use values = [...]");
      return std::nullopt;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      _problems.add(node.source(), where_label,
                    "expected a table { from = ..., to = ..., count = ... }, got " +
                        scenario::toml_type_text(node));
      return std::nullopt;
    }
    check_keys(*table, {form, {"from", "to", "count"}}, label + "." + form);
    bool ok = true;
    for (const char* end : {"from", "to"}) {
      const toml::node* value = table->get(end);
      if (value == nullptr) {
        _problems.add(table->source(), where_label, std::string("missing: ") + end);
        ok = false;
        continue;
      }
      const auto v = number(*value);
      // The ends are values of the key: the same range applies (integers too, as numbers).
      scenario::KeyInfo as_number = key;
      as_number.kind = scenario::ValueKind::real;
      if (!v || !in_range(key, *v)) {
        _problems.add(value->source(), where_label + "." + end,
                      "expected " + scenario::expected_text(as_number) + ", got " +
                          (v ? "" : scenario::toml_type_text(*value) + " ") + node_text(*value));
        ok = false;
        continue;
      }
      (std::string_view(end) == "from" ? axis.from : axis.to) = *v;
    }
    if (const toml::node* count = table->get("count")) {
      if (const auto n = integer_of(*count, where_label + ".count", 1, 100000))
        axis.count = static_cast<std::size_t>(*n);
      else
        ok = false;
    }
    if (!ok)
      return std::nullopt;
    if (axis.spacing == AxisSpacing::logarithmic && (axis.from <= 0.0 || axis.to <= 0.0)) {
      _problems.add(node.source(), where_label, "a logspace needs from > 0 and to > 0");
      return std::nullopt;
    }
    if (_have_design && spec.sampler == Sampler::factorial) {
      if (axis.count == 0) {
        _problems.add(node.source(), where_label,
                      "missing: count (the number of points a factorial design takes)");
        return std::nullopt;
      }
      if (axis.count == 1 && axis.from != axis.to) {
        _problems.add(node.source(), where_label,
                      "count = 1 takes only from; use count >= 2 or values = [...]");
        return std::nullopt;
      }
      try {
        (void)axis_levels(axis);
      } catch (const core::InputError& error) {
        _problems.add(node.source(), where_label, error.what());
        return std::nullopt;
      }
    } else if (_have_design) {
      if (axis.integer) {
        _problems.add(
            node.source(), where_label,
            key.path + " takes integers: a sampled design draws them from values = [...]");
        return std::nullopt;
      }
      if (axis.from == axis.to) {
        _problems.add(node.source(), where_label, "from and to are equal: nothing to sample");
        return std::nullopt;
      }
    }
    return axis;
  }

  /// Number of design points, refused beyond max_cases.
  void check_size(const toml::table& root, const SweepSpec& spec) {
    if (!_have_design || spec.axes.empty())
      return;
    double points = 0.0;
    switch (spec.sampler) {
      case Sampler::factorial:
        points = 1.0;
        for (const Axis& axis : spec.axes) {
          points *= static_cast<double>(axis.spacing == AxisSpacing::list ? axis.values.size()
                                                                          : axis.count);
        }
        break;
      case Sampler::latin_hypercube:
        points = static_cast<double>(spec.samples);
        break;
      case Sampler::sobol:
        points = static_cast<double>(spec.samples) * static_cast<double>(spec.axes.size() + 2);
        // Boost's Sobol tables have 3667 dimensions; Saltelli's scheme uses two per axis.
        if (2 * spec.axes.size() > 3667) {
          _problems.add(root.source(), "axis", "a Sobol design takes at most 1833 axes");
        }
        break;
    }
    if (points > static_cast<double>(max_cases)) {
      _problems.add(root.source(), "sweep",
                    "the design has " + fmt_count(points) + " cases, more than the " +
                        std::to_string(max_cases) + " a sweep may have");
    }
  }

  static std::string fmt_count(double n) {
    std::ostringstream text;
    text.precision(4);
    text << n;
    return text.str();
  }

  /// The base scenario must be valid with the fixed values (each case then changes only its axis
  /// values; a case that an axis value makes invalid fails on its own at run time).
  void check_base(const toml::node& node, const SweepSpec& spec) {
    std::error_code error;
    if (!fs::is_regular_file(spec.base, error)) {
      _problems.add(node.source(), "base",
                    "cannot read the base scenario " + in_quotes(spec.base.string()) +
                        (fs::exists(spec.base, error) ? "" : ": no such file") +
                        " (a relative path is relative to the sweep file)");
      return;
    }
    std::vector<std::string> sets;
    for (const FixedValue& fixed : spec.fixed)
      sets.push_back(assignment(fixed.key, fixed.value));
    try {
      (void)scenario::load_scenario(spec.base, sets);
    } catch (const core::InputError& e) {
      _problems.add(
          node.source(), "base",
          "the base scenario with the [fixed] values is not valid: " + std::string(e.what()));
    }
  }

  std::string _source;
  fs::path _directory;
  std::vector<scenario::KeyInfo> _keys;
  std::vector<std::string> _key_paths;
  std::map<std::string, toml::source_region> _fixed_regions;
  bool _have_design = false;
  Problems _problems;
};

void write_value(std::ostringstream& out, const scenario::Value& value) {
  out << scenario::toml_value_text(value);
}

std::string basic_string(std::string_view text) {
  return scenario::toml_value_text(scenario::Value(std::string(text)));
}

}  // namespace

std::string_view sampler_name(Sampler sampler) {
  switch (sampler) {
    case Sampler::factorial:
      return "factorial";
    case Sampler::latin_hypercube:
      return "latin_hypercube";
    case Sampler::sobol:
      break;
  }
  return "sobol";
}

std::string assignment(std::string_view key, const scenario::Value& value) {
  std::string out(key);
  out += '=';
  out += scenario::toml_value_text(value);
  return out;
}

SweepSpec parse_sweep(std::string_view text, std::string_view source_name,
                      const std::filesystem::path& directory) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    throw core::InputError(where_of(error.source()) +
                           ": not valid TOML: " + std::string(error.description()));
  }
  SweepParser parser(source_name, directory);
  return parser.parse(root);
}

SweepSpec load_sweep(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code error;
    throw core::InputError("cannot read the sweep file " + in_quotes(path.string()) +
                           (fs::exists(path, error) ? "" : ": no such file"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sweep(text.str(), path.string(), path.parent_path());
}

std::string to_toml(const SweepSpec& spec, std::string_view base,
                    const std::vector<std::string>& header) {
  std::ostringstream out;
  for (const std::string& line : header)
    out << "# " << line << '\n';
  out << "description = " << basic_string(spec.description) << '\n';
  out << "base = " << basic_string(base) << '\n';
  out << "\n[sweep]\ndesign = " << basic_string(sampler_name(spec.sampler)) << '\n';
  if (spec.sampler != Sampler::factorial) {
    out << "samples = " << spec.samples << '\n';
    out << "seed = " << spec.seed << '\n';
  }
  out << "fields = " << (spec.fields ? "true" : "false") << '\n';
  out << "keep_checkpoints = " << (spec.keep_checkpoints ? "true" : "false") << '\n';
  if (!spec.fixed.empty()) {
    out << "\n[fixed]\n";
    for (const FixedValue& fixed : spec.fixed) {
      out << basic_string(fixed.key) << " = ";
      write_value(out, fixed.value);
      out << '\n';
    }
  }
  for (const Axis& axis : spec.axes) {
    out << "\n[[axis]]\nkey = " << basic_string(axis.key) << '\n';
    if (axis.spacing == AxisSpacing::list) {
      out << "values = [";
      for (std::size_t i = 0; i < axis.values.size(); ++i) {
        out << (i == 0 ? "" : ", ");
        write_value(out, axis.values[i]);
      }
      out << "]\n";
      continue;
    }
    out << (axis.spacing == AxisSpacing::linear ? "linspace" : "logspace") << " = { from = ";
    write_value(out, scenario::Value(axis.from));
    out << ", to = ";
    write_value(out, scenario::Value(axis.to));
    if (axis.count > 0)
      out << ", count = " << axis.count;
    out << " }\n";
  }
  return out.str();
}

}  // namespace microheal::sweep
