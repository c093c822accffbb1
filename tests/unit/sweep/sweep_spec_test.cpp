#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/sweep/design.hpp"
#include "microheal/sweep/sweep_spec.hpp"
#include "support/temp_directory.hpp"

using microheal::core::InputError;
using microheal::sweep::AxisSpacing;
using microheal::sweep::parse_sweep;
using microheal::sweep::Sampler;
using microheal::sweep::SweepSpec;

namespace {

namespace fs = std::filesystem;

using microheal::testing::TempDirectory;

// The base scenario of the tests: 2D, valid as it is.
const std::string base_scenario = R"(description = "unit test base"
[tissue]
site = "face"
[domain]
dimensions = 2
tile_mm = [1.26, 1.26]
depth_mm = 1.3
voxel_mm = 0.1
[needle]
length_mm = 1.0
density_per_cm2 = 250
pattern = "square"
[protocol]
sessions = 1
duration_days = 0.5
)";

const std::string factorial = R"(description = "unit test"
base = "base.toml"
[sweep]
design = "factorial"
[fixed]
"protocol.duration_days" = 1
[[axis]]
key = "needle.length_mm"
values = [0.5, 1.0]
[[axis]]
key = "needle.penetration_efficiency"
linspace = { from = 0.5, to = 0.7, count = 3 }
)";

/// A sweep text with a base scenario file next to it.
class SweepFiles {
 public:
  SweepFiles() { std::ofstream(_dir.path() / "base.toml") << base_scenario; }
  SweepSpec parse(const std::string& text) const {
    return parse_sweep(text, "sweep.toml", _dir.path());
  }
  std::string error_of(const std::string& text) const {
    try {
      (void)parse(text);
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  }
  const fs::path& directory() const { return _dir.path(); }

 private:
  TempDirectory _dir{"microheal-sweep-test"};
};

std::string edited(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  std::string out = text.substr(0, at);
  out.append(to);
  out.append(text.substr(at + from.size()));
  return out;
}

}  // namespace

TEST_CASE("a factorial sweep file is read with its axes and fixed values", "[sweep]") {
  const SweepFiles files;
  const SweepSpec spec = files.parse(factorial);
  CHECK(spec.description == "unit test");
  CHECK(spec.base == files.directory() / "base.toml");
  CHECK(spec.sampler == Sampler::factorial);
  CHECK_FALSE(spec.fields);
  REQUIRE(spec.fixed.size() == 1);
  CHECK(spec.fixed[0].key == "protocol.duration_days");
  CHECK(std::get<double>(spec.fixed[0].value) == 1.0);  // a real key takes an integer as a number
  REQUIRE(spec.axes.size() == 2);
  CHECK(spec.axes[0].spacing == AxisSpacing::list);
  CHECK(spec.axes[0].values.size() == 2);
  CHECK(spec.axes[1].spacing == AxisSpacing::linear);
  CHECK(spec.axes[1].count == 3);
  // Nested [fixed] tables work like quoted dotted keys.
  const SweepSpec nested =
      files.parse(edited(factorial, "\"protocol.duration_days\" = 1",
                         "protocol.duration_days = 1\nneedle.roller.rings = 2"));
  REQUIRE(nested.fixed.size() == 2);
  // (TOML tables have no order: fixed values come sorted by key.)
  CHECK(nested.fixed[0].key == "needle.roller.rings");
  CHECK(std::get<std::int64_t>(nested.fixed[0].value) == 2);
}

TEST_CASE("a sweep written back as TOML reads as the same sweep", "[sweep]") {
  const SweepFiles files;
  for (const std::string& text :
       {factorial, edited(edited(factorial, "design = \"factorial\"",
                                 "design = \"sobol\"\nsamples = 16\nseed = 9\nfields = true"),
                          "values = [0.5, 1.0]", "logspace = { from = 0.3, to = 2.5 }")}) {
    const SweepSpec spec = files.parse(text);
    const std::string written = microheal::sweep::to_toml(spec, "base.toml", {"header"});
    CHECK(written.starts_with("# header\n"));
    CHECK(files.parse(written) == spec);
  }
}

