#include "microheal/geometry/needle_pattern.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/core/text.hpp"

namespace microheal::geometry {

namespace {

constexpr double mm2_per_cm2 = 100.0;
constexpr double infinity = std::numeric_limits<double>::infinity();
/// Largest relative gap between realised and requested density a pen layout may have.
constexpr double density_tolerance = 0.02;

std::string number(double value, int precision = 4) {
  return core::message_text(value, precision);
}

void check_range(std::string_view field, double value, double lo, double hi,
                 std::string_view unit) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    throw core::InputError("needle: " + std::string(field) + " must be in [" + number(lo) + ", " +
                           number(hi) + "]" + (unit.empty() ? "" : " ") + std::string(unit) +
                           ", got " + number(value, 6));
  }
}

void check_positive(std::string_view field, double value, std::string_view unit) {
  if (!std::isfinite(value) || !(value > 0.0)) {
    throw core::InputError(std::string(field) + " must be finite and > 0 " + std::string(unit) +
                           ", got " + number(value, 6));
  }
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

/// Uniform numbers in [0, 1) from mt19937_64. The standard fixes the engine's output but not
/// std::uniform_real_distribution's, so the conversion is done here: top 53 bits x 2^-53.
class UniformStream {
 public:
  explicit UniformStream(std::uint64_t seed) : _engine(seed) {}
  double next() { return static_cast<double>(_engine() >> 11U) * 0x1.0p-53; }

 private:
  std::mt19937_64 _engine;
};

/// @p value folded into [0, period).
double wrap(double value, double period) {
  const double folded = value - period * std::floor(value / period);
  // A value a hair below a multiple of the period can round up to the period itself.
  return folded >= period ? 0.0 : folded;
}

Index floor_index(double value) {
  return static_cast<Index>(std::floor(value));
}

Index positive_mod(Index value, Index period) {
  const Index m = value % period;
  return m < 0 ? m + period : m;
}

void check_density(const NeedleSpec& needle, const Tile& tile, double realised_per_cm2,
                   const std::string& what, const std::string& advice) {
  const double requested = needle.density_per_cm2;
  const double gap = (realised_per_cm2 - requested) / requested;
  if (std::abs(gap) > density_tolerance) {
    throw core::InputError("needle: " + what + " on the " + number(tile.lx_mm) + " x " +
                           number(tile.ly_mm) + " mm tile gives " + number(realised_per_cm2) +
                           " punctures/cm² instead of the requested " + number(requested) + " (" +
                           (gap > 0 ? "+" : "") + number(100.0 * gap, 3) + " %, more than 2 %); " +
                           advice);
  }
}

/// Lattice counts per pass for the square, jittered and hexagonal patterns.
struct LatticeFit {
  Index nx = 1;
  Index ny = 1;
};

LatticeFit fit_lattice(const NeedleSpec& needle, const Tile& tile) {
  const double per_pass_mm2 = needle.density_per_cm2 / mm2_per_cm2 / needle.passes;
  const bool hex = needle.pattern == Pattern::hexagonal;
  // Square: one point per a² ; hexagonal: one point per a² sqrt(3)/2, rows a sqrt(3)/2 apart.
  const double spacing =
      hex ? std::sqrt(2.0 / (std::numbers::sqrt3 * per_pass_mm2)) : 1.0 / std::sqrt(per_pass_mm2);
  const double row_pitch = hex ? 0.5 * std::numbers::sqrt3 * spacing : spacing;
  LatticeFit fit;
  fit.nx = std::max<Index>(1, std::llround(tile.lx_mm / spacing));
  // Alternate rows are shifted by half a spacing, so a periodic hexagonal tile needs even rows.
  fit.ny = hex ? std::max<Index>(2, 2 * std::llround(tile.ly_mm / (2.0 * row_pitch)))
               : std::max<Index>(1, std::llround(tile.ly_mm / row_pitch));
  const double realised =
      static_cast<double>(needle.passes * fit.nx * fit.ny) / tile.area_mm2() * mm2_per_cm2;
  const double fit_lx = static_cast<double>(fit.nx) * spacing;
  const double fit_ly = static_cast<double>(fit.ny) * row_pitch;
  check_density(needle, tile, realised,
                "a " + std::string(pattern_name(needle.pattern)) + " lattice (" +
                    std::to_string(fit.nx) + " x " + std::to_string(fit.ny) + " per pass, " +
                    std::to_string(needle.passes) + " pass(es))",
                "the lattice spacing is " + number(spacing) + " mm" +
                    (hex ? " with rows " + number(row_pitch) + " mm apart (an even number of rows)"
                         : std::string()) +
                    ", so use a tile of " + number(fit_lx) + " x " + number(fit_ly) +
                    " mm (or whole multiples of that cell)");
  return fit;
}

void place_lattice(const NeedleSpec& needle, const Tile& tile, int session,
                   std::vector<Puncture>& out) {
  const LatticeFit fit = fit_lattice(needle, tile);
  const double cell_x = tile.lx_mm / static_cast<double>(fit.nx);
  const double cell_y = tile.ly_mm / static_cast<double>(fit.ny);
  const bool hex = needle.pattern == Pattern::hexagonal;
  const bool jitter = needle.pattern == Pattern::jittered;
  for (int pass = 0; pass < needle.passes; ++pass) {
    UniformStream rng(stream_seed(needle.seed, static_cast<std::uint64_t>(session),
                                  static_cast<std::uint64_t>(pass)));
    const double offset_x = rng.next() * cell_x;
    const double offset_y = rng.next() * cell_y;
    for (Index j = 0; j < fit.ny; ++j) {
      const double row_shift = hex && (j % 2 == 1) ? 0.5 : 0.0;
      for (Index i = 0; i < fit.nx; ++i) {
        double x = offset_x + (static_cast<double>(i) + row_shift) * cell_x;
        double y = offset_y + static_cast<double>(j) * cell_y;
        if (jitter) {
          x += (rng.next() - 0.5) * needle.jitter_fraction * cell_x;
          y += (rng.next() - 0.5) * needle.jitter_fraction * cell_y;
        }
        out.push_back({tile.x0_mm + wrap(x, tile.lx_mm), tile.y0_mm + wrap(y, tile.ly_mm), pass});
      }
    }
  }
}

void place_uniform(const NeedleSpec& needle, const Tile& tile, int session,
                   std::vector<Puncture>& out) {
  const double wanted = needle.density_per_cm2 / mm2_per_cm2 * tile.area_mm2();
  const Index total = std::llround(wanted);
  const double scale = std::sqrt(std::max<double>(1.0, std::round(wanted)) / wanted);
  check_density(needle, tile, static_cast<double>(total) / tile.area_mm2() * mm2_per_cm2,
                std::to_string(total) + " uniformly placed punctures",
                "use a tile of " + number(tile.lx_mm * scale) + " x " + number(tile.ly_mm * scale) +
                    " mm or one holding at least 25 punctures");
  for (int pass = 0; pass < needle.passes; ++pass) {
    UniformStream rng(stream_seed(needle.seed, static_cast<std::uint64_t>(session),
                                  static_cast<std::uint64_t>(pass)));
    // Split as evenly as possible; the first passes take the remainder.
    const Index count = total / needle.passes + (pass < total % needle.passes ? 1 : 0);
    for (Index n = 0; n < count; ++n) {
      const double x = rng.next() * tile.lx_mm;
      const double y = rng.next() * tile.ly_mm;
      out.push_back({tile.x0_mm + wrap(x, tile.lx_mm), tile.y0_mm + wrap(y, tile.ly_mm), pass});
    }
  }
}

/// Returns the expected density (whole strokes of the drum).
double place_roller(const NeedleSpec& needle, const Tile& tile, int session,
                    std::vector<Puncture>& out) {
  const RollerSpec& drum = needle.roller;
  const double stroke_density = drum.stroke_density_per_cm2();
  const Index strokes_per_pass =
      std::max<Index>(1, std::llround(needle.density_per_cm2 / (needle.passes * stroke_density)));
  const double along = drum.roll_spacing_mm();
  const double across = drum.ring_spacing_mm();
  const std::array<std::array<double, 2>, 4> corners{
      {{0.0, 0.0}, {tile.lx_mm, 0.0}, {0.0, tile.ly_mm}, {tile.lx_mm, tile.ly_mm}}};
  for (int pass = 0; pass < needle.passes; ++pass) {
    UniformStream rng(stream_seed(needle.seed, static_cast<std::uint64_t>(session),
                                  static_cast<std::uint64_t>(pass)));
    // Passes fan out evenly over a half turn (cross-hatching), the first along x.
    const double angle = std::numbers::pi * pass / needle.passes;
    const double ux = std::cos(angle);
    const double uy = std::sin(angle);
    // Bounds of the tile in the stroke's (along, across) frame.
    double s_min = infinity, s_max = -infinity, t_min = infinity, t_max = -infinity;
    for (const auto& c : corners) {
      const double s = c[0] * ux + c[1] * uy;
      const double t = -c[0] * uy + c[1] * ux;
      s_min = std::min(s_min, s);
      s_max = std::max(s_max, s);
      t_min = std::min(t_min, t);
      t_max = std::max(t_max, t);
    }
    for (Index stroke = 0; stroke < strokes_per_pass; ++stroke) {
      const double offset_s = rng.next() * along;
      const double offset_t = rng.next() * across;
      const auto i_lo = static_cast<Index>(std::ceil((s_min - offset_s) / along));
      const Index i_hi = floor_index((s_max - offset_s) / along);
      const auto j_lo = static_cast<Index>(std::ceil((t_min - offset_t) / across));
      const Index j_hi = floor_index((t_max - offset_t) / across);
      for (Index j = j_lo; j <= j_hi; ++j) {
        for (Index i = i_lo; i <= i_hi; ++i) {
          const double s = offset_s + static_cast<double>(i) * along;
          const double t = offset_t + static_cast<double>(j) * across;
          const double x = s * ux - t * uy;
          const double y = s * uy + t * ux;
          if (x >= 0.0 && x < tile.lx_mm && y >= 0.0 && y < tile.ly_mm)
            out.push_back({tile.x0_mm + x, tile.y0_mm + y, pass});
        }
      }
    }
  }
  return static_cast<double>(needle.passes * strokes_per_pass) * stroke_density;
}

// ---- rasterisation ---------------------------------------------------------------------------

/// A puncture as seen from one grid column: its centre shifted by whole tile periods so that it
/// sits next to the column.
struct Image {
  double x_mm;
  double y_mm;
};

struct Rect {
  double x_lo, x_hi, y_lo, y_hi;
  double area() const { return (x_hi - x_lo) * (y_hi - y_lo); }
};

double distance_to_rect(const Image& c, const Rect& rect) {
  const double dx = std::max({rect.x_lo - c.x_mm, 0.0, c.x_mm - rect.x_hi});
  const double dy = std::max({rect.y_lo - c.y_mm, 0.0, c.y_mm - rect.y_hi});
  return std::sqrt(dx * dx + dy * dy);
}

double farthest_distance_to_rect(const Image& c, const Rect& rect) {
  const double dx = std::max(c.x_mm - rect.x_lo, rect.x_hi - c.x_mm);
  const double dy = std::max(c.y_mm - rect.y_lo, rect.y_hi - c.y_mm);
  return std::sqrt(dx * dx + dy * dy);
}

/// Signed area of {0 <= x <= X, 0 <= y <= Y} inside the disk of radius R at the origin (signs
/// follow X and Y), i.e. the 2D antiderivative of the disk's indicator.
double disk_corner_area(double x, double y, double radius) {
  const double sign = (x < 0.0 ? -1.0 : 1.0) * (y < 0.0 ? -1.0 : 1.0);
  const double a = std::min(std::abs(x), radius);
  const double b = std::min(std::abs(y), radius);
  const double r2 = radius * radius;
  if (a * a + b * b <= r2)
    return sign * a * b;
  // Above y* the disk is narrower than a: width a up to y*, then the half chord sqrt(R² - y²).
  const auto half_chord_integral = [radius, r2](double t) {
    const double ratio = std::clamp(t / radius, -1.0, 1.0);
    return 0.5 * (t * std::sqrt(std::max(0.0, r2 - t * t)) + r2 * std::asin(ratio));
  };
  const double y_star = std::sqrt(std::max(0.0, r2 - a * a));
  return sign * (a * y_star + half_chord_integral(b) - half_chord_integral(y_star));
}

/// Exact area of the disk (centre c, radius R) inside the rectangle.
double disk_rect_area(const Image& c, double radius, const Rect& rect) {
  const double x0 = rect.x_lo - c.x_mm, x1 = rect.x_hi - c.x_mm;
  const double y0 = rect.y_lo - c.y_mm, y1 = rect.y_hi - c.y_mm;
  const double area = disk_corner_area(x1, y1, radius) - disk_corner_area(x0, y1, radius) -
                      disk_corner_area(x1, y0, radius) + disk_corner_area(x0, y0, radius);
  return std::clamp(area, 0.0, rect.area());
}

/// Area of a union of overlapping disks inside the rectangle: exact along x (merged chords),
/// midpoint lines along y at <= R / 16 spacing.
double union_area_by_lines(std::span<const Image> disks, double radius, const Rect& rect) {
  const double height = rect.y_hi - rect.y_lo;
  const auto lines = std::max<Index>(32, static_cast<Index>(std::ceil(16.0 * height / radius)));
  const double h = height / static_cast<double>(lines);
  std::vector<std::pair<double, double>> chords;
  double covered = 0.0;
  for (Index m = 0; m < lines; ++m) {
    const double y = rect.y_lo + (static_cast<double>(m) + 0.5) * h;
    chords.clear();
    for (const Image& d : disks) {
      const double dy = y - d.y_mm;
      const double half2 = radius * radius - dy * dy;
      if (half2 <= 0.0)
        continue;
      const double half = std::sqrt(half2);
      const double lo = std::max(rect.x_lo, d.x_mm - half);
      const double hi = std::min(rect.x_hi, d.x_mm + half);
      if (hi > lo)
        chords.emplace_back(lo, hi);
    }
    std::sort(chords.begin(), chords.end());
    double end = -infinity;
    for (const auto& [lo, hi] : chords) {
      const double from = std::max(lo, end);
      if (hi > from)
        covered += hi - from;
      end = std::max(end, hi);
    }
  }
  return covered * h;
}

/// Lateral quantities of one grid column at one depth.
struct LateralStats {
  double track_fraction = 0.0;  ///< area fraction of the column inside a track
  double halo_outside = 0.0;    ///< mean halo damage over the samples outside every track
};

/// Evaluates LateralStats for a column and its candidate punctures at a given track radius.
///
/// The halo of a sample at lateral distance rho from the nearest axis is exp(-(rho - R)/r) =
/// exp(R/r) exp(-rho/r): the max over punctures is the nearest axis, and the depth enters as one
/// factor. So each sample's nearest distance and exp(-rho/r) are computed once per column, and a
/// depth costs one exp.
class ColumnEvaluator {
 public:
  ColumnEvaluator(const Rect& rect, std::span<const Image> images, double shaft_radius_mm,
                  double halo_cutoff_mm, Index samples_x, Index samples_y)
      : _rect(rect),
        _images(images),
        _shaft_radius_mm(shaft_radius_mm),
        _halo_cutoff_mm(halo_cutoff_mm) {
    const double hx = (rect.x_hi - rect.x_lo) / static_cast<double>(samples_x);
    const double hy = (rect.y_hi - rect.y_lo) / static_cast<double>(samples_y);
    _nearest_mm.reserve(static_cast<std::size_t>(samples_x * samples_y));
    for (Index sj = 0; sj < samples_y; ++sj) {
      const double y = rect.y_lo + (static_cast<double>(sj) + 0.5) * hy;
      for (Index si = 0; si < samples_x; ++si) {
        const double x = rect.x_lo + (static_cast<double>(si) + 0.5) * hx;
        double nearest2 = infinity;
        for (const Image& c : images)
          nearest2 = std::min(nearest2, (x - c.x_mm) * (x - c.x_mm) + (y - c.y_mm) * (y - c.y_mm));
        _nearest_mm.push_back(std::sqrt(nearest2));
      }
    }
    // Sorted by distance, a depth's inside / halo / beyond-cutoff samples are three ranges.
    std::sort(_nearest_mm.begin(), _nearest_mm.end());
    _weight_sum.assign(_nearest_mm.size() + 1, 0.0);
    for (std::size_t n = 0; n < _nearest_mm.size(); ++n)
      _weight_sum[n + 1] = _weight_sum[n] + std::exp(-_nearest_mm[n] / shaft_radius_mm);
  }

  LateralStats at_radius(double radius_mm) {
    double nearest_gap = infinity;
    for (const Image& c : _images) {
      // The whole column inside one track: fully damaged, nothing to sample.
      if (farthest_distance_to_rect(c, _rect) <= radius_mm)
        return {1.0, 1.0};
      nearest_gap = std::min(nearest_gap, distance_to_rect(c, _rect) - radius_mm);
    }
    // Out of every track's reach at this depth (near the tip the halo ring shrinks inwards).
    if (nearest_gap > _halo_cutoff_mm)
      return {0.0, 0.0};
    return {area_fraction(radius_mm), halo_outside(radius_mm)};
  }

 private:
  double area_fraction(double radius) {
    if (!(radius > 0.0))
      return 0.0;
    _touching.clear();
    for (const Image& c : _images) {
      if (distance_to_rect(c, _rect) < radius)
        _touching.push_back(c);
    }
    if (_touching.empty())
      return 0.0;
    bool disjoint = true;
    for (std::size_t a = 0; a < _touching.size() && disjoint; ++a) {
      for (std::size_t b = a + 1; b < _touching.size(); ++b) {
        const double dx = _touching[a].x_mm - _touching[b].x_mm;
        const double dy = _touching[a].y_mm - _touching[b].y_mm;
        if (dx * dx + dy * dy < 4.0 * radius * radius) {
          disjoint = false;
          break;
        }
      }
    }
    double area = 0.0;
    if (disjoint) {
      // Disjoint disks: the union is the sum, and each term is exact.
      for (const Image& c : _touching)
        area += disk_rect_area(c, radius, _rect);
    } else {
      area = union_area_by_lines(_touching, radius, _rect);
    }
    return std::clamp(area / _rect.area(), 0.0, 1.0);
  }

  double halo_outside(double radius) const {
    const auto first_outside = static_cast<std::size_t>(
        std::upper_bound(_nearest_mm.begin(), _nearest_mm.end(), radius) - _nearest_mm.begin());
    const auto first_beyond = static_cast<std::size_t>(
        std::upper_bound(_nearest_mm.begin(), _nearest_mm.end(), radius + _halo_cutoff_mm) -
        _nearest_mm.begin());
    const std::size_t outside = _nearest_mm.size() - first_outside;
    // No sample outside: the untracked sliver hugs a track surface, where the halo is 1.
    if (outside == 0)
      return 1.0;
    const double halo_sum = (_weight_sum[first_beyond] - _weight_sum[first_outside]) *
                            std::exp(radius / _shaft_radius_mm);
    return std::min(1.0, halo_sum / static_cast<double>(outside));
  }

  Rect _rect;
  std::span<const Image> _images;
  double _shaft_radius_mm;
  double _halo_cutoff_mm;
  std::vector<double> _nearest_mm;  ///< per lateral sample: distance to the nearest axis, sorted
  std::vector<double> _weight_sum;  ///< prefix sums of exp(-nearest / r) over _nearest_mm
  std::vector<Image> _touching;
};

constexpr std::array<double, 4> gauss_nodes{-0.8611363115940526, -0.3399810435848563,
                                            0.3399810435848563, 0.8611363115940526};
constexpr std::array<double, 4> gauss_weights{0.3478548451374538, 0.6521451548625461,
                                              0.6521451548625461, 0.3478548451374538};

Index lateral_samples(double voxel_mm, double shaft_radius_mm, const RasterOptions& options) {
  const double wanted = std::ceil(voxel_mm * options.samples_per_radius / shaft_radius_mm);
  return std::max<Index>(options.min_samples_per_axis, static_cast<Index>(wanted));
}

void validate_options(const RasterOptions& options) {
  if (!std::isfinite(options.halo_cutoff_radii) || options.halo_cutoff_radii < 0.0)
    throw core::InputError("raster options: halo_cutoff_radii must be finite and >= 0");
  if (!std::isfinite(options.bleeding_bolus) || options.bleeding_bolus < 0.0)
    throw core::InputError("raster options: bleeding_bolus must be finite and >= 0");
  if (options.min_samples_per_axis < 1)
    throw core::InputError("raster options: min_samples_per_axis must be >= 1");
  if (!std::isfinite(options.samples_per_radius) || !(options.samples_per_radius > 0.0))
    throw core::InputError("raster options: samples_per_radius must be finite and > 0");
}

}  // namespace

