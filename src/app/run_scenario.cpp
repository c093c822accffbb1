// run_scenario(): load and check the scenario, prepare the output directory, run the protocol with
// outputs, checkpoints and progress, and write the reports. Nothing is written to disk before
// every input has been checked (exit 2 leaves the disk as it was). `microheal run` and every case
// of a sweep come through here.
#include "run_scenario.hpp"

#include <fmt/core.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "json_writer.hpp"
#include "microheal/core/error.hpp"
#include "microheal/core/hash.hpp"
#include "microheal/core/stage_timer.hpp"
#include "microheal/core/version.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/io/field_writer.hpp"
#include "microheal/io/file_lock.hpp"
#include "microheal/model/species.hpp"
#include "microheal/scenario/scenario.hpp"
#include "microheal/simulation/metrics.hpp"
#include "microheal/simulation/simulation.hpp"
#include "output_directory.hpp"
#include "progress.hpp"
#include "run_checkpoint.hpp"
#include "run_recorder.hpp"
#include "run_reports.hpp"
#include "stop_signals.hpp"
#include "system_info.hpp"

namespace microheal::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double hours_per_day = 24.0;
constexpr double seconds_per_minute = 60.0;

double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double peak_memory_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in kB on Linux
}

/// FNV-1a of the scenario's effective configuration, without the keys a resumed run may change.
std::uint64_t scenario_fingerprint(const scenario::Scenario& s) {
  scenario::Scenario normalised = s;
  normalised.checkpoint_every_min = 0.0;
  return core::fnv1a64(scenario::to_toml(normalised));
}

/// The first line where two texts differ, for "the scenario changed" messages.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a);
  std::istringstream sb(b);
  std::string la;
  std::string lb;
  while (true) {
    const bool ha = static_cast<bool>(std::getline(sa, la));
    const bool hb = static_cast<bool>(std::getline(sb, lb));
    if (!ha && !hb)
      return {};
    if (la != lb || ha != hb)
      return "'" + (ha ? la : "(end)") + "' now, '" + (hb ? lb : "(end)") + "' before";
  }
}

io::SnapshotOptions snapshot_options(const scenario::Scenario& s) {
  io::SnapshotOptions options;
  options.precision = s.output.precision == scenario::FieldPrecision::float64
                          ? io::Precision::float64
                          : io::Precision::float32;
  options.species = s.output.fields;
  options.gzip_level = s.output.gzip_level;
  return options;
}

/// Every needle entry of every session, for figures and analyses that need the tracks: a pure
/// function of the scenario (needle.seed and the session index), so a resumed run keeps it.
std::string punctures_csv(const simulation::Simulation& sim) {
  std::string csv =
      "session [1],time_h [h],pass [1],x_mm [mm],y_mm [mm],needle_length_mm [mm],"
      "effective_depth_mm [mm]\n";
  const std::vector<double> times_h = sim.protocol().session_times_h();
  for (int session = 0; session < sim.protocol().num_sessions(); ++session) {
    const geometry::NeedleSpec needle = sim.protocol().needle_for_session(session);
    for (const geometry::Puncture& p : sim.session_punctures(session)) {
      csv +=
          fmt::format("{},{},{},{},{},{},{}\n", session, times_h[static_cast<std::size_t>(session)],
                      p.pass, p.x_mm, p.y_mm, needle.length_mm, needle.effective_depth_mm());
    }
  }
  return csv;
}

