#include "microheal/simulation/simulation_spec.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "microheal/core/error.hpp"

namespace microheal::simulation {

namespace {

constexpr double mm2_per_cm2 = 100.0;
/// Above this many voxels a run needs tens of GB (11 species, a saved copy and scratch); such a
/// block is a typo, not a plan.
constexpr double max_voxels = 2.0e8;
/// Relative misfit of the realised density that geometry::place_punctures accepts.
constexpr double lattice_fit_tolerance = 0.02;

std::string number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

/// Throws "<path> must be in [lo, hi] <unit>, got <value>" unless lo <= value <= hi (NaN fails).
void check_range(const std::string& path, double value, double lo, double hi,
                 const std::string& unit) {
  if (!(std::isfinite(value) && value >= lo && value <= hi)) {
    throw core::InputError(path + " must be in [" + number(lo) + ", " + number(hi) + "] " + unit +
                           ", got " + number(value));
  }
}

/// Throws unless lo < value <= hi.
void check_open_closed(const std::string& path, double value, double lo, double hi,
                       const std::string& unit) {
  if (!(std::isfinite(value) && value > lo && value <= hi)) {
    throw core::InputError(path + " must be in (" + number(lo) + ", " + number(hi) + "] " + unit +
                           ", got " + number(value));
  }
}

Index voxels_along(double length_mm, double voxel_mm) {
  return std::max<Index>(1, std::llround(length_mm / voxel_mm));
}

void validate_domain(const DomainSpec& d, const geometry::TissueSpec& tissue) {
  if (d.dimensions != 2 && d.dimensions != 3) {
    throw core::InputError("domain.dimensions must be 2 (x-z cross-section) or 3, got " +
                           std::to_string(d.dimensions));
  }
  check_range("domain.voxel_mm", d.voxel_mm, 0.002, 0.5, "mm");
  check_range("domain.tile_mm.x", d.tile_mm.x, d.voxel_mm, 100.0, "mm (at least one voxel)");
  if (d.dimensions == 3)
    check_range("domain.tile_mm.y", d.tile_mm.y, d.voxel_mm, 100.0, "mm (at least one voxel)");
  check_range("domain.depth_mm", d.depth_mm, d.voxel_mm, 20.0, "mm (at least one voxel)");
  double epidermis_mm = 0.0;
  for (const geometry::Layer layer :
       {geometry::Layer::stratum_corneum, geometry::Layer::viable_epidermis}) {
    epidermis_mm += tissue.thickness(layer);
  }
  if (!(d.depth_mm > epidermis_mm)) {
    throw core::InputError("domain.depth_mm = " + number(d.depth_mm) +
                           " mm ends inside the epidermis (" + number(epidermis_mm) +
                           " mm thick): the block must reach the dermis");
  }
  const double nx = static_cast<double>(voxels_along(d.tile_mm.x, d.voxel_mm));
  const double ny =
      d.dimensions == 3 ? static_cast<double>(voxels_along(d.tile_mm.y, d.voxel_mm)) : 1.0;
  const double nz = static_cast<double>(voxels_along(d.depth_mm, d.voxel_mm));
  if (nx * ny * nz > max_voxels) {
    throw core::InputError("domain: " + number(nx) + " x " + number(ny) + " x " + number(nz) +
                           " voxels is more than " + number(max_voxels) +
                           "; use a larger domain.voxel_mm or a smaller tile");
  }
}

void validate_step_control(const solver::StepControl& c) {
  check_open_closed("step_control.rtol", c.rtol, 0.0, 0.1, "");
  check_open_closed("step_control.atol", c.atol, 0.0, 0.01, "(normalised units)");
  check_open_closed("step_control.dt_max_h", c.dt_max_h, 0.0, 48.0, "h");
  check_open_closed("step_control.dt_initial_h", c.dt_initial_h, 0.0, c.dt_max_h,
                    "h (up to dt_max_h)");
  check_open_closed("step_control.dt_min_h", c.dt_min_h, 0.0, c.dt_initial_h,
                    "h (up to dt_initial_h)");
  check_open_closed("step_control.safety", c.safety, 0.0, 1.0, "");
  check_range("step_control.max_growth", c.max_growth, 1.0, 100.0, "");
  if (!(c.max_shrink > 0.0 && c.max_shrink < 1.0)) {
    throw core::InputError("step_control.max_shrink must be in (0, 1), got " +
                           number(c.max_shrink));
  }
  check_range("step_control.negative_tolerance", c.negative_tolerance, 0.0, 1e6, "(x atol)");
}

void validate_sampling(const SamplingSpec& s) {
  if (!s.enabled)
    return;
  double previous = 0.0;
  for (std::size_t b = 0; b < s.after_session.size(); ++b) {
    const std::string path = "sampling.after_session[" + std::to_string(b) + "]";
    const SamplingBand& band = s.after_session[b];
    if (!(std::isfinite(band.until_h) && band.until_h > previous)) {
      throw core::InputError(path + ".until_h must be finite and greater than " + number(previous) +
                             " h (bands in increasing order), got " + number(band.until_h));
    }
    check_range(path + ".interval_h", band.interval_h, 1e-3, band.until_h - previous,
                "h (at most the band's length)");
    previous = band.until_h;
  }
  check_range("sampling.interval_h", s.interval_h, 1e-3, 24.0 * 365.0, "h");
}

void validate_needles(const SimulationSpec& spec) {
  const geometry::Protocol protocol(spec.protocol);
  const DomainSpec& d = spec.domain;
  const bool slits = uses_slits(d);
  for (int s = 0; s < protocol.num_sessions(); ++s) {
    const geometry::NeedleSpec needle = protocol.needle_for_session(s);
    const bool overridden =
        std::any_of(spec.protocol.overrides.begin(), spec.protocol.overrides.end(),
                    [s](const geometry::SessionOverride& o) { return o.session == s; });
    const std::string path =
        overridden ? "protocol.overrides (session " + std::to_string(s) + ")" : "protocol.needle";
    if (!(needle.effective_depth_mm() < d.depth_mm)) {
      throw core::InputError(
          path + ": the effective depth " + number(needle.effective_depth_mm()) +
          " mm (length_mm x penetration_efficiency) reaches the bottom of the block "
          "(domain.depth_mm = " +
          number(d.depth_mm) + " mm); the block must be deeper than the needle goes");
    }
    const geometry::NeedleSpec laid_out = slits ? slit_row_needle(needle) : needle;
    const double spacing = lattice_spacing_mm(laid_out);
    const auto check_tile = [&](const char* axis, double extent_mm) {
      // The lattice fit allows the density 2 % off, so a tile a hair under one spacing is fine.
      if (extent_mm < (1.0 - lattice_fit_tolerance) * spacing) {
        throw core::InputError(std::string("domain.tile_mm.") + axis + " = " + number(extent_mm) +
                               " mm is smaller than one lattice spacing (" + number(spacing) +
                               " mm at " + number(needle.density_per_cm2) + " punctures/cm² in " +
                               std::to_string(laid_out.passes) + " pass(es), " + path +
                               "): the periodic tile must hold at least one puncture per pass");
      }
    };
    check_tile("x", d.tile_mm.x);
    if (!slits)
      check_tile("y", d.tile_mm.y);
    if (slits) {
      const bool row_pattern = needle.pattern == geometry::Pattern::square ||
                               needle.pattern == geometry::Pattern::jittered;
      if (needle.device != geometry::Device::pen || !row_pattern) {
        throw core::InputError(
            path +
            ": slit tracks (2D, or domain.tracks = slits) are one row of a square or "
            "jittered pen lattice; the " +
            std::string(geometry::device_name(needle.device)) + " with the " +
            std::string(geometry::pattern_name(needle.pattern)) + " pattern needs 3D needles");
      }
    }
    try {
      (void)geometry::place_punctures(laid_out, layout_tile(d, laid_out), s);
    } catch (const core::InputError& error) {
      throw core::InputError(path + " (session " + std::to_string(s) + ") on the tile " +
                             (slits ? "row" : "") + ": " + error.what());
    }
  }
}

}  // namespace

solver::StepControl default_step_control() {
  solver::StepControl control;
  control.rtol = 2e-2;
  control.atol = 2e-4;
  control.dt_initial_h = 0.01;
  control.dt_min_h = 1e-8;
  control.dt_max_h = 12.0;
  return control;
}

double lattice_spacing_mm(const geometry::NeedleSpec& needle) {
  const double per_pass = needle.device == geometry::Device::pen
                              ? needle.density_per_cm2 / static_cast<double>(needle.passes)
                              : needle.density_per_cm2;
  return std::sqrt(mm2_per_cm2 / per_pass);
}

geometry::NeedleSpec slit_row_needle(geometry::NeedleSpec needle) {
  needle.passes = 1;
  return needle;
}

bool uses_slits(const DomainSpec& domain) {
  return domain.dimensions == 2 || domain.tracks == TrackShape::slits;
}

geometry::Tile layout_tile(const DomainSpec& domain, const geometry::NeedleSpec& needle) {
  return {0.0, 0.0, domain.tile_mm.x,
          uses_slits(domain) ? lattice_spacing_mm(needle) : domain.tile_mm.y};
}

grid::Grid make_grid(const DomainSpec& domain) {
  const Index nx = voxels_along(domain.tile_mm.x, domain.voxel_mm);
  const Index nz = voxels_along(domain.depth_mm, domain.voxel_mm);
  const double dx = domain.tile_mm.x / static_cast<double>(nx);
  const double dz = domain.depth_mm / static_cast<double>(nz);
  if (domain.dimensions == 2)
    return grid::Grid({nx, 1, nz}, {dx, domain.voxel_mm, dz});
  const Index ny = voxels_along(domain.tile_mm.y, domain.voxel_mm);
  return grid::Grid({nx, ny, nz}, {dx, domain.tile_mm.y / static_cast<double>(ny), dz});
}

void SimulationSpec::validate() const {
  tissue.validate();
  validate_domain(domain, tissue);
  protocol.validate();
  validate_needles(*this);
  validate_step_control(step_control);
  const double end_h = 24.0 * protocol.duration_days;
  for (std::size_t i = 0; i < output_times_h.size(); ++i) {
    const double t = output_times_h[i];
    const double previous = i == 0 ? -1.0 : output_times_h[i - 1];
    if (!(std::isfinite(t) && t >= 0.0 && t <= end_h && t > previous)) {
      throw core::InputError("output_times_h[" + std::to_string(i) + "] = " + number(t) +
                             " h: output times must be in [0, " + number(end_h) +
                             "] h (protocol.duration_days x 24) and strictly increasing");
    }
  }
  check_range("rest_fraction", rest_fraction, 0.0, 0.5, "(of the error tolerance)");
  validate_sampling(sampling);
}

}  // namespace microheal::simulation
