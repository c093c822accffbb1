#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/sweep/design.hpp"
#include "microheal/sweep/slurm_script.hpp"

using microheal::scenario::Value;
using microheal::sweep::assignment;
using microheal::sweep::Axis;
using microheal::sweep::AxisSpacing;
using microheal::sweep::case_id;
using microheal::sweep::Design;
using microheal::sweep::expand;
using microheal::sweep::SaltelliRole;
using microheal::sweep::Sampler;
using microheal::sweep::SweepSpec;

namespace {

Axis list_axis(std::string key, std::vector<Value> values) {
  Axis axis;
  axis.key = std::move(key);
  axis.values = std::move(values);
  return axis;
}

Axis range_axis(std::string key, AxisSpacing spacing, double from, double to,
                std::size_t count = 0) {
  Axis axis;
  axis.key = std::move(key);
  axis.spacing = spacing;
  axis.from = from;
  axis.to = to;
  axis.count = count;
  return axis;
}

std::vector<std::string> ids(const Design& design) {
  std::vector<std::string> out;
  for (const auto& c : design.cases)
    out.push_back(c.id);
  return out;
}

}  // namespace

TEST_CASE("case ids are FNV-1a of the sorted overrides, whatever their order", "[sweep]") {
  // The value checked here was computed independently (Python: FNV-1a 64 over the bytes of
  // "needle.length_mm=1.0\nprotocol.interval_days=28.0\n"). It must never change: sweep folders
  // written by one version are found by the next.
  CHECK(case_id({"needle.length_mm=1.0", "protocol.interval_days=28.0"}) == "d9349b396f4682c3");
  CHECK(case_id({"protocol.interval_days=28.0", "needle.length_mm=1.0"}) == "d9349b396f4682c3");
  CHECK(case_id({"needle.length_mm=1.0", "protocol.interval_days=28.000000000000004"}) !=
        "d9349b396f4682c3");
  // Values are written in their shortest round-trip form: the same double, the same text.
  CHECK(assignment("needle.length_mm", Value(0.1 + 0.2)) == "needle.length_mm=0.30000000000000004");
  CHECK(assignment("needle.passes", Value(std::int64_t{3})) == "needle.passes=3");
  CHECK(assignment("tissue.site", Value(std::string("scalp"))) == "tissue.site=\"scalp\"");
}

TEST_CASE("a factorial design runs every combination, the last axis fastest", "[sweep]") {
  SweepSpec spec;
  spec.sampler = Sampler::factorial;
  spec.fixed = {{"protocol.duration_days", Value(28.0)}};
  spec.axes = {list_axis("needle.length_mm", {Value(0.5), Value(1.0)}),
               range_axis("protocol.interval_days", AxisSpacing::linear, 14.0, 42.0, 3),
               range_axis("model.k_I", AxisSpacing::logarithmic, 0.1, 10.0, 3)};
  const Design design = expand(spec);
  REQUIRE(design.cases.size() == 18);
  REQUIRE(design.points.size() == 18);
  CHECK(std::get<double>(design.cases[0].overrides[0].value) == 0.5);
  CHECK(std::get<double>(design.cases[0].overrides[1].value) == 14.0);
  CHECK(std::get<double>(design.cases[1].overrides[2].value) == Approx(1.0));
  CHECK(std::get<double>(design.cases[2].overrides[2].value) == 10.0);  // exact end
  CHECK(std::get<double>(design.cases[3].overrides[1].value) == 28.0);
  CHECK(std::get<double>(design.cases[17].overrides[0].value) == 1.0);
  // Ids include the fixed values and are unique here; the design is the same every time.
  const std::vector<std::string> first = ids(design);
  CHECK(std::set<std::string>(first.begin(), first.end()).size() == 18);
  CHECK(ids(expand(spec)) == first);
  CHECK(design.cases[0].id == case_id({"protocol.duration_days=28.0", "needle.length_mm=0.5",
                                       "protocol.interval_days=14.0", "model.k_I=0.1"}));
  const std::vector<std::string> sets = microheal::sweep::case_assignments(spec, design.cases[0]);
  CHECK(sets.front() == "protocol.duration_days=28.0");
  CHECK(sets.back() == "output.snapshots=false");
  // The same case reached from another axis order has the same id.
  SweepSpec swapped = spec;
  std::swap(swapped.axes[0], swapped.axes[2]);
  const std::vector<std::string> other = ids(expand(swapped));
  CHECK(std::set<std::string>(other.begin(), other.end()) ==
        std::set<std::string>(first.begin(), first.end()));
}

