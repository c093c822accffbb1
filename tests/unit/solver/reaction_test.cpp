// Unit tests of the per-voxel ROS2 reaction stepper (KernelReactionStepper).
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/solver/kernel_reaction_stepper.hpp"
#include "microheal/solver/small_lu.hpp"

namespace {

using microheal::Index;
using microheal::grid::FieldSet;
using microheal::grid::Grid;
using microheal::solver::ErrorWeights;
using microheal::solver::KernelReactionStepper;
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

// u' = A u with A = [[-a, b], [b, -a]]: eigenvalues -(a - b) and -(a + b).
struct Linear2 {
  static constexpr int num_species = 2;
  static constexpr int num_coefficients = 0;
  double a = 500.5;
  double b = 499.5;
  void rates(const Vec2& u, std::span<const double, 0>, Vec2& f) const {
    f(0) = -a * u(0) + b * u(1);
    f(1) = b * u(0) - a * u(1);
  }
  void jacobian(const Vec2&, std::span<const double, 0>, Mat2& j) const { j << -a, b, b, -a; }
};

// u' = c(x) (1 - u): relaxation to the homeostatic value 1 at a position-dependent rate.
struct Relax {
  static constexpr int num_species = 1;
  static constexpr int num_coefficients = 1;
  void rates(const Vec1& u, std::span<const double, 1> c, Vec1& f) const {
    f(0) = c[0] * (1.0 - u(0));
  }
  void jacobian(const Vec1&, std::span<const double, 1> c, Mat1& j) const { j(0, 0) = -c[0]; }
};

double logistic_exact(double u0, double t) {
  return 1.0 / (1.0 + (1.0 / u0 - 1.0) * std::exp(-t));
}

// Max error at t = 2 of the logistic problem after n fixed ROS2 steps.
double logistic_error(int n) {
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  FieldSet u(g, {"u"});
  u.fill(0, 0.1);
  KernelReactionStepper<Logistic> stepper(g, Logistic{}, {}, 0.0);
  const auto w = ErrorWeights::uniform(1, 1e-6, 1e-9);
  for (int i = 0; i < n; ++i)
    stepper.step(u, 2.0 / n, w);
  return std::abs(u[0][0] - logistic_exact(0.1, 2.0));
}

// Max error at t = 1 of the stiff linear system (eigenvalues -1 and -1000) from (1, 0).
double linear_error(int n) {
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  FieldSet u(g, {"u", "v"});
  u.fill(0, 1.0);
  KernelReactionStepper<Linear2> stepper(g, Linear2{}, {}, 0.0);
  const auto w = ErrorWeights::uniform(2, 1e-6, 1e-9);
  for (int i = 0; i < n; ++i)
    stepper.step(u, 1.0 / n, w);
  const double slow = 0.5 * std::exp(-1.0);
  const double fast = 0.5 * std::exp(-1000.0);
  return std::max(std::abs(u[0][0] - (slow + fast)), std::abs(u[1][0] - (slow - fast)));
}

}  // namespace

TEST_CASE("ROS2 is second order on the logistic equation", "[reaction]") {
  std::vector<double> errors;
  // ROS2's error constant is large (R(z) - e^z = -1.37 z^3 + ...), so the asymptotic range
  // starts near 40 steps; coarser runs show orders up to 2.5.
  for (const int n : {40, 80, 160, 320})
    errors.push_back(logistic_error(n));
  for (std::size_t i = 0; i + 1 < errors.size(); ++i) {
    const double order = std::log2(errors[i] / errors[i + 1]);
    INFO("error " << errors[i] << " -> " << errors[i + 1] << ", observed order " << order);
    CHECK(order == Approx(2.0).margin(0.2));
  }
  CHECK(errors.back() < 1e-5);
}

TEST_CASE("ROS2 is second order and L-stable on a stiff linear system", "[reaction]") {
  std::vector<double> errors;
  for (const int n : {40, 80, 160, 320})
    errors.push_back(linear_error(n));
  for (std::size_t i = 0; i + 1 < errors.size(); ++i) {
    const double order = std::log2(errors[i] / errors[i + 1]);
    INFO("error " << errors[i] << " -> " << errors[i + 1] << ", observed order " << order);
    CHECK(order == Approx(2.0).margin(0.2));
  }

  // One step far beyond the explicit limit: the stiff mode is damped, nothing overshoots.
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  FieldSet u(g, {"u", "v"});
  u.fill(0, 1.0);
  u.fill(1, -1.0);  // the pure stiff mode (eigenvalue -1000)
  KernelReactionStepper<Linear2> stepper(g, Linear2{}, {}, 0.0);
  stepper.step(u, 1.0, ErrorWeights::uniform(2, 1e-3, 1e-6));
  // The stability function R(z) = (1 + (1 - 2 gamma) z) / (1 - gamma z)^2 at z = -1000: 8.28e-4.
  const double gamma = 1.0 + 1.0 / std::sqrt(2.0);
  const double z = -1000.0;
  const double damping = (1.0 + (1.0 - 2.0 * gamma) * z) / ((1.0 - gamma * z) * (1.0 - gamma * z));
  CHECK(damping == Approx(8.278e-4).epsilon(1e-3));
  CHECK(u[0][0] == Approx(damping).epsilon(1e-9));
  CHECK(u[1][0] == Approx(-damping).epsilon(1e-9));
}

