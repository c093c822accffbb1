#include "microheal/solver/chemotaxis.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <utility>

#include "microheal/core/error.hpp"

// Scheme (see the header for the summary).
//
// Space. On every face between voxels L and R along an axis of spacing dx the normal velocity is
// v = v_lin / sqrt(1 + (v_lin / v_max)^2), v_lin = chi (S_R - S_L) / dx, summed over the pairs that
// move the same cell species. The face density is upwinded with a minmod-limited linear
// reconstruction, N_face = N_L + sigma_L / 2 (v >= 0) or N_R - sigma_R / 2 (v < 0), with
// sigma_i = minmod(N_i - N_{i-1}, N_{i+1} - N_i). At a non-periodic boundary the missing
// neighbour is mirrored, so the boundary voxel has slope 0, and the boundary face itself carries
// no flux. Every face flux enters the two voxels with opposite signs: mass is conserved to
// round-off.
//
// Why minmod. For N >= 0 minmod gives |sigma_i| <= N_i (the smaller one-sided difference is
// bounded by N_i because the neighbour is >= 0), so both face values of a voxel lie in
// [N_i / 2, 3 N_i / 2] and sum to 2 N_i per axis. That is what the positivity bound below needs;
// it is also TVD in 1D (for Courant numbers <= 1/2) and second order in smooth monotone regions
// (it clips smooth extrema to first order, the price of every TVD limiter). Wider limiters (MC,
// superbee) allow face values up to 2 N_i, which lowers the one-face bound below from 2/3 to 1/2.
//
// Positivity (the CFL bound). One forward-Euler stage gives for voxel i
//   N_i' = N_i - dt * sum_axes (p_a N_i^+ + q_a N_i^-) / dx_a + dt * (inflow terms >= 0),
// with p_a = max(v_high, 0), q_a = max(-v_low, 0) the outflow speeds through the two faces of the
// voxel on axis a and N_i^{+-} = N_i +- sigma / 2 its face values. Because |sigma| <= N_i,
//   p N^+ + q N^- = (p + q) N_i + (p - q) sigma / 2 <= (3/2 max(p, q) + 1/2 min(p, q)) N_i,
// so N_i' >= N_i (1 - dt r_i) with the outflow rate r_i = sum_a (3/2 max + 1/2 min)(p_a, q_a) /
// dx_a (computed as p + q + |p - q| / 2). The stage is positivity preserving when dt * max_i r_i
// <= 1. With a uniform velocity in 1D that is Courant number <= 2/3, and it is sharp (an empty
// upwind neighbour and N_{i+1} >= 2 N_i empty voxel i at exactly 2/3); a voxel with outflow through
// both faces of an axis needs 2 |v| dt / dx <= 1 on it, and with outflow through all six faces dt *
// sum_a 2 |v_a| / dx_a <= 1: the outflows of a voxel add up, which a per-axis Courant number
// misses. The sub-step is dt_sub = dt / n with n = ceil(dt * max_i r_i / cfl), so cfl is the
// fraction of the positivity limit used: every cfl in (0, 1] keeps each stage, and hence the
// SSP-RK2 (Heun) convex combination, non-negative (at cfl = 1 up to round-off in the emptied
// voxel). max_i r_i is a max reduction over the current state, exact in any order.
//
// Time. u1 = u + dt L(u); u_new = (u + u1 + dt L(u1)) / 2. One stage updates every cell species
// at once, reading all species at the stage value: a species that is both a cell species and a
// signal is read from its stage copy. Only then do velocities change inside a step; the step then
// re-measures the rate before every sub-step and re-splits the remaining time when the current
// sub-step would exceed the bound (the second stage of a sub-step is not re-checked: its signal
// moved by O(dt_sub), which the default cfl leaves room for).
//
// Memory. One stage copy per distinct cell species: the first stage reads it and writes the
// fields, the second reads the fields and overwrites the copy pointwise with the Heun average, so
// after each sub-step the state is in the copies; one copy back at the end of step().

