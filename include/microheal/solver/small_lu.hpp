#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

/// @file
/// @brief LU factorisation with partial pivoting of a small matrix whose size is known at compile
/// time, for the per-voxel systems of the reaction stepper.
///
/// Why not Eigen::PartialPivLU: Eigen unrolls only sizes up to 4; at 11 x 11 (the skin model) it
/// runs its dynamic-size blocked code (run-time loop bounds, a BLAS-style matrix-vector product
/// and triangular solves through function calls), which took 46 % of a 3D model run
/// (`perf record` of `microheal run scenarios/home-roller-0.25mm.toml`, docs/numerics.md). Here
/// the size is a compile-time constant: plain loops of at most N trips that the compiler inlines
/// and vectorises, no run-time size dispatch, no calls. The algorithm is the same: right-looking
/// Gaussian elimination on the column-major matrix, pivot = the entry of largest magnitude in the
/// column (first one on ties), rows swapped in full, L unit lower triangular.

namespace microheal::solver {

template <int N>
class SmallLu {
 public:
  using Matrix = Eigen::Matrix<double, N, N>;
  using Vector = Eigen::Matrix<double, N, 1>;

  /// @brief Factorises @p a = P^T L U. A singular matrix is not detected: its zero pivot makes the
  /// solutions non-finite, which the caller's finiteness check catches.
  explicit SmallLu(const Matrix& a) : _lu(a) {
    for (int k = 0; k < N; ++k) {
      int p = k;
      double biggest = std::abs(_lu(k, k));
      for (int i = k + 1; i < N; ++i) {
        const double v = std::abs(_lu(i, k));
        if (v > biggest) {
          biggest = v;
          p = i;
        }
      }
      _pivot[static_cast<std::size_t>(k)] = p;
      if (p != k) {
        for (int j = 0; j < N; ++j)
          std::swap(_lu(k, j), _lu(p, j));
      }
      // One division per column; the multipliers and the back substitution then multiply.
      const double inv = 1.0 / _lu(k, k);
      _inv_diag[static_cast<std::size_t>(k)] = inv;
      for (int i = k + 1; i < N; ++i)
        _lu(i, k) *= inv;
      for (int j = k + 1; j < N; ++j) {
        const double ukj = _lu(k, j);
        for (int i = k + 1; i < N; ++i)
          _lu(i, j) -= _lu(i, k) * ukj;
      }
    }
  }

  /// @brief x with A x = @p b.
  Vector solve(const Vector& b) const {
    Vector x = b;
    for (int k = 0; k < N; ++k) {
      const int p = _pivot[static_cast<std::size_t>(k)];
      if (p != k)
        std::swap(x(k), x(p));
    }
    for (int k = 0; k < N; ++k) {
      const double xk = x(k);
      for (int i = k + 1; i < N; ++i)
        x(i) -= _lu(i, k) * xk;
    }
    for (int k = N - 1; k >= 0; --k) {
      x(k) *= _inv_diag[static_cast<std::size_t>(k)];
      const double xk = x(k);
      for (int i = 0; i < k; ++i)
        x(i) -= _lu(i, k) * xk;
    }
    return x;
  }

 private:
  Matrix _lu;
  std::array<int, static_cast<std::size_t>(N)> _pivot{};
  std::array<double, static_cast<std::size_t>(N)> _inv_diag{};
};

}  // namespace microheal::solver
