#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "microheal/core/types.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

/// @file
/// @brief The inner loops of the fast diffusion path (private to the diffusion solver).
///
/// Every kernel is a template on the SIMD width W (GCC vector extensions: 1 = scalar, 2 = SSE2,
/// 4 = AVX2) and is force-inlined into small entry functions that diffusion.cpp compiles once per
/// instruction set, so one portable binary picks the widest set the CPU has at run time. The
/// kernels take no decisions of their own: tables, pointers and per-slab coefficients come in
/// argument structs. Vectors are passed by reference only, so no function boundary depends on
/// the vector ABI.
///
/// Lines along x are contiguous in memory, so the x sweeps run W (or 2W) lines at once: a W x W
/// block is loaded and transposed in registers, each column then advances W lines by one step.
/// Lines along y and z run across the contiguous x direction, one vector of W lines per load.

namespace microheal::solver::detail {

template <int W>
struct SimdType;
template <>
struct SimdType<1> {
  using type = double;
  using unaligned = double;
};
template <>
struct SimdType<2> {
  typedef double type __attribute__((vector_size(16)));
  typedef double unaligned __attribute__((vector_size(16), aligned(8), may_alias));
};
template <>
struct SimdType<4> {
  typedef double type __attribute__((vector_size(32)));
  typedef double unaligned __attribute__((vector_size(32), aligned(8), may_alias));
};

template <int W>
using Vec = typename SimdType<W>::type;

// Unaligned vector access through a may_alias type: one vmovupd, where memcpy into a vector can
// be split into halves by the compiler.
template <int W>
[[gnu::always_inline]] inline void vload(Vec<W>& v, const double* p) {
  v = *reinterpret_cast<const typename SimdType<W>::unaligned*>(p);
}
template <int W>
[[gnu::always_inline]] inline void vstore(double* p, const Vec<W>& v) {
  *reinterpret_cast<typename SimdType<W>::unaligned*>(p) = v;
}
template <int W>
[[gnu::always_inline]] inline void vfill(Vec<W>& v, double s) {
  if constexpr (W == 1) {
    v = s;
  } else {
    for (int l = 0; l < W; ++l)
      v[l] = s;
  }
}
template <int W>
[[gnu::always_inline]] inline double lane(const Vec<W>& v, int l) {
  if constexpr (W == 1) {
    return v;
  } else {
    return v[l];
  }
}
template <int W>
[[gnu::always_inline]] inline void set_lane(Vec<W>& v, int l, double s) {
  if constexpr (W == 1) {
    v = s;
  } else {
    v[l] = s;
  }
}

// |v| by clearing the sign bits (one instruction where compare-and-blend takes three).
template <int W>
[[gnu::always_inline]] inline void vabs(Vec<W>& v) {
  if constexpr (W == 1) {
    v = std::abs(v);
  } else {
    typedef long long Bits __attribute__((vector_size(8 * W)));
    v = reinterpret_cast<Vec<W>>(reinterpret_cast<Bits>(v) & 0x7fffffffffffffffLL);
  }
}

/// @brief Stores bypassing the caches, for results that are not read again before the whole
/// field has been swept: no read-for-ownership, a third less memory traffic. @p p must be
/// aligned to stream_alignment<W>() bytes. (The raw builtins are legal here because these
/// functions are always inlined into entry points compiled for the matching instruction set.)
template <int W>
constexpr std::uintptr_t stream_alignment() {
  return W == 1 ? 8 : 8 * W;
}
template <int W>
[[gnu::always_inline]] inline void vstream(double* p, const Vec<W>& v) {
#if defined(__SSE2__)
  if constexpr (W == 4) {
#if defined(__clang__)
    // Clang has no GCC ia32 builtin for this store; its generic one emits the same vmovntpd.
    __builtin_nontemporal_store(v, reinterpret_cast<Vec<W>*>(p));
#else
    __builtin_ia32_movntpd256(p, v);
#endif
  } else if constexpr (W == 2) {
    _mm_stream_pd(p, v);
  } else {
    *p = v;
  }
#else
  vstore<W>(p, v);
#endif
}

/// @brief Orders this thread's streaming stores before what follows (a barrier's readers).
inline void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

template <int W>
inline bool stream_aligned(const double* p) {
  return reinterpret_cast<std::uintptr_t>(p) % stream_alignment<W>() == 0;
}

/// @brief In-register transpose of a W x W block (rows <-> columns).
template <int W>
[[gnu::always_inline]] inline void transpose(std::array<Vec<W>, W>& r) {
  if constexpr (W == 4) {
    const Vec<4> t0 = __builtin_shufflevector(r[0], r[1], 0, 4, 2, 6);
    const Vec<4> t1 = __builtin_shufflevector(r[0], r[1], 1, 5, 3, 7);
    const Vec<4> t2 = __builtin_shufflevector(r[2], r[3], 0, 4, 2, 6);
    const Vec<4> t3 = __builtin_shufflevector(r[2], r[3], 1, 5, 3, 7);
    r[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
    r[1] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
    r[2] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
    r[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
  } else if constexpr (W == 2) {
    const Vec<2> t0 = __builtin_shufflevector(r[0], r[1], 0, 2);
    const Vec<2> t1 = __builtin_shufflevector(r[0], r[1], 1, 3);
    r[0] = t0;
    r[1] = t1;
  }
}

/// @brief Non-owning view of the forward/back tables of one line type (see LineFactor).
struct LineView {
  const double* am = nullptr;
  const double* m = nullptr;
  const double* cp = nullptr;
  double src_lo = 0.0;
  double src_hi = 0.0;
  const double* z = nullptr;  // non-null: cyclic (Sherman-Morrison correction)
  double bg = 0.0;
  double q = 0.0;
};

/// @brief Lines along x: NG groups of W consecutive rows (row r at in + r * stride), each solved
/// with NT tables into out[t] + r * stride. Rows are addressed by base and stride, so the
/// kernel needs a handful of registers for its pointers.
struct XArgs {
  Index nx = 0;
  Index stride = 0;
  const double* in = nullptr;
  std::array<LineView, 2> tab{};
  std::array<double*, 2> out{};
  double* work = nullptr;  // NG * NT arrays of work_stride >= nx * W doubles
  Index work_stride = 0;
};

// XArgs copied into locals that never escape: the kernels store through may_alias vectors, after
// which anything read through the argument reference would have to be reloaded.
template <int W, int NG, int NT>
struct XLocal {
  Index nx;
  Index stride;
  const double* in;
  std::array<double*, NT> out;
  double* work;
  Index work_stride;
  std::array<const double*, NT> am, m, cp;
  std::array<double, NT> src_lo, src_hi;

  explicit XLocal(const XArgs& g)
      : nx(g.nx), stride(g.stride), in(g.in), work(g.work), work_stride(g.work_stride) {
    for (int t = 0; t < NT; ++t) {
      out[t] = g.out[t];
      am[t] = g.tab[t].am;
      m[t] = g.tab[t].m;
      cp[t] = g.tab[t].cp;
      src_lo[t] = g.tab[t].src_lo;
      src_hi[t] = g.tab[t].src_hi;
    }
  }
  const double* in_row(int r) const { return in + r * stride; }
  double* out_row(int t, int r) const { return out[t] + r * stride; }
  double* chain(int c) const { return work + c * work_stride; }
};

// Loads columns i0 .. i0+W-1 of the NG row groups, transposed: col[gi][q] holds column i0 + q
// of the W rows of group gi. cnt < W (the ragged end of a row) gathers lane by lane.
template <int W, int NG, int NT>
[[gnu::always_inline]] inline void x_load(const XLocal<W, NG, NT>& x, Index i0, Index cnt,
                                          std::array<std::array<Vec<W>, W>, NG>& col) {
  for (int gi = 0; gi < NG; ++gi) {
    if (cnt == W) {
      for (int l = 0; l < W; ++l)
        vload<W>(col[gi][l], x.in_row(gi * W + l) + i0);
      transpose<W>(col[gi]);
    } else {
      for (Index q = 0; q < cnt; ++q) {
        for (int l = 0; l < W; ++l)
          set_lane<W>(col[gi][q], l, x.in_row(gi * W + l)[i0 + q]);
      }
    }
  }
}

// One forward step of every chain at column i: d = (x + s) m - am d.
template <int W, int NG, int NT, bool Src>
[[gnu::always_inline]] inline void x_forward_column(
    const XLocal<W, NG, NT>& x, Index i, const std::array<std::array<Vec<W>, W>, NG>& col, int q,
    std::array<Vec<W>, NG * NT>& d) {
  for (int t = 0; t < NT; ++t) {
    const double m = x.m[t][i];
    const double am = x.am[t][i];
    double s = 0.0;
    if constexpr (Src)
      s = (i == 0 ? x.src_lo[t] : 0.0) + (i == x.nx - 1 ? x.src_hi[t] : 0.0);
    for (int gi = 0; gi < NG; ++gi) {
      Vec<W>& dd = d[gi * NT + t];
      if constexpr (Src) {
        dd = (col[gi][q] + s) * m - am * dd;
      } else {
        dd = col[gi][q] * m - am * dd;
      }
      vstore<W>(x.chain(gi * NT + t) + i * W, dd);
    }
  }
}

template <int W, int NG, int NT>
[[gnu::always_inline]] inline void x_rows(const XArgs& g) {
  using V = Vec<W>;
  constexpr int NC = NG * NT;  // independent chains, enough to hide the FMA latency
  const XLocal<W, NG, NT> x(g);
  const Index nx = x.nx;
  const Index nb = nx / W * W;  // end of the full W x W blocks
  std::array<V, NC> d;
  for (auto& e : d)
    vfill<W>(e, 0.0);
  std::array<std::array<V, W>, NG> col;
  // Forward elimination; the first column has am = 0, so the zero start value drops out. Only
  // the first and the last column carry boundary sources.
  {
    const Index cnt = std::min<Index>(W, nx);
    x_load<W, NG, NT>(x, 0, cnt, col);
    for (Index q = 0; q < cnt; ++q) {
      x_forward_column<W, NG, NT, true>(x, q, col, static_cast<int>(q), d);
    }
  }
  for (Index i0 = W; i0 + W < nx; i0 += W) {
    x_load<W, NG, NT>(x, i0, W, col);
    for (int q = 0; q < W; ++q)
      x_forward_column<W, NG, NT, false>(x, i0 + q, col, q, d);
  }
  if (nx > W) {
    const Index i0 = (nx - 1) / W * W;  // the block holding the last column
    const Index cnt = nx - i0;
    x_load<W, NG, NT>(x, i0, cnt, col);
    for (Index q = 0; q < cnt; ++q) {
      x_forward_column<W, NG, NT, true>(x, i0 + q, col, static_cast<int>(q), d);
    }
  }
  bool cyclic = false;
  for (int t = 0; t < NT; ++t)
    cyclic = cyclic || g.tab[t].z != nullptr;
  std::array<V, NC> y;
  for (auto& e : y)
    vfill<W>(e, 0.0);
  if (!cyclic) {
    // Back substitution (the last column has cp = 0), each finished W x W block transposed
    // straight into the output rows.
    for (Index i = nx - 1; i >= nb; --i) {
      for (int c = 0; c < NC; ++c) {
        V v;
        vload<W>(v, x.chain(c) + i * W);
        y[c] = v - x.cp[c % NT][i] * y[c];
        for (int l = 0; l < W; ++l)
          x.out_row(c % NT, (c / NT) * W + l)[i] = lane<W>(y[c], l);
      }
    }
    for (Index i0 = nb - W; i0 >= 0; i0 -= W) {
      std::array<std::array<V, W>, NC> blk;
      for (int q = W - 1; q >= 0; --q) {
        for (int c = 0; c < NC; ++c) {
          V v;
          vload<W>(v, x.chain(c) + (i0 + q) * W);
          y[c] = v - x.cp[c % NT][i0 + q] * y[c];
          blk[c][q] = y[c];
        }
      }
      for (int c = 0; c < NC; ++c) {
        transpose<W>(blk[c]);
        for (int l = 0; l < W; ++l)
          vstore<W>(x.out_row(c % NT, (c / NT) * W + l) + i0, blk[c][l]);
      }
    }
    return;
  }
  // Cyclic lines: back substitution in place, Sherman-Morrison correction, then the transpose.
  for (Index i = nx - 1; i >= 0; --i) {
    for (int c = 0; c < NC; ++c) {
      V v;
      vload<W>(v, x.chain(c) + i * W);
      y[c] = v - x.cp[c % NT][i] * y[c];
      vstore<W>(x.chain(c) + i * W, y[c]);
    }
  }
  for (int c = 0; c < NC; ++c) {
    const LineView& tb = g.tab[c % NT];
    double* wk = x.chain(c);
    V y0;
    V yn;
    vload<W>(y0, wk);
    vload<W>(yn, wk + (nx - 1) * W);
    const V f = (y0 + tb.bg * yn) * tb.q;
    const double* z = tb.z;
    for (Index i = 0; i < nx; ++i) {
      V v;
      vload<W>(v, wk + i * W);
      v -= f * z[i];
      vstore<W>(wk + i * W, v);
    }
  }
  for (int c = 0; c < NC; ++c) {
    const double* wk = x.chain(c);
    for (Index i0 = 0; i0 < nx; i0 += W) {
      const Index cnt = std::min<Index>(W, nx - i0);
      std::array<V, W> blk;
      if (cnt == W) {
        for (int q = 0; q < W; ++q)
          vload<W>(blk[q], wk + (i0 + q) * W);
        transpose<W>(blk);
        for (int l = 0; l < W; ++l)
          vstore<W>(x.out_row(c % NT, (c / NT) * W + l) + i0, blk[l]);
      } else {
        for (Index q = 0; q < cnt; ++q) {
          for (int l = 0; l < W; ++l) {
            x.out_row(c % NT, (c / NT) * W + l)[i0 + q] = wk[(i0 + q) * W + l];
          }
        }
      }
    }
  }
}

/// @brief Lines along y of one z-slab, columns [c0, c1), then one step of the elimination along z
/// for the same voxels: zf = (y + z_src) z_m - z_am * zbuf;  zbuf = out = zf.
struct YArgs {
  Index nx = 0;  // row stride
  Index ny = 0;  // lines along y are solved only when ny > 1
  Index c0 = 0;
  Index c1 = 0;
  double* b = nullptr;  // the slab (ny rows of nx), overwritten by the y solution
  LineView tab{};
  double z_m = 1.0;
  double z_am = 0.0;
  double z_src = 0.0;
  double* zbuf = nullptr;  // running elimination along z (one slab)
  double* out = nullptr;   // where the eliminated slab goes (one slab of the scratch field)
  bool stream = false;     // out is not read again soon: bypass the caches
};

// The z step of one slab: zf = (y + src) m - am * zbuf. Kept in registers by the callers,
// since stores through double* would otherwise force reloads of an argument struct.
struct ZStep {
  double m;
  double am;
  double src;
};

template <int W, bool Stream>
[[gnu::always_inline]] inline void z_forward_at(Index i, const double* y, double* zb, double* out,
                                                ZStep zs) {
  Vec<W> x;
  Vec<W> p;
  vload<W>(x, y + i);
  vload<W>(p, zb + i);
  const Vec<W> r = (x + zs.src) * zs.m - zs.am * p;
  vstore<W>(zb + i, r);
  if constexpr (Stream) {
    vstream<W>(out + i, r);
  } else {
    vstore<W>(out + i, r);
  }
}

// Columns [i, i + B W) of the slab: forward elimination along y with the B vectors of the
// recurrence held in registers, then the back substitution fused with the z step, so every
// voxel of the slab is loaded and stored once per sweep and the elimination state never leaves
// the registers. Cyclic lines store their back substitution for the correction instead.
template <int W, int B, bool Stream, bool ZSrc, bool Cyclic>
[[gnu::always_inline]] inline void y_block(Index i, Index nx, Index ny, double* b,
                                           const LineView& t, ZStep zs, double* zbuf, double* out) {
  using V = Vec<W>;
  std::array<V, B> d;
  {
    const double m = t.m[0];
    const double s = t.src_lo;
    for (int k = 0; k < B; ++k) {
      V x;
      vload<W>(x, b + i + k * W);
      d[k] = (x + s) * m;
      vstore<W>(b + i + k * W, d[k]);
    }
  }
  for (Index j = 1; j < ny - 1; ++j) {
    double* bj = b + j * nx + i;
    const double m = t.m[j];
    const double am = t.am[j];
    for (int k = 0; k < B; ++k) {
      V x;
      vload<W>(x, bj + k * W);
      d[k] = x * m - am * d[k];
      vstore<W>(bj + k * W, d[k]);
    }
  }
  {
    // The last row: its forward value is final, and it carries the high-face source.
    double* bj = b + (ny - 1) * nx + i;
    const double m = t.m[ny - 1];
    const double am = t.am[ny - 1];
    const double s = t.src_hi;
    for (int k = 0; k < B; ++k) {
      V x;
      vload<W>(x, bj + k * W);
      d[k] = (x + s) * m - am * d[k];
      if constexpr (Cyclic)
        vstore<W>(bj + k * W, d[k]);
    }
  }
  // GNU spelling on purpose: a standard [[gnu::always_inline]] in this place appertains to the
  // lambda's type and is ignored, so Debug builds compiled the lambda on its own, without the
  // caller's AVX2 target, and the AVX streaming store in it did not compile.
  auto z_step = [&](Index j, const std::array<V, B>& y) __attribute__((always_inline)) {
    const Index o = j * nx + i;
    for (int k = 0; k < B; ++k) {
      V p;
      vload<W>(p, zbuf + o + k * W);
      V r;
      if constexpr (ZSrc) {
        r = (y[k] + zs.src) * zs.m - zs.am * p;
      } else {
        r = y[k] * zs.m - zs.am * p;
      }
      vstore<W>(zbuf + o + k * W, r);
      if constexpr (Stream) {
        vstream<W>(out + o + k * W, r);
      } else {
        vstore<W>(out + o + k * W, r);
      }
    }
  };
  if constexpr (!Cyclic)
    z_step(ny - 1, d);
  for (Index j = ny - 2; j >= 0; --j) {
    double* bj = b + j * nx + i;
    const double cp = t.cp[j];
    for (int k = 0; k < B; ++k) {
      V x;
      vload<W>(x, bj + k * W);
      d[k] = x - cp * d[k];
      if constexpr (Cyclic)
        vstore<W>(bj + k * W, d[k]);
    }
    if constexpr (!Cyclic)
      z_step(j, d);
  }
  if constexpr (Cyclic) {
    // Sherman-Morrison: x_j = y_j - (y_0 + bg y_{n-1}) q z_j, then the z step row by row.
    std::array<V, B> f;
    for (int k = 0; k < B; ++k) {
      V yn;
      vload<W>(yn, b + (ny - 1) * nx + i + k * W);
      f[k] = (d[k] + t.bg * yn) * t.q;
    }
    for (Index j = 0; j < ny; ++j) {
      std::array<V, B> y;
      const double z = t.z[j];
      for (int k = 0; k < B; ++k) {
        V x;
        vload<W>(x, b + j * nx + i + k * W);
        y[k] = x - f[k] * z;
      }
      z_step(j, y);
    }
  }
}

template <int W, bool Stream, bool ZSrc, bool Cyclic>
[[gnu::always_inline]] inline void y_cols_impl(const YArgs& g) {
  // Vectors per column block: independent chains for the FMA latency (8 measured best of 2, 4
  // and 8 at W = 4).
  constexpr int B = 8;
  const Index nx = g.nx;
  const Index c1 = g.c1;
  Index i = g.c0;
  for (; i + B * W <= c1; i += B * W) {
    y_block<W, B, Stream, ZSrc, Cyclic>(i, nx, g.ny, g.b, g.tab, ZStep{g.z_m, g.z_am, g.z_src},
                                        g.zbuf, g.out);
  }
  for (; i + W <= c1; i += W) {
    y_block<W, 1, Stream, ZSrc, Cyclic>(i, nx, g.ny, g.b, g.tab, ZStep{g.z_m, g.z_am, g.z_src},
                                        g.zbuf, g.out);
  }
  for (; i < c1; ++i) {
    y_block<1, 1, false, ZSrc, Cyclic>(i, nx, g.ny, g.b, g.tab, ZStep{g.z_m, g.z_am, g.z_src},
                                       g.zbuf, g.out);
  }
}

// The z step alone, for slabs without lines along y (ny = 1).
template <int W, bool Stream>
[[gnu::always_inline]] inline void z_only(const YArgs& g) {
  const Index nv = g.c0 + (g.c1 - g.c0) / W * W;
  const ZStep zs{g.z_m, g.z_am, g.z_src};
  for (Index i = g.c0; i < nv; i += W)
    z_forward_at<W, Stream>(i, g.b, g.zbuf, g.out, zs);
  for (Index i = nv; i < g.c1; ++i)
    z_forward_at<1, false>(i, g.b, g.zbuf, g.out, zs);
}

template <int W>
[[gnu::always_inline]] inline void y_cols(const YArgs& g) {
  const bool stream = g.stream && W > 1 && g.nx % W == 0 && stream_aligned<W>(g.out + g.c0);
  if (g.ny == 1) {
    if (stream) {
      z_only<W, true>(g);
    } else {
      z_only<W, false>(g);
    }
    return;
  }
  const bool zsrc = g.z_src != 0.0;
  const bool cyclic = g.tab.z != nullptr;
  if (cyclic) {
    if (zsrc) {
      y_cols_impl<W, false, true, true>(g);
    } else {
      y_cols_impl<W, false, false, true>(g);
    }
  } else if (stream) {
    if (zsrc) {
      y_cols_impl<W, true, true, false>(g);
    } else {
      y_cols_impl<W, true, false, false>(g);
    }
  } else {
    if (zsrc) {
      y_cols_impl<W, false, true, false>(g);
    } else {
      y_cols_impl<W, false, false, false>(g);
    }
  }
}

/// @brief Back substitution along z over one row: y = in - cp * zbuf; zbuf = y; out = y if given.
struct ZBackArgs {
  Index n = 0;
  const double* in = nullptr;
  double cp = 0.0;
  double* zbuf = nullptr;
  double* out = nullptr;
};

template <int W, bool Out>
[[gnu::always_inline]] inline void z_back_at(Index i, const double* in, double cp, double* zbuf,
                                             double* out) {
  Vec<W> x;
  Vec<W> p;
  vload<W>(x, in + i);
  vload<W>(p, zbuf + i);
  const Vec<W> r = x - cp * p;
  vstore<W>(zbuf + i, r);
  if constexpr (Out)
    vstore<W>(out + i, r);
}

template <int W>
[[gnu::always_inline]] inline void z_back_row(const ZBackArgs& g) {
  const Index n = g.n;
  const Index nv = n / W * W;
  const double* const in = g.in;
  const double cp = g.cp;
  double* const zbuf = g.zbuf;
  double* const out = g.out;
  if (out != nullptr) {
    for (Index i = 0; i < nv; i += W)
      z_back_at<W, true>(i, in, cp, zbuf, out);
    for (Index i = nv; i < n; ++i)
      z_back_at<1, true>(i, in, cp, zbuf, out);
  } else {
    for (Index i = 0; i < nv; i += W)
      z_back_at<W, false>(i, in, cp, zbuf, out);
    for (Index i = nv; i < n; ++i)
      z_back_at<1, false>(i, in, cp, zbuf, out);
  }
}

/// @brief The last pass over one row: back substitution of the reverse z elimination of
/// P(h/2)^2 u, the extrapolation u = 2 v - w and the largest weighted error
/// |v - w| / (atol + rtol |u|). Candidates are found without division; only values that may
/// exceed the running maximum are divided, so the maximum is exactly that of the formula.
struct CombineArgs {
  Index n = 0;
  const double* vpp = nullptr;  // reverse-eliminated v
  double crp = 0.0;
  double* zbuf = nullptr;  // v of the previous slab, then of this one
  const double* w = nullptr;
  double* u = nullptr;
  double atol = 0.0;
  double rtol = 0.0;
  double* max_error = nullptr;  // in/out
};

struct CombineScalars {
  double crp;
  double atol;
  double rtol;
  double mlo;
};

template <int W, bool Stream>
[[gnu::always_inline]] inline void combine_at(Index i, const double* vpp, double* zbuf,
                                              const double* w, double* u, CombineScalars c,
                                              Vec<W>& tmax, Vec<W>& tsum) {
  Vec<W> x;
  Vec<W> p;
  Vec<W> wv;
  vload<W>(x, vpp + i);
  vload<W>(p, zbuf + i);
  vload<W>(wv, w + i);
  const Vec<W> v = x - c.crp * p;
  vstore<W>(zbuf + i, v);
  const Vec<W> uv = 2.0 * v - wv;
  if constexpr (Stream) {
    vstream<W>(u + i, uv);
  } else {
    vstore<W>(u + i, uv);
  }
  Vec<W> ae = v - wv;
  Vec<W> au = uv;
  vabs<W>(ae);
  vabs<W>(au);
  const Vec<W> t = ae - c.mlo * (c.atol + c.rtol * au);
  tmax = t > tmax ? t : tmax;
  tsum += t;  // not finite when any t is NaN or infinite (or the sum overflows): then rescan
}

template <int W>
[[gnu::always_inline]] inline void combine_row(const CombineArgs& g) {
  const Index n = g.n;
  const double* const vpp = g.vpp;
  double* const zbuf = g.zbuf;
  const double* const w = g.w;
  double* const u = g.u;
  double m = *g.max_error;
  // A value can only raise the maximum if |e| > m (atol + rtol |u|); the threshold is lowered by
  // far more than the rounding of either side, so no candidate is missed.
  const CombineScalars c{g.crp, g.atol, g.rtol, m * (1.0 - 1e-12)};
  Vec<W> tmax;
  Vec<W> tsum;
  Vec<1> tmax1 = -1.0;
  Vec<1> tsum1 = 0.0;
  vfill<W>(tmax, -1.0);
  vfill<W>(tsum, 0.0);
  // Streaming stores need aligned addresses: the first few voxels go one by one.
  Index i = 0;
  if constexpr (W > 1) {
    while (i < n && !stream_aligned<W>(u + i)) {
      combine_at<1, false>(i, vpp, zbuf, w, u, c, tmax1, tsum1);
      ++i;
    }
    for (; i + 2 * W <= n; i += 2 * W) {
      combine_at<W, true>(i, vpp, zbuf, w, u, c, tmax, tsum);
      combine_at<W, true>(i + W, vpp, zbuf, w, u, c, tmax, tsum);
    }
    for (; i + W <= n; i += W)
      combine_at<W, true>(i, vpp, zbuf, w, u, c, tmax, tsum);
  }
  for (; i < n; ++i)
    combine_at<1, false>(i, vpp, zbuf, w, u, c, tmax1, tsum1);
  bool candidate = tmax1 > 0.0 || !std::isfinite(tsum1);
  for (int l = 0; l < W; ++l) {
    candidate = candidate || lane<W>(tmax, l) > 0.0 || !std::isfinite(lane<W>(tsum, l));
  }
  if (!candidate)
    return;
  // The row's u went out with streaming stores: reading it back would wait for memory, so it is
  // recomputed (bit for bit: 2 v is exact) from v, still in zbuf, and w, still in cache.
  for (Index k = 0; k < n; ++k) {
    const double uk = 2.0 * zbuf[k] - w[k];
    const double r = std::abs(zbuf[k] - w[k]) / (c.atol + c.rtol * std::abs(uk));
    if (std::isnan(r)) {
      m = std::numeric_limits<double>::quiet_NaN();
      break;
    }
    m = std::max(m, r);
  }
  *g.max_error = m;
}

}  // namespace microheal::solver::detail
