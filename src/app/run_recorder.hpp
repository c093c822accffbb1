#pragma once

#include <span>
#include <vector>

#include "microheal/io/checkpoint.hpp"
#include "microheal/simulation/observables.hpp"
#include "microheal/simulation/simulation.hpp"

/// @file
/// @brief The observables a run accumulates (the dense metric series, the output table and the
/// collagen depth profiles), recorded as simulation::Recorder does, but able to go into a
/// checkpoint and come back bit for bit: a resumed run must compute the same metrics and write the
/// same timeseries.csv as an uninterrupted one.

namespace microheal::app {

/// @brief Observables packed into doubles (every member, in declaration order) and back. The
/// integer session count is exact in a double.
std::vector<double> pack_observables(const simulation::Observables& o);
simulation::Observables unpack_observables(std::span<const double> values);
/// @brief Doubles per packed Observables.
std::size_t packed_observables_size();

class RunRecorder {
 public:
  explicit RunRecorder(const simulation::Simulation& simulation);

  /// @brief Observer body: every call goes into the dense series; output times also into the
  /// output table and the collagen profile.
  void record(const simulation::Simulation& simulation, const simulation::Observation& observation);

  const std::vector<simulation::Observables>& series() const { return _series; }
  const simulation::TimeSeriesTable& outputs() const { return _outputs; }
  const simulation::TimeSeriesTable& profiles() const { return _profiles; }

  /// @brief Put everything recorded so far into @p state (arrays "recorder.*").
  void save(io::CheckpointState& state) const;
  /// @brief Replace everything recorded with what save() stored.
  /// @pre @p state holds the arrays of save() with matching sizes (throws core::InputError)
  void load(const io::CheckpointState& state);

 private:
  simulation::ObservableCalculator _calculator;
  std::vector<simulation::Observables> _series;
  simulation::TimeSeriesTable _outputs;
  simulation::TimeSeriesTable _profiles;
};

}  // namespace microheal::app
