// Verification of the implicit diffusion solver against analytic solutions: observed orders in
// space and time, exact layered steady states, conservation, behaviour at very large steps and
// thread-count independence.

#include <omp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "microheal/solver/diffusion.hpp"

namespace {

using microheal::Index;
using microheal::grid::Axis;
using microheal::grid::Boundary;
using microheal::grid::BoundaryKind;
using microheal::grid::Face;
using microheal::grid::FieldSet;
using microheal::grid::Grid;
using microheal::solver::DiffusionSolver;
using microheal::solver::DiffusionSpec;
using microheal::solver::ErrorWeights;

constexpr double pi = std::numbers::pi;

ErrorWeights loose_weights(std::size_t n) {
  return ErrorWeights::uniform(n, 1e-3, 1e-6);
}

DiffusionSpec spec(double d, Boundary b, double decay = 0.0) {
  DiffusionSpec s;
  s.diffusivity_mm2_per_h = d;
  s.boundary = b;
  s.decay_per_h = decay;
  return s;
}

template <class F>
void fill(const Grid& g, FieldSet& f, std::size_t s, F&& value) {
  for (Index k = 0; k < g.nz(); ++k) {
    for (Index j = 0; j < g.ny(); ++j) {
      for (Index i = 0; i < g.nx(); ++i) {
        f[s][static_cast<std::size_t>(g.index(i, j, k))] =
            value(g.center_mm(Axis::x, i), g.center_mm(Axis::y, j), g.center_mm(Axis::z, k));
      }
    }
  }
}

// Free-space heat kernel of unit mass centred at c, at time t (spread 2 D t per axis).
double gaussian(double d, double t, double x, double y, double z, double c) {
  const double r2 = (x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c);
  return std::pow(4 * pi * d * t, -1.5) * std::exp(-r2 / (4 * d * t));
}

struct Errors {
  double max = 0.0;
  double l2 = 0.0;
};

// Gaussian pulse on [0, 1]^3 with zero flux (the pulse never reaches the faces), N^3 voxels,
// from t0 to t0 + T with D dt / dx^2 fixed, so the O(dt^2) time error is O(dx^4) and the
// measured error is the spatial O(dx^2) one. Errors relative to the peak.
Errors gaussian_errors(Index n) {
  const double d = 1.0;
  const double t0 = 0.0032;  // initial spread sigma = 0.08 mm
  const double t_end = 0.0050;
  const double c = 0.5;
  const Grid g = Grid::uniform({n, n, n}, 1.0 / static_cast<double>(n));
  FieldSet f(g, {"c"});
  fill(g, f, 0, [&](double x, double y, double z) { return gaussian(d, t0, x, y, z, c); });
  DiffusionSolver solver(g, {spec(d, Boundary::zero_flux())});
  const double dx = 1.0 / static_cast<double>(n);
  const auto steps = static_cast<int>(std::ceil((t_end - t0) / (0.5 * dx * dx / d)));
  const double dt = (t_end - t0) / steps;
  for (int s = 0; s < steps; ++s)
    solver.step(f, dt, loose_weights(1));
  const double peak = gaussian(d, t_end, c, c, c, c);
  Errors e;
  for (Index k = 0; k < n; ++k) {
    for (Index j = 0; j < n; ++j) {
      for (Index i = 0; i < n; ++i) {
        const double exact = gaussian(d, t_end, g.center_mm(Axis::x, i), g.center_mm(Axis::y, j),
                                      g.center_mm(Axis::z, k), c);
        const double diff = f[0][static_cast<std::size_t>(g.index(i, j, k))] - exact;
        e.max = std::max(e.max, std::abs(diff) / peak);
        e.l2 += diff * diff;
      }
    }
  }
  e.l2 = std::sqrt(e.l2 / static_cast<double>(g.num_voxels())) / peak;
  return e;
}

void check_space_order(const std::vector<Index>& sizes) {
  std::vector<Errors> errs;
  for (const Index n : sizes)
    errs.push_back(gaussian_errors(n));
  for (std::size_t i = 1; i < sizes.size(); ++i) {
    const double ratio = static_cast<double>(sizes[i]) / static_cast<double>(sizes[i - 1]);
    const double order_max = std::log(errs[i - 1].max / errs[i].max) / std::log(ratio);
    const double order_l2 = std::log(errs[i - 1].l2 / errs[i].l2) / std::log(ratio);
    INFO("N = " << sizes[i - 1] << " -> " << sizes[i] << ": max error " << errs[i - 1].max << " -> "
                << errs[i].max << " (order " << order_max << "), rms error " << errs[i - 1].l2
                << " -> " << errs[i].l2 << " (order " << order_l2 << ")");
    CHECK(order_max == Approx(2.0).margin(0.2));
    CHECK(order_l2 == Approx(2.0).margin(0.2));
    WARN("space order N=" << sizes[i - 1] << "->" << sizes[i] << ": max " << order_max << ", rms "
                          << order_l2);
  }
}

}  // namespace

