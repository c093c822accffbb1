#include "microheal/solver/diffusion.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "diffusion_kernels.hpp"
#include "diffusion_lines.hpp"
#include "microheal/core/error.hpp"

namespace microheal::solver {

namespace {

using detail::LineFactor;
using detail::LineSystem;
using detail::LineView;
using grid::Axis;
using grid::BoundaryKind;

std::string species_name(std::size_t s) {
  return "diffusion species " + std::to_string(s);
}

void validate(const grid::Grid& grid, const std::vector<DiffusionSpec>& species) {
  if (species.empty())
    throw core::InputError("diffusion: at least one species spec is required");
  const auto nz = static_cast<std::size_t>(grid.nz());
  const auto nv = static_cast<std::size_t>(grid.num_voxels());
  for (std::size_t s = 0; s < species.size(); ++s) {
    const DiffusionSpec& sp = species[s];
    const std::string name = species_name(s);
    if (!std::isfinite(sp.diffusivity_mm2_per_h) || sp.diffusivity_mm2_per_h < 0.0) {
      throw core::InputError(name + ": diffusivity_mm2_per_h must be finite and >= 0, got " +
                             std::to_string(sp.diffusivity_mm2_per_h));
    }
    if (!std::isfinite(sp.decay_per_h) || sp.decay_per_h < 0.0) {
      throw core::InputError(name + ": decay_per_h must be finite and >= 0, got " +
                             std::to_string(sp.decay_per_h));
    }
    if (!sp.z_factor.empty() && sp.z_factor.size() != nz) {
      throw core::InputError(name + ": z_factor must have one entry per z-plane (nz = " +
                             std::to_string(nz) + "), got " + std::to_string(sp.z_factor.size()));
    }
    for (std::size_t k = 0; k < sp.z_factor.size(); ++k) {
      if (!std::isfinite(sp.z_factor[k]) || sp.z_factor[k] < 0.0) {
        throw core::InputError(name + ": z_factor[" + std::to_string(k) +
                               "] must be finite and >= 0, got " + std::to_string(sp.z_factor[k]));
      }
    }
    if (!sp.voxel_diffusivity_mm2_per_h.empty() && sp.voxel_diffusivity_mm2_per_h.size() != nv) {
      throw core::InputError(
          name + ": voxel_diffusivity_mm2_per_h must have one entry per voxel (" +
          std::to_string(nv) + "), got " + std::to_string(sp.voxel_diffusivity_mm2_per_h.size()));
    }
    for (std::size_t i = 0; i < sp.voxel_diffusivity_mm2_per_h.size(); ++i) {
      const double d = sp.voxel_diffusivity_mm2_per_h[i];
      if (!std::isfinite(d) || d < 0.0) {
        throw core::InputError(name + ": voxel_diffusivity_mm2_per_h[" + std::to_string(i) +
                               "] must be finite and >= 0 mm^2/h, got " + std::to_string(d));
      }
    }
    for (const auto& f : sp.boundary.faces) {
      if (f.kind == BoundaryKind::fixed_value && !std::isfinite(f.value)) {
        throw core::InputError(name + ": fixed boundary values must be finite");
      }
    }
    sp.boundary.validate(name);
  }
}

// ---------------------------------------------------------------------------------------------
// Kernel entry points, compiled once per instruction set (see diffusion_kernels.hpp).

using XKernel = void (*)(const detail::XArgs&);
using YKernel = void (*)(const detail::YArgs&);
using ZBackKernel = void (*)(const detail::ZBackArgs&);
using CombineKernel = void (*)(const detail::CombineArgs&);

struct Kernels {
  int width = 1;      // SIMD width W of the x kernels (lines along x)
  XKernel x_pair_1;   // 2W rows, one table
  XKernel x_group_2;  // W rows, two tables
  XKernel x_group_1;
  XKernel x_line_2;  // one row, two tables
  XKernel x_line_1;
  YKernel y_cols;
  ZBackKernel z_back;
  CombineKernel combine;
};

template <int W, int NG, int NT>
void x_base(const detail::XArgs& g) {
  detail::x_rows<W, NG, NT>(g);
}
template <int W>
void y_base(const detail::YArgs& g) {
  detail::y_cols<W>(g);
}
template <int W>
void z_back_base(const detail::ZBackArgs& g) {
  detail::z_back_row<W>(g);
}
template <int W>
void combine_base(const detail::CombineArgs& g) {
  detail::combine_row<W>(g);
}

#if defined(__x86_64__) || defined(__i386__)
template <int W, int NG, int NT>
[[gnu::target("avx2,fma")]] void x_avx2(const detail::XArgs& g) {
  detail::x_rows<W, NG, NT>(g);
}
template <int W>
[[gnu::target("avx2,fma")]] void y_avx2(const detail::YArgs& g) {
  detail::y_cols<W>(g);
}
template <int W>
[[gnu::target("avx2,fma")]] void z_back_avx2(const detail::ZBackArgs& g) {
  detail::z_back_row<W>(g);
}
template <int W>
[[gnu::target("avx2,fma")]] void combine_avx2(const detail::CombineArgs& g) {
  detail::combine_row<W>(g);
}
#endif

// The widest kernels this CPU runs: AVX2 with FMA where present (chosen at run time, so the
// binary stays portable), else the SSE2 baseline of x86-64. (An AVX-512 set was measured on a
// Cascade Lake Xeon and was no faster: the sweeps are bound by memory and cache traffic.)
Kernels select_kernels() {
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return Kernels{4,
                   &x_avx2<4, 2, 1>,
                   &x_avx2<4, 1, 2>,
                   &x_avx2<4, 1, 1>,
                   &x_avx2<1, 1, 2>,
                   &x_avx2<1, 1, 1>,
                   &y_avx2<4>,
                   &z_back_avx2<4>,
                   &combine_avx2<4>};
  }
#endif
  return Kernels{2,
                 &x_base<2, 2, 1>,
                 &x_base<2, 1, 2>,
                 &x_base<2, 1, 1>,
                 &x_base<1, 1, 2>,
                 &x_base<1, 1, 1>,
                 &y_base<2>,
                 &z_back_base<2>,
                 &combine_base<2>};
}

// Columns per task of the y sweeps: a multiple of every SIMD width, so which lanes a voxel goes
// through does not depend on the thread count.
constexpr Index column_chunk = 64;

// Line factorisations of one species for one step size. With a constant or z-layered
// diffusivity all x-lines of a z-slab share one factorisation, as do all its y-lines, and all
// z-columns share one; slabs with the same diffusivity share theirs.
struct StepTables {
  double h = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t last_use = 0;
  std::vector<LineFactor> x, y;
  std::vector<std::uint32_t> x_of_slab, y_of_slab;
  LineFactor z;

