// Verification of the full Strang-split step, R(h/2) C(h/2) D(h) C(h/2) R(h/2), on a manufactured
// solution of a reaction-diffusion-chemotaxis system.
//
// Problem (1D, periodic, x in [0, 1); a 3D grid of 64 x 1 x 1 voxels):
//   N_t = D_N N_xx - (N v(S_x))_x + r N (1 - N/2) + q_N(x, t)
//   S_t = D_S S_xx + (N - S) + q_S(x, t)
//   v   = chi S_x / sqrt(1 + (chi S_x / v_max)^2)            (the solver's saturating velocity)
// with exact solution N = 1 + b cos(theta), S = 1 + a sin(theta), theta = k x - omega t. The
// sources q_N, q_S are the residuals of the exact solution. They depend on time, and the kernel
// interface is autonomous, so time is a third species tau with tau' = 1 (immobile); position
// enters as a coefficient field (the voxel centre x).
//
// Temporal order: errors are measured against a reference computed on the same grid with an 8x
// smaller step than the finest, so the spatial error (second order, but clipped to first order at
// the extrema of N by the minmod limiter) cancels and only the time discretisation is seen. The
// step sizes keep one chemotaxis sub-step per C stage, so that stage's error also scales with h.
// The comparison with the exact solution checks that the sources, signs and velocity law are right.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <numbers>
#include <optional>
#include <span>
#include <vector>

#include "microheal/grid/boundary.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/chemotaxis.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/integrator.hpp"
#include "microheal/solver/kernel_reaction_stepper.hpp"

namespace {

using microheal::Index;
using microheal::grid::Axis;
using microheal::grid::Boundary;
using microheal::grid::FieldSet;
using microheal::grid::Grid;
using namespace microheal::solver;

struct Manufactured {
  static constexpr int num_species = 3;       // N, S, tau
  static constexpr int num_coefficients = 1;  // x
  using Vec = Eigen::Matrix<double, 3, 1>;
  using Mat = Eigen::Matrix<double, 3, 3>;

  double k = 2.0 * std::numbers::pi;
  double omega = 1.0;
  double a = 0.3;  // amplitude of S
  double b = 0.4;  // amplitude of N
  double d_n = 0.005;
  double d_s = 0.02;
  double chi = 0.05;
  double v_max = 0.1;
  double r = 1.0;

  double exact_n(double x, double t) const { return 1.0 + b * std::cos(k * x - omega * t); }
  double exact_s(double x, double t) const { return 1.0 + a * std::sin(k * x - omega * t); }

  // Residuals of the exact solution.
  double source_n(double x, double t) const {
    const double th = k * x - omega * t;
    const double n = 1.0 + b * std::cos(th);
    const double n_t = b * omega * std::sin(th);
    const double n_x = -b * k * std::sin(th);
    const double n_xx = -b * k * k * std::cos(th);
    const double s_x = a * k * std::cos(th);
    const double s_xx = -a * k * k * std::sin(th);
    const double q = chi * s_x / v_max;
    const double v = chi * s_x / std::sqrt(1.0 + q * q);
    const double v_x = chi * s_xx / std::pow(1.0 + q * q, 1.5);
    return n_t - d_n * n_xx + (n_x * v + n * v_x) - r * n * (1.0 - 0.5 * n);
  }
  double source_s(double x, double t) const {
    const double th = k * x - omega * t;
    const double s_t = -a * omega * std::cos(th);
    const double s_xx = -a * k * k * std::sin(th);
    return s_t - d_s * s_xx - (exact_n(x, t) - exact_s(x, t));
  }

