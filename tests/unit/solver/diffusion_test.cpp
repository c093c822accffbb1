#include "microheal/solver/diffusion.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"

namespace {

using microheal::Index;
using microheal::core::InputError;
using microheal::grid::Axis;
using microheal::grid::Boundary;
using microheal::grid::BoundaryKind;
using microheal::grid::Face;
using microheal::grid::FieldSet;
using microheal::grid::Grid;
using microheal::solver::DiffusionSolver;
using microheal::solver::DiffusionSpec;
using microheal::solver::ErrorWeights;

// Weights whose weighted error is the plain absolute difference.
ErrorWeights absolute_weights(std::size_t n) {
  return ErrorWeights{std::vector<double>(n, 1e-300), std::vector<double>(n, 1.0)};
}

double voxel_diffusivity(const Grid& g, const DiffusionSpec& sp, Index p) {
  if (!sp.voxel_diffusivity_mm2_per_h.empty()) {
    return sp.voxel_diffusivity_mm2_per_h[static_cast<std::size_t>(p)];
  }
  if (!sp.z_factor.empty()) {
    return sp.diffusivity_mm2_per_h * sp.z_factor[static_cast<std::size_t>(p / (g.nx() * g.ny()))];
  }
  return sp.diffusivity_mm2_per_h;
}

// The backward-Euler matrix (I - h A_axis) and boundary source of one axis on the whole grid,
// assembled voxel by voxel from the finite-volume fluxes (independently of the solver's line code).
struct DenseAxis {
  Eigen::MatrixXd m;
  Eigen::VectorXd g;
};

DenseAxis dense_axis(const Grid& g, const DiffusionSpec& sp, Axis axis, double h) {
  const Index nv = g.num_voxels();
  DenseAxis out{Eigen::MatrixXd::Identity(nv, nv), Eigen::VectorXd::Zero(nv)};
  const Index n = g.extent(axis);
  if (n == 1)
    return out;
  const int nact = g.active_dimensions();
  const double dx = g.spacing_mm(axis);
  const double r = h / (dx * dx);
  const int a = static_cast<int>(axis);
  for (Index k = 0; k < g.nz(); ++k) {
    for (Index j = 0; j < g.ny(); ++j) {
      for (Index i = 0; i < g.nx(); ++i) {
        const Index p = g.index(i, j, k);
        const double dp = voxel_diffusivity(g, sp, p);
        out.m(p, p) += h * sp.decay_per_h / nact;
        for (const int dir : {-1, 1}) {
          std::array<Index, 3> q{i, j, k};
          q[a] += dir;
          const bool inside = q[a] >= 0 && q[a] < n;
          if (!inside && sp.boundary.periodic(axis))
            q[a] = (q[a] + n) % n;
          if (inside || sp.boundary.periodic(axis)) {
            const Index qi = g.index(q[0], q[1], q[2]);
            const double dq = voxel_diffusivity(g, sp, qi);
            const double df = (dp > 0 && dq > 0) ? 2 * dp * dq / (dp + dq) : 0.0;
            out.m(p, p) += r * df;
            out.m(p, qi) -= r * df;
          } else {
            const auto& face = dir < 0 ? sp.boundary.low(axis) : sp.boundary.high(axis);
            if (face.kind == BoundaryKind::fixed_value) {
              out.m(p, p) += 2 * r * dp;
              out.g(p) += 2 * r * dp * face.value;
            }
          }
        }
      }
    }
  }
  return out;
}

// Dense reference of P(h) u: x, then y, then z backward-Euler solves.
Eigen::VectorXd dense_lod(const Grid& g, const DiffusionSpec& sp, const Eigen::VectorXd& u,
                          double h) {
  Eigen::VectorXd x = u;
  if (g.active_dimensions() == 0)
    return x / (1.0 + h * sp.decay_per_h);
  for (const Axis axis : {Axis::x, Axis::y, Axis::z}) {
    const DenseAxis d = dense_axis(g, sp, axis, h);
    x = d.m.partialPivLu().solve(x + d.g);
  }
  return x;
}

Eigen::VectorXd to_eigen(std::span<const double> v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Index>(v.size()));
}

double max_abs_diff(std::span<const double> a, const Eigen::VectorXd& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    m = std::max(m, std::abs(a[i] - b(static_cast<Index>(i))));
  }
  return m;
}

void fill_random(FieldSet& f, std::size_t s, unsigned seed, double lo = 0.0, double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (double& v : f[s])
    v = dist(gen);
}

std::vector<double> random_values(std::size_t n, unsigned seed, double lo, double hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> out(n);
  for (double& v : out)
    v = dist(gen);
  return out;
}