/// The numerical failure as the user needs it: species, voxel (i, j, k), its layer and depth, and
/// the time, from the error's fields.
std::string failure_message(const core::NumericalError& error, const simulation::Simulation& sim,
                            const fs::path& checkpoint, const fs::path& snapshot) {
  std::string where;
  if (const std::optional<core::FieldLocation>& at = error.location()) {
    where = fmt::format(
        ": species '{}' at voxel (i, j, k) = ({}, {}, {}) in the {} (depth {:.3g} mm) "
        "is {}",
        at->species, at->voxel[0], at->voxel[1], at->voxel[2],
        at->layer.empty() ? std::string("?") : at->layer, at->depth_mm, at->value);
  }
  return fmt::format(
      "numerical failure at t = {:.6g} h (day {:.3f}){}. The last good state (t = {:.6g} h) is "
      "kept in '{}' and '{}' (open it in ParaView to see where it goes wrong); a smaller "
      "numerics.rtol or numerics.dt_max_h may help (then start again with --overwrite). "
      "Integrator: {}",
      sim.time_h(), sim.time_h() / hours_per_day, where, sim.time_h(), checkpoint.string(),
      snapshot.string(), error.what());
}

class Run {
 public:
  explicit Run(RunRequest request) : _request(std::move(request)) {}

  RunResult execute();

 private:
  void prepare();
  void observe(const simulation::Simulation& sim, const simulation::Observation& o);
  void checkpoint(const simulation::Simulation& sim);
  void write_reports(const simulation::Simulation& sim, std::string_view status,
                     const std::string& error);
  void write_manifest(const simulation::Simulation& sim, std::string_view status,
                      const std::string& error) const;
  RunResult stopped(const simulation::Simulation& sim, const StopSignals& signals);
  /// The command that continues this run.
  std::string resume_command() const;

  /// Snapshots written so far (none when output.snapshots is off).
  std::size_t snapshots_written() const { return _series ? _series->steps().size() : 0; }

  RunRequest _request;
  double _start_epoch_s = epoch_seconds();
  Clock::time_point _start = Clock::now();
  core::StageTimer _timer;
  std::optional<scenario::Scenario> _scenario;
  std::optional<OutputDirectory> _out;
  std::optional<io::FileLock> _lock;  // held from the first write to the end
  std::optional<simulation::Simulation> _sim;
  std::unique_ptr<RunRecorder> _recorder;
  std::unique_ptr<io::FieldSeriesWriter> _series;
  std::unique_ptr<Progress> _progress;
  std::optional<LoadedCheckpoint> _restart;
  std::uint64_t _fingerprint = 0;
  simulation::Metrics _metrics;  // of a complete run
  RunHistory _history;
  Clock::time_point _last_checkpoint = Clock::now();
  bool _session_checkpoint_due = false;
  double _start_h = 0.0;
};

