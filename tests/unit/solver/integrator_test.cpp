// Unit tests of the Strang-split adaptive integrator (SplitIntegrator).
#include <omp.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/grid/boundary.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/chemotaxis.hpp"
#include "microheal/solver/diffusion.hpp"
#include "microheal/solver/integrator.hpp"
#include "microheal/solver/kernel_reaction_stepper.hpp"

namespace {

using microheal::Index;
using microheal::core::NumericalError;
using microheal::grid::Boundary;
using microheal::grid::FieldSet;
using microheal::grid::Grid;
using namespace microheal::solver;
using Vec1 = Eigen::Matrix<double, 1, 1>;
using Mat1 = Eigen::Matrix<double, 1, 1>;
using Vec2 = Eigen::Matrix<double, 2, 1>;
using Mat2 = Eigen::Matrix<double, 2, 2>;

// u' = r u (1 - u)
struct Logistic {
  static constexpr int num_species = 1;
  static constexpr int num_coefficients = 0;
  double r = 1.0;
  void rates(const Vec1& u, std::span<const double, 0>, Vec1& f) const {
    f(0) = r * u(0) * (1.0 - u(0));
  }
  void jacobian(const Vec1& u, std::span<const double, 0>, Mat1& j) const {
    j(0, 0) = r * (1.0 - 2.0 * u(0));
  }
};

// u' = c(x) (1 - u)
struct Relax {
  static constexpr int num_species = 1;
  static constexpr int num_coefficients = 1;
  void rates(const Vec1& u, std::span<const double, 1> c, Vec1& f) const {
    f(0) = c[0] * (1.0 - u(0));
  }
  void jacobian(const Vec1&, std::span<const double, 1> c, Mat1& j) const { j(0, 0) = -c[0]; }
};

// Michaelis-Menten consumption u' = -v u / (k + u) with k << u: nearly zero order, so a long
// step overshoots through zero although the exact solution stays positive.
struct Consumption {
  static constexpr int num_species = 1;
  static constexpr int num_coefficients = 0;
  double v = 1.0;
  double k = 1e-3;
  void rates(const Vec1& u, std::span<const double, 0>, Vec1& f) const {
    f(0) = -v * u(0) / (k + u(0));
  }
  void jacobian(const Vec1& u, std::span<const double, 0>, Mat1& j) const {
    j(0, 0) = -v * k / ((k + u(0)) * (k + u(0)));
  }
};

// Species a is inert; b is consumed at the position-dependent rate c0 * b + c1 (c1 a zero-order
// sink that drives b negative wherever b = 0).
struct Sink {
  static constexpr int num_species = 2;
  static constexpr int num_coefficients = 2;
  void rates(const Vec2& u, std::span<const double, 2> c, Vec2& f) const {
    f(0) = 0.0;
    f(1) = -c[0] * u(1) - c[1];
  }
  void jacobian(const Vec2&, std::span<const double, 2> c, Mat2& j) const {
    j << 0.0, 0.0, 0.0, -c[0];
  }
};

// Cells n grow logistically and make the signal s, which decays: n' = n (1 - n), s' = n - s.
struct CellSignal {
  static constexpr int num_species = 2;
  static constexpr int num_coefficients = 0;
  void rates(const Vec2& u, std::span<const double, 0>, Vec2& f) const {
    f(0) = u(0) * (1.0 - u(0));
    f(1) = u(0) - u(1);
  }
  void jacobian(const Vec2& u, std::span<const double, 0>, Mat2& j) const {
    j << 1.0 - 2.0 * u(0), 0.0, 1.0, -1.0;
  }
};

DiffusionSpec immobile() {
  DiffusionSpec s;
  s.mobile = false;
  return s;
}

DiffusionSpec mobile(double d, Boundary b = Boundary::zero_flux()) {
  DiffusionSpec s;
  s.diffusivity_mm2_per_h = d;
  s.boundary = b;
  return s;
}

template <class K>
std::unique_ptr<ReactionStepper> stepper(const Grid& g, K kernel,
                                         std::vector<std::span<const double>> c = {}) {
  return std::make_unique<KernelReactionStepper<K>>(g, kernel, std::move(c));
}

// n = (1 + cos) bump in the middle of the grid, s = 0.
void bump(FieldSet& f) {
  const Grid& g = f.grid();
  for (Index k = 0; k < g.nz(); ++k) {
    for (Index j = 0; j < g.ny(); ++j) {
      for (Index i = 0; i < g.nx(); ++i) {
        const double x = (static_cast<double>(i) + 0.5) / static_cast<double>(g.nx());
        const double y = (static_cast<double>(j) + 0.5) / static_cast<double>(g.ny());
        f[0][static_cast<std::size_t>(g.index(i, j, k))] =
            0.05 + 0.5 * std::exp(-30.0 * ((x - 0.4) * (x - 0.4) + (y - 0.6) * (y - 0.6)));
      }
    }
  }
}

}  // namespace