TEST_CASE("integer axes give integers and refuse fractions", "[sweep]") {
  Axis passes = range_axis("needle.passes", AxisSpacing::linear, 1.0, 4.0, 4);
  passes.integer = true;
  const auto levels = microheal::sweep::axis_levels(passes);
  REQUIRE(levels.size() == 4);
  CHECK(std::get<std::int64_t>(levels[3]) == 4);
  passes.count = 3;
  CHECK_THROWS_WITH(microheal::sweep::axis_levels(passes), Catch::Contains("2.5"));
}

TEST_CASE("a Latin hypercube puts one point in every stratum of every axis", "[sweep]") {
  SweepSpec spec;
  spec.sampler = Sampler::latin_hypercube;
  spec.samples = 50;
  spec.seed = 42;
  spec.axes = {range_axis("a", AxisSpacing::linear, 0.0, 1.0),
               range_axis("b", AxisSpacing::logarithmic, 1.0, 100.0),
               list_axis("c", {Value(std::string("x")), Value(std::string("y"))})};
  const Design design = expand(spec);
  REQUIRE(design.points.size() == 50);
  for (std::size_t a = 0; a < 3; ++a) {
    std::vector<int> strata(50, 0);
    for (const auto& p : design.points) {
      REQUIRE(p.unit[a] >= 0.0);
      REQUIRE(p.unit[a] < 1.0);
      ++strata[static_cast<std::size_t>(p.unit[a] * 50)];
    }
    CHECK(std::all_of(strata.begin(), strata.end(), [](int n) { return n == 1; }));
  }
  // The log axis maps u to 10^(2u); the list axis to its halves.
  const auto& p0 = design.points[0];
  const auto& c0 = design.cases[p0.case_index];
  CHECK(std::get<double>(c0.overrides[1].value) == Approx(std::pow(100.0, p0.unit[1])));
  CHECK(std::get<std::string>(c0.overrides[2].value) == (p0.unit[2] < 0.5 ? "x" : "y"));
  // Portable and seeded: the same seed gives the same cases, another seed other ones.
  CHECK(ids(expand(spec)) == ids(design));
  spec.seed = 43;
  CHECK(ids(expand(spec)) != ids(design));
}

TEST_CASE("a Sobol design is Saltelli's A, B and AB matrices", "[sweep]") {
  SweepSpec spec;
  spec.sampler = Sampler::sobol;
  spec.samples = 32;
  spec.axes = {range_axis("a", AxisSpacing::linear, 0.0, 1.0),
               range_axis("b", AxisSpacing::linear, -1.0, 1.0)};
  const Design design = expand(spec);
  REQUIRE(design.points.size() == 32 * 4);
  CHECK(design.groups == 32);
  for (std::size_t j = 0; j < 32; ++j) {
    const auto& a = design.points[4 * j];
    const auto& b = design.points[4 * j + 1];
    CHECK(a.role == SaltelliRole::a);
    CHECK(b.role == SaltelliRole::b);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& ab = design.points[4 * j + 2 + i];
      CHECK(ab.role == SaltelliRole::ab);
      CHECK(ab.swapped_axis == i);
      CHECK(ab.group == j);
      for (std::size_t k = 0; k < 2; ++k)
        CHECK(ab.unit[k] == (k == i ? b.unit[k] : a.unit[k]));
    }
  }
  // Low discrepancy: each half of each axis holds half of the A points, to within one point.
  for (std::size_t axis = 0; axis < 2; ++axis) {
    int low = 0;
    for (std::size_t j = 0; j < 32; ++j)
      low += design.points[4 * j].unit[axis] < 0.5 ? 1 : 0;
    CHECK(std::abs(low - 16) <= 1);
  }
}