std::string_view pattern_name(Pattern pattern) {
  switch (pattern) {
    case Pattern::square:
      return "square";
    case Pattern::hexagonal:
      return "hexagonal";
    case Pattern::jittered:
      return "jittered";
    case Pattern::uniform_random:
      return "uniform_random";
  }
  return "unknown";
}

std::string_view device_name(Device device) {
  switch (device) {
    case Device::pen:
      return "pen";
    case Device::roller:
      return "roller";
  }
  return "unknown";
}

double RollerSpec::roll_spacing_mm() const {
  return std::numbers::pi * drum_diameter_mm / needles_per_ring;
}

double RollerSpec::ring_spacing_mm() const {
  return drum_width_mm / rings;
}

double RollerSpec::stroke_density_per_cm2() const {
  return mm2_per_cm2 / (roll_spacing_mm() * ring_spacing_mm());
}

void RollerSpec::validate() const {
  if (needles_per_ring < 1 || needles_per_ring > 1000)
    throw core::InputError("needle: roller.needles_per_ring must be in [1, 1000], got " +
                           std::to_string(needles_per_ring));
  if (rings < 1 || rings > 1000)
    throw core::InputError("needle: roller.rings must be in [1, 1000], got " +
                           std::to_string(rings));
  check_positive("needle: roller.drum_diameter_mm", drum_diameter_mm, "mm");
  check_positive("needle: roller.drum_width_mm", drum_width_mm, "mm");
}

