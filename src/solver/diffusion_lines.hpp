#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "microheal/grid/boundary.hpp"

/// @file
/// @brief The backward-Euler system of one grid line and its Thomas factorisation (private to the
/// diffusion solver). Both the fast table-driven path and the general per-voxel path use these,
/// so the two paths assemble the same rows.

namespace microheal::solver::detail {

/// @brief Face diffusivity: harmonic mean of the two voxel diffusivities, which makes the flux
/// exactly continuous across a layer interface on the face; a zero on either side closes it.
inline double face_diffusivity(double da, double db) {
  return (da > 0.0 && db > 0.0) ? 2.0 * da * db / (da + db) : 0.0;
}

/// @brief Rows of (I - h A) x = d + s along one line of n >= 2 voxels: lower a, diagonal b,
/// upper c. The source s is src_lo on the first and src_hi on the last row (fixed-value faces).
/// When cyclic, a[0] couples the first row to the last voxel and c[n-1] the last row to the first.
struct LineSystem {
  std::vector<double> a, b, c;
  double src_lo = 0.0;
  double src_hi = 0.0;
  bool cyclic = false;
};

/// @brief Assembles the rows of one line from its voxel diffusivities @p dv (mm^2/h).
/// @param[in] r h / dx^2 of the axis
/// @param[in] sink h * decay / (number of active axes): the decay share of this axis
/// @param[in] periodic both faces periodic (a ring of two voxels gets both faces' coupling)
inline void assemble_line(std::span<const double> dv, double r, double sink,
                          const grid::FaceCondition& lo, const grid::FaceCondition& hi,
                          bool periodic, LineSystem& sys) {
  const std::size_t n = dv.size();
  sys.a.resize(n);
  sys.b.resize(n);
  sys.c.resize(n);
  sys.src_lo = 0.0;
  sys.src_hi = 0.0;
  sys.cyclic = periodic && n > 2;
  // Each face diffusivity is computed once: the right face of voxel i is the left face of i + 1.
  const double wrap = periodic ? face_diffusivity(dv[n - 1], dv[0]) : 0.0;
  double dl = wrap;
  for (std::size_t i = 0; i < n; ++i) {
    const bool first = i == 0;
    const bool last = i + 1 == n;
    const double dr = last ? wrap : face_diffusivity(dv[i], dv[i + 1]);
    double diag = 1.0 + sink + r * (dl + dr);
    // Fixed value g on the face: the ghost value 2g - u0 gives the flux 2 D0 (g - u0) / dx.
    if (first && !periodic && lo.kind == grid::BoundaryKind::fixed_value) {
      diag += 2.0 * r * dv[i];
      sys.src_lo = 2.0 * r * dv[i] * lo.value;
    }
    if (last && !periodic && hi.kind == grid::BoundaryKind::fixed_value) {
      diag += 2.0 * r * dv[i];
      sys.src_hi = 2.0 * r * dv[i] * hi.value;
    }
    sys.a[i] = -r * dl;
    sys.b[i] = diag;
    sys.c[i] = -r * dr;
    dl = dr;
  }
  if (periodic && n == 2) {
    // Both faces of a two-voxel ring join the same pair: one plain 2x2 system.
    sys.c[0] += sys.a[0];
    sys.a[1] += sys.c[1];
    sys.a[0] = 0.0;
    sys.c[1] = 0.0;
  }
}

/// @brief Thomas factorisation of a LineSystem, in the form the sweeps use without division:
///   forward  d'_i = (d_i + s_i) m_i - am_i d'_{i-1},   back  x_i = d'_i - cp_i x_{i+1},
/// and, when built with the reverse elimination (from the last row down),
///   forward  d''_i = (d_i + s_i) mr_i - cmr_i d''_{i+1},   back  x_i = d''_i - crp_i x_{i-1}.
/// A cyclic system is solved with Sherman-Morrison on the modified tridiagonal T:
///   x = y - (y_0 + bg y_{n-1}) q z,  y = T^-1 (d + s),  z = T^-1 (gamma e_0 + alpha e_{n-1}).
struct LineFactor {
  std::vector<double> am, m, cp;
  std::vector<double> cmr, mr, crp;
  std::vector<double> z;
  double bg = 0.0;
  double q = 0.0;
  double src_lo = 0.0;
  double src_hi = 0.0;

  bool cyclic() const { return !z.empty(); }
  std::size_t size() const { return m.size(); }
  std::size_t bytes() const {
    return (am.capacity() + m.capacity() + cp.capacity() + cmr.capacity() + mr.capacity() +
            crp.capacity() + z.capacity()) *
           sizeof(double);
  }

  /// @brief Factorises @p sys (which it modifies when cyclic). @p reverse adds the elimination
  /// from the last row (only for non-cyclic systems).
  void factorise(LineSystem& sys, bool reverse) {
    const std::size_t n = sys.b.size();
    src_lo = sys.src_lo;
    src_hi = sys.src_hi;
    double alpha = 0.0;
    double beta = 0.0;
    double gamma = 0.0;
    if (sys.cyclic) {
      alpha = sys.c[n - 1];
      beta = sys.a[0];
      gamma = -sys.b[0];
      sys.b[0] -= gamma;
      sys.b[n - 1] -= alpha * beta / gamma;
      sys.a[0] = 0.0;
      sys.c[n - 1] = 0.0;
    }
    am.resize(n);
    m.resize(n);
    cp.resize(n);
    double cprev = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double a = i == 0 ? 0.0 : sys.a[i];
      m[i] = 1.0 / (sys.b[i] - a * cprev);
      am[i] = a * m[i];
      cp[i] = i + 1 == n ? 0.0 : sys.c[i] * m[i];
      cprev = cp[i];
    }
    if (reverse && !sys.cyclic) {
      cmr.resize(n);
      mr.resize(n);
      crp.resize(n);
      double cnext = 0.0;
      for (std::size_t i = n; i-- > 0;) {
        const double c = i + 1 == n ? 0.0 : sys.c[i];
        mr[i] = 1.0 / (sys.b[i] - c * cnext);
        cmr[i] = c * mr[i];
        crp[i] = i == 0 ? 0.0 : sys.a[i] * mr[i];
        cnext = crp[i];
      }
    } else {
      cmr.clear();
      mr.clear();
      crp.clear();
    }
    z.clear();
    if (sys.cyclic) {
      z.assign(n, 0.0);
      z[0] = gamma;
      z[n - 1] = alpha;
      solve_tridiagonal(z, 0.0, 0.0);
      bg = beta / gamma;
      q = 1.0 / (1.0 + z[0] + bg * z[n - 1]);
    }
  }

  /// @brief x = T^-1 (d + s) in place, T the (modified) tridiagonal part.
  void solve_tridiagonal(std::span<double> d, double s_lo, double s_hi) const {
    const std::size_t n = d.size();
    double prev = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double s = (i == 0 ? s_lo : 0.0) + (i + 1 == n ? s_hi : 0.0);
      prev = (d[i] + s) * m[i] - am[i] * prev;
      d[i] = prev;
    }
    double next = 0.0;
    for (std::size_t i = n; i-- > 0;) {
      next = d[i] - cp[i] * next;
      d[i] = next;
    }
  }

  /// @brief Solves the line system for right-hand side @p d in place (sources included).
  void solve(std::span<double> d) const {
    solve_tridiagonal(d, src_lo, src_hi);
    if (cyclic()) {
      const std::size_t n = d.size();
      const double f = (d[0] + bg * d[n - 1]) * q;
      for (std::size_t i = 0; i < n; ++i)
        d[i] -= f * z[i];
    }
  }
};

}  // namespace microheal::solver::detail