namespace microheal::solver {

namespace {

/// @brief Coordinates (along one axis) of the voxels around one face: l and r beside it, ll and
/// rr one further out for the slopes (mirrored at a non-periodic boundary).
struct FaceStencil {
  Index ll = 0;
  Index l = 0;
  Index r = 0;
  Index rr = 0;
  bool active = false;  ///< false on a non-periodic boundary face and on axes of extent 1
};

/// @brief The n + 1 faces along an axis of n voxels; face f lies below voxel f.
std::vector<FaceStencil> face_stencils(Index n, bool periodic) {
  std::vector<FaceStencil> faces(static_cast<std::size_t>(n + 1));
  if (n == 1) {
    return faces;  // an axis of extent 1 carries no flux (2D and 1D grids)
  }
  const auto wrap = [n](Index m) { return ((m % n) + n) % n; };
  for (Index f = 0; f <= n; ++f) {
    FaceStencil& s = faces[static_cast<std::size_t>(f)];
    if (periodic) {
      s = {wrap(f - 2), wrap(f - 1), wrap(f), wrap(f + 1), true};
    } else if (f > 0 && f < n) {
      // A mirrored neighbour makes the boundary voxel's slope zero (zero-gradient ghost).
      s = {f >= 2 ? f - 2 : f - 1, f - 1, f, f + 1 < n ? f + 1 : f, true};
    }
  }
  return faces;
}

/// @brief One pair as it acts on its cell species.
struct Drive {
  std::size_t signal = 0;
  double chi = 0.0;
  double max_speed = 0.0;
  double inv_max_speed = 0.0;  ///< 0 for an infinite cap (linear velocity)
};

/// @brief All pairs that move one cell species; their velocities add on every face.
struct Group {
  std::size_t cell = 0;
  std::vector<Drive> drives;
  std::array<std::vector<FaceStencil>, 3> faces;  // per axis, from the cell species' boundary
  std::vector<double> stage;                      // stage copy of the cell species
  // Face velocities of the current step, when no cell species is a signal (they do not change
  // inside a step): filled by the rate scan, read by every stage and sub-step. x faces per row
  // (nx + 1 each), y faces per plane and face index ((ny + 1) rows of nx), z faces per face index
  // and row ((nz + 1) planes of ny rows of nx).
  std::vector<double> vx, vy, vz;
  bool cached = false;
};

/// @brief Branch-free minmod: data-dependent branches here would mispredict on rough fields.
double minmod(double a, double b) {
  return 0.5 * (std::copysign(1.0, a) + std::copysign(1.0, b)) * std::min(std::abs(a), std::abs(b));
}

/// @brief Linear velocity chi dS/dn. The rate scan and the stages both use this, so the bound
/// is measured on exactly the velocities the stages apply.
double linear_velocity(const Drive& d, double s_l, double s_r, double inv_dx) {
  return d.chi * (s_r - s_l) * inv_dx;
}

/// @brief Saturating face velocity of one pair from its linear velocity (finite cap only).
double capped_velocity(double v_lin, const Drive& d) {
  const double ratio = v_lin * d.inv_max_speed;
  const double v = v_lin / std::sqrt(1.0 + ratio * ratio);
  // Beyond |ratio| = 1e150 ratio * ratio overflows; the exact value is v_max to double precision.
  // |v| < v_max holds exactly; the clamp removes a last-bit overshoot of the rounded 1 / v_max.
  return std::abs(ratio) > 1e150 ? std::copysign(d.max_speed, ratio)
                                 : std::clamp(v, -d.max_speed, d.max_speed);
}

/// @brief Upwind flux v * N_face with the minmod-limited face value. Written as
/// max(v, 0) N_left + min(v, 0) N_right: one term is exactly 0, so this is the upwind product
/// bit for bit, without the branch that keeps the loop from vectorizing.
double upwind_flux(double v, double n_ll, double n_l, double n_r, double n_rr) {
  const double from_left = n_l + 0.5 * minmod(n_l - n_ll, n_r - n_l);
  const double from_right = n_r - 0.5 * minmod(n_r - n_l, n_rr - n_r);
  return std::max(v, 0.0) * from_left + std::min(v, 0.0) * from_right;
}

/// @brief Fluxes of @p count faces from their velocities (in @p f on entry) and the four rows of
/// densities around them.
void upwind_row(double* f, const double* n_ll, const double* n_l, const double* n_r,
                const double* n_rr, Index count) {
  for (Index i = 0; i < count; ++i) {
    f[i] = upwind_flux(f[i], n_ll[i], n_l[i], n_r[i], n_rr[i]);
  }
}

/// @brief Per-voxel rate factor 3/2 max(p, q) + 1/2 min(p, q) = p + q + |p - q| / 2 of the outflow
/// speeds p, q through the two faces of one axis (see the positivity argument at the top). The
/// second form lets a NaN velocity through (a max could drop it), and it vectorizes.
double outflow_rate(double v_low, double v_high) {
  const double p = std::max(v_high, 0.0);
  const double q = std::max(-v_low, 0.0);
  return p + q + 0.5 * std::abs(p - q);
}

using Inputs = std::span<const std::span<const double>>;

/// @brief Below this many voxels a pass runs on one thread: waking the team costs more than the
/// pass, and on an oversubscribed machine a barrier can wait for a descheduled thread. The results
/// do not depend on it (no pass has a thread-order-dependent result).
constexpr Index parallel_min_voxels = 8192;

}  // namespace

struct ChemotaxisSolver::Impl {
  grid::Grid grid;
  std::size_t num_species = 0;
  double cfl = 0.4;
  std::array<double, 3> inv_dx{};
  std::vector<Group> groups;
  bool coupled = false;  ///< some cell species is also a signal: velocities change inside a step

