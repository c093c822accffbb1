#include "microheal/geometry/protocol.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/core/text.hpp"

namespace microheal::geometry {

namespace {

std::string number(double value) {
  return core::message_text(value);
}

/// The schedule of a spec whose counts are already checked: explicit days or count x interval.
std::vector<double> resolve_days(const ProtocolSpec& spec) {
  if (!spec.session_days.empty())
    return spec.session_days;
  std::vector<double> days;
  days.reserve(static_cast<std::size_t>(spec.sessions));
  for (int s = 0; s < spec.sessions; ++s)
    days.push_back(spec.first_session_day + s * spec.interval_days);
  return days;
}

NeedleSpec apply_override(NeedleSpec needle, const SessionOverride& change) {
  if (change.needle_length_mm)
    needle.length_mm = *change.needle_length_mm;
  if (change.density_per_cm2)
    needle.density_per_cm2 = *change.density_per_cm2;
  if (change.passes)
    needle.passes = *change.passes;
  return needle;
}

}  // namespace

void ProtocolSpec::validate() const {
  if (!std::isfinite(duration_days) || !(duration_days > 0.0))
    throw core::InputError("protocol: duration_days must be finite and > 0 days, got " +
                           number(duration_days));
  if (session_days.empty()) {
    if (sessions < 0)
      throw core::InputError("protocol: sessions must be >= 0, got " + std::to_string(sessions));
    if (!std::isfinite(first_session_day) || first_session_day < 0.0)
      throw core::InputError("protocol: first_session_day must be finite and >= 0 days, got " +
                             number(first_session_day));
    if (sessions > 1 && (!std::isfinite(interval_days) || !(interval_days > 0.0)))
      throw core::InputError("protocol: interval_days must be finite and > 0 days with " +
                             std::to_string(sessions) + " sessions, got " + number(interval_days));
  } else {
    for (std::size_t s = 0; s < session_days.size(); ++s) {
      const double day = session_days[s];
      if (!std::isfinite(day) || day < 0.0)
        throw core::InputError("protocol: session_days[" + std::to_string(s) +
                               "] must be finite and >= 0 days, got " + number(day));
      if (s > 0 && day == session_days[s - 1])
        throw core::InputError("protocol: session_days has the duplicate day " + number(day) +
                               " at positions " + std::to_string(s - 1) + " and " +
                               std::to_string(s));
      if (s > 0 && day < session_days[s - 1])
        throw core::InputError("protocol: session_days must be sorted in increasing order; day " +
                               number(day) + " at position " + std::to_string(s) + " follows " +
                               number(session_days[s - 1]));
    }
  }
  const std::vector<double> days = resolve_days(*this);
  for (std::size_t s = 0; s < days.size(); ++s) {
    if (days[s] >= duration_days)
      throw core::InputError(
          "protocol: session " + std::to_string(s) + " on day " + number(days[s]) +
          " is at or after the end of the run (duration_days = " + number(duration_days) + ")");
  }
  std::vector<bool> seen(days.size(), false);
  for (const SessionOverride& change : overrides) {
    if (change.session < 0 || static_cast<std::size_t>(change.session) >= days.size())
      throw core::InputError("protocol: override for session " + std::to_string(change.session) +
                             ", but the protocol has " + std::to_string(days.size()) +
                             " session(s) (0-based)");
    if (seen[static_cast<std::size_t>(change.session)])
      throw core::InputError("protocol: more than one override for session " +
                             std::to_string(change.session));
    seen[static_cast<std::size_t>(change.session)] = true;
  }
  needle.validate();
  for (const SessionOverride& change : overrides) {
    try {
      apply_override(needle, change).validate();
    } catch (const core::InputError& error) {
      throw core::InputError("protocol: override for session " + std::to_string(change.session) +
                             ": " + error.what());
    }
  }
}

Protocol::Protocol(ProtocolSpec spec) : _spec(std::move(spec)) {
  _spec.validate();
  _days = resolve_days(_spec);
}

std::vector<double> Protocol::session_times_h() const {
  std::vector<double> hours;
  hours.reserve(_days.size());
  for (const double day : _days)
    hours.push_back(24.0 * day);
  return hours;
}

NeedleSpec Protocol::needle_for_session(int session) const {
  if (session < 0 || session >= num_sessions())
    throw core::InputError("protocol: session " + std::to_string(session) +
                           " does not exist; the protocol has " + std::to_string(num_sessions()) +
                           " session(s)");
  for (const SessionOverride& change : _spec.overrides) {
    if (change.session == session)
      return apply_override(_spec.needle, change);
  }
  return _spec.needle;
}

}  // namespace microheal::geometry
