#include "microheal/geometry/tissue.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "microheal/core/error.hpp"

namespace microheal::geometry {

namespace {

/// Every preset is a 3.0 mm block (model notes §4): the hypodermis takes what the epidermis and
/// dermis leave, so the deepest needle (3.0 mm x 0.9) still ends inside the block.
constexpr double preset_block_depth_mm = 3.0;
/// Stratum corneum 10-20 µm (Makvandi et al. 2021, Nano-Micro Lett, PMC8006208); we take 15 µm.
constexpr double preset_stratum_corneum_mm = 0.015;
/// Papillary dermis: the plexus sits about 0.2 mm below the epidermis (model notes §4).
constexpr double preset_papillary_mm = 0.20;

struct SitePreset {
  std::string_view name;
  double epidermis_mm;  // stratum corneum + viable epidermis
  double dermis_mm;     // papillary + reticular
  std::string_view source;
};

// Thicknesses per site. Only the face numbers are the notes' default block; the body sites are
// picked inside the published ranges because per-site tables were not retrieved (marked verify).
constexpr std::array<SitePreset, 5> site_presets{{
    {"face", 0.080, 1.32,
     "model notes §4 default face block; face histology: epidermis 66-123 µm, dermis "
     "1.11-1.94 mm over six regions (Selcuk Med J, 180 patients); cadavers: dermis 0.76-1.97 mm "
     "(Chopra et al. 2015, Aesthet Surg J 35:1007)"},
    {"scalp", 0.080, 2.00,
     "between Selcuk Med J (scalp in the face set, dermis <= 1.94 mm) and Oltulu et al. 2018, "
     "Turk J Plast Surg 26:56 (six body regions incl. scalp: epidermis 77-267 µm, dermis "
     "2.1-5.9 mm); per-site values not retrieved (verify)"},
    {"neck", 0.060, 1.40,
     "Lee & Hwang 2002, Surg Radiol Anat 24:183 (Korean adults: anterior neck among the "
     "1.32-1.59 mm dermis group, thin-epidermis sites 31-71 µm); (verify)"},
    {"abdomen", 0.090, 2.30,
     "Oltulu et al. 2018, Turk J Plast Surg 26:56 (abdomen among six body regions: epidermis "
     "77-267 µm, dermis 2.1-5.9 mm); per-site value not retrieved (verify)"},
    {"back", 0.100, 2.50,
     "between Lee & Hwang 2002, Surg Radiol Anat 24:183 (back dermis 1.94 mm, thickest site) "
     "and Oltulu et al. 2018, Turk J Plast Surg 26:56 (body dermis 2.1-5.9 mm); (verify)"},
}};

std::string format_mm(double value) {
  std::ostringstream text;
  text << value << " mm";
  return text.str();
}

std::size_t index_of(Layer layer) {
  return static_cast<std::size_t>(layer);
}

}  // namespace

std::string_view layer_name(Layer layer) {
  switch (layer) {
    case Layer::stratum_corneum:
      return "stratum_corneum";
    case Layer::viable_epidermis:
      return "viable_epidermis";
    case Layer::papillary_dermis:
      return "papillary_dermis";
    case Layer::reticular_dermis:
      return "reticular_dermis";
    case Layer::hypodermis:
      return "hypodermis";
  }
  return "unknown";
}

std::array<LayerProperties, num_layers> TissueSpec::default_properties() {
  std::array<LayerProperties, num_layers> p{};
  p[index_of(Layer::stratum_corneum)] = {.diffusivity_factor = 0.5,
                                         .vessel_density = 0.0,
                                         .baseline_fibroblasts = 0.0,
                                         .baseline_collagen = 0.0,
                                         .keratinocytes = false};
  p[index_of(Layer::viable_epidermis)] = {.diffusivity_factor = 0.5,
                                          .vessel_density = 0.0,
                                          .baseline_fibroblasts = 0.0,
                                          .baseline_collagen = 0.0,
                                          .keratinocytes = true};
  p[index_of(Layer::papillary_dermis)] = {.diffusivity_factor = 1.0,
                                          .vessel_density = 1.0,
                                          .baseline_fibroblasts = 1.0,
                                          .baseline_collagen = 1.0,
                                          .keratinocytes = false};
  p[index_of(Layer::reticular_dermis)] = {.diffusivity_factor = 1.0,
                                          .vessel_density = 0.5,
                                          .baseline_fibroblasts = 1.0,
                                          .baseline_collagen = 1.0,
                                          .keratinocytes = false};
  p[index_of(Layer::hypodermis)] = {.diffusivity_factor = 1.0,
                                    .vessel_density = 0.5,
                                    .baseline_fibroblasts = 0.3,
                                    .baseline_collagen = 0.2,
                                    .keratinocytes = false};
  return p;
}

std::vector<std::string_view> TissueSpec::preset_names() {
  std::vector<std::string_view> names;
  names.reserve(site_presets.size());
  for (const SitePreset& s : site_presets)
    names.push_back(s.name);
  return names;
}

TissueSpec TissueSpec::preset(std::string_view site) {
  const auto it = std::find_if(site_presets.begin(), site_presets.end(),
                               [site](const SitePreset& s) { return s.name == site; });
  if (it == site_presets.end()) {
    std::string valid;
    for (const SitePreset& s : site_presets)
      valid += (valid.empty() ? "" : ", ") + std::string(s.name);
    throw core::InputError("tissue: unknown body site '" + std::string(site) +
                           "'; valid sites are " + valid);
  }
  TissueSpec spec;
  spec.site = std::string(it->name);
  spec.source = std::string(it->source);
  spec.set_thickness(Layer::stratum_corneum, preset_stratum_corneum_mm);
  spec.set_thickness(Layer::viable_epidermis, it->epidermis_mm - preset_stratum_corneum_mm);
  spec.set_thickness(Layer::papillary_dermis, preset_papillary_mm);
  spec.set_thickness(Layer::reticular_dermis, it->dermis_mm - preset_papillary_mm);
  spec.set_thickness(Layer::hypodermis, preset_block_depth_mm - it->epidermis_mm - it->dermis_mm);
  return spec;
}

void TissueSpec::validate() const {
  for (const Layer layer : all_layers) {
    const double t = thickness(layer);
    if (!std::isfinite(t) || !(t > 0.0)) {
      throw core::InputError("tissue '" + site + "': thickness of layer " +
                             std::string(layer_name(layer)) +
                             " must be a finite length > 0 mm, got " + format_mm(t));
    }
    const LayerProperties& p = properties[index_of(layer)];
    for (const double v :
         {p.diffusivity_factor, p.vessel_density, p.baseline_fibroblasts, p.baseline_collagen}) {
      if (!std::isfinite(v) || v < 0.0) {
        throw core::InputError("tissue '" + site + "': properties of layer " +
                               std::string(layer_name(layer)) +
                               " must be finite and >= 0 (diffusivity factor, vessel density, "
                               "baseline fibroblasts, baseline collagen)");
      }
    }
  }
}

Tissue::Tissue(TissueSpec spec) : _spec(std::move(spec)) {
  _spec.validate();
  double depth = 0.0;
  for (const Layer layer : all_layers) {
    _top_mm[index_of(layer)] = depth;
    depth += _spec.thickness(layer);
  }
}

Layer Tissue::layer_at(double depth_mm) const {
  // Walk up from the bottom: the first layer whose top is at or above the depth holds it, so a
  // boundary depth goes to the lower layer and everything deeper than the block to the hypodermis.
  for (auto it = all_layers.rbegin(); it != all_layers.rend(); ++it) {
    if (depth_mm >= top_depth_mm(*it))
      return *it;
  }
  return Layer::stratum_corneum;
}

std::vector<Layer> Tissue::plane_layers(const grid::Grid& grid) const {
  std::vector<Layer> layers(static_cast<std::size_t>(grid.nz()));
  for (Index k = 0; k < grid.nz(); ++k)
    layers[static_cast<std::size_t>(k)] = layer_at(grid.center_mm(grid::Axis::z, k));
  return layers;
}

std::vector<double> Tissue::layer_fraction_profile(const grid::Grid& grid, Layer layer) const {
  std::array<double, num_layers> indicator{};
  indicator[index_of(layer)] = 1.0;
  return averaged_profile(grid, indicator);
}

std::vector<double> Tissue::averaged_profile(
    const grid::Grid& grid, const std::array<double, num_layers>& per_layer) const {
  const double dz = grid.spacing_mm(grid::Axis::z);
  const double z0 = grid.origin_mm()[2];
  std::vector<double> profile(static_cast<std::size_t>(grid.nz()), 0.0);
  for (Index k = 0; k < grid.nz(); ++k) {
    const double lo = z0 + static_cast<double>(k) * dz;
    const double hi = lo + dz;
    double sum = 0.0;
    for (const Layer layer : all_layers) {
      // The outermost layers extend to +-infinity so that the fractions always sum to 1.
      const double top = layer == Layer::stratum_corneum ? -std::numeric_limits<double>::infinity()
                                                         : top_depth_mm(layer);
      const double bottom = layer == Layer::hypodermis ? std::numeric_limits<double>::infinity()
                                                       : bottom_depth_mm(layer);
      const double overlap = std::max(0.0, std::min(hi, bottom) - std::max(lo, top));
      sum += overlap * per_layer[index_of(layer)];
    }
    profile[static_cast<std::size_t>(k)] = sum / dz;
  }
  return profile;
}

std::vector<double> Tissue::diffusivity_factor_profile(const grid::Grid& grid) const {
  std::array<double, num_layers> v{};
  for (const Layer l : all_layers)
    v[index_of(l)] = properties(l).diffusivity_factor;
  return averaged_profile(grid, v);
}

std::vector<double> Tissue::vessel_density_profile(const grid::Grid& grid) const {
  std::array<double, num_layers> v{};
  for (const Layer l : all_layers)
    v[index_of(l)] = properties(l).vessel_density;
  return averaged_profile(grid, v);
}

std::vector<double> Tissue::baseline_fibroblast_profile(const grid::Grid& grid) const {
  std::array<double, num_layers> v{};
  for (const Layer l : all_layers)
    v[index_of(l)] = properties(l).baseline_fibroblasts;
  return averaged_profile(grid, v);
}

std::vector<double> Tissue::baseline_collagen_profile(const grid::Grid& grid) const {
  std::array<double, num_layers> v{};
  for (const Layer l : all_layers)
    v[index_of(l)] = properties(l).baseline_collagen;
  return averaged_profile(grid, v);
}

std::vector<double> Tissue::keratinocyte_fraction_profile(const grid::Grid& grid) const {
  std::array<double, num_layers> v{};
  for (const Layer l : all_layers)
    v[index_of(l)] = properties(l).keratinocytes ? 1.0 : 0.0;
  return averaged_profile(grid, v);
}

}  // namespace microheal::geometry
