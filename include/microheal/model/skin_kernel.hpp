#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "microheal/core/types.hpp"
#include "microheal/grid/boundary.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/model/species.hpp"
#include "microheal/solver/chemotaxis.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/reaction.hpp"

/// @file
/// @brief The pointwise reaction kernel of the default skin model (notes §4), its per-voxel
/// coefficients, homeostatic states, and the diffusion and chemotaxis specs of its transport.
///
/// Local kinetics (u = (d, I, N, M, T, F, Cn, Cm, n, c, W), coefficients V, C0, F0, e):
///   d'  = -(k_d + q_N N + q_M M) d
///   I'  = s_Id d + s_IN N + s_IM M I/(K_IM + I) - k_I I
///   N'  = r_N V I/(K_NI + I) - k_N N - e_NM M N
///   M'  = V (r_M I/(K_MI + I) + r_MN N) - k_M M
///   T'  = s_TM M K_TI/(K_TI + I) - k_T T
///   F'  = r_F F [a_FT g (1 - x/F_max) + (1 - x)/F_max],  x = F/F0, g = T/(K_FT + T)
///         (= r_F F (1 + a_FT g)(1 - x/F_max) - delta_F F, delta_F = r_F (1 - 1/F_max), notes §4,
///          with the logistic taken in F/F0 so that F = F0 is the homeostasis; F0 = 0: -delta_F F)
///   Cn' = p_C F T/(K_CT + T) max(0, 1 - (Cn + Cm)/(C_max C0)) - (k_mat + k_rem + k_MMP M) Cn
///   Cm' = k_Cm (C0 x - Cm) + k_mat Cn - f_MMP k_MMP M Cm
///   n'  = e k_ep [n (1 - n) + sigma(c) n (2 - n)]        (= e k_ep (s(c) n (2 - n) - n))
///   c'  = e k_ep lam_ep (f(n) - c)
///   W'  = a_W I - k_W W
/// with s(c) = 1 + sigma(c) the Sherratt-Murray activator (notes §1.1),
///   sigma(c) = A (c - 1)(cm^2 - c)/(cm^2 + c^2),  A = 2 cm (h - beta)/(cm^2 + 1),
///   f(n) = n (1 + alpha^2)/(n^2 + alpha^2).
/// Every expression is arranged so that the homeostatic state gives rates of exactly +0.0 in
/// floating point (factors (1 - x) with x = F/F0 = 1, (c - 1), C0 x - Cm with x = 1, ...),
/// which keeps a no-puncture run bitwise at rest for any duration.

namespace microheal::model {

/// @brief Index of each position-dependent coefficient in the kernel's coefficient span. The values
/// come from the tissue (geometry::Tissue per-layer properties, averaged over each voxel), never
/// from the parameter table.
enum class Coefficient : std::size_t {
  vessel_density = 0,        ///< V: where leukocytes enter (1 = papillary dermis)
  baseline_collagen = 1,     ///< C0: homeostatic mature collagen (1 = dermis)
  baseline_fibroblasts = 2,  ///< F0: homeostatic fibroblast density (1 = dermis)
  epidermis = 3,             ///< e: viable-epidermis fraction in [0, 1] (1 in the epidermis)
};

/// @brief Number of coefficients per voxel.
inline constexpr std::size_t num_coefficients = 4;

/// @brief The index of @p c as a std::size_t.
constexpr std::size_t index(Coefficient c) {
  return static_cast<std::size_t>(c);
}

/// @brief The coefficients of one voxel.
struct VoxelCoefficients {
  double vessel_density = 0.0;
  double baseline_collagen = 0.0;
  double baseline_fibroblasts = 0.0;
  double epidermis_fraction = 0.0;

  /// @brief In Coefficient order (the kernel's span layout).
  std::array<double, num_coefficients> as_array() const {
    return {vessel_density, baseline_collagen, baseline_fibroblasts, epidermis_fraction};
  }
};

/// @brief Per-voxel coefficient fields, one contiguous array per coefficient (SoA), as the
/// reaction stepper takes them.
class CoefficientFields {
 public:
  /// @brief @p num_voxels voxels, all coefficients 0.
  explicit CoefficientFields(Index num_voxels);

  /// @brief Set the coefficients of voxel @p v.
  void set(Index v, const VoxelCoefficients& values);
  /// @brief The coefficients of voxel @p v.
  VoxelCoefficients at(Index v) const;

