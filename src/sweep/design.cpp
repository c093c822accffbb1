#include "microheal/sweep/design.hpp"

#include <algorithm>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <map>
#include <random>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/core/hash.hpp"
#include "portable_random.hpp"

namespace microheal::sweep {

namespace {

/// The largest double below 1: a coordinate that rounds up to 1 is pulled back inside [0, 1).
double below_one(double u) {
  return std::min(u, std::nextafter(1.0, 0.0));
}

/// Sobol coordinates (64-bit words) to [0, 1): the top 53 bits.
double unit_of_word(std::uint64_t word) {
  constexpr double two_to_minus_53 = 0x1.0p-53;
  return static_cast<double>(word >> 11U) * two_to_minus_53;
}

std::vector<std::vector<double>> latin_hypercube(std::size_t samples, std::size_t axes,
                                                 std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> unit(samples, std::vector<double>(axes));
  std::vector<std::size_t> stratum(samples);
  const double n = static_cast<double>(samples);
  for (std::size_t a = 0; a < axes; ++a) {
    for (std::size_t i = 0; i < samples; ++i)
      stratum[i] = i;
    // Fisher-Yates from the back, then one jitter per point within its stratum.
    for (std::size_t i = samples; i > 1; --i)
      std::swap(stratum[i - 1], stratum[draw_below(rng, i)]);
    for (std::size_t i = 0; i < samples; ++i)
      unit[i][a] = below_one((static_cast<double>(stratum[i]) + unit_draw(rng)) / n);
  }
  return unit;
}

/// Rows of A and B: N points of the 2d-dimensional Sobol sequence (Boost starts after the zero
/// point), each coordinate XOR-ed with a seeded random word. A digital shift keeps the sequence's
/// net structure, so the estimators keep their quasi-Monte Carlo convergence, and different seeds
/// give independent randomisations for checking an estimate.
std::vector<std::vector<double>> shifted_sobol(std::size_t samples, std::size_t dimensions,
                                               std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> shift(dimensions);
  for (std::uint64_t& s : shift)
    s = rng();
  boost::random::sobol engine(dimensions);
  std::vector<std::vector<double>> unit(samples, std::vector<double>(dimensions));
  for (std::vector<double>& point : unit) {
    for (std::size_t k = 0; k < dimensions; ++k)
      point[k] = unit_of_word(static_cast<std::uint64_t>(engine()) ^ shift[k]);
  }
  return unit;
}

std::string hex64(std::uint64_t value) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out(16, '0');
  for (std::size_t i = 0; i < 16; ++i)
    out[15 - i] = digits[(value >> (4U * i)) & 0xFU];
  return out;
}

/// Builds the cases of a design, merging points whose values are equal.
class CaseBuilder {
 public:
  CaseBuilder(const SweepSpec& spec, Design& design) : _spec(spec), _design(design) {
    for (const FixedValue& fixed : spec.fixed)
      _fixed.push_back(assignment(fixed.key, fixed.value));
  }

  void add(DesignPoint point, std::vector<scenario::Value> values) {
    std::vector<Override> overrides;
    std::vector<std::string> assignments = _fixed;
    for (std::size_t a = 0; a < values.size(); ++a) {
      assignments.push_back(assignment(_spec.axes[a].key, values[a]));
      overrides.push_back({_spec.axes[a].key, std::move(values[a])});
    }
    std::string id = case_id(std::move(assignments));
    const auto [it, inserted] = _index.emplace(id, _design.cases.size());
    if (inserted)
      _design.cases.push_back({std::move(id), std::move(overrides)});
    point.case_index = it->second;
    _design.points.push_back(std::move(point));
  }

 private:
  const SweepSpec& _spec;
  Design& _design;
  std::vector<std::string> _fixed;
  std::map<std::string, std::size_t> _index;
};

std::vector<scenario::Value> values_at(const std::vector<Axis>& axes,
                                       const std::vector<double>& unit) {
  std::vector<scenario::Value> values;
  for (std::size_t a = 0; a < axes.size(); ++a)
    values.push_back(axis_value_at(axes[a], unit[a]));
  return values;
}

void expand_factorial(const SweepSpec& spec, Design& design, CaseBuilder& builder) {
  std::vector<std::vector<scenario::Value>> levels;
  std::size_t points = 1;
  for (const Axis& axis : spec.axes) {
    levels.push_back(axis_levels(axis));
    points *= levels.back().size();
  }
  design.points.reserve(points);
  std::vector<std::size_t> level(spec.axes.size(), 0);
  for (std::size_t p = 0; p < points; ++p) {
    // Mixed-radix digits of p, the last axis fastest.
    std::size_t rest = p;
    for (std::size_t a = spec.axes.size(); a-- > 0;) {
      level[a] = rest % levels[a].size();
      rest /= levels[a].size();
    }
    DesignPoint point;
    std::vector<scenario::Value> values;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const double m = static_cast<double>(levels[a].size());
      point.unit.push_back((static_cast<double>(level[a]) + 0.5) / m);
      values.push_back(levels[a][level[a]]);
    }
    builder.add(std::move(point), std::move(values));
  }
}

