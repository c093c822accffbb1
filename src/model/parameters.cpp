#include "microheal/model/parameters.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <utility>
#include <vector>

#include "microheal/core/error.hpp"

namespace microheal::model {

namespace {

constexpr double hours_per_day = 24.0;
constexpr double hours_per_year = 365.0 * hours_per_day;

// clang-format off
// One row per parameter, in Param order (checked at compile time below). Ranges are the values a
// scenario may choose; they are wide on purpose (the evidence is weak, notes §6) but exclude
// values that break the equations (zero half-saturation constants, F_max <= 1, cm = 1, ...).
constexpr std::array<ParameterInfo, num_parameters> table{{
  // damage
  {Param::k_d, "k_d", "intrinsic damage clearance rate", "1/h", 0.03, 0.0, 1.0,
   "tuned: damage cleared in 2-3 d in the 3D model (notes §4 tuned 0.01 in 0D; docs/model.md)"},
  {Param::q_N, "q_N", "damage clearance by neutrophils", "1/h per unit N", 0.1, 0.0, 1.0,
   "tuned: damage cleared in 2-3 d in the 3D model (notes §4 tuned 0.04 in 0D; docs/model.md)"},
  {Param::q_M, "q_M", "damage clearance by macrophages", "1/h per unit M", 0.1, 0.0, 1.0,
   "tuned: damage cleared in 2-3 d in the 3D model (notes §4 tuned 0.04 in 0D; docs/model.md)"},
  // cytokine
  {Param::s_Id, "s_Id", "cytokine release by damage", "1/h", 1.0, 0.0, 20.0,
   "tuned (notes §4)"},
  {Param::s_IN, "s_IN", "cytokine release by neutrophils", "1/h", 0.02, 0.0, 1.0,
   "tuned, loop gain < 1 (notes §4)"},
  {Param::s_IM, "s_IM", "cytokine release by macrophages (max)", "1/h", 0.05, 0.0, 1.0,
   "tuned, loop gain < 1 (notes §4)"},
  {Param::K_IM, "K_IM", "half-saturation of macrophage cytokine release", "1", 0.3, 1e-3, 10.0,
   "tuned (notes §4)"},
  {Param::k_I, "k_I", "cytokine decay rate", "1/h", 0.7, 0.05, 10.0,
   "half-life ~1 h; Jin et al. 2011 BMC Syst Biol 5:60 (notes §4)"},
  {Param::D_I, "D_I", "cytokine diffusivity", "mm^2/h", 0.05, 1e-3, 0.6,
   "Stokes-Einstein with ECM hindrance (notes §3, §4)"},
  // neutrophils
  {Param::r_N, "r_N", "neutrophil recruitment rate (max, V = 1)", "1/h", 0.25, 0.0, 5.0,
   "tuned to N peak at 18 h, Kim et al. 2008 J Invest Dermatol 128:1812 (notes §4)"},
  {Param::K_NI, "K_NI", "half-saturation of neutrophil recruitment", "1", 0.3, 1e-3, 10.0,
   "tuned to N peak at 18 h (notes §4)"},
  {Param::k_N, "k_N", "neutrophil removal rate", "1/h", 0.07, 1e-3, 1.0,
   "t1/2 10 h; tuned to N peak at 18 h (notes §4)"},
  {Param::e_NM, "e_NM", "efferocytosis of neutrophils by macrophages", "1/h per unit M", 0.05,
   0.0, 1.0, "tuned (notes §4)"},
  {Param::D_N, "D_N", "neutrophil random motility", "mm^2/h", 0.01, 0.0, 0.1,
   "Butler et al. 2010 PLoS One 5:e11921 (notes §3, §4)"},
  {Param::vmax_N, "vmax_N", "neutrophil chemotactic speed cap", "mm/h", 0.6, 1e-3, 3.0,
   "Butler et al. 2010: 17 +- 6 um/min (notes §3, §4)"},
  {Param::chi_N, "chi_N", "neutrophil chemotactic coefficient (up grad I)", "mm^2/(h unit)", 0.1,
   0.0, 100.0,
   "assumption (ours): 10 D_N per unit I; keeps the N-I loop Keller-Segel stable (docs/model.md)"},
  // macrophages
  {Param::r_M, "r_M", "macrophage recruitment by cytokine (max, V = 1)", "1/h", 0.01, 0.0, 1.0,
   "tuned to M peak at ~41 h (notes §4)"},
  {Param::K_MI, "K_MI", "half-saturation of macrophage recruitment", "1", 0.3, 1e-3, 10.0,
   "tuned (notes §4)"},
  {Param::r_MN, "r_MN", "macrophage recruitment by neutrophils (V = 1)", "1/h", 0.03, 0.0, 1.0,
   "tuned (notes §4)"},
  {Param::k_M, "k_M", "macrophage removal rate", "1/h", 0.025, 1e-3, 0.5,
   "0.6/day, Jin et al. 2011 BMC Syst Biol 5:60 (notes §1.8, §4)"},
  {Param::D_M, "D_M", "macrophage random motility", "mm^2/h", 0.002, 0.0, 0.05,
   "estimate (notes §4)"},
  {Param::vmax_M, "vmax_M", "macrophage chemotactic speed cap", "mm/h", 0.1, 1e-3, 1.0,
   "speed ~2 um/min, estimate (notes §4)"},
  {Param::chi_M, "chi_M", "macrophage chemotactic coefficient (up grad I)", "mm^2/(h unit)", 0.02,
   0.0, 20.0, "assumption (ours): 10 D_M per unit I, as chi_N (docs/model.md)"},
  // TGF-beta
  {Param::s_TM, "s_TM", "TGF-beta release by macrophages (max)", "1/h", 0.1, 0.0, 5.0,
   "tuned (notes §4)"},
  {Param::K_TI, "K_TI", "cytokine level that halves TGF-beta release", "1", 0.3, 1e-3, 10.0,
   "M2-like switch, tuned (notes §4)"},
  {Param::k_T, "k_T", "TGF-beta decay rate", "1/h", 0.35, 1e-2, 5.0,
   "t1/2 2 h (notes §4); Jin et al. 2011: 15/day"},
  {Param::D_T, "D_T", "TGF-beta diffusivity", "mm^2/h", 0.0093, 1e-3, 0.1,
   "posterior median of the dura calibration, in the 0.009-0.10 model range (notes §3)"},
  // fibroblasts
  {Param::r_F, "r_F", "fibroblast proliferation rate", "1/h", 0.02, 0.0, 0.1,
   "0.48/day; Jin et al. 2011 <= 0.924/day (notes §4)"},
  {Param::a_FT, "a_FT", "TGF-beta boost of fibroblast proliferation (max)", "1", 3.0, 0.0, 20.0,
   "tuned (notes §4)"},
  {Param::K_FT, "K_FT", "half-saturation of the TGF-beta boost", "1", 0.1, 1e-3, 10.0,
   "tuned (notes §4)"},
  {Param::F_max, "F_max", "fibroblast capacity relative to baseline F0", "1", 4.0, 1.01, 30.0,
   "overshoot <= 7x, Harbin 2023 (notes §1.5, §4)"},
  {Param::D_F, "D_F", "fibroblast random motility", "mm^2/h", 0.002, 0.0, 0.17,
   "in vitro 0.001-0.009, in vivo up to 0.17 mm^2/h (notes §3, §4)"},
  {Param::vmax_F, "vmax_F", "fibroblast chemotactic speed cap", "mm/h", 0.02, 1e-4, 0.2,
   "notes §4"},
  {Param::chi_F, "chi_F", "fibroblast chemotactic coefficient (up grad T)", "mm^2/(h unit)",
   0.02, 0.0, 5.0, "assumption (ours): 10 D_F per unit T, as chi_N (docs/model.md)"},
  // collagen
  {Param::p_C, "p_C", "new collagen synthesis rate (max)", "1/h", 0.03, 0.0, 1.0,
   "tuned (notes §4)"},
  {Param::K_CT, "K_CT", "half-saturation of TGF-beta-driven synthesis", "1", 0.1, 1e-3, 10.0,
   "tuned (notes §4)"},
  {Param::C_max, "C_max", "total collagen cap relative to baseline C0", "1", 1.6, 1.0, 5.0,
   "tuned: caps densification at +60 % (notes §4); relative to C0 (ours)"},
  {Param::k_mat, "k_mat", "maturation of new into mature collagen", "1/h",
   std::numbers::ln2 / (21.0 * hours_per_day), 0.0, 0.01,
   "ln2/21 d: III -> I over weeks (notes §4)"},
  {Param::k_rem, "k_rem", "removal of new collagen", "1/h",
   std::numbers::ln2 / (45.0 * hours_per_day), 0.0, 0.01,
   "ln2/45 d: 68 % of new collagen matures (notes §4)"},
  {Param::k_MMP, "k_MMP", "collagen degradation by macrophage MMPs", "1/h per unit M", 0.004,
   0.0, 0.1, "tuned (notes §4)"},
  {Param::f_MMP, "f_MMP", "MMP susceptibility of mature relative to new collagen", "1", 0.2, 0.0,
   1.0, "notes §4 (factor 0.2 in the Cm equation)"},
  {Param::k_Cm, "k_Cm", "mature collagen turnover", "1/h",
   std::numbers::ln2 / (15.0 * hours_per_year), 0.0, 1e-3,
   "ln2/15 y; Verzijl et al. 2000 J Biol Chem 275:39027 (verify) (notes §4)"},
  // swelling and redness
  {Param::a_W, "a_W", "swelling driven by cytokine", "1/h", 0.1, 0.0, 2.0,
   "tuned: swelling 1-2 days (notes §4)"},
  {Param::k_W, "k_W", "swelling resolution rate", "1/h", 0.2, 5e-3, 2.0,
   "tuned: swelling 1-2 days in the 3D model (notes §4 tuned 0.08 in 0D; docs/model.md)"},
  {Param::K_E, "K_E", "cytokine level of half-maximal redness", "1", 0.3, 1e-3, 10.0,
   "tuned (notes §4)"},
  // epidermis
  {Param::k_ep, "k_ep", "epidermal time scale (keratinocyte loss rate)", "1/h", 0.06, 1e-3, 1.0,
   "notes §4 (epidermal scaling of Sherratt & Murray)"},
  {Param::lam_ep, "lam_ep", "regulator kinetics (nondimensional)", "1", 30.0, 0.1, 1000.0,
   "Sherratt & Murray 1991 J Math Biol 29:389 (notes §1.1)"},
  {Param::h_ep, "h_ep", "maximal mitotic enhancement (nondimensional)", "1", 10.0, 1.01, 100.0,
   "Sherratt & Murray 1991 (notes §1.1)"},
  {Param::cm_ep, "cm_ep", "regulator level of maximal mitosis (nondimensional)", "1", 40.0, 1.5,
   1000.0, "Sherratt & Murray 1991 (notes §1.1)"},
  {Param::alpha_ep, "alpha_ep", "regulator production shape (nondimensional)", "1", 0.1, 1e-3,
   10.0, "Sherratt & Murray 1991 (notes §1.1)"},
  {Param::D_n, "D_n", "keratinocyte diffusivity (epidermis only)", "mm^2/h", 6e-5, 0.0, 0.01,
   "5e-4 D_c (notes §1.1, §4)"},
  {Param::D_c, "D_c", "regulator diffusivity (epidermis only)", "mm^2/h", 0.12, 1e-3, 1.0,
   "notes §4 (epidermal scaling)"},
  // puncture initialisation
  {Param::phi_fib, "phi_fib", "fraction of fibroblasts and mature collagen lost in a track", "1",
   0.3, 0.0, 1.0, "assumption: needles part fibres more than they remove them (notes §4)"},
  {Param::T_bleed, "T_bleed", "TGF-beta bolus of bleeding below the plexus", "1", 0.5, 0.0, 5.0,
   "platelet release (notes §4)"},
}};
// clang-format on

constexpr bool table_is_consistent() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    const ParameterInfo& row = table[i];
    if (index(row.id) != i)
      return false;
    if (!(row.min_value <= row.default_value && row.default_value <= row.max_value))
      return false;
    if (row.symbol.empty() || row.unit.empty() || row.source.empty() || row.name.empty()) {
      return false;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (table[j].symbol == row.symbol)
        return false;
    }
  }
  return true;
}
static_assert(table_is_consistent(),
              "parameter table: rows out of Param order, a default outside its range, an empty "
              "field or a duplicate symbol");