TEST_CASE("advance_to lands exactly on the requested times", "[integrator]") {
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  FieldSet u(g, {"u"});
  u.fill(0, 0.01);
  StepControl control;
  control.rtol = 1e-6;
  control.atol = 1e-9;
  SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt, stepper(g, Logistic{}),
                             control, 1);
  double t = 0.0;
  for (const double target : {0.37, 1.0 / 3.0 + 1.0, 2.0, 7.1, 10.0}) {
    integrator.advance_to(u, t, target);
    CHECK(t == target);  // bitwise
    CHECK(u[0][0] == Approx(1.0 / (1.0 + 99.0 * std::exp(-target))).epsilon(1e-4));
  }
  // A very short interval does not reset the step size the controller wanted.
  const double wanted = integrator.next_dt_h();
  integrator.advance_to(u, t, 10.0 + 1e-7);
  CHECK(t == 10.0 + 1e-7);
  CHECK(integrator.next_dt_h() >= 0.99 * wanted);
  // Going backwards is an input error, zero length a no-op.
  CHECK_THROWS_AS(integrator.advance_to(u, t, 5.0), microheal::core::InputError);
  const long steps = integrator.statistics().steps_accepted;
  integrator.advance_to(u, t, t);
  CHECK(integrator.statistics().steps_accepted == steps);

  SECTION("fixed steps land too") {
    control.adaptive = false;
    control.dt_initial_h = 0.1;
    SplitIntegrator fixed(DiffusionSolver(g, {immobile()}), std::nullopt, stepper(g, Logistic{}),
                          control, 1);
    double tf = 0.0;
    fixed.advance_to(u, tf, 1.0);
    CHECK(tf == 1.0);
    CHECK(fixed.statistics().steps_accepted == 10);  // no round-off sliver step
    fixed.advance_to(u, tf, 1.25);
    CHECK(tf == 1.25);
    CHECK(fixed.statistics().steps_accepted == 13);  // 0.25 in three even steps
  }
}

TEST_CASE("the step observer sees every accepted step, contiguous and unchanged", "[integrator]") {
  // Dense output rests on this: each call brings the state at a step's start and end, the steps
  // tile the interval, the start of one is bitwise the end of the one before, and the observer
  // sees exactly the accepted steps (rejected attempts never reach it).
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  for (const bool adaptive : {true, false}) {
    INFO("adaptive " << adaptive);
    FieldSet u(g, {"u"});
    u.fill(0, 0.01);
    StepControl control;
    control.adaptive = adaptive;
    control.dt_initial_h = adaptive ? 1e-3 : 0.3;
    SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                               stepper(g, Logistic{}), control, 1);
    double t = 0.0;
    std::vector<double> starts, ends, start_values, end_values;
    const StepObserver observe = [&](const FieldSet& start, double start_h, const FieldSet& end,
                                     double end_h) {
      starts.push_back(start_h);
      ends.push_back(end_h);
      start_values.push_back(start[0][0]);
      end_values.push_back(end[0][0]);
    };
    integrator.advance_to(u, t, 4.0, observe);
    integrator.advance_to(u, t, 7.5, observe);
    REQUIRE(!starts.empty());
    CHECK(static_cast<long>(starts.size()) == integrator.statistics().steps_accepted);
    CHECK(starts.front() == 0.0);
    CHECK(ends.back() == 7.5);
    CHECK(std::find(ends.begin(), ends.end(), 4.0) != ends.end());  // lands on the call's end
    for (std::size_t i = 0; i < starts.size(); ++i) {
      CHECK(ends[i] > starts[i]);
      if (i > 0) {
        CHECK(starts[i] == ends[i - 1]);
        CHECK(start_values[i] == end_values[i - 1]);
      }
    }
    CHECK(end_values.back() == u[0][0]);
  }
}