TEST_CASE("3D Gaussian: second order in space", "[diffusion][verification]") {
  check_space_order({32, 64});
}

TEST_CASE("3D Gaussian: second order in space, finer study", "[diffusion][verification][slow]") {
  check_space_order({32, 64, 128});
}

namespace {

// Cosine modes are exact eigenvectors of the cell-centred zero-flux Laplacian, so the exact
// solution of the semi-discrete system is known and the measured error is the time error alone.
double mode_eigenvalue(Index n, double dx, int wave, double d) {
  return -d * (2.0 - 2.0 * std::cos(pi * wave / static_cast<double>(n))) / (dx * dx);
}

}  // namespace

TEST_CASE("time order at a fixed grid: 2 for step(), 1 for backward Euler",
          "[diffusion][verification]") {
  const Index n = 16;
  const double dx = 1.0 / n;
  const Grid g = Grid::uniform({n, n, n}, dx);
  const double d = 0.02;
  const double decay = 0.7;
  const std::array<int, 3> wave{1, 2, 3};
  double lambda = -decay;
  for (const int w : wave)
    lambda += mode_eigenvalue(n, dx, w, d);
  auto mode = [&](double x, double y, double z) {
    return std::cos(wave[0] * pi * x) * std::cos(wave[1] * pi * y) * std::cos(wave[2] * pi * z);
  };
  const double t_end = 1.0;
  DiffusionSolver solver(g, {spec(d, Boundary::zero_flux(), decay)});
  auto error = [&](int steps, bool extrapolated) {
    FieldSet f(g, {"c"});
    fill(g, f, 0, mode);
    const double dt = t_end / steps;
    for (int s = 0; s < steps; ++s) {
      if (extrapolated) {
        solver.step(f, dt, loose_weights(1));
      } else {
        solver.step_backward_euler(f, dt);
      }
    }
    double e = 0.0;
    for (Index k = 0; k < n; ++k) {
      for (Index j = 0; j < n; ++j) {
        for (Index i = 0; i < n; ++i) {
          const double exact =
              std::exp(lambda * t_end) *
              mode(g.center_mm(Axis::x, i), g.center_mm(Axis::y, j), g.center_mm(Axis::z, k));
          e = std::max(e, std::abs(f[0][static_cast<std::size_t>(g.index(i, j, k))] - exact));
        }
      }
    }
    return e;
  };
  // |h lambda| <= 0.1: the asymptotic range of the O(h^2) term.
  const double e2a = error(32, true);
  const double e2b = error(64, true);
  const double e2c = error(128, true);
  const double e1a = error(16, false);
  const double e1b = error(32, false);
  const double e1c = error(64, false);
  INFO("step(): " << e2a << " " << e2b << " " << e2c << "; backward Euler: " << e1a << " " << e1b
                  << " " << e1c);
  CHECK(std::log2(e2a / e2b) == Approx(2.0).margin(0.1));
  CHECK(std::log2(e2b / e2c) == Approx(2.0).margin(0.1));
  CHECK(std::log2(e1a / e1b) == Approx(1.0).margin(0.1));
  CHECK(std::log2(e1b / e1c) == Approx(1.0).margin(0.1));
  WARN("time order step(): " << std::log2(e2a / e2b) << ", " << std::log2(e2b / e2c)
                             << "; backward Euler: " << std::log2(e1a / e1b) << ", "
                             << std::log2(e1b / e1c));
}

