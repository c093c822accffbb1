#include "microheal/sweep/summary.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <variant>

#include "csv_text.hpp"
#include "microheal/core/error.hpp"
#include "microheal/core/version.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/io/hdf5.hpp"

namespace microheal::sweep {

namespace {

std::string number_text(double v) {
  return sweep::number_text(v, "nan");
}

/// A value for a CSV cell: numbers plain, strings without TOML quotes, lists as TOML arrays.
std::string cell_text(const scenario::Value& value) {
  if (const auto* d = std::get_if<double>(&value))
    return number_text(*d);
  if (const auto* i = std::get_if<std::int64_t>(&value))
    return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&value))
    return *s;
  return scenario::toml_value_text(value);
}

std::uint64_t id_number(const std::string& id) {
  std::uint64_t value = 0;
  const auto [ptr, error] = std::from_chars(id.data(), id.data() + id.size(), value, 16);
  if (error != std::errc() || ptr != id.data() + id.size())
    throw core::RunError("summary.h5: case id '" + id + "' is not 16 hex digits");
  return value;
}

bool is_number(const scenario::Value& value) {
  return std::holds_alternative<double>(value) || std::holds_alternative<std::int64_t>(value);
}

double as_double(const scenario::Value& value) {
  if (const auto* d = std::get_if<double>(&value))
    return *d;
  return static_cast<double>(std::get<std::int64_t>(value));
}

/// Everything of summary.h5; every handle it opens is closed when it returns.
void write_summary_contents(const io::h5::File& file, const SummaryTable& table,
                            std::string_view design_name) {
  file.write_string_attribute("format", "microheal-sweep-summary");
  file.write_scalar_attribute<std::int64_t>("format_version", 1);
  file.write_string_attribute("microheal_version", core::version);
  file.write_string_attribute("design", design_name);
  file.write_scalar_attribute<std::int64_t>("cases", static_cast<std::int64_t>(table.rows.size()));
  std::vector<std::int64_t> index;
  std::vector<std::uint64_t> ids;
  std::vector<std::int64_t> status;
  std::vector<double> wall;
  for (const SummaryRow& row : table.rows) {
    index.push_back(static_cast<std::int64_t>(row.index));
    ids.push_back(id_number(row.id));
    status.push_back(static_cast<std::int64_t>(row.state));
    wall.push_back(row.wall_seconds.value_or(std::numeric_limits<double>::quiet_NaN()));
  }
  file.write_dataset<std::int64_t>("index", index);
  file.write_dataset<std::uint64_t>("id", ids).write_string_attribute(
      "meaning", "case id: these 16 hex digits name the case folder");
  const io::h5::Dataset status_set = file.write_dataset<std::int64_t>("status", status);
  for (const CaseState state : {CaseState::ok, CaseState::failed, CaseState::pending}) {
    status_set.write_string_attribute("code_" + std::to_string(static_cast<int>(state)),
                                      state_name(state));
  }
  file.write_dataset<double>("wall_seconds", wall).write_string_attribute("unit", "s");
  const io::h5::Group inputs = file.create_group("inputs", true);
  for (std::size_t k = 0; k < table.input_keys.size(); ++k) {
    const bool numeric = std::all_of(table.rows.begin(), table.rows.end(),
                                     [&](const SummaryRow& r) { return is_number(r.inputs[k]); });
    if (numeric) {
      std::vector<double> column;
      for (const SummaryRow& row : table.rows)
        column.push_back(as_double(row.inputs[k]));
      inputs.write_dataset<double>(table.input_keys[k], column);
      continue;
    }
    // Strings, booleans and lists: level numbers, the values as attributes.
    std::vector<scenario::Value> levels;
    std::vector<std::int64_t> column;
    for (const SummaryRow& row : table.rows) {
      auto at = std::find(levels.begin(), levels.end(), row.inputs[k]);
      if (at == levels.end()) {
        levels.push_back(row.inputs[k]);
        at = levels.end() - 1;
      }
      column.push_back(static_cast<std::int64_t>(at - levels.begin()));
    }
    const io::h5::Dataset dataset = inputs.write_dataset<std::int64_t>(table.input_keys[k], column);
    for (std::size_t l = 0; l < levels.size(); ++l) {
      dataset.write_string_attribute("level_" + std::to_string(l),
                                     scenario::toml_value_text(levels[l]));
    }
  }
  const io::h5::Group metrics = file.create_group("metrics", true);
  for (std::size_t m = 0; m < table.metric_names.size(); ++m)
    metrics.write_dataset<double>(table.metric_names[m], table.metric_column(m));
  const io::h5::Group errors = file.create_group("errors");
  for (const SummaryRow& row : table.rows) {
    if (row.state == CaseState::failed)
      errors.write_string_attribute(row.id, row.error.empty() ? "(no message)" : row.error);
  }
}

}  // namespace

