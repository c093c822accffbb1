#include "microheal/simulation/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <optional>
#include <string>

#include "microheal/core/error.hpp"

namespace microheal::simulation {

namespace {

struct Peak {
  double time_h = 0.0;
  double value = 0.0;
  std::size_t sample = 0;
};

/// Maximum of y(t), refined by the vertex of the parabola through the largest sample and its
/// neighbours (the sample itself at either end or where the three are not concave). NaN samples
/// are skipped by the search.
Peak find_peak(const std::vector<double>& t, const std::vector<double>& y) {
  std::size_t largest = 0;
  bool found = false;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isnan(y[i]) && (!found || y[i] > y[largest])) {
      largest = i;
      found = true;
    }
  }
  if (!found)
    return {t.front(), not_a_number, 0};
  if (largest == 0 || largest + 1 >= y.size() || std::isnan(y[largest - 1]) ||
      std::isnan(y[largest + 1])) {
    return {t[largest], y[largest], largest};
  }
  const double t0 = t[largest - 1], t1 = t[largest], t2 = t[largest + 1];
  const double y0 = y[largest - 1], y1 = y[largest], y2 = y[largest + 1];
  const double s01 = (y1 - y0) / (t1 - t0);
  const double s12 = (y2 - y1) / (t2 - t1);
  const double curvature = (s12 - s01) / (t2 - t0);
  if (!(curvature < 0.0))
    return {t1, y1, largest};
  // y(t) = y1 + s01 (t - t1) + curvature (t - t1)(t - t0); y'(vertex) = 0.
  const double vertex = 0.5 * (t1 + t0) - s01 / (2.0 * curvature);
  const double value = y1 + s01 * (vertex - t1) + curvature * (vertex - t1) * (vertex - t0);
  return {vertex, value, largest};
}

/// First time after sample @p from at which y crosses to the side given by @p beyond of
/// @p level, linearly interpolated; empty if it never does.
std::optional<double> crossing(const std::vector<double>& t, const std::vector<double>& y,
                               std::size_t from, double level,
                               const std::function<bool(double, double)>& beyond) {
  for (std::size_t i = from; i < y.size(); ++i) {
    if (std::isnan(y[i]) || !beyond(y[i], level))
      continue;
    if (i == from || std::isnan(y[i - 1]))
      return t[i];
    const double y0 = y[i - 1];
    return t[i - 1] + (t[i] - t[i - 1]) * (y0 - level) / (y0 - y[i]);
  }
  return std::nullopt;
}

CollagenGain gain(const CollagenBiopsy& biopsy) {
  return {biopsy.gain_pct(), biopsy.new_pct(), biopsy.mature_pct()};
}

SessionMetrics session_metrics(int session, double start_h,
                               const std::vector<const Observables*>& window) {
  using model::Species;
  std::vector<double> t, neutrophils, macrophages, track_neutrophils, track_macrophages;
  std::vector<double> fibroblasts, redness, swelling, closure;
  for (const Observables* o : window) {
    t.push_back(o->time_h - start_h);
    neutrophils.push_back(o->block_mean[model::index(Species::neutrophils)]);
    macrophages.push_back(o->block_mean[model::index(Species::macrophages)]);
    track_neutrophils.push_back(o->track_mean[model::index(Species::neutrophils)]);
    track_macrophages.push_back(o->track_mean[model::index(Species::macrophages)]);
    fibroblasts.push_back(o->track_ratio(Species::fibroblasts));
    redness.push_back(o->redness_index);
    swelling.push_back(o->swelling_index);
    closure.push_back(o->track_epidermis_keratinocytes);
  }
  const auto below = [](double y, double level) { return y < level; };
  const auto at_or_above = [](double y, double level) { return y >= level; };

  SessionMetrics m;
  m.session = session;
  m.time_h = start_h;
  m.window_end_h = window.back()->time_h;
  const Peak n = find_peak(t, neutrophils);
  m.neutrophil_peak_h = n.time_h;
  m.neutrophil_peak = n.value;
  const Peak mac = find_peak(t, macrophages);
  m.macrophage_peak_h = mac.time_h;
  m.macrophage_peak = mac.value;
  const Peak n_track = find_peak(t, track_neutrophils);
  m.neutrophil_track_peak_h = n_track.time_h;
  m.neutrophil_track_peak = n_track.value;
  const Peak m_track = find_peak(t, track_macrophages);
  m.macrophage_track_peak_h = m_track.time_h;
  m.macrophage_track_peak = m_track.value;
  const Peak f = find_peak(t, fibroblasts);
  m.fibroblast_peak_d = f.time_h / 24.0;
  m.fibroblast_peak_ratio = f.value;
  if (const auto back = crossing(t, fibroblasts, f.sample + 1, 1.2, below))
    m.fibroblast_recovered_d = *back / 24.0;
  const Peak e = find_peak(t, redness);
  m.redness_peak_h = e.time_h;
  m.redness_peak = e.value;
  m.redness_resolved_h = crossing(t, redness, e.sample + 1, 0.1 * e.value, below);
  const Peak w = find_peak(t, swelling);
  m.swelling_peak_h = w.time_h;
  m.swelling_peak = w.value;
  m.swelling_resolved_h = crossing(t, swelling, w.sample + 1, 0.1 * w.value, below);
  m.epidermis_closed_h = crossing(t, closure, 0, 0.8, at_or_above);
  m.collagen_papillary = gain(window.back()->papillary);
  m.collagen_dermis = gain(window.back()->dermis);
  return m;
}

}  // namespace

Metrics compute_metrics(std::span<const Observables> series,
                        std::span<const double> session_times_h) {
  if (series.empty())
    throw core::InputError("metrics: the series of observables is empty");
  for (std::size_t i = 1; i < series.size(); ++i) {
    if (series[i].time_h < series[i - 1].time_h) {
      throw core::InputError("metrics: the series is not in time order at sample " +
                             std::to_string(i));
    }
  }
  Metrics metrics;
  for (std::size_t s = 0; s < session_times_h.size(); ++s) {
    // The window of session s: every sample taken with s + 1 sessions applied, i.e. from just
    // after the session to just before the next one (or the end).
    std::vector<const Observables*> window;
    for (const Observables& o : series) {
      if (o.sessions_applied == static_cast<int>(s) + 1)
        window.push_back(&o);
    }
    if (window.size() < 2)
      continue;
    metrics.sessions.push_back(session_metrics(static_cast<int>(s), session_times_h[s], window));
  }
  if (!metrics.sessions.empty() && metrics.sessions.front().session == 0) {
    const SessionMetrics& first = metrics.sessions.front();
    metrics.neutrophil_peak_h = first.neutrophil_peak_h;
    metrics.macrophage_peak_h = first.macrophage_peak_h;
    metrics.fibroblast_peak_d = first.fibroblast_peak_d;
    metrics.fibroblast_peak_ratio = first.fibroblast_peak_ratio;
    metrics.fibroblast_recovered_d = first.fibroblast_recovered_d;
    metrics.redness_peak_h = first.redness_peak_h;
    metrics.redness_resolved_h = first.redness_resolved_h;
    metrics.swelling_resolved_h = first.swelling_resolved_h;
    metrics.epidermis_closed_h = first.epidermis_closed_h;
  }
  metrics.collagen_gain_papillary = gain(series.back().papillary);
  metrics.collagen_gain_dermis = gain(series.back().dermis);
  metrics.scar_index_pct = series.back().scar_index_pct;
  for (const Observables& o : series)
    metrics.scar_index_peak_pct = std::max(metrics.scar_index_peak_pct, o.scar_index_pct);
  return metrics;
}

}  // namespace microheal::simulation