TEST_CASE("time order with layered diffusivity, Dirichlet faces and decay (splitting error)",
          "[diffusion][verification]") {
  // Here the axis operators do not commute, so this also checks that the LOD splitting error
  // cancels in the extrapolation. Reference: the same scheme with a 16 times smaller step.
  const Grid g({12, 10, 14}, {0.1, 0.1, 0.05});
  Boundary b = Boundary::periodic_xy();
  b.at(Face::z_low) = {BoundaryKind::fixed_value, 1.0};
  b.at(Face::z_high) = {BoundaryKind::fixed_value, 0.0};
  DiffusionSpec s = spec(0.05, b, 0.3);
  s.z_factor.assign(14, 1.0);
  for (int k = 5; k < 9; ++k)
    s.z_factor[static_cast<std::size_t>(k)] = 0.1;
  DiffusionSolver solver(g, {s});
  auto run = [&](int steps) {
    FieldSet f(g, {"c"});
    // Initial data that meet the face values (1 at z = 0, 0 at z = 0.7): data that jump at a
    // Dirichlet face start a boundary layer, which reduces the observed order of any scheme.
    fill(g, f, 0, [](double x, double y, double z) {
      return 1.0 - z / 0.7 +
             std::sin(pi * z / 0.7) * std::sin(2 * pi * x / 1.2) * std::cos(2 * pi * y);
    });
    for (int i = 0; i < steps; ++i)
      solver.step(f, 0.2 / steps, loose_weights(1));
    return std::vector<double>(f[0].begin(), f[0].end());
  };
  const std::vector<double> ref = run(1024);
  auto err = [&](int steps) {
    const std::vector<double> u = run(steps);
    double e = 0.0;
    for (std::size_t i = 0; i < u.size(); ++i)
      e = std::max(e, std::abs(u[i] - ref[i]));
    return e;
  };
  const double ea = err(16);
  const double eb = err(32);
  const double ec = err(64);
  INFO("errors " << ea << " " << eb << " " << ec);
  CHECK(std::log2(ea / eb) == Approx(2.0).margin(0.2));
  CHECK(std::log2(eb / ec) == Approx(2.0).margin(0.2));
  WARN("time order (layered): " << std::log2(ea / eb) << ", " << std::log2(eb / ec));
}

namespace {

// Steady state of a layered column between fixed values: the flux q is the same in every layer
// and u is piecewise linear, u(z) = g_lo + q * integral_0^z dz'/D. With the layer interfaces on
// faces and the harmonic face diffusivity, the discrete solution equals it at the voxel centres.
std::vector<double> layered_exact(const std::vector<double>& d_of_k, double dz, double g_lo,
                                  double g_hi) {
  double resistance = 0.0;
  for (const double d : d_of_k)
    resistance += dz / d;
  const double q = (g_hi - g_lo) / resistance;
  std::vector<double> u(d_of_k.size());
  double r = 0.0;
  for (std::size_t k = 0; k < d_of_k.size(); ++k) {
    u[k] = g_lo + q * (r + 0.5 * dz / d_of_k[k]);
    r += dz / d_of_k[k];
  }
  return u;
}

}  // namespace

TEST_CASE("layered steady state equals the piecewise-linear analytic solution",
          "[diffusion][verification]") {
  const Index nz = 24;
  const double dz = 0.01;
  const Grid g({6, 5, nz}, {0.05, 0.05, dz});
  // Epidermis, papillary and reticular dermis: diffusivities an order of magnitude apart.
  std::vector<double> factor(nz, 1.0);
  for (Index k = 4; k < 10; ++k)
    factor[static_cast<std::size_t>(k)] = 8.0;
  for (Index k = 10; k < nz; ++k)
    factor[static_cast<std::size_t>(k)] = 0.5;
  const double base = 0.02;
  Boundary b;
  b.at(Face::z_low) = {BoundaryKind::fixed_value, 3.0};
  b.at(Face::z_high) = {BoundaryKind::fixed_value, 0.5};
  DiffusionSpec layered = spec(base, b);
  layered.z_factor = factor;
  DiffusionSpec voxel = spec(0.0, b);
  voxel.voxel_diffusivity_mm2_per_h.resize(static_cast<std::size_t>(g.num_voxels()));
  for (Index p = 0; p < g.num_voxels(); ++p) {
    voxel.voxel_diffusivity_mm2_per_h[static_cast<std::size_t>(p)] =
        base * factor[static_cast<std::size_t>(p / (6 * 5))];
  }
  std::vector<double> d_of_k(factor.size());
  for (std::size_t k = 0; k < factor.size(); ++k)
    d_of_k[k] = base * factor[k];
  const std::vector<double> exact = layered_exact(d_of_k, dz, 3.0, 0.5);

  FieldSet f(g, {"layered", "voxel"});
  f.fill(0, 1.0);
  f.fill(1, 1.0);
  DiffusionSolver solver(g, {layered, voxel});
  // Steps far beyond the slowest relaxation time (dz^2 nz^2 / D ~ 3 h): L-stability takes the
  // scheme to the steady state without oscillation.
  for (int s = 0; s < 6; ++s)
    solver.step(f, 1e5, loose_weights(2));
  for (std::size_t sp = 0; sp < 2; ++sp) {
    double err = 0.0;
    for (Index p = 0; p < g.num_voxels(); ++p) {
      err = std::max(err, std::abs(f[sp][static_cast<std::size_t>(p)] -
                                   exact[static_cast<std::size_t>(p / 30)]));
    }
    INFO("species " << sp << ": max deviation from the layered solution " << err);
    CHECK(err < 1e-11);
  }
}