// Runs step() and step_backward_euler() on one species and compares both with the dense solves;
// returns the two max deviations relative to the field scale (values are O(1)).
std::pair<double, double> compare_with_dense(const Grid& g, const DiffusionSpec& sp, double h,
                                             unsigned seed) {
  FieldSet f(g, {"c"});
  fill_random(f, 0, seed, 0.0, 2.0);
  const Eigen::VectorXd u = to_eigen(f[0]);
  FieldSet f2(g, {"c"});
  f2.copy_from(f);
  DiffusionSolver solver(g, {sp});
  const double err = solver.step(f, h, absolute_weights(1));
  solver.step_backward_euler(f2, h);

  const Eigen::VectorXd w = dense_lod(g, sp, u, h);
  const Eigen::VectorXd v = dense_lod(g, sp, dense_lod(g, sp, u, 0.5 * h), 0.5 * h);
  const Eigen::VectorXd e = 2.0 * v - w;
  // The returned estimate is max |P(h/2)^2 u - P(h) u| with these weights.
  CHECK(err == Approx((v - w).cwiseAbs().maxCoeff()).epsilon(1e-10));
  return {max_abs_diff(f[0], e), max_abs_diff(f2[0], w)};
}

DiffusionSpec spec(double d, Boundary b, double decay = 0.0) {
  DiffusionSpec s;
  s.diffusivity_mm2_per_h = d;
  s.boundary = b;
  s.decay_per_h = decay;
  return s;
}

Boundary axis_boundary(Axis a, BoundaryKind kind, double lo = 0.0, double hi = 0.0) {
  Boundary b;
  b.faces[2 * static_cast<int>(a)] = {kind, lo};
  b.faces[2 * static_cast<int>(a) + 1] = {kind, hi};
  return b;
}

}  // namespace

