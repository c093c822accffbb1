#include "microheal/solver/integrator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

#include "microheal/core/error.hpp"

// The control policy is documented on SplitIntegrator (integrator.hpp). Implementation notes:
// - Negative values are retried at half the step rather than by the error formula: the error
//   estimate says nothing about positivity, so it could ask for a step that overshoots again.
// - Work counters (reaction voxels, chemotaxis sub-steps) include rejected attempts.
// - Mass: the integrals after each stage are differenced per species, so every change is booked
//   to the stage that made it; sums run plane by plane in a fixed order (thread-count independent).

namespace microheal::solver {

namespace {

// Factor applied after a rejection for a negative value (see the note at the top).
constexpr double negative_shrink = 0.5;

// The check and mass passes are about a nanosecond per voxel; below this many voxels waking the
// threads costs more than the pass (results are the same either way).
constexpr Index parallel_min_voxels = 8192;

// What the check pass found: the first NaN/Inf (species order, then voxel order) or else the most
// negative value relative to its species' atol.
struct Finding {
  bool nonfinite = false;
  bool negative = false;
  std::size_t species = 0;
  Index voxel = -1;
  double value = 0.0;
};

Finding check_fields(const grid::FieldSet& fields, const ErrorWeights& weights,
                     double negative_tolerance) {
  const grid::Grid& g = fields.grid();
  const Index plane = g.nx() * g.ny();
  const Index nz = g.nz();
  struct PlaneResult {
    Index first_nonfinite = -1;
    Index most_negative = -1;
  };
  const std::size_t ns = fields.num_species();
  std::vector<PlaneResult> planes(static_cast<std::size_t>(nz) * ns);
  // One parallel region for every species; the per-plane results are combined in species, then
  // plane order: the same answer at any thread count.
#pragma omp parallel for schedule(static) if (plane * nz >= parallel_min_voxels)
  for (Index k = 0; k < nz; ++k) {
    for (std::size_t s = 0; s < ns; ++s) {
      const std::span<const double> u = fields[s];
      const double threshold = -negative_tolerance * weights.atol[s];
      PlaneResult r;
      for (Index v = k * plane; v < (k + 1) * plane; ++v) {
        const double x = u[static_cast<std::size_t>(v)];
        if (!std::isfinite(x)) {
          r.first_nonfinite = v;
          break;
        }
        if (x < threshold &&
            (r.most_negative < 0 || x < u[static_cast<std::size_t>(r.most_negative)])) {
          r.most_negative = v;
        }
      }
      planes[static_cast<std::size_t>(k) * ns + s] = r;
    }
  }
  Finding found;
  double worst_scaled = 0.0;
  for (std::size_t s = 0; s < ns; ++s) {
    const std::span<const double> u = fields[s];
    for (Index k = 0; k < nz; ++k) {
      const PlaneResult& r = planes[static_cast<std::size_t>(k) * ns + s];
      if (r.first_nonfinite >= 0) {
        return Finding{true, false, s, r.first_nonfinite,
                       u[static_cast<std::size_t>(r.first_nonfinite)]};
      }
    }
    for (Index k = 0; k < nz; ++k) {
      const PlaneResult& r = planes[static_cast<std::size_t>(k) * ns + s];
      if (r.most_negative < 0)
        continue;
      const double x = u[static_cast<std::size_t>(r.most_negative)];
      const double scaled = x / weights.atol[s];
      if (!found.negative || scaled < worst_scaled) {
        found = Finding{false, true, s, r.most_negative, x};
        worst_scaled = scaled;
      }
    }
  }
  return found;
}

std::string voxel_text(const grid::Grid& g, Index v) {
  const Index i = v % g.nx();
  const Index j = (v / g.nx()) % g.ny();
  const Index k = v / (g.nx() * g.ny());
  return fmt::format("({}, {}, {})", i, j, k);
}

core::FieldLocation location_of(const grid::FieldSet& fields, const Finding& finding) {
  const grid::Grid& g = fields.grid();
  const Index v = finding.voxel;
  const std::size_t s = finding.species;
  return core::FieldLocation{
      s < fields.names().size() ? fields.names()[s] : fmt::format("species {}", s),
      {v % g.nx(), (v / g.nx()) % g.ny(), v / (g.nx() * g.ny())},
      finding.value,
      {},
      std::numeric_limits<double>::quiet_NaN()};
}

std::string species_name(const std::vector<std::string>& names, std::size_t s) {
  return s < names.size() ? names[s] : fmt::format("species {}", s);
}

void require(bool ok, std::string_view message) {
  if (!ok)
    throw core::InputError(fmt::format("time integrator: {}", message));
}

}  // namespace

std::vector<MassBalanceRow> mass_balance(const IntegratorStatistics& stats, double reference_mass) {
  std::vector<MassBalanceRow> rows;
  const std::size_t n = stats.mass_initial.size();
  if (stats.mass_final.size() != n || stats.mass_change_reaction.size() != n ||
      stats.mass_change_transport.size() != n || stats.mass_change_external.size() != n)
    return rows;
  for (std::size_t s = 0; s < n; ++s) {
    MassBalanceRow row{stats.mass_initial[s],
                       stats.mass_final[s],
                       stats.mass_change_reaction[s],
                       stats.mass_change_transport[s],
                       stats.mass_change_external[s],
                       0.0,
                       0.0};
    row.residual = row.initial + row.reaction + row.transport + row.external - row.final_mass;
    const double scale =
        std::max({std::abs(row.initial), std::abs(row.final_mass), std::abs(row.reaction),
                  std::abs(row.transport), std::abs(row.external), std::abs(reference_mass)});
    row.residual_relative = scale > 0.0 ? row.residual / scale : 0.0;
    rows.push_back(row);
  }
  return rows;
}

struct SplitIntegrator::Attempt {
  double error = 0.0;  // max weighted local error estimate of the stages (inf when not finite)
  Finding finding;     // NaN/Inf or negative value after the step
  std::vector<double> mass_after, change_reaction, change_transport;  // when tracking mass
};

SplitIntegrator::SplitIntegrator(DiffusionSolver diffusion,
                                 std::optional<ChemotaxisSolver> chemotaxis,
                                 std::unique_ptr<ReactionStepper> reactions, StepControl control,
                                 std::size_t num_species)
    : _diffusion(std::move(diffusion)),
      _chemotaxis(std::move(chemotaxis)),
      _reactions(std::move(reactions)),
      _control(control),
      _weights(ErrorWeights::uniform(num_species, control.rtol, control.atol)),
      _num_species(num_species),
      _dt_next_h(control.dt_initial_h),
      _num_voxels(static_cast<std::size_t>(_diffusion.grid().num_voxels())) {
  require(num_species >= 1, "at least one species is required");
  require(_diffusion.species().size() == num_species,
          fmt::format("the diffusion solver has {} species, the integrator {}",
                      _diffusion.species().size(), num_species));
  require(!_reactions || _reactions->num_species() == num_species,
          fmt::format("the reaction kernel has {} species, the integrator {}",
                      _reactions ? _reactions->num_species() : 0, num_species));
  const StepControl& c = _control;
  require(c.rtol > 0.0 && c.atol > 0.0, "rtol and atol must be > 0");
  require(c.dt_min_h > 0.0 && c.dt_min_h <= c.dt_max_h,
          fmt::format("need 0 < dt_min_h <= dt_max_h, got {} and {}", c.dt_min_h, c.dt_max_h));
  require(c.dt_initial_h > 0.0 && std::isfinite(c.dt_initial_h),
          fmt::format("dt_initial_h must be > 0, got {}", c.dt_initial_h));
  require(c.safety > 0.0 && c.safety <= 1.0,
          fmt::format("safety must be in (0, 1], got {}", c.safety));
  require(c.max_growth >= 1.0, fmt::format("max_growth must be >= 1, got {}", c.max_growth));
  require(c.max_shrink > 0.0 && c.max_shrink < 1.0,
          fmt::format("max_shrink must be in (0, 1), got {}", c.max_shrink));
  require(c.negative_tolerance >= 0.0,
          fmt::format("negative_tolerance must be >= 0, got {}", c.negative_tolerance));
  _dt_next_h = std::clamp(c.dt_initial_h, c.dt_min_h, c.dt_max_h);
  _all_species.assign(num_species, 1);
  _cell_species.assign(num_species, 0);
  if (_chemotaxis) {
    for (const std::size_t s : _chemotaxis->cell_species())
      _cell_species[s] = 1;
  }
  _mobile_species.assign(num_species, 0);
  for (std::size_t s = 0; s < num_species; ++s)
    _mobile_species[s] = _diffusion.species()[s].mobile ? 1 : 0;
}

std::vector<double> SplitIntegrator::masses(const grid::FieldSet& fields,
                                            const std::vector<char>& changed,
                                            const std::vector<double>& unchanged) {
  const core::ScopedStage stage(_timer, "mass balance");
  const grid::Grid& g = fields.grid();
  const Index plane = g.nx() * g.ny();
  const Index nz = g.nz();
  std::vector<std::size_t> list;
  for (std::size_t s = 0; s < fields.num_species(); ++s) {
    if (changed[s] != 0)
      list.push_back(s);
  }
  const std::size_t count = list.size();
  std::vector<double> partials(static_cast<std::size_t>(nz) * count);
  std::vector<std::span<const double>> u;
  for (const std::size_t s : list)
    u.push_back(fields[s]);
    // The same order per species as FieldSet::integral (plane partials, then planes in order), in
    // one parallel region for all species.
#pragma omp parallel for schedule(static) if (plane * nz >= parallel_min_voxels)
  for (Index k = 0; k < nz; ++k) {
    for (std::size_t n = 0; n < count; ++n) {
      double partial = 0.0;
      for (Index v = k * plane; v < (k + 1) * plane; ++v)
        partial += u[n][static_cast<std::size_t>(v)];
      partials[static_cast<std::size_t>(k) * count + n] = partial;
    }
  }
  std::vector<double> result = unchanged;
  result.resize(fields.num_species(), 0.0);
  for (std::size_t n = 0; n < count; ++n) {
    double total = 0.0;
    for (Index k = 0; k < nz; ++k)
      total += partials[static_cast<std::size_t>(k) * count + n];
    result[list[n]] = total * g.voxel_volume_mm3();
  }
  return result;
}

void SplitIntegrator::begin_call(const grid::FieldSet& fields) {
  require(
      fields.num_species() == _num_species,
      fmt::format("fields have {} species, the integrator {}", fields.num_species(), _num_species));
  require(static_cast<std::size_t>(fields.grid().num_voxels()) == _num_voxels,
          fmt::format("fields have {} voxels, the solvers {}", fields.grid().num_voxels(),
                      _num_voxels));
  if (!_track_mass)
    return;
  std::vector<double> now = masses(fields, _all_species, {});
  if (_stats.mass_initial.size() != _num_species) {
    _stats.mass_initial = now;
    _stats.mass_final = now;
    _stats.mass_change_reaction.assign(_num_species, 0.0);
    _stats.mass_change_transport.assign(_num_species, 0.0);
    _stats.mass_change_external.assign(_num_species, 0.0);
  } else if (_mass_now.size() == _num_species) {
    for (std::size_t s = 0; s < _num_species; ++s) {
      _stats.mass_change_external[s] += now[s] - _mass_now[s];
    }
    _stats.mass_final = now;
  } else {
    // Tracking was switched on after the first call: what happened in between is unaccounted
    // for, so book it as external.
    for (std::size_t s = 0; s < _num_species; ++s) {
      _stats.mass_change_external[s] += now[s] - _stats.mass_final[s];
    }
    _stats.mass_final = now;
  }
  _mass_now = std::move(now);
}

SplitIntegrator::Attempt SplitIntegrator::attempt(grid::FieldSet& fields, double dt_h) {
  Attempt a;
  const bool track = _track_mass && _mass_now.size() == _num_species;
  std::vector<double> before;
  if (track) {
    before = _mass_now;
    a.change_reaction.assign(_num_species, 0.0);
    a.change_transport.assign(_num_species, 0.0);
  }
  // Stage changes are summed per species as (after - before) of each stage.
  const auto book = [&](std::vector<double>& into, const std::vector<char>& changed) {
    if (!track)
      return;
    std::vector<double> after = masses(fields, changed, before);
    for (std::size_t s = 0; s < _num_species; ++s)
      into[s] += after[s] - before[s];
    before = std::move(after);
  };
  const bool has_chemotaxis = _chemotaxis.has_value() && !_chemotaxis->empty();
  const auto react = [&] {
    if (!_reactions)
      return;
    ReactionStepStats r;
    {
      const core::ScopedStage stage(_timer, "reaction");
      r = _reactions->step(fields, 0.5 * dt_h, _weights);
    }
    _stats.reaction_voxels_active += r.active_voxels;
    _stats.reaction_voxels_resting += r.resting_voxels;
    a.error = std::isnan(r.error_norm) ? std::numeric_limits<double>::infinity()
                                       : std::max(a.error, r.error_norm);
    book(a.change_reaction, _all_species);
  };
  const auto chemotax = [&] {
    if (!has_chemotaxis)
      return;
    ChemotaxisStepStats c;
    {
      const core::ScopedStage stage(_timer, "chemotaxis");
      c = _chemotaxis->step(fields, 0.5 * dt_h);
    }
    _stats.chemotaxis_sub_steps += c.sub_steps;
    book(a.change_transport, _cell_species);
  };

  react();
  chemotax();
  {
    double e = 0.0;
    {
      const core::ScopedStage stage(_timer, "diffusion");
      e = _diffusion.step(fields, dt_h, _weights);
    }
    a.error = std::isnan(e) ? std::numeric_limits<double>::infinity() : std::max(a.error, e);
    book(a.change_transport, _mobile_species);
  }
  chemotax();
  react();
  {
    const core::ScopedStage stage(_timer, "check");
    a.finding = check_fields(fields, _weights, _control.negative_tolerance);
  }
  if (track)
    a.mass_after = std::move(before);
  return a;
}

void SplitIntegrator::accept(const Attempt& result, double dt_h) {
  if (_stats.steps_accepted == 0) {
    _stats.dt_smallest_h = dt_h;
    _stats.dt_largest_h = dt_h;
  } else {
    _stats.dt_smallest_h = std::min(_stats.dt_smallest_h, dt_h);
    _stats.dt_largest_h = std::max(_stats.dt_largest_h, dt_h);
  }
  ++_stats.steps_accepted;
  if (result.mass_after.size() == _num_species) {
    for (std::size_t s = 0; s < _num_species; ++s) {
      _stats.mass_change_reaction[s] += result.change_reaction[s];
      _stats.mass_change_transport[s] += result.change_transport[s];
    }
    _mass_now = result.mass_after;
    _stats.mass_final = _mass_now;
  }
}

void SplitIntegrator::uncontrolled_step(grid::FieldSet& fields, double dt_h, double t_h) {
  const Attempt a = attempt(fields, dt_h);
  if (a.finding.nonfinite) {
    const std::string when = std::isnan(t_h) ? std::string() : fmt::format(" from t = {} h", t_h);
    throw core::NumericalError(
        fmt::format(
            "time integration failed in a fixed step of {} h{}: species '{}' at voxel {} is {}",
            dt_h, when, species_name(fields.names(), a.finding.species),
            voxel_text(fields.grid(), a.finding.voxel), a.finding.value),
        t_h, location_of(fields, a.finding));
  }
  accept(a, dt_h);
}

void SplitIntegrator::fixed_step(grid::FieldSet& fields, double dt_h) {
  require(dt_h > 0.0 && std::isfinite(dt_h), fmt::format("fixed step must be > 0, got {}", dt_h));
  begin_call(fields);
  uncontrolled_step(fields, dt_h, std::numeric_limits<double>::quiet_NaN());
}

void SplitIntegrator::restart_step(double dt_h) {
  require(dt_h > 0.0 && std::isfinite(dt_h), fmt::format("restart step must be > 0, got {}", dt_h));
  _dt_next_h = std::clamp(dt_h, _control.dt_min_h, _control.dt_max_h);
}

void SplitIntegrator::save_state(const grid::FieldSet& fields) {
  const core::ScopedStage stage(_timer, "save state");
  if (!_saved || _saved->grid().extent() != fields.grid().extent() ||
      _saved->num_species() != fields.num_species()) {
    _saved.emplace(fields);
  } else {
    _saved->copy_from(fields);
  }
}

bool SplitIntegrator::advance_to(grid::FieldSet& fields, double& t_h, double t_end_h,
                                 const StepObserver& on_step, const StopRequest& stop) {
  require(std::isfinite(t_h) && std::isfinite(t_end_h) && t_end_h >= t_h,
          fmt::format("cannot advance from t = {} h to t = {} h", t_h, t_end_h));
  if (t_end_h == t_h)
    return true;
  begin_call(fields);
  if (_control.adaptive)
    return advance_adaptive(fields, t_h, t_end_h, on_step, stop);
  // Fixed steps: the interval is cut into the fewest even steps of at most dt_initial_h (the
  // tolerance keeps round-off in (t_end - t) / dt from adding a needless extra step).
  const double span_h = t_end_h - t_h;
  const auto steps =
      std::max<long>(1, static_cast<long>(std::ceil(span_h / _control.dt_initial_h - 1e-9)));
  for (long n = 0; n < steps; ++n) {
    const double h = (t_end_h - t_h) / static_cast<double>(steps - n);
    if (on_step)
      save_state(fields);
    const double start_h = t_h;
    uncontrolled_step(fields, h, t_h);
    t_h = (n + 1 == steps) ? t_end_h : t_h + h;
    if (on_step)
      on_step(*_saved, start_h, fields, t_h);
    // A stopped fixed-step call resumes with the rest cut into steps - n - 1 even steps: the
    // same steps only up to round-off, which is why only the adaptive path promises bitwise.
    if (n + 1 < steps && stop && stop())
      return false;
  }
  return true;
}

bool SplitIntegrator::advance_adaptive(grid::FieldSet& fields, double& t_h, double t_end_h,
                                       const StepObserver& on_step, const StopRequest& stop) {
  const StepControl& c = _control;
  while (t_h < t_end_h) {
    const double h_wanted = _dt_next_h;
    const double remaining = t_end_h - t_h;
    bool lands = false;
    double h = h_wanted;
    if (remaining <= h_wanted) {
      h = remaining;
      lands = true;
    } else if (remaining < 2.0 * h_wanted) {
      h = 0.5 * remaining;
    }
    save_state(fields);
    bool rejected = false;
    Attempt a;
    for (;;) {
      a = attempt(fields, h);
      double factor = 1.0;
      std::string why;
      std::optional<core::FieldLocation> where;
      if (a.finding.nonfinite || a.finding.negative)
        where = location_of(fields, a.finding);
      if (a.finding.nonfinite || !std::isfinite(a.error)) {
        ++_stats.steps_rejected_error;
        factor = c.max_shrink;
        why = a.finding.nonfinite
                  ? fmt::format("species '{}' at voxel {} is {}",
                                species_name(fields.names(), a.finding.species),
                                voxel_text(fields.grid(), a.finding.voxel), a.finding.value)
                  : fmt::format("the local error estimate is {}", a.error);
      } else if (a.finding.negative) {
        ++_stats.steps_rejected_negative;
        factor = negative_shrink;
        why = fmt::format("species '{}' at voxel {} is {}, below -negative_tolerance * atol = {}",
                          species_name(fields.names(), a.finding.species),
                          voxel_text(fields.grid(), a.finding.voxel), a.finding.value,
                          -c.negative_tolerance * _weights.atol[a.finding.species]);
      } else if (a.error > 1.0) {
        ++_stats.steps_rejected_error;
        factor = std::max(c.max_shrink, c.safety / std::sqrt(a.error));
        why = fmt::format("the local error estimate {} exceeds 1 (rtol {}, atol {})", a.error,
                          c.rtol, c.atol);
      } else {
        break;
      }
      {
        const core::ScopedStage stage(_timer, "save state");
        fields.copy_from(*_saved);
      }
      if (h <= c.dt_min_h) {
        throw core::NumericalError(
            fmt::format("time integration failed at t = {} h: a step of {} h (dt_min_h = {} h) was "
                        "rejected: {}",
                        t_h, h, c.dt_min_h, why),
            t_h, std::move(where));
      }
      // The minimum step itself is tried once before giving up.
      h = std::max(h * factor, c.dt_min_h);
      lands = false;
      rejected = true;
    }
    accept(a, h);

    const double optimal =
        a.error > 0.0 ? c.safety / std::sqrt(a.error) : std::numeric_limits<double>::infinity();
    double proposal = 0.0;
    if (h < h_wanted && !rejected) {
      // Shortened to land or to split the rest evenly: keep what the controller wanted.
      proposal = std::min(h_wanted, h * optimal);
    } else {
      proposal = h * std::min(c.max_growth, std::max(c.max_shrink, optimal));
    }
    if (rejected)
      proposal = std::min(proposal, h);
    _dt_next_h = std::clamp(proposal, c.dt_min_h, c.dt_max_h);
    const double start_h = t_h;
    t_h = lands ? t_end_h : t_h + h;
    if (on_step)
      on_step(*_saved, start_h, fields, t_h);
    if (!lands && stop && stop())
      return false;
  }
  return true;
}

std::string SplitIntegrator::report(const std::vector<std::string>& species_names) const {
  std::string out;
  auto it = std::back_inserter(out);
  const double total = _timer.total_seconds();
  fmt::format_to(it, "time integration (Strang splitting R C D C R, adaptive: {})\n",
                 _control.adaptive ? "yes" : "no");
  fmt::format_to(it, "  {:<14} {:>10} {:>7} {:>9}\n", "stage", "time [s]", "share", "calls");
  for (const core::StageTiming& s : _timer.stages()) {
    fmt::format_to(it, "  {:<14} {:>10.4f} {:>6.1f}% {:>9}\n", s.name, s.seconds,
                   total > 0.0 ? 100.0 * s.seconds / total : 0.0, s.calls);
  }
  fmt::format_to(it, "  {:<14} {:>10.4f} {:>6.1f}%\n", "total", total, total > 0.0 ? 100.0 : 0.0);
  const double updates = static_cast<double>(_stats.steps_accepted) *
                         static_cast<double>(_num_voxels) * static_cast<double>(_num_species);
  fmt::format_to(
      it,
      "  throughput: {:.3e} voxel-species updates/s ({} accepted steps x {} voxels x {} species)\n",
      total > 0.0 ? updates / total : 0.0, _stats.steps_accepted, _num_voxels, _num_species);
  fmt::format_to(
      it, "  steps: {} accepted, {} rejected (error {}, negative {}); dt {:.3e} .. {:.3e} h\n",
      _stats.steps_accepted, _stats.steps_rejected_error + _stats.steps_rejected_negative,
      _stats.steps_rejected_error, _stats.steps_rejected_negative, _stats.dt_smallest_h,
      _stats.dt_largest_h);
  fmt::format_to(it, "  chemotaxis sub-steps: {}\n", _stats.chemotaxis_sub_steps);
  const long voxel_updates = _stats.reaction_voxels_active + _stats.reaction_voxels_resting;
  fmt::format_to(it, "  reaction voxel updates: {} active, {} resting ({:.1f}% resting)\n",
                 _stats.reaction_voxels_active, _stats.reaction_voxels_resting,
                 voxel_updates > 0 ? 100.0 * static_cast<double>(_stats.reaction_voxels_resting) /
                                         static_cast<double>(voxel_updates)
                                   : 0.0);
  const grid::Grid& g = _diffusion.grid();
  const std::vector<MassBalanceRow> rows =
      mass_balance(_stats, static_cast<double>(g.num_voxels()) * g.voxel_volume_mm3());
  if (rows.size() != _num_species) {
    fmt::format_to(it, "  mass balance: not tracked\n");
    return out;
  }
  fmt::format_to(
      it,
      "  mass balance [mm^3 x unit; residual relative to the larger of the species' largest term "
      "and the block at level 1]\n  {:<16} {:>13} {:>13} {:>13} {:>13} {:>13} {:>11}\n",
      "species", "initial", "final", "reaction", "transport", "external", "residual");
  for (std::size_t s = 0; s < _num_species; ++s) {
    const MassBalanceRow& r = rows[s];
    fmt::format_to(it, "  {:<16} {:>13.6e} {:>13.6e} {:>13.6e} {:>13.6e} {:>13.6e} {:>11.2e}\n",
                   species_name(species_names, s), r.initial, r.final_mass, r.reaction, r.transport,
                   r.external, r.residual_relative);
  }
  return out;
}

}  // namespace microheal::solver
