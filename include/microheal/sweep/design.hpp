#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "microheal/scenario/key_registry.hpp"
#include "microheal/sweep/sweep_spec.hpp"

/// @file
/// @brief The cases of a sweep: the design points of its sampler, each a position in the unit
/// hypercube (one coordinate per axis) and the values it gives, and the distinct cases they run,
/// each with a stable id derived from its overrides.
///
/// Ids: FNV-1a (64 bit) over the case's overrides (fixed values and axis values) as sorted
/// "key=value" lines, numbers in their shortest round-trip form, written as 16 hex digits. The
/// same overrides give the same id on any machine and in any order of the axes, so a re-run, a
/// resumed sweep or a Slurm task finds the same case folders.

namespace microheal::sweep {

/// @brief The values a factorial design takes on @p axis: the list, or the `count` points of a
/// linspace/logspace (both ends included; integer keys get std::int64_t values).
/// @throws core::InputError when an integer key's linspace/logspace gives a fraction, or a
///         linspace/logspace has no count
std::vector<scenario::Value> axis_levels(const Axis& axis);

/// @brief The number of values an axis has for the samplers' discrete use: a list's size; 0 for a
/// linspace/logspace (continuous).
std::size_t discrete_levels(const Axis& axis);

/// @brief The value a sampler's coordinate @p u in [0, 1) gives on @p axis (see Axis).
scenario::Value axis_value_at(const Axis& axis, double u);

/// @brief An axis key and its value in one case.
struct Override {
  std::string key;
  scenario::Value value;
  friend bool operator==(const Override&, const Override&) = default;
};

/// @brief One simulation of the sweep.
struct Case {
  std::string id;                   ///< 16 hex digits, see case_id()
  std::vector<Override> overrides;  ///< axis values, in axis order
};

/// @brief Where a design point sits in Saltelli's scheme (Sobol designs).
enum class SaltelliRole {
  a,   ///< row of matrix A
  b,   ///< row of matrix B
  ab,  ///< row of A with the column of one axis taken from B
};

/// @brief One point of the design.
struct DesignPoint {
  std::vector<double> unit;    ///< position in [0, 1)^axes (factorial: level centres)
  std::size_t case_index = 0;  ///< the case it runs (points with equal values share one)
  std::size_t group = 0;       ///< Sobol designs: the row j of A and B it belongs to
  SaltelliRole role = SaltelliRole::a;
  std::size_t swapped_axis = 0;  ///< role ab: the axis whose column comes from B
};

/// @brief A sweep's design: its points and the distinct cases they run.
///
/// Order: factorial points run through the axes like nested loops, the last axis fastest;
/// Latin hypercube points in sampling order; Sobol points group by group as A_j, B_j,
/// AB_j^(1), ..., AB_j^(d). Cases are numbered in order of their first point.
struct Design {
  Sampler sampler = Sampler::factorial;
  std::vector<Axis> axes;
  std::vector<DesignPoint> points;
  std::vector<Case> cases;
  std::size_t groups = 0;  ///< Sobol designs: N (rows of A and B)
};

/// @brief Expand @p spec into its design. Deterministic: the same spec gives the same design on
/// every machine (the Latin hypercube draws from std::mt19937_64 through portable code; the Sobol
/// points come from Boost.Random's sobol engine with a digital shift from std::mt19937_64).
Design expand(const SweepSpec& spec);

/// @brief The id of a case whose overrides (fixed and axis values) are @p assignments
/// ("key=value" as assignment() writes them, in any order).
std::string case_id(std::vector<std::string> assignments);

/// @brief Every override of case @p c, as `--set` takes them: the fixed values, then the axis
/// values, then output.snapshots (from spec.fields).
std::vector<std::string> case_assignments(const SweepSpec& spec, const Case& c);

}  // namespace microheal::sweep
