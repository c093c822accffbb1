#include "microheal/sweep/analysis.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <variant>

#include "csv_text.hpp"
#include "microheal/core/error.hpp"
#include "portable_random.hpp"

namespace microheal::sweep {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// Shortest round-trip text; an empty cell for NaN (a statistic that could not be formed).
std::string number_text(double v) {
  return sweep::number_text(v, "");
}

double numeric(const scenario::Value& value) {
  if (const auto* d = std::get_if<double>(&value))
    return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value))
    return static_cast<double>(*i);
  return nan;
}

std::string value_label(const scenario::Value& value) {
  if (const auto* s = std::get_if<std::string>(&value))
    return *s;
  const double v = numeric(value);
  return std::isnan(v) ? scenario::toml_value_text(value) : number_text(v);
}

/// The points a main effect averages over.
bool counts_for_main_effects(const Design& design, const DesignPoint& point) {
  return design.sampler != Sampler::sobol || point.role != SaltelliRole::ab;
}

/// The estimates of one resample of groups.
struct Estimate {
  std::vector<double> first_order;
  std::vector<double> total;
};

/// The metric on the rows of A, B and AB^(i) of the groups with every value present.
struct SaltelliSample {
  std::vector<double> a;
  std::vector<double> b;
  std::vector<std::vector<double>> ab;  // [axis][group]
};

SaltelliSample saltelli_sample(const Design& design, std::span<const double> case_values) {
  const std::size_t d = design.axes.size();
  const std::size_t n = design.groups;
  std::vector<double> a(n, nan);
  std::vector<double> b(n, nan);
  std::vector<std::vector<double>> ab(d, std::vector<double>(n, nan));
  for (const DesignPoint& point : design.points) {
    const double v = case_values[point.case_index];
    switch (point.role) {
      case SaltelliRole::a:
        a[point.group] = v;
        break;
      case SaltelliRole::b:
        b[point.group] = v;
        break;
      case SaltelliRole::ab:
        ab[point.swapped_axis][point.group] = v;
        break;
    }
  }
  SaltelliSample sample;
  sample.ab.resize(d);
  for (std::size_t j = 0; j < n; ++j) {
    bool complete = std::isfinite(a[j]) && std::isfinite(b[j]);
    for (std::size_t i = 0; i < d; ++i)
      complete = complete && std::isfinite(ab[i][j]);
    if (!complete)
      continue;
    sample.a.push_back(a[j]);
    sample.b.push_back(b[j]);
    for (std::size_t i = 0; i < d; ++i)
      sample.ab[i].push_back(ab[i][j]);
  }
  return sample;
}

/// Saltelli 2010 (first order) and Jansen 1999 (total) over the groups @p rows (with repeats for
/// a bootstrap resample).
Estimate estimate(const SaltelliSample& s, std::span<const std::size_t> rows) {
  const std::size_t d = s.ab.size();
  Estimate e{std::vector<double>(d, nan), std::vector<double>(d, nan)};
  const double n = static_cast<double>(rows.size());
  if (rows.size() < 2)
    return e;
  double mean = 0.0;
  for (const std::size_t j : rows)
    mean += s.a[j] + s.b[j];
  mean /= 2.0 * n;
  double variance = 0.0;
  for (const std::size_t j : rows)
    variance += (s.a[j] - mean) * (s.a[j] - mean) + (s.b[j] - mean) * (s.b[j] - mean);
  variance /= 2.0 * n;
  // A metric that does not vary (or barely, at round-off) has no indices.
  if (!(variance > 1e-28 * std::max(1.0, mean * mean)))
    return e;
  for (std::size_t i = 0; i < d; ++i) {
    double first = 0.0;
    double total = 0.0;
    for (const std::size_t j : rows) {
      first += s.b[j] * (s.ab[i][j] - s.a[j]);
      total += (s.a[j] - s.ab[i][j]) * (s.a[j] - s.ab[i][j]);
    }
    e.first_order[i] = first / n / variance;
    e.total[i] = total / (2.0 * n) / variance;
  }
  return e;
}

/// The @p q quantile of sorted @p values (nearest rank); NaN when empty.
double quantile(std::vector<double> values, double q) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty())
    return nan;
  std::sort(values.begin(), values.end());
  const double rank = q * static_cast<double>(values.size() - 1);
  return values[static_cast<std::size_t>(std::lround(rank))];
}

}  // namespace

