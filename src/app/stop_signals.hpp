#pragma once

#include <csignal>
#include <string>

/// @file
/// @brief Graceful stop on SIGINT and SIGTERM (what Ctrl-C and Slurm send before they kill a job).
/// While a StopSignals lives, the first of those signals only sets a flag: the run finishes the
/// step it is in, writes a checkpoint, marks its manifest "stopped" and exits with
/// stopped_exit_code. A second signal ends the process at once, as if no handler were installed.

namespace microheal::app {

/// @brief Exit code of a run or sweep stopped by a signal with its state saved (EX_TEMPFAIL of
/// sysexits.h: try again later; `--resume` continues).
inline constexpr int stopped_exit_code = 75;

/// @brief Installs the handlers for SIGINT and SIGTERM; the destructor puts the previous ones
/// back. The flag a handler sets is process-wide, as signals are, and stays set: nested
/// StopSignals (a run inside a sweep rank) all see a stop that arrived under any of them.
class StopSignals {
 public:
  StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  StopSignals(StopSignals&&) = delete;
  StopSignals& operator=(StopSignals&&) = delete;
  ~StopSignals();

  /// @brief True once a stop signal arrived.
  bool requested() const;
  /// @brief The signal that asked to stop (0 when none did).
  int signal() const;
  /// @brief "SIGTERM", "SIGINT" (or "signal N").
  std::string signal_name() const;

 private:
  struct sigaction _previous_int {};
  struct sigaction _previous_term {};
};

}  // namespace microheal::app