  std::size_t bytes() const {
    std::size_t b =
        z.bytes() + (x_of_slab.capacity() + y_of_slab.capacity()) * sizeof(std::uint32_t);
    for (const auto& f : x)
      b += f.bytes();
    for (const auto& f : y)
      b += f.bytes();
    return b;
  }
};

// 64-byte aligned storage for the scratch fields, so that rows can be written with full-width
// streaming stores.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t alignment{64};
  CacheLineAllocator() = default;
  template <class U>
  explicit CacheLineAllocator(const CacheLineAllocator<U>& /*other*/) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
  void deallocate(T* p, std::size_t /*n*/) { ::operator delete(p, alignment); }
  bool operator==(const CacheLineAllocator& /*other*/) const { return true; }
};
using AlignedVector = std::vector<double, CacheLineAllocator<double>>;

// A barrier for one team of threads. It spins briefly, which is all it takes on an idle machine
// where the partners arrive within microseconds, then sleeps on the futex: a thread waiting for
// a descheduled partner hands its core over instead of spinning for milliseconds, as OpenMP's
// default barrier does (a slab-synchronised sweep meets hundreds of barriers per step).
class TeamBarrier {
 public:
  void reset(int size) {
    _size = size;
    _count.store(0, std::memory_order_relaxed);
  }
  void arrive_and_wait() {
    const unsigned generation = _generation.load(std::memory_order_acquire);
    if (_count.fetch_add(1, std::memory_order_acq_rel) + 1 == _size) {
      _count.store(0, std::memory_order_relaxed);
      _generation.fetch_add(1, std::memory_order_acq_rel);
      _generation.notify_all();
      return;
    }
    constexpr int spins = 4000;
    for (int i = 0; i < spins; ++i) {
      if (_generation.load(std::memory_order_acquire) != generation)
        return;
      pause();
    }
    while (_generation.load(std::memory_order_acquire) == generation) {
      _generation.wait(generation, std::memory_order_acquire);
    }
  }

 private:
  static void pause() {
#if defined(__SSE2__)
    _mm_pause();
#endif
  }
  int _size = 1;
  std::atomic<int> _count{0};
  std::atomic<unsigned> _generation{0};
};

// The scratch of one species in flight: P(h) u and P(h/2) u (then P(h/2)^2 u), and seven slabs
// for the fused sweeps. A team of threads advances one species at a time in its workspace.
struct Workspace {
  AlignedVector scratch;
  std::span<double> w, v;  // views into scratch
  std::vector<double> slabs;
  Index slab_stride = 0;
  TeamBarrier barrier;

