#include "run_recorder.hpp"

#include <string>

#include "microheal/core/error.hpp"

namespace microheal::app {

namespace {

using simulation::Observables;

constexpr std::size_t packed_size =
    2 + geometry::num_layers * model::num_species + 3 * model::num_species + 3 + 2 * 3 + 1;
// A member added to Observables must be added to pack/unpack too, or a resumed run would lose it;
// this trips when the struct grows (the int is padded to 8 bytes).
static_assert(sizeof(Observables) == packed_size * sizeof(double),
              "Observables changed: update pack_observables and unpack_observables");

std::vector<simulation::Column> profile_columns() {
  return {{"time_h", "h"},          {"depth_mm", "mm"},         {"new_collagen", "1"},
          {"mature_collagen", "1"}, {"baseline_collagen", "1"}, {"relative_collagen", "1"}};
}

void save_table(const simulation::TimeSeriesTable& table, const std::string& name,
                io::CheckpointState& state) {
  std::vector<double> values;
  values.reserve(table.num_rows() * table.columns().size());
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    const auto row = table.row(r);
    values.insert(values.end(), row.begin(), row.end());
  }
  state.float64_arrays[name] = std::move(values);
}

void load_table(simulation::TimeSeriesTable& table, const std::string& name,
                const io::CheckpointState& state) {
  const auto it = state.float64_arrays.find(name);
  const std::size_t width = table.columns().size();
  if (it == state.float64_arrays.end() || it->second.size() % width != 0) {
    throw core::InputError("checkpoint: the array '" + name + "' is missing or has a wrong size");
  }
  for (std::size_t at = 0; at < it->second.size(); at += width)
    table.add_row(
        std::vector<double>(it->second.begin() + static_cast<std::ptrdiff_t>(at),
                            it->second.begin() + static_cast<std::ptrdiff_t>(at + width)));
}

}  // namespace

std::size_t packed_observables_size() {
  return packed_size;
}

std::vector<double> pack_observables(const Observables& o) {
  std::vector<double> v;
  v.reserve(packed_size);
  v.push_back(o.time_h);
  v.push_back(static_cast<double>(o.sessions_applied));
  for (const auto& layer : o.layer_mean)
    v.insert(v.end(), layer.begin(), layer.end());
  v.insert(v.end(), o.block_mean.begin(), o.block_mean.end());
  v.insert(v.end(), o.track_mean.begin(), o.track_mean.end());
  v.insert(v.end(), o.track_baseline.begin(), o.track_baseline.end());
  v.push_back(o.track_epidermis_keratinocytes);
  v.push_back(o.redness_index);
  v.push_back(o.swelling_index);
  for (const simulation::CollagenBiopsy* b : {&o.papillary, &o.dermis}) {
    v.push_back(b->new_collagen);
    v.push_back(b->mature_collagen);
    v.push_back(b->baseline);
  }
  v.push_back(o.scar_index_pct);
  return v;
}

Observables unpack_observables(std::span<const double> v) {
  if (v.size() != packed_size)
    throw core::InputError("checkpoint: packed observables of the wrong size");
  Observables o;
  std::size_t at = 0;
  o.time_h = v[at++];
  o.sessions_applied = static_cast<int>(v[at++]);
  for (auto& layer : o.layer_mean) {
    for (double& x : layer)
      x = v[at++];
  }
  for (double& x : o.block_mean)
    x = v[at++];
  for (double& x : o.track_mean)
    x = v[at++];
  for (double& x : o.track_baseline)
    x = v[at++];
  o.track_epidermis_keratinocytes = v[at++];
  o.redness_index = v[at++];
  o.swelling_index = v[at++];
  for (simulation::CollagenBiopsy* b : {&o.papillary, &o.dermis}) {
    b->new_collagen = v[at++];
    b->mature_collagen = v[at++];
    b->baseline = v[at++];
  }
  o.scar_index_pct = v[at++];
  return o;
}

RunRecorder::RunRecorder(const simulation::Simulation& simulation)
    : _calculator(simulation),
      _outputs(simulation::observables_columns()),
      _profiles(profile_columns()) {}

void RunRecorder::record(const simulation::Simulation& simulation,
                         const simulation::Observation& observation) {
  _series.push_back(_calculator.compute(simulation));
  if (!observation.output)
    return;
  _outputs.add_row(simulation::observables_row(_series.back()));
  for (const simulation::CollagenDepthSample& plane :
       _calculator.collagen_depth_profile(simulation)) {
    _profiles.add_row({observation.time_h, plane.depth_mm, plane.new_collagen,
                       plane.mature_collagen, plane.baseline, plane.relative()});
  }
}

void RunRecorder::save(io::CheckpointState& state) const {
  std::vector<double> series;
  series.reserve(_series.size() * packed_size);
  for (const Observables& o : _series) {
    const std::vector<double> packed = pack_observables(o);
    series.insert(series.end(), packed.begin(), packed.end());
  }
  state.float64_arrays["recorder.series"] = std::move(series);
  save_table(_outputs, "recorder.outputs", state);
  save_table(_profiles, "recorder.profiles", state);
}

void RunRecorder::load(const io::CheckpointState& state) {
  const auto it = state.float64_arrays.find("recorder.series");
  if (it == state.float64_arrays.end() || it->second.size() % packed_size != 0)
    throw core::InputError("checkpoint: the recorded series is missing or has a wrong size");
  _series.clear();
  for (std::size_t at = 0; at < it->second.size(); at += packed_size)
    _series.push_back(unpack_observables(std::span(it->second).subspan(at, packed_size)));
  _outputs = simulation::TimeSeriesTable(simulation::observables_columns());
  _profiles = simulation::TimeSeriesTable(profile_columns());
  load_table(_outputs, "recorder.outputs", state);
  load_table(_profiles, "recorder.profiles", state);
}

}  // namespace microheal::app