TEST_CASE("the step grows in slow phases and shrinks in fast ones", "[integrator]") {
  const Grid g = Grid::uniform({4, 1, 1}, 0.1);
  const std::vector<double> rate(4, 50.0);  // relaxation time 0.02 h
  FieldSet u(g, {"u"});
  StepControl control;
  control.rtol = 1e-4;
  control.atol = 1e-8;
  control.dt_initial_h = 0.5;  // far too long for the initial transient
  control.dt_max_h = 20.0;
  SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                             stepper(g, Relax{}, {rate}), control, 1);
  double t = 0.0;
  integrator.advance_to(u, t, 1.0);
  const auto& stats = integrator.statistics();
  CHECK(stats.steps_rejected_error >= 1);  // 0.5 h was tried and refused
  CHECK(stats.dt_smallest_h <= 0.01);
  CHECK(stats.dt_largest_h >= 0.1);
  integrator.advance_to(u, t, 100.0);
  const double relaxed_dt = integrator.next_dt_h();
  CHECK(relaxed_dt >= 10.0);  // at rest the step runs up to the maximum
  CHECK(u[0][0] == Approx(1.0).margin(1e-8));

  // A new wound: the long step is rejected and the controller goes back to short steps.
  const long rejected = stats.steps_rejected_error;
  u.fill(0, 0.0);
  integrator.advance_to(u, t, 100.05);
  CHECK(stats.steps_rejected_error > rejected);
  CHECK(integrator.next_dt_h() < 0.01 * relaxed_dt);
  CHECK(u[0][0] == Approx(1.0 - std::exp(-50.0 * 0.05)).epsilon(1e-3));
  CHECK(u[0][3] == u[0][0]);
  // The fields changed between calls: that is booked as external, and the balance still closes.
  CHECK(stats.mass_change_external[0] == Approx(-4 * g.voxel_volume_mm3()).epsilon(1e-7));
}

TEST_CASE("a step that would go negative is rejected and retried, never clamped", "[integrator]") {
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  StepControl control;
  control.rtol = 1e-4;
  control.atol = 1e-8;
  control.dt_initial_h = 2.0;

  // Exact solution of u' = -u / (k + u), u(0) = 1: k ln u + u - 1 = -t (Newton on ln u).
  const auto exact = [](double t) {
    double log_u = std::log(std::max(1e-300, 1.0 - t));
    for (int i = 0; i < 100; ++i) {
      const double u = std::exp(log_u);
      log_u -= (1e-3 * log_u + u - 1.0 + t) / (1e-3 + u);
    }
    return std::exp(log_u);
  };

  SECTION("adaptive: rejected for the negative value, then accurate") {
    // The first attempt, one step of 1.5 h, crosses the time u reaches zero (t = 1): ROS2 gives
    // u = -0.5 there, far below -atol.
    FieldSet u(g, {"u"});
    u.fill(0, 1.0);
    control.dt_initial_h = 1.5;
    SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                               stepper(g, Consumption{}), control, 1);
    double t = 0.0;
    integrator.advance_to(u, t, 1.5);
    CHECK(integrator.statistics().steps_rejected_negative >= 1);
    CHECK(u[0][0] >= -control.atol);
    CHECK(u[0][0] <= 1e-6);  // exact: exp(-500)
  }
  SECTION("adaptive: accurate where the solution is smooth") {
    FieldSet u(g, {"u"});
    u.fill(0, 1.0);
    SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                               stepper(g, Consumption{}), control, 1);
    double t = 0.0;
    integrator.advance_to(u, t, 0.9);
    CHECK(u[0][0] == Approx(exact(0.9)).epsilon(1e-3));
  }
  SECTION("the same step without control leaves the negative value visible") {
    FieldSet u(g, {"u"});
    u.fill(0, 1.0);
    control.adaptive = false;
    SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                               stepper(g, Consumption{}), control, 1);
    integrator.fixed_step(u, 2.0);
    CHECK(u[0][0] < -0.1);
    CHECK(integrator.statistics().steps_accepted == 1);
    CHECK(integrator.statistics().dt_smallest_h == 2.0);
  }
}

