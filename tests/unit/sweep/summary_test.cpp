#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/io/hdf5.hpp"
#include "microheal/sweep/case_record.hpp"
#include "microheal/sweep/design.hpp"
#include "microheal/sweep/summary.hpp"
#include "microheal/sweep/sweep_directory.hpp"
#include "support/temp_directory.hpp"

using microheal::core::InputError;
using microheal::scenario::Value;
using microheal::sweep::CaseRecord;
using microheal::sweep::CaseStatus;
using microheal::sweep::Design;
using microheal::sweep::SweepSpec;

namespace {

namespace fs = std::filesystem;

using microheal::testing::TempDirectory;

CaseRecord sample_record() {
  CaseRecord r;
  r.id = "0123456789abcdef";
  r.index = 7;
  r.assignments = {"needle.length_mm=1.0", "tissue.site=\"scalp\"", "output.snapshots=false"};
  r.status = CaseStatus::ok;
  r.wall_seconds = 12.5;
  r.threads = 2;
  r.host = "node \"7\"\tα";
  r.finished = "2025-01-01T00:00:00Z";
  r.metrics = {{"neutrophil_peak_h", 10.25},
               {"redness_resolved_h", std::nullopt},
               {"collagen_gain_dermis.total_pct", -0.1 + 1e-17}};
  return r;
}

/// A two-axis factorial design (a number axis and a text axis), built without a sweep file.
Design small_design() {
  SweepSpec spec;
  spec.sampler = microheal::sweep::Sampler::factorial;
  microheal::sweep::Axis length;
  length.key = "needle.length_mm";
  length.values = {Value(0.5), Value(1.0)};
  microheal::sweep::Axis site;
  site.key = "tissue.site";
  site.values = {Value(std::string("face")), Value(std::string("scalp, back"))};
  spec.axes = {length, site};
  return microheal::sweep::expand(spec);
}

}  // namespace

TEST_CASE("case records round-trip through case.json", "[sweep]") {
  const CaseRecord r = sample_record();
  const std::string json = microheal::sweep::case_record_json(r);
  CHECK(microheal::sweep::parse_case_record(json, "case.json") == r);
  CaseRecord failed = r;
  failed.status = CaseStatus::failed;
  failed.error = "line one\nline \"two\"";
  failed.metrics.clear();
  CHECK(microheal::sweep::parse_case_record(microheal::sweep::case_record_json(failed), "x") ==
        failed);
  CHECK_THROWS_WITH(microheal::sweep::parse_case_record("{\"format\": \"other\"}", "c.json"),
                    Catch::Contains("c.json") && Catch::Contains("not a microheal case record"));
  CHECK_THROWS_WITH(microheal::sweep::parse_case_record(json.substr(0, json.size() / 2), "c.json"),
                    Catch::Contains("c.json:") && Catch::Contains("not valid JSON"));
}