TEST_CASE("line solves match a dense backward-Euler solve", "[diffusion]") {
  const Grid line = Grid::uniform({9, 1, 1}, 0.1);
  const double h = 0.05;  // D h / dx^2 = 5: far from the explicit regime
  SECTION("zero flux") {
    const auto [de, dw] = compare_with_dense(line, spec(1.0, Boundary::zero_flux(), 0.3), h, 1);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("fixed value") {
    const auto [de, dw] = compare_with_dense(
        line, spec(1.0, axis_boundary(Axis::x, BoundaryKind::fixed_value, 2.0, -1.0)), h, 2);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("periodic n > 2") {
    const auto [de, dw] = compare_with_dense(line, spec(1.0, Boundary::periodic_all(), 0.5), h, 3);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("periodic n = 2 (both faces join the same two voxels)") {
    const Grid two = Grid::uniform({2, 1, 1}, 0.1);
    const auto [de, dw] = compare_with_dense(two, spec(1.0, Boundary::periodic_all()), h, 4);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("periodic n = 3") {
    const Grid three = Grid::uniform({3, 1, 1}, 0.1);
    const auto [de, dw] = compare_with_dense(three, spec(0.7, Boundary::periodic_all()), h, 5);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("variable diffusivity, fixed value and zero flux, a closed face") {
    DiffusionSpec s = spec(0.0, Boundary::zero_flux(), 0.2);
    s.boundary.at(Face::x_high) = {BoundaryKind::fixed_value, 3.0};
    s.voxel_diffusivity_mm2_per_h = random_values(9, 11, 0.2, 3.0);
    s.voxel_diffusivity_mm2_per_h[4] = 0.0;  // an impermeable voxel splits the line in two
    const auto [de, dw] = compare_with_dense(line, s, h, 6);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("variable diffusivity, periodic") {
    DiffusionSpec s = spec(0.0, Boundary::periodic_all(), 0.1);
    s.voxel_diffusivity_mm2_per_h = random_values(9, 12, 0.2, 3.0);
    const auto [de, dw] = compare_with_dense(line, s, h, 7);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
}

TEST_CASE("3D solves match a dense LOD backward-Euler solve", "[diffusion]") {
  const Grid g({5, 4, 6}, {0.1, 0.12, 0.08});
  const double h = 0.02;
  Boundary mixed;
  mixed.at(Face::x_low) = {BoundaryKind::periodic, 0.0};
  mixed.at(Face::x_high) = {BoundaryKind::periodic, 0.0};
  mixed.at(Face::y_low) = {BoundaryKind::fixed_value, 1.5};
  mixed.at(Face::y_high) = {BoundaryKind::zero_flux, 0.0};
  mixed.at(Face::z_low) = {BoundaryKind::fixed_value, -0.5};
  mixed.at(Face::z_high) = {BoundaryKind::fixed_value, 2.0};
  SECTION("constant diffusivity, mixed faces, decay") {
    const auto [de, dw] = compare_with_dense(g, spec(0.8, mixed, 0.7), h, 21);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("layered diffusivity (z_factor)") {
    DiffusionSpec s = spec(0.8, mixed, 0.7);
    s.z_factor = {1.0, 1.0, 0.1, 0.1, 2.0, 2.0};
    const auto [de, dw] = compare_with_dense(g, s, h, 22);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("per-voxel diffusivity") {
    DiffusionSpec s = spec(0.0, mixed, 0.7);
    s.voxel_diffusivity_mm2_per_h = random_values(120, 23, 0.1, 2.0);
    const auto [de, dw] = compare_with_dense(g, s, h, 24);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
  SECTION("all periodic, zero flux") {
    for (const Boundary& b :
         {Boundary::periodic_all(), Boundary::zero_flux(), Boundary::periodic_xy()}) {
      const auto [de, dw] = compare_with_dense(g, spec(1.3, b, 0.1), h, 25);
      CHECK(de < 1e-12);
      CHECK(dw < 1e-12);
    }
  }
}

TEST_CASE("2D grids (nz = 1 or ny = 1) use the same code", "[diffusion]") {
  const double h = 0.03;
  Boundary b;
  b.at(Face::x_low) = {BoundaryKind::fixed_value, 1.0};
  b.at(Face::y_low) = {BoundaryKind::periodic, 0.0};
  b.at(Face::y_high) = {BoundaryKind::periodic, 0.0};
  b.at(Face::z_high) = {BoundaryKind::fixed_value, 2.0};
  for (const Grid& g : {Grid::uniform({6, 5, 1}, 0.1), Grid::uniform({6, 1, 5}, 0.1),
                        Grid::uniform({1, 5, 6}, 0.1)}) {
    // Decay is split over the active axes only, so 2D and 1D keep the full decay rate.
    const auto [de, dw] = compare_with_dense(g, spec(0.9, b, 0.4), h, 31);
    CHECK(de < 1e-12);
    CHECK(dw < 1e-12);
  }
}

TEST_CASE("a single voxel only decays (backward Euler)", "[diffusion]") {
  const Grid g = Grid::uniform({1, 1, 1}, 0.1);
  FieldSet f(g, {"c"});
  f.fill(0, 3.0);
  DiffusionSolver solver(g, {spec(1.0, Boundary::zero_flux(), 2.0)});
  solver.step_backward_euler(f, 0.5);
  CHECK(f[0][0] == Approx(3.0 / 2.0).epsilon(1e-15));
  f.fill(0, 3.0);
  solver.step(f, 0.5, absolute_weights(1));
  // 2 (1 + h k / 2)^-2 - (1 + h k)^-1 with h k = 1.
  CHECK(f[0][0] == Approx(3.0 * (2.0 * 4.0 / 9.0 - 0.5)).epsilon(1e-15));
}

TEST_CASE("immobile species are left unchanged", "[diffusion]") {
  const Grid g = Grid::uniform({6, 5, 4}, 0.1);
  FieldSet f(g, {"mobile", "fixed"});
  fill_random(f, 0, 41);
  fill_random(f, 1, 42);
  const std::vector<double> before(f[1].begin(), f[1].end());
  DiffusionSpec immobile = spec(5.0, Boundary::zero_flux(), 1.0);
  immobile.mobile = false;
  DiffusionSolver solver(g, {spec(1.0, Boundary::zero_flux()), immobile});
  solver.step(f, 0.1, absolute_weights(2));
  solver.step_backward_euler(f, 0.1);
  CHECK(std::equal(before.begin(), before.end(), f[1].begin()));

  // Nothing mobile: the estimate is 0 and nothing moves.
  DiffusionSolver none(g, {immobile, immobile});
  CHECK(none.step(f, 0.1, absolute_weights(2)) == 0.0);
  CHECK(std::equal(before.begin(), before.end(), f[1].begin()));
}

TEST_CASE("z_factor equals the equivalent per-voxel diffusivity", "[diffusion]") {
  const Grid g = Grid::uniform({7, 6, 8}, 0.05);
  Boundary b = Boundary::periodic_xy();
  b.at(Face::z_low) = {BoundaryKind::fixed_value, 1.0};
  DiffusionSpec layered = spec(0.6, b, 0.3);
  layered.z_factor = {3.0, 3.0, 1.0, 1.0, 1.0, 0.05, 0.05, 2.0};
  DiffusionSpec voxel = spec(0.0, b, 0.3);
  voxel.voxel_diffusivity_mm2_per_h.resize(static_cast<std::size_t>(g.num_voxels()));
  for (Index p = 0; p < g.num_voxels(); ++p) {
    voxel.voxel_diffusivity_mm2_per_h[static_cast<std::size_t>(p)] =
        0.6 * layered.z_factor[static_cast<std::size_t>(p / (7 * 6))];
  }
  FieldSet f(g, {"a", "b"});
  fill_random(f, 0, 51);
  std::copy(f[0].begin(), f[0].end(), f[1].begin());
  DiffusionSolver solver(g, {layered, voxel});
  const ErrorWeights w = absolute_weights(2);
  for (int n = 0; n < 5; ++n)
    solver.step(f, 0.02, w);
  double diff = 0.0;
  for (std::size_t i = 0; i < f[0].size(); ++i)
    diff = std::max(diff, std::abs(f[0][i] - f[1][i]));
  CHECK(diff < 1e-13);
}

TEST_CASE("the error estimate scales like h^2", "[diffusion]") {
  const Grid g = Grid::uniform({16, 16, 16}, 1.0 / 16);
  DiffusionSolver solver(g, {spec(0.05, Boundary::zero_flux(), 0.5)});
  FieldSet f(g, {"c"});
  auto smooth = [&](FieldSet& fs) {
    for (Index k = 0; k < g.nz(); ++k) {
      for (Index j = 0; j < g.ny(); ++j) {
        for (Index i = 0; i < g.nx(); ++i) {
          const double x = g.center_mm(Axis::x, i);
          const double y = g.center_mm(Axis::y, j);
          const double z = g.center_mm(Axis::z, k);
          fs[0][static_cast<std::size_t>(g.index(i, j, k))] =
              1.0 + std::cos(M_PI * x) * std::cos(2 * M_PI * y) * std::cos(M_PI * z);
        }
      }
    }
  };
  std::vector<double> est;
  for (const double h : {0.01, 0.005, 0.0025}) {
    smooth(f);
    est.push_back(solver.step(f, h, absolute_weights(1)));
  }
  const double order1 = std::log2(est[0] / est[1]);
  const double order2 = std::log2(est[1] / est[2]);
  INFO("estimates " << est[0] << " " << est[1] << " " << est[2]);
  CHECK(order1 == Approx(2.0).margin(0.1));
  CHECK(order2 == Approx(2.0).margin(0.1));
}

TEST_CASE("a NaN in a field makes the error estimate NaN, so the step is rejected", "[diffusion]") {
  const Grid g = Grid::uniform({9, 8, 7}, 0.1);
  DiffusionSpec voxel = spec(0.0, Boundary::zero_flux());
  voxel.voxel_diffusivity_mm2_per_h.assign(9 * 8 * 7, 0.5);
  for (const DiffusionSpec& s : {spec(0.5, Boundary::zero_flux()), voxel}) {
    FieldSet f(g, {"c"});
    f.fill(0, 1.0);
    f[0][100] = std::numeric_limits<double>::quiet_NaN();
    DiffusionSolver solver(g, {s});
    CHECK(std::isnan(solver.step(f, 0.01, absolute_weights(1))));
  }
}

TEST_CASE("invalid specs throw InputError naming the species", "[diffusion]") {
  const Grid g = Grid::uniform({4, 4, 3}, 0.1);
  const DiffusionSpec ok = spec(1.0, Boundary::zero_flux());
  using Catch::Matchers::Contains;
  SECTION("no species") {
    CHECK_THROWS_AS(DiffusionSolver(g, {}), InputError);
  }
  SECTION("negative diffusivity") {
    CHECK_THROWS_WITH(DiffusionSolver(g, {ok, spec(-1.0, Boundary::zero_flux())}),
                      Contains("species 1") && Contains("diffusivity") && Contains(">= 0"));
  }
  SECTION("non-finite diffusivity or decay") {
    CHECK_THROWS_AS(DiffusionSolver(g, {spec(NAN, Boundary::zero_flux())}), InputError);
    CHECK_THROWS_WITH(DiffusionSolver(g, {spec(1.0, Boundary::zero_flux(), INFINITY)}),
                      Contains("species 0") && Contains("decay"));
  }
  SECTION("z_factor of the wrong size") {
    DiffusionSpec s = ok;
    s.z_factor = {1.0, 2.0};
    CHECK_THROWS_WITH(DiffusionSolver(g, {ok, ok, s}), Contains("species 2") &&
                                                           Contains("z_factor") &&
                                                           Contains("nz = 3") && Contains("got 2"));
    s.z_factor = {1.0, -2.0, 1.0};
    CHECK_THROWS_WITH(DiffusionSolver(g, {s}), Contains("z_factor[1]"));
  }
  SECTION("voxel diffusivity of the wrong size or not finite") {
    DiffusionSpec s = ok;
    s.voxel_diffusivity_mm2_per_h.assign(47, 1.0);
    CHECK_THROWS_WITH(DiffusionSolver(g, {s}),
                      Contains("species 0") && Contains("voxel_diffusivity") && Contains("48"));
    s.voxel_diffusivity_mm2_per_h.assign(48, 1.0);
    s.voxel_diffusivity_mm2_per_h[5] = INFINITY;
    CHECK_THROWS_WITH(DiffusionSolver(g, {s}), Contains("[5]"));
  }
  SECTION("a periodic face paired with a non-periodic one") {
    DiffusionSpec s = ok;
    s.boundary.at(Face::y_low).kind = BoundaryKind::periodic;
    CHECK_THROWS_WITH(DiffusionSolver(g, {ok, s}), Contains("species 1") && Contains("y_high"));
  }
  SECTION("fields with another species count or grid") {
    DiffusionSolver solver(g, {ok, ok});
    FieldSet three(g, {"a", "b", "c"});
    CHECK_THROWS_WITH(solver.step(three, 0.1, absolute_weights(3)),
                      Contains("2 species") && Contains("3"));
    FieldSet other(Grid::uniform({4, 4, 4}, 0.1), {"a", "b"});
    CHECK_THROWS_AS(solver.step_backward_euler(other, 0.1), InputError);
  }
}

TEST_CASE("results are bitwise identical at 1 and 2 threads", "[diffusion]") {
  // Large enough that the solver runs it on two threads (it keeps small grids on one); odd x
  // and y extents for ragged SIMD blocks.
  const Grid g = Grid::uniform({97, 87, 32}, 0.05);
  DiffusionSpec layered = spec(0.5, Boundary::periodic_xy(), 0.2);
  layered.z_factor.assign(32, 1.0);
  layered.z_factor[3] = 0.1;
  DiffusionSpec voxel = spec(0.0, Boundary::periodic_all(), 0.1);
  voxel.voxel_diffusivity_mm2_per_h = random_values(97 * 87 * 32, 61, 0.1, 1.0);
  const std::vector<DiffusionSpec> specs{spec(1.0, Boundary::zero_flux(), 0.3), layered, voxel};
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    FieldSet f(g, {"a", "b", "c"});
    for (std::size_t s = 0; s < 3; ++s)
      fill_random(f, s, 70 + static_cast<unsigned>(s));
    DiffusionSolver solver(g, specs);
    double err = 0.0;
    for (int n = 0; n < 3; ++n)
      err = std::max(err, solver.step(f, 0.05, absolute_weights(3)));
    omp_set_num_threads(saved);
    return std::make_pair(f, err);
  };
  const auto [f1, e1] = run(1);
  const auto [f2, e2] = run(2);
  CHECK(e1 == e2);
  for (std::size_t s = 0; s < 3; ++s) {
    CHECK(std::equal(f1[s].begin(), f1[s].end(), f2[s].begin()));
  }
}

TEST_CASE("bytes_held counts the scratch of the species in flight, not of all", "[diffusion]") {
  // One workspace (two scratch fields) per team of threads advancing a species: one team on one
  // thread, two on two threads (4 species, 32^3 voxels: enough work for both).
  const Grid g = Grid::uniform({32, 32, 32}, 0.1);
  const int saved_threads = omp_get_max_threads();
  for (const int threads : {1, 2}) {
    omp_set_num_threads(threads);
    FieldSet f(g, {"a", "b", "c", "d"});
    DiffusionSolver solver(g, std::vector<DiffusionSpec>(4, spec(1.0, Boundary::zero_flux(), 0.1)));
    solver.step(f, 0.1, absolute_weights(4));
    const double per_voxel = static_cast<double>(solver.bytes_held()) / (32.0 * 32 * 32);
    INFO("threads " << threads);
    // Each workspace: two fields (16 B/voxel) and seven z-slabs (7/32 of 8 B/voxel here); the
    // line tables (4 species x 3 step sizes) and per-thread line buffers stay below 2 B/voxel.
    CHECK(per_voxel >= 16.0 * threads);
    CHECK(per_voxel < (16.0 + 8.0 * 7.0 / 32.0) * threads + 2.0);
  }
  omp_set_num_threads(saved_threads);
}