double NeedleSpec::track_radius_mm(double depth_mm) const {
  const double depth = effective_depth_mm();
  if (depth_mm < 0.0 || depth_mm > depth)
    return 0.0;
  const double cone = cone_length_mm();
  if (depth_mm <= depth - cone)
    return radius_mm();
  return radius_mm() * (depth - depth_mm) / cone;
}

double NeedleSpec::track_volume_mm3(double from_depth_mm, double to_depth_mm) const {
  const double depth = effective_depth_mm();
  const double cone = cone_length_mm();
  const double shaft_end = depth - cone;  // negative when the cone is longer than the track
  const double lo = std::max(from_depth_mm, 0.0);
  const double hi = std::min(to_depth_mm, depth);
  if (!(hi > lo))
    return 0.0;
  const double area = std::numbers::pi * radius_mm() * radius_mm();
  double volume = area * std::max(0.0, std::min(hi, shaft_end) - lo);
  const double cone_lo = std::max(lo, shaft_end);
  if (cone > 0.0 && hi > cone_lo) {
    // pi r² / c² x integral of (L - z)² dz
    volume +=
        area / (3.0 * cone * cone) * (std::pow(depth - cone_lo, 3.0) - std::pow(depth - hi, 3.0));
  }
  return volume;
}

void NeedleSpec::validate() const {
  check_range("length_mm", length_mm, 0.1, 3.0, "mm");
  check_range("diameter_mm", diameter_mm, 0.01, 0.5, "mm");
  if (tip_cone_length_mm)
    check_range("tip_cone_length_mm", *tip_cone_length_mm, 0.0, length_mm, "mm (up to length_mm)");
  check_range("penetration_efficiency", penetration_efficiency, 0.2, 0.9,
              "(effective depth / length)");
  check_range("density_per_cm2", density_per_cm2, 1.0, 5000.0, "punctures/cm²");
  check_range("jitter_fraction", jitter_fraction, 0.0, 1.0, "(of the lattice spacing)");
  if (passes < 1 || passes > 50)
    throw core::InputError("needle: passes must be in [1, 50] per session, got " +
                           std::to_string(passes));
  if (device == Device::roller)
    roller.validate();
}