TEST_CASE("the summary has one row per case: inputs, metrics, status, wall time", "[sweep]") {
  const Design design = small_design();
  REQUIRE(design.cases.size() == 4);
  std::vector<std::optional<CaseRecord>> records(4);
  CaseRecord ok = sample_record();
  ok.id = design.cases[0].id;
  records[0] = ok;
  CaseRecord failed = sample_record();
  failed.id = design.cases[2].id;
  failed.status = CaseStatus::failed;
  failed.error = "needle too long, \"really\"";
  failed.metrics.clear();
  records[2] = failed;
  const microheal::sweep::SummaryTable table = microheal::sweep::build_summary(design, records);
  REQUIRE(table.rows.size() == 4);
  CHECK(table.count(microheal::sweep::CaseState::ok) == 1);
  CHECK(table.count(microheal::sweep::CaseState::failed) == 1);
  CHECK(table.count(microheal::sweep::CaseState::pending) == 2);
  CHECK(table.metric_names.size() == 3);
  const std::vector<double> peak = table.metric_column(0);
  CHECK(peak[0] == 10.25);
  CHECK(std::isnan(peak[1]));
  CHECK(std::isnan(peak[2]));
  CHECK(std::isnan(table.metric_column(1)[0]));  // null in the record

  const std::string csv = microheal::sweep::summary_csv(table);
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  CHECK(header ==
        "index,id,status,wall_seconds,needle.length_mm,tissue.site,neutrophil_peak_h,"
        "redness_resolved_h,collagen_gain_dermis.total_pct,error");
  std::string row0;
  std::getline(lines, row0);
  CHECK(row0 == "0," + design.cases[0].id + ",ok,12.5,0.5,face,10.25,,-0.09999999999999999,");
  std::string row1;
  std::getline(lines, row1);
  CHECK(row1 == "1," + design.cases[1].id + ",pending,,0.5,\"scalp, back\",,,,");
  std::string row2;
  std::getline(lines, row2);
  CHECK(row2 ==
        "2," + design.cases[2].id + ",failed,12.5,1,face,,,,\"needle too long, \"\"really\"\"\"");

  const TempDirectory dir("microheal-summary-test");
  const fs::path h5 = dir.path() / "summary.h5";
  microheal::sweep::write_summary_h5(h5, table, "factorial");
  const auto file = microheal::io::h5::File::open(h5);
  CHECK(file.read_string_attribute("format") == "microheal-sweep-summary");
  CHECK(file.read_string_attribute("design") == "factorial");
  CHECK(file.read_dataset<std::int64_t>("status") == std::vector<std::int64_t>{0, 2, 1, 2});
  const auto ids = file.read_dataset<std::uint64_t>("id");
  CHECK(ids[3] == std::stoull(design.cases[3].id, nullptr, 16));
  CHECK(file.read_dataset<double>("inputs/needle.length_mm") ==
        std::vector<double>{0.5, 0.5, 1.0, 1.0});
  const auto site = file.open_dataset("inputs/tissue.site");
  CHECK(site.read<std::int64_t>() == std::vector<std::int64_t>{0, 1, 0, 1});
  CHECK(site.read_string_attribute("level_1") == "\"scalp, back\"");
  const auto metric = file.read_dataset<double>("metrics/neutrophil_peak_h");
  CHECK(metric[0] == 10.25);
  CHECK(std::isnan(metric[1]));
  CHECK(file.open_group("errors").read_string_attribute(design.cases[2].id) ==
        "needle too long, \"really\"");
}

TEST_CASE("a sweep directory holds one sweep", "[sweep]") {
  const TempDirectory dir("microheal-summary-test");
  const fs::path base = dir.path() / "base.toml";
  std::ofstream(base) << "description = \"b\"\n";
  SweepSpec spec;
  spec.base = base;
  spec.sampler = microheal::sweep::Sampler::factorial;
  microheal::sweep::Axis length;
  length.key = "needle.length_mm";
  length.values = {Value(0.5)};
  spec.axes = {length};
  const microheal::sweep::SweepDirectory out(dir.path() / "out");
  out.check(spec);  // new: fine
  CHECK_FALSE(fs::exists(out.root()));
  out.prepare(spec);
  CHECK(fs::is_directory(out.root() / "cases"));
  out.check(spec);  // the same sweep again: fine
  SweepSpec other = spec;
  other.axes[0].values = {Value(0.6)};
  CHECK_THROWS_WITH(out.check(other),
                    Catch::Contains("holds another sweep") && Catch::Contains("values = [0.6]"));
  std::ofstream(base) << "# edited\n";
  CHECK_THROWS_WITH(out.check(spec), Catch::Contains("differs from the copy"));
  const microheal::sweep::SweepDirectory foreign(dir.path());  // holds base.toml, no sweep
  CHECK_THROWS_WITH(foreign.check(spec), Catch::Contains("holds no sweep"));
  const microheal::sweep::SweepDirectory file(base);
  CHECK_THROWS_WITH(file.check(spec), Catch::Contains("not a directory"));
  CHECK_THROWS_AS(foreign.load(), InputError);
}
