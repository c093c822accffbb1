#include "microheal/scenario/key_registry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/core/text.hpp"
#include "microheal/geometry/tissue.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/model/species.hpp"

namespace microheal::scenario {

namespace {

constexpr double max_days = 3650.0;  // ten years: beyond that the model has no data
constexpr double max_hours = 24.0 * max_days;
// Seeds up to 2^53, so that the range check (done in double) is exact.
constexpr double max_seed = 9007199254740992.0;

std::string number_text(double value) {
  return core::round_trip_text(value);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::vector<std::string> to_strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

/// A real-valued key without accessors (for values that are not plain members).
KeyInfo number_key(std::string path, std::string unit, double min, double max,
                   std::string description, bool min_exclusive = false) {
  KeyInfo key;
  key.path = std::move(path);
  key.kind = ValueKind::real;
  key.unit = std::move(unit);
  key.min = min;
  key.max = max;
  key.min_exclusive = min_exclusive;
  key.description = std::move(description);
  return key;
}

/// A real-valued key bound to a double of the Scenario through @p ref (a generic lambda returning
/// a reference, so one accessor serves both reading and writing).
template <class Ref>
KeyInfo real_key(std::string path, std::string unit, double min, double max,
                 std::string description, Ref ref, bool min_exclusive = false) {
  KeyInfo key =
      number_key(std::move(path), std::move(unit), min, max, std::move(description), min_exclusive);
  key.set = [ref](Scenario& s, const Value& v) { ref(s) = std::get<double>(v); };
  key.get = [ref](const Scenario& s) -> std::optional<Value> { return Value(ref(s)); };
  return key;
}

/// An integer key bound to an int of the Scenario.
template <class Ref>
KeyInfo integer_key(std::string path, std::string unit, double min, double max,
                    std::string description, Ref ref) {
  KeyInfo key;
  key.path = std::move(path);
  key.kind = ValueKind::integer;
  key.unit = std::move(unit);
  key.min = min;
  key.max = max;
  key.description = std::move(description);
  key.set = [ref](Scenario& s, const Value& v) {
    ref(s) = static_cast<std::remove_reference_t<decltype(ref(s))>>(std::get<std::int64_t>(v));
  };
  key.get = [ref](const Scenario& s) -> std::optional<Value> {
    return Value(static_cast<std::int64_t>(ref(s)));
  };
  return key;
}

/// A text key with fixed choices, stored through @p to_value / read through @p from_value.
KeyInfo choice_key(std::string path, std::vector<std::string> choices, std::string description,
                   std::function<void(Scenario&, const std::string&)> store,
                   std::function<std::string(const Scenario&)> load) {
  KeyInfo key;
  key.path = std::move(path);
  key.kind = ValueKind::text;
  key.choices = std::move(choices);
  key.description = std::move(description);
  key.set = [store = std::move(store)](Scenario& s, const Value& v) {
    store(s, std::get<std::string>(v));
  };
  key.get = [load = std::move(load)](const Scenario& s) -> std::optional<Value> {
    return Value(load(s));
  };
  return key;
}

template <class Enum>
Enum enum_from(const std::string& text, const std::vector<std::pair<std::string, Enum>>& table) {
  for (const auto& [name, value] : table) {
    if (name == text)
      return value;
  }
  // Unreachable after the choices check; kept as a clear error rather than a silent default.
  throw core::InputError("unknown choice '" + text + "'");
}

template <class Enum>
std::string enum_to(Enum value, const std::vector<std::pair<std::string, Enum>>& table) {
  for (const auto& [name, v] : table) {
    if (v == value)
      return name;
  }
  return "?";
}

template <class Enum>
std::vector<std::string> names_of(const std::vector<std::pair<std::string, Enum>>& table) {
  std::vector<std::string> names;
  for (const auto& entry : table)
    names.push_back(entry.first);
  return names;
}

std::vector<std::pair<std::string, geometry::Pattern>> pattern_table() {
  return {{"square", geometry::Pattern::square},
          {"hexagonal", geometry::Pattern::hexagonal},
          {"jittered", geometry::Pattern::jittered},
          {"uniform_random", geometry::Pattern::uniform_random}};
}

std::vector<std::pair<std::string, geometry::Device>> device_table() {
  return {{"pen", geometry::Device::pen}, {"roller", geometry::Device::roller}};
}

std::vector<std::pair<std::string, simulation::TrackShape>> track_table() {
  return {{"needles", simulation::TrackShape::needles}, {"slits", simulation::TrackShape::slits}};
}

std::vector<std::pair<std::string, FieldPrecision>> precision_table() {
  return {{"float32", FieldPrecision::float32}, {"float64", FieldPrecision::float64}};
}

geometry::SessionOverride& override_entry(Scenario& s, std::size_t element) {
  auto& overrides = s.spec.protocol.overrides;
  if (overrides.size() <= element)
    overrides.resize(element + 1);
  return overrides[element];
}

void add_tissue_keys(std::vector<KeyInfo>& keys) {
  keys.push_back(choice_key(
      "tissue.site", to_strings(geometry::TissueSpec::preset_names()),
      "Body site: sets every layer thickness from measured values (the table below); the "
      "thickness keys override single layers",
      [](Scenario& s, const std::string& site) {
        s.spec.tissue = geometry::TissueSpec::preset(site);
      },
      [](const Scenario& s) { return s.spec.tissue.site; }));
  for (const geometry::Layer layer : geometry::all_layers) {
    const std::string name(geometry::layer_name(layer));
    const std::string what = layer == geometry::Layer::hypodermis
                                 ? "Thickness of the modelled part of the hypodermis"
                                 : "Thickness of the " + name;
    KeyInfo key = number_key("tissue." + name + "_mm", "mm", 0.0, 20.0, what, true);
    key.default_text = "from site";
    key.set = [layer](Scenario& s, const Value& v) {
      s.spec.tissue.set_thickness(layer, std::get<double>(v));
    };
    key.get = [layer](const Scenario& s) -> std::optional<Value> {
      return Value(s.spec.tissue.thickness(layer));
    };
    keys.push_back(std::move(key));
  }
}

void add_domain_keys(std::vector<KeyInfo>& keys) {
  keys.push_back(integer_key(
      "domain.dimensions", "", 2, 3,
      "3: a block of tile_mm x depth_mm; 2: the x-z cross-section through one row of needles "
      "(tracks become slits; 10-100x cheaper)",
      [](auto& s) -> auto& { return s.spec.domain.dimensions; }));
  KeyInfo tile;
  tile.path = "domain.tile_mm";
  tile.kind = ValueKind::real_list;
  tile.unit = "mm";
  tile.min = 0.002;
  tile.max = 100.0;
  tile.min_items = 2;
  tile.max_items = 2;
  tile.description =
      "[x, y] size of the periodic tile along the skin surface (y unused in 2D); must hold a "
      "whole number of lattice cells (validate suggests a size)";
  tile.set = [](Scenario& s, const Value& v) {
    const auto& xy = std::get<std::vector<double>>(v);
    s.spec.domain.tile_mm = {xy[0], xy[1]};
  };
  tile.get = [](const Scenario& s) -> std::optional<Value> {
    return Value(std::vector<double>{s.spec.domain.tile_mm.x, s.spec.domain.tile_mm.y});
  };
  keys.push_back(std::move(tile));
  keys.push_back(real_key(
      "domain.depth_mm", "mm", 0.0, 20.0,
      "Depth of the block from the skin surface; must reach below the needle's effective depth",
      [](auto& s) -> auto& { return s.spec.domain.depth_mm; }, true));
  keys.push_back(real_key(
      "domain.voxel_mm", "mm", 0.002, 0.5,
      "Target voxel edge (each axis gets the nearest whole number of voxels); cost grows like "
      "voxel_mm^-3 in 3D",
      [](auto& s) -> auto& { return s.spec.domain.voxel_mm; }));
  keys.push_back(choice_key(
      "domain.tracks", names_of(track_table()),
      "3D only: needles (each puncture its own track) or slits (each row extruded along y)",
      [](Scenario& s, const std::string& v) { s.spec.domain.tracks = enum_from(v, track_table()); },
      [](const Scenario& s) { return enum_to(s.spec.domain.tracks, track_table()); }));
}

void add_needle_keys(std::vector<KeyInfo>& keys) {
  keys.push_back(real_key(
      "needle.length_mm", "mm", 0.1, 3.0, "Needle length",
      [](auto& s) -> auto& { return s.spec.protocol.needle.length_mm; }));
  keys.push_back(real_key(
      "needle.diameter_mm", "mm", 0.01, 0.5, "Shaft diameter",
      [](auto& s) -> auto& { return s.spec.protocol.needle.diameter_mm; }));
  KeyInfo cone = number_key("needle.tip_cone_length_mm", "mm", 0.0, 3.0,
                            "Length of the conical tip (at most length_mm)");
  cone.default_text = "3 x radius";
  cone.set = [](Scenario& s, const Value& v) {
    s.spec.protocol.needle.tip_cone_length_mm = std::get<double>(v);
  };
  cone.get = [](const Scenario& s) -> std::optional<Value> {
    return Value(s.spec.protocol.needle.cone_length_mm());
  };
  keys.push_back(std::move(cone));
  keys.push_back(real_key(
      "needle.penetration_efficiency", "", 0.2, 0.9,
      "Effective depth / length: skin deforms before it is pierced (~0.6-0.77 in human skin)",
      [](auto& s) -> auto& { return s.spec.protocol.needle.penetration_efficiency; }));
  keys.push_back(real_key(
      "needle.density_per_cm2", "1/cm^2", 1.0, 5000.0,
      "Punctures per cm^2 per session, all passes together",
      [](auto& s) -> auto& { return s.spec.protocol.needle.density_per_cm2; }));
  keys.push_back(choice_key(
      "needle.pattern", names_of(pattern_table()),
      "Pen stamp layout per pass (2D needs square or jittered)",
      [](Scenario& s, const std::string& v) {
        s.spec.protocol.needle.pattern = enum_from(v, pattern_table());
      },
      [](const Scenario& s) { return enum_to(s.spec.protocol.needle.pattern, pattern_table()); }));
  keys.push_back(real_key(
      "needle.jitter_fraction", "", 0.0, 1.0,
      "Jittered pattern: random shift of each stamp, as a fraction of the lattice spacing",
      [](auto& s) -> auto& { return s.spec.protocol.needle.jitter_fraction; }));
  keys.push_back(integer_key(
      "needle.passes", "", 1, 50, "Times the device goes over the skin in one session",
      [](auto& s) -> auto& { return s.spec.protocol.needle.passes; }));
  keys.push_back(choice_key(
      "needle.device", names_of(device_table()),
      "pen (vertical stamps) or roller (drum, see needle.roller; 3D only)",
      [](Scenario& s, const std::string& v) {
        s.spec.protocol.needle.device = enum_from(v, device_table());
      },
      [](const Scenario& s) { return enum_to(s.spec.protocol.needle.device, device_table()); }));
  KeyInfo seed;
  seed.path = "needle.seed";
  seed.kind = ValueKind::integer;
  seed.min = 0.0;
  seed.max = max_seed;
  seed.description =
      "Random seed of the puncture positions; with the session and pass index it fixes every "
      "position, so reruns and restarts place the same punctures";
  seed.set = [](Scenario& s, const Value& v) {
    s.spec.protocol.needle.seed = static_cast<std::uint64_t>(std::get<std::int64_t>(v));
  };
  seed.get = [](const Scenario& s) -> std::optional<Value> {
    return Value(static_cast<std::int64_t>(s.spec.protocol.needle.seed));
  };
  keys.push_back(std::move(seed));
  keys.push_back(integer_key(
      "needle.roller.needles_per_ring", "", 1, 1000, "Roller: needles around the drum in one ring",
      [](auto& s) -> auto& { return s.spec.protocol.needle.roller.needles_per_ring; }));
  keys.push_back(integer_key(
      "needle.roller.rings", "", 1, 1000, "Roller: rings of needles along the drum axis",
      [](auto& s) -> auto& { return s.spec.protocol.needle.roller.rings; }));
  keys.push_back(real_key(
      "needle.roller.drum_diameter_mm", "mm", 0.0, 200.0, "Roller: drum diameter at the needles",
      [](auto& s) -> auto& { return s.spec.protocol.needle.roller.drum_diameter_mm; }, true));
  keys.push_back(real_key(
      "needle.roller.drum_width_mm", "mm", 0.0, 200.0, "Roller: drum length along its axis",
      [](auto& s) -> auto& { return s.spec.protocol.needle.roller.drum_width_mm; }, true));
}

void add_protocol_keys(std::vector<KeyInfo>& keys) {
  const auto by_count = [](const Scenario& s) { return s.spec.protocol.session_days.empty(); };
  KeyInfo sessions = integer_key(
      "protocol.sessions", "", 0, 100,
      "Number of sessions (0: untreated control); not with session_days",
      [](auto& s) -> auto& { return s.spec.protocol.sessions; });
  KeyInfo interval = real_key(
      "protocol.interval_days", "d", 0.0, max_days, "Days between sessions; not with session_days",
      [](auto& s) -> auto& { return s.spec.protocol.interval_days; }, true);
  KeyInfo first = real_key(
      "protocol.first_session_day", "d", 0.0, max_days,
      "Day of the first session; not with session_days",
      [](auto& s) -> auto& { return s.spec.protocol.first_session_day; });
  for (KeyInfo* key : {&sessions, &interval, &first}) {
    key->get = [by_count, get = key->get](const Scenario& s) -> std::optional<Value> {
      return by_count(s) ? get(s) : std::nullopt;
    };
    keys.push_back(std::move(*key));
  }
  KeyInfo days;
  days.path = "protocol.session_days";
  days.kind = ValueKind::real_list;
  days.unit = "d";
  days.min = 0.0;
  days.max = max_days;
  days.min_items = 1;
  days.max_items = 100;
  days.default_text = "unset";
  days.description =
      "Explicit session days, strictly increasing (replaces sessions, interval_days and "
      "first_session_day)";
  days.set = [](Scenario& s, const Value& v) {
    s.spec.protocol.session_days = std::get<std::vector<double>>(v);
  };
  days.get = [by_count](const Scenario& s) -> std::optional<Value> {
    if (by_count(s))
      return std::nullopt;
    return Value(s.spec.protocol.session_days);
  };
  keys.push_back(std::move(days));
  keys.push_back(real_key(
      "protocol.duration_days", "d", 0.0, max_days,
      "Simulated time from day 0; every session must come before it",
      [](auto& s) -> auto& { return s.spec.protocol.duration_days; }, true));

  // [[protocol.overrides]]: per-session changes of the needle (applied entry by entry).
  KeyInfo session;
  session.path = "protocol.overrides[].session";
  session.kind = ValueKind::integer;
  session.min = 0;
  session.max = 99;
  session.default_text = "required";
  session.description = "Session (0-based) this entry changes";
  session.set_element = [](Scenario& s, std::size_t e, const Value& v) {
    override_entry(s, e).session = static_cast<int>(std::get<std::int64_t>(v));
  };
  keys.push_back(std::move(session));
  KeyInfo length;
  length.path = "protocol.overrides[].length_mm";
  length.unit = "mm";
  length.min = 0.1;
  length.max = 3.0;
  length.default_text = "needle.length_mm";
  length.description = "Needle length in that session";
  length.set_element = [](Scenario& s, std::size_t e, const Value& v) {
    override_entry(s, e).needle_length_mm = std::get<double>(v);
  };
  keys.push_back(std::move(length));
  KeyInfo density;
  density.path = "protocol.overrides[].density_per_cm2";
  density.unit = "1/cm^2";
  density.min = 1.0;
  density.max = 5000.0;
  density.default_text = "needle.density_per_cm2";
  density.description = "Puncture density in that session";
  density.set_element = [](Scenario& s, std::size_t e, const Value& v) {
    override_entry(s, e).density_per_cm2 = std::get<double>(v);
  };
  keys.push_back(std::move(density));
  KeyInfo passes;
  passes.path = "protocol.overrides[].passes";
  passes.kind = ValueKind::integer;
  passes.min = 1;
  passes.max = 50;
  passes.default_text = "needle.passes";
  passes.description = "Passes in that session";
  passes.set_element = [](Scenario& s, std::size_t e, const Value& v) {
    override_entry(s, e).passes = static_cast<int>(std::get<std::int64_t>(v));
  };
  keys.push_back(std::move(passes));
}

void add_output_keys(std::vector<KeyInfo>& keys) {
  KeyInfo snapshots;
  snapshots.path = "output.snapshots";
  snapshots.kind = ValueKind::boolean;
  snapshots.description =
      "Write field snapshots (fields/, fields.xmf, fields.hdf.series); false keeps the time "
      "series, metrics and checkpoints (sweep cases run with false unless the sweep asks)";
  snapshots.set = [](Scenario& s, const Value& v) { s.output.snapshots = std::get<bool>(v); };
  snapshots.get = [](const Scenario& s) -> std::optional<Value> {
    return Value(s.output.snapshots);
  };
  keys.push_back(std::move(snapshots));
  KeyInfo every = real_key(
      "output.every_h", "h", 0.0, max_hours,
      "Snapshot and time-series interval (from t = 0; the end of the run is always written); "
      "not with times_h",
      [](auto& s) -> auto& { return s.output.every_h; }, true);
  every.get = [](const Scenario& s) -> std::optional<Value> {
    if (!s.output.times_h.empty())
      return std::nullopt;
    return Value(s.output.every_h);
  };
  keys.push_back(std::move(every));
  KeyInfo times;
  times.path = "output.times_h";
  times.kind = ValueKind::real_list;
  times.unit = "h";
  times.min = 0.0;
  times.max = max_hours;
  times.min_items = 1;
  times.max_items = 100000;
  times.default_text = "unset";
  times.description =
      "Explicit output times, strictly increasing, up to duration_days x 24 (replaces every_h)";
  times.set = [](Scenario& s, const Value& v) {
    s.output.times_h = std::get<std::vector<double>>(v);
  };
  times.get = [](const Scenario& s) -> std::optional<Value> {
    if (s.output.times_h.empty())
      return std::nullopt;
    return Value(s.output.times_h);
  };
  keys.push_back(std::move(times));
  keys.push_back(choice_key(
      "output.precision", names_of(precision_table()),
      "Width of the stored field values (float32 halves the files; checkpoints are always exact)",
      [](Scenario& s, const std::string& v) {
        s.output.precision = enum_from(v, precision_table());
      },
      [](const Scenario& s) { return enum_to(s.output.precision, precision_table()); }));
  KeyInfo fields;
  fields.path = "output.fields";
  fields.kind = ValueKind::text_list;
  fields.min_items = 1;
  fields.max_items = model::num_species;
  fields.choices = model::species_names();
  fields.default_text = "all species";
  fields.description = "Species written to the field snapshots (each at most once)";
  fields.set = [](Scenario& s, const Value& v) {
    s.output.fields = std::get<std::vector<std::string>>(v);
  };
  fields.get = [](const Scenario& s) -> std::optional<Value> {
    return Value(s.output.fields.empty() ? model::species_names() : s.output.fields);
  };
  keys.push_back(std::move(fields));
  keys.push_back(integer_key(
      "output.gzip_level", "", 0, 9,
      "Compression of the snapshot datasets: 0 none, 1 fast ... 9 smallest",
      [](auto& s) -> auto& { return s.output.gzip_level; }));
}

void add_numerics_keys(std::vector<KeyInfo>& keys) {
  keys.push_back(real_key(
      "numerics.rtol", "", 0.0, 0.1, "Relative error tolerance per step",
      [](auto& s) -> auto& { return s.spec.step_control.rtol; }, true));
  keys.push_back(real_key(
      "numerics.atol", "", 0.0, 0.01, "Absolute error tolerance per step (normalised units)",
      [](auto& s) -> auto& { return s.spec.step_control.atol; }, true));
  keys.push_back(real_key(
      "numerics.dt_initial_h", "h", 0.0, 48.0,
      "First step (a fresh puncture changes within minutes); at most dt_max_h",
      [](auto& s) -> auto& { return s.spec.step_control.dt_initial_h; }, true));
  keys.push_back(real_key(
      "numerics.dt_min_h", "h", 0.0, 48.0,
      "Smallest step: a step rejected at this size stops the run; at most dt_initial_h",
      [](auto& s) -> auto& { return s.spec.step_control.dt_min_h; }, true));
  keys.push_back(real_key(
      "numerics.dt_max_h", "h", 0.0, 48.0, "Largest step",
      [](auto& s) -> auto& { return s.spec.step_control.dt_max_h; }, true));
  keys.push_back(real_key(
      "numerics.negative_tolerance", "x atol", 0.0, 1e6,
      "A step leaving a value below -negative_tolerance x atol is rejected (never clamped)",
      [](auto& s) -> auto& { return s.spec.step_control.negative_tolerance; }));
  keys.push_back(real_key(
      "numerics.rest_fraction", "", 0.0, 0.5,
      "A voxel whose reactions change it by less than this fraction of the tolerance rests "
      "(skipped); 0 integrates every voxel",
      [](auto& s) -> auto& { return s.spec.rest_fraction; }));
  keys.push_back(real_key(
      "numerics.sample_interval_h", "h", 0.001, max_hours,
      "Metric sampling beyond three weeks after a session (denser ladder before that)",
      [](auto& s) -> auto& { return s.spec.sampling.interval_h; }));
  keys.push_back(real_key(
      "numerics.checkpoint_every_min", "min", 0.0, 10080.0,
      "Wall-clock minutes between checkpoints, besides one after every session; 0: sessions only",
      [](auto& s) -> auto& { return s.checkpoint_every_min; }));
}

void add_model_keys(std::vector<KeyInfo>& keys) {
  for (const model::ParameterInfo& row : model::parameter_table()) {
    KeyInfo key;
    key.path = "model." + std::string(row.symbol);
    key.unit = row.unit == "1" ? "" : std::string(row.unit);
    key.min = row.min_value;
    key.max = row.max_value;
    key.description = std::string(row.name);
    const model::Param id = row.id;
    key.set = [id](Scenario& s, const Value& v) { s.spec.parameters.set(id, std::get<double>(v)); };
    key.get = [id](const Scenario& s) -> std::optional<Value> {
      return Value(s.spec.parameters[id]);
    };
    keys.push_back(std::move(key));
  }
}

std::string kind_text(const KeyInfo& key) {
  switch (key.kind) {
    case ValueKind::real:
      return "number";
    case ValueKind::integer:
      return "integer";
    case ValueKind::boolean:
      return "boolean";
    case ValueKind::text:
      return "string";
    case ValueKind::real_list:
      return "array of numbers";
    case ValueKind::text_list:
      return "array of strings";
  }
  return "?";
}

std::string range_text(const KeyInfo& key) {
  const std::string lo = std::isinf(key.min) ? "-inf" : number_text(key.min);
  const std::string hi = std::isinf(key.max) ? "inf" : number_text(key.max);
  return (key.min_exclusive ? "(" : "[") + lo + ", " + hi + "]";
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items)
    quoted.push_back("\"" + item + "\"");
  return join(quoted, ", ");
}

std::string markdown_escape(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

std::string section_of(const std::string& path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

}  // namespace

std::vector<KeyInfo> scenario_keys() {
  std::vector<KeyInfo> keys;
  KeyInfo description;
  description.path = "description";
  description.kind = ValueKind::text;
  description.default_text = "\"\"";
  description.description = "Free text describing the scenario (copied to manifest.json)";
  description.set = [](Scenario& s, const Value& v) { s.description = std::get<std::string>(v); };
  description.get = [](const Scenario& s) -> std::optional<Value> { return Value(s.description); };
  keys.push_back(std::move(description));
  add_tissue_keys(keys);
  add_domain_keys(keys);
  add_needle_keys(keys);
  add_protocol_keys(keys);
  add_output_keys(keys);
  add_numerics_keys(keys);
  add_model_keys(keys);
  return keys;
}

std::string expected_text(const KeyInfo& key) {
  const std::string unit = key.unit.empty() ? "" : " " + key.unit;
  switch (key.kind) {
    case ValueKind::real:
      return "a number in " + range_text(key) + unit;
    case ValueKind::integer:
      return "an integer in " + range_text(key) + unit;
    case ValueKind::boolean:
      return "true or false";
    case ValueKind::text:
      return key.choices.empty() ? "a string" : "one of " + quoted_list(key.choices);
    case ValueKind::real_list: {
      const std::string count = key.min_items == key.max_items
                                    ? std::to_string(key.min_items) + " numbers"
                                    : "1 or more numbers";
      return "an array of " + count + ", each in " + range_text(key) + unit;
    }
    case ValueKind::text_list:
      return "an array of strings, each one of " + quoted_list(key.choices);
  }
  return "?";
}

std::string toml_value_text(const Value& value) {
  struct Visitor {
    std::string operator()(double v) const {
      if (std::isnan(v))
        return "nan";
      if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
      std::string text = number_text(v);
      // TOML reads "1" as an integer; keep floats recognisable as floats.
      if (text.find_first_of(".en") == std::string::npos)
        text += ".0";
      return text;
    }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const {
      std::string out = "\"";
      for (const char c : v) {
        switch (c) {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\r':
            out += "\\r";
            break;
          default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
              constexpr std::string_view hex = "0123456789ABCDEF";
              out += "\\u00";
              out += hex[(static_cast<unsigned char>(c) >> 4U) & 0xFU];
              out += hex[static_cast<unsigned char>(c) & 0xFU];
            } else {
              out += c;
            }
        }
      }
      return out + "\"";
    }
    std::string operator()(const std::vector<double>& v) const {
      std::vector<std::string> items;
      for (const double x : v)
        items.push_back((*this)(x));
      return "[" + join(items, ", ") + "]";
    }
    std::string operator()(const std::vector<std::string>& v) const {
      std::vector<std::string> items;
      for (const std::string& x : v)
        items.push_back((*this)(x));
      return "[" + join(items, ", ") + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

std::string key_table_markdown() {
  const std::vector<KeyInfo> keys = scenario_keys();
  const Scenario defaults;
  std::ostringstream out;
  std::string section = "?";
  for (const KeyInfo& key : keys) {
    std::string this_section = section_of(key.path);
    if (key.path.find("[]") != std::string::npos)
      this_section = "[protocol.overrides]";  // rendered as an array of tables
    if (this_section != section) {
      section = this_section;
      const std::string title =
          section.empty() ? "Top level"
                          : (section.front() == '[' ? "[" + section + "]" : "[" + section + "]");
      out << "\n### " << title << "\n\n";
      out << "| key | type | unit | default | allowed | meaning |\n";
      out << "|---|---|---|---|---|---|\n";
    }
    const std::size_t dot = key.path.rfind('.');
    const std::string name = dot == std::string::npos ? key.path : key.path.substr(dot + 1);
    std::string default_text = key.default_text;
    if (default_text.empty() && key.get) {
      if (const auto value = key.get(defaults))
        default_text = toml_value_text(*value);
    }
    std::string allowed;
    switch (key.kind) {
      case ValueKind::real:
      case ValueKind::integer:
        allowed = range_text(key);
        break;
      case ValueKind::real_list:
        allowed = (key.min_items == key.max_items ? std::to_string(key.min_items) + " x " : "") +
                  range_text(key);
        break;
      case ValueKind::text:
      case ValueKind::text_list:
        allowed = key.choices.empty() ? "any" : join(key.choices, ", ");
        break;
      case ValueKind::boolean:
        allowed = "true, false";
        break;
    }
    out << "| `" << name << "` | " << kind_text(key) << " | " << markdown_escape(key.unit) << " | "
        << markdown_escape(default_text) << " | " << markdown_escape(allowed) << " | "
        << markdown_escape(key.description) << " |\n";
  }
  out << "\n### Body-site presets (`tissue.site`)\n\n";
  out << "| site |";
  for (const geometry::Layer layer : geometry::all_layers)
    out << " " << geometry::layer_name(layer) << " [mm] |";
  out << " source |\n|---|";
  for (std::size_t l = 0; l < geometry::num_layers; ++l)
    out << "---|";
  out << "---|\n";
  for (const std::string_view site : geometry::TissueSpec::preset_names()) {
    const geometry::TissueSpec preset = geometry::TissueSpec::preset(site);
    out << "| " << site << " |";
    for (const geometry::Layer layer : geometry::all_layers) {
      // Four digits: the presets are differences of measured values (1.5999999999999999).
      std::ostringstream value;
      value << std::setprecision(4) << preset.thickness(layer);
      out << " " << value.str() << " |";
    }
    out << " " << markdown_escape(preset.source) << " |\n";
  }
  return out.str();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace microheal::scenario
