#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

/// @file
/// @brief THE parameter table of the skin model (notes §4): every kinetic, transport, chemotaxis
/// and puncture constant with its symbol, meaning, unit, default, allowed range and source.
///
/// Per-layer values (vessel density, baseline fibroblasts and collagen, diffusivity factors, where
/// keratinocytes live) are not here: they belong to the tissue (geometry::Tissue) and reach the
/// kernel as per-voxel coefficients, so each has exactly one source.
///
/// The table is the single source of truth: the kernel reads values from a Parameters object
/// initialised from it, docs/model.md shows parameter_table_markdown(), and scenarios override
/// entries by symbol through Parameters::set(). Units: mm and h; normalised fields (1 = healthy
/// dermis level, 0 = none).

namespace microheal::model {

/// @brief Identifier of each parameter; the enumerator is the symbol used in the equations, in
/// scenarios and in docs/model.md. Order = row order of the table.
enum class Param : std::size_t {
  // damage
  k_d,
  q_N,
  q_M,
  // pro-inflammatory cytokine
  s_Id,
  s_IN,
  s_IM,
  K_IM,
  k_I,
  D_I,
  // neutrophils
  r_N,
  K_NI,
  k_N,
  e_NM,
  D_N,
  vmax_N,
  chi_N,
  // macrophages
  r_M,
  K_MI,
  r_MN,
  k_M,
  D_M,
  vmax_M,
  chi_M,
  // TGF-beta
  s_TM,
  K_TI,
  k_T,
  D_T,
  // fibroblasts
  r_F,
  a_FT,
  K_FT,
  F_max,
  D_F,
  vmax_F,
  chi_F,
  // collagen
  p_C,
  K_CT,
  C_max,
  k_mat,
  k_rem,
  k_MMP,
  f_MMP,
  k_Cm,
  // swelling and redness
  a_W,
  k_W,
  K_E,
  // epidermis (Sherratt-Murray activator pair)
  k_ep,
  lam_ep,
  h_ep,
  cm_ep,
  alpha_ep,
  D_n,
  D_c,
  // puncture initialisation
  phi_fib,
  T_bleed,
  count  ///< number of parameters (not a parameter)
};

/// @brief Number of parameters in the table.
inline constexpr std::size_t num_parameters = static_cast<std::size_t>(Param::count);

/// @brief The index of @p p in the table and in Parameters.
constexpr std::size_t index(Param p) {
  return static_cast<std::size_t>(p);
}

/// @brief One row of the parameter table.
struct ParameterInfo {
  Param id;
  std::string_view symbol;  ///< as in the equations and in scenario files ("k_I")
  std::string_view name;    ///< what it is ("cytokine decay rate")
  std::string_view unit;    ///< "1/h", "mm^2/h", "1" (normalised) ...
  double default_value;
  double min_value;         ///< inclusive
  double max_value;         ///< inclusive
  std::string_view source;  ///< citation from the science notes, "tuned (notes §4)" or assumption
};

/// @brief All rows, in Param order (row i has id == Param(i)).
std::span<const ParameterInfo, num_parameters> parameter_table();

/// @brief The row of @p p.
const ParameterInfo& parameter_info(Param p);

/// @brief The parameter whose symbol is exactly @p symbol (case-sensitive), if any.
std::optional<Param> find_parameter(std::string_view symbol);

/// @brief The symbol closest to @p symbol by edit distance, if one is close enough to be a
/// plausible typo (used for "did you mean").
std::optional<std::string_view> closest_parameter_symbol(std::string_view symbol);

/// @brief The table as a Markdown table (symbol, meaning, default, unit, range, source), for
/// docs/model.md; the docs test compares the two.
std::string parameter_table_markdown();

/// @brief A complete set of parameter values: indexed lookup in the hot path, validated setters
/// for scenario overrides. A value type; cheap to copy (one array).
class Parameters {
 public:
  /// @brief All defaults of the table.
  Parameters();

  /// @brief The value of @p p.
  double operator[](Param p) const { return _values[index(p)]; }

  /// @brief The value of the parameter named @p symbol.
  /// @pre @p symbol is in the table (throws core::InputError, with a suggestion, otherwise)
  double get(std::string_view symbol) const;

  /// @brief Set @p p to @p value.
  /// @pre value finite and inside the table's range (throws core::InputError naming the symbol,
  ///      unit, allowed range and the given value otherwise)
  void set(Param p, double value);

  /// @brief Set the parameter named @p symbol (a scenario override).
  /// @pre @p symbol is in the table (throws core::InputError with "did you mean" otherwise) and
  ///      the value is in range (as set(Param, double))
  void set(std::string_view symbol, double value);

  /// @brief All values in table order.
  std::span<const double, num_parameters> values() const { return _values; }

 private:
  std::array<double, num_parameters> _values;
};

/// @brief The inflammatory loop gain s_IN r_N / (K_NI k_N k_I) (notes §4) in a fully
/// vascularised zone (V = 1): the small-signal gain of cytokine -> neutrophils -> cytokine. At
/// or above 1 the model settles into chronic inflammation. Default 0.34.
double inflammatory_loop_gain(const Parameters& p);

/// @brief A clear warning when the loop gain is >= 1 (nothing when it is below).
std::optional<std::string> loop_gain_warning(const Parameters& p);

/// @brief The neutrophil density above which neutrophils and cytokine aggregate by themselves
/// (a Keller-Segel instability: neutrophils climb grad I and secrete I).
///
/// Linear stability of a uniform state with neutrophil density N0 (V = 1, I small, linear
/// chemotaxis; the speed cap and efferocytosis only stabilise): a mode of wavenumber q grows when
///   (D_N q^2 + k_N)(D_I q^2 + k_I) - s_IN (chi_N N0 q^2 + r_N / K_NI) < 0,
/// which first happens for N0 above
///   N* = [D_N k_I + D_I k_N + 2 sqrt(D_N D_I k_N k_I (1 - G))] / (s_IN chi_N),
/// G the loop gain (q = 0 is the loop-gain condition G < 1). Above N* a run develops spikes one
/// voxel wide whose position depends on round-off (3D runs lose their symmetry) and whose
/// stiffness forces tiny steps. Infinity when s_IN chi_N = 0; 0 when G >= 1.
double neutrophil_aggregation_density(const Parameters& p);

/// @brief A warning when neutrophil_aggregation_density() is below 2 (neutrophil levels of 1-2
/// occur in fresh tracks), nothing otherwise.
std::optional<std::string> aggregation_warning(const Parameters& p);

}  // namespace microheal::model
