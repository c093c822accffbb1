#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "microheal/sweep/design.hpp"
#include "microheal/sweep/summary.hpp"

/// @file
/// @brief What a sweep says about its axes: main effects (any design) and first-order and total
/// Sobol indices (Sobol designs).
///
/// Main effects: the mean of a metric over the cases at each level of an axis, all other axes
/// averaged out. Levels are an axis's values when it has discrete ones (factorial designs, and
/// `values` axes of the samplers); a continuous axis of a sampler is cut into equal bins of its
/// unit coordinate (clamp(floor(sqrt(points)), 2, 10) bins; on a logspace axis the bins are
/// equal in the logarithm). A Sobol design uses its A and B points (the AB points are not an
/// independent sample).
///
/// Sobol indices, from Saltelli's A, B and AB^(i) matrices with N rows: with f_A, f_B, f_ABi the
/// metric on their rows and V the variance of f over the rows of A and B together,
///   first order (Saltelli et al. 2010, eq. (b) of table 2):
///     S_i  = (1/N) sum_j f_B,j (f_ABi,j - f_A,j) / V
///   total (Jansen 1999):
///     ST_i = (1/(2N)) sum_j (f_A,j - f_ABi,j)^2 / V.
/// A group j (the rows A_j, B_j, AB_j^(i) for every i) with a missing value (failed case, metric
/// not reached) is left out for that metric; the number of groups used is reported. Confidence
/// intervals: percentile bootstrap over the groups.

namespace microheal::sweep {

/// @brief The mean of a metric at one level of one axis.
struct MainEffectLevel {
  std::size_t axis = 0;   ///< index into Design::axes
  std::size_t level = 0;  ///< level (or bin) number
  std::string label;      ///< the value (discrete) or "[low, high)" of the bin
  double low = 0.0;       ///< numeric value or bin edges (NaN for non-numeric values)
  double high = 0.0;
  std::size_t cases = 0;  ///< design points with a value at this level
  double mean = 0.0;      ///< NaN when cases == 0
};

/// @brief Main effects of one metric.
/// @param[in] case_values the metric per case (Design::cases order); NaN where missing
std::vector<MainEffectLevel> main_effects(const Design& design,
                                          std::span<const double> case_values);

/// @brief First-order and total Sobol indices of one metric with respect to one axis.
struct SobolIndex {
  std::size_t axis = 0;
  double first_order = 0.0;      ///< S_i (NaN when the metric does not vary)
  double first_order_low = 0.0;  ///< bootstrap 95 % interval
  double first_order_high = 0.0;
  double total = 0.0;  ///< ST_i
  double total_low = 0.0;
  double total_high = 0.0;
  std::size_t groups = 0;  ///< N used (groups with every value present)
};

/// @brief Options of sobol_indices().
struct SobolOptions {
  std::size_t bootstrap = 200;  ///< resamples for the intervals (0: intervals are NaN)
  std::uint64_t seed = 0;       ///< of the resampling (std::mt19937_64, portable draws)
};

/// @brief Sobol indices of one metric for every axis.
/// @param[in] case_values the metric per case (Design::cases order); NaN where missing
/// @pre design.sampler == Sampler::sobol (throws core::InputError otherwise)
std::vector<SobolIndex> sobol_indices(const Design& design, std::span<const double> case_values,
                                      const SobolOptions& options = {});

/// @brief main_effects.csv for every metric of @p table: columns metric, axis, level, value,
/// low, high, cases, mean, effect (the range of the level means of that metric and axis).
std::string main_effects_csv(const Design& design, const SummaryTable& table);

/// @brief sobol_indices.csv for every metric of @p table: columns metric, axis, S1, S1_low,
/// S1_high, ST, ST_low, ST_high, groups, bootstrap.
/// @pre design.sampler == Sampler::sobol
std::string sobol_indices_csv(const Design& design, const SummaryTable& table,
                              const SobolOptions& options = {});

}  // namespace microheal::sweep