void Run::prepare() {
  const core::ScopedStage stage(_timer, "setup");
  _scenario = scenario::load_scenario(_request.scenario, _request.sets);
  _out.emplace(_request.output.empty() ? fs::path("runs") / _request.scenario.stem()
                                       : _request.output);
  const DirectoryMode mode = _request.mode;
  const fs::path lock_path = _out->path(OutputDirectory::lock_name);
  const auto in_use = [&] {
    return core::InputError(fmt::format(
        "output directory '{}' is in use by another microheal run ({}); wait for it to end, or "
        "stop it (SIGTERM saves its state) and continue it with --resume",
        _out->root().string(), io::FileLock::owner_of(lock_path)));
  };
  // Said first: whatever else is wrong with the directory, this is what the user must know.
  if (io::FileLock::is_held(lock_path))
    throw in_use();
  _out->check(mode);
  if (_request.threads > 0)
    omp_set_num_threads(_request.threads);
  _sim.emplace(_scenario->spec);
  _fingerprint = scenario_fingerprint(*_scenario);

  std::vector<io::SeriesStep> kept;
  if (mode == DirectoryMode::resume && _out->has_checkpoint()) {
    try {
      _restart = load_run_checkpoint(_out->checkpoint(), *_sim, _fingerprint);
    } catch (const core::InputError& error) {
      std::string message = error.what();
      // Say what changed, from the scenario copy the run started with.
      if (message.find("different scenario") != std::string::npos) {
        try {
          scenario::Scenario before =
              scenario::load_scenario(_out->path(OutputDirectory::scenario_name));
          before.checkpoint_every_min = _scenario->checkpoint_every_min;
          const std::string diff =
              first_difference(scenario::to_toml(*_scenario), scenario::to_toml(before));
          if (!diff.empty())
            message += " (first difference: " + diff + ")";
        } catch (const core::InputError&) {
          // No readable copy: the fingerprint alone decides.
        }
        message +=
            "; resume with the same scenario and --set options, or start over with "
            "--overwrite";
      } else if (fs::exists(_out->previous_checkpoint())) {
        // A damaged latest generation: say whether the one before it would do.
        try {
          const LoadedCheckpoint previous =
              load_run_checkpoint(_out->previous_checkpoint(), *_sim, _fingerprint);
          message += fmt::format(
              ". The previous checkpoint '{}' (t = {:.6g} h) passes its checks: to continue from "
              "it, move it over the damaged one (mv '{}' '{}') and resume",
              _out->previous_checkpoint().string(), previous.state.time_h,
              _out->previous_checkpoint().string(), _out->checkpoint().string());
        } catch (const core::InputError& also) {
          message +=
              fmt::format(". The previous checkpoint cannot be used either: {}", also.what());
        }
      }
      throw core::InputError(message);
    }
    const fs::path series_path = _out->path(io::FieldSeriesWriter::series_file_name);
    if (_scenario->output.snapshots && fs::exists(series_path)) {
      for (const io::SeriesStep& step : io::read_field_series(series_path)) {
        if (step.time <= _restart->state.time_h)
          kept.push_back(step);
      }
    }
    if (kept.size() != _restart->outputs_written) {
      throw core::InputError("cannot resume in '" + _out->root().string() +
                             "': " + std::to_string(_restart->outputs_written) +
                             " snapshots were written before the checkpoint, but '" +
                             series_path.string() + "' lists " + std::to_string(kept.size()));
    }
  }

  // The restart goes into memory first: a checkpoint that does not fit is bad input too.
  _recorder = std::make_unique<RunRecorder>(*_sim);
  if (_restart) {
    _history = _restart->history;
    _recorder->load(_restart->extra);
    _sim->restore(std::move(_restart->state));
  }

  // Every input is checked: from here on the run writes, holding the directory's lock to the end
  // (a run that started meanwhile took it first: refused, nothing written but the directory).
  _out->create();
  _lock = io::FileLock::try_acquire(lock_path, fmt::format("pid {} on {}, started {}", ::getpid(),
                                                           host_name(), iso_time(_start_epoch_s)));
  if (!_lock)
    throw in_use();
  if (mode == DirectoryMode::overwrite || (mode == DirectoryMode::resume && !_restart))
    _out->remove_run_files();
  if (!_restart) {
    const std::vector<std::string> header{
        "The scenario of this run with every default filled in (microheal print-config), as it",
        "was started; `microheal run --resume` checks the scenario against it."};
    _out->write(OutputDirectory::scenario_name, scenario::to_toml(*_scenario, header));
    _out->write(OutputDirectory::punctures_name, punctures_csv(*_sim));
  }
  if (_scenario->output.snapshots) {
    _series = std::make_unique<io::FieldSeriesWriter>(_out->root(), snapshot_options(*_scenario),
                                                      std::move(kept));
  }
  _start_h = _sim->time_h();
  _history.start_epoch_s.push_back(_start_epoch_s);
  _history.end_epoch_s.push_back(_start_epoch_s);
  _history.from_h.push_back(_start_h);
  _history.to_h.push_back(_start_h);
}