TEST_CASE("mass is conserved with zero-flux and periodic faces", "[diffusion][verification]") {
  const Grid g({14, 11, 9}, {0.05, 0.06, 0.04});
  std::vector<double> layers(9, 1.0);
  layers[3] = 0.05;
  layers[4] = 0.05;
  layers[7] = 4.0;
  DiffusionSpec zero = spec(0.1, Boundary::zero_flux());
  zero.z_factor = layers;
  DiffusionSpec lateral = spec(0.1, Boundary::periodic_xy());
  lateral.z_factor = layers;
  DiffusionSpec ring = spec(0.1, Boundary::periodic_all());
  DiffusionSpec voxel = spec(0.0, Boundary::periodic_all());
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  voxel.voxel_diffusivity_mm2_per_h.resize(static_cast<std::size_t>(g.num_voxels()));
  for (double& d : voxel.voxel_diffusivity_mm2_per_h)
    d = 0.02 + 0.2 * dist(gen);
  FieldSet f(g, {"zero", "lateral", "ring", "voxel"});
  for (std::size_t s = 0; s < 4; ++s) {
    for (double& v : f[s])
      v = dist(gen);
  }
  std::vector<double> m0;
  for (std::size_t s = 0; s < 4; ++s)
    m0.push_back(f.integral(s));
  DiffusionSolver solver(g, {zero, lateral, ring, voxel});
  // D dt / dx^2 between 0.5 and 6: the regime of a real run.
  for (int step = 0; step < 1000; ++step)
    solver.step(f, 0.01, loose_weights(4));
  for (std::size_t s = 0; s < 4; ++s) {
    const double drift = std::abs(f.integral(s) - m0[s]) / m0[s];
    INFO("species " << f.names()[s] << ": relative mass drift " << drift);
    CHECK(drift < 1e-12);
  }
}

TEST_CASE("very large steps: a point source stays bounded and its undershoot decays",
          "[diffusion][verification]") {
  // Crank-Nicolson has the amplification factor (1 + z/2)/(1 - z/2) -> -1 for stiff modes, so at
  // D dt / dx^2 = 100 a point source rings: the sign of its high-frequency content flips every
  // step and the undershoot persists. The extrapolated LOD backward Euler is L-stable: its factor
  // 2/(1 - z/2)^2 - 1/(1 - z) -> 0, so the stiff modes are damped and the undershoot (the most
  // negative value) shrinks from one step to the next.
  const Index n = 65;
  const double dx = 0.01;
  const Grid g = Grid::uniform({n, n, n}, dx);
  const double d = 1.0;
  const double dt = 100.0 * dx * dx / d;
  FieldSet f(g, {"c"});
  const double peak = 1.0 / g.voxel_volume_mm3();
  f[0][static_cast<std::size_t>(g.index(n / 2, n / 2, n / 2))] = peak;
  DiffusionSolver solver(g, {spec(d, Boundary::zero_flux())});
  double previous_min = 0.0;
  double previous_max = peak;
  double first_min = 0.0;
  for (int s = 0; s < 8; ++s) {
    solver.step(f, dt, loose_weights(1));
    const auto [lo, hi] = std::minmax_element(f[0].begin(), f[0].end());
    INFO("step " << s << ": min " << *lo << ", max " << *hi);
    CHECK(*hi <= previous_max);  // no growth, ever
    if (s == 0) {
      first_min = *lo;
    } else {
      CHECK(*lo >= previous_min);  // the undershoot only shrinks
    }
    previous_min = *lo;
    previous_max = *hi;
  }
  INFO("undershoot after the first step " << first_min << ", after 12 steps " << previous_min);
  CHECK(first_min < 0.0);  // the scheme is not positive, so there is something to decay
  CHECK(std::abs(std::min(previous_min, 0.0)) < 1e-3 * std::abs(first_min));
}