std::vector<MainEffectLevel> main_effects(const Design& design,
                                          std::span<const double> case_values) {
  if (case_values.size() != design.cases.size())
    throw core::RunError("main_effects: one value per case is needed");
  std::size_t used_points = 0;
  for (const DesignPoint& point : design.points)
    used_points += counts_for_main_effects(design, point) ? 1 : 0;
  const auto bins = static_cast<std::size_t>(
      std::clamp(std::floor(std::sqrt(static_cast<double>(used_points))), 2.0, 10.0));
  std::vector<MainEffectLevel> out;
  for (std::size_t a = 0; a < design.axes.size(); ++a) {
    const Axis& axis = design.axes[a];
    std::vector<scenario::Value> levels;
    if (design.sampler == Sampler::factorial)
      levels = axis_levels(axis);
    else if (discrete_levels(axis) > 0)
      levels = axis.values;
    const bool discrete = !levels.empty();
    const std::size_t m = discrete ? levels.size() : bins;
    std::vector<double> sum(m, 0.0);
    std::vector<std::size_t> count(m, 0);
    for (const DesignPoint& point : design.points) {
      const double v = case_values[point.case_index];
      if (!counts_for_main_effects(design, point) || std::isnan(v))
        continue;
      const auto level = std::min(
          m - 1, static_cast<std::size_t>(std::floor(point.unit[a] * static_cast<double>(m))));
      sum[level] += v;
      ++count[level];
    }
    for (std::size_t l = 0; l < m; ++l) {
      MainEffectLevel level;
      level.axis = a;
      level.level = l;
      if (discrete) {
        level.label = value_label(levels[l]);
        level.low = level.high = numeric(levels[l]);
      } else {
        level.low = numeric(axis_value_at(axis, static_cast<double>(l) / static_cast<double>(m)));
        level.high =
            numeric(axis_value_at(axis, static_cast<double>(l + 1) / static_cast<double>(m)));
        // Built piece by piece: g++ 12 reports a false -Wrestrict on "[" + std::string.
        std::string label(1, '[');
        label += number_text(level.low);
        label += ", ";
        label += number_text(level.high);
        label += ')';
        level.label = std::move(label);
      }
      level.cases = count[l];
      level.mean = count[l] > 0 ? sum[l] / static_cast<double>(count[l]) : nan;
      out.push_back(std::move(level));
    }
  }
  return out;
}

std::vector<SobolIndex> sobol_indices(const Design& design, std::span<const double> case_values,
                                      const SobolOptions& options) {
  if (design.sampler != Sampler::sobol) {
    throw core::InputError(
        "Sobol indices need a Sobol design (design = \"sobol\"), which runs Saltelli's A, B and "
        "AB matrices; this sweep is " +
        std::string(sampler_name(design.sampler)) + " (main effects are available)");
  }
  if (case_values.size() != design.cases.size())
    throw core::RunError("sobol_indices: one value per case is needed");
  const SaltelliSample sample = saltelli_sample(design, case_values);
  const std::size_t n = sample.a.size();
  std::vector<std::size_t> rows(n);
  for (std::size_t j = 0; j < n; ++j)
    rows[j] = j;
  const Estimate point = estimate(sample, rows);
  const std::size_t d = design.axes.size();
  std::vector<std::vector<double>> first(d);
  std::vector<std::vector<double>> total(d);
  std::mt19937_64 rng(options.seed);
  for (std::size_t r = 0; r < options.bootstrap && n >= 2; ++r) {
    for (std::size_t& j : rows)
      j = static_cast<std::size_t>(draw_below(rng, n));
    const Estimate e = estimate(sample, rows);
    for (std::size_t i = 0; i < d; ++i) {
      first[i].push_back(e.first_order[i]);
      total[i].push_back(e.total[i]);
    }
  }
  std::vector<SobolIndex> out;
  for (std::size_t i = 0; i < d; ++i) {
    SobolIndex index;
    index.axis = i;
    index.first_order = point.first_order[i];
    index.total = point.total[i];
    index.first_order_low = quantile(first[i], 0.025);
    index.first_order_high = quantile(first[i], 0.975);
    index.total_low = quantile(total[i], 0.025);
    index.total_high = quantile(total[i], 0.975);
    index.groups = n;
    out.push_back(index);
  }
  return out;
}

std::string main_effects_csv(const Design& design, const SummaryTable& table) {
  std::ostringstream out;
  out << "metric,axis,level,value,low,high,cases,mean,effect\n";
  for (std::size_t m = 0; m < table.metric_names.size(); ++m) {
    const std::vector<MainEffectLevel> levels = main_effects(design, table.metric_column(m));
    for (std::size_t a = 0; a < design.axes.size(); ++a) {
      double lo = std::numeric_limits<double>::infinity();
      double hi = -std::numeric_limits<double>::infinity();
      for (const MainEffectLevel& level : levels) {
        if (level.axis == a && !std::isnan(level.mean)) {
          lo = std::min(lo, level.mean);
          hi = std::max(hi, level.mean);
        }
      }
      const double effect = lo <= hi ? hi - lo : nan;
      for (const MainEffectLevel& level : levels) {
        if (level.axis != a)
          continue;
        out << csv_field(table.metric_names[m]) << ',' << csv_field(design.axes[a].key) << ','
            << level.level << ',' << csv_field(level.label) << ',' << number_text(level.low) << ','
            << number_text(level.high) << ',' << level.cases << ',' << number_text(level.mean)
            << ',' << number_text(effect) << '\n';
      }
    }
  }
  return out.str();
}

std::string sobol_indices_csv(const Design& design, const SummaryTable& table,
                              const SobolOptions& options) {
  std::ostringstream out;
  out << "metric,axis,S1,S1_low,S1_high,ST,ST_low,ST_high,groups,bootstrap\n";
  for (std::size_t m = 0; m < table.metric_names.size(); ++m) {
    for (const SobolIndex& s : sobol_indices(design, table.metric_column(m), options)) {
      out << csv_field(table.metric_names[m]) << ',' << csv_field(design.axes[s.axis].key) << ','
          << number_text(s.first_order) << ',' << number_text(s.first_order_low) << ','
          << number_text(s.first_order_high) << ',' << number_text(s.total) << ','
          << number_text(s.total_low) << ',' << number_text(s.total_high) << ',' << s.groups << ','
          << options.bootstrap << '\n';
    }
  }
  return out.str();
}

}  // namespace microheal::sweep
