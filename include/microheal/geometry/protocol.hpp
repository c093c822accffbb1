#pragma once

#include <optional>
#include <span>
#include <vector>

#include "microheal/geometry/needle_pattern.hpp"

/// @file
/// @brief Treatment protocols: when sessions happen, what needle each uses, and how long the run
/// lasts. Days in the spec, hours (the model's time unit) in the queries; day 0 = hour 0 is the
/// start of the simulation.

namespace microheal::geometry {

/// @brief Changes to the base needle for one session; unset fields keep the base value.
struct SessionOverride {
  int session = 0;                         ///< 0-based session index
  std::optional<double> needle_length_mm;  ///< replaces NeedleSpec::length_mm
  std::optional<double> density_per_cm2;   ///< replaces NeedleSpec::density_per_cm2
  std::optional<int> passes;               ///< replaces NeedleSpec::passes
};

/// @brief Plain, editable description of a protocol; Protocol validates it.
///
/// Schedule: when session_days is empty, `sessions` sessions start at first_session_day and
/// follow every interval_days; when session_days is non-empty it is the schedule, and sessions,
/// interval_days and first_session_day are not used. Zero sessions is a valid untreated control.
struct ProtocolSpec {
  int sessions = 1;                  ///< number of sessions (>= 0) when session_days is empty
  double interval_days = 28.0;       ///< days between sessions, > 0 when sessions > 1
  double first_session_day = 0.0;    ///< day of the first session, >= 0
  std::vector<double> session_days;  ///< explicit days, strictly increasing, >= 0
  double duration_days = 120.0;      ///< simulated time, > 0; every session must come before it
  NeedleSpec needle{};               ///< needle of every session unless overridden
  std::vector<SessionOverride> overrides;  ///< at most one per session

  /// @brief Throws core::InputError for: negative session count, a non-positive interval with
  /// more than one session, negative, duplicate or unsorted explicit days, a session at or after
  /// the end, a non-positive duration, an override of a session that does not exist or a second
  /// override of one session, and any session's needle that fails NeedleSpec::validate().
  void validate() const;
};

/// @brief A validated protocol; a value type.
class Protocol {
 public:
  /// @brief Validates @p spec (see ProtocolSpec::validate()).
  explicit Protocol(ProtocolSpec spec);

  const ProtocolSpec& spec() const { return _spec; }
  int num_sessions() const { return static_cast<int>(_days.size()); }
  /// @brief Session days in order (size num_sessions()).
  std::span<const double> session_days() const { return _days; }
  /// @brief Session start times in hours (day x 24).
  std::vector<double> session_times_h() const;
  double duration_days() const { return _spec.duration_days; }
  double duration_h() const { return 24.0 * _spec.duration_days; }
  /// @brief The needle of session @p session (base needle with its override applied). Positions
  /// differ between sessions through the session index given to place_punctures(), not the seed.
  /// @throws core::InputError when @p session is out of range
  NeedleSpec needle_for_session(int session) const;

 private:
  ProtocolSpec _spec;
  std::vector<double> _days;
};

}  // namespace microheal::geometry
