// `microheal bench model`: time to solution of fixed model cases at the default tolerances, and
// how far their metrics lie from a stored reference computed with tolerances 100 times tighter.
// A benchmark, not a test: it times, it never fails a build.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "metrics_comparison.hpp"
#include "microheal/core/error.hpp"
#include "microheal/scenario/scenario.hpp"
#include "run_scenario.hpp"
#include "source_paths.hpp"

namespace microheal::app {

namespace {

namespace fs = std::filesystem;

/// A fixed case: a scenario file of scenarios/ with overrides.
struct BenchCase {
  std::string_view name;
  std::string_view scenario;
  std::vector<std::string> sets;
  std::string_view what;
};

std::vector<BenchCase> bench_cases() {
  return {
      {"quick-2d", "quick-2d.toml", {}, "coarse 2D section, 4 sessions, 180 days"},
      {"home-roller-3d", "home-roller-0.25mm.toml", {}, "coarse 3D block, 8 sessions, 35 days"},
      {"resolved-3d", "default.toml", {}, "resolved 3D block, 4 sessions, 180 days"},
  };
}

struct BenchOptions {
  std::string case_name = "all";
  int threads = 0;
  bool json = false;
  bool write_reference = false;
  std::string scenarios = std::string(configured_source_dir) + "/scenarios";
  std::string references = std::string(configured_source_dir) + "/bench/reference";
  std::string keep;  // directory for the runs' outputs (empty: a temporary one, removed)
};

struct StageTime {
  std::string stage;
  double seconds = 0.0;
};

struct CaseResult {
  std::string name;
  std::string what;
  long voxels = 0;
  double simulated_days = 0.0;
  double wall_seconds = 0.0;
  long steps_accepted = 0;
  long steps_rejected = 0;
  int threads = 0;
  std::vector<StageTime> stages;
  std::optional<double> largest_deviation_pct;  // empty: no stored reference
  std::optional<double> worst_ratio;
  std::string worst_metric;
  std::string reference_file;
};

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in)
    throw core::RunError("bench model: cannot read '" + path.string() + "'");
  return nlohmann::json::parse(in);
}

fs::path reference_path(const BenchOptions& o, std::string_view name) {
  return fs::path(o.references) / (std::string(name) + ".metrics.json");
}

CaseResult run_case(const BenchCase& c, const BenchOptions& o, const fs::path& work) {
  const fs::path scenario = fs::path(o.scenarios) / c.scenario;
  std::vector<std::string> sets = c.sets;
  if (o.write_reference) {
    // The reference: the same scenario with both tolerances 100 times tighter.
    const scenario::Scenario loaded = scenario::load_scenario(scenario, sets);
    sets.push_back(fmt::format("numerics.rtol={:.17g}", loaded.spec.step_control.rtol / 100.0));
    sets.push_back(fmt::format("numerics.atol={:.17g}", loaded.spec.step_control.atol / 100.0));
  }
  RunRequest request;
  request.scenario = scenario;
  request.sets = sets;
  request.output = work / c.name;
  request.threads = o.threads;
  request.mode = DirectoryMode::overwrite;
  request.quiet = true;
  const RunResult run = run_scenario(request);

  const nlohmann::json manifest = read_json(run.output / "manifest.json");
  CaseResult r;
  r.name = c.name;
  r.what = c.what;
  r.voxels = manifest.at("grid").at("voxels").get<long>();
  r.simulated_days = manifest.at("simulated_time_h").get<double>() / 24.0;
  r.wall_seconds = run.wall_seconds;
  r.threads = run.threads;
  const nlohmann::json& integrator = manifest.at("integrator");
  r.steps_accepted = integrator.at("steps_accepted").get<long>();
  r.steps_rejected = integrator.at("steps_rejected_error").get<long>() +
                     integrator.at("steps_rejected_negative").get<long>();
  for (const nlohmann::json& stage : manifest.at("stage_timings"))
    r.stages.push_back({stage.at("stage").get<std::string>(), stage.at("seconds").get<double>()});

  const fs::path reference = reference_path(o, c.name);
  if (o.write_reference) {
    fs::create_directories(reference.parent_path());
    // Copied under a temporary name and renamed: an interrupted copy never leaves a partial
    // reference under the final name.
    const fs::path partial = reference.string() + ".partial";
    fs::copy_file(run.output / "metrics.json", partial, fs::copy_options::overwrite_existing);
    fs::rename(partial, reference);
    r.reference_file = reference.string();
  } else if (fs::exists(reference)) {
    const auto rows = compare_metrics(read_metrics(run.output), read_metrics(reference), {});
    r.largest_deviation_pct = largest_relative_deviation_pct(rows);
    if (!rows.empty()) {
      r.worst_ratio = rows.front().ratio;
      r.worst_metric = rows.front().name;
    }
    r.reference_file = reference.string();
  }
  return r;
}

