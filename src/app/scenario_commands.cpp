// `microheal validate`, `microheal print-config` and `microheal keys`: everything about a scenario
// short of running it.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "microheal/core/version.hpp"
#include "microheal/io/field_writer.hpp"
#include "microheal/model/species.hpp"
#include "microheal/scenario/key_registry.hpp"
#include "microheal/scenario/scenario.hpp"
#include "microheal/simulation/simulation.hpp"

namespace microheal::app {

namespace {

struct ScenarioOptions {
  std::string scenario;
  std::vector<std::string> sets;
};

void add_scenario_arguments(CLI::App& cmd, ScenarioOptions& options) {
  cmd.add_option("scenario", options.scenario, "Scenario file (TOML)")->required();
  cmd.add_option("--set", options.sets, "Override a scenario key, e.g. --set needle.length_mm=1.5")
      ->take_all()
      ->allow_extra_args(false);
}

void validate(const ScenarioOptions& options) {
  const scenario::Scenario s = scenario::load_scenario(options.scenario, options.sets);
  // Building the simulation checks the rest (grids, coefficient fields) and gives its warnings.
  const simulation::Simulation sim(s.spec);
  const grid::Grid& g = sim.grid();
  const double bytes_per_voxel =
      static_cast<double>(model::num_species) * sizeof(double) * 8.0;  // state, copies, scratch
  fmt::print("{}: valid\n", options.scenario);
  fmt::print(
      "  block      {}D, {} x {} x {} voxels of {:.4g} x {:.4g} x {:.4g} mm ({} voxels, about "
      "{:.0f} MB)\n",
      s.spec.domain.dimensions, g.nx(), g.ny(), g.nz(), g.spacing_mm(grid::Axis::x),
      g.spacing_mm(grid::Axis::y), g.spacing_mm(grid::Axis::z), g.num_voxels(),
      bytes_per_voxel * static_cast<double>(g.num_voxels()) / 1e6);
  std::string days;
  for (const double d : sim.protocol().session_days())
    days += (days.empty() ? "" : ", ") + fmt::format("{:g}", d);
  fmt::print("  protocol   {} session(s) on day(s) [{}], {:g} days in total\n",
             sim.protocol().num_sessions(), days, sim.protocol().duration_days());
  fmt::print("  outputs    {} snapshot(s) from t = {:g} h to {:g} h\n",
             s.spec.output_times_h.size(), s.spec.output_times_h.front(),
             s.spec.output_times_h.back());
  for (const std::string& warning : sim.warnings())
    fmt::print("  warning: {}\n", warning);
}

void print_config(const ScenarioOptions& options) {
  const scenario::Scenario s = scenario::load_scenario(options.scenario, options.sets);
  std::string source = options.scenario;
  for (const std::string& set : options.sets)
    source += " --set " + set;
  const std::vector<std::string> header{
      "Effective configuration of " + source,
      "microheal " + std::string(core::version) + " (" + std::string(core::git_hash) +
          "): every key with the value in effect, defaults filled in.",
      "This is itself a valid scenario file: `microheal run` gives the same run with it."};
  fmt::print("{}", scenario::to_toml(s, header));
}

}  // namespace

void add_scenario_commands(CLI::App& app) {
  auto* validate_cmd = app.add_subcommand(
      "validate",
      "Check a scenario (keys, types, ranges, physics) without running it; exit 2 "
      "with every problem listed when it is invalid");
  auto validate_options = std::make_shared<ScenarioOptions>();
  add_scenario_arguments(*validate_cmd, *validate_options);
  validate_cmd->callback([validate_options] { validate(*validate_options); });

  auto* print_cmd = app.add_subcommand(
      "print-config",
      "Print the effective configuration of a scenario (every default filled in) as TOML");
  auto print_options = std::make_shared<ScenarioOptions>();
  add_scenario_arguments(*print_cmd, *print_options);
  print_cmd->callback([print_options] { print_config(*print_options); });

  auto* keys_cmd = app.add_subcommand(
      "keys",
      "Print every scenario key with type, unit, default, allowed values and meaning "
      "(Markdown; the reference table of docs/scenarios.md)");
  keys_cmd->callback([] { fmt::print("{}", scenario::key_table_markdown()); });
}

}  // namespace microheal::app