void Run::observe(const simulation::Simulation& sim, const simulation::Observation& o) {
  {
    const core::ScopedStage stage(_timer, "observables");
    _recorder->record(sim, o);
  }
  if (o.output && _series) {
    const core::ScopedStage stage(_timer, "snapshots");
    _series->write(sim.fields(), o.time_h);
  }
  if (o.moment == simulation::Moment::after_session) {
    _session_checkpoint_due = true;
    const geometry::InjuryField* injury = sim.latest_injury();
    _progress->line(
        fmt::format("day {:.2f}: session {}/{} applied ({} punctures, effective depth "
                    "{:.3g} mm)",
                    o.time_h / hours_per_day, o.session + 1, sim.protocol().num_sessions(),
                    injury != nullptr ? injury->punctures.size() : 0,
                    injury != nullptr ? injury->effective_depth_mm : 0.0));
  }
  // A checkpoint must follow every event at its time, or a resumed run would skip one: after a
  // session that is the end unless an output falls on the same time (its call comes last).
  const auto& outputs = sim.spec().output_times_h;
  const bool output_follows = o.moment == simulation::Moment::after_session &&
                              std::binary_search(outputs.begin(), outputs.end(), o.time_h);
  // An interpolated sample is no state of the run: nothing can resume from it.
  const bool events_done = (o.moment == simulation::Moment::scheduled && !o.interpolated) ||
                           (o.moment == simulation::Moment::after_session && !output_follows);
  if (events_done) {
    const double every_min = _scenario->checkpoint_every_min;
    const double since_min =
        std::chrono::duration<double>(Clock::now() - _last_checkpoint).count() / seconds_per_minute;
    if (_session_checkpoint_due || (every_min > 0.0 && since_min >= every_min))
      checkpoint(sim);
  }
  _progress->update(o.time_h, sim.sessions_applied(), sim.integrator().next_dt_h());
}

void Run::checkpoint(const simulation::Simulation& sim) {
  const core::ScopedStage stage(_timer, "checkpoints");
  _history.end_epoch_s.back() = epoch_seconds();
  _history.to_h.back() = sim.time_h();
  // Two generations: the last one stays until the new one is complete (a rename), so a checkpoint
  // found damaged later still has an intact predecessor.
  io::keep_previous_generation(_out->checkpoint(), _out->previous_checkpoint());
  save_run_checkpoint(_out->checkpoint(), sim, *_recorder, snapshots_written(), _fingerprint,
                      _history);
  // The time series so far goes with the checkpoint, so an interrupted run still shows its curves.
  _out->write(OutputDirectory::timeseries_name, table_csv(_recorder->outputs()));
  _last_checkpoint = Clock::now();
  _session_checkpoint_due = false;
}

