#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "microheal/grid/grid.hpp"

/// @file
/// @brief Needles, where they land in a session, and the injury they leave on a grid.
///
/// Conventions: lengths in mm, densities in punctures per cm² of skin, z = depth (z = 0 at the
/// skin surface). The lateral extent of the grid is one tile of a pattern that repeats
/// periodically, so positions live in [x0, x0 + Lx) x [y0, y0 + Ly) and everything wraps.
///
/// Track shape: a needle enters vertically to the effective depth L_eff = efficiency x length.
/// The track is a cylinder of radius r = diameter / 2 from z = 0 down to L_eff - c, then a cone
/// of length c to a point at z = L_eff (c = tip_cone_length_mm, default 3 r). When c > L_eff the
/// whole track is the lower part of the cone (the tip enters only partly).

namespace microheal::geometry {

/// @brief Where a pen puts its stamps in one pass.
enum class Pattern {
  square,          ///< square lattice fitted to the tile, seeded offset per pass
  hexagonal,       ///< hexagonal (triangular) lattice fitted to the tile, seeded offset per pass
  jittered,        ///< square lattice plus a seeded displacement of each stamp
  uniform_random,  ///< independent uniform positions in the tile
};

/// @brief How the needles are driven.
enum class Device {
  pen,     ///< stamps vertically at the positions of the Pattern
  roller,  ///< a drum with rings of needles rolled over the skin (see RollerSpec)
};

/// @brief Name for messages ("square", ...).
std::string_view pattern_name(Pattern pattern);
/// @brief Name for messages ("pen", "roller").
std::string_view device_name(Device device);

/// @brief The drum of a roller. Defaults: Dermaroller (192 needles in 8 rings of 24 on a drum of
/// 2 cm diameter and 2 cm width; Doddaballapur 2009, J Cutan Aesthet Surg 2:110).
///
/// Model of one stroke (one roll of the drum across the treated area): each ring prints a row of
/// punctures along the roll direction spaced by the circumference over the needles per ring,
/// pi D / n = 2.62 mm; the rings are spaced by the drum width over the rings, W / rings = 2.5 mm,
/// across the roll. A stroke is thus a rectangular lattice of density rings x n / (pi D W) =
/// 15.3 punctures/cm² (15 strokes ~ 230/cm², the notes quote ~250/cm² for 15 passes). Stroke
/// edges are ignored: the drum is wider than a tile, and side-by-side strokes are treated as one
/// lattice. Tracks stay vertical (real roller needles enter at a small angle; not modelled).
struct RollerSpec {
  int needles_per_ring = 24;       ///< needles around the drum in one ring, >= 1
  int rings = 8;                   ///< rings along the drum axis, >= 1
  double drum_diameter_mm = 20.0;  ///< at the needle bases, > 0
  double drum_width_mm = 20.0;     ///< length of the drum along its axis, > 0

  /// @brief Puncture spacing along the roll: pi D / needles_per_ring, mm.
  double roll_spacing_mm() const;
  /// @brief Spacing of the puncture rows across the roll: drum width / rings, mm.
  double ring_spacing_mm() const;
  /// @brief Punctures per cm² left by one stroke.
  double stroke_density_per_cm2() const;
  /// @brief Throws core::InputError naming the field when a value is out of range.
  void validate() const;
};

/// @brief One needle type and how it is applied in a session.
struct NeedleSpec {
  double length_mm = 1.0;    ///< needle length, [0.1, 3.0] mm
  double diameter_mm = 0.1;  ///< shaft diameter, [0.01, 0.5] mm
  /// Length of the conical tip, mm, >= 0 and <= length; unset means 3 x radius (model notes §4).
  std::optional<double> tip_cone_length_mm;
  /// Effective depth / needle length, [0.2, 0.9]: skin deforms before it is pierced (0.2 in rat,
  /// Kalluri 2011; ~0.77 by OCT in human skin, Donnelly group 2010). Default 0.6 (model notes §2).
  double penetration_efficiency = 0.6;
  /// Punctures per cm² per session, summed over all passes, [1, 5000]. For the pen each pass
  /// places density / passes. For the roller the session uses the whole number of strokes that
  /// comes closest (at least one per pass), see place_punctures().
  double density_per_cm2 = 250.0;
  Pattern pattern = Pattern::jittered;  ///< pen only; the roller's lattice follows from its drum
  /// Jittered pattern: each stamp moves by a uniform amount in [-j/2, j/2] x the lattice spacing
  /// along each axis, j in [0, 1].
  double jitter_fraction = 0.5;
  int passes = 1;  ///< times the device goes over the skin in a session, [1, 50]
  Device device = Device::pen;
  RollerSpec roller{};     ///< used when device == roller
  std::uint64_t seed = 1;  ///< with the session and pass index, fixes every position

