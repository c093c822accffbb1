#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

/// @file
/// @brief Run progress for people: on a terminal a one-line bar (simulated day, sessions done,
/// step size, ETA) redrawn a few times a second; otherwise (a log file, a batch job) plain lines
/// at each session and every tenth of the run, which stay readable in a log.

namespace microheal::app {

/// @brief How progress is shown.
enum class ProgressStyle {
  quiet,  ///< nothing
  bar,    ///< redrawn terminal line
  lines,  ///< plain log lines
};

/// @brief The style for stdout: bar on a terminal, lines otherwise, nothing when @p quiet.
ProgressStyle progress_style_for_stdout(bool quiet);

class Progress {
 public:
  /// @param[in] style how to show progress
  /// @param[in] start_h simulated time the run (or the resumed part) starts at, h
  /// @param[in] end_h simulated end time, h
  /// @param[in] sessions number of sessions of the protocol
  Progress(ProgressStyle style, double start_h, double end_h, int sessions);

  /// @brief Report the state at simulated time @p time_h; cheap when nothing is due.
  void update(double time_h, int sessions_done, double dt_h);
  /// @brief A log line (the bar is cleared first and redrawn by the next update).
  void line(std::string_view text);
  /// @brief Clear the bar at the end.
  void finish();

 private:
  std::string eta_text(double time_h) const;
  void clear_bar();

  ProgressStyle _style;
  double _start_h;
  double _end_h;
  int _sessions;
  std::chrono::steady_clock::time_point _wall_start;
  std::chrono::steady_clock::time_point _last_draw{};
  double _next_line_h;
  bool _bar_visible = false;
};

/// @brief "1 h 02 min", "3 min 05 s", "12 s".
std::string duration_text(double seconds);

}  // namespace microheal::app
