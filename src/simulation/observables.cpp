#include "microheal/simulation/observables.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/model/skin_kernel.hpp"
#include "microheal/simulation/simulation.hpp"

namespace microheal::simulation {

namespace {

/// Per-plane means of @p values (plane sums in index order: deterministic).
std::vector<double> plane_means(const grid::Grid& grid, std::span<const double> values) {
  const Index plane = grid.nx() * grid.ny();
  std::vector<double> means(static_cast<std::size_t>(grid.nz()));
  for (Index k = 0; k < grid.nz(); ++k) {
    double sum = 0.0;
    for (Index v = k * plane; v < (k + 1) * plane; ++v)
      sum += values[static_cast<std::size_t>(v)];
    means[static_cast<std::size_t>(k)] = sum / static_cast<double>(plane);
  }
  return means;
}

/// Sum of w[v] u[v] over voxels with w[v] != 0.
double weighted_sum(std::span<const double> w, std::span<const double> u) {
  double sum = 0.0;
  for (std::size_t v = 0; v < w.size(); ++v) {
    if (w[v] != 0.0)
      sum += w[v] * u[v];
  }
  return sum;
}

}  // namespace

double Observables::track_ratio(model::Species s) const {
  const double baseline = track_baseline[model::index(s)];
  return baseline != 0.0 ? track_mean[model::index(s)] / baseline : not_a_number;
}

double CollagenDepthSample::relative() const {
  return baseline > 0.0 ? (new_collagen + mature_collagen) / baseline : not_a_number;
}

ObservableCalculator::ObservableCalculator(const Simulation& simulation) {
  const grid::Grid& grid = simulation.grid();
  for (const geometry::Layer layer : geometry::all_layers) {
    _layer_weights[static_cast<std::size_t>(layer)] =
        simulation.tissue().layer_fraction_profile(grid, layer);
  }
  const auto& papillary =
      _layer_weights[static_cast<std::size_t>(geometry::Layer::papillary_dermis)];
  const auto& reticular =
      _layer_weights[static_cast<std::size_t>(geometry::Layer::reticular_dermis)];
  _dermis_weights.resize(papillary.size());
  for (std::size_t k = 0; k < papillary.size(); ++k)
    _dermis_weights[k] = papillary[k] + reticular[k];
}

double ObservableCalculator::weighted(std::span<const double> plane_means,
                                      std::span<const double> weights) {
  double sum = 0.0;
  double weight = 0.0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    sum += weights[k] * plane_means[k];
    weight += weights[k];
  }
  return weight > 0.0 ? sum / weight : not_a_number;
}

