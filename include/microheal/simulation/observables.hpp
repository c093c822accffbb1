#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/geometry/tissue.hpp"
#include "microheal/model/species.hpp"

/// @file
/// @brief What a run reports over time: layer means, needle-track means, the redness and swelling
/// indices, the collagen biopsy and depth profile, and a table type for time series.
///
/// All sums run serially in a fixed voxel order, so every observable is the same at any thread
/// count. "Tile mean over a layer" weighs each z-plane by the fraction of its thickness inside the
/// layer (geometry::Tissue::layer_fraction_profile), so a layer thinner than a voxel counts with
/// its true share.

namespace microheal::simulation {

class Simulation;

inline constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

/// @brief Mean new, mature and baseline collagen over a band of the tile (a virtual biopsy: what
/// a histological section of that band would show relative to untreated skin).
struct CollagenBiopsy {
  double new_collagen = 0.0;     ///< mean Cn
  double mature_collagen = 0.0;  ///< mean Cm
  double baseline = 0.0;         ///< mean C0 (the untreated value of Cn + Cm)

  /// @brief 100 (Cn + Cm - C0) / C0, %.
  double gain_pct() const { return 100.0 * (new_collagen + mature_collagen - baseline) / baseline; }
  /// @brief New collagen as % of the baseline: 100 Cn / C0.
  double new_pct() const { return 100.0 * new_collagen / baseline; }
  /// @brief Change of mature collagen, % of the baseline: 100 (Cm - C0) / C0.
  double mature_pct() const { return 100.0 * (mature_collagen - baseline) / baseline; }
};

/// @brief Everything observed at one time.
struct Observables {
  double time_h = 0.0;
  int sessions_applied = 0;
  /// Tile mean of every species over each layer: layer_mean[layer][species] (NaN for a layer the
  /// block does not contain).
  std::array<std::array<double, model::num_species>, geometry::num_layers> layer_mean{};
  /// Mean of every species over the whole block (total amount / block volume): for cells absent
  /// at homeostasis (N, M) this is the population the injury recruited, whatever chemotaxis did
  /// with it.
  std::array<double, model::num_species> block_mean{};
  /// Needle-track mean of every species: over the voxels of the latest session's tracks, weighted
  /// by their track fraction (NaN before the first session).
  std::array<double, model::num_species> track_mean{};
  /// The homeostatic value of the same weighted mean (the untreated level of the track).
  std::array<double, model::num_species> track_baseline{};
  /// Keratinocytes in the epidermal part of the tracks (weights track fraction x keratinocyte
  /// fraction of the voxel) relative to homeostasis: 0 right after a puncture, 1 when re-closed.
  double track_epidermis_keratinocytes = not_a_number;
  /// Redness index: tile mean of model::redness(I) = I / (K_E + I) over the papillary dermis.
  double redness_index = 0.0;
  /// Swelling index: tile mean of W over the dermis (papillary + reticular).
  double swelling_index = 0.0;
  CollagenBiopsy papillary{};  ///< papillary dermis of the whole tile
  CollagenBiopsy dermis{};     ///< papillary + reticular dermis of the whole tile
  /// Scar index, %: collagen beyond the physiological cap, integral over the block of
  /// max(0, Cn + Cm - C_max C0), as % of the integral of C0.
  double scar_index_pct = 0.0;

  /// @brief Track mean of @p s relative to its homeostatic level (NaN when that level is 0).
  double track_ratio(model::Species s) const;
};

/// @brief Mean collagen of one z-plane.
struct CollagenDepthSample {
  double depth_mm = 0.0;  ///< plane centre
  double new_collagen = 0.0;
  double mature_collagen = 0.0;
  double baseline = 0.0;  ///< C0 of the plane
  /// @brief (Cn + Cm) / C0 of the plane (NaN where C0 = 0: epidermis).
  double relative() const;
};

/// @brief Computes observables of a simulation. Precomputes the layer weights of its grid; the
/// track weights follow the simulation's latest injury.
class ObservableCalculator {
 public:
  explicit ObservableCalculator(const Simulation& simulation);

  /// @brief Observables of @p simulation now (the simulation given to the constructor or one on
  /// the same grid and tissue).
  Observables compute(const Simulation& simulation) const;

  /// @brief Per-plane collagen of @p simulation now (the collagen depth profile).
  std::vector<CollagenDepthSample> collagen_depth_profile(const Simulation& simulation) const;

 private:
  /// Mean over @p weights (per plane) of plane means @p plane_means; NaN when the weights are 0.
  static double weighted(std::span<const double> plane_means, std::span<const double> weights);

  std::array<std::vector<double>, geometry::num_layers> _layer_weights;  // per plane
  std::vector<double> _dermis_weights;                                   // per plane
};

/// @brief One column of a time series: a name and the unit of its values.
struct Column {
  std::string name;
  std::string unit;
};

/// @brief A table of numbers with named, unit-carrying columns (the io layer writes it as CSV).
class TimeSeriesTable {
 public:
  TimeSeriesTable() = default;
  /// @pre names unique and non-empty (throws core::InputError)
  explicit TimeSeriesTable(std::vector<Column> columns);

  const std::vector<Column>& columns() const { return _columns; }
  std::size_t num_rows() const { return _rows.size(); }
  /// @brief Row @p r, one value per column.
  std::span<const double> row(std::size_t r) const { return _rows[r]; }
  /// @brief Append a row.
  /// @pre one value per column (throws core::InputError)
  void add_row(std::vector<double> values);
  /// @brief Index of the column named @p name (throws core::InputError naming close names).
  std::size_t column_index(std::string_view name) const;
  /// @brief All values of the column named @p name.
  std::vector<double> column(std::string_view name) const;

 private:
  std::vector<Column> _columns;
  std::vector<std::vector<double>> _rows;
};

/// @brief The columns of observables_row(): time, sessions, the layer means of every species,
/// track means and baselines of every species, the indices, biopsies and scar index.
std::vector<Column> observables_columns();
/// @brief @p o as one row of observables_columns().
std::vector<double> observables_row(const Observables& o);
/// @brief Column name of the tile mean of @p species over @p layer ("papillary_dermis.cytokine").
std::string layer_column_name(geometry::Layer layer, model::Species species);
/// @brief Column name of the track mean of @p species ("track.neutrophils").
std::string track_column_name(model::Species species);

}  // namespace microheal::simulation