  Impl(const grid::Grid& g, const std::vector<ChemotaxisSpec>& pairs,
       const std::vector<grid::Boundary>& boundaries, double cfl_target);

  /// @brief Largest outflow rate max_i r_i and largest face speed of the state @p in, over the
  /// groups [g0, g1); with @p fill_cache the face velocities go to each group's cache too.
  std::pair<double, double> scan(Inputs in, std::size_t g0, std::size_t g1, bool fill_cache);
  /// @brief One forward-Euler stage of the groups [g0, g1) from @p in into out[g] (group g), or
  /// with @p heun the Heun average out[g] = (out[g] + in + dt L(in)) / 2.
  void stage(Inputs in, std::span<const std::span<double>> out, double dt, bool heun,
             std::size_t g0, std::size_t g1) const;

  /// @brief Velocity of the face between linear voxel indices @p l and @p r.
  static double face_velocity(const Group& g, Inputs in, Index l, Index r, double inv) {
    double v = 0.0;
    for (const Drive& d : g.drives) {
      const double* s = in[d.signal].data();
      const double v_lin = linear_velocity(d, s[l], s[r], inv);
      v += d.inv_max_speed == 0.0 ? v_lin : capped_velocity(v_lin, d);
    }
    return v;
  }

  /// @brief Velocities of @p count faces in a row: face i lies between the voxels ol + i and
  /// o_r + i (contiguous loops, one per pair).
  static void velocity_row(const Group& g, Inputs in, Index ol, Index o_r, Index count, double inv,
                           double* v) {
    std::fill(v, v + count, 0.0);
    for (const Drive& d : g.drives) {
      const double* sl = in[d.signal].data() + ol;
      const double* sr = in[d.signal].data() + o_r;
      if (d.inv_max_speed == 0.0) {
        for (Index i = 0; i < count; ++i) {
          v[i] += linear_velocity(d, sl[i], sr[i], inv);
        }
      } else {
        for (Index i = 0; i < count; ++i) {
          v[i] += capped_velocity(linear_velocity(d, sl[i], sr[i], inv), d);
        }
      }
    }
  }

  /// @brief Velocities of a row of y or z faces (all 0 for an inactive face); @p stride is the
  /// linear distance between neighbours along the axis, @p base the offset of the row at 0.
  void face_row_velocity(const Group& g, Inputs in, const FaceStencil& s, Index stride, Index base,
                         double inv, double* v) const {
    if (!s.active) {
      std::fill(v, v + grid.nx(), 0.0);
      return;
    }
    velocity_row(g, in, base + stride * s.l, base + stride * s.r, grid.nx(), inv, v);
  }