  std::span<double> operator[](Coefficient c) { return _data[index(c)]; }
  std::span<const double> operator[](Coefficient c) const { return _data[index(c)]; }
  Index num_voxels() const { return static_cast<Index>(_data[0].size()); }

  /// @brief Views in Coefficient order (for solver::KernelReactionStepper). The views stay valid
  /// while this object lives and is not moved.
  std::vector<std::span<const double>> spans() const;

 private:
  std::array<std::vector<double>, num_coefficients> _data;
};

/// @brief The pointwise kinetics of notes §4: pure, allocation-free, const; satisfies
/// solver::ReactionKernel. Holds the parameter values it needs (copied at construction).
class SkinKernel {
 public:
  static constexpr int num_species = static_cast<int>(model::num_species);
  static constexpr int num_coefficients = static_cast<int>(model::num_coefficients);
  /// @brief The Jacobian is block lower triangular in species order (solver::SmallLu): the
  /// inflammatory core (d, I, N, M) depends on nothing after it; T on the core; F on T; the
  /// collagen pools (Cn, Cm) on F, T and M; the epidermis (n, c) only on itself; W on I. Entry k
  /// is one past the last species of k's block. tests/unit/model checks it on random states.
  static constexpr std::array<int, 11> jacobian_block_end{4, 4, 4, 4, 5, 6, 8, 8, 10, 10, 11};
  using State = Eigen::Matrix<double, num_species, 1>;
  using Jacobian = Eigen::Matrix<double, num_species, num_species>;
  using Coefficients = std::span<const double, num_coefficients>;

  /// @brief Kernel with the values of @p p.
  explicit SkinKernel(const Parameters& p);

  /// @brief f = du/dt at state @p u with coefficients @p c (Coefficient order).
  void rates(const State& u, Coefficients c, State& f) const;

  /// @brief jac(i, j) = d f_i / d u_j, analytic (the max(0, .) of the collagen cap takes the
  /// one-sided derivative of the active branch).
  void jacobian(const State& u, Coefficients c, Jacobian& jac) const;

  /// @brief The homeostatic state of a voxel with coefficients @p c: d = I = N = M = T = Cn = W
  /// = 0, F = F0, Cm = C0, n = c = 1 where e > 0 (0 elsewhere). rates() there is exactly 0.
  static State homeostasis(const VoxelCoefficients& c);

