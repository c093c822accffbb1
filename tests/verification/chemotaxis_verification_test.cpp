// Keller-Segel steady state: cells diffusing with D and climbing a fixed signal S with chi (no
// velocity cap, zero-flux walls) settle where the diffusive and chemotactic fluxes cancel,
// D grad N = chi N grad S, that is N = C exp(chi S / D) with C fixed by the mass.

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <vector>

#include "microheal/grid/boundary.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/chemotaxis.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/integrator.hpp"

using namespace microheal;
using grid::Axis;

namespace {

constexpr double diffusivity = 0.1;  // mm^2/h
constexpr double chi = 0.1;          // mm^2/(h * signal unit): chi / D = 1 per signal unit

struct KellerSegelResult {
  double error = 0.0;       ///< max |N - N_exact| / max N_exact
  double mass_drift = 0.0;  ///< relative change of the cell mass
  double min_cells = 0.0;
  bool signal_unchanged = false;
  long steps = 0;
  long sub_steps = 0;
};

/// Cells start uniform on the unit square (cube) of n voxels per active axis; the signal
/// S = 1 + prod cos(pi x_a) has zero normal derivative on the walls. Integrates to @p t_end_h.
KellerSegelResult keller_segel(std::array<Index, 3> extent, double t_end_h,
                               const solver::StepControl& control) {
  const Index n = *std::max_element(extent.begin(), extent.end());
  const auto g = grid::Grid::uniform(extent, 1.0 / static_cast<double>(n));
  grid::FieldSet f(g, {"cells", "signal"});
  f.fill(0, 1.0);
  std::vector<double> exact(static_cast<std::size_t>(g.num_voxels()));
  for (Index k = 0; k < g.nz(); ++k) {
    for (Index j = 0; j < g.ny(); ++j) {
      for (Index i = 0; i < g.nx(); ++i) {
        const std::array<Index, 3> idx{i, j, k};
        double s = 1.0;
        for (int a = 0; a < 3; ++a) {
          const Axis axis = static_cast<Axis>(a);
          if (g.extent(axis) == 1)
            continue;
          s *= std::cos(std::numbers::pi * g.center_mm(axis, idx[static_cast<std::size_t>(a)]));
        }
        const auto c = static_cast<std::size_t>(g.index(i, j, k));
        // Shifted to be non-negative like every concentration (the integrator rejects negatives).
        f[1][c] = 1.0 + s;
        exact[c] = std::exp(chi * f[1][c] / diffusivity);
      }
    }
  }
  const auto zero_flux = grid::Boundary::zero_flux();
  // The signal is immobile and nothing reacts: it stays exactly as set.
  solver::DiffusionSolver diffusion(
      g, {solver::DiffusionSpec{true, diffusivity, {}, {}, 0.0, zero_flux},
          solver::DiffusionSpec{false, 0.0, {}, {}, 0.0, zero_flux}});
  solver::ChemotaxisSolver chemotaxis(
      g, {solver::ChemotaxisSpec{0, 1, chi, std::numeric_limits<double>::infinity()}},
      {zero_flux, zero_flux});
  solver::SplitIntegrator integrator(std::move(diffusion), std::move(chemotaxis), nullptr, control,
                                     2);
  const double m0 = f.integral(0);
  const std::vector<double> signal(f[1].begin(), f[1].end());
  double t = 0.0;
  integrator.advance_to(f, t, t_end_h);

  // Normalise the exact profile to the discrete mass (same quadrature as the cells).
  const double scale = m0 / (grid::deterministic_sum(g, exact) * g.voxel_volume_mm3());
  double err = 0.0;
  double peak = 0.0;
  for (std::size_t c = 0; c < exact.size(); ++c) {
    err = std::max(err, std::abs(f[0][c] - scale * exact[c]));
    peak = std::max(peak, scale * exact[c]);
  }
  KellerSegelResult r;
  r.error = err / peak;
  r.mass_drift = std::abs(f.integral(0) - m0) / m0;
  r.min_cells = *std::min_element(f[0].begin(), f[0].end());
  r.signal_unchanged = std::equal(signal.begin(), signal.end(), f[1].begin());
  r.steps = integrator.statistics().steps_accepted;
  r.sub_steps = integrator.statistics().chemotaxis_sub_steps;
  return r;
}

/// Fixed steps proportional to the voxel size. The adaptive controller bounds the local errors of
/// the diffusion (and reaction) stages, not the splitting error, and at the steady state only the
/// splitting error is left: O(dt^2) with dt ~ h it scales like the O(h^2) space error, so the
/// observed order is that of the whole method. At 32^2 it is ~1.5% of the total error (measured
/// against dt -> 0).
solver::StepControl fixed_steps(Index n) {
  solver::StepControl c;
  c.adaptive = false;
  c.dt_initial_h = 0.08 / static_cast<double>(n);
  return c;
}

// The slowest relaxation rate is about D pi^2 = 1 / h (the signal only deepens the well), so 12 h
// leave e^-12 ~ 6e-6 of the initial transient, 1% of the space error at 32^2.
constexpr double t_steady_h = 12.0;

}  // namespace

TEST_CASE("Keller-Segel steady state N ~ exp(chi S / D) in 2D", "[chemotaxis][verification]") {
  const auto coarse = keller_segel({16, 16, 1}, t_steady_h, fixed_steps(16));
  const auto fine = keller_segel({32, 32, 1}, t_steady_h, fixed_steps(32));
  const double order = std::log2(coarse.error / fine.error);
  INFO("errors " << coarse.error << " (16^2) " << fine.error << " (32^2), order " << order
                 << "; steps " << coarse.steps << " " << fine.steps << ", sub-steps "
                 << coarse.sub_steps << " " << fine.sub_steps);
  CHECK(fine.error < 1e-2);
  CHECK(order > 1.7);
  CHECK(order < 2.3);
  CHECK(fine.mass_drift < 1e-12);
  CHECK(fine.min_cells > 0.0);
  CHECK(fine.signal_unchanged);
}

TEST_CASE("Keller-Segel steady state converges at second order in 1D, 2D and 3D",
          "[chemotaxis][verification][slow]") {
  const auto study = [](auto make_extent, std::vector<Index> sizes) {
    std::vector<double> errors;
    for (const Index n : sizes) {
      const auto r = keller_segel(make_extent(n), t_steady_h, fixed_steps(n));
      INFO("n = " << n << " error " << r.error << " steps " << r.steps);
      CHECK(r.mass_drift < 1e-12);
      errors.push_back(r.error);
    }
    for (std::size_t m = 1; m < errors.size(); ++m) {
      const double ratio = static_cast<double>(sizes[m]) / static_cast<double>(sizes[m - 1]);
      const double order = std::log(errors[m - 1] / errors[m]) / std::log(ratio);
      INFO("n = " << sizes[m] << " error " << errors[m] << ", order " << order);
      CHECK(order > 1.7);
      CHECK(order < 2.3);
    }
  };
  SECTION("1D") {
    study([](Index n) { return std::array<Index, 3>{n, 1, 1}; }, {32, 64, 128});
  }
  SECTION("2D") {
    study([](Index n) { return std::array<Index, 3>{n, n, 1}; }, {16, 32, 64});
  }
  SECTION("3D") {
    study([](Index n) { return std::array<Index, 3>{n, n, n}; }, {8, 12, 16});
  }
}