TEST_CASE("the stiffest mode is damped by the L-stable factor, not reflected as by Crank-Nicolson",
          "[diffusion][verification]") {
  // The checkerboard (-1)^i on a periodic line is the eigenvector of the largest eigenvalue
  // -4 D / dx^2, so one step multiplies it by exactly R(z), z = -4 D dt / dx^2.
  const Index n = 16;
  const double dx = 0.01;
  const double d = 1.0;
  const double dt = 100.0 * dx * dx / d;
  const Grid g = Grid::uniform({n, 1, 1}, dx);
  FieldSet f(g, {"c"});
  for (Index i = 0; i < n; ++i)
    f[0][static_cast<std::size_t>(i)] = i % 2 == 0 ? 1.0 : -1.0;
  DiffusionSolver solver(g, {spec(d, Boundary::periodic_all())});
  solver.step(f, dt, loose_weights(1));
  const double z = -4.0 * d * dt / (dx * dx);
  const double extrapolated = 2.0 / ((1.0 - z / 2) * (1.0 - z / 2)) - 1.0 / (1.0 - z);
  const double crank_nicolson = (1.0 + z / 2) / (1.0 - z / 2);
  CHECK(f[0][0] == Approx(extrapolated).epsilon(1e-10));
  CHECK(f[0][1] == Approx(-extrapolated).epsilon(1e-10));
  CHECK(std::abs(extrapolated) < 3e-3);  // damped 400-fold per step
  CHECK(crank_nicolson < -0.99);         // what CN would do: flip and keep 99.5 %
}

TEST_CASE("fields are bitwise identical on 1 to 4 threads", "[diffusion][verification]") {
  // Odd extents (ragged SIMD blocks and chunks), large enough to run on several threads. Two
  // species take the fast path: 2 threads make two teams of one, 3 threads teams of two and one
  // (slab-synchronised), 4 threads two teams of two.
  const Grid g({101, 91, 31}, {0.02, 0.02, 0.015});
  std::vector<DiffusionSpec> specs;
  specs.push_back(spec(0.5, Boundary::zero_flux(), 0.1));
  DiffusionSpec layered = spec(0.3, Boundary::periodic_xy(), 0.05);
  layered.z_factor.assign(31, 1.0);
  for (int k = 0; k < 6; ++k)
    layered.z_factor[static_cast<std::size_t>(k)] = 0.2;
  layered.boundary.at(Face::z_low) = {BoundaryKind::fixed_value, 2.0};
  specs.push_back(layered);
  DiffusionSpec voxel = spec(0.0, Boundary::periodic_all());
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  voxel.voxel_diffusivity_mm2_per_h.resize(static_cast<std::size_t>(g.num_voxels()));
  for (double& dv : voxel.voxel_diffusivity_mm2_per_h)
    dv = 0.05 + 0.5 * dist(gen);
  specs.push_back(voxel);
  FieldSet init(g, {"a", "b", "c"});
  for (std::size_t s = 0; s < 3; ++s) {
    for (double& v : init[s])
      v = dist(gen);
  }
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    FieldSet f(g, {"a", "b", "c"});
    f.copy_from(init);
    DiffusionSolver solver(g, specs);
    std::vector<double> errors;
    for (int s = 0; s < 4; ++s)
      errors.push_back(solver.step(f, 0.004, loose_weights(3)));
    solver.step_backward_euler(f, 0.004);
    omp_set_num_threads(saved);
    return std::make_pair(std::move(f), errors);
  };
  const auto [f1, e1] = run(1);
  for (const int threads : {2, 3, 4}) {
    INFO("threads " << threads);
    const auto [fn, en] = run(threads);
    CHECK(e1 == en);
    for (std::size_t s = 0; s < 3; ++s) {
      INFO("species " << s);
      CHECK(std::equal(f1[s].begin(), f1[s].end(), fn[s].begin()));
    }
  }
}