Observables ObservableCalculator::compute(const Simulation& simulation) const {
  using model::Species;
  const grid::Grid& grid = simulation.grid();
  const grid::FieldSet& fields = simulation.fields();
  const grid::FieldSet& home = simulation.homeostasis();
  const model::Parameters& p = simulation.spec().parameters;
  const auto& papillary =
      _layer_weights[static_cast<std::size_t>(geometry::Layer::papillary_dermis)];

  Observables o;
  o.time_h = simulation.time_h();
  o.sessions_applied = simulation.sessions_applied();

  std::array<std::vector<double>, model::num_species> means;
  for (std::size_t s = 0; s < model::num_species; ++s) {
    means[s] = plane_means(grid, fields[s]);
    for (std::size_t l = 0; l < geometry::num_layers; ++l)
      o.layer_mean[l][s] = weighted(means[s], _layer_weights[l]);
    double sum = 0.0;
    for (const double m : means[s])
      sum += m;
    o.block_mean[s] = sum / static_cast<double>(means[s].size());
  }

  // Redness is a nonlinear function of I, so it is averaged voxel by voxel.
  const std::span<const double> cytokine = fields[model::index(Species::cytokine)];
  std::vector<double> redness(cytokine.size());
  for (std::size_t v = 0; v < cytokine.size(); ++v)
    redness[v] = model::redness(cytokine[v], p);
  o.redness_index = weighted(plane_means(grid, redness), papillary);
  o.swelling_index = weighted(means[model::index(Species::swelling)], _dermis_weights);

  const std::span<const double> c0 =
      simulation.coefficients()[model::Coefficient::baseline_collagen];
  const std::vector<double> baseline_means = plane_means(grid, c0);
  const auto biopsy = [&](std::span<const double> weights) {
    return CollagenBiopsy{weighted(means[model::index(Species::new_collagen)], weights),
                          weighted(means[model::index(Species::mature_collagen)], weights),
                          weighted(baseline_means, weights)};
  };
  o.papillary = biopsy(papillary);
  o.dermis = biopsy(_dermis_weights);

  const std::span<const double> cn = fields[model::index(Species::new_collagen)];
  const std::span<const double> cm = fields[model::index(Species::mature_collagen)];
  const double cap = p[model::Param::C_max];
  double excess = 0.0;
  double baseline_total = 0.0;
  for (std::size_t v = 0; v < c0.size(); ++v) {
    excess += std::max(0.0, cn[v] + cm[v] - cap * c0[v]);
    baseline_total += c0[v];
  }
  o.scar_index_pct = baseline_total > 0.0 ? 100.0 * excess / baseline_total : 0.0;

  o.track_mean.fill(not_a_number);
  o.track_baseline.fill(not_a_number);
  if (const geometry::InjuryField* injury = simulation.latest_injury()) {
    const std::span<const double> w = injury->track_fraction;
    double weight = 0.0;
    for (const double x : w)
      weight += x;
    if (weight > 0.0) {
      for (std::size_t s = 0; s < model::num_species; ++s) {
        o.track_mean[s] = weighted_sum(w, fields[s]) / weight;
        o.track_baseline[s] = weighted_sum(w, home[s]) / weight;
      }
    }
    // Epidermal part of the tracks: track fraction x keratinocyte fraction of the voxel.
    const std::span<const double> e = simulation.coefficients()[model::Coefficient::epidermis];
    std::vector<double> epidermal(w.size());
    for (std::size_t v = 0; v < w.size(); ++v)
      epidermal[v] = w[v] * e[v];
    const std::size_t n = model::index(Species::keratinocytes);
    const double resting = weighted_sum(epidermal, home[n]);
    if (resting > 0.0)
      o.track_epidermis_keratinocytes = weighted_sum(epidermal, fields[n]) / resting;
  }
  return o;
}

std::vector<CollagenDepthSample> ObservableCalculator::collagen_depth_profile(
    const Simulation& simulation) const {
  const grid::Grid& grid = simulation.grid();
  const std::vector<double> cn =
      plane_means(grid, simulation.fields()[model::index(model::Species::new_collagen)]);
  const std::vector<double> cm =
      plane_means(grid, simulation.fields()[model::index(model::Species::mature_collagen)]);
  const std::vector<double> c0 =
      plane_means(grid, simulation.coefficients()[model::Coefficient::baseline_collagen]);
  std::vector<CollagenDepthSample> profile(static_cast<std::size_t>(grid.nz()));
  for (Index k = 0; k < grid.nz(); ++k) {
    const auto kk = static_cast<std::size_t>(k);
    profile[kk] = {grid.center_mm(grid::Axis::z, k), cn[kk], cm[kk], c0[kk]};
  }
  return profile;
}

TimeSeriesTable::TimeSeriesTable(std::vector<Column> columns) : _columns(std::move(columns)) {
  for (std::size_t c = 0; c < _columns.size(); ++c) {
    if (_columns[c].name.empty())
      throw core::InputError("time series: column " + std::to_string(c) + " has no name");
    for (std::size_t d = 0; d < c; ++d) {
      if (_columns[d].name == _columns[c].name)
        throw core::InputError("time series: duplicate column '" + _columns[c].name + "'");
    }
  }
}