std::string_view state_name(CaseState state) {
  switch (state) {
    case CaseState::ok:
      return "ok";
    case CaseState::failed:
      return "failed";
    case CaseState::pending:
      break;
  }
  return "pending";
}

std::size_t SummaryTable::count(CaseState state) const {
  return static_cast<std::size_t>(std::count_if(
      rows.begin(), rows.end(), [state](const SummaryRow& row) { return row.state == state; }));
}

std::vector<double> SummaryTable::metric_column(std::size_t metric) const {
  std::vector<double> column;
  column.reserve(rows.size());
  for (const SummaryRow& row : rows) {
    const std::optional<double>& v = row.metrics[metric];
    column.push_back(row.state == CaseState::ok && v ? *v
                                                     : std::numeric_limits<double>::quiet_NaN());
  }
  return column;
}

SummaryTable build_summary(const Design& design,
                           std::span<const std::optional<CaseRecord>> records) {
  if (records.size() != design.cases.size())
    throw core::RunError("build_summary: one record slot per case is needed");
  SummaryTable table;
  for (const Axis& axis : design.axes)
    table.input_keys.push_back(axis.key);
  for (const std::optional<CaseRecord>& record : records) {
    if (!record || record->status != CaseStatus::ok)
      continue;
    for (const MetricValue& m : record->metrics) {
      if (std::find(table.metric_names.begin(), table.metric_names.end(), m.name) ==
          table.metric_names.end())
        table.metric_names.push_back(m.name);
    }
  }
  for (std::size_t c = 0; c < design.cases.size(); ++c) {
    const Case& the_case = design.cases[c];
    SummaryRow row;
    row.index = c;
    row.id = the_case.id;
    for (const Override& o : the_case.overrides)
      row.inputs.push_back(o.value);
    row.metrics.assign(table.metric_names.size(), std::nullopt);
    if (const std::optional<CaseRecord>& record = records[c]) {
      row.state = record->status == CaseStatus::ok ? CaseState::ok : CaseState::failed;
      row.error = record->error;
      if (std::isfinite(record->wall_seconds))
        row.wall_seconds = record->wall_seconds;
      for (const MetricValue& m : record->metrics) {
        const auto at = std::find(table.metric_names.begin(), table.metric_names.end(), m.name);
        if (at != table.metric_names.end())
          row.metrics[static_cast<std::size_t>(at - table.metric_names.begin())] = m.value;
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string summary_csv(const SummaryTable& table) {
  std::ostringstream out;
  out << "index,id,status,wall_seconds";
  for (const std::string& key : table.input_keys)
    out << ',' << csv_field(key);
  for (const std::string& name : table.metric_names)
    out << ',' << csv_field(name);
  out << ",error\n";
  for (const SummaryRow& row : table.rows) {
    out << row.index << ',' << row.id << ',' << state_name(row.state) << ','
        << (row.wall_seconds ? number_text(*row.wall_seconds) : "");
    for (const scenario::Value& input : row.inputs)
      out << ',' << csv_field(cell_text(input));
    for (const std::optional<double>& metric : row.metrics)
      out << ',' << (metric ? number_text(*metric) : "");
    out << ',' << csv_field(row.error) << '\n';
  }
  return out.str();
}

void write_summary_h5(const std::filesystem::path& path, const SummaryTable& table,
                      std::string_view design_name) {
  io::h5::write_file_atomically(
      path, [&](io::h5::File& file) { write_summary_contents(file, table, design_name); });
}

}  // namespace microheal::sweep