nlohmann::json to_json(const CaseResult& r) {
  nlohmann::json stages = nlohmann::json::object();
  for (const StageTime& s : r.stages)
    stages[s.stage] = s.seconds;
  nlohmann::json j = {
      {"case", r.name},
      {"what", r.what},
      {"voxels", r.voxels},
      {"simulated_days", r.simulated_days},
      {"threads", r.threads},
      {"wall_seconds", r.wall_seconds},
      {"steps_accepted", r.steps_accepted},
      {"steps_rejected", r.steps_rejected},
      {"voxel_days_per_wall_second",
       r.wall_seconds > 0.0 ? static_cast<double>(r.voxels) * r.simulated_days / r.wall_seconds
                            : 0.0},
      {"stage_seconds", stages},
      {"reference", r.reference_file.empty() ? nlohmann::json() : nlohmann::json(r.reference_file)},
      {"largest_metric_deviation_pct",
       r.largest_deviation_pct ? nlohmann::json(*r.largest_deviation_pct) : nlohmann::json()},
      {"worst_metric", r.worst_metric.empty() ? nlohmann::json() : nlohmann::json(r.worst_metric)},
      {"worst_metric_ratio_to_tolerance",
       r.worst_ratio ? nlohmann::json(*r.worst_ratio) : nlohmann::json()},
  };
  return j;
}

void print_text(const CaseResult& r, bool wrote_reference) {
  fmt::print("case {}: {}\n", r.name, r.what);
  fmt::print("  voxels                      {}\n", r.voxels);
  fmt::print("  simulated days              {:g}\n", r.simulated_days);
  fmt::print("  threads                     {}\n", r.threads);
  fmt::print("  wall seconds                {:.2f}\n", r.wall_seconds);
  fmt::print("  steps                       {} accepted, {} rejected\n", r.steps_accepted,
             r.steps_rejected);
  fmt::print("  voxel-days per wall second  {:.4g}\n",
             r.wall_seconds > 0.0
                 ? static_cast<double>(r.voxels) * r.simulated_days / r.wall_seconds
                 : 0.0);
  for (const StageTime& s : r.stages)
    fmt::print("  stage {:<28} {:>9.3f} s\n", s.stage, s.seconds);
  if (wrote_reference) {
    fmt::print("  reference written           {}\n", r.reference_file);
  } else if (r.largest_deviation_pct) {
    fmt::print(
        "  largest metric deviation    {:.3f} % (worst against its tolerance: {}, {:.2f} x)\n",
        *r.largest_deviation_pct, r.worst_metric, r.worst_ratio.value_or(0.0));
  } else {
    fmt::print("  largest metric deviation    no reference ({}; make it with --write-reference)\n",
               reference_path(BenchOptions{}, r.name).filename().string());
  }
}

void run_bench(const BenchOptions& o) {
  std::vector<BenchCase> chosen;
  std::vector<std::string> names;
  for (const BenchCase& c : bench_cases()) {
    names.emplace_back(c.name);
    if (o.case_name == "all" || o.case_name == c.name)
      chosen.push_back(c);
  }
  if (chosen.empty()) {
    std::string list;
    for (const std::string& n : names)
      list += (list.empty() ? "" : ", ") + n;
    throw core::InputError("bench model --case: unknown case '" + o.case_name +
                           "'; expected one of " + list + " or all");
  }
  if (!fs::is_directory(o.scenarios)) {
    throw core::InputError("bench model --scenarios: '" + o.scenarios +
                           "' is not a directory (expected the project's scenarios/)");
  }
  // The runs' outputs go to --keep, or to a temporary directory that is removed afterwards.
  fs::path work;
  bool temporary = false;
  if (!o.keep.empty()) {
    work = o.keep;
    fs::create_directories(work);
  } else {
    work = fs::temp_directory_path() /
           fmt::format("microheal-bench-{}-{}", static_cast<long>(::getpid()),
                       std::chrono::steady_clock::now().time_since_epoch().count());
    fs::create_directories(work);
    temporary = true;
  }
  nlohmann::json all = nlohmann::json::array();
  try {
    for (const BenchCase& c : chosen) {
      const CaseResult r = run_case(c, o, work);
      if (o.json)
        all.push_back(to_json(r));
      else
        print_text(r, o.write_reference);
      std::fflush(stdout);
    }
  } catch (...) {
    if (temporary)
      fs::remove_all(work);
    throw;
  }
  if (temporary)
    fs::remove_all(work);
  if (o.json)
    fmt::print("{}\n", nlohmann::json{{"benchmark", "model"}, {"cases", all}}.dump(2));
}

}  // namespace

void add_bench_model_command(CLI::App& bench) {
  auto options = std::make_shared<BenchOptions>();
  auto* model = bench.add_subcommand(
      "model",
      "Time to solution of fixed model cases (quick-2d, home-roller-3d, resolved-3d) at the "
      "default tolerances: wall seconds, steps, voxel-days per second, time per stage, and the "
      "largest metric deviation from a stored reference run with tolerances 100 times tighter");
  model->add_option("--case", options->case_name, "quick-2d, home-roller-3d, resolved-3d or all")
      ->capture_default_str();
  model->add_option("--threads", options->threads, "OpenMP threads (0: OMP_NUM_THREADS or all)")
      ->check(CLI::Range(0, 1024));
  model->add_flag("--json", options->json, "Print one JSON object instead of text");
  model->add_flag("--write-reference", options->write_reference,
                  "Run each case with tolerances 100 times tighter and store its metrics as the "
                  "case's reference (bench/reference/CASE.metrics.json)");
  model->add_option("--scenarios", options->scenarios, "Directory of the cases' scenario files")
      ->capture_default_str();
  model->add_option("--references", options->references, "Directory of the stored references")
      ->capture_default_str();
  model->add_option("--keep", options->keep,
                    "Keep each case's run directory under this directory, as DIR/CASE (a run "
                    "already there is overwritten; default: a temporary directory, removed)");
  model->callback([options] { run_bench(*options); });
}

}  // namespace microheal::app
