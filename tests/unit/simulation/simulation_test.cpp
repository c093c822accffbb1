// Tests of the simulation module: spec validation, wiring, events, observables and metrics,
// the untreated control (notes §5 target 4), the one-session timeline (targets 5-7), and the
// limits where the 3D, 2D and 0D modes must agree.

#include <omp.h>

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <numeric>
#include <source_location>
#include <sstream>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/model/parameters.hpp"
#include "microheal/model/species.hpp"
#include "microheal/model/well_mixed.hpp"
#include "microheal/simulation/metrics.hpp"
#include "microheal/simulation/observables.hpp"
#include "microheal/simulation/run.hpp"
#include "microheal/simulation/simulation.hpp"
#include "microheal/simulation/simulation_spec.hpp"

namespace {

using microheal::Index;
using microheal::core::InputError;
using microheal::geometry::Layer;
using microheal::model::Species;
using namespace microheal::simulation;
namespace model = microheal::model;
namespace geometry = microheal::geometry;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string validation_message(const SimulationSpec& spec) {
  try {
    spec.validate();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string text(const std::optional<double>& value) {
  return value ? std::to_string(*value) : std::string("not reached");
}

/// A small block: one lattice spacing of tile at 250 punctures/cm² (square lattice), 1 mm deep.
SimulationSpec small_spec(int dimensions, double voxel_mm) {
  SimulationSpec spec;
  spec.domain.dimensions = dimensions;
  spec.domain.tile_mm = {0.632, 0.632};
  spec.domain.depth_mm = 1.0;
  spec.domain.voxel_mm = voxel_mm;
  spec.protocol.needle.pattern = geometry::Pattern::square;
  spec.protocol.needle.length_mm = 1.0;
  spec.protocol.needle.density_per_cm2 = 250.0;
  return spec;
}

/// The fields of @p simulation as one flat vector (for bitwise comparisons).
std::vector<double> flatten(const microheal::grid::FieldSet& fields) {
  std::vector<double> all;
  for (std::size_t s = 0; s < fields.num_species(); ++s)
    all.insert(all.end(), fields[s].begin(), fields[s].end());
  return all;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Spec

TEST_CASE("spec validation names the key and the expected range", "[simulation]") {
  const SimulationSpec good = small_spec(3, 0.04);
  CHECK_NOTHROW(good.validate());

  SimulationSpec spec = good;
  spec.domain.voxel_mm = 0.0;
  CHECK(contains(validation_message(spec), "domain.voxel_mm must be in [0.002, 0.5] mm"));
  spec = good;
  spec.domain.dimensions = 1;
  CHECK(contains(validation_message(spec), "domain.dimensions must be 2"));
  spec = good;
  spec.step_control.rtol = 0.5;
  CHECK(contains(validation_message(spec), "step_control.rtol must be in (0, 0.1]"));
  spec = good;
  spec.output_times_h = {10.0, 5.0};
  CHECK(contains(validation_message(spec), "output_times_h[1] = 5 h"));
  spec = good;
  spec.output_times_h = {24.0 * 200.0};
  CHECK(contains(validation_message(spec), "output_times_h[0]"));
  spec = good;
  spec.rest_fraction = -1.0;
  CHECK(contains(validation_message(spec), "rest_fraction"));
  spec = good;
  spec.sampling.after_session = {{24.0, 0.5}, {12.0, 1.0}};
  CHECK(contains(validation_message(spec), "sampling.after_session[1].until_h"));
}

TEST_CASE("spec validation refuses physically impossible combinations", "[simulation]") {
  const SimulationSpec good = small_spec(3, 0.04);

  SimulationSpec deep = good;
  deep.protocol.needle.length_mm = 2.0;  // 1.2 mm effective in a 1.0 mm block
  const std::string too_deep = validation_message(deep);
  CHECK(contains(too_deep, "protocol.needle"));
  CHECK(contains(too_deep, "effective depth 1.2 mm"));
  CHECK(contains(too_deep, "domain.depth_mm = 1 mm"));

  SimulationSpec small_tile = good;
  small_tile.domain.tile_mm = {0.3, 0.632};
  const std::string tile = validation_message(small_tile);
  CHECK(contains(tile, "domain.tile_mm.x = 0.3 mm is smaller than one lattice spacing"));

  SimulationSpec misfit = good;
  misfit.domain.tile_mm = {0.9, 0.632};  // 1.42 spacings: no whole lattice fits
  CHECK(contains(validation_message(misfit), "protocol.needle (session 0)"));

  SimulationSpec late = good;
  late.protocol.sessions = 3;
  late.protocol.interval_days = 30.0;
  late.protocol.duration_days = 60.0;
  CHECK(contains(validation_message(late), "session 2 on day 60 is at or after the end"));

  SimulationSpec hexagonal_2d = small_spec(2, 0.04);
  hexagonal_2d.protocol.needle.pattern = geometry::Pattern::hexagonal;
  CHECK(contains(validation_message(hexagonal_2d), "slit tracks"));

  SimulationSpec shallow = good;
  shallow.domain.depth_mm = 0.05;
  shallow.protocol.needle.length_mm = 0.1;  // still needs to reach below the epidermis
  CHECK(contains(validation_message(shallow), "ends inside the epidermis"));

  SimulationSpec override_deep = good;
  override_deep.protocol.sessions = 2;
  override_deep.protocol.duration_days = 60.0;
  geometry::SessionOverride longer;
  longer.session = 1;
  longer.needle_length_mm = 2.0;
  override_deep.protocol.overrides = {longer};
  CHECK(contains(validation_message(override_deep), "protocol.overrides (session 1)"));

  CHECK_THROWS_AS(Simulation(deep), InputError);
}

TEST_CASE("the grid is the tile in 3D and the x-z cross-section in 2D", "[simulation]") {
  const DomainSpec three{{1.26, 0.64}, 1.5, 0.02, 3, TrackShape::needles};
  const microheal::grid::Grid g3 = make_grid(three);
  CHECK(g3.nx() == 63);
  CHECK(g3.ny() == 32);
  CHECK(g3.nz() == 75);
  CHECK(g3.spacing_mm(microheal::grid::Axis::x) * 63 == Approx(1.26));
  DomainSpec two = three;
  two.dimensions = 2;
  const microheal::grid::Grid g2 = make_grid(two);
  CHECK(g2.ny() == 1);
  CHECK(g2.nx() == 63);
  CHECK(g2.spacing_mm(microheal::grid::Axis::y) == 0.02);
  // Not a whole number of voxels: the tile stays exact, the voxel edge adapts.
  const microheal::grid::Grid odd = make_grid({{0.632, 0.632}, 1.0, 0.04, 3, TrackShape::needles});
  CHECK(odd.nx() == 16);
  CHECK(odd.spacing_mm(microheal::grid::Axis::x) == Approx(0.0395));
  CHECK(odd.nz() == 25);
  CHECK(lattice_spacing_mm(SimulationSpec{}.protocol.needle) == Approx(0.6325).epsilon(1e-3));
}

// ------------------------------------------------------------------------------------------
// Wiring and events

TEST_CASE("homeostasis comes from the tissue's layer profiles", "[simulation]") {
  SimulationSpec spec = small_spec(2, 0.04);
  spec.protocol.sessions = 0;
  const Simulation simulation(spec);
  const auto& home = simulation.homeostasis();
  const auto& grid = simulation.grid();
  const geometry::Tissue& tissue = simulation.tissue();
  const auto vessels = tissue.vessel_density_profile(grid);
  const auto collagen = tissue.baseline_collagen_profile(grid);
  for (Index k = 0; k < grid.nz(); ++k) {
    const auto v = static_cast<std::size_t>(grid.index(3, 0, k));
    const auto coefficients = simulation.coefficients().at(static_cast<Index>(v));
    CHECK(coefficients.vessel_density == vessels[static_cast<std::size_t>(k)]);
    CHECK(home[model::index(Species::mature_collagen)][v] == collagen[static_cast<std::size_t>(k)]);
  }
  // Plane 10 (0.4 mm) is reticular dermis: V = 0.5, C0 = F0 = 1.
  const auto reticular = simulation.coefficients().at(grid.index(0, 0, 10));
  CHECK(reticular.vessel_density == Approx(0.5));
  CHECK(reticular.baseline_fibroblasts == Approx(1.0));
  CHECK(simulation.loop_gain() == Approx(0.34).margin(0.01));
  CHECK(simulation.warnings().empty());

  SimulationSpec hot = spec;
  hot.parameters.set("s_IN", 0.06);
  const Simulation chronic(hot);
  REQUIRE_FALSE(chronic.warnings().empty());
  CHECK(contains(chronic.warnings()[0], "loop gain"));
  SimulationSpec aggregating = spec;
  aggregating.parameters.set("chi_N", 2.4);
  const Simulation spiky(aggregating);
  REQUIRE(spiky.warnings().size() == 1);
  CHECK(contains(spiky.warnings()[0], "Keller-Segel"));
}

TEST_CASE("a session applies the model's puncture inside the tracks only", "[simulation]") {
  SimulationSpec spec = small_spec(3, 0.04);
  spec.protocol.duration_days = 1.0;
  Simulation simulation(spec);
  simulation.advance_to(0.0);  // the session on day 0
  REQUIRE(simulation.sessions_applied() == 1);
  const geometry::InjuryField* injury = simulation.latest_injury();
  REQUIRE(injury != nullptr);
  CHECK(injury->punctures.size() == 1);
  CHECK(injury->rasterised_track_volume_mm3 ==
        Approx(injury->analytic_track_volume_mm3).epsilon(0.01));
  const auto& fields = simulation.fields();
  const auto& home = simulation.homeostasis();
  const model::Parameters& p = spec.parameters;
  int full = 0;
  int untouched = 0;
  for (std::size_t v = 0; v < injury->track_fraction.size(); ++v) {
    const bool hit =
        injury->track_fraction[v] > 0.0 || injury->damage[v] > 0.0 || injury->bleeding[v] > 0.0;
    if (!hit) {
      for (std::size_t s = 0; s < model::num_species; ++s)
        CHECK(std::bit_cast<std::uint64_t>(fields[s][v]) ==
              std::bit_cast<std::uint64_t>(home[s][v]));
      ++untouched;
    } else if (injury->track_fraction[v] == 1.0) {
      CHECK(fields[model::index(Species::damage)][v] == 1.0);
      CHECK(fields[model::index(Species::fibroblasts)][v] ==
            Approx(0.7 * home[model::index(Species::fibroblasts)][v]));
      CHECK(fields[model::index(Species::keratinocytes)][v] == 0.0);
      CHECK(fields[model::index(Species::tgf_beta)][v] ==
            Approx(p[model::Param::T_bleed] * injury->bleeding[v]));
      ++full;
    }
  }
  CHECK(full > 0);
  CHECK(untouched > full);
}

TEST_CASE("slits are the row's needles extruded along y", "[simulation]") {
  SimulationSpec spec = small_spec(3, 0.04);
  spec.domain.tracks = TrackShape::slits;
  spec.domain.tile_mm = {1.26, 0.16};  // along y only the extrusion matters
  const Simulation simulation(spec);
  const geometry::InjuryField slit = simulation.session_injury(0);
  CHECK(slit.punctures.size() == 2);
  // The rasterised strip merges the periodic images into a slit to a few 1e-5.
  CHECK(slit.rasterised_track_volume_mm3 == Approx(slit.analytic_track_volume_mm3).epsilon(2e-3));
  const auto& grid = simulation.grid();
  for (Index k = 0; k < grid.nz(); ++k) {
    for (Index i = 0; i < grid.nx(); ++i) {
      const auto first = static_cast<std::size_t>(grid.index(i, 0, k));
      for (Index j = 1; j < grid.ny(); ++j) {
        const auto other = static_cast<std::size_t>(grid.index(i, j, k));
        CHECK(slit.track_fraction[other] == slit.track_fraction[first]);
        CHECK(slit.damage[other] == slit.damage[first]);
      }
    }
  }
}

TEST_CASE("passes at a fixed total density give the same 2D section", "[simulation]") {
  // A section cannot tell the passes' lattices apart: one row at the total density, so the dose
  // does not grow with the number of passes (it grew as sqrt(passes) when each pass had a row).
  SimulationSpec spec = small_spec(2, 0.02);
  spec.domain.tile_mm = {1.264, 1.264};  // two cells of the 250/cm² lattice
  const auto injury_of = [&](int passes) {
    SimulationSpec s = spec;
    s.protocol.needle.passes = passes;
    return Simulation(s).session_injury(0);
  };
  const geometry::InjuryField one = injury_of(1);
  REQUIRE(one.punctures.size() == 2);
  const double damage_one = std::accumulate(one.damage.begin(), one.damage.end(), 0.0);
  REQUIRE(damage_one > 0.0);
  for (const int passes : {2, 4}) {
    const geometry::InjuryField more = injury_of(passes);
    CHECK(more.punctures.size() == one.punctures.size());
    CHECK(more.damage == one.damage);
    CHECK(more.analytic_track_volume_mm3 == one.analytic_track_volume_mm3);
  }
  // In 3D the passes are separate lattices at density / passes each: the same number of tracks.
  SimulationSpec block = small_spec(3, 0.04);
  block.domain.tile_mm = {1.264, 1.264};
  block.protocol.needle.passes = 4;
  CHECK(Simulation(block).session_injury(0).punctures.size() == 4);
}

TEST_CASE("observers see every event, and the run lands on each time exactly", "[simulation]") {
  SimulationSpec spec = small_spec(2, 0.05);
  spec.protocol.sessions = 2;
  spec.protocol.first_session_day = 0.5;
  spec.protocol.interval_days = 1.0;
  spec.protocol.duration_days = 2.0;
  spec.output_times_h = {0.0, 1.0 / 3.0, 12.0, 30.5, 48.0};
  spec.sampling.after_session = {{2.0, 0.5}};
  spec.sampling.interval_h = 6.0;
  Simulation simulation(spec);
  std::vector<Observation> seen;
  simulation.add_observer([&seen](const Simulation& s, const Observation& o) {
    CHECK(s.time_h() == o.time_h);
    seen.push_back(o);
  });
  simulation.run();
  CHECK(simulation.time_h() == 48.0);
  std::vector<double> outputs;
  std::vector<double> befores;
  std::vector<double> samples_after_first;
  for (const Observation& o : seen) {
    if (o.output)
      outputs.push_back(o.time_h);
    if (o.moment == Moment::before_session)
      befores.push_back(o.time_h);
    if (o.sample && o.time_h > 12.0 && o.time_h < 36.0)
      samples_after_first.push_back(o.time_h);
  }
  CHECK(outputs == spec.output_times_h);
  CHECK(befores == std::vector<double>{12.0, 36.0});
  // Ladder after the session at 12 h: 12.5, 13, 13.5, 14, then every 6 h.
  CHECK(samples_after_first == std::vector<double>{12.5, 13.0, 13.5, 14.0, 20.0, 26.0, 32.0});
  for (std::size_t i = 1; i < seen.size(); ++i)
    CHECK(seen[i].time_h >= seen[i - 1].time_h);
  CHECK_THROWS_AS(simulation.advance_to(10.0), InputError);
}

TEST_CASE("samples inside a step are interpolated and agree with samples landed on",
          "[simulation]") {
  SimulationSpec spec = small_spec(2, 0.05);
  spec.protocol.duration_days = 1.0;
  spec.output_times_h = {0.0, 24.0};
  spec.sampling.after_session = {{8.0, 0.25}};
  spec.sampling.interval_h = 2.0;
  const auto mean = [](std::span<const double> u) {
    double sum = 0.0;
    for (const double x : u)
      sum += x;
    return sum / static_cast<double>(u.size());
  };
  const std::size_t neutrophils = index(Species::neutrophils);

  Simulation dense(spec);
  std::vector<double> times;
  std::vector<double> values;
  int landed_samples = 0;
  dense.add_observer([&](const Simulation& s, const Observation& o) {
    CHECK(s.time_h() == o.time_h);
    CHECK_FALSE((o.interpolated && (o.output || o.moment != Moment::scheduled)));
    if (o.sample && o.interpolated) {
      times.push_back(o.time_h);
      values.push_back(mean(s.fields()[neutrophils]));
    } else if (o.sample) {
      ++landed_samples;
    }
  });
  dense.run();
  // Most samples of the ladder fall inside steps: they no longer force the step to land.
  REQUIRE(times.size() > 30);
  CHECK(static_cast<int>(times.size()) > 5 * landed_samples);
  CHECK(dense.fields()[neutrophils].size() > 0);

  // The same times as outputs are landed on (not interpolated): the two agree to the scheme's
  // accuracy, and they are two computations (the step sequences differ).
  SimulationSpec landed = spec;
  landed.output_times_h = {0.0};
  for (const double t : times)
    landed.output_times_h.push_back(t);
  landed.output_times_h.push_back(24.0);
  Simulation reference(landed);
  std::vector<double> at_outputs;
  reference.add_observer([&](const Simulation& s, const Observation& o) {
    if (o.output && o.time_h > 0.0 && o.time_h < 24.0) {
      CHECK_FALSE(o.interpolated);
      at_outputs.push_back(mean(s.fields()[neutrophils]));
    }
  });
  reference.run();
  REQUIRE(at_outputs.size() == values.size());
  const double peak = *std::max_element(at_outputs.begin(), at_outputs.end());
  REQUIRE(peak > 0.0);
  double largest = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i)
    largest = std::max(largest, std::abs(values[i] - at_outputs[i]));
  CHECK(largest <= 0.02 * peak);
  CHECK(largest > 0.0);
}

TEST_CASE("a restored checkpoint continues bitwise like the uninterrupted run", "[simulation]") {
  SimulationSpec spec = small_spec(2, 0.05);
  spec.protocol.duration_days = 1.0;
  spec.step_control.rtol = 1e-2;
  spec.step_control.atol = 1e-5;
  Simulation straight(spec);
  straight.advance_to(6.0);  // a sample time: both runs land on it
  const SimulationState checkpoint = straight.state();
  straight.advance_to(10.0);

  Simulation resumed(spec);
  resumed.restore(checkpoint);
  CHECK(resumed.sessions_applied() == 1);
  REQUIRE(resumed.latest_injury() != nullptr);
  resumed.advance_to(10.0);
  CHECK(flatten(resumed.fields()) == flatten(straight.fields()));
  CHECK(resumed.state().statistics.steps_accepted == straight.state().statistics.steps_accepted);
}

TEST_CASE("a run stopped between steps resumes bitwise like the uninterrupted run",
          "[simulation]") {
  SimulationSpec spec = small_spec(2, 0.05);
  spec.protocol.duration_days = 1.0;
  spec.step_control.rtol = 1e-2;
  spec.step_control.atol = 1e-5;
  Simulation straight(spec);
  straight.advance_to(10.0);

  // Stop after a number of stop checks, wherever that falls (inside an output interval or just
  // after a landing): the state there is all a resumed run needs.
  for (const int checks : {3, 17, 40}) {
    Simulation stopped(spec);
    int asked = 0;
    const bool reached = stopped.advance_to(10.0, [&] { return ++asked > checks; });
    REQUIRE_FALSE(reached);
    CHECK(stopped.time_h() < 10.0);
    const SimulationState checkpoint = stopped.state();

    Simulation resumed(spec);
    resumed.restore(checkpoint);
    CHECK(resumed.advance_to(10.0));
    CHECK(flatten(resumed.fields()) == flatten(straight.fields()));
    CHECK(resumed.state().statistics.steps_accepted == straight.state().statistics.steps_accepted);
  }
}

// ------------------------------------------------------------------------------------------
// Observables and metrics

TEST_CASE("the time-series table checks its shape and finds columns", "[simulation]") {
  TimeSeriesTable table(observables_columns());
  const std::size_t n = table.columns().size();
  CHECK(table.column_index("time_h") == 0);
  CHECK(table.columns()[table.column_index(track_column_name(Species::neutrophils))].unit == "1");
  CHECK(table.columns()[table.column_index("papillary.collagen_gain")].unit == "%");
  Observables o;
  o.time_h = 5.0;
  o.redness_index = 0.25;
  o.papillary = {0.1, 1.0, 1.0};
  table.add_row(observables_row(o));
  REQUIRE(table.num_rows() == 1);
  CHECK(table.row(0).size() == n);
  CHECK(table.column("redness_index") == std::vector<double>{0.25});
  CHECK(table.column("papillary.collagen_gain")[0] == Approx(10.0));
  CHECK_THROWS_AS(table.add_row({1.0}), InputError);
  CHECK_THROWS_WITH(table.column("redness"), Catch::Contains("similar: redness_index"));
  CHECK_THROWS_AS(TimeSeriesTable({{"a", "h"}, {"a", "h"}}), InputError);
}

TEST_CASE("metrics read peaks, crossings and the collagen biopsy off a series", "[simulation]") {
  // Synthetic session at t = 10 h: N peaks at 28 h, M at 70 h, F ratio at 5 d, all smooth.
  std::vector<Observables> series;
  const auto add = [&series](double t, int sessions) {
    Observables o;
    o.time_h = t;
    o.sessions_applied = sessions;
    const double tau = t - 10.0;
    const auto bump = [tau](double peak, double width) {
      return std::exp(-((tau - peak) * (tau - peak)) / (2.0 * width * width));
    };
    o.track_baseline.fill(1.0);
    o.track_mean.fill(0.0);
    o.block_mean.fill(0.0);
    if (sessions > 0) {
      o.block_mean[model::index(Species::neutrophils)] = bump(18.0, 8.0);
      o.block_mean[model::index(Species::macrophages)] = bump(60.0, 20.0);
      o.track_mean[model::index(Species::neutrophils)] = bump(15.0, 8.0);
      o.track_mean[model::index(Species::macrophages)] = bump(40.0, 20.0);
      o.track_mean[model::index(Species::fibroblasts)] = 1.0 + 1.5 * bump(120.0, 60.0);
      o.redness_index = bump(4.0, 15.0);
      o.swelling_index = bump(12.0, 15.0);
      o.track_epidermis_keratinocytes = std::min(1.0, tau / 40.0);
    } else {
      o.track_mean[model::index(Species::fibroblasts)] = 1.0;
    }
    o.papillary = {0.05 * (t / 1000.0), 1.0 + 0.1 * (t / 1000.0), 1.0};
    o.dermis = o.papillary;
    series.push_back(o);
  };
  add(0.0, 0);
  add(10.0, 0);  // before the session
  for (double t = 10.0; t <= 1000.0 + 1e-9; t += 0.5)
    add(t, 1);
  const std::vector<double> sessions{10.0};
  const Metrics m = compute_metrics(series, sessions);
  REQUIRE(m.sessions.size() == 1);
  CHECK(*m.neutrophil_peak_h == Approx(18.0).margin(0.01));
  CHECK(*m.macrophage_peak_h == Approx(60.0).margin(0.01));
  CHECK(m.sessions[0].neutrophil_track_peak_h == Approx(15.0).margin(0.01));
  CHECK(m.sessions[0].macrophage_track_peak_h == Approx(40.0).margin(0.01));
  CHECK(*m.fibroblast_peak_d == Approx(5.0).margin(0.01));
  CHECK(*m.fibroblast_peak_ratio == Approx(2.5).margin(1e-3));
  // 1 + 1.5 exp(-(tau - 120)^2 / 7200) = 1.2 at tau = 120 + 60 sqrt(2 ln 7.5).
  CHECK(*m.fibroblast_recovered_d ==
        Approx((120.0 + 60.0 * std::sqrt(2.0 * std::log(7.5))) / 24.0).epsilon(1e-3));
  CHECK(*m.redness_peak_h == Approx(4.0).margin(0.01));
  CHECK(*m.redness_resolved_h ==
        Approx(4.0 + 15.0 * std::sqrt(2.0 * std::log(10.0))).epsilon(1e-3));
  CHECK(*m.swelling_resolved_h ==
        Approx(12.0 + 15.0 * std::sqrt(2.0 * std::log(10.0))).epsilon(1e-3));
  CHECK(*m.epidermis_closed_h == Approx(32.0).margin(1e-6));
  CHECK(m.collagen_gain_papillary.total_pct == Approx(15.0));
  CHECK(m.collagen_gain_papillary.new_pct == Approx(5.0));
  CHECK(m.collagen_gain_papillary.mature_pct == Approx(10.0));

  CHECK_THROWS_AS(compute_metrics(std::vector<Observables>{}, sessions), InputError);
  const Metrics untreated = compute_metrics(std::span(series).first(2), {});
  CHECK_FALSE(untreated.neutrophil_peak_h.has_value());
  CHECK(untreated.sessions.empty());
}

// ------------------------------------------------------------------------------------------
// Notes §5 target 4: the untreated control

TEST_CASE("untreated skin stays at homeostasis for 365 days, bitwise at 1 and 2 threads",
          "[simulation]") {
  SimulationSpec spec = small_spec(3, 0.05);
  spec.domain.tile_mm = {0.4, 0.4};
  spec.protocol.sessions = 0;
  spec.protocol.duration_days = 365.0;
  spec.output_times_h = {24.0 * 365.0};
  spec.sampling.enabled = false;  // nothing to resolve: steps grow to dt_max

  const auto run = [&spec](int threads) {
    omp_set_num_threads(threads);
    Simulation simulation(spec);
    Recorder recorder(simulation);
    simulation.add_observer(recorder.observer());
    simulation.run();
    return std::pair{flatten(simulation.fields()), recorder.series().back()};
  };
  const int threads_before = omp_get_max_threads();
  const auto [one, one_observed] = run(1);
  const auto [two, two_observed] = run(2);
  omp_set_num_threads(threads_before);

  const Simulation reference(spec);
  const std::vector<double> home = flatten(reference.homeostasis());
  REQUIRE(one.size() == home.size());
  double worst = 0.0;
  for (std::size_t v = 0; v < home.size(); ++v)
    worst = std::max(worst, std::abs(one[v] - home[v]) / std::max(1.0, std::abs(home[v])));
  std::cout << "untreated control, 365 d: largest deviation from homeostasis " << worst << "\n";
  CHECK(worst <= 1e-9);
  CHECK(std::equal(one.begin(), one.end(), two.begin(), two.end(), [](double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
  }));
  CHECK(one_observed.redness_index == 0.0);
  CHECK(std::abs(one_observed.dermis.gain_pct()) <= 1e-7);
  CHECK(one_observed.scar_index_pct == 0.0);
  CHECK(one_observed.time_h == 24.0 * 365.0);
}

// ------------------------------------------------------------------------------------------
// The limits where the fast modes must agree

TEST_CASE("a 3D run with an injury uniform along y equals the 2D run", "[simulation]") {
  SimulationSpec two = small_spec(2, 0.04);
  two.protocol.duration_days = 2.0;
  two.step_control.rtol = 1e-2;
  two.step_control.atol = 1e-5;
  two.output_times_h = {12.0, 24.0, 48.0};
  SimulationSpec three = two;
  three.domain.dimensions = 3;
  three.domain.tracks = TrackShape::slits;
  three.domain.tile_mm.y = 0.16;  // 4 voxels along y

  Simulation block(three);
  Simulation section(two);
  Recorder block_recorder(block);
  Recorder section_recorder(section);
  block.add_observer(block_recorder.observer());
  section.add_observer(section_recorder.observer());
  block.run();
  section.run();
  const auto& g3 = block.grid();
  const auto& g2 = section.grid();
  REQUIRE(g3.nx() == g2.nx());
  REQUIRE(g3.nz() == g2.nz());
  REQUIRE(g3.ny() == 4);
  double worst = 0.0;
  for (std::size_t s = 0; s < model::num_species; ++s) {
    for (Index k = 0; k < g3.nz(); ++k) {
      for (Index j = 0; j < g3.ny(); ++j) {
        for (Index i = 0; i < g3.nx(); ++i) {
          const double a = block.fields()[s][static_cast<std::size_t>(g3.index(i, j, k))];
          const double b = section.fields()[s][static_cast<std::size_t>(g2.index(i, 0, k))];
          worst = std::max(worst, std::abs(a - b) / std::max(1e-3, std::abs(b)));
        }
      }
    }
  }
  std::cout << "3D (y-uniform injury) vs 2D after 2 days: largest relative difference " << worst
            << "\n";
  CHECK(worst <= 1e-9);
  CHECK(block.integrator().statistics().steps_accepted ==
        section.integrator().statistics().steps_accepted);
  const TimeSeriesTable& deep = block_recorder.outputs();
  const TimeSeriesTable& flat = section_recorder.outputs();
  REQUIRE(deep.num_rows() == 3);
  REQUIRE(flat.num_rows() == 3);
  for (const char* column : {"track.neutrophils", "redness_index", "dermis.collagen_gain"}) {
    const auto a = deep.column(column);
    const auto b = flat.column(column);
    for (std::size_t r = 0; r < a.size(); ++r)
      CHECK(a[r] == Approx(b[r]).epsilon(1e-9).margin(1e-12));
  }
}

TEST_CASE("laterally uniform injury in single-layer tissue equals the 0D run", "[simulation]") {
  // Every layer with the papillary dermis' properties, every voxel punctured alike: the mobile
  // species see no gradient, so each voxel is the well-mixed zone.
  for (const int dimensions : {2, 3}) {
    SimulationSpec spec = small_spec(dimensions, 0.1);
    spec.domain.tile_mm = {0.3, 0.3};
    spec.domain.depth_mm = 0.4;
    spec.protocol.sessions = 0;
    spec.protocol.duration_days = 30.0;
    const geometry::LayerProperties dermis =
        spec.tissue.properties[static_cast<std::size_t>(Layer::papillary_dermis)];
    spec.tissue.properties.fill(dermis);
    const model::WellMixedOptions zero_d = [&spec] {
      model::WellMixedOptions options = well_mixed_options(spec, Layer::papillary_dermis);
      options.bleeding = true;
      return options;
    }();
    spec.step_control = zero_d.control;
    spec.sampling.enabled = false;
    for (double t = 1.0; t <= 24.0 * 30.0; t += t < 96.0 ? 1.0 : 12.0)
      spec.output_times_h.push_back(t);

    Simulation simulation(spec);
    const auto voxels = static_cast<std::size_t>(simulation.grid().num_voxels());
    geometry::InjuryField everywhere;
    everywhere.track_fraction.assign(voxels, 1.0);
    everywhere.damage.assign(voxels, 1.0);
    everywhere.bleeding.assign(voxels, 1.0);
    simulation.apply_injury(everywhere);
    std::vector<std::vector<double>> states;
    simulation.add_observer([&states](const Simulation& s, const Observation& o) {
      if (!o.output)
        return;
      std::vector<double> state;
      for (std::size_t sp = 0; sp < model::num_species; ++sp) {
        const auto field = s.fields()[sp];
        const auto [lo, hi] = std::minmax_element(field.begin(), field.end());
        const double spread = *hi - *lo;  // still uniform, to round-off
        CHECK(spread <= 1e-10 * std::max(1.0, std::abs(*hi)));
        state.push_back(field[0]);
      }
      states.push_back(state);
    });
    simulation.run();

    const model::WellMixedSeries series =
        model::run_well_mixed(spec.parameters, spec.output_times_h, zero_d);
    REQUIRE(states.size() == spec.output_times_h.size());
    double worst = 0.0;
    for (std::size_t r = 0; r < states.size(); ++r) {
      for (std::size_t sp = 0; sp < model::num_species; ++sp) {
        const double expected = series.values(static_cast<Species>(sp))[r + 1];
        worst = std::max(worst,
                         std::abs(states[r][sp] - expected) / std::max(1e-3, std::abs(expected)));
      }
    }
    std::cout << dimensions << "D laterally uniform run vs 0D over 30 days: largest relative "
              << "difference " << worst << "\n";
    CHECK(worst <= 1e-8);
  }
}

// ------------------------------------------------------------------------------------------
// Notes §5 targets 5-7: one session, 1.0 mm needles, 250 punctures/cm²

namespace {

/// Track-mean fibroblasts relative to their homeostatic level at @p time_h (a sample time).
double fibroblast_ratio_at(const RunResult& result, double time_h) {
  const auto times = result.samples.column("time_h");
  const auto fibroblasts = result.samples.column(track_column_name(Species::fibroblasts));
  const auto baseline = result.samples.column("track_baseline.fibroblasts");
  for (std::size_t r = times.size(); r-- > 0;) {
    if (times[r] == time_h)
      return fibroblasts[r] / baseline[r];
  }
  FAIL("no sample at " << time_h << " h");
  return 0.0;
}

void check_one_session_timeline(const char* label, const RunResult& result) {
  const Metrics& m = result.metrics;
  const double day21 = fibroblast_ratio_at(result, 21.0 * 24.0);
  const double day28 = fibroblast_ratio_at(result, 28.0 * 24.0);
  std::ostringstream summary;
  summary << label << " (" << result.statistics.steps_accepted << " steps, " << result.wall_seconds
          << " s): N peak " << text(m.neutrophil_peak_h) << " h, M peak "
          << text(m.macrophage_peak_h) << " h (track peaks "
          << m.sessions.at(0).neutrophil_track_peak_h << " h, "
          << m.sessions.at(0).macrophage_track_peak_h << " h), F peak " << text(m.fibroblast_peak_d)
          << " d at " << text(m.fibroblast_peak_ratio) << "x, within 20 % from "
          << text(m.fibroblast_recovered_d) << " d (" << day21 << "x on day 21, " << day28
          << "x on day 28), redness peak " << text(m.redness_peak_h) << " h, < 10 % at "
          << text(m.redness_resolved_h) << " h, swelling < 10 % at " << text(m.swelling_resolved_h)
          << " h, epidermis closed at " << text(m.epidermis_closed_h)
          << " h; collagen on day 28: papillary " << m.collagen_gain_papillary.total_pct
          << " %, dermis " << m.collagen_gain_dermis.total_pct << " %";
  std::cout << summary.str() << "\n";
  INFO(summary.str());
  // Target 5: neutrophil peak 12-24 h; macrophage peak 1.5-4 d, after the neutrophils.
  REQUIRE(m.neutrophil_peak_h.has_value());
  CHECK(*m.neutrophil_peak_h >= 12.0);
  CHECK(*m.neutrophil_peak_h <= 24.0);
  REQUIRE(m.macrophage_peak_h.has_value());
  CHECK(*m.macrophage_peak_h >= 1.5 * 24.0);
  CHECK(*m.macrophage_peak_h <= 4.0 * 24.0);
  CHECK(*m.macrophage_peak_h > *m.neutrophil_peak_h);
  // Target 6: redness peaks before 12 h and is below 10 % of its peak between 24 and 72 h;
  // swelling below 10 % of its peak by 24-72 h.
  REQUIRE(m.redness_peak_h.has_value());
  CHECK(*m.redness_peak_h < 12.0);
  REQUIRE(m.redness_resolved_h.has_value());
  CHECK(*m.redness_resolved_h >= 24.0);
  CHECK(*m.redness_resolved_h <= 72.0);
  REQUIRE(m.swelling_resolved_h.has_value());
  CHECK(*m.swelling_resolved_h >= 24.0);
  CHECK(*m.swelling_resolved_h <= 72.0);
  // Target 7: fibroblast peak on day 4-10 at 1.5-4x baseline, within 20 % of baseline by day
  // 21-28 (and staying there).
  REQUIRE(m.fibroblast_peak_d.has_value());
  CHECK(*m.fibroblast_peak_d >= 4.0);
  CHECK(*m.fibroblast_peak_d <= 10.0);
  CHECK(*m.fibroblast_peak_ratio >= 1.5);
  CHECK(*m.fibroblast_peak_ratio <= 4.0);
  REQUIRE(m.fibroblast_recovered_d.has_value());
  CHECK(*m.fibroblast_recovered_d <= 28.0);
  CHECK(std::abs(day21 - 1.0) <= 0.2);
  CHECK(std::abs(day28 - 1.0) <= 0.2);
}

/// One session of 1.0 mm needles at 250 punctures/cm², followed for 28 days.
SimulationSpec one_session(int dimensions) {
  SimulationSpec spec = small_spec(dimensions, 0.04);
  spec.protocol.duration_days = 28.0;
  spec.step_control.rtol = 1e-2;
  spec.step_control.atol = 1e-5;
  return spec;
}

}  // namespace

TEST_CASE("one session (2D): the inflammatory and proliferative timeline of notes §5",
          "[simulation]") {
  check_one_session_timeline("one session, 2D", run_protocol(one_session(2)));
}

TEST_CASE("one session (3D): the inflammatory and proliferative timeline of notes §5",
          "[simulation][slow]") {
  check_one_session_timeline("one session, 3D", run_protocol(one_session(3)));
}

// ------------------------------------------------------------------------------------------
// docs/model.md

TEST_CASE("docs/model.md shows the parameter table exactly as the code renders it",
          "[simulation]") {
  const std::filesystem::path here = std::source_location::current().file_name();
  const std::filesystem::path docs = here.parent_path() / "../../../docs/model.md";
  std::ifstream file(docs);
  REQUIRE(file.good());
  const std::string content{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  const std::string begin = "<!-- parameter-table:begin -->\n";
  const std::string end = "<!-- parameter-table:end -->";
  const auto from = content.find(begin);
  const auto to = content.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string table = content.substr(from + begin.size(), to - from - begin.size());
  INFO("regenerate the table in docs/model.md from model::parameter_table_markdown()");
  CHECK(table == model::parameter_table_markdown());
}