  /// @brief Fluxes of a row of y or z faces (see face_row_velocity); with @p cached the
  /// velocities are copied from there instead of computed.
  void face_row_flux(const Group& g, Inputs in, const FaceStencil& s, Index stride, Index base,
                     double inv, double* f, const double* cached) const {
    if (cached != nullptr && s.active) {
      std::copy(cached, cached + grid.nx(), f);
    } else {
      face_row_velocity(g, in, s, stride, base, inv, f);
    }
    if (!s.active) {
      return;
    }
    const double* n = in[g.cell].data() + base;
    const double* n_ll = n + stride * s.ll;
    const double* n_l = n + stride * s.l;
    const double* n_r = n + stride * s.r;
    const double* n_rr = n + stride * s.rr;
    upwind_row(f, n_ll, n_l, n_r, n_rr, grid.nx());
  }

  /// @brief Velocities of the nx + 1 x faces of the row starting at @p row.
  void x_velocities(const Group& g, Inputs in, Index row, double* v) const {
    const Index nx = grid.nx();
    v[0] = 0.0;
    v[nx] = 0.0;
    if (nx == 1) {
      return;
    }
    // Interior faces f = 1 .. nx-1 lie between voxels f-1 and f whatever the boundary.
    velocity_row(g, in, row, row + 1, nx - 1, inv_dx[0], v + 1);
    const FaceStencil& wrap = g.faces[0][0];
    if (wrap.active) {
      v[0] = face_velocity(g, in, row + wrap.l, row + wrap.r, inv_dx[0]);
      v[nx] = v[0];
    }
  }
};

ChemotaxisSolver::Impl::Impl(const grid::Grid& g, const std::vector<ChemotaxisSpec>& pairs,
                             const std::vector<grid::Boundary>& boundaries, double cfl_target)
    : grid(g), num_species(boundaries.size()), cfl(cfl_target) {
  if (!(cfl > 0.0 && cfl <= 1.0)) {
    throw core::InputError(
        "chemotaxis: cfl must be in (0, 1] (the fraction of the positivity limit "
        "a sub-step uses), got " +
        std::to_string(cfl));
  }
  for (std::size_t s = 0; s < boundaries.size(); ++s) {
    boundaries[s].validate("chemotaxis: boundary of species " + std::to_string(s));
  }
  constexpr std::array<grid::Axis, 3> axes{grid::Axis::x, grid::Axis::y, grid::Axis::z};
  constexpr std::array<const char*, 3> axis_names{"x", "y", "z"};
  for (std::size_t a = 0; a < 3; ++a) {
    inv_dx[a] = 1.0 / grid.spacing_mm(axes[a]);
  }

  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const ChemotaxisSpec& spec = pairs[p];
    const std::string where = "chemotaxis pair " + std::to_string(p) + ": ";
    const std::string count = std::to_string(num_species);
    if (spec.cell_species >= num_species) {
      throw core::InputError(where + "cell_species " + std::to_string(spec.cell_species) +
                             " is out of range; expected an index < " + count +
                             " (one boundary per species)");
    }
    if (spec.signal_species >= num_species) {
      throw core::InputError(where + "signal_species " + std::to_string(spec.signal_species) +
                             " is out of range; expected an index < " + count +
                             " (one boundary per species)");
    }
    if (spec.cell_species == spec.signal_species) {
      throw core::InputError(where + "cell_species and signal_species are both " +
                             std::to_string(spec.cell_species) + "; expected different species");
    }
    const double chi = spec.chemotactic_coefficient;
    if (!(chi >= 0.0) || !std::isfinite(chi)) {
      throw core::InputError(where + "chemotactic_coefficient must be finite and >= 0, got " +
                             std::to_string(chi));
    }
    const double v_max = spec.max_speed_mm_per_h;
    if (!(v_max > 0.0)) {
      throw core::InputError(where + "max_speed_mm_per_h must be > 0 (+infinity for a linear " +
                             "velocity), got " + std::to_string(v_max));
    }
    const grid::Boundary& cell_b = boundaries[spec.cell_species];
    const grid::Boundary& signal_b = boundaries[spec.signal_species];
    for (std::size_t a = 0; a < 3; ++a) {
      // A gradient across the wrap-around face only means something if the signal wraps too.
      if (grid.extent(axes[a]) > 1 && cell_b.periodic(axes[a]) && !signal_b.periodic(axes[a])) {
        throw core::InputError(where + "the cell species is periodic along " +
                               std::string(axis_names[a]) +
                               " but its signal is not; expected both periodic or neither");
      }
    }

    const Drive drive{spec.signal_species, chi, v_max, std::isinf(v_max) ? 0.0 : 1.0 / v_max};
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& gr) { return gr.cell == spec.cell_species; });
    if (it == groups.end()) {
      Group group;
      group.cell = spec.cell_species;
      for (std::size_t a = 0; a < 3; ++a) {
        group.faces[a] = face_stencils(grid.extent(axes[a]), cell_b.periodic(axes[a]));
      }
      group.stage.assign(static_cast<std::size_t>(grid.num_voxels()), 0.0);
      groups.push_back(std::move(group));
      it = std::prev(groups.end());
    }
    it->drives.push_back(drive);
  }
  for (const Group& a : groups) {
    for (const Group& b : groups) {
      for (const Drive& d : b.drives) {
        coupled = coupled || d.signal == a.cell;
      }
    }
  }
}