void TimeSeriesTable::add_row(std::vector<double> values) {
  if (values.size() != _columns.size()) {
    throw core::InputError("time series: a row has " + std::to_string(values.size()) +
                           " values, the table " + std::to_string(_columns.size()) + " columns");
  }
  _rows.push_back(std::move(values));
}

std::size_t TimeSeriesTable::column_index(std::string_view name) const {
  for (std::size_t c = 0; c < _columns.size(); ++c) {
    if (_columns[c].name == name)
      return c;
  }
  std::string similar;
  for (const Column& column : _columns) {
    const std::string_view candidate = column.name;
    if (candidate.find(name) != std::string_view::npos ||
        name.find(candidate) != std::string_view::npos) {
      similar += (similar.empty() ? "" : ", ") + column.name;
    }
  }
  throw core::InputError("time series: no column '" + std::string(name) + "'" +
                         (similar.empty() ? std::string() : "; similar: " + similar));
}

std::vector<double> TimeSeriesTable::column(std::string_view name) const {
  const std::size_t c = column_index(name);
  std::vector<double> values;
  values.reserve(_rows.size());
  for (const auto& row : _rows)
    values.push_back(row[c]);
  return values;
}

std::string layer_column_name(geometry::Layer layer, model::Species species) {
  return std::string(geometry::layer_name(layer)) + "." +
         std::string(model::species_table[model::index(species)].name);
}

std::string track_column_name(model::Species species) {
  return "track." + std::string(model::species_table[model::index(species)].name);
}

std::vector<Column> observables_columns() {
  std::vector<Column> columns{{"time_h", "h"}, {"sessions_applied", "1"}};
  for (const geometry::Layer layer : geometry::all_layers) {
    for (const model::SpeciesInfo& info : model::species_table)
      columns.push_back({layer_column_name(layer, info.species), "1"});
  }
  for (const model::SpeciesInfo& info : model::species_table)
    columns.push_back({"block." + std::string(info.name), "1"});
  for (const model::SpeciesInfo& info : model::species_table)
    columns.push_back({track_column_name(info.species), "1"});
  for (const model::SpeciesInfo& info : model::species_table)
    columns.push_back({"track_baseline." + std::string(info.name), "1"});
  const std::vector<Column> rest{{"track_epidermis.keratinocytes_ratio", "1"},
                                 {"redness_index", "1"},
                                 {"swelling_index", "1"},
                                 {"papillary.collagen_gain", "%"},
                                 {"papillary.new_collagen", "%"},
                                 {"papillary.mature_collagen_change", "%"},
                                 {"dermis.collagen_gain", "%"},
                                 {"dermis.new_collagen", "%"},
                                 {"dermis.mature_collagen_change", "%"},
                                 {"scar_index", "%"}};
  columns.insert(columns.end(), rest.begin(), rest.end());
  return columns;
}

std::vector<double> observables_row(const Observables& o) {
  std::vector<double> row{o.time_h, static_cast<double>(o.sessions_applied)};
  for (const auto& layer : o.layer_mean)
    row.insert(row.end(), layer.begin(), layer.end());
  row.insert(row.end(), o.block_mean.begin(), o.block_mean.end());
  row.insert(row.end(), o.track_mean.begin(), o.track_mean.end());
  row.insert(row.end(), o.track_baseline.begin(), o.track_baseline.end());
  const std::vector<double> rest{o.track_epidermis_keratinocytes,
                                 o.redness_index,
                                 o.swelling_index,
                                 o.papillary.gain_pct(),
                                 o.papillary.new_pct(),
                                 o.papillary.mature_pct(),
                                 o.dermis.gain_pct(),
                                 o.dermis.new_pct(),
                                 o.dermis.mature_pct(),
                                 o.scar_index_pct};
  row.insert(row.end(), rest.begin(), rest.end());
  return row;
}

}  // namespace microheal::simulation