  void rates(const Vec& u, std::span<const double, 1> c, Vec& f) const {
    f(0) = r * u(0) * (1.0 - 0.5 * u(0)) + source_n(c[0], u(2));
    f(1) = u(0) - u(1) + source_s(c[0], u(2));
    f(2) = 1.0;
  }
  void jacobian(const Vec& u, std::span<const double, 1> c, Mat& j) const {
    // d(source)/d(tau) by central differences: accurate to ~1e-10, and ROS2 keeps order two
    // with any approximate Jacobian.
    const double dt = 1e-5;
    const double t = u(2);
    j.setZero();
    j(0, 0) = r * (1.0 - u(0));
    j(0, 2) = (source_n(c[0], t + dt) - source_n(c[0], t - dt)) / (2.0 * dt);
    j(1, 0) = 1.0;
    j(1, 1) = -1.0;
    j(1, 2) = (source_s(c[0], t + dt) - source_s(c[0], t - dt)) / (2.0 * dt);
  }
};

struct Result {
  FieldSet fields;
  long steps = 0;
  long chemotaxis_sub_steps = 0;
};

// The system above on nx voxels, integrated to t_end with fixed steps of at most h.
Result solve(Index nx, double h, double t_end) {
  const Manufactured m;
  const Grid g = Grid::uniform({nx, 1, 1}, 1.0 / static_cast<double>(nx));
  std::vector<double> x(static_cast<std::size_t>(nx));
  FieldSet f(g, {"N", "S", "tau"});
  for (Index i = 0; i < nx; ++i) {
    const auto v = static_cast<std::size_t>(i);
    x[v] = g.center_mm(Axis::x, i);
    f[0][v] = m.exact_n(x[v], 0.0);
    f[1][v] = m.exact_s(x[v], 0.0);
  }
  const Boundary periodic = Boundary::periodic_all();
  DiffusionSpec n_spec;
  n_spec.diffusivity_mm2_per_h = m.d_n;
  n_spec.boundary = periodic;
  DiffusionSpec s_spec;
  s_spec.diffusivity_mm2_per_h = m.d_s;
  s_spec.boundary = periodic;
  DiffusionSpec tau_spec;
  tau_spec.mobile = false;
  tau_spec.boundary = periodic;
  ChemotaxisSpec pair;
  pair.cell_species = 0;
  pair.signal_species = 1;
  pair.chemotactic_coefficient = m.chi;
  pair.max_speed_mm_per_h = m.v_max;
  StepControl control;
  control.adaptive = false;
  control.dt_initial_h = h;
  SplitIntegrator integrator(DiffusionSolver(g, {n_spec, s_spec, tau_spec}),
                             ChemotaxisSolver(g, {pair}, {periodic, periodic, periodic}),
                             std::make_unique<KernelReactionStepper<Manufactured>>(
                                 g, m, std::vector<std::span<const double>>{x}, 0.0),
                             control, 3);
  integrator.set_track_mass(false);
  double t = 0.0;
  integrator.advance_to(f, t, t_end);
  return Result{std::move(f), integrator.statistics().steps_accepted,
                integrator.statistics().chemotaxis_sub_steps};
}

// Max difference of N and S between two runs on the same grid.
double difference(const FieldSet& a, const FieldSet& b) {
  double e = 0.0;
  for (std::size_t s = 0; s < 2; ++s) {
    for (std::size_t v = 0; v < a[s].size(); ++v)
      e = std::max(e, std::abs(a[s][v] - b[s][v]));
  }
  return e;
}

double error_to_exact(const FieldSet& f, double t) {
  const Manufactured m;
  const Grid& g = f.grid();
  double e = 0.0;
  for (Index i = 0; i < g.nx(); ++i) {
    const auto v = static_cast<std::size_t>(i);
    const double x = g.center_mm(Axis::x, i);
    e = std::max({e, std::abs(f[0][v] - m.exact_n(x, t)), std::abs(f[1][v] - m.exact_s(x, t))});
  }
  return e;
}

void check_temporal_order(Index nx, std::vector<double> steps, double t_end) {
  const Result reference = solve(nx, steps.back() / 8.0, t_end);
  std::vector<double> errors;
  for (const double h : steps) {
    const Result r = solve(nx, h, t_end);
    // One chemotaxis sub-step per C stage, two stages per step.
    CHECK(r.chemotaxis_sub_steps == 2 * r.steps);
    errors.push_back(difference(r.fields, reference.fields));
  }
  for (std::size_t i = 0; i + 1 < errors.size(); ++i) {
    const double order = std::log2(errors[i] / errors[i + 1]);
    INFO("h = " << steps[i] << ": error " << errors[i] << ", h = " << steps[i + 1] << ": error "
                << errors[i + 1] << ", observed order " << order);
    CHECK(order >= 1.8);
    CHECK(order <= 2.3);
  }
  // The manufactured solution is reproduced (the remainder is the spatial error).
  const double exact_error = error_to_exact(reference.fields, t_end);
  INFO("error of the reference run against the exact solution: " << exact_error);
  CHECK(exact_error < 2e-3);
}

}  // namespace

TEST_CASE("Strang splitting of reaction, chemotaxis and diffusion is second order in time",
          "[verification][integrator]") {
  check_temporal_order(64, {0.1, 0.05, 0.025}, 1.0);
}

TEST_CASE("Strang splitting stays second order under refinement (finer grid, more levels)",
          "[verification][integrator][slow]") {
  check_temporal_order(256, {0.025, 0.0125, 0.00625, 0.003125}, 1.0);
}
