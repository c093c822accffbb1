#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/grid/grid.hpp"

/// @file
/// @brief The layered skin block: five layers stacked along z (depth, z = 0 at the skin surface),
/// body-site presets from measured thicknesses, per-layer properties, and per-z-plane profiles of
/// those properties for a grid. Lengths in mm.

namespace microheal::geometry {

/// @brief Skin layers from the surface down. The values index TissueSpec arrays.
enum class Layer {
  stratum_corneum = 0,   ///< dead cornified cells at the surface
  viable_epidermis = 1,  ///< living keratinocytes (basal to granular layers)
  papillary_dermis = 2,  ///< thin, loose upper dermis; its bottom holds the superficial plexus
  reticular_dermis = 3,  ///< dense lower dermis
  hypodermis = 4,        ///< subcutaneous fat; continues below the modelled block
};

/// @brief Number of layers (the size of the per-layer arrays).
inline constexpr std::size_t num_layers = 5;

/// @brief All layers, surface first.
inline constexpr std::array<Layer, num_layers> all_layers{
    Layer::stratum_corneum, Layer::viable_epidermis, Layer::papillary_dermis,
    Layer::reticular_dermis, Layer::hypodermis};

/// @brief Name of a layer for messages and outputs ("stratum_corneum", ...).
std::string_view layer_name(Layer layer);

/// @brief Properties of one layer, all dimensionless and normalised to healthy dermis.
///
/// Defaults per layer (model notes §4) are set by TissueSpec::default_properties().
struct LayerProperties {
  /// Multiplies every solute diffusivity in this layer. Assumption: 0.5 in the stratum corneum and
  /// viable epidermis (tightly packed cells, tortuous extracellular space), 1 in dermis and
  /// hypodermis. Not measured; change it per layer if data appear.
  double diffusivity_factor = 1.0;
  /// Vessel density V (1 = papillary dermis): sets where leukocytes enter the tissue.
  double vessel_density = 0.0;
  /// Baseline fibroblast density F0 (1 = dermis).
  double baseline_fibroblasts = 0.0;
  /// Baseline mature collagen C0 (1 = dermis).
  double baseline_collagen = 0.0;
  /// True where living keratinocytes are (the epidermal Sherratt–Murray fields live there).
  bool keratinocytes = false;
};

/// @brief Plain, editable description of the block: one thickness and one property set per layer.
///
/// Arrays are indexed by `static_cast<std::size_t>(Layer)`. Any thickness can be overridden after
/// taking a preset; Tissue's constructor validates. The hypodermis thickness is the modelled part
/// of the fat layer only: the real layer is thicker, and planes below the total thickness are
/// treated as hypodermis too.
struct TissueSpec {
  std::string site = "custom";  ///< body site name, for reports
  std::string source;           ///< where the thicknesses come from (citation)
  std::array<double, num_layers> thickness_mm{};
  std::array<LayerProperties, num_layers> properties = default_properties();

  /// @brief Thickness of @p layer in mm.
  double thickness(Layer layer) const { return thickness_mm[static_cast<std::size_t>(layer)]; }
  /// @brief Set the thickness of @p layer in mm (validated when a Tissue is built).
  void set_thickness(Layer layer, double mm) { thickness_mm[static_cast<std::size_t>(layer)] = mm; }

  /// @brief Per-layer defaults from the model notes §4: V = 0 in the epidermis, 1 papillary,
  /// 0.5 reticular and hypodermis; F0 = 0 epidermis, 1 dermis, 0.3 hypodermis; C0 = 0 epidermis,
  /// 1 dermis, 0.2 hypodermis; keratinocytes in the viable epidermis only.
  static std::array<LayerProperties, num_layers> default_properties();

  /// @brief Preset for a body site: "face", "scalp", "neck", "abdomen" or "back".
  /// @throws core::InputError for an unknown site, listing the valid ones
  static TissueSpec preset(std::string_view site);
  /// @brief Names accepted by preset(), in a fixed order.
  static std::vector<std::string_view> preset_names();

  /// @brief Throws core::InputError naming the layer when a thickness is not finite and > 0, or
  /// when a property is negative or not finite.
  void validate() const;
};

/// @brief A validated layered block; a value type.
///
/// Layer l occupies depths [top_depth_mm(l), bottom_depth_mm(l)); a depth exactly on a boundary
/// belongs to the lower layer. Depths at or beyond the total thickness belong to the hypodermis,
/// depths < 0 (above the surface) to the stratum corneum, so any grid gets a full set of profiles.
class Tissue {
 public:
  /// @brief Build from a spec; validates it (see TissueSpec::validate()).
  explicit Tissue(TissueSpec spec);
  /// @brief Shorthand for Tissue(TissueSpec::preset(site)).
  static Tissue preset(std::string_view site) { return Tissue(TissueSpec::preset(site)); }

  const TissueSpec& spec() const { return _spec; }
  double thickness_mm(Layer layer) const { return _spec.thickness(layer); }
  /// @brief Depth of the upper boundary of @p layer, mm.
  double top_depth_mm(Layer layer) const { return _top_mm[static_cast<std::size_t>(layer)]; }
  /// @brief Depth of the lower boundary of @p layer, mm.
  double bottom_depth_mm(Layer layer) const {
    return _top_mm[static_cast<std::size_t>(layer)] + thickness_mm(layer);
  }
  /// @brief Sum of all layer thicknesses, mm.
  double total_thickness_mm() const { return bottom_depth_mm(Layer::hypodermis); }
  /// @brief Stratum corneum + viable epidermis, mm.
  double epidermis_thickness_mm() const { return top_depth_mm(Layer::papillary_dermis); }
  /// @brief Depth of the superficial vascular plexus: the bottom of the papillary dermis, mm.
  /// A needle track reaching deeper than this bleeds.
  double plexus_depth_mm() const { return bottom_depth_mm(Layer::papillary_dermis); }
  const LayerProperties& properties(Layer layer) const {
    return _spec.properties[static_cast<std::size_t>(layer)];
  }
  /// @brief Layer at @p depth_mm (see the class comment for boundaries and the outside).
  Layer layer_at(double depth_mm) const;

  /// @brief Layer at the centre of each z-plane of @p grid (size nz).
  std::vector<Layer> plane_layers(const grid::Grid& grid) const;
  /// @brief Fraction of each z-plane's thickness that lies in @p layer (size nz; sums to 1 over
  /// the layers).
  std::vector<double> layer_fraction_profile(const grid::Grid& grid, Layer layer) const;

  /// @brief Per-plane profiles (size nz): each is the voxel-volume-weighted (here: thickness-
  /// weighted, as layers are flat) average of the layer property over the plane, so a stratum
  /// corneum thinner than a voxel still counts with its true share.
  std::vector<double> diffusivity_factor_profile(const grid::Grid& grid) const;
  std::vector<double> vessel_density_profile(const grid::Grid& grid) const;
  std::vector<double> baseline_fibroblast_profile(const grid::Grid& grid) const;
  std::vector<double> baseline_collagen_profile(const grid::Grid& grid) const;
  /// @brief Volume fraction of each plane holding living keratinocytes (0..1).
  std::vector<double> keratinocyte_fraction_profile(const grid::Grid& grid) const;

 private:
  /// Thickness-weighted average over each plane of a per-layer value.
  std::vector<double> averaged_profile(const grid::Grid& grid,
                                       const std::array<double, num_layers>& per_layer) const;

  TissueSpec _spec;
  std::array<double, num_layers> _top_mm{};
};

}  // namespace microheal::geometry