void Run::write_manifest(const simulation::Simulation& sim, std::string_view status,
                         const std::string& error) const {
  const double end_epoch_s = epoch_seconds();
  JsonWriter json;
  json.begin_object()
      .value("format", "microheal-run-manifest")
      .value("format_version", 1)
      .value("status", status);
  if (!error.empty())
    json.value(status == "stopped" ? "stopped_by" : "error", std::string_view(error));
  json.value("microheal_version", core::version)
      .value("git_hash", core::git_hash)
      .value("compiler", "g++ " __VERSION__)
      .value("host", std::string_view(host_name()))
      .value("threads", omp_get_max_threads())
      .value("scenario_file", std::string_view(fs::absolute(_request.scenario).string()));
  json.begin_array("set_options");
  for (const std::string& set : _request.sets)
    json.value("", std::string_view(set));
  json.end_array();
  json.value("start_time", std::string_view(iso_time(_start_epoch_s)))
      .value("end_time", std::string_view(iso_time(end_epoch_s)))
      .value("wall_seconds", std::chrono::duration<double>(Clock::now() - _start).count())
      .value("resumed", _history.start_epoch_s.size() > 1)
      .value("simulated_time_h", sim.time_h())
      .value("end_time_h", sim.end_time_h())
      .value("sessions_applied", sim.sessions_applied());
  json.begin_array("segments");
  for (std::size_t s = 0; s < _history.start_epoch_s.size(); ++s) {
    json.begin_object()
        .value("start_time", std::string_view(iso_time(_history.start_epoch_s[s])))
        .value("last_checkpoint_or_end", std::string_view(iso_time(_history.end_epoch_s[s])))
        .value("from_h", _history.from_h[s])
        .value("to_h", _history.to_h[s])
        .end_object();
  }
  json.end_array();
  const grid::Grid& g = sim.grid();
  json.begin_object("grid");
  json.begin_array("extent");
  for (const Index n : g.extent())
    json.value("", static_cast<std::int64_t>(n));
  json.end_array().begin_array("spacing_mm");
  for (const double d : g.spacing_mm())
    json.value("", d);
  json.end_array().begin_array("origin_mm");
  for (const double o : g.origin_mm())
    json.value("", o);
  json.end_array().value("voxels", static_cast<std::int64_t>(g.num_voxels())).end_object();
  // Where the layers and the sessions are, so that figures need not re-derive them from the
  // scenario (and a running or failed run has them too, before metrics.json exists).
  json.begin_array("layers");
  const geometry::Tissue& tissue = sim.tissue();
  for (const geometry::Layer layer : geometry::all_layers) {
    json.begin_object()
        .value("name", geometry::layer_name(layer))
        .value("top_mm", tissue.top_depth_mm(layer))
        .value("bottom_mm", tissue.bottom_depth_mm(layer))
        .end_object();
  }
  json.end_array();
  json.begin_array("sessions");
  const geometry::Protocol& protocol = sim.protocol();
  const std::vector<double> session_times_h = protocol.session_times_h();
  for (int session = 0; session < protocol.num_sessions(); ++session) {
    const geometry::NeedleSpec needle = protocol.needle_for_session(session);
    json.begin_object()
        .value("index", static_cast<std::int64_t>(session))
        .value("time_h", session_times_h[static_cast<std::size_t>(session)])
        .value("applied", session < sim.sessions_applied())
        .value("needle_length_mm", needle.length_mm)
        .value("needle_diameter_mm", needle.diameter_mm)
        .value("density_per_cm2", needle.density_per_cm2)
        .value("passes", static_cast<std::int64_t>(needle.passes))
        .end_object();
  }
  json.end_array();
  // This segment's stages: the command's own, then the integrator's.
  json.begin_array("stage_timings");
  for (const core::StageTiming& t : _timer.stages()) {
    json.begin_object()
        .value("stage", std::string_view(t.name))
        .value("seconds", t.seconds)
        .value("calls", static_cast<std::int64_t>(t.calls))
        .end_object();
  }
  for (const core::StageTiming& t : sim.integrator().timer().stages()) {
    json.begin_object()
        .value("stage", std::string_view("integrator: " + t.name))
        .value("seconds", t.seconds)
        .value("calls", static_cast<std::int64_t>(t.calls))
        .end_object();
  }
  json.end_array();
  json.value("peak_memory_mb", peak_memory_mb());
  const solver::IntegratorStatistics stats = sim.state().statistics;
  json.begin_object("integrator")
      .value("steps_accepted", static_cast<std::int64_t>(stats.steps_accepted))
      .value("steps_rejected_error", static_cast<std::int64_t>(stats.steps_rejected_error))
      .value("steps_rejected_negative", static_cast<std::int64_t>(stats.steps_rejected_negative))
      .value("dt_smallest_h", stats.dt_smallest_h)
      .value("dt_largest_h", stats.dt_largest_h)
      .value("next_dt_h", sim.integrator().next_dt_h())
      .value("chemotaxis_sub_steps", static_cast<std::int64_t>(stats.chemotaxis_sub_steps))
      .value("reaction_voxels_active", static_cast<std::int64_t>(stats.reaction_voxels_active))
      .value("reaction_voxels_resting", static_cast<std::int64_t>(stats.reaction_voxels_resting))
      .end_object();
  // The run's invariant, as LULESH prints its own: per species, initial + reaction + transport +
  // external (injuries) - final is round-off.
  json.begin_array("mass_balance");
  const std::vector<std::string> names = model::species_names();
  const std::vector<solver::MassBalanceRow> balance =
      solver::mass_balance(stats, static_cast<double>(g.num_voxels()) * g.voxel_volume_mm3());
  for (std::size_t s = 0; s < balance.size() && s < names.size(); ++s) {
    const solver::MassBalanceRow& row = balance[s];
    json.begin_object()
        .value("species", std::string_view(names[s]))
        .value("unit", "mm^3 x species unit")
        .value("initial", row.initial)
        .value("final", row.final_mass)
        .value("reaction", row.reaction)
        .value("transport", row.transport)
        .value("external", row.external)
        .value("residual", row.residual)
        .value("residual_relative", row.residual_relative)
        .end_object();
  }
  json.end_array();
  json.begin_array("warnings");
  for (const std::string& w : sim.warnings())
    json.value("", std::string_view(w));
  json.end_array();
  json.value("snapshots", static_cast<std::int64_t>(snapshots_written()));
  json.value("time_unit", "h");
  scenario_json(json, "scenario", *_scenario);
  json.value("description", std::string_view(_scenario->description));
  json.end_object();
  _out->write(OutputDirectory::manifest_name, json.str());
}