Tile Tile::of(const grid::Grid& grid) {
  return {grid.origin_mm()[0], grid.origin_mm()[1],
          static_cast<double>(grid.nx()) * grid.spacing_mm(grid::Axis::x),
          static_cast<double>(grid.ny()) * grid.spacing_mm(grid::Axis::y)};
}

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t session, std::uint64_t pass) {
  return splitmix64(splitmix64(splitmix64(seed) ^ session) ^ pass);
}

PunctureLayout place_punctures(const NeedleSpec& needle, const Tile& tile, int session) {
  needle.validate();
  if (session < 0)
    throw core::InputError("needle: session index must be >= 0, got " + std::to_string(session));
  check_positive("tile: lx_mm", tile.lx_mm, "mm");
  check_positive("tile: ly_mm", tile.ly_mm, "mm");
  PunctureLayout layout;
  layout.requested_density_per_cm2 = needle.density_per_cm2;
  if (needle.device == Device::roller) {
    layout.expected_density_per_cm2 = place_roller(needle, tile, session, layout.punctures);
  } else if (needle.pattern == Pattern::uniform_random) {
    place_uniform(needle, tile, session, layout.punctures);
  } else {
    place_lattice(needle, tile, session, layout.punctures);
  }
  layout.realised_density_per_cm2 =
      static_cast<double>(layout.punctures.size()) / tile.area_mm2() * mm2_per_cm2;
  if (needle.device == Device::pen)
    layout.expected_density_per_cm2 = layout.realised_density_per_cm2;
  return layout;
}

