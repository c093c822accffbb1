#include "progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace microheal::app {

namespace {

constexpr double hours_per_day = 24.0;
constexpr int bar_width = 24;
/// Redraws per second of the bar: enough to look alive, few enough to cost nothing.
constexpr double bar_redraw_s = 0.2;
/// Plain lines every tenth of the simulated time.
constexpr double line_fraction = 0.1;

}  // namespace

ProgressStyle progress_style_for_stdout(bool quiet) {
  if (quiet)
    return ProgressStyle::quiet;
  return ::isatty(STDOUT_FILENO) == 1 ? ProgressStyle::bar : ProgressStyle::lines;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0)
    return "?";
  const auto s = static_cast<long>(std::lround(seconds));
  if (s >= 3600)
    return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
  if (s >= 60)
    return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} s", s);
}

Progress::Progress(ProgressStyle style, double start_h, double end_h, int sessions)
    : _style(style),
      _start_h(start_h),
      _end_h(end_h),
      _sessions(sessions),
      _wall_start(std::chrono::steady_clock::now()),
      _next_line_h(start_h + line_fraction * (end_h - start_h)) {}

std::string Progress::eta_text(double time_h) const {
  const double done_h = time_h - _start_h;
  if (done_h <= 0.0)
    return "?";
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - _wall_start).count();
  // Linear in simulated time: early days (small steps after a session) make it pessimistic.
  return duration_text(elapsed * (_end_h - time_h) / done_h);
}

void Progress::update(double time_h, int sessions_done, double dt_h) {
  if (_style == ProgressStyle::quiet)
    return;
  const double fraction = _end_h > 0.0 ? std::clamp(time_h / _end_h, 0.0, 1.0) : 1.0;
  if (_style == ProgressStyle::lines) {
    if (time_h + 1e-9 < _next_line_h)
      return;
    while (_next_line_h <= time_h + 1e-9)
      _next_line_h += line_fraction * (_end_h - _start_h);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - _wall_start).count();
    fmt::print(
        "day {:.1f} of {:g} ({:.0f} %), sessions {}/{}, step {:.3g} h, elapsed {}, "
        "ETA {}\n",
        time_h / hours_per_day, _end_h / hours_per_day, 100.0 * fraction, sessions_done, _sessions,
        dt_h, duration_text(elapsed), eta_text(time_h));
    std::fflush(stdout);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (_bar_visible && std::chrono::duration<double>(now - _last_draw).count() < bar_redraw_s)
    return;
  _last_draw = now;
  const int filled = static_cast<int>(std::lround(fraction * bar_width));
  fmt::print("\r[{}{}] day {:.1f}/{:g}  sessions {}/{}  dt {:.3g} h  ETA {}\033[K",
             std::string(static_cast<std::size_t>(filled), '#'),
             std::string(static_cast<std::size_t>(bar_width - filled), '.'), time_h / hours_per_day,
             _end_h / hours_per_day, sessions_done, _sessions, dt_h, eta_text(time_h));
  std::fflush(stdout);
  _bar_visible = true;
}

void Progress::clear_bar() {
  if (_bar_visible) {
    fmt::print("\r\033[K");
    _bar_visible = false;
  }
}

void Progress::line(std::string_view text) {
  if (_style == ProgressStyle::quiet)
    return;
  clear_bar();
  fmt::print("{}\n", text);
  std::fflush(stdout);
}

void Progress::finish() {
  if (_style == ProgressStyle::bar)
    clear_bar();
  std::fflush(stdout);
}

}  // namespace microheal::app