TEST_CASE("a step below dt_min fails naming the species, voxel and time", "[integrator]") {
  const Grid g = Grid::uniform({4, 3, 2}, 0.1);
  std::vector<double> linear(24, 0.0);
  std::vector<double> zero_order(24, 0.0);
  StepControl control;
  control.dt_min_h = 1e-3;
  control.atol = 1e-6;
  FieldSet u(g, {"a", "b"});
  u.fill(0, 1.0);

  SECTION("a sink that makes b negative at every step size") {
    zero_order[static_cast<std::size_t>(g.index(2, 1, 0))] = 1.0;  // b' = -1 where b = 0
    SplitIntegrator integrator(DiffusionSolver(g, {mobile(0.01), mobile(0.01)}), std::nullopt,
                               stepper(g, Sink{}, {linear, zero_order}), control, 2);
    double t = 0.0;
    CHECK_THROWS_AS(integrator.advance_to(u, t, 1.0), NumericalError);
    CHECK_THROWS_WITH(integrator.advance_to(u, t, 1.0),
                      Catch::Contains("'b'") && Catch::Contains("(2, 1, 0)") &&
                          Catch::Contains("t = 0") && Catch::Contains("dt_min"));
    CHECK(integrator.statistics().steps_rejected_negative > 0);
    // The same as fields: callers never parse the message.
    try {
      integrator.advance_to(u, t, 1.0);
      FAIL("no NumericalError");
    } catch (const NumericalError& error) {
      REQUIRE(error.location().has_value());
      CHECK(error.location()->species == "b");
      CHECK(error.location()->voxel == std::array<microheal::Index, 3>{2, 1, 0});
      CHECK(error.location()->value < 0.0);
      CHECK(error.time_h() == 0.0);
    }
    CHECK(t == 0.0);
    CHECK(u[1][static_cast<std::size_t>(g.index(2, 1, 0))] == 0.0);  // restored, not clamped
  }
  SECTION("a NaN rate") {
    // One species: a NaN in the kernel's LU would spread to every species of the voxel.
    std::vector<double> rate(24, 1.0);
    rate[static_cast<std::size_t>(g.index(1, 2, 1))] = std::numeric_limits<double>::quiet_NaN();
    FieldSet s(g, {"signal"});
    s.fill(0, 0.5);
    // Immobile: diffusion would carry the NaN to every voxel within the step.
    SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                               stepper(g, Relax{}, {rate}), control, 1);
    double t = 0.5;
    CHECK_THROWS_WITH(integrator.advance_to(s, t, 1.0),
                      Catch::Contains("'signal'") && Catch::Contains("(1, 2, 1)") &&
                          Catch::Contains("nan") && Catch::Contains("t = 0.5"));
    CHECK(t == 0.5);
    CHECK(s[0][static_cast<std::size_t>(g.index(1, 2, 1))] == 0.5);  // the state at step start
    // Without control the NaN is not let through either.
    CHECK_THROWS_AS(integrator.fixed_step(s, 0.1), NumericalError);
  }
}