std::pair<double, double> ChemotaxisSolver::Impl::scan(Inputs in, std::size_t g0, std::size_t g1,
                                                       bool fill_cache) {
  const Index nx = grid.nx();
  const Index ny = grid.ny();
  const Index rows = ny * grid.nz();
  const auto unx = static_cast<std::size_t>(nx);
  double rate = 0.0;
  double speed = 0.0;
  bool finite = true;
#pragma omp parallel if (grid.num_voxels() >= parallel_min_voxels)
  {
    std::vector<double> vx(unx + 1), vy_lo(unx), vy_hi(unx), vz_lo(unx), vz_hi(unx);
    std::vector<double> rate_row(unx), speed_row(unx);
    for (std::size_t gi = g0; gi < g1; ++gi) {
      Group& g = groups[gi];
      Index previous = -2;
      // max is exact in any order, so the reduction is thread-count independent. No barrier
      // between groups: the results are complete at the end of the parallel region.
#pragma omp for schedule(static) nowait reduction(max : rate, speed) reduction(&& : finite)
      for (Index q = 0; q < rows; ++q) {
        const Index j = q % ny;
        const Index k = q / ny;
        const auto uj = static_cast<std::size_t>(j);
        const auto uk = static_cast<std::size_t>(k);
        x_velocities(g, in, nx * q, vx.data());
        if (q == previous + 1 && j > 0) {
          std::swap(vy_lo, vy_hi);
        } else {
          face_row_velocity(g, in, g.faces[1][uj], nx, nx * ny * k, inv_dx[1], vy_lo.data());
        }
        face_row_velocity(g, in, g.faces[1][uj + 1], nx, nx * ny * k, inv_dx[1], vy_hi.data());
        face_row_velocity(g, in, g.faces[2][uk], nx * ny, nx * j, inv_dx[2], vz_lo.data());
        face_row_velocity(g, in, g.faces[2][uk + 1], nx * ny, nx * j, inv_dx[2], vz_hi.data());
        previous = q;
        if (fill_cache) {
          // Each face is stored by exactly one row: its upper faces, and the lower ones of the
          // first row of an axis.
          std::copy(vx.begin(), vx.end(), g.vx.begin() + q * (nx + 1));
          const auto y_face = [&](Index f) { return g.vy.begin() + (k * (ny + 1) + f) * nx; };
          const auto z_face = [&](Index f) { return g.vz.begin() + (f * ny + j) * nx; };
          std::copy(vy_hi.begin(), vy_hi.end(), y_face(j + 1));
          if (j == 0)
            std::copy(vy_lo.begin(), vy_lo.end(), y_face(0));
          std::copy(vz_hi.begin(), vz_hi.end(), z_face(k + 1));
          if (k == 0)
            std::copy(vz_lo.begin(), vz_lo.end(), z_face(0));
        }
        // Branch-free, vectorizable per-voxel values first; the maxima over the row after.
        for (std::size_t i = 0; i < unx; ++i) {
          rate_row[i] = outflow_rate(vx[i], vx[i + 1]) * inv_dx[0] +
                        outflow_rate(vy_lo[i], vy_hi[i]) * inv_dx[1] +
                        outflow_rate(vz_lo[i], vz_hi[i]) * inv_dx[2];
          speed_row[i] = std::max({std::abs(vx[i + 1]), std::abs(vy_hi[i]), std::abs(vz_hi[i]),
                                   std::abs(vy_lo[i]), std::abs(vz_lo[i])});
        }
        double row_rate = 0.0;
        double row_speed = std::abs(vx[0]);
        bool row_finite = true;
        for (std::size_t i = 0; i < unx; ++i) {
          row_rate = std::max(row_rate, rate_row[i]);
          row_speed = std::max(row_speed, speed_row[i]);
          // Every face velocity enters the rate of a voxel beside it, and a NaN or Inf stays.
          row_finite = row_finite && std::isfinite(rate_row[i]);
        }
        rate = std::max(rate, row_rate);
        speed = std::max(speed, row_speed);
        finite = finite && row_finite;
      }
    }
  }
  if (!finite) {
    throw core::NumericalError("chemotaxis: a face velocity is NaN or Inf (non-finite signal)");
  }
  return {rate, speed};
}