 private:
  /// Parameter values named as in the equations (in a struct: members such as _K_IM would be
  /// reserved identifiers); the derived ones are precomputed.
  struct Values {
    double k_d, q_N, q_M;
    double s_Id, s_IN, s_IM, K_IM, k_I;
    double r_N, K_NI, k_N, e_NM;
    double r_M, K_MI, r_MN, k_M;
    double s_TM, K_TI, k_T;
    double r_F, a_FT, K_FT, inv_F_max, delta_F;
    double p_C, K_CT, C_max, k_mat, k_rem, k_MMP, f_MMP, k_Cm;
    double a_W, k_W;
    double k_ep, lam_ep, cm2_ep, alpha2_ep, A_ep;
  };
  Values _v;
};

static_assert(solver::ReactionKernel<SkinKernel>);

/// @brief Redness index E = I/(K_E + I) (notes §4), an algebraic diagnostic of the cytokine.
double redness(double cytokine, const Parameters& p);

/// @brief What one session's needles did to one voxel, as volume measures from the rasteriser
/// (geometry::InjuryField); the biology of each measure is in injured_state().
struct VoxelInjury {
  double track_fraction = 0.0;  ///< volume fraction of the voxel inside a track, [0, 1]
  double damage = 0.0;          ///< volume-averaged damage: 1 in the track plus the crush halo
  double bleeding = 0.0;        ///< volume fraction of the voxel in track below the plexus
};

/// @brief The state of a voxel in state @p u after an injury (notes §4, puncture initialisation).
///
/// The punctured part (a fraction f = track_fraction of the voxel) loses the fraction phi_fib of
/// its fibroblasts and of both collagen pools (assumption of the notes: needles part fibres more
/// than they remove them; new collagen is fibre too, which matters only for a repeat session)
/// and all its keratinocytes; the voxel is the volume average of that part and the untouched rest.
/// Damage combines with damage already present as an independent hit,
/// d+ = d + D - d D (D = injury.damage, which includes the crush halo outside the track), and
/// TGF-beta rises by T_bleed per unit of bleeding volume fraction (platelet release below the
/// plexus). Everything else is unchanged: the cytokine is generated by the damage.
/// A voxel with all three measures 0 is returned bitwise unchanged.
/// @pre every measure finite and in [0, 1]
SkinKernel::State injured_state(const SkinKernel::State& u, const VoxelInjury& injury,
                                const Parameters& p);

/// @brief The initial state of a freshly punctured voxel (notes §4): injured_state() of the
/// homeostatic state with a whole-voxel injury (track fraction and damage 1, bleeding 1 when
/// @p bleeding): d = 1, F and Cm reduced by phi_fib, n = 0, T raised by T_bleed if it bleeds.
SkinKernel::State punctured_state(const VoxelCoefficients& c, bool bleeding, const Parameters& p);

/// @brief Transport of every species with uniform coefficients (0D mode, tests): d, Cn, Cm, W
/// immobile; I, T, N, M, F, n, c diffuse with their table diffusivities everywhere.
/// @param[in] boundary the boundary of every species
std::vector<solver::DiffusionSpec> diffusion_specs(const Parameters& p,
                                                   const grid::Boundary& boundary);

/// @brief Transport in layered tissue. As the uniform version, except that
///  - the solutes I, T and c diffuse with their table diffusivity times the tissue's per-voxel
///    diffusivity factor @p solute_factor (tortuosity of the layer; empty means 1 everywhere);
///  - n and c diffuse only in the epidermis (diffusivity times e per voxel), so no keratinocytes
///    leak into the dermis (the harmonic-mean face diffusivity is 0 at the basement membrane);
///  - F diffuses only between voxels of equal F0 > 0: a random walk across a jump of F0 (epidermis
///    to dermis, dermis to hypodermis) would move fibroblasts out of their homeostasis, so voxels
///    next to such a jump get diffusivity 0 (fibroblasts still cross by chemotaxis).
/// Cells (N, M, F, n) are not solutes: their random motility does not take the factor.
/// @param[in] grid the grid of the fields
/// @param[in] coefficients the coefficient fields on @p grid
/// @param[in] boundary the boundary of every species (decides which axes wrap)
/// @param[in] solute_factor per-voxel diffusivity factor of the solutes (>= 0), or empty
/// @pre coefficients.num_voxels() == grid.num_voxels(), solute_factor empty or of that size
///      (throws core::InputError otherwise)
std::vector<solver::DiffusionSpec> diffusion_specs(const Parameters& p, const grid::Grid& grid,
                                                   const CoefficientFields& coefficients,
                                                   const grid::Boundary& boundary,
                                                   std::span<const double> solute_factor = {});

/// @brief The chemotactic pairs: N up grad I, M up grad I, F up grad T, with the table's chi and
/// speed caps (the solver's velocity v = v_lin / sqrt(1 + (v_lin/vmax)^2), v_lin = chi dS/dn).
std::vector<solver::ChemotaxisSpec> chemotaxis_specs(const Parameters& p);

// ---------------------------------------------------------------------------------------------
// Inline hot path: the reaction stepper instantiates these per voxel.

namespace detail {
/// x/(K + x) and its derivative K/(K + x)^2.
inline double saturation(double x, double half) {
  return x / (half + x);
}
inline double saturation_slope(double x, double half) {
  const double denominator = half + x;
  return half / (denominator * denominator);
}
}  // namespace detail

inline void SkinKernel::rates(const State& u, Coefficients c, State& f) const {
  using detail::saturation;
  const double d = u(eigen_index(Species::damage));
  const double I = u(eigen_index(Species::cytokine));
  const double N = u(eigen_index(Species::neutrophils));
  const double M = u(eigen_index(Species::macrophages));
  const double T = u(eigen_index(Species::tgf_beta));
  const double F = u(eigen_index(Species::fibroblasts));
  const double Cn = u(eigen_index(Species::new_collagen));
  const double Cm = u(eigen_index(Species::mature_collagen));
  const double n = u(eigen_index(Species::keratinocytes));
  const double cr = u(eigen_index(Species::regulator));
  const double W = u(eigen_index(Species::swelling));
  const double V = c[index(Coefficient::vessel_density)];
  const double C0 = c[index(Coefficient::baseline_collagen)];
  const double F0 = c[index(Coefficient::baseline_fibroblasts)];
  const double e = c[index(Coefficient::epidermis)];

  // "0.0 - loss" (not "-loss") where there is no production term: the homeostatic rate is then
  // +0.0, not -0.0, so rates at rest are bitwise zero.
  f(eigen_index(Species::damage)) = 0.0 - (_v.k_d + _v.q_N * N + _v.q_M * M) * d;
  f(eigen_index(Species::cytokine)) =
      _v.s_Id * d + _v.s_IN * N + _v.s_IM * M * saturation(I, _v.K_IM) - _v.k_I * I;
  f(eigen_index(Species::neutrophils)) =
      _v.r_N * V * saturation(I, _v.K_NI) - _v.k_N * N - _v.e_NM * M * N;
  f(eigen_index(Species::macrophages)) =
      V * (_v.r_M * saturation(I, _v.K_MI) + _v.r_MN * N) - _v.k_M * M;
  f(eigen_index(Species::tgf_beta)) = _v.s_TM * M * _v.K_TI / (_v.K_TI + I) - _v.k_T * T;

  // x = F/F0 is exactly 1 at homeostasis, so (1 - x) and C0 x - Cm cancel exactly.
  const bool niche = F0 > 0.0;
  const double x = niche ? F / F0 : 0.0;
  const double boost = _v.a_FT * saturation(T, _v.K_FT);
  f(eigen_index(Species::fibroblasts)) =
      niche ? _v.r_F * F * (boost * (1.0 - x * _v.inv_F_max) + (1.0 - x) * _v.inv_F_max)
            : 0.0 - _v.delta_F * F;

  const double cap = C0 > 0.0 ? std::max(0.0, 1.0 - (Cn + Cm) / (_v.C_max * C0)) : 0.0;
  f(eigen_index(Species::new_collagen)) =
      _v.p_C * F * saturation(T, _v.K_CT) * cap - (_v.k_mat + _v.k_rem + _v.k_MMP * M) * Cn;
  f(eigen_index(Species::mature_collagen)) =
      _v.k_Cm * (C0 * x - Cm) + _v.k_mat * Cn - _v.f_MMP * _v.k_MMP * M * Cm;

  // Sherratt-Murray pair with s(c) - 1 = sigma(c), which carries the factor (c - 1) explicitly.
  const double cm2_plus_c2 = _v.cm2_ep + cr * cr;
  const double sigma = _v.A_ep * (cr - 1.0) * (_v.cm2_ep - cr) / cm2_plus_c2;
  f(eigen_index(Species::keratinocytes)) = e * _v.k_ep * (n * (1.0 - n) + sigma * n * (2.0 - n));
  const double production = n * (1.0 + _v.alpha2_ep) / (n * n + _v.alpha2_ep);
  f(eigen_index(Species::regulator)) = e * _v.k_ep * _v.lam_ep * (production - cr);

  f(eigen_index(Species::swelling)) = _v.a_W * I - _v.k_W * W;
}

inline void SkinKernel::jacobian(const State& u, Coefficients c, Jacobian& jac) const {
  using detail::saturation;
  using detail::saturation_slope;
  constexpr int d_ = eigen_index(Species::damage);
  constexpr int I_ = eigen_index(Species::cytokine);
  constexpr int N_ = eigen_index(Species::neutrophils);
  constexpr int M_ = eigen_index(Species::macrophages);
  constexpr int T_ = eigen_index(Species::tgf_beta);
  constexpr int F_ = eigen_index(Species::fibroblasts);
  constexpr int Cn_ = eigen_index(Species::new_collagen);
  constexpr int Cm_ = eigen_index(Species::mature_collagen);
  constexpr int n_ = eigen_index(Species::keratinocytes);
  constexpr int c_ = eigen_index(Species::regulator);
  constexpr int W_ = eigen_index(Species::swelling);
  const double d = u(d_);
  const double I = u(I_);
  const double N = u(N_);
  const double M = u(M_);
  const double T = u(T_);
  const double F = u(F_);
  const double Cn = u(Cn_);
  const double Cm = u(Cm_);
  const double n = u(n_);
  const double cr = u(c_);
  const double V = c[index(Coefficient::vessel_density)];
  const double C0 = c[index(Coefficient::baseline_collagen)];
  const double F0 = c[index(Coefficient::baseline_fibroblasts)];
  const double e = c[index(Coefficient::epidermis)];

  jac.setZero();

  jac(d_, d_) = -(_v.k_d + _v.q_N * N + _v.q_M * M);
  jac(d_, N_) = -_v.q_N * d;
  jac(d_, M_) = -_v.q_M * d;

  jac(I_, d_) = _v.s_Id;
  jac(I_, I_) = _v.s_IM * M * saturation_slope(I, _v.K_IM) - _v.k_I;
  jac(I_, N_) = _v.s_IN;
  jac(I_, M_) = _v.s_IM * saturation(I, _v.K_IM);

  jac(N_, I_) = _v.r_N * V * saturation_slope(I, _v.K_NI);
  jac(N_, N_) = -_v.k_N - _v.e_NM * M;
  jac(N_, M_) = -_v.e_NM * N;

  jac(M_, I_) = V * _v.r_M * saturation_slope(I, _v.K_MI);
  jac(M_, N_) = V * _v.r_MN;
  jac(M_, M_) = -_v.k_M;

  const double ti_denominator = _v.K_TI + I;
  jac(T_, I_) = -_v.s_TM * M * _v.K_TI / (ti_denominator * ti_denominator);
  jac(T_, M_) = _v.s_TM * _v.K_TI / ti_denominator;
  jac(T_, T_) = -_v.k_T;

  const bool niche = F0 > 0.0;
  const double inv_F0 = niche ? 1.0 / F0 : 0.0;
  const double x = F * inv_F0;
  if (niche) {
    const double boost = _v.a_FT * saturation(T, _v.K_FT);
    const double bracket = boost * (1.0 - x * _v.inv_F_max) + (1.0 - x) * _v.inv_F_max;
    // d/dF [F bracket] = bracket + F dbracket/dF, dbracket/dF = -(1 + boost)/(F_max F0).
    jac(F_, F_) = _v.r_F * (bracket - x * (1.0 + boost) * _v.inv_F_max);
    jac(F_, T_) = _v.r_F * F * _v.a_FT * saturation_slope(T, _v.K_FT) * (1.0 - x * _v.inv_F_max);
  } else {
    jac(F_, F_) = -_v.delta_F;
  }

  const double synthesis_T = saturation(T, _v.K_CT);
  double cap = 0.0;
  double cap_slope = 0.0;  // d cap / d Cn = d cap / d Cm
  if (C0 > 0.0) {
    const double inv_capacity = 1.0 / (_v.C_max * C0);
    cap = 1.0 - (Cn + Cm) * inv_capacity;
    if (cap > 0.0) {
      cap_slope = -inv_capacity;
    } else {
      cap = 0.0;
    }
  }
  jac(Cn_, F_) = _v.p_C * synthesis_T * cap;
  jac(Cn_, T_) = _v.p_C * F * saturation_slope(T, _v.K_CT) * cap;
  jac(Cn_, M_) = -_v.k_MMP * Cn;
  jac(Cn_, Cn_) = _v.p_C * F * synthesis_T * cap_slope - (_v.k_mat + _v.k_rem + _v.k_MMP * M);
  jac(Cn_, Cm_) = _v.p_C * F * synthesis_T * cap_slope;

  jac(Cm_, F_) = _v.k_Cm * C0 * inv_F0;
  jac(Cm_, M_) = -_v.f_MMP * _v.k_MMP * Cm;
  jac(Cm_, Cn_) = _v.k_mat;
  jac(Cm_, Cm_) = -_v.k_Cm - _v.f_MMP * _v.k_MMP * M;

  const double rate_n = e * _v.k_ep;
  const double cm2_plus_c2 = _v.cm2_ep + cr * cr;
  const double numerator = (cr - 1.0) * (_v.cm2_ep - cr);
  const double sigma = _v.A_ep * numerator / cm2_plus_c2;
  // d/dc [(c - 1)(cm^2 - c)] = cm^2 - 2c + 1; d/dc [cm^2 + c^2] = 2c.
  const double sigma_slope = _v.A_ep *
                             ((_v.cm2_ep - 2.0 * cr + 1.0) * cm2_plus_c2 - numerator * 2.0 * cr) /
                             (cm2_plus_c2 * cm2_plus_c2);
  jac(n_, n_) = rate_n * (1.0 - 2.0 * n + sigma * (2.0 - 2.0 * n));
  jac(n_, c_) = rate_n * sigma_slope * n * (2.0 - n);
  const double n2_plus_a2 = n * n + _v.alpha2_ep;
  jac(c_, n_) = rate_n * _v.lam_ep * (1.0 + _v.alpha2_ep) * (_v.alpha2_ep - n * n) /
                (n2_plus_a2 * n2_plus_a2);
  jac(c_, c_) = -rate_n * _v.lam_ep;

  jac(W_, I_) = _v.a_W;
  jac(W_, W_) = -_v.k_W;
}

}  // namespace microheal::model