TEST_CASE("each part of the step is a named, timed stage, and the report shows them",
          "[integrator]") {
  const Grid g = Grid::uniform({16, 8, 1}, 0.05);
  FieldSet f(g, {"cells", "signal"});
  bump(f);
  ChemotaxisSpec pair;
  pair.cell_species = 0;
  pair.signal_species = 1;
  pair.chemotactic_coefficient = 0.01;
  pair.max_speed_mm_per_h = 0.1;
  SplitIntegrator integrator(
      DiffusionSolver(g, {mobile(1e-3), mobile(1e-2)}),
      ChemotaxisSolver(g, {pair}, {Boundary::zero_flux(), Boundary::zero_flux()}),
      stepper(g, CellSignal{}), StepControl{}, 2);
  double t = 0.0;
  integrator.advance_to(f, t, 0.2);
  std::vector<std::string> names;
  for (const auto& s : integrator.timer().stages())
    names.push_back(s.name);
  using Catch::Matchers::VectorContains;
  CHECK_THAT(names,
             VectorContains(std::string("reaction")) && VectorContains(std::string("chemotaxis")) &&
                 VectorContains(std::string("diffusion")) && VectorContains(std::string("check")) &&
                 VectorContains(std::string("save state")) &&
                 VectorContains(std::string("mass balance")));
  CHECK(integrator.statistics().chemotaxis_sub_steps >= 2 * integrator.statistics().steps_accepted);

  const std::string report = integrator.report(f.names());
  CAPTURE(report);
  CHECK_THAT(report, Catch::Contains("reaction") && Catch::Contains("chemotaxis") &&
                         Catch::Contains("diffusion") && Catch::Contains("cells") &&
                         Catch::Contains("signal") && Catch::Contains("updates/s") &&
                         Catch::Contains("residual"));
}

TEST_CASE("fixed_step takes exactly one step of the given size", "[integrator]") {
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  FieldSet u(g, {"u"});
  u.fill(0, 0.1);
  SplitIntegrator integrator(DiffusionSolver(g, {immobile()}), std::nullopt, stepper(g, Logistic{}),
                             StepControl{}, 1);
  integrator.fixed_step(u, 0.25);
  const auto& stats = integrator.statistics();
  CHECK(stats.steps_accepted == 1);
  CHECK(stats.dt_smallest_h == 0.25);
  CHECK(stats.dt_largest_h == 0.25);
  // One long ROS2 step: 0.4 % off (its error constant is large).
  CHECK(u[0][0] == Approx(1.0 / (1.0 + 9.0 * std::exp(-0.25))).epsilon(1e-2));
}

TEST_CASE("the constructor checks that the parts agree", "[integrator]") {
  using microheal::core::InputError;
  const Grid g = Grid::uniform({2, 1, 1}, 1.0);
  CHECK_THROWS_AS(SplitIntegrator(DiffusionSolver(g, {immobile()}), std::nullopt,
                                  stepper(g, Logistic{}), StepControl{}, 2),
                  InputError);
  CHECK_THROWS_AS(SplitIntegrator(DiffusionSolver(g, {immobile(), immobile()}), std::nullopt,
                                  stepper(g, Logistic{}), StepControl{}, 2),
                  InputError);
  StepControl bad;
  bad.dt_min_h = 1.0;
  bad.dt_max_h = 0.5;
  CHECK_THROWS_AS(SplitIntegrator(DiffusionSolver(g, {immobile()}), std::nullopt, nullptr, bad, 1),
                  InputError);
}

TEST_CASE("the mass balance closes to round-off for reaction-diffusion with zero flux",
          "[integrator]") {
  const Grid g = Grid::uniform({24, 12, 3}, 0.05);
  const std::vector<double> rate(static_cast<std::size_t>(g.num_voxels()), 0.5);
  FieldSet f(g, {"u"});
  bump(f);
  // u' = 0.5 (1 - u) - plus diffusion: the reaction adds 0.5 (V - M) per hour, transport nothing.
  StepControl control;
  control.rtol = 1e-5;
  control.atol = 1e-8;
  SplitIntegrator integrator(DiffusionSolver(g, {mobile(0.01)}), std::nullopt,
                             stepper(g, Relax{}, {rate}), control, 1);
  const double volume = 24 * 12 * 3 * g.voxel_volume_mm3();
  const double m0 = f.integral(0);
  double t = 0.0;
  integrator.advance_to(f, t, 1.0);
  const auto& stats = integrator.statistics();
  const double m_final = f.integral(0);
  CHECK(stats.mass_initial[0] == m0);  // bitwise: same summation order as FieldSet::integral
  CHECK(stats.mass_final[0] == m_final);
  const double residual = stats.mass_initial[0] + stats.mass_change_reaction[0] +
                          stats.mass_change_transport[0] + stats.mass_change_external[0] -
                          stats.mass_final[0];
  CHECK(std::abs(residual) <= 1e-13 * m0);
  CHECK(std::abs(stats.mass_change_transport[0]) <= 1e-13 * m0);
  CHECK(stats.mass_change_external[0] == 0.0);
  // Diffusion and linear relaxation commute: M(t) = V - (V - M0) e^(-0.5 t).
  CHECK(m_final == Approx(volume - (volume - m0) * std::exp(-0.5)).epsilon(1e-5));
  CHECK(stats.mass_change_reaction[0] == Approx(m_final - m0).epsilon(1e-12));
}