void Run::write_reports(const simulation::Simulation& sim, std::string_view status,
                        const std::string& error) {
  const core::ScopedStage stage(_timer, "reports");
  _out->write(OutputDirectory::timeseries_name, table_csv(_recorder->outputs()));
  _out->write(OutputDirectory::profile_name, table_csv(_recorder->profiles()));
  if (status == "complete" && !_recorder->series().empty()) {
    _metrics = simulation::compute_metrics(_recorder->series(), sim.session_times_h());
    _out->write(OutputDirectory::metrics_name, metrics_json(_metrics));
  }
  write_manifest(sim, status, error);
}

std::string Run::resume_command() const {
  std::string command =
      "microheal run " + _request.scenario.string() + " -o " + _out->root().string() + " --resume";
  for (const std::string& set : _request.sets)
    command += " --set " + set;
  return command;
}

RunResult Run::stopped(const simulation::Simulation& sim, const StopSignals& signals) {
  _progress->finish();
  const std::string by = signals.signal_name();
  write_reports(sim, "stopped", by);
  // Always said (also with --quiet): the user must learn that the run is not complete.
  fmt::print(stderr,
             "stopped by {} at day {:.3f} (t = {:.6g} h, {} of {} session(s) applied); the state "
             "is saved in {}. Continue with:\n  {}\n",
             by, sim.time_h() / hours_per_day, sim.time_h(), sim.sessions_applied(),
             sim.protocol().num_sessions(), _out->checkpoint().string(), resume_command());
  RunResult result;
  result.output = _out->root();
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - _start).count();
  result.threads = omp_get_max_threads();
  result.stopped = true;
  result.stop_signal = by;
  return result;
}