void expand_latin_hypercube(const SweepSpec& spec, CaseBuilder& builder) {
  for (std::vector<double>& unit : latin_hypercube(spec.samples, spec.axes.size(), spec.seed)) {
    DesignPoint point;
    std::vector<scenario::Value> values = values_at(spec.axes, unit);
    point.unit = std::move(unit);
    builder.add(std::move(point), std::move(values));
  }
}

void expand_sobol(const SweepSpec& spec, Design& design, CaseBuilder& builder) {
  const std::size_t d = spec.axes.size();
  const std::vector<std::vector<double>> rows = shifted_sobol(spec.samples, 2 * d, spec.seed);
  design.groups = spec.samples;
  for (std::size_t j = 0; j < spec.samples; ++j) {
    const std::vector<double> a(rows[j].begin(), rows[j].begin() + static_cast<std::ptrdiff_t>(d));
    const std::vector<double> b(rows[j].begin() + static_cast<std::ptrdiff_t>(d), rows[j].end());
    const auto add = [&](std::vector<double> unit, SaltelliRole role, std::size_t axis) {
      DesignPoint point;
      std::vector<scenario::Value> values = values_at(spec.axes, unit);
      point.unit = std::move(unit);
      point.group = j;
      point.role = role;
      point.swapped_axis = axis;
      builder.add(std::move(point), std::move(values));
    };
    add(a, SaltelliRole::a, 0);
    add(b, SaltelliRole::b, 0);
    for (std::size_t i = 0; i < d; ++i) {
      std::vector<double> ab = a;
      ab[i] = b[i];
      add(std::move(ab), SaltelliRole::ab, i);
    }
  }
}

}  // namespace

std::vector<scenario::Value> axis_levels(const Axis& axis) {
  if (axis.spacing == AxisSpacing::list)
    return axis.values;
  if (axis.count == 0) {
    throw core::InputError(axis.key +
                           ": a factorial design needs count, the number of points to take");
  }
  std::vector<scenario::Value> levels;
  const bool log = axis.spacing == AxisSpacing::logarithmic;
  const double lo = log ? std::log(axis.from) : axis.from;
  const double hi = log ? std::log(axis.to) : axis.to;
  for (std::size_t k = 0; k < axis.count; ++k) {
    double x = axis.from;
    if (k + 1 == axis.count && axis.count > 1) {
      x = axis.to;  // exact ends, whatever the rounding in between
    } else if (k > 0) {
      const double t = static_cast<double>(k) / static_cast<double>(axis.count - 1);
      x = log ? std::exp(lo + t * (hi - lo)) : lo + t * (hi - lo);
    }
    if (axis.integer) {
      const double whole = std::round(x);
      if (std::abs(x - whole) > 1e-9 * std::max(1.0, std::abs(x))) {
        throw core::InputError(axis.key + " takes integers, but point " + std::to_string(k) +
                               " of this " + (log ? "logspace" : "linspace") + " is " +
                               scenario::toml_value_text(scenario::Value(x)) +
                               "; choose count so that the points are whole, or give values");
      }
      levels.emplace_back(static_cast<std::int64_t>(whole));
    } else {
      levels.emplace_back(x);
    }
  }
  return levels;
}

std::size_t discrete_levels(const Axis& axis) {
  return axis.spacing == AxisSpacing::list ? axis.values.size() : 0;
}

scenario::Value axis_value_at(const Axis& axis, double u) {
  switch (axis.spacing) {
    case AxisSpacing::list: {
      const double m = static_cast<double>(axis.values.size());
      const auto k = std::min(axis.values.size() - 1, static_cast<std::size_t>(std::floor(u * m)));
      return axis.values[k];
    }
    case AxisSpacing::linear:
      return axis.from + u * (axis.to - axis.from);
    case AxisSpacing::logarithmic:
      return std::exp(std::log(axis.from) + u * (std::log(axis.to) - std::log(axis.from)));
  }
  return axis.from;
}

std::string case_id(std::vector<std::string> assignments) {
  std::sort(assignments.begin(), assignments.end());
  std::uint64_t hash = core::fnv1a64_basis;
  for (const std::string& line : assignments)
    hash = core::fnv1a64("\n", core::fnv1a64(line, hash));
  return hex64(hash);
}

std::vector<std::string> case_assignments(const SweepSpec& spec, const Case& c) {
  std::vector<std::string> out;
  for (const FixedValue& fixed : spec.fixed)
    out.push_back(assignment(fixed.key, fixed.value));
  for (const Override& o : c.overrides)
    out.push_back(assignment(o.key, o.value));
  out.push_back(assignment("output.snapshots", scenario::Value(spec.fields)));
  return out;
}

Design expand(const SweepSpec& spec) {
  Design design;
  design.sampler = spec.sampler;
  design.axes = spec.axes;
  CaseBuilder builder(spec, design);
  switch (spec.sampler) {
    case Sampler::factorial:
      expand_factorial(spec, design, builder);
      break;
    case Sampler::latin_hypercube:
      expand_latin_hypercube(spec, builder);
      break;
    case Sampler::sobol:
      expand_sobol(spec, design, builder);
      break;
  }
  return design;
}

}  // namespace microheal::sweep
