#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

/// @file
/// @brief Named, timed stages (the waLBerla timeloop idea): every part of a time step registers
/// under a name, and a run ends with a table of where the time went.

namespace microheal::core {

/// @brief Accumulated wall time and call count of one named stage.
struct StageTiming {
  std::string name;
  double seconds = 0.0;
  long calls = 0;
};

/// @brief Accumulates wall time per named stage. Stages keep the order of first use, so reports
/// read in the order the step runs them.
class StageTimer {
 public:
  /// @brief Add @p seconds to the stage @p name (creating it on first use).
  void add(std::string_view name, double seconds);

  /// @brief All stages in order of first use.
  const std::vector<StageTiming>& stages() const { return _stages; }

  /// @brief Sum of all stage times in seconds.
  double total_seconds() const;

  /// @brief Drop all timings.
  void clear() { _stages.clear(); }

 private:
  std::vector<StageTiming> _stages;
};

/// @brief RAII guard: times its own lifetime and adds it to a stage of a StageTimer.
class ScopedStage {
 public:
  ScopedStage(StageTimer& timer, std::string_view name)
      : _timer(timer), _name(name), _start(std::chrono::steady_clock::now()) {}
  ScopedStage(const ScopedStage&) = delete;
  ScopedStage& operator=(const ScopedStage&) = delete;
  ~ScopedStage() {
    const auto elapsed = std::chrono::steady_clock::now() - _start;
    _timer.add(_name, std::chrono::duration<double>(elapsed).count());
  }

 private:
  StageTimer& _timer;
  std::string_view _name;
  std::chrono::steady_clock::time_point _start;
};

}  // namespace microheal::core