void ChemotaxisSolver::Impl::stage(Inputs in, std::span<const std::span<double>> out, double dt,
                                   bool heun, std::size_t g0, std::size_t g1) const {
  const Index nx = grid.nx();
  const Index ny = grid.ny();
  const Index rows = ny * grid.nz();
  const auto unx = static_cast<std::size_t>(nx);
#pragma omp parallel if (grid.num_voxels() >= parallel_min_voxels)
  {
    // Face fluxes of the current row: x faces 0..nx, and the rows of y and z faces below and
    // above it. The y row above is reused as the row below for the next j of the same plane.
    std::vector<double> fx(unx + 1), fy_lo(unx), fy_hi(unx), fz_lo(unx), fz_hi(unx);
    for (std::size_t gi = g0; gi < g1; ++gi) {
      const Group& g = groups[gi];
      const double* n = in[g.cell].data();
      double* u = out[gi].data();
      Index previous = -2;
      // No barrier between groups: a stage writes only the outputs, which no group reads in it.
#pragma omp for schedule(static) nowait
      for (Index q = 0; q < rows; ++q) {
        const Index j = q % ny;
        const Index k = q / ny;
        const Index row = nx * q;
        const double* nrow = n + row;
        if (g.cached) {
          std::copy_n(g.vx.begin() + q * (nx + 1), nx + 1, fx.begin());
        } else {
          x_velocities(g, in, row, fx.data());
        }
        const auto y_cache = [&](Index f) {
          return g.cached ? g.vy.data() + (k * (ny + 1) + f) * nx : nullptr;
        };
        const auto z_cache = [&](Index f) {
          return g.cached ? g.vz.data() + (f * ny + j) * nx : nullptr;
        };
        // Faces 2 .. nx-2 have all four voxels inside the row: one contiguous loop. The (at most
        // four) faces near the ends take their neighbours from the stencil table.
        for (Index f = 2; f < nx - 1; ++f) {
          const auto uf = static_cast<std::size_t>(f);
          fx[uf] = upwind_flux(fx[uf], nrow[f - 2], nrow[f - 1], nrow[f], nrow[f + 1]);
        }
        for (Index f = 0; f <= nx; f = (f == 1 && nx - 1 > 2) ? nx - 1 : f + 1) {
          const FaceStencil& s = g.faces[0][static_cast<std::size_t>(f)];
          const auto uf = static_cast<std::size_t>(f);
          fx[uf] =
              s.active ? upwind_flux(fx[uf], nrow[s.ll], nrow[s.l], nrow[s.r], nrow[s.rr]) : 0.0;
        }
        // Reusing the row above is exact: the same face gives the same bits either way.
        if (q == previous + 1 && j > 0) {
          std::swap(fy_lo, fy_hi);
        } else {
          face_row_flux(g, in, g.faces[1][static_cast<std::size_t>(j)], nx, nx * ny * k, inv_dx[1],
                        fy_lo.data(), y_cache(j));
        }
        face_row_flux(g, in, g.faces[1][static_cast<std::size_t>(j + 1)], nx, nx * ny * k,
                      inv_dx[1], fy_hi.data(), y_cache(j + 1));
        face_row_flux(g, in, g.faces[2][static_cast<std::size_t>(k)], nx * ny, nx * j, inv_dx[2],
                      fz_lo.data(), z_cache(k));
        face_row_flux(g, in, g.faces[2][static_cast<std::size_t>(k + 1)], nx * ny, nx * j,
                      inv_dx[2], fz_hi.data(), z_cache(k + 1));
        previous = q;
        double* urow = u + row;
        for (std::size_t i = 0; i < unx; ++i) {
          const double divergence = (fx[i + 1] - fx[i]) * inv_dx[0] +
                                    (fy_hi[i] - fy_lo[i]) * inv_dx[1] +
                                    (fz_hi[i] - fz_lo[i]) * inv_dx[2];
          const double euler = nrow[i] - dt * divergence;
          urow[i] = heun ? 0.5 * (urow[i] + euler) : euler;
        }
      }
    }
  }
}