TEST_CASE("sweep file mistakes name file, line, column, key and what was expected", "[sweep]") {
  const SweepFiles files;
  struct Bad {
    std::string what;
    std::string text;
    std::vector<std::string> fragments;
  };
  const std::vector<Bad> cases{
      {"misspelt axis key",
       edited(factorial, "key = \"needle.length_mm\"", "key = \"needle.lenght_mm\""),
       {"sweep.toml:8:7", "unknown scenario key 'needle.lenght_mm'",
        "did you mean 'needle.length_mm'"}},
      {"misspelt sweep key",
       edited(factorial, "design =", "desing ="),
       {"sweep.toml:4:1", "unknown key 'sweep.desing'", "did you mean 'sweep.design'"}},
      {"misspelt table",
       edited(factorial, "[[axis]]\nkey = \"needle.length_mm\"",
              "[[axes]]\nkey = \"needle.length_mm\""),
       {"unknown key 'axes'", "did you mean 'axis'"}},
      {"scenario table at the top",
       factorial + "[needle]\nlength_mm = 1.0\n",
       {"unknown key 'needle'", "[fixed]", "[[axis]]"}},
      {"value out of the key's range",
       edited(factorial, "values = [0.5, 1.0]", "values = [0.5, 5.0]"),
       {"sweep.toml:9:16", "needle.length_mm", "expected a number in [0.1, 3] mm", "got 5.0"}},
      {"fixed value out of range",
       edited(factorial, "\"protocol.duration_days\" = 1", "\"protocol.duration_days\" = -1"),
       {"sweep.toml:6:28", "fixed.protocol.duration_days", "(0, 3650] d"}},
      {"linspace end out of range",
       edited(factorial, "from = 0.5, to = 0.7", "from = 0.5, to = 0.95"),
       {"needle.penetration_efficiency", "to", "[0.2, 0.9]", "got 0.95"}},
      {"unknown design",
       edited(factorial, "\"factorial\"", "\"latin-hypercube\""),
       {"sweep.design", "did you mean \"latin_hypercube\""}},
      {"samples missing",
       edited(factorial, "\"factorial\"", "\"latin_hypercube\""),
       {"sweep.samples", "missing"}},
      {"samples with factorial",
       edited(factorial, "design = \"factorial\"", "design = \"factorial\"\nsamples = 4"),
       {"sweep.samples", "every combination"}},
      {"count missing for factorial", edited(factorial, ", count = 3", ""), {"missing: count"}},
      {"fractional integer points",
       edited(factorial, "key = \"needle.length_mm\"\nvalues = [0.5, 1.0]",
              "key = \"needle.passes\"\nlinspace = { from = 1, to = 2, count = 3 }"),
       {"needle.passes takes integers", "1.5"}},
      {"key both fixed and axis",
       edited(factorial, "\"protocol.duration_days\" = 1", "\"needle.length_mm\" = 1"),
       {"'needle.length_mm' is also in [fixed]"}},
      {"value listed twice",
       edited(factorial, "values = [0.5, 1.0]", "values = [0.5, 0.5]"),
       {"listed twice"}},
      {"text key with linspace",
       edited(factorial, "key = \"needle.length_mm\"\nvalues = [0.5, 1.0]",
              "key = \"tissue.site\"\nlinspace = { from = 1, to = 2, count = 2 }"),
       {"linspace needs a number key", "use values"}},
      {"bad choice",
       edited(factorial, "key = \"needle.length_mm\"\nvalues = [0.5, 1.0]",
              "key = \"tissue.site\"\nvalues = [\"face\", \"scalpp\"]"),
       {"tissue.site", "did you mean \"scalp\""}},
      {"no axis", factorial.substr(0, factorial.find("[[axis]]")), {"at least one [[axis]]"}},
      {"snapshots as an axis",
       edited(factorial, "key = \"needle.length_mm\"\nvalues = [0.5, 1.0]",
              "key = \"output.snapshots\"\nvalues = [true]"),
       {"use fields = true in [sweep]"}},
      {"missing base file",
       edited(factorial, "base.toml", "nope.toml"),
       {"sweep.toml:2:8", "base", "no such file", "relative to the sweep file"}},
      {"base invalid with the fixed values",
       edited(factorial, "\"protocol.duration_days\" = 1", "\"domain.depth_mm\" = 0.5"),
       {"the base scenario with the [fixed] values is not valid", "effective depth"}},
      {"too many cases",
       edited(factorial, "count = 3", "count = 100000") +
           "[[axis]]\nkey = \"model.k_I\"\nlinspace = { from = 0.1, to = 1, "
           "count = 100 }\n",
       {"more than the 1000000"}},
      {"not TOML", edited(factorial, "[sweep]", "[sweep"), {"sweep.toml:3:", "not valid TOML"}},
      {"several problems",
       edited(edited(factorial, "design =", "desing ="), "values = [0.5, 1.0]",
              "values = [0.5, 5.0]"),
       {"problems in the sweep", "desing", "got 5.0"}},
  };
  for (const Bad& bad : cases) {
    const std::string message = files.error_of(bad.text);
    INFO(bad.what << ": " << message);
    for (const std::string& fragment : bad.fragments)
      CHECK(message.find(fragment) != std::string::npos);
  }
}

TEST_CASE("load_sweep resolves the base against the sweep file's folder", "[sweep]") {
  const SweepFiles files;
  fs::create_directories(files.directory() / "sweeps");
  const fs::path file = files.directory() / "sweeps" / "s.toml";
  std::ofstream(file) << edited(factorial, "\"base.toml\"", "\"../base.toml\"");
  const SweepSpec spec = microheal::sweep::load_sweep(file);
  CHECK(fs::equivalent(spec.base, files.directory() / "base.toml"));
  CHECK_THROWS_WITH(microheal::sweep::load_sweep(files.directory() / "missing.toml"),
                    Catch::Contains("no such file"));
}
