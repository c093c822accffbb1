#include "commands.hpp"

namespace microheal::app {

void add_verify_command(CLI::App& app) {
  app.add_subcommand("verify", "Quick verification demo (analytic solutions and front speeds)");
}

}  // namespace microheal::app
