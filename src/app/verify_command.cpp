// `microheal verify`: a short demonstration that the numerical core reproduces known solutions.
// The full verification suite is the ctest label `verification`; this is what `scripts/demo` shows.
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <numbers>
#include <span>
#include <vector>

#include "commands.hpp"
#include "microheal/core/error.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/integrator.hpp"
#include "microheal/solver/kernel_reaction_stepper.hpp"

namespace microheal::app {

namespace {

/// Fisher-KPP logistic growth, u' = r u (1 - u).
struct FisherKernel {
  static constexpr int num_species = 1;
  static constexpr int num_coefficients = 0;
  double rate_per_h = 1.0;
  void rates(const Eigen::Matrix<double, 1, 1>& u, std::span<const double, 0>,
             Eigen::Matrix<double, 1, 1>& f) const {
    f(0) = rate_per_h * u(0) * (1.0 - u(0));
  }
  void jacobian(const Eigen::Matrix<double, 1, 1>& u, std::span<const double, 0>,
                Eigen::Matrix<double, 1, 1>& jac) const {
    jac(0, 0) = rate_per_h * (1.0 - 2.0 * u(0));
  }
};

/// Max error of 3D Gaussian diffusion from t0 to t1 on an n^3 grid against the free-space solution.
double gaussian_error(Index n) {
  const double length = 1.0;
  const double diffusivity = 1e-2;
  const double t0 = 0.5;
  const double t1 = 1.0;
  const double h = length / static_cast<double>(n);
  const auto g = grid::Grid::uniform({n, n, n}, h, {-0.5, -0.5, -0.5});
  const auto exact = [&](double x, double y, double z, double t) {
    const double s = 4.0 * diffusivity * t;
    return std::exp(-(x * x + y * y + z * z) / s) / std::pow(std::numbers::pi * s, 1.5);
  };
  grid::FieldSet u(g, {"u"});
  for (Index k = 0; k < n; ++k)
    for (Index j = 0; j < n; ++j)
      for (Index i = 0; i < n; ++i)
        u[0][static_cast<std::size_t>(g.index(i, j, k))] =
            exact(g.center_mm(grid::Axis::x, i), g.center_mm(grid::Axis::y, j),
                  g.center_mm(grid::Axis::z, k), t0);
  solver::DiffusionSpec spec;
  spec.diffusivity_mm2_per_h = diffusivity;
  solver::DiffusionSolver diffusion(g, {spec});
  const auto weights = solver::ErrorWeights::uniform(1, 1e-3, 1e-9);
  // dt proportional to h^2 so the (second-order) time error shrinks like the space error does.
  const int steps = static_cast<int>(std::lround(8.0 * std::pow(static_cast<double>(n) / 16.0, 2)));
  for (int s = 0; s < steps; ++s)
    diffusion.step(u, (t1 - t0) / steps, weights);
  double error = 0.0;
  for (Index k = 0; k < n; ++k)
    for (Index j = 0; j < n; ++j)
      for (Index i = 0; i < n; ++i)
        error = std::max(
            error, std::abs(u[0][static_cast<std::size_t>(g.index(i, j, k))] -
                            exact(g.center_mm(grid::Axis::x, i), g.center_mm(grid::Axis::y, j),
                                  g.center_mm(grid::Axis::z, k), t1)));
  return error;
}

/// Position of the u = 1/2 level of a front running in +x (linear interpolation).
double front_position(const grid::FieldSet& u) {
  const auto& g = u.grid();
  const auto values = u[0];
  for (Index i = 0; i + 1 < g.nx(); ++i) {
    const double a = values[static_cast<std::size_t>(i)];
    const double b = values[static_cast<std::size_t>(i + 1)];
    if (a >= 0.5 && b < 0.5) {
      return g.center_mm(grid::Axis::x, i) + (a - 0.5) / (a - b) * g.spacing_mm(grid::Axis::x);
    }
  }
  throw core::RunError("verify: no front found");
}

/// Fisher-KPP planar front speed at t = 40 (D = 1e-3, r = 1, step initial data).
double fisher_speed() {
  const auto g = grid::Grid::uniform({1000, 1, 1}, 0.004);
  grid::FieldSet u(g, {"u"});
  for (Index i = 0; i < g.nx(); ++i) {
    u[0][static_cast<std::size_t>(i)] = g.center_mm(grid::Axis::x, i) < 0.4 ? 1.0 : 0.0;
  }
  solver::DiffusionSpec spec;
  spec.diffusivity_mm2_per_h = 1e-3;
  solver::StepControl control;
  control.rtol = 1e-5;
  control.atol = 1e-8;
  control.dt_max_h = 0.5;
  solver::SplitIntegrator integrator(solver::DiffusionSolver(g, {spec}), std::nullopt,
                                     std::make_unique<solver::KernelReactionStepper<FisherKernel>>(
                                         g, FisherKernel{}, std::vector<std::span<const double>>{}),
                                     control, 1);
  integrator.set_track_mass(false);
  double t = 0.0;
  integrator.advance_to(u, t, 39.0);
  const double x39 = front_position(u);
  integrator.advance_to(u, t, 41.0);
  const double x41 = front_position(u);
  return (x41 - x39) / 2.0;
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("verify", "Quick verification demo: analytic solutions, front speeds");
  cmd->callback([] {
    const auto start = std::chrono::steady_clock::now();
    bool ok = true;
    fmt::print("microheal verify: the numerical core against known solutions\n\n");

    const double e16 = gaussian_error(16);
    const double e32 = gaussian_error(32);
    const double order = std::log2(e16 / e32);
    const bool order_ok = std::abs(order - 2.0) <= 0.2;
    ok = ok && order_ok;
    fmt::print("3D Gaussian diffusion (D = 0.01, t 0.5 -> 1, dt ~ dx^2)\n");
    fmt::print(
        "  max error 16^3: {:.3e}   32^3: {:.3e}   observed order {:.2f}  (expect 2 +- 0.2) {}\n\n",
        e16, e32, order, order_ok ? "PASS" : "FAIL");

    const double speed = fisher_speed();
    const double rel = std::abs(speed - 0.0621) / 0.0621;
    const bool speed_ok = rel <= 0.02;
    ok = ok && speed_ok;
    fmt::print("Fisher-KPP planar front (D = 1e-3, r = 1, step data), adaptive Strang steps\n");
    fmt::print(
        "  speed at t = 40: {:.5f}  reference 0.0621 (limit 0.06325), off by {:.2f} %  {}\n\n",
        speed, 100.0 * rel, speed_ok ? "PASS" : "FAIL");

    fmt::print("{} in {:.1f} s\n", ok ? "all checks passed" : "SOME CHECKS FAILED",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!ok)
      throw core::RunError("verification failed");
  });
}

}  // namespace microheal::app
