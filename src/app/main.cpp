// The `microheal` command line. Exit codes: 0 success, 1 a run that failed (or a sweep with a
// failed case), 2 bad input, 75 stopped by SIGINT/SIGTERM with its state saved (stop_signals.hpp).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "microheal/core/error.hpp"

int main(int argc, char** argv) {
  // A file size limit (ulimit -f) then makes the write fail with EFBIG, reported with the path
  // like a full disk, instead of killing the process in the middle of a file.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{
      "microheal: simulate skin healing after microneedling (reaction-diffusion-chemotaxis)",
      "microheal"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  microheal::app::add_info_command(app);
  microheal::app::add_bench_command(app);
  microheal::app::add_verify_command(app);
  microheal::app::add_run_command(app);
  microheal::app::add_compare_command(app);
  microheal::app::add_scenario_commands(app);
  microheal::app::add_sweep_command(app);
  // CLI11 reports a mistyped command only as "a subcommand is required"; name it instead.
  const auto subcommands = app.get_subcommands({});
  const auto is_command = [&](const char* word) {
    return std::any_of(subcommands.begin(), subcommands.end(),
                       [&](const CLI::App* sub) { return sub->check_name(word); });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::cerr << "error: unknown command '" << argv[1] << "'; expected one of:";
    for (const auto* sub : subcommands)
      std::cerr << ' ' << sub->get_name();
    std::cerr << " (see microheal --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0 in CLI11; real parse errors are bad input.
    const int cli_code = app.exit(e);
    return cli_code == 0 ? 0 : 2;
  } catch (const microheal::app::CommandExit& e) {
    return e.code;
  } catch (const microheal::core::InputError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
