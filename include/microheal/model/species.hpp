#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

/// @file
/// @brief The eleven state species of the default skin model (notes §4): their order in a
/// FieldSet, names, units, homeostatic values and whether the solver moves them.
///
/// Every field is normalised to homeostasis (a healthy dermis has F = Cm = 1), so "unit" below
/// names the reference level rather than a physical concentration.

namespace microheal::model {

/// @brief Index of each species in a state vector and in a FieldSet.
enum class Species : std::size_t {
  damage = 0,           ///< d: tissue damage (immobile)
  cytokine = 1,         ///< I: pro-inflammatory cytokine (TNF-α / IL-1 / CXCL8 lumped)
  neutrophils = 2,      ///< N
  macrophages = 3,      ///< M
  tgf_beta = 4,         ///< T: active TGF-β / PDGF
  fibroblasts = 5,      ///< F
  new_collagen = 6,     ///< Cn: immature, type-III-rich (immobile)
  mature_collagen = 7,  ///< Cm: type-I-rich (immobile)
  keratinocytes = 8,    ///< n: epidermal cell density (Sherratt–Murray)
  regulator = 9,        ///< c: mitosis-regulating chemical (Sherratt–Murray activator)
  swelling = 10,        ///< W: oedema (diagnostic ODE, immobile)
};

/// @brief Number of species in the state.
inline constexpr std::size_t num_species = 11;

/// @brief The index of @p s as a std::size_t (for FieldSet and arrays).
constexpr std::size_t index(Species s) {
  return static_cast<std::size_t>(s);
}

/// @brief The index of @p s as an int (for Eigen vectors).
constexpr int eigen_index(Species s) {
  return static_cast<int>(s);
}

/// @brief Static description of one species.
struct SpeciesInfo {
  Species species;
  std::string_view symbol;       ///< as in the equations ("I")
  std::string_view name;         ///< field name in outputs ("cytokine")
  std::string_view unit;         ///< what 1.0 means
  bool mobile;                   ///< moved by diffusion and/or chemotaxis
  std::string_view homeostasis;  ///< the resting value, in words
};

/// @brief The species table, in index order (single source of truth for names and units).
inline constexpr std::array<SpeciesInfo, num_species> species_table{{
    {Species::damage, "d", "damage", "1 = fully injured tissue", false, "0"},
    {Species::cytokine, "I", "cytokine", "normalised (0 at rest)", true, "0"},
    {Species::neutrophils, "N", "neutrophils", "normalised cell density", true, "0"},
    {Species::macrophages, "M", "macrophages", "normalised cell density", true, "0"},
    {Species::tgf_beta, "T", "tgf_beta", "normalised (0 at rest)", true, "0"},
    {Species::fibroblasts, "F", "fibroblasts", "1 = healthy dermis density", true, "F0(x)"},
    {Species::new_collagen, "Cn", "new_collagen", "1 = healthy dermis collagen", false, "0"},
    {Species::mature_collagen, "Cm", "mature_collagen", "1 = healthy dermis collagen", false,
     "C0(x)"},
    {Species::keratinocytes, "n", "keratinocytes", "1 = intact epidermis", true,
     "1 in the epidermis, 0 elsewhere"},
    {Species::regulator, "c", "regulator", "1 = intact epidermis", true,
     "1 in the epidermis, 0 elsewhere"},
    {Species::swelling, "W", "swelling", "normalised oedema", false, "0"},
}};

/// @brief The field names in index order (for grid::FieldSet).
inline std::vector<std::string> species_names() {
  std::vector<std::string> names;
  names.reserve(num_species);
  for (const SpeciesInfo& info : species_table)
    names.emplace_back(info.name);
  return names;
}

}  // namespace microheal::model