/// Levenshtein distance (two-row dynamic programming; symbols are short), optionally ignoring
/// letter case.
std::size_t edit_distance(std::string_view a, std::string_view b, bool ignore_case) {
  const auto same = [ignore_case](char x, char y) {
    if (!ignore_case)
      return x == y;
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string unknown_symbol_message(std::string_view symbol) {
  std::string message = "unknown model parameter '" + std::string(symbol) + "'";
  if (const auto suggestion = closest_parameter_symbol(symbol)) {
    message += "; did you mean '" + std::string(*suggestion) + "'?";
  } else {
    message += " (the parameter table lists every symbol: see docs/model.md)";
  }
  return message;
}

}  // namespace

std::span<const ParameterInfo, num_parameters> parameter_table() {
  return table;
}

const ParameterInfo& parameter_info(Param p) {
  return table[index(p)];
}

std::optional<Param> find_parameter(std::string_view symbol) {
  for (const ParameterInfo& row : table) {
    if (row.symbol == symbol)
      return row.id;
  }
  return std::nullopt;
}

std::optional<std::string_view> closest_parameter_symbol(std::string_view symbol) {
  // Symbols differ mostly in case (k_I, K_IM), so the case-blind distance ranks first and the
  // exact one breaks ties: "k_i" suggests "k_I", not "k_d".
  std::optional<std::string_view> best;
  std::pair<std::size_t, std::size_t> best_distance{};
  for (const ParameterInfo& row : table) {
    const std::pair distance{edit_distance(symbol, row.symbol, true),
                             edit_distance(symbol, row.symbol, false)};
    if (!best || distance < best_distance) {
      best = row.symbol;
      best_distance = distance;
    }
  }
  // More than a third of the name changed is no longer a typo.
  const std::size_t longest = std::max(symbol.size(), best ? best->size() : 0);
  if (best && 3 * best_distance.first <= std::max<std::size_t>(longest, 3))
    return best;
  return std::nullopt;
}

std::string parameter_table_markdown() {
  std::string out =
      "| symbol | meaning | default | unit | allowed range | source |\n"
      "|---|---|---|---|---|---|\n";
  for (const ParameterInfo& row : table) {
    out += "| `" + std::string(row.symbol) + "` | " + std::string(row.name) + " | " +
           format_number(row.default_value) + " | " + std::string(row.unit) + " | " +
           format_number(row.min_value) + " - " + format_number(row.max_value) + " | " +
           std::string(row.source) + " |\n";
  }
  return out;
}

Parameters::Parameters() {
  for (const ParameterInfo& row : table)
    _values[index(row.id)] = row.default_value;
}

double Parameters::get(std::string_view symbol) const {
  const auto id = find_parameter(symbol);
  if (!id)
    throw core::InputError(unknown_symbol_message(symbol));
  return (*this)[*id];
}

void Parameters::set(Param p, double value) {
  const ParameterInfo& row = parameter_info(p);
  // Written as a negated conjunction so that NaN is rejected too.
  if (!(std::isfinite(value) && value >= row.min_value && value <= row.max_value)) {
    throw core::InputError("model parameter '" + std::string(row.symbol) + "' (" +
                           std::string(row.name) + ", unit " + std::string(row.unit) +
                           ") must be in [" + format_number(row.min_value) + ", " +
                           format_number(row.max_value) + "], got " + format_number(value));
  }
  _values[index(p)] = value;
}

void Parameters::set(std::string_view symbol, double value) {
  const auto id = find_parameter(symbol);
  if (!id)
    throw core::InputError(unknown_symbol_message(symbol));
  set(*id, value);
}

double inflammatory_loop_gain(const Parameters& p) {
  return p[Param::s_IN] * p[Param::r_N] / (p[Param::K_NI] * p[Param::k_N] * p[Param::k_I]);
}

std::optional<std::string> loop_gain_warning(const Parameters& p) {
  const double gain = inflammatory_loop_gain(p);
  if (gain < 1.0)
    return std::nullopt;
  return "warning: the inflammatory loop gain s_IN r_N / (K_NI k_N k_I) = " + format_number(gain) +
         " is >= 1: cytokine and neutrophils sustain each other and the model settles into "
         "chronic inflammation instead of healing (notes §4; default 0.34). Lower s_IN or r_N, "
         "or raise K_NI, k_N or k_I.";
}

double neutrophil_aggregation_density(const Parameters& p) {
  const double gain = inflammatory_loop_gain(p);
  if (gain >= 1.0)
    return 0.0;
  const double coupling = p[Param::s_IN] * p[Param::chi_N];
  if (!(coupling > 0.0))
    return std::numeric_limits<double>::infinity();
  const double D_N = p[Param::D_N], D_I = p[Param::D_I];
  const double k_N = p[Param::k_N], k_I = p[Param::k_I];
  return (D_N * k_I + D_I * k_N + 2.0 * std::sqrt(D_N * D_I * k_N * k_I * (1.0 - gain))) / coupling;
}

std::optional<std::string> aggregation_warning(const Parameters& p) {
  const double density = neutrophil_aggregation_density(p);
  if (density >= 2.0)
    return std::nullopt;
  return "warning: neutrophils aggregate by themselves above a density of " +
         format_number(density) +
         " (Keller-Segel instability of chi_N with s_IN; fresh tracks reach 1-2): runs develop "
         "one-voxel spikes, lose their symmetry and take tiny steps. Lower chi_N or s_IN, or "
         "raise D_N (see docs/model.md).";
}

}  // namespace microheal::model
