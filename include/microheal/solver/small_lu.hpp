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
///
/// Block lower-triangular matrices: @p BlockEnd[k] is one past the last index of the diagonal
/// block that holds index k, and the matrix must be zero above its diagonal blocks (a(i, j) = 0
/// for j >= BlockEnd[i]). U is then block diagonal, so the elimination of column k touches only
/// the columns of k's block, and pivots are searched only among the block's rows: the result is
/// the same factorisation restricted to the entries that are not structurally zero (one block of
/// size N, the default, is the dense case). A reaction kernel whose species decouple in one
/// direction (the skin model: the inflammatory core drives TGF-beta, fibroblasts and collagen,
/// never the reverse) needs a fraction of the dense work.

namespace microheal::solver {

/// @brief BlockEnd of a dense N x N matrix (one block).
template <int N>
constexpr std::array<int, static_cast<std::size_t>(N)> dense_block_end() {
  std::array<int, static_cast<std::size_t>(N)> end{};
  end.fill(N);
  return end;
}

/// @brief True when @p end describes diagonal blocks: every entry in (k, N], constant within a
/// block and equal to k + 1 at a block's last index.
template <int N>
constexpr bool valid_block_end(const std::array<int, static_cast<std::size_t>(N)>& end) {
  for (int k = 0; k < N; ++k) {
    const int e = end[static_cast<std::size_t>(k)];
    if (e <= k || e > N)
      return false;
    if (k + 1 < N && e != k + 1 && end[static_cast<std::size_t>(k + 1)] != e)
      return false;
  }
  return true;
}

template <int N, std::array<int, static_cast<std::size_t>(N)> BlockEnd = dense_block_end<N>()>
class SmallLu {
  static_assert(valid_block_end<N>(BlockEnd), "BlockEnd must describe diagonal blocks");

 public:
  using Matrix = Eigen::Matrix<double, N, N>;
  using Vector = Eigen::Matrix<double, N, 1>;

  /// @brief Factorises @p a = P^T L U. A singular matrix is not detected: its zero pivot makes the
  /// solutions non-finite, which the caller's finiteness check catches.
  explicit SmallLu(const Matrix& a) : _lu(a) { factorise(); }

  /// @brief Factorises I - @p scale @p j (a Rosenbrock stage matrix), formed in place: no
  /// temporary N x N matrix is written and copied per voxel.
  SmallLu(const Matrix& j, double scale) : _lu(Matrix::Identity() - scale * j) { factorise(); }

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
      // U is block diagonal: column k has entries only in the rows of k's block.
      for (int i = block_start(k); i < k; ++i)
        x(i) -= _lu(i, k) * xk;
    }
    return x;
  }

 private:
  void factorise() {
    for (int k = 0; k < N; ++k) {
      const int block_end = BlockEnd[static_cast<std::size_t>(k)];
      int p = k;
      double biggest = std::abs(_lu(k, k));
      for (int i = k + 1; i < block_end; ++i) {
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
      // Row k of U is zero beyond the block (the matrix is zero above its diagonal blocks).
      for (int j = k + 1; j < block_end; ++j) {
        const double ukj = _lu(k, j);
        for (int i = k + 1; i < N; ++i)
          _lu(i, j) -= _lu(i, k) * ukj;
      }
    }
  }

  /// First index of the diagonal block that holds index @p k.
  static constexpr int block_start(int k) {
    int start = k;
    while (start > 0 &&
           BlockEnd[static_cast<std::size_t>(start - 1)] == BlockEnd[static_cast<std::size_t>(k)])
      --start;
    return start;
  }

  Matrix _lu;
  std::array<int, static_cast<std::size_t>(N)> _pivot{};
  std::array<double, static_cast<std::size_t>(N)> _inv_diag{};
};

}  // namespace microheal::solver
