// `microheal run SCENARIO`: the command line of run_scenario() (run_scenario.cpp does the work).
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "microheal/core/error.hpp"
#include "run_scenario.hpp"
#include "stop_signals.hpp"

namespace microheal::app {

namespace {

struct RunOptions {
  std::string scenario;
  std::string output;
  std::vector<std::string> sets;
  int threads = 0;
  bool resume = false;
  bool overwrite = false;
  bool quiet = false;
};

RunRequest request_of(const RunOptions& options) {
  if (options.resume && options.overwrite)
    throw core::InputError("--resume and --overwrite exclude each other");
  RunRequest request;
  request.scenario = options.scenario;
  request.sets = options.sets;
  request.output = options.output;
  request.threads = options.threads;
  request.mode = options.resume      ? DirectoryMode::resume
                 : options.overwrite ? DirectoryMode::overwrite
                                     : DirectoryMode::fresh;
  request.quiet = options.quiet;
  return request;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "run",
      "Run a scenario: fields for ParaView (fields.xmf, fields.hdf.series), timeseries.csv, "
      "metrics.json and manifest.json in the output directory; checkpoints allow --resume");
  auto options = std::make_shared<RunOptions>();
  cmd->add_option("scenario", options->scenario,
                  "Scenario file (TOML), e.g. scenarios/default.toml")
      ->required();
  cmd->add_option("-o,--output", options->output,
                  "Output directory (default: runs/<scenario name>); must be empty or new unless "
                  "--overwrite or --resume");
  cmd->add_option("--set", options->sets,
                  "Override a scenario key, e.g. --set needle.length_mm=1.5 (repeatable; checked "
                  "like the file)")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--threads", options->threads,
                  "OpenMP threads (default: OMP_NUM_THREADS or all cores)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--resume", options->resume,
                "Continue from the checkpoint in the output directory (start when there is none)");
  cmd->add_flag("--overwrite", options->overwrite,
                "Replace the results of an earlier run in the output directory");
  cmd->add_flag("--quiet", options->quiet, "No progress bar or log lines (errors still print)");
  cmd->callback([options] {
    if (run_scenario(request_of(*options)).stopped)
      throw CommandExit{stopped_exit_code};
  });
}

}  // namespace microheal::app