  Workspace(std::size_t num_voxels, Index plane, Index pad)
      : scratch(2 * num_voxels + static_cast<std::size_t>(pad), 0.0),
        w(scratch.data(), num_voxels),
        v(scratch.data() + num_voxels + pad, num_voxels),
        slabs(7 * static_cast<std::size_t>(plane + pad), 0.0),
        slab_stride(plane + pad) {}
  double* slab(int i) { return slabs.data() + static_cast<std::size_t>(i * slab_stride); }
  std::size_t bytes() const { return (scratch.capacity() + slabs.capacity()) * sizeof(double); }
};

// One thread's view of its team: its id in the team, the team size, its OpenMP thread number
// (for its line buffers), the team's workspace and a static share of a range.
struct Team {
  int id;
  int size;
  int thread;
  Workspace& ws;

  void barrier() { ws.barrier.arrive_and_wait(); }
  // Contiguous static share [begin, end) of count items; the same for every call.
  std::pair<Index, Index> share(Index count) const {
    return {count * id / size, count * (id + 1) / size};
  }
};

LineView view(const LineFactor& f) {
  return LineView{f.am.data(), f.m.data(), f.cp.data(),
                  f.src_lo,    f.src_hi,   f.cyclic() ? f.z.data() : nullptr,
                  f.bg,        f.q};
}

}  // namespace

struct DiffusionSolver::Impl {
  grid::Grid grid;
  std::vector<DiffusionSpec> species;
  Kernels kernels;
  int active_axes = 0;
  std::vector<bool> fast;  // species on the table-driven path
  // Per species: the tables of the last three step sizes used (h and h/2 of the current step,
  // plus one so that halving or doubling the step reuses one of them).
  std::vector<std::array<StepTables, 3>> tables;
  std::uint64_t clock = 0;
  // One workspace per team of threads (species in flight), created on first use; the general
  // path uses the first. Plus per-thread line buffers.
  std::vector<std::unique_ptr<Workspace>> workspaces;
  std::vector<double> thread_work;

  Impl(const grid::Grid& g, std::vector<DiffusionSpec> s)
      : grid(g), species(std::move(s)), kernels(select_kernels()) {
    validate(grid, species);
    active_axes = grid.active_dimensions();
    tables.resize(species.size());
    bool any_mobile = false;
    for (const auto& sp : species) {
      any_mobile = any_mobile || sp.mobile;
      const bool z_periodic = grid.nz() > 1 && sp.boundary.periodic(Axis::z);
      fast.push_back(sp.mobile && sp.voxel_diffusivity_mm2_per_h.empty() && active_axes > 0 &&
                     !z_periodic);
    }
    if (any_mobile) {
      reserve_workspaces(1);
      reserve_thread_work();
    }
  }

  void reserve_workspaces(std::size_t count) {
    while (workspaces.size() < count) {
      workspaces.push_back(
          std::make_unique<Workspace>(static_cast<std::size_t>(grid.num_voxels()), plane(), pad));
    }
  }
  Workspace& first_workspace() { return *workspaces.front(); }

  Index plane() const { return grid.nx() * grid.ny(); }

  // Threads for the general path's line loops (no barriers inside).
  int team_size() const {
    const Index wanted = std::max<Index>(1, grid.num_voxels() / 16384);
    return static_cast<int>(std::min<Index>(wanted, omp_get_max_threads()));
  }

  // How the fast path spreads its threads: `teams` teams each advance whole species, one at a
  // time, in their own workspace, with nothing shared between teams. Species are independent,
  // so this scales without synchronisation; what a team of several threads shares is a species
  // slab by slab, meeting at a barrier on every slab, which pays only on large slabs (small
  // ones are dominated by the barriers and, on a busy machine, by descheduled partners). Each
  // species' result is the same for any team size, so neither count changes the numbers.
  struct ThreadLayout {
    int threads = 1;
    int teams = 1;
  };
  ThreadLayout thread_layout(std::size_t fast_count) const {
    const Index work = grid.num_voxels() * static_cast<Index>(fast_count);
    const auto available = static_cast<Index>(omp_get_max_threads());
    // Below ~16k voxel-species per thread, forking costs more than it saves.
    const Index useful = std::clamp<Index>(work / 16384, 1, available);
    ThreadLayout layout;
    layout.teams = static_cast<int>(std::min<Index>(useful, static_cast<Index>(fast_count)));
    const bool slab_teams_pay = plane() >= 8192 && grid.num_voxels() >= 262144;
    layout.threads = slab_teams_pay ? static_cast<int>(useful) : layout.teams;
    return layout;
  }
  // The x kernels' line buffers: four chains per thread. The pad keeps the chains (and the
  // slabs below) at different offsets modulo 4 KiB, where loads would otherwise wait on
  // unrelated stores to the same low address bits.
  static constexpr Index pad = 72;
  Index work_stride() const { return grid.nx() * kernels.width + pad; }
  std::size_t work_per_thread() const { return static_cast<std::size_t>(4 * work_stride()); }
  void reserve_thread_work() {
    const auto need = static_cast<std::size_t>(omp_get_max_threads()) * work_per_thread();
    if (thread_work.size() < need)
      thread_work.assign(need, 0.0);
  }