InjuryField rasterise(const NeedleSpec& needle, const grid::Grid& grid,
                      std::span<const Puncture> punctures, double plexus_depth_mm,
                      const RasterOptions& options) {
  needle.validate();
  validate_options(options);
  if (!std::isfinite(plexus_depth_mm))
    throw core::InputError("rasterise: plexus depth must be finite");

  const Index nx = grid.nx(), ny = grid.ny(), nz = grid.nz();
  const double dx = grid.spacing_mm(grid::Axis::x);
  const double dy = grid.spacing_mm(grid::Axis::y);
  const double dz = grid.spacing_mm(grid::Axis::z);
  const auto [x0, y0, z0] = grid.origin_mm();
  const Tile tile = Tile::of(grid);

  const double shaft_radius = needle.radius_mm();
  const double cone = needle.cone_length_mm();
  const double depth = needle.effective_depth_mm();
  const double shaft_end = depth - cone;
  const double halo_cutoff = options.halo_cutoff_radii * shaft_radius;
  const double reach = shaft_radius + halo_cutoff;  // lateral extent of a needle's effect

  InjuryField field;
  const auto voxels = static_cast<std::size_t>(grid.num_voxels());
  field.track_fraction.assign(voxels, 0.0);
  field.damage.assign(voxels, 0.0);
  field.bleeding.assign(voxels, 0.0);
  field.punctures.assign(punctures.begin(), punctures.end());
  field.requested_density_per_cm2 = needle.density_per_cm2;
  field.realised_density_per_cm2 =
      static_cast<double>(punctures.size()) / tile.area_mm2() * mm2_per_cm2;
  field.expected_density_per_cm2 = field.realised_density_per_cm2;
  field.effective_depth_mm = depth;
  field.analytic_track_volume_mm3 = static_cast<double>(punctures.size()) *
                                    needle.track_volume_mm3(z0, z0 + static_cast<double>(nz) * dz);

  // Candidate punctures per column (i, j), as periodic images next to the column. A needle
  // wider than the tile reaches a column through several images; each is listed.
  std::vector<std::pair<Index, Image>> entries;
  for (const Puncture& p : punctures) {
    if (!std::isfinite(p.x_mm) || !std::isfinite(p.y_mm))
      throw core::InputError("rasterise: puncture position must be finite");
    const Index i_lo = floor_index((p.x_mm - reach - x0) / dx);
    const Index i_hi = floor_index((p.x_mm + reach - x0) / dx);
    const Index j_lo = floor_index((p.y_mm - reach - y0) / dy);
    const Index j_hi = floor_index((p.y_mm + reach - y0) / dy);
    for (Index j = j_lo; j <= j_hi; ++j) {
      const Index jw = positive_mod(j, ny);
      const double cy = p.y_mm - static_cast<double>(j - jw) * dy;
      for (Index i = i_lo; i <= i_hi; ++i) {
        const Index iw = positive_mod(i, nx);
        const Image image{p.x_mm - static_cast<double>(i - iw) * dx, cy};
        const Rect rect{x0 + static_cast<double>(iw) * dx, x0 + static_cast<double>(iw + 1) * dx,
                        y0 + static_cast<double>(jw) * dy, y0 + static_cast<double>(jw + 1) * dy};
        if (distance_to_rect(image, rect) <= reach)
          entries.emplace_back(iw + nx * jw, image);
      }
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Image> images;

  const Index samples_x = lateral_samples(dx, shaft_radius, options);
  const Index samples_y = lateral_samples(dy, shaft_radius, options);
  // Voxels that can hold track: z in [0, L_eff].
  const Index k_lo = std::max<Index>(0, floor_index((0.0 - z0) / dz));
  const Index k_hi = std::min<Index>(nz - 1, floor_index((depth - z0) / dz));
  const double cone_piece = cone / 8.0;

  for (std::size_t e = 0; e < entries.size();) {
    const Index column = entries[e].first;
    images.clear();
    for (; e < entries.size() && entries[e].first == column; ++e)
      images.push_back(entries[e].second);
    const Index iw = column % nx;
    const Index jw = column / nx;
    const Rect rect{x0 + static_cast<double>(iw) * dx, x0 + static_cast<double>(iw + 1) * dx,
                    y0 + static_cast<double>(jw) * dy, y0 + static_cast<double>(jw + 1) * dy};
    ColumnEvaluator evaluate(rect, images, shaft_radius, halo_cutoff, samples_x, samples_y);
    std::optional<LateralStats> shaft;  // the same at every depth of the cylinder

    for (Index k = k_lo; k <= k_hi; ++k) {
      const double z_lo = z0 + static_cast<double>(k) * dz;
      const double z_hi = z_lo + dz;
      // Pieces of the voxel inside the track's depth range, cut at the shaft end and the plexus.
      std::array<double, 4> cuts{std::max(z_lo, 0.0), shaft_end, plexus_depth_mm,
                                 std::min(z_hi, depth)};
      std::sort(cuts.begin() + 1, cuts.begin() + 3);
      double track = 0.0, damage = 0.0, bleeding = 0.0;
      double lo = cuts[0];
      for (std::size_t c = 1; c < cuts.size(); ++c) {
        const double hi = std::clamp(cuts[c], cuts[0], cuts[3]);
        if (!(hi > lo))
          continue;
        const bool below_plexus = lo >= plexus_depth_mm;
        const auto accumulate = [&](const LateralStats& s, double weight) {
          track += weight * s.track_fraction;
          damage += weight * (s.track_fraction + (1.0 - s.track_fraction) * s.halo_outside);
          if (below_plexus)
            bleeding += weight * s.track_fraction;
        };
        if (hi <= shaft_end) {
          if (!shaft)
            shaft = evaluate.at_radius(shaft_radius);
          accumulate(*shaft, hi - lo);
        } else {
          // Cone: R(z) is linear, the disk-in-rectangle area is smooth between edge crossings;
          // short pieces with 4-point Gauss make the error negligible against the 1 % budget.
          const auto pieces =
              std::max<Index>(1, static_cast<Index>(std::ceil((hi - lo) / cone_piece)));
          const double piece = (hi - lo) / static_cast<double>(pieces);
          for (Index q = 0; q < pieces; ++q) {
            const double mid = lo + (static_cast<double>(q) + 0.5) * piece;
            for (std::size_t g = 0; g < gauss_nodes.size(); ++g) {
              const double z = mid + 0.5 * piece * gauss_nodes[g];
              accumulate(evaluate.at_radius(needle.track_radius_mm(z)),
                         0.5 * piece * gauss_weights[g]);
            }
          }
        }
        lo = hi;
      }
      const auto idx = static_cast<std::size_t>(grid.index(iw, jw, k));
      field.track_fraction[idx] = std::min(1.0, track / dz);
      field.damage[idx] = std::clamp(damage / dz, field.track_fraction[idx], 1.0);
      field.bleeding[idx] = options.bleeding_bolus * std::min(1.0, bleeding / dz);
    }
  }

  double volume = 0.0;
  for (const double f : field.track_fraction)
    volume += f;
  field.rasterised_track_volume_mm3 = volume * grid.voxel_volume_mm3();
  return field;
}

InjuryField rasterise_session(const NeedleSpec& needle, const grid::Grid& grid, int session,
                              double plexus_depth_mm, const RasterOptions& options) {
  const PunctureLayout layout = place_punctures(needle, Tile::of(grid), session);
  InjuryField field = rasterise(needle, grid, layout.punctures, plexus_depth_mm, options);
  field.requested_density_per_cm2 = layout.requested_density_per_cm2;
  field.expected_density_per_cm2 = layout.expected_density_per_cm2;
  field.realised_density_per_cm2 = layout.realised_density_per_cm2;
  return field;
}

}  // namespace microheal::geometry
