#pragma once

#include <vector>

#include "microheal/geometry/needle_pattern.hpp"
#include "microheal/geometry/protocol.hpp"
#include "microheal/geometry/tissue.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/solver/integrator.hpp"

/// @file
/// @brief SimulationSpec: everything a run needs, as a plain aggregate that is validated once
/// (the scenario parser fills it, Simulation takes it). Lengths in mm, times in h unless a name
/// says days.

namespace microheal::simulation {

/// @brief How a needle track is drawn on the grid.
enum class TrackShape {
  /// Each puncture is the needle's own track (cylinder + cone), rasterised by geometry. 3D only.
  needles,
  /// Each puncture of one lattice row is extruded along y into a slit: the cross-section of the
  /// row by the plane through the needle axes (geometry rasterises the row on a y-periodic strip
  /// much thinner than the needle, where the periodic images merge into a slit). The 2D model
  /// always uses slits; a 3D run with slits is the 2D run repeated along y (tests, comparisons).
  slits,
};

/// @brief Lateral size of the tile (periodic in x and y).
struct TileSize {
  double x = 1.26;  ///< mm, along the skin surface
  double y = 1.26;  ///< mm, along the skin surface (not used by 2D runs)
};

/// @brief The modelled block.
///
/// Voxels: each axis is cut into the whole number of voxels nearest to length / voxel_mm (at least
/// one), so the tile and the depth are exact and voxel edges are within a few % of voxel_mm
/// (they may differ slightly between axes).
/// 3D: nx x ny x nz voxels over tile_mm.x x tile_mm.y x depth_mm.
/// 2D: the x-z cross-section through one row of needles, nx x 1 x nz (the y edge is voxel_mm, so
/// integrals are per voxel_mm of row length); tracks are slits (see TrackShape::slits). The 2D
/// model is the 3D model whose fields and injury are uniform along y.
struct DomainSpec {
  TileSize tile_mm{};
  /// Depth of the block, mm. Below the tissue's total thickness the block is cut with a zero-flux
  /// bottom; beyond it the extra planes are hypodermis.
  double depth_mm = 3.0;
  double voxel_mm = 0.02;  ///< target voxel edge, mm, in [0.002, 0.5]
  int dimensions = 3;      ///< 3 or 2
  /// Track shape in 3D (2D always uses slits).
  TrackShape tracks = TrackShape::needles;
};

/// @brief One band of the metric sampling ladder: a sample every interval_h until until_h after a
/// session.
struct SamplingBand {
  double until_h = 0.0;
  double interval_h = 0.0;
};

/// @brief When the observables behind the metrics are sampled.
///
/// Metrics (peak times, resolution times) need samples much denser than a user's outputs, so the
/// run lands on a sampling ladder restarted at every session: by default every 0.25 h for the
/// first day (neutrophil and redness peaks), every 1 h to day 4 (macrophage peak, redness and
/// swelling resolution), every 3 h to day 21 (fibroblast peak and return), then every
/// interval_h. Peaks are refined by a parabola through the three samples around the largest.
/// Before the first session (and in untreated runs) samples are every interval_h.
struct SamplingSpec {
  bool enabled = true;
  std::vector<SamplingBand> after_session{{24.0, 0.25}, {96.0, 1.0}, {504.0, 3.0}};
  double interval_h = 12.0;  ///< beyond the last band
};

/// @brief The step control used by default: rtol 2e-2 and atol 2e-4 on the normalised fields
/// (2e-4 of the homeostatic dermis level), a first step of 0.01 h (a fresh puncture changes on
/// the scale of minutes) and steps up to 12 h (metric samples inside a step are interpolated
/// linearly between its ends; with longer steps that interpolation, not the integration, moved a
/// slow threshold crossing, fibroblast_recovered_d, by more than 1 %). The tolerances were chosen
/// by measurement: the summary metrics of the quick 2D scenario lie within 1 % (times: 1 % or
/// 0.5 h) of a reference run with tolerances 100 times tighter (docs/numerics.md, Accuracy; the
/// ctest `integration: run accuracy against a tight reference`).
solver::StepControl default_step_control();

/// @brief Everything one run needs. Plain and editable; validate() checks it (Simulation calls it).
///
/// The needle is protocol.needle (one place; per-session changes are protocol.overrides).
struct SimulationSpec {
  geometry::TissueSpec tissue = geometry::TissueSpec::preset("face");
  DomainSpec domain{};
  geometry::ProtocolSpec protocol{};
  model::Parameters parameters{};
  solver::StepControl step_control = default_step_control();
  /// Times at which observers are told to write outputs, h, strictly increasing, in
  /// [0, protocol.duration_days x 24].
  std::vector<double> output_times_h;
  /// A voxel's reactions rest (are skipped) when its change over a step is below this fraction of
  /// its error tolerance (solver::KernelReactionStepper), [0, 0.5].
  double rest_fraction = 1e-3;
  SamplingSpec sampling{};

  /// @brief Throws core::InputError naming the key-like path of the first bad value (e.g.
  /// "domain.voxel_mm") and its expected range, or the reason a combination is impossible
  /// (needle deeper than the block, tile smaller than one lattice spacing, a lattice that does
  /// not fit the tile, a session at or after the end).
  void validate() const;
};

/// @brief Voxels per axis and spacing of the block described by @p domain (see DomainSpec).
/// @pre domain valid (no check here beyond the Grid's own)
grid::Grid make_grid(const DomainSpec& domain);

/// @brief True when @p domain draws tracks as slits (2D, or 3D with TrackShape::slits).
bool uses_slits(const DomainSpec& domain);

/// @brief The lateral tile a session's punctures are placed on: the whole tile for needles; for
/// slits one lattice row, tile_mm.x by one lattice spacing (so the lattice has a single row, whose
/// x positions become the slits).
/// @pre for slits, @p needle is the row's needle (slit_row_needle)
geometry::Tile layout_tile(const DomainSpec& domain, const geometry::NeedleSpec& needle);

/// @brief The needle whose lattice becomes the slit row of a 2D section: @p needle as one pass at
/// the session's total density. A section through P pen passes of density D / P each cannot tell
/// their lattices apart; laying out one row per pass instead (as before) put P rows of
/// sqrt(D / P) slits per mm into the section, sqrt(P) times the dose of one pass at D.
geometry::NeedleSpec slit_row_needle(geometry::NeedleSpec needle);

/// @brief Mean distance between neighbouring punctures of one pass, mm: 10 / sqrt(density per
/// pass) for a pen, 10 / sqrt(density) for a roller (its strokes overlap into one lattice).
double lattice_spacing_mm(const geometry::NeedleSpec& needle);

}  // namespace microheal::simulation