  void check_fields(const grid::FieldSet& fields) const {
    if (fields.num_species() != species.size()) {
      throw core::InputError("diffusion: the solver was built for " +
                             std::to_string(species.size()) + " species, the fields have " +
                             std::to_string(fields.num_species()));
    }
    if (fields.grid().extent() != grid.extent()) {
      throw core::InputError(
          "diffusion: the fields live on a grid of another shape than the solver's");
    }
  }

  double voxel_d(const DiffusionSpec& sp, Index idx, Index k) const {
    if (!sp.voxel_diffusivity_mm2_per_h.empty()) {
      return sp.voxel_diffusivity_mm2_per_h[static_cast<std::size_t>(idx)];
    }
    if (!sp.z_factor.empty()) {
      return sp.diffusivity_mm2_per_h * sp.z_factor[static_cast<std::size_t>(k)];
    }
    return sp.diffusivity_mm2_per_h;
  }

  // ---- tables ---------------------------------------------------------------------------------

  const StepTables& step_tables(std::size_t s, double h) {
    auto& slots = tables[s];
    ++clock;
    for (auto& t : slots) {
      if (t.h == h) {
        t.last_use = clock;
        return t;
      }
    }
    auto& t = *std::min_element(slots.begin(), slots.end(), [](const auto& a, const auto& b) {
      return a.last_use < b.last_use;
    });
    build_tables(t, species[s], h);
    t.last_use = clock;
    return t;
  }

  void build_tables(StepTables& t, const DiffusionSpec& sp, double h) const {
    t.h = h;
    const double sink = h * sp.decay_per_h / active_axes;
    const Index nz = grid.nz();
    auto d_of_slab = [&](Index k) {
      return sp.z_factor.empty()
                 ? sp.diffusivity_mm2_per_h
                 : sp.diffusivity_mm2_per_h * sp.z_factor[static_cast<std::size_t>(k)];
    };
    LineSystem sys;
    std::vector<double> dv;
    for (const Axis axis : {Axis::x, Axis::y}) {
      auto& factors = axis == Axis::x ? t.x : t.y;
      auto& of_slab = axis == Axis::x ? t.x_of_slab : t.y_of_slab;
      factors.clear();
      of_slab.assign(static_cast<std::size_t>(nz), 0);
      const Index n = grid.extent(axis);
      if (n == 1)
        continue;
      const double dx = grid.spacing_mm(axis);
      std::vector<double> keys;
      for (Index k = 0; k < nz; ++k) {
        const double d = d_of_slab(k);
        const auto it = std::find(keys.begin(), keys.end(), d);
        if (it != keys.end()) {
          of_slab[static_cast<std::size_t>(k)] = static_cast<std::uint32_t>(it - keys.begin());
          continue;
        }
        dv.assign(static_cast<std::size_t>(n), d);
        detail::assemble_line(dv, h / (dx * dx), sink, sp.boundary.low(axis),
                              sp.boundary.high(axis), sp.boundary.periodic(axis), sys);
        factors.emplace_back().factorise(sys, false);
        of_slab[static_cast<std::size_t>(k)] = static_cast<std::uint32_t>(keys.size());
        keys.push_back(d);
      }
    }
    if (nz > 1) {
      dv.resize(static_cast<std::size_t>(nz));
      for (Index k = 0; k < nz; ++k)
        dv[static_cast<std::size_t>(k)] = d_of_slab(k);
      const double dz = grid.spacing_mm(Axis::z);
      detail::assemble_line(dv, h / (dz * dz), sink, sp.boundary.low(Axis::z),
                            sp.boundary.high(Axis::z), false, sys);
      t.z.factorise(sys, true);
    } else {
      // No z-lines: the identity, whose sweeps copy bit for bit.
      t.z = LineFactor{};
      t.z.am = t.z.cp = t.z.cmr = t.z.crp = {0.0};
      t.z.m = t.z.mr = {1.0};
    }
  }

