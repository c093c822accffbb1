// Built instead of sweep_mpi.cpp when CMake found no MPI: --mpi says so instead of running.
#include "microheal/core/error.hpp"
#include "sweep_mpi.hpp"

namespace microheal::app {

bool mpi_available() {
  return false;
}

int run_sweep_with_mpi(const MpiSweepSteps& /*steps*/) {
  throw core::InputError(
      "--mpi: this microheal was built without MPI (CMake found no MPI); install "
      "libopenmpi-dev openmpi-bin (scripts/setup-deps), configure again and rebuild, or run the "
      "sweep with --jobs N or as a Slurm job array (--emit-slurm)");
}

}  // namespace microheal::app