ChemotaxisSolver::ChemotaxisSolver(const grid::Grid& grid, std::vector<ChemotaxisSpec> pairs,
                                   std::vector<grid::Boundary> boundaries, double cfl)
    : _impl(std::make_unique<Impl>(grid, pairs, boundaries, cfl)) {}

ChemotaxisSolver::~ChemotaxisSolver() = default;
ChemotaxisSolver::ChemotaxisSolver(ChemotaxisSolver&&) noexcept = default;
ChemotaxisSolver& ChemotaxisSolver::operator=(ChemotaxisSolver&&) noexcept = default;

bool ChemotaxisSolver::empty() const {
  return _impl->groups.empty();
}

std::vector<std::size_t> ChemotaxisSolver::cell_species() const {
  std::vector<std::size_t> cells;
  for (const Group& g : _impl->groups)
    cells.push_back(g.cell);
  std::sort(cells.begin(), cells.end());
  return cells;
}

std::size_t ChemotaxisSolver::bytes_held() const {
  std::size_t bytes = 0;
  for (const Group& g : _impl->groups) {
    bytes += (g.stage.size() + g.vx.size() + g.vy.size() + g.vz.size()) * sizeof(double) +
             g.drives.size() * sizeof(Drive);
    for (const auto& f : g.faces) {
      bytes += f.size() * sizeof(FaceStencil);
    }
  }
  return bytes;
}