  static double z_source(const LineFactor& z, Index k, Index nz) {
    return (k == 0 ? z.src_lo : 0.0) + (k == nz - 1 ? z.src_hi : 0.0);
  }
  static LineView x_view(const StepTables& t, Index k) {
    return t.x.empty() ? LineView{} : view(t.x[t.x_of_slab[static_cast<std::size_t>(k)]]);
  }
  static LineView y_view(const StepTables& t, Index k) {
    return t.y.empty() ? LineView{} : view(t.y[t.y_of_slab[static_cast<std::size_t>(k)]]);
  }

  // ---- fast path: building blocks ---------------------------------------------------------------

  Index row_block() const { return 2 * kernels.width; }
  Index row_blocks() const { return (grid.ny() + row_block() - 1) / row_block(); }
  Index column_chunks() const { return (grid.nx() + column_chunk - 1) / column_chunk; }

  // x solves of the rows of row block @p rb of one slab: @p in -> out[t] with tables tabs[t].
  void x_block(Index rb, const double* in, int ntab, const std::array<LineView, 2>& tabs,
               const std::array<double*, 2>& out, double* work) const {
    const Index nx = grid.nx();
    const Index j0 = rb * row_block();
    const Index j1 = std::min(grid.ny(), j0 + row_block());
    if (nx == 1) {
      for (int t = 0; t < ntab; ++t)
        std::copy(in + j0, in + j1, out[t] + j0);
      return;
    }
    const Index wd = kernels.width;
    auto run = [&](Index j, XKernel two, XKernel one) {
      detail::XArgs a;
      a.nx = nx;
      a.stride = nx;
      a.in = in + j * nx;
      a.tab = tabs;
      for (std::size_t t = 0; t < 2; ++t)
        a.out[t] = out[t] == nullptr ? nullptr : out[t] + j * nx;
      a.work = work;
      a.work_stride = work_stride();
      (ntab == 2 ? two : one)(a);
    };
    Index j = j0;
    if (ntab == 1 && j1 - j0 == 2 * wd) {
      // One table: both row groups at once, for two independent chains. Two tables already
      // give two chains per group (measured: the other pairings are slower).
      run(j, kernels.x_group_2, kernels.x_pair_1);
      return;
    }
    for (; j + wd <= j1; j += wd)
      run(j, kernels.x_group_2, kernels.x_group_1);
    for (; j < j1; ++j)
      run(j, kernels.x_line_2, kernels.x_line_1);
  }

  // y solves of column chunk @p cc of slab @p b, then the z step into zbuf and out.
  void y_chunk(Index cc, double* b, const LineView& tab, double z_m, double z_am, double z_src,
               double* zbuf, double* out, bool stream) const {
    detail::YArgs a;
    a.nx = grid.nx();
    a.ny = grid.ny();
    a.c0 = cc * column_chunk;
    a.c1 = std::min(grid.nx(), a.c0 + column_chunk);
    a.b = b;
    a.tab = tab;
    a.z_m = z_m;
    a.z_am = z_am;
    a.z_src = z_src;
    a.zbuf = zbuf;
    a.out = out;
    a.stream = stream;
    kernels.y_cols(a);
  }

  // ---- fast path: the passes ------------------------------------------------------------------
  //
  // All passes of all fast species run inside one parallel region per call (see fast_species()).
  // Work is split statically by thread id, the same way on every slab, so each thread owns the
  // same rows or columns of the running z buffers throughout a pass and the results do not
  // depend on the thread count.

  // Pass over ascending slabs: x and y solves of each slab from @p u while it is in cache, then
  // the forward elimination along z into the scratch field(s). ntab = 2 does P(h) -> w and
  // P(h/2) -> v in the same pass, reading u once.
  void sweep_xy_zforward(Team& team, std::span<const double> u, int ntab, const StepTables& t0,
                         const StepTables* t1) {
    const Index nz = grid.nz();
    const Index pl = plane();
    Workspace& ws = team.ws;
    const std::array<double*, 2> zbuf{ws.slab(4), ws.slab(5)};
    const std::array<std::array<double*, 2>, 2> buf{
        {{ws.slab(0), ws.slab(1)}, {ws.slab(2), ws.slab(3)}}};
    const std::array<double*, 2> dst{ws.w.data(), ws.v.data()};
    const std::array<const StepTables*, 2> tabs{&t0, t1};
    const auto [rb0, rb1] = team.share(row_blocks());
    const auto [cc0, cc1] = team.share(column_chunks());
    double* work = thread_work.data() + static_cast<std::size_t>(team.thread) * work_per_thread();
    for (int t = 0; t < ntab; ++t) {
      zero_columns(zbuf[static_cast<std::size_t>(t)], cc0, cc1);
    }
    for (Index k = 0; k < nz; ++k) {
      const auto kk = static_cast<std::size_t>(k & 1);
      const std::array<LineView, 2> xt{x_view(t0, k), ntab == 2 ? x_view(*t1, k) : LineView{}};
      const std::array<double*, 2> out{buf[0][kk], buf[1][kk]};
      for (Index rb = rb0; rb < rb1; ++rb)
        x_block(rb, u.data() + k * pl, ntab, xt, out, work);
      team.barrier();
      // The slab buffers alternate, so the next slab's x solves never touch the buffer that
      // another thread may still be solving along y: one barrier per slab is enough.
      for (Index cc = cc0; cc < cc1; ++cc) {
        for (int t = 0; t < ntab; ++t) {
          const auto ts = static_cast<std::size_t>(t);
          const LineFactor& z = tabs[ts]->z;
          const auto zk = static_cast<std::size_t>(k);
          y_chunk(cc, out[ts], y_view(*tabs[ts], k), z.m[zk], z.am[zk], z_source(z, k, nz),
                  zbuf[ts], dst[ts] + k * pl, true);
        }
      }
    }
    detail::stream_fence();
  }

