#include "run_reports.hpp"

#include <map>
#include <variant>
#include <vector>

#include "microheal/scenario/key_registry.hpp"

namespace microheal::app {

namespace {

void gain_json(JsonWriter& json, std::string_view key, const simulation::CollagenGain& gain) {
  json.begin_object(key)
      .value("total_pct", gain.total_pct)
      .value("new_pct", gain.new_pct)
      .value("mature_pct", gain.mature_pct)
      .end_object();
}

void value_json(JsonWriter& json, std::string_view key, const scenario::Value& value) {
  struct Visitor {
    JsonWriter& json;
    std::string_view key;
    void operator()(double v) const { json.value(key, v); }
    void operator()(std::int64_t v) const { json.value(key, v); }
    void operator()(bool v) const { json.value(key, v); }
    void operator()(const std::string& v) const { json.value(key, std::string_view(v)); }
    void operator()(const std::vector<double>& v) const {
      json.begin_array(key);
      for (const double x : v)
        json.value("", x);
      json.end_array();
    }
    void operator()(const std::vector<std::string>& v) const {
      json.begin_array(key);
      for (const std::string& x : v)
        json.value("", std::string_view(x));
      json.end_array();
    }
  };
  std::visit(Visitor{json, key}, value);
}

}  // namespace

std::string metrics_json(const simulation::Metrics& m) {
  JsonWriter json;
  json.begin_object()
      .value("format", "microheal-metrics")
      .value("format_version", 1)
      .value("neutrophil_peak_h", m.neutrophil_peak_h)
      .value("macrophage_peak_h", m.macrophage_peak_h)
      .value("fibroblast_peak_d", m.fibroblast_peak_d)
      .value("fibroblast_peak_ratio", m.fibroblast_peak_ratio)
      .value("fibroblast_recovered_d", m.fibroblast_recovered_d)
      .value("redness_peak_h", m.redness_peak_h)
      .value("redness_resolved_h", m.redness_resolved_h)
      .value("swelling_resolved_h", m.swelling_resolved_h)
      .value("epidermis_closed_h", m.epidermis_closed_h);
  gain_json(json, "collagen_gain_papillary", m.collagen_gain_papillary);
  gain_json(json, "collagen_gain_dermis", m.collagen_gain_dermis);
  json.value("scar_index_pct", m.scar_index_pct)
      .value("scar_index_peak_pct", m.scar_index_peak_pct);
  json.begin_array("sessions");
  for (const simulation::SessionMetrics& s : m.sessions) {
    json.begin_object()
        .value("session", s.session)
        .value("time_h", s.time_h)
        .value("window_end_h", s.window_end_h)
        .value("neutrophil_peak_h", s.neutrophil_peak_h)
        .value("neutrophil_peak", s.neutrophil_peak)
        .value("macrophage_peak_h", s.macrophage_peak_h)
        .value("macrophage_peak", s.macrophage_peak)
        .value("fibroblast_peak_d", s.fibroblast_peak_d)
        .value("fibroblast_peak_ratio", s.fibroblast_peak_ratio)
        .value("fibroblast_recovered_d", s.fibroblast_recovered_d)
        .value("redness_peak_h", s.redness_peak_h)
        .value("redness_peak", s.redness_peak)
        .value("redness_resolved_h", s.redness_resolved_h)
        .value("swelling_peak_h", s.swelling_peak_h)
        .value("swelling_peak", s.swelling_peak)
        .value("swelling_resolved_h", s.swelling_resolved_h)
        .value("epidermis_closed_h", s.epidermis_closed_h);
    gain_json(json, "collagen_papillary", s.collagen_papillary);
    gain_json(json, "collagen_dermis", s.collagen_dermis);
    json.end_object();
  }
  json.end_array().end_object();
  return json.str();
}

std::vector<std::pair<std::string, std::optional<double>>> run_metric_values(
    const simulation::Metrics& m) {
  std::vector<std::pair<std::string, std::optional<double>>> values{
      {"neutrophil_peak_h", m.neutrophil_peak_h},
      {"macrophage_peak_h", m.macrophage_peak_h},
      {"fibroblast_peak_d", m.fibroblast_peak_d},
      {"fibroblast_peak_ratio", m.fibroblast_peak_ratio},
      {"fibroblast_recovered_d", m.fibroblast_recovered_d},
      {"redness_peak_h", m.redness_peak_h},
      {"redness_resolved_h", m.redness_resolved_h},
      {"swelling_resolved_h", m.swelling_resolved_h},
      {"epidermis_closed_h", m.epidermis_closed_h}};
  for (const auto& [name, gain] : {std::pair{"collagen_gain_papillary", m.collagen_gain_papillary},
                                   std::pair{"collagen_gain_dermis", m.collagen_gain_dermis}}) {
    const std::string prefix(name);
    values.emplace_back(prefix + ".total_pct", gain.total_pct);
    values.emplace_back(prefix + ".new_pct", gain.new_pct);
    values.emplace_back(prefix + ".mature_pct", gain.mature_pct);
  }
  values.emplace_back("scar_index_pct", m.scar_index_pct);
  values.emplace_back("scar_index_peak_pct", m.scar_index_peak_pct);
  return values;
}

std::string table_csv(const simulation::TimeSeriesTable& table) {
  std::string out;
  for (std::size_t c = 0; c < table.columns().size(); ++c) {
    const simulation::Column& column = table.columns()[c];
    out += (c == 0 ? "" : ",") + column.name + " [" + column.unit + "]";
  }
  out += '\n';
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    const auto row = table.row(r);
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string number = JsonWriter::number(row[c]);
      out += (c == 0 ? "" : ",") + (number == "null" ? std::string("nan") : number);
    }
    out += '\n';
  }
  return out;
}

void scenario_json(JsonWriter& json, std::string_view key, const scenario::Scenario& s) {
  // Group keys by table in registry order; nested tables (needle.roller) become nested objects.
  json.begin_object(key);
  std::vector<std::string> open;  // currently open tables, outermost first
  const auto split = [](const std::string& path) {
    std::vector<std::string> parts;
    std::size_t from = 0;
    for (std::size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', from)) {
      parts.push_back(path.substr(from, dot - from));
      from = dot + 1;
    }
    parts.push_back(path.substr(from));
    return parts;
  };
  for (const scenario::KeyInfo& info : scenario::scenario_keys()) {
    if (!info.get)
      continue;
    const std::optional<scenario::Value> value = info.get(s);
    if (!value)
      continue;
    std::vector<std::string> parts = split(info.path);
    const std::string leaf = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common])
      ++common;
    while (open.size() > common) {
      json.end_object();
      open.pop_back();
    }
    for (std::size_t p = common; p < parts.size(); ++p) {
      json.begin_object(parts[p]);
      open.push_back(parts[p]);
    }
    value_json(json, leaf, *value);
  }
  while (!open.empty()) {
    json.end_object();
    open.pop_back();
  }
  json.begin_array("protocol_overrides");
  for (const geometry::SessionOverride& o : s.spec.protocol.overrides) {
    json.begin_object().value("session", o.session);
    if (o.needle_length_mm)
      json.value("length_mm", *o.needle_length_mm);
    if (o.density_per_cm2)
      json.value("density_per_cm2", *o.density_per_cm2);
    if (o.passes)
      json.value("passes", *o.passes);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

}  // namespace microheal::app