TEST_CASE("1 and 2 threads give bitwise identical adaptive runs", "[integrator]") {
  // 8192 voxels: every loop of the step, the check and mass passes included, runs in parallel.
  const Grid g = Grid::uniform({32, 16, 16}, 0.02);
  const auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    // A wound in homeostatic tissue (n = s = 1, where f = 0): most voxels rest.
    FieldSet f(g, {"cells", "signal"});
    bump(f);
    for (double& n : f[0])
      n = 1.0 - 1.5 * (n - 0.05);
    f.fill(1, 1.0);
    ChemotaxisSpec pair;
    pair.cell_species = 0;
    pair.signal_species = 1;
    pair.chemotactic_coefficient = 0.05;
    pair.max_speed_mm_per_h = 0.2;
    StepControl control;
    control.rtol = 1e-3;
    control.atol = 1e-6;
    SplitIntegrator integrator(
        DiffusionSolver(g, {mobile(1e-3), mobile(2e-2, Boundary::periodic_xy())}),
        ChemotaxisSolver(g, {pair}, {Boundary::zero_flux(), Boundary::periodic_xy()}),
        stepper(g, CellSignal{}), control, 2);
    double t = 0.0;
    integrator.advance_to(f, t, 0.3);
    omp_set_num_threads(saved);
    return std::make_pair(std::move(f), integrator.statistics());
  };
  const auto [one, stats_one] = run(1);
  const auto [two, stats_two] = run(2);
  CHECK(stats_one.steps_accepted == stats_two.steps_accepted);
  CHECK(stats_one.steps_rejected_error == stats_two.steps_rejected_error);
  CHECK(stats_one.reaction_voxels_resting == stats_two.reaction_voxels_resting);
  CHECK(stats_one.reaction_voxels_resting > 0);
  CHECK(stats_one.mass_change_transport == stats_two.mass_change_transport);
  for (std::size_t s = 0; s < 2; ++s) {
    long differing = 0;
    for (std::size_t v = 0; v < one[s].size(); ++v)
      differing += one[s][v] != two[s][v] ? 1 : 0;
    CHECK(differing == 0);
  }
}

TEST_CASE("the mass balance residual is measured against the larger of the terms and the reference",
          "[integrator]") {
  microheal::solver::IntegratorStatistics stats;
  // A species made and cleared again: net terms cancel to round-off around zero content.
  stats.mass_initial = {0.0, 2.0};
  stats.mass_final = {1e-17, 2.5};
  stats.mass_change_reaction = {1e-15, 1.0};
  stats.mass_change_transport = {-1e-15, -0.25};
  stats.mass_change_external = {0.0, -0.25};
  const auto rows = microheal::solver::mass_balance(stats, 4.0);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].residual == -1e-17);
  // Against the block (4): 2.5e-18; against its largest term (1e-15) it would read 1 %.
  CHECK(rows[0].residual_relative == Approx(-2.5e-18));
  CHECK(rows[1].residual == 0.0);
  stats.mass_final[1] = 2.4;  // 0.1 lost somewhere
  CHECK(microheal::solver::mass_balance(stats, 1.0)[1].residual_relative == Approx(0.1 / 2.4));
  stats.mass_change_external.clear();  // not tracked
  CHECK(microheal::solver::mass_balance(stats, 1.0).empty());
}