  // Pass over descending slabs: back substitution along z of w (final P(h) u, in place) and of
  // v (P(h/2) u), then the second P(h/2)'s x and y solves of each finished slab of v, and its
  // elimination along z from the top (the reverse factorisation) into v.
  void sweep_zback_xy_zreverse(Team& team, const StepTables& tf, const StepTables& th) {
    const Index nx = grid.nx();
    const Index nz = grid.nz();
    const Index pl = plane();
    Workspace& ws = team.ws;
    double* zw = ws.slab(4);
    double* zv = ws.slab(5);
    double* zr = ws.slab(6);
    const std::array<double*, 2> buf{ws.slab(0), ws.slab(1)};
    const auto [rb0, rb1] = team.share(row_blocks());
    const auto [cc0, cc1] = team.share(column_chunks());
    double* work = thread_work.data() + static_cast<std::size_t>(team.thread) * work_per_thread();
    zero_rows(zw, rb0 * row_block(), rb1 * row_block());
    zero_rows(zv, rb0 * row_block(), rb1 * row_block());
    zero_columns(zr, cc0, cc1);
    for (Index k = nz - 1; k >= 0; --k) {
      const auto zk = static_cast<std::size_t>(k);
      double* bk = buf[static_cast<std::size_t>(k & 1)];
      double* wk = ws.w.data() + k * pl;
      double* vk = ws.v.data() + k * pl;
      for (Index rb = rb0; rb < rb1; ++rb) {
        const Index j0 = rb * row_block();
        const Index j1 = std::min(grid.ny(), j0 + row_block());
        for (Index j = j0; j < j1; ++j) {
          kernels.z_back(detail::ZBackArgs{nx, wk + j * nx, tf.z.cp[zk], zw + j * nx, wk + j * nx});
          kernels.z_back(detail::ZBackArgs{nx, vk + j * nx, th.z.cp[zk], zv + j * nx, nullptr});
        }
        x_block(rb, zv, 1, {x_view(th, k), LineView{}}, {bk, nullptr}, work);
      }
      team.barrier();
      for (Index cc = cc0; cc < cc1; ++cc) {
        y_chunk(cc, bk, y_view(th, k), th.z.mr[zk], th.z.cmr[zk], z_source(th.z, k, nz), zr, vk,
                false);
      }
    }
  }

  // Pass over ascending slabs: back substitution of the reverse elimination (v = P(h/2)^2 u),
  // u = 2 v - w and the error estimate of this thread's rows.
  double sweep_combine(Team& team, std::span<double> u, const StepTables& th, double atol,
                       double rtol) {
    const Index nx = grid.nx();
    const Index pl = plane();
    Workspace& ws = team.ws;
    double* zv = ws.slab(5);
    const auto [j0, j1] = team.share(grid.ny());
    zero_rows(zv, j0, j1);
    double local = 0.0;
    for (Index k = 0; k < grid.nz(); ++k) {
      for (Index j = j0; j < j1; ++j) {
        const Index off = k * pl + j * nx;
        kernels.combine(detail::CombineArgs{nx, ws.v.data() + off,
                                            th.z.crp[static_cast<std::size_t>(k)], zv + j * nx,
                                            ws.w.data() + off, u.data() + off, atol, rtol, &local});
      }
    }
    detail::stream_fence();
    return local;
  }

  // Pass over descending slabs: back substitution of w into u (the backward-Euler step).
  void sweep_zback_into(Team& team, std::span<double> u, const StepTables& t) {
    const Index nx = grid.nx();
    const Index pl = plane();
    Workspace& ws = team.ws;
    double* zw = ws.slab(4);
    const auto [j0, j1] = team.share(grid.ny());
    zero_rows(zw, j0, j1);
    for (Index k = grid.nz() - 1; k >= 0; --k) {
      for (Index j = j0; j < j1; ++j) {
        const Index off = k * pl + j * nx;
        kernels.z_back(detail::ZBackArgs{nx, ws.w.data() + off, t.z.cp[static_cast<std::size_t>(k)],
                                         zw + j * nx, u.data() + off});
      }
    }
  }