TEST_CASE("points with equal values share one case", "[sweep]") {
  // A Sobol design over a two-valued list axis: many AB rows repeat an A row.
  SweepSpec spec;
  spec.sampler = Sampler::sobol;
  spec.samples = 16;
  spec.axes = {list_axis("a", {Value(1.0), Value(2.0)}), list_axis("b", {Value(3.0), Value(4.0)})};
  const Design design = expand(spec);
  CHECK(design.points.size() == 64);
  CHECK(design.cases.size() == 4);
  for (const auto& p : design.points) {
    const auto& c = design.cases[p.case_index];
    CHECK(std::get<double>(c.overrides[0].value) == (p.unit[0] < 0.5 ? 1.0 : 2.0));
  }
}

TEST_CASE("Slurm array ranges and scripts", "[sweep]") {
  using microheal::sweep::array_ranges;
  const std::vector<std::size_t> all{0, 1, 2, 3, 4, 5};
  CHECK(array_ranges(all) == "0-5");
  const std::vector<std::size_t> gaps{0, 1, 2, 5, 7, 8, 11};
  CHECK(array_ranges(gaps) == "0-2,5,7-8,11");
  CHECK(microheal::sweep::shell_quoted("it's here") == "'it'\\''s here'");
  CHECK(microheal::sweep::is_slurm_time("30"));
  CHECK(microheal::sweep::is_slurm_time("2:00:00"));
  CHECK(microheal::sweep::is_slurm_time("1-12:00"));
  CHECK_FALSE(microheal::sweep::is_slurm_time("2h"));
  using microheal::sweep::slurm_time_seconds;
  CHECK(slurm_time_seconds("30") == 1800);
  CHECK(slurm_time_seconds("5:30") == 330);
  CHECK(slurm_time_seconds("2:00:00") == 7200);
  CHECK(slurm_time_seconds("1-12") == 129600);
  CHECK(slurm_time_seconds("1-12:30") == 131400);
  CHECK(slurm_time_seconds("1-00:00:10") == 86410);
  using microheal::sweep::stop_warning_seconds;
  CHECK(stop_warning_seconds(60) == 30);
  CHECK(stop_warning_seconds(600) == 150);
  CHECK(stop_warning_seconds(86400) == 300);
  microheal::sweep::SlurmJob job;
  job.script = "/s/job.sh";
  job.executable = "/opt/bin/microheal";
  job.sweep_file = "/s/sweep file.toml";
  job.directory = "/s/out";
  job.job_name = "microheal-test";
  job.cases = gaps;
  job.total_cases = 12;
  job.partition = "short";
  job.time_limit = "10";
  job.cpus_per_task = 4;
  const std::string script = microheal::sweep::slurm_script(job);
  CHECK(script.starts_with("#!/bin/bash\n"));
  CHECK(script.find("#SBATCH --array=0-2,5,7-8,11\n") != std::string::npos);
  CHECK(script.find("#SBATCH --cpus-per-task=4\n") != std::string::npos);
  CHECK(script.find("#SBATCH --partition=short\n") != std::string::npos);
  CHECK(script.find("#SBATCH --time=10\n") != std::string::npos);
  // 10 minutes: SIGTERM 150 s before the limit, so that the case saves its checkpoint.
  CHECK(script.find("#SBATCH --signal=B:TERM@150\n") != std::string::npos);
  job.time_limit.clear();
  CHECK(microheal::sweep::slurm_script(job).find("--signal") == std::string::npos);
  CHECK(script.find("'/opt/bin/microheal' sweep '/s/sweep file.toml' -o '/s/out' --case-index "
                    "\"${SLURM_ARRAY_TASK_ID}\"") != std::string::npos);
}