TEST_CASE("the embedded error estimate is O(h^2) per step", "[reaction]") {
  const Grid g = Grid::uniform({1, 1, 1}, 1.0);
  const auto w = ErrorWeights::uniform(1, 1e-6, 1e-9);
  KernelReactionStepper<Logistic> stepper(g, Logistic{}, {}, 0.0);
  std::vector<double> estimates;
  for (const double h : {0.05, 0.025, 0.0125}) {
    FieldSet u(g, {"u"});
    u.fill(0, 0.1);
    estimates.push_back(stepper.step(u, h, w).error_norm);
  }
  CHECK(estimates[0] / estimates[1] == Approx(4.0).epsilon(0.1));
  CHECK(estimates[1] / estimates[2] == Approx(4.0).epsilon(0.1));
}

TEST_CASE("resting voxels are skipped and exact homeostasis does not change", "[reaction]") {
  const Grid g = Grid::uniform({4, 3, 2}, 0.1);
  const std::vector<double> rate(24, 2.0);
  FieldSet u(g, {"u"});
  u.fill(0, 1.0);
  u[0][7] = 0.5;           // wounded voxel: active
  u[0][13] = 1.0 + 1e-14;  // a hair off homeostasis: h |f| = 2e-15, far below the threshold
  const FieldSet before = u;
  const auto w = ErrorWeights::uniform(1, 1e-6, 1e-9);

  SECTION("with the default rest fraction") {
    KernelReactionStepper<Relax> stepper(g, Relax{}, {rate});
    const auto stats = stepper.step(u, 0.1, w);
    CHECK(stats.active_voxels == 1);
    CHECK(stats.resting_voxels == 23);
    for (std::size_t v = 0; v < 24; ++v) {
      if (v == 7)
        continue;
      CHECK(u[0][v] == before[0][v]);  // bitwise
    }
    CHECK(u[0][7] > 0.5);
    // Many more steps: exact homeostasis stays bitwise at 1.
    for (int i = 0; i < 1000; ++i)
      stepper.step(u, 0.1, w);
    CHECK(u[0][0] == 1.0);
    CHECK(u[0][23] == 1.0);
  }
  SECTION("with rest fraction 0 only f == 0 rests") {
    KernelReactionStepper<Relax> stepper(g, Relax{}, {rate}, 0.0);
    const auto stats = stepper.step(u, 0.1, w);
    CHECK(stats.active_voxels == 2);
    CHECK(stats.resting_voxels == 22);
    CHECK(u[0][0] == 1.0);
    CHECK(u[0][13] != before[0][13]);
  }
}

TEST_CASE("position-dependent coefficients are read per voxel", "[reaction]") {
  const Grid g = Grid::uniform({5, 2, 1}, 0.1);
  std::vector<double> rate(10);
  for (std::size_t v = 0; v < rate.size(); ++v)
    rate[v] = 0.1 * static_cast<double>(v + 1);
  FieldSet u(g, {"u"});
  KernelReactionStepper<Relax> stepper(g, Relax{}, {rate});
  const auto w = ErrorWeights::uniform(1, 1e-6, 1e-9);
  for (int i = 0; i < 1000; ++i)
    stepper.step(u, 0.001, w);
  for (std::size_t v = 0; v < rate.size(); ++v) {
    CHECK(u[0][v] == Approx(1.0 - std::exp(-rate[v])).margin(1e-6));
  }
}

TEST_CASE("coefficient fields and shapes are validated", "[reaction]") {
  using microheal::core::InputError;
  const Grid g = Grid::uniform({4, 3, 2}, 0.1);
  const std::vector<double> good(24, 1.0);
  const std::vector<double> short_field(23, 1.0);
  CHECK_THROWS_AS(KernelReactionStepper<Relax>(g, Relax{}, {}), InputError);
  CHECK_THROWS_AS(KernelReactionStepper<Relax>(g, Relax{}, {good, good}), InputError);
  CHECK_THROWS_WITH(KernelReactionStepper<Relax>(g, Relax{}, {short_field}),
                    Catch::Contains("23 values") && Catch::Contains("24 voxels"));
  CHECK_THROWS_AS(KernelReactionStepper<Relax>(g, Relax{}, {good}, -0.1), InputError);
  CHECK_NOTHROW(KernelReactionStepper<Relax>(g, Relax{}, {good}, 0.0));

  KernelReactionStepper<Relax> stepper(g, Relax{}, {good});
  FieldSet two_species(g, {"a", "b"});
  CHECK_THROWS_AS(stepper.step(two_species, 0.1, ErrorWeights::uniform(2, 1e-3, 1e-6)), InputError);
  FieldSet other_grid(Grid::uniform({4, 3, 1}, 0.1), {"a"});
  CHECK_THROWS_AS(stepper.step(other_grid, 0.1, ErrorWeights::uniform(1, 1e-3, 1e-6)), InputError);
}