  void zero_rows(double* plane_buf, Index j0, Index j1) const {
    const Index nx = grid.nx();
    j1 = std::min(j1, grid.ny());
    if (j1 > j0)
      std::fill(plane_buf + j0 * nx, plane_buf + j1 * nx, 0.0);
  }
  void zero_columns(double* plane_buf, Index cc0, Index cc1) const {
    const Index nx = grid.nx();
    const Index c0 = cc0 * column_chunk;
    const Index c1 = std::min(nx, cc1 * column_chunk);
    if (c1 <= c0)
      return;
    for (Index j = 0; j < grid.ny(); ++j) {
      std::fill(plane_buf + j * nx + c0, plane_buf + j * nx + c1, 0.0);
    }
  }

  // Advances every species on the fast path: one parallel region for all of them, so the team
  // is forked once per call. @p weights null: backward Euler. Returns the error estimate.
  double fast_species(grid::FieldSet& fields, double h, const ErrorWeights* weights) {
    std::vector<std::size_t> list;
    std::vector<std::array<const StepTables*, 2>> tabs;
    for (std::size_t s = 0; s < species.size(); ++s) {
      if (!fast[s])
        continue;
      list.push_back(s);
      // h/2 is built second, so it cannot evict h (the least recently used slot goes).
      const StepTables* tf = &step_tables(s, h);
      const StepTables* th = weights != nullptr ? &step_tables(s, 0.5 * h) : nullptr;
      tabs.push_back({tf, th});
    }
    if (list.empty())
      return 0.0;
    reserve_thread_work();
    const ThreadLayout layout = thread_layout(list.size());
    reserve_workspaces(static_cast<std::size_t>(layout.teams));
    double err = 0.0;
#pragma omp parallel num_threads(layout.threads)
    {
      // OpenMP may grant fewer threads than asked for; every thread derives the same teams from
      // the count it got. Thread t is member t / teams of team t % teams.
      const int threads = omp_get_num_threads();
      const int teams = std::min(layout.teams, threads);
      const int thread = omp_get_thread_num();
      const int team_id = thread % teams;
      const auto team_members = [&](int g) { return (threads - g + teams - 1) / teams; };
#pragma omp single
      for (int g = 0; g < teams; ++g)
        workspaces[static_cast<std::size_t>(g)]->barrier.reset(team_members(g));
      Team team{thread / teams, team_members(team_id), thread,
                *workspaces[static_cast<std::size_t>(team_id)]};
      double local = 0.0;
      for (auto n = static_cast<std::size_t>(team_id); n < list.size();
           n += static_cast<std::size_t>(teams)) {
        const std::size_t s = list[n];
        const std::span<double> u = fields[s];
        if (weights != nullptr) {
          sweep_xy_zforward(team, u, 2, *tabs[n][0], tabs[n][1]);
          team.barrier();
          sweep_zback_xy_zreverse(team, *tabs[n][0], *tabs[n][1]);
          team.barrier();
          const double e = sweep_combine(team, u, *tabs[n][1], weights->atol[s], weights->rtol[s]);
          local = std::isnan(e) || std::isnan(local) ? std::numeric_limits<double>::quiet_NaN()
                                                     : std::max(local, e);
        } else {
          sweep_xy_zforward(team, u, 1, *tabs[n][0], nullptr);
          team.barrier();
          sweep_zback_into(team, u, *tabs[n][0]);
        }
        team.barrier();  // the next species reuses the scratch
      }
#pragma omp critical(microheal_diffusion_error)
      err = std::isnan(local) || std::isnan(err) ? std::numeric_limits<double>::quiet_NaN()
                                                 : std::max(err, local);
    }
    return err;
  }

  // ---- general path: per-voxel diffusivity (coefficients on the fly), periodic z, one voxel ----

