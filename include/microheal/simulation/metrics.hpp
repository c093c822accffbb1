#pragma once

#include <optional>
#include <span>
#include <vector>

#include "microheal/simulation/observables.hpp"

/// @file
/// @brief The outcome metrics of a run (written later as metrics.json), computed from a dense
/// series of observables.
///
/// Definitions (times relative to the session they follow; "track" = needle-track mean of the
/// session's own tracks, see Observables):
///  - neutrophil_peak_h, macrophage_peak_h: time of the maximum of the neutrophil and macrophage
///    population of the treated block (block mean: N = M = 0 at homeostasis, so this is every
///    cell the injury recruited, wherever chemotaxis took it; whole-wound counts are what the
///    timeline data measure, e.g. Kim et al. 2008). The track-mean peaks are reported as
///    *_track_peak_h: chemotaxis gathers cells into the tracks while the cytokine gradient lasts,
///    so the track concentration peaks earlier than the population and depends on chi and the
///    grid (see docs/model.md);
///  - fibroblast_peak_d, fibroblast_peak_ratio: time (days) and value of the maximum of the track
///    mean of F relative to its homeostatic level; fibroblast_recovered_d: first time after the
///    peak at which that ratio is back within 20 % of baseline (below 1.2);
///  - redness_peak_h / redness_resolved_h: maximum of the redness index, and the first time after
///    it at which the index is below 10 % of the peak; the same for swelling;
///  - epidermis_closed_h: first time at which the keratinocytes of the tracks' epidermis are back
///    above 0.8 of homeostasis (the channel is re-closed);
///  - collagen: the biopsy (papillary band and whole dermis of the tile, relative to untreated
///    skin, %) at the end of each session's window: just before the next session, or at the end;
///  - scar_index_pct: collagen beyond the physiological cap C_max C0, as % of baseline collagen.
/// Peak times are refined by the parabola through the largest sample and its neighbours; crossing
/// times are interpolated linearly between samples. A time that is not reached inside the
/// session's window (before the next session or the end) is empty.

namespace microheal::simulation {

/// @brief Collagen gain of a biopsy band, % of untreated baseline.
struct CollagenGain {
  double total_pct = 0.0;   ///< (Cn + Cm - C0) / C0
  double new_pct = 0.0;     ///< Cn / C0
  double mature_pct = 0.0;  ///< (Cm - C0) / C0
};

/// @brief The metrics of one session's window [session time, next session or end].
struct SessionMetrics {
  int session = 0;
  double time_h = 0.0;             ///< when the session was applied
  double window_end_h = 0.0;       ///< the next session or the end of the run
  double neutrophil_peak_h = 0.0;  ///< peak of the block population
  double neutrophil_peak = 0.0;    ///< block mean of N at the peak
  double macrophage_peak_h = 0.0;  ///< peak of the block population
  double macrophage_peak = 0.0;    ///< block mean of M at the peak
  double neutrophil_track_peak_h = 0.0;
  double neutrophil_track_peak = 0.0;  ///< track mean of N at its peak
  double macrophage_track_peak_h = 0.0;
  double macrophage_track_peak = 0.0;  ///< track mean of M at its peak
  double fibroblast_peak_d = 0.0;
  double fibroblast_peak_ratio = 0.0;  ///< track F / its homeostatic level at the peak
  std::optional<double> fibroblast_recovered_d;
  double redness_peak_h = 0.0;
  double redness_peak = 0.0;
  std::optional<double> redness_resolved_h;
  double swelling_peak_h = 0.0;
  double swelling_peak = 0.0;
  std::optional<double> swelling_resolved_h;
  std::optional<double> epidermis_closed_h;
  CollagenGain collagen_papillary{};  ///< at window_end_h
  CollagenGain collagen_dermis{};     ///< at window_end_h
};

/// @brief The metrics of a run. The timeline values are those of the first session (empty
/// without sessions); every session's are in `sessions`.
struct Metrics {
  std::optional<double> neutrophil_peak_h;
  std::optional<double> macrophage_peak_h;
  std::optional<double> fibroblast_peak_d;
  std::optional<double> fibroblast_peak_ratio;
  std::optional<double> fibroblast_recovered_d;
  std::optional<double> redness_peak_h;
  std::optional<double> redness_resolved_h;
  std::optional<double> swelling_resolved_h;
  std::optional<double> epidermis_closed_h;
  CollagenGain collagen_gain_papillary{};  ///< at the end of the run
  CollagenGain collagen_gain_dermis{};     ///< at the end of the run
  double scar_index_pct = 0.0;             ///< at the end of the run
  double scar_index_peak_pct = 0.0;        ///< largest sampled value
  std::vector<SessionMetrics> sessions;
};

/// @brief Metrics from a series of observables.
/// @param[in] series samples in time order; at a session time the sample taken before the
///            session (sessions_applied = s) comes before the one after it (s + 1)
/// @param[in] session_times_h the session times of the run
/// @pre series non-empty and in time order (throws core::InputError)
Metrics compute_metrics(std::span<const Observables> series,
                        std::span<const double> session_times_h);

}  // namespace microheal::simulation