TEST_CASE("a NaN produced in a voxel is kept and reported", "[reaction]") {
  const Grid g = Grid::uniform({4, 3, 2}, 0.1);
  std::vector<double> rate(24, 1.0);
  rate[5] = std::numeric_limits<double>::quiet_NaN();
  FieldSet u(g, {"u"});
  u.fill(0, 1.0);  // homeostasis: every other voxel rests, the NaN one must not
  KernelReactionStepper<Relax> stepper(g, Relax{}, {rate});
  const auto stats = stepper.step(u, 0.1, ErrorWeights::uniform(1, 1e-3, 1e-6));
  CHECK(std::isnan(u[0][5]));
  CHECK(std::isinf(stats.error_norm));
  CHECK(stats.active_voxels == 1);
  CHECK(u[0][4] == 1.0);
}

/// 200 random 11 x 11 systems, zero above the diagonal blocks of @p BlockEnd, half of them shaped
/// like the stepper's W = I - gamma h J (unit diagonal, stiff off-diagonal terms), every fifth
/// with rows 0 and @p swap_row exchanged (a pivot is needed): SmallLu solves them to a backward
/// stable residual and agrees with Eigen's PartialPivLU within condition number x rounding.
template <std::array<int, 11> BlockEnd>
void check_small_lu_against_eigen(std::uint64_t seed, int swap_row) {
  using Mat11 = Eigen::Matrix<double, 11, 11>;
  using Vec11 = Eigen::Matrix<double, 11, 1>;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    Mat11 a;
    Vec11 b;
    for (int i = 0; i < 11; ++i) {
      b(i) = uniform(rng);
      for (int j = 0; j < 11; ++j)
        a(i, j) = j < BlockEnd[static_cast<std::size_t>(i)] ? uniform(rng) : 0.0;
    }
    if (trial % 2 == 1)
      a = Mat11::Identity() - 30.0 * a;
    if (trial % 5 == 0)
      a.row(0).swap(a.row(swap_row));
    const Vec11 x = microheal::solver::SmallLu<11, BlockEnd>(a).solve(b);
    const Eigen::PartialPivLU<Mat11> eigen_lu(a);
    const Vec11 x_eigen = eigen_lu.solve(b);
    CHECK((a * x - b).norm() <= 1e-14 * a.norm() * x.norm());
    // Both are backward stable, so they may differ by the condition number times rounding.
    const double condition = a.norm() * eigen_lu.inverse().norm();
    CHECK((x - x_eigen).norm() <= 1e-14 * condition * x_eigen.norm());
  }
}

TEST_CASE("the small LU solves like Eigen's partial-pivot LU", "[reaction]") {
  check_small_lu_against_eigen<microheal::solver::dense_block_end<11>()>(20261121, 10);
}

TEST_CASE("the block LU solves block lower-triangular systems like Eigen's LU", "[reaction]") {
  // The skin model's blocks: 4, 1, 1, 2, 2, 1; rows 0 and 3 swapped need a pivot in the first.
  check_small_lu_against_eigen<std::array<int, 11>{4, 4, 4, 4, 5, 6, 8, 8, 10, 10, 11}>(20261204,
                                                                                        3);
  // Blocks that are not blocks are refused at compile time.
  STATIC_REQUIRE_FALSE(microheal::solver::valid_block_end<3>({1, 3, 2}));
  STATIC_REQUIRE_FALSE(microheal::solver::valid_block_end<3>({2, 3, 3}));
  STATIC_REQUIRE(microheal::solver::valid_block_end<3>({1, 3, 3}));
}

TEST_CASE("the small LU pivots past zero diagonals and flags singular systems", "[reaction]") {
  // A cyclic permutation times a diagonal: every leading diagonal entry is 0 before pivoting.
  Eigen::Matrix<double, 4, 4> p = Eigen::Matrix<double, 4, 4>::Zero();
  p(0, 3) = 2.0;
  p(1, 0) = -3.0;
  p(2, 1) = 0.5;
  p(3, 2) = 4.0;
  const Eigen::Matrix<double, 4, 1> b(1.0, 2.0, 3.0, 4.0);
  const auto x = microheal::solver::SmallLu<4>(p).solve(b);
  CHECK(x(3) == 0.5);
  CHECK(x(0) == -2.0 / 3.0);
  CHECK(x(1) == 6.0);
  CHECK(x(2) == 1.0);

  Eigen::Matrix<double, 3, 3> singular;
  singular << 1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.0, 1.0, 1.0;
  const auto y =
      microheal::solver::SmallLu<3>(singular).solve(Eigen::Matrix<double, 3, 1>(1, 1, 1));
  CHECK_FALSE(y.allFinite());
}