ChemotaxisStepStats ChemotaxisSolver::step(grid::FieldSet& fields, double dt_h) {
  Impl& im = *_impl;
  if (fields.num_species() != im.num_species || fields.grid().extent() != im.grid.extent()) {
    throw core::RunError("chemotaxis: the fields do not match the solver (expected " +
                         std::to_string(im.num_species) + " species on the solver's grid)");
  }
  if (!(dt_h >= 0.0) || !std::isfinite(dt_h)) {
    throw core::RunError("chemotaxis: the step must be finite and >= 0 h, got " +
                         std::to_string(dt_h));
  }
  ChemotaxisStepStats stats;
  if (im.groups.empty() || dt_h == 0.0) {
    return stats;
  }

  const std::size_t ns = fields.num_species();
  std::vector<std::span<const double>> fields_in(ns);
  for (std::size_t s = 0; s < ns; ++s) {
    fields_in[s] = fields[s];
  }
  // Stage-1 inputs: the cell species from their stage copies, everything else from the fields.
  std::vector<std::span<const double>> copies_in = fields_in;
  std::vector<std::span<double>> to_fields(im.groups.size());
  std::vector<std::span<double>> to_copies(im.groups.size());
  for (std::size_t gi = 0; gi < im.groups.size(); ++gi) {
    Group& g = im.groups[gi];
    copies_in[g.cell] = g.stage;
    to_fields[gi] = fields[g.cell];
    to_copies[gi] = g.stage;
  }

  // Groups whose velocities no other group changes are sub-cycled each under its own CFL limit
  // (neutrophils move 30 times faster than fibroblasts); coupled groups share one sub-cycle.
  const auto sub_cycle = [&](std::size_t g0, std::size_t g1) {
    double rate = 0.0;
    double speed = 0.0;
    // Without coupling the velocities hold for the whole step: computed once, here.
    const bool cache = !im.coupled;
    if (cache) {
      const auto n = static_cast<std::size_t>(im.grid.num_voxels());
      const auto nx = static_cast<std::size_t>(im.grid.nx());
      const auto ny = static_cast<std::size_t>(im.grid.ny());
      const auto nz = static_cast<std::size_t>(im.grid.nz());
      for (std::size_t gi = g0; gi < g1; ++gi) {
        Group& g = im.groups[gi];
        g.vx.resize(n + ny * nz);
        g.vy.resize(n + nx * nz);
        g.vz.resize(n + nx * ny);
      }
    }
    std::tie(rate, speed) = im.scan(fields_in, g0, g1, cache);
    for (std::size_t gi = g0; gi < g1; ++gi)
      im.groups[gi].cached = cache;
    stats.max_speed_mm_per_h = std::max(stats.max_speed_mm_per_h, speed);
    if (rate == 0.0) {
      for (std::size_t gi = g0; gi < g1; ++gi)
        im.groups[gi].cached = false;
      return;  // no face of these groups moves anything
    }
    const auto split = [&](double interval, double r) {
      const double n = std::ceil(interval * r / im.cfl);
      if (!(n < static_cast<double>(std::numeric_limits<int>::max()))) {
        throw core::NumericalError("chemotaxis: a step of " + std::to_string(interval) +
                                   " h would need more than 2^31 sub-steps (outflow rate " +
                                   std::to_string(r) + " 1/h)");
      }
      return std::max(1, static_cast<int>(n));
    };
    int remaining = split(dt_h, rate);
    double dt_sub = dt_h / remaining;

    for (std::size_t gi = g0; gi < g1; ++gi) {
      const auto src = fields[im.groups[gi].cell];
      std::copy(src.begin(), src.end(), im.groups[gi].stage.begin());
    }
    bool first = true;
    while (remaining > 0) {
      if (im.coupled && !first) {
        // The signal moved with the cells: re-measure and re-split what is left if needed.
        std::tie(rate, speed) = im.scan(copies_in, g0, g1, false);
        stats.max_speed_mm_per_h = std::max(stats.max_speed_mm_per_h, speed);
        if (dt_sub * rate > im.cfl) {
          const double left = dt_sub * remaining;
          remaining = split(left, rate);
          dt_sub = left / remaining;
        }
      }
      im.stage(copies_in, to_fields, dt_sub, false, g0, g1);
      im.stage(fields_in, to_copies, dt_sub, true, g0, g1);
      --remaining;
      ++stats.sub_steps;
      first = false;
    }
    for (std::size_t gi = g0; gi < g1; ++gi) {
      Group& g = im.groups[gi];
      std::copy(g.stage.begin(), g.stage.end(), fields[g.cell].begin());
      g.cached = false;
    }
  };
  if (im.coupled) {
    sub_cycle(0, im.groups.size());
  } else {
    for (std::size_t gi = 0; gi < im.groups.size(); ++gi)
      sub_cycle(gi, gi + 1);
  }
  return stats;
}

}  // namespace microheal::solver
