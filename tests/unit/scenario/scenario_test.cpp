#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/scenario/key_registry.hpp"
#include "microheal/scenario/scenario.hpp"

using microheal::core::InputError;
using microheal::scenario::FieldPrecision;
using microheal::scenario::load_scenario;
using microheal::scenario::parse_scenario;
using microheal::scenario::Scenario;
using microheal::scenario::to_toml;

namespace {

// A small valid 2D scenario; the tests break one thing at a time.
const std::string base = R"(description = "unit test"
[tissue]
site = "face"
[domain]
dimensions = 2
tile_mm = [1.26, 1.26]
depth_mm = 2.0
voxel_mm = 0.05
[needle]
length_mm = 1.0
density_per_cm2 = 250
pattern = "square"
[protocol]
sessions = 2
interval_days = 7
duration_days = 20
[output]
every_h = 48
)";

std::string error_of(const std::string& text, std::vector<std::string> sets = {}) {
  try {
    (void)parse_scenario(text, "test.toml", sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// @p text with the first @p from replaced by @p to (built by appending: GCC 12 warns falsely
/// about std::string::replace at -O3).
std::string edited(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  std::string out = text.substr(0, at);
  out.append(to);
  out.append(text.substr(at + from.size()));
  return out;
}

}  // namespace

TEST_CASE("a valid scenario fills the spec", "[scenario]") {
  const Scenario s = parse_scenario(base, "test.toml");
  CHECK(s.description == "unit test");
  CHECK(s.spec.domain.dimensions == 2);
  CHECK(s.spec.domain.tile_mm.x == 1.26);
  CHECK(s.spec.protocol.sessions == 2);
  CHECK(s.spec.protocol.needle.density_per_cm2 == 250.0);
  CHECK(s.output.precision == FieldPrecision::float32);
  // every 48 h over 480 h: 0, 48, ..., 480 (the end is included once).
  REQUIRE(s.spec.output_times_h.size() == 11);
  CHECK(s.spec.output_times_h.front() == 0.0);
  CHECK(s.spec.output_times_h.back() == 480.0);
}

TEST_CASE("the end of the run is always an output time", "[scenario]") {
  const Scenario s = parse_scenario(base + "", "t", std::vector<std::string>{"output.every_h=100"});
  REQUIRE(s.spec.output_times_h.size() == 6);
  CHECK(s.spec.output_times_h[4] == 400.0);
  CHECK(s.spec.output_times_h[5] == 480.0);
}

TEST_CASE("unknown keys get a did-you-mean with file:line:col", "[scenario]") {
  std::string text = edited(base, "length_mm = 1.0", "lenght_mm = 1.0");
  const std::string e = error_of(text);
  CHECK_THAT(e, Catch::Contains("test.toml:10:1"));
  CHECK_THAT(e, Catch::Contains("unknown key 'needle.lenght_mm'"));
  CHECK_THAT(e, Catch::Contains("did you mean 'needle.length_mm'"));
}

TEST_CASE("a key in the wrong table points to the right one", "[scenario]") {
  const std::string e = error_of(base + "[numerics]\nlength_mm = 1.0\n");
  CHECK_THAT(e, Catch::Contains("did you mean 'needle.length_mm'"));
}

TEST_CASE("an unknown model parameter suggests the closest symbol", "[scenario]") {
  const std::string e = error_of(base + "[model]\nk_II = 0.5\n");
  CHECK_THAT(e, Catch::Contains("model.k_II"));
  CHECK_THAT(e, Catch::Contains("did you mean 'model.k_I'"));
}

TEST_CASE("wrong types and ranges name key, unit and range", "[scenario]") {
  std::string text = edited(base, "length_mm = 1.0", "length_mm = 5.0");
  const std::string range = error_of(text);
  CHECK_THAT(range, Catch::Contains("test.toml:10:13"));
  CHECK_THAT(range, Catch::Contains("needle.length_mm"));
  CHECK_THAT(range, Catch::Contains("[0.1, 3] mm"));
  CHECK_THAT(range, Catch::Contains("got 5.0"));

  text = edited(base, "sessions = 2", "sessions = 2.5");
  const std::string type = error_of(text);
  CHECK_THAT(type, Catch::Contains("protocol.sessions: expected an integer in [0, 100]"));

  const std::string choice = error_of(base, {"needle.device=pne"});
  CHECK_THAT(choice, Catch::Contains("--set needle.device=pne"));
  CHECK_THAT(choice, Catch::Contains("did you mean \"pen\""));
}

TEST_CASE("every problem is reported at once", "[scenario]") {
  const std::string e = error_of(base + "[numerics]\nrtol = -1\nfoo = 2\n");
  CHECK_THAT(e, Catch::Contains("2 problems"));
  CHECK_THAT(e, Catch::Contains("numerics.rtol"));
  CHECK_THAT(e, Catch::Contains("numerics.foo"));
}

TEST_CASE("command-line overrides (--set) are type-checked like file values", "[scenario]") {
  const Scenario s =
      parse_scenario(base, "t",
                     std::vector<std::string>{"needle.length_mm=1.5", "tissue.site=scalp",
                                              "output.times_h=[0, 24, 480]", "model.k_I=0.5"});
  CHECK(s.spec.protocol.needle.length_mm == 1.5);
  CHECK(s.spec.tissue.site == "scalp");
  CHECK(s.spec.output_times_h == std::vector<double>{0.0, 24.0, 480.0});
  CHECK(s.spec.parameters.get("k_I") == 0.5);
  CHECK_THAT(error_of(base, {"needle.length_mm=abc"}),
             Catch::Contains("expected a number in [0.1, 3] mm, got a string"));
  CHECK_THAT(error_of(base, {"needle.length_mm"}), Catch::Contains("expected KEY=VALUE"));
  CHECK_THAT(error_of(base + "times_h = [0, 24]\n"), Catch::Contains("give either output.times_h"));
}

TEST_CASE("impossible combinations are refused with the reason and place", "[scenario]") {
  CHECK_THAT(error_of(base, {"domain.depth_mm=0.5"}), Catch::Contains("effective depth"));
  CHECK_THAT(error_of(base, {"domain.depth_mm=0.5"}), Catch::Contains("--set domain.depth_mm=0.5"));
  CHECK_THAT(error_of(base, {"protocol.duration_days=5"}), Catch::Contains("after the end"));
  const std::string dense =
      error_of(base, {"needle.density_per_cm2=5000", "needle.diameter_mm=0.3"});
  CHECK_THAT(dense, Catch::Contains("overlap entirely"));
  CHECK_THAT(error_of(base + "[numerics]\ndt_min_h = 1.0\n"),
             Catch::Contains("test.toml:20:12: numerics.dt_min_h"));
}

TEST_CASE("the default tip cone is no longer than the needle either", "[scenario]") {
  // Found by fuzzing (fuzz/corpus/overrides/regression-default-tip-cone-longer-than-needle): a
  // 0.25 mm needle 0.2 mm wide was accepted with its default cone of 0.3 mm, and print-config
  // wrote a scenario that was refused.
  const std::vector<std::string> wide = {"needle.length_mm=0.25", "needle.diameter_mm=0.2"};
  const std::string message = error_of(base, wide);
  CHECK_THAT(message, Catch::Contains("needle.tip_cone_length_mm"));
  CHECK_THAT(message, Catch::Contains("by default 3 x radius"));
  std::vector<std::string> with_cone = wide;
  with_cone.push_back("needle.tip_cone_length_mm=0.25");
  const Scenario s = parse_scenario(base, "t", with_cone);
  CHECK(to_toml(parse_scenario(to_toml(s), "printed")) == to_toml(s));
}

TEST_CASE("print-config round trip", "[scenario]") {
  const Scenario s =
      parse_scenario(base + "[[protocol.overrides]]\nsession = 1\nlength_mm = 1.5\n", "t");
  const std::string once = to_toml(s);
  const Scenario again = parse_scenario(once, "printed");
  CHECK(to_toml(again) == once);
  CHECK(again.spec.output_times_h == s.spec.output_times_h);
  CHECK(again.spec.parameters.values()[0] == s.spec.parameters.values()[0]);
  REQUIRE(again.spec.protocol.overrides.size() == 1);
  CHECK(*again.spec.protocol.overrides[0].needle_length_mm == 1.5);
  // Every registry key with a value appears in the effective configuration.
  CHECK_THAT(once, Catch::Contains("k_I = "));
  CHECK_THAT(once, Catch::Contains("drum_width_mm = "));
}

TEST_CASE("not valid TOML names the line", "[scenario]") {
  CHECK_THAT(error_of("[domain\n"), Catch::Contains("test.toml:1:"));
  CHECK_THAT(error_of("[domain\n"), Catch::Contains("not valid TOML"));
}

TEST_CASE("a missing file is bad input", "[scenario]") {
  CHECK_THROWS_AS(load_scenario("/nonexistent/scenario.toml"), InputError);
}

TEST_CASE("the key table lists every key", "[scenario]") {
  const std::string table = microheal::scenario::key_table_markdown();
  for (const auto& key : microheal::scenario::scenario_keys()) {
    const auto dot = key.path.rfind('.');
    std::string name = "`";
    name.append(key.path.substr(dot + 1)).append("`");
    CHECK_THAT(table, Catch::Contains(name));
  }
}