  // x <- P(h) x for one species.
  void general_lod(const DiffusionSpec& sp, std::span<double> x, double h) const {
    if (active_axes == 0) {
      const double f = 1.0 / (1.0 + h * sp.decay_per_h);
      for (double& e : x)
        e *= f;
      return;
    }
    const double sink = h * sp.decay_per_h / active_axes;
    const Index nx = grid.nx();
    const Index ny = grid.ny();
    for (const Axis axis : {Axis::x, Axis::y, Axis::z}) {
      const Index n = grid.extent(axis);
      if (n == 1)
        continue;
      const double dx = grid.spacing_mm(axis);
      const double r = h / (dx * dx);
      const Index stride = axis == Axis::x ? 1 : (axis == Axis::y ? nx : nx * ny);
      const Index m1 = axis == Axis::x ? ny : nx;  // the two other axes, in storage order
      const Index m2 = axis == Axis::z ? ny : grid.nz();
      const Index s1 = axis == Axis::x ? nx : 1;
      const Index s2 = axis == Axis::z ? nx : nx * ny;
      const auto nn = static_cast<std::size_t>(n);
#pragma omp parallel num_threads(team_size())
      {
        LineSystem sys;
        LineFactor fac;
        std::vector<double> dv(nn);
        std::vector<double> rhs(nn);
#pragma omp for schedule(static) collapse(2)
        for (Index q2 = 0; q2 < m2; ++q2) {
          for (Index q1 = 0; q1 < m1; ++q1) {
            const Index base = q1 * s1 + q2 * s2;
            for (Index i = 0; i < n; ++i) {
              const Index idx = base + i * stride;
              dv[static_cast<std::size_t>(i)] = voxel_d(sp, idx, axis == Axis::z ? i : q2);
              rhs[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(idx)];
            }
            detail::assemble_line(dv, r, sink, sp.boundary.low(axis), sp.boundary.high(axis),
                                  sp.boundary.periodic(axis), sys);
            fac.factorise(sys, false);
            fac.solve(rhs);
            for (Index i = 0; i < n; ++i) {
              x[static_cast<std::size_t>(base + i * stride)] = rhs[static_cast<std::size_t>(i)];
            }
          }
        }
      }
    }
  }

  double general_step(std::size_t s, std::span<double> u, double h, const ErrorWeights& weights) {
    const DiffusionSpec& sp = species[s];
    Workspace& ws = first_workspace();
    const std::span<double> w = ws.w;
    const std::span<double> v = ws.v;
    std::copy(u.begin(), u.end(), w.begin());
    std::copy(u.begin(), u.end(), v.begin());
    general_lod(sp, w, h);
    general_lod(sp, v, 0.5 * h);
    general_lod(sp, v, 0.5 * h);
    const double atol = weights.atol[s];
    const double rtol = weights.rtol[s];
    double err = 0.0;
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double e = 2.0 * v[i] - w[i];
      const double r = std::abs(v[i] - w[i]) / (atol + rtol * std::abs(e));
      if (std::isnan(r) || std::isnan(err)) {
        err = std::numeric_limits<double>::quiet_NaN();
      } else {
        err = std::max(err, r);
      }
      u[i] = e;
    }
    return err;
  }
};

DiffusionSolver::DiffusionSolver(const grid::Grid& grid, std::vector<DiffusionSpec> species)
    : _impl(std::make_unique<Impl>(grid, std::move(species))) {}
DiffusionSolver::~DiffusionSolver() = default;
DiffusionSolver::DiffusionSolver(DiffusionSolver&&) noexcept = default;
DiffusionSolver& DiffusionSolver::operator=(DiffusionSolver&&) noexcept = default;

double DiffusionSolver::step(grid::FieldSet& fields, double dt_h, const ErrorWeights& weights) {
  Impl& im = *_impl;
  im.check_fields(fields);
  double err = im.fast_species(fields, dt_h, &weights);
  for (std::size_t s = 0; s < im.species.size(); ++s) {
    if (!im.species[s].mobile || im.fast[s])
      continue;
    const double e = im.general_step(s, fields[s], dt_h, weights);
    err = std::isnan(e) || std::isnan(err) ? std::numeric_limits<double>::quiet_NaN()
                                           : std::max(err, e);
  }
  return err;
}

void DiffusionSolver::step_backward_euler(grid::FieldSet& fields, double dt_h) {
  Impl& im = *_impl;
  im.check_fields(fields);
  im.fast_species(fields, dt_h, nullptr);
  for (std::size_t s = 0; s < im.species.size(); ++s) {
    if (!im.species[s].mobile || im.fast[s])
      continue;
    im.general_lod(im.species[s], fields[s], dt_h);
  }
}

std::size_t DiffusionSolver::bytes_held() const {
  const Impl& im = *_impl;
  std::size_t b = im.thread_work.capacity() * sizeof(double);
  for (const auto& ws : im.workspaces)
    b += ws->bytes();
  for (const auto& slots : im.tables) {
    for (const auto& t : slots)
      b += t.bytes();
  }
  return b + sizeof(Impl);
}

const grid::Grid& DiffusionSolver::grid() const {
  return _impl->grid;
}
const std::vector<DiffusionSpec>& DiffusionSolver::species() const {
  return _impl->species;
}

}  // namespace microheal::solver
