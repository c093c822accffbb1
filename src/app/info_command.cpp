#include <omp.h>

#include <Eigen/Core>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "hdf5_version.hpp"
#include "microheal/core/version.hpp"

namespace microheal::app {

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print version, git hash, compiler and library versions");
  cmd->callback([] {
    std::cout << "microheal " << core::version << '\n'
              << "git hash:        " << core::git_hash << '\n'
              << "compiler:        g++ " << __VERSION__ << '\n'
              << "C++ standard:    " << __cplusplus << '\n'
              << "OpenMP threads:  " << omp_get_max_threads() << " (OMP_NUM_THREADS or --threads)\n"
              << "Eigen:           " << EIGEN_WORLD_VERSION << '.' << EIGEN_MAJOR_VERSION << '.'
              << EIGEN_MINOR_VERSION << '\n'
              << "HDF5:            " << hdf5_build_version << " (built against)\n";
  });
}

}  // namespace microheal::app