  /// @brief Shaft radius r = diameter / 2, mm.
  double radius_mm() const { return 0.5 * diameter_mm; }
  /// @brief Cone length c, mm (3 r unless set).
  double cone_length_mm() const { return tip_cone_length_mm.value_or(3.0 * radius_mm()); }
  /// @brief L_eff = efficiency x length, mm.
  double effective_depth_mm() const { return penetration_efficiency * length_mm; }
  /// @brief Track radius at depth @p depth_mm (0 above the surface and below the tip), mm.
  double track_radius_mm(double depth_mm) const;
  /// @brief Volume of one track between two depths (exact integral of pi R(z)²), mm³.
  double track_volume_mm3(double from_depth_mm, double to_depth_mm) const;
  /// @brief Volume of one whole track, mm³.
  double track_volume_mm3() const { return track_volume_mm3(0.0, effective_depth_mm()); }

  /// @brief Throws core::InputError naming the field, its unit and its range.
  void validate() const;
};

/// @brief The lateral tile of a grid: [x0, x0 + lx) x [y0, y0 + ly), mm. It repeats periodically.
struct Tile {
  double x0_mm = 0.0;
  double y0_mm = 0.0;
  double lx_mm = 1.0;
  double ly_mm = 1.0;

  /// @brief The x-y extent of @p grid.
  static Tile of(const grid::Grid& grid);
  double area_mm2() const { return lx_mm * ly_mm; }
};

/// @brief Where one needle enters the skin.
struct Puncture {
  double x_mm = 0.0;  ///< in [x0, x0 + lx)
  double y_mm = 0.0;  ///< in [y0, y0 + ly)
  int pass = 0;       ///< pass of the session that made it
};

/// @brief The punctures of one session on a tile.
struct PunctureLayout {
  std::vector<Puncture> punctures;
  double requested_density_per_cm2 = 0.0;  ///< NeedleSpec::density_per_cm2
  /// Mean density the layout is drawn from: the fitted lattice or count for the pen (then equal to
  /// the realised one), whole strokes of the drum for the roller.
  double expected_density_per_cm2 = 0.0;
  double realised_density_per_cm2 = 0.0;  ///< punctures / tile area
};

/// @brief Seed of the random stream of one pass of one session:
/// splitmix64(splitmix64(splitmix64(seed) ^ session) ^ pass), where splitmix64 is Vigna's
/// finaliser (add 0x9E3779B97F4A7C15, then xor-shift-multiply). The stream is std::mt19937_64
/// (its output is fixed by the C++ standard) and uniforms in [0, 1) are its top 53 bits x 2^-53,
/// so positions are the same with every compiler and standard library.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t session, std::uint64_t pass);

/// @brief The punctures of session @p session (0-based) on @p tile; sessions re-draw every
/// position from the seed.
///
/// Pen: each pass places density / passes. Square and hexagonal lattices (and the square lattice
/// under the jitter) take whole counts per axis (hexagonal: an even number of rows) so that they
/// tile periodically, with a seeded offset per pass; uniform_random places round(density x area)
/// in total, split evenly over the passes. The realised density must be within 2 % of the request,
/// otherwise core::InputError says which tile size fits.
/// Roller: strokes per pass = max(1, round(density / (passes x stroke density))); pass p rolls in
/// direction p x 180° / passes from the x axis and every stroke gets a seeded offset of its
/// lattice. The count on a small tile then varies from session to session; its mean is the
/// expected density (no 2 % check).
/// @throws core::InputError for an invalid spec or a tile that does not fit the lattice
PunctureLayout place_punctures(const NeedleSpec& needle, const Tile& tile, int session);

/// @brief Numerical settings of rasterise().
struct RasterOptions {
  /// Crush halo: damage exp(-(rho - R)/r) outside the track (rho: lateral distance to the axis,
  /// R: track radius at that depth, r: shaft radius), set to 0 beyond rho - R > cutoff x r
  /// (e^-4 = 0.018 for the default 4). No halo below the tip.
  double halo_cutoff_radii = 4.0;
  /// Growth-factor bolus per unit track volume below the superficial plexus (model notes §4:
  /// platelet release adds T += 0.5 over the track below z_p).
  double bleeding_bolus = 0.5;
  /// Damage supersampling: lateral samples per voxel axis are max(min, ceil(h / (r / per_radius)))
  /// so the sample spacing is <= r / 4 by default.
  int min_samples_per_axis = 4;
  double samples_per_radius = 4.0;
};

/// @brief The injury of one session on a grid. Arrays hold one value per voxel, x fastest.
struct InjuryField {
  /// Volume fraction of the voxel inside any track (union, 0..1). Exact up to quadrature round-off
  /// where one track or disjoint tracks cross a voxel; from 16 lines per radius where tracks
  /// overlap.
  std::vector<double> track_fraction;
  /// Volume average of the damage: 1 inside a track, the crush halo outside (max over punctures).
  /// track_fraction <= damage <= 1.
  std::vector<double> damage;
  /// Growth-factor bolus: bleeding_bolus x the voxel's volume fraction of track below the plexus
  /// (0 everywhere when L_eff does not reach the plexus).
  std::vector<double> bleeding;
  std::vector<Puncture> punctures;
  double requested_density_per_cm2 = 0.0;
  double expected_density_per_cm2 = 0.0;
  double realised_density_per_cm2 = 0.0;
  double effective_depth_mm = 0.0;
  /// Punctures x the exact track volume inside the grid's depth range (overlaps counted twice).
  double analytic_track_volume_mm3 = 0.0;
  /// Sum of track_fraction x voxel volume.
  double rasterised_track_volume_mm3 = 0.0;
};

/// @brief Rasterise the given punctures onto @p grid (laterally periodic).
///
/// Track fraction: per voxel, z is split at the cylinder/cone junction and at the plexus; the
/// cylinder part is exact in z, the cone part uses 4-point Gauss-Legendre on pieces no longer
/// than c / 8. At each depth the lateral area of the disks inside the voxel is exact (closed form
/// for disk-rectangle overlap) unless disks overlap each other there. Damage samples the halo on
/// a lateral grid of midpoints at the same depths. Only voxels within each needle's halo box are
/// visited; the result does not depend on the order of work (serial, fixed order).
/// @param[in] plexus_depth_mm depth of the superficial vascular plexus (Tissue::plexus_depth_mm())
InjuryField rasterise(const NeedleSpec& needle, const grid::Grid& grid,
                      std::span<const Puncture> punctures, double plexus_depth_mm,
                      const RasterOptions& options = {});

/// @brief place_punctures() on the grid's tile, then rasterise() (densities copied over).
InjuryField rasterise_session(const NeedleSpec& needle, const grid::Grid& grid, int session,
                              double plexus_depth_mm, const RasterOptions& options = {});

}  // namespace microheal::geometry