RunResult Run::execute() {
  prepare();
  simulation::Simulation& sim = *_sim;
  const ProgressStyle style = progress_style_for_stdout(_request.quiet);
  _progress =
      std::make_unique<Progress>(style, _start_h, sim.end_time_h(), sim.protocol().num_sessions());
  const grid::Grid& g = sim.grid();
  _progress->line(fmt::format(
      "microheal {}: {} ({}D, {} x {} x {} voxels, {} session(s), {:g} days, {} thread(s)) -> {}",
      core::version, _request.scenario.string(), _scenario->spec.domain.dimensions, g.nx(), g.ny(),
      g.nz(), sim.protocol().num_sessions(), sim.end_time_h() / hours_per_day,
      omp_get_max_threads(), _out->root().string()));
  if (_start_h > 0.0) {
    _progress->line(fmt::format("resuming from the checkpoint at day {:.3f} ({} session(s) done)",
                                _start_h / hours_per_day, sim.sessions_applied()));
  }
  for (const std::string& warning : sim.warnings())
    _progress->line("warning: " + warning);
  sim.add_observer(
      [this](const simulation::Simulation& s, const simulation::Observation& o) { observe(s, o); });
  write_manifest(sim, "running", "");
  const StopSignals signals;
  try {
    bool finished = false;
    {
      const core::ScopedStage stage(_timer, "simulation");
      finished = sim.run([&signals] { return signals.requested(); });
    }
    checkpoint(sim);
    if (!finished)
      return stopped(sim, signals);
  } catch (const core::NumericalError& error) {
    _progress->finish();
    // Keep the last good state: a checkpoint (the state before the failed step) and a snapshot
    // of every species to look at.
    const fs::path snapshot = _out->path(OutputDirectory::failure_name);
    const std::string message = failure_message(error, sim, _out->checkpoint(), snapshot);
    try {
      checkpoint(sim);
      io::write_field_snapshot(snapshot, sim.fields(), {io::Precision::float64, {}, 0});
      write_reports(sim, "failed", message);
    } catch (const std::exception& nested) {
      throw core::RunError(message + " (saving the state failed too: " + nested.what() + ")");
    }
    throw core::RunError(message);
  } catch (const std::exception& error) {
    _progress->finish();
    try {
      write_reports(sim, "failed", error.what());
    } catch (const std::exception&) {
      // The original error matters more than a manifest that could not be written.
    }
    throw;
  }
  _progress->finish();
  write_reports(sim, "complete", "");

  const double wall_seconds = std::chrono::duration<double>(Clock::now() - _start).count();
  if (!_request.quiet) {
    const simulation::Metrics& metrics = _metrics;
    fmt::print("done: {:g} days in {} ({} steps); peak memory {:.0f} MB\n",
               sim.end_time_h() / hours_per_day, duration_text(wall_seconds),
               sim.state().statistics.steps_accepted, peak_memory_mb());
    const std::vector<solver::MassBalanceRow> balance = solver::mass_balance(
        sim.state().statistics, static_cast<double>(g.num_voxels()) * g.voxel_volume_mm3());
    if (!balance.empty()) {
      const auto worst =
          std::max_element(balance.begin(), balance.end(),
                           [](const solver::MassBalanceRow& a, const solver::MassBalanceRow& b) {
                             return std::abs(a.residual_relative) < std::abs(b.residual_relative);
                           });
      fmt::print(
          "mass balance (initial + reaction + transport + injuries - final, per species): largest "
          "residual {:.1e} of the block's content ({}); all species in manifest.json\n",
          std::abs(worst->residual_relative),
          model::species_names()[static_cast<std::size_t>(worst - balance.begin())]);
    }
    fmt::print(
        "collagen gain at the end: papillary dermis {:+.2f} %, dermis {:+.2f} %; scar index "
        "{:.3f} %\n",
        metrics.collagen_gain_papillary.total_pct, metrics.collagen_gain_dermis.total_pct,
        metrics.scar_index_pct);
    if (_series) {
      fmt::print("outputs in {}: {}, {}, {}, {} snapshot(s) in fields/ ({} for ParaView)\n",
                 _out->root().string(), OutputDirectory::manifest_name,
                 OutputDirectory::metrics_name, OutputDirectory::timeseries_name,
                 snapshots_written(), io::FieldSeriesWriter::xdmf_file_name);
    } else {
      fmt::print("outputs in {}: {}, {}, {} (no field snapshots: output.snapshots = false)\n",
                 _out->root().string(), OutputDirectory::manifest_name,
                 OutputDirectory::metrics_name, OutputDirectory::timeseries_name);
    }
  }
  return RunResult{_out->root(), _metrics, wall_seconds, omp_get_max_threads(), false, {}};
}

}  // namespace

RunResult run_scenario(const RunRequest& request) {
  Run run(request);
  return run.execute();
}

}  // namespace microheal::app
