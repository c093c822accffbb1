// `microheal sweep SWEEP -o DIR`: run the cases of a sweep file locally (child processes), under
// MPI (--mpi), as one Slurm array task (--case-index) or write the Slurm job (--emit-slurm);
// `microheal sweep collect DIR` rebuilds the summary and `microheal sweep analyze DIR` computes
// main effects and Sobol indices. Every mode ends in the same place: case folders with records,
// from which the summary is built, so they can be mixed and resumed.
#include <fmt/core.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "microheal/core/error.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/sweep/analysis.hpp"
#include "microheal/sweep/design.hpp"
#include "microheal/sweep/slurm_script.hpp"
#include "microheal/sweep/summary.hpp"
#include "microheal/sweep/sweep_directory.hpp"
#include "microheal/sweep/sweep_spec.hpp"
#include "stop_signals.hpp"
#include "sweep_case.hpp"
#include "sweep_mpi.hpp"
#include "sweep_processes.hpp"

namespace microheal::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double seconds_per_hour = 3600.0;

struct SweepOptions {
  std::string sweep_file;
  std::string output;
  std::size_t jobs = 1;
  int threads_per_job = 0;  // 0: not given
  bool mpi = false;
  long long case_index = -1;  // -1: not given
  std::string emit_slurm;
  std::string partition;
  std::string time_limit;
  int cpus_per_task = 0;  // 0: not given
  bool retry_failed = false;
  bool list = false;
  bool quiet = false;
};

struct AnalyzeOptions {
  std::string directory;
  std::size_t bootstrap = 200;
  std::uint64_t seed = 0;
};

/// A line for people, flushed at once: sweeps run in batch jobs whose logs are read while they run.
void say(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string first_line(const std::string& text) {
  const std::size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end) + " ...";
}

SweepSession load_session(const std::string& sweep_file, const std::string& output) {
  if (output.empty()) {
    throw core::InputError(
        "-o DIR is required: the sweep directory (one folder per case, summary.csv, "
        "summary.h5)");
  }
  const fs::path file = fs::absolute(sweep_file);
  sweep::SweepSpec spec = sweep::load_sweep(file);
  sweep::Design design = sweep::expand(spec);
  return {file, std::move(spec), std::move(design), sweep::SweepDirectory(fs::absolute(output))};
}

std::string design_text(const SweepSession& session) {
  const sweep::SweepSpec& spec = session.spec;
  std::string text = fmt::format("{} design over {} axis/axes", sweep::sampler_name(spec.sampler),
                                 spec.axes.size());
  if (spec.sampler == sweep::Sampler::sobol)
    text += fmt::format(" (N = {}, {} points)", spec.samples, session.design.points.size());
  return text + fmt::format(", {} case(s)", session.design.cases.size());
}

std::vector<std::size_t> pending_cases(const SweepSession& session, bool retry_failed) {
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < session.design.cases.size(); ++i) {
    if (case_pending(session, i, retry_failed))
      pending.push_back(i);
  }
  return pending;
}

/// Prints one line per finished case: "[3/12] case 4 (id) ok in 12.3 s: key=value ...".
class CaseLog {
 public:
  CaseLog(const SweepSession& session, std::size_t to_run) : _session(session), _to_run(to_run) {}

  void operator()(const CaseReport& report, int rank = -1) {
    const sweep::Case& c = _session.design.cases[report.index];
    const std::string who = fmt::format("case {} ({})", report.index, c.id);
    const std::string where = rank >= 0 ? fmt::format(" on rank {}", rank) : "";
    const std::string values = case_values_text(c);
    switch (report.outcome) {
      case CaseOutcome::stopped:
        ++_stopped;
        [[fallthrough]];
      case CaseOutcome::busy:
        say(fmt::format("{}{}: {}", who, where,
                        report.error.empty() ? "another process is running it; not recorded here"
                                             : report.error));
        return;
      case CaseOutcome::already_done:
        say(fmt::format("{}{}: already done ({})", who, where,
                        report.recorded_ok ? "ok" : "failed"));
        return;
      case CaseOutcome::ok:
      case CaseOutcome::failed:
        break;
    }
    ++_done;
    const bool ok = report.outcome == CaseOutcome::ok;
    say(fmt::format("[{}/{}] {}{} {} {:.1f} s: {}{}", _done, _to_run, who, where,
                    ok ? "ok in" : "FAILED after", report.wall_seconds, values,
                    ok ? "" : ": " + first_line(report.error)));
  }

  /// Cases stopped by a signal so far.
  std::size_t stopped() const { return _stopped; }

 private:
  const SweepSession& _session;
  std::size_t _to_run;
  std::size_t _done = 0;
  std::size_t _stopped = 0;
};

/// summary.csv and summary.h5 from the case records; the table.
sweep::SummaryTable write_summary(const sweep::SweepDirectory& directory,
                                  const sweep::SweepSpec& spec, const sweep::Design& design) {
  const std::vector<std::optional<sweep::CaseRecord>> records = directory.read_records(design);
  sweep::SummaryTable table = sweep::build_summary(design, records);
  io::write_file_atomically(directory.path(sweep::SweepDirectory::summary_csv_name),
                            sweep::summary_csv(table));
  sweep::write_summary_h5(directory.path(sweep::SweepDirectory::summary_h5_name), table,
                          sweep::sampler_name(spec.sampler));
  return table;
}

/// The closing lines of a sweep or a collect; the exit code (1 when a case failed or is missing).
int report_summary(const sweep::SweepDirectory& directory, const sweep::SummaryTable& table) {
  const std::size_t ok = table.count(sweep::CaseState::ok);
  const std::size_t failed = table.count(sweep::CaseState::failed);
  const std::size_t pending = table.count(sweep::CaseState::pending);
  say(fmt::format("{} case(s): {} ok, {} failed, {} not run; summary in {} and {}",
                  table.rows.size(), ok, failed, pending,
                  directory.path(sweep::SweepDirectory::summary_csv_name).string(),
                  sweep::SweepDirectory::summary_h5_name));
  for (const sweep::SummaryRow& row : table.rows) {
    if (row.state == sweep::CaseState::failed)
      say(fmt::format("  case {} ({}) failed: {}", row.index, row.id, first_line(row.error)));
  }
  if (pending > 0) {
    say("run the same command again to run the missing cases (finished ones are skipped)");
  }
  return failed > 0 || pending > 0 ? 1 : 0;
}

int default_threads_per_job(std::size_t jobs) {
  return std::max(1, omp_get_num_procs() / static_cast<int>(std::max<std::size_t>(1, jobs)));
}

void check_options(const SweepOptions& o, const CLI::App& cmd) {
  const bool jobs_given = cmd.count("--jobs") > 0;
  const bool index_given = o.case_index >= 0;
  const bool slurm_given = !o.emit_slurm.empty();
  if (o.sweep_file.empty()) {
    throw core::InputError(
        "sweep: give a sweep file (microheal sweep SWEEP -o DIR), or `sweep collect DIR` / "
        "`sweep analyze DIR`");
  }
  const int modes =
      (o.mpi ? 1 : 0) + (index_given ? 1 : 0) + (slurm_given ? 1 : 0) + (o.list ? 1 : 0);
  if (modes > 1)
    throw core::InputError("--mpi, --case-index, --emit-slurm and --list exclude each other");
  if (jobs_given && (o.mpi || index_given || slurm_given)) {
    throw core::InputError(
        "--jobs is for local sweeps (under --mpi the ranks are the jobs; --case-index and Slurm "
        "tasks run one case each)");
  }
  if (!slurm_given && (!o.partition.empty() || !o.time_limit.empty() || o.cpus_per_task > 0))
    throw core::InputError("--partition, --time and --cpus-per-task go with --emit-slurm FILE");
  if (!o.time_limit.empty() && !sweep::is_slurm_time(o.time_limit)) {
    throw core::InputError("--time " + o.time_limit +
                           ": expected a Slurm time limit: MINUTES, HH:MM:SS or D-HH:MM:SS "
                           "(e.g. 30, 2:00:00, 1-00:00:00)");
  }
  if (!o.partition.empty() &&
      o.partition.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_-.,") != std::string::npos)
    throw core::InputError("--partition " + o.partition + ": not a Slurm partition name");
}

void list_cases(const SweepOptions& o) {
  const fs::path file = fs::absolute(o.sweep_file);
  const sweep::SweepSpec spec = sweep::load_sweep(file);
  const sweep::Design design = sweep::expand(spec);
  say(fmt::format("{}: {} design, {} axis/axes, {} point(s), {} case(s)", o.sweep_file,
                  sweep::sampler_name(spec.sampler), spec.axes.size(), design.points.size(),
                  design.cases.size()));
  for (std::size_t i = 0; i < design.cases.size(); ++i)
    say(fmt::format("{:>6}  {}  {}", i, design.cases[i].id, case_values_text(design.cases[i])));
}

void run_one_case(const SweepOptions& o) {
  SweepSession session = load_session(o.sweep_file, o.output);
  if (static_cast<std::size_t>(o.case_index) >= session.design.cases.size()) {
    throw core::InputError(fmt::format("--case-index {}: the sweep has {} case(s), 0 to {}",
                                       o.case_index, session.design.cases.size(),
                                       session.design.cases.size() - 1));
  }
  session.directory.check(session.spec);
  session.directory.prepare(session.spec);
  const auto index = static_cast<std::size_t>(o.case_index);
  const CaseReport report =
      run_case_here(session, index, {o.threads_per_job, o.quiet, o.retry_failed});
  CaseLog log(session, 1);
  log(report);
  if (report.outcome == CaseOutcome::stopped)
    throw CommandExit{stopped_exit_code};
  if (report.outcome == CaseOutcome::failed ||
      (report.outcome == CaseOutcome::already_done && !report.recorded_ok))
    throw CommandExit{1};
}

void emit_slurm(const SweepOptions& o) {
  SweepSession session = load_session(o.sweep_file, o.output);
  session.directory.check(session.spec);
  const fs::path script = fs::absolute(o.emit_slurm);
  std::error_code error;
  if (fs::is_directory(script, error))
    throw core::InputError("--emit-slurm " + o.emit_slurm + ": is a directory; give a file name");
  if (!fs::is_directory(script.parent_path(), error)) {
    throw core::InputError("--emit-slurm " + o.emit_slurm + ": the directory '" +
                           script.parent_path().string() + "' does not exist");
  }
  const std::vector<std::size_t> pending = pending_cases(session, o.retry_failed);
  if (pending.empty()) {
    say(fmt::format("all {} case(s) of {} are done: nothing to submit; microheal sweep collect {}",
                    session.design.cases.size(), o.sweep_file, session.directory.root().string()));
    return;
  }
  session.directory.prepare(session.spec);
  sweep::SlurmJob job;
  job.script = script;
  job.executable = fs::read_symlink("/proc/self/exe", error);
  if (error)
    throw core::RunError("cannot find the microheal executable: " + error.message());
  job.sweep_file = session.sweep_file;
  job.directory = session.directory.root();
  job.job_name = "microheal-" + session.sweep_file.stem().string();
  std::replace_if(
      job.job_name.begin(), job.job_name.end(),
      [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'); },
      '_');
  job.cases = pending;
  job.total_cases = session.design.cases.size();
  job.partition = o.partition;
  job.time_limit = o.time_limit;
  job.cpus_per_task = o.cpus_per_task > 0 ? o.cpus_per_task : 1;
  io::write_file_atomically(script, sweep::slurm_script(job));
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add,
                  error);
  say(fmt::format("wrote {}: a Slurm job array of {} task(s), one case each (--array={})",
                  script.string(), pending.size(), sweep::array_ranges(pending)));
  say(fmt::format("  submit:  sbatch {}", script.string()));
  say(fmt::format("  collect: microheal sweep collect {}   (when the tasks are done)",
                  session.directory.root().string()));
  constexpr std::size_t default_max_array_index = 1000;  // Slurm's MaxArraySize 1001
  if (pending.back() > default_max_array_index) {
    say(fmt::format(
        "  note: the highest index is {}; Slurm refuses indices above MaxArraySize - 1 (1000 by "
        "default: scontrol show config | grep MaxArraySize)",
        pending.back()));
  }
}

void run_locally(const SweepOptions& o) {
  SweepSession session = load_session(o.sweep_file, o.output);
  session.directory.check(session.spec);
  const int threads = o.threads_per_job > 0 ? o.threads_per_job : default_threads_per_job(o.jobs);
  session.directory.prepare(session.spec);
  const std::vector<std::size_t> pending = pending_cases(session, o.retry_failed);
  const std::size_t done = session.design.cases.size() - pending.size();
  say(fmt::format("microheal sweep {}: {}; {} done, {} to run with {} job(s) x {} thread(s) -> {}",
                  o.sweep_file, design_text(session), done, pending.size(), o.jobs, threads,
                  session.directory.root().string()));
  CaseLog log(session, pending.size());
  const Clock::time_point start = Clock::now();
  const bool stopped = run_in_processes(session, pending, {o.jobs, threads, o.retry_failed},
                                        [&log](const CaseReport& report) { log(report); });
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  if (!pending.empty() && wall > 0.0 && !stopped) {
    say(fmt::format("{} case(s) in {:.1f} s: {:.0f} cases per hour", pending.size(), wall,
                    static_cast<double>(pending.size()) * seconds_per_hour / wall));
  }
  const sweep::SummaryTable table = write_summary(session.directory, session.spec, session.design);
  const int code = report_summary(session.directory, table);
  if (stopped) {
    say(
        fmt::format("sweep stopped by a signal: the stopped cases keep their checkpoints; run the "
                    "same command again to finish them"));
    throw CommandExit{stopped_exit_code};
  }
  if (code != 0)
    throw CommandExit{code};
}

void run_with_mpi(const SweepOptions& o) {
  std::optional<SweepSession> session;
  std::unique_ptr<CaseLog> log;
  std::vector<std::size_t> pending;
  Clock::time_point start;
  MpiSweepSteps steps;
  steps.coordinator_prepare = [&](int ranks) {
    session.emplace(load_session(o.sweep_file, o.output));
    session->directory.check(session->spec);
    session->directory.prepare(session->spec);
    pending = pending_cases(*session, o.retry_failed);
    say(fmt::format("microheal sweep {} (MPI, {} rank(s): {}): {}; {} done, {} to run -> {}",
                    o.sweep_file, ranks, ranks > 1 ? "rank 0 hands out cases" : "rank 0 runs them",
                    design_text(*session), session->design.cases.size() - pending.size(),
                    pending.size(), session->directory.root().string()));
    log = std::make_unique<CaseLog>(*session, pending.size());
    start = Clock::now();
    return pending;
  };
  steps.worker_prepare = [&] { session.emplace(load_session(o.sweep_file, o.output)); };
  steps.run_case = [&](std::size_t index) {
    return run_case_here(*session, index, {o.threads_per_job, true, o.retry_failed});
  };
  steps.case_finished = [&](const CaseReport& report, int rank) { (*log)(report, rank); };
  steps.coordinator_finish = [&] {
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    if (!pending.empty() && wall > 0.0 && log->stopped() == 0) {
      say(fmt::format("{} case(s) in {:.1f} s: {:.0f} cases per hour", pending.size(), wall,
                      static_cast<double>(pending.size()) * seconds_per_hour / wall));
    }
    const sweep::SummaryTable table =
        write_summary(session->directory, session->spec, session->design);
    return report_summary(session->directory, table);
  };
  if (const int code = run_sweep_with_mpi(steps); code != 0)
    throw CommandExit{code};
}

void run_sweep(const SweepOptions& o, const CLI::App& cmd) {
  check_options(o, cmd);
  if (o.list)
    list_cases(o);
  else if (o.case_index >= 0)
    run_one_case(o);
  else if (!o.emit_slurm.empty())
    emit_slurm(o);
  else if (o.mpi)
    run_with_mpi(o);
  else
    run_locally(o);
}

void collect(const std::string& directory) {
  const sweep::SweepDirectory dir(fs::absolute(directory));
  const sweep::SweepSpec spec = dir.load();
  const sweep::Design design = sweep::expand(spec);
  const sweep::SummaryTable table = write_summary(dir, spec, design);
  if (const int code = report_summary(dir, table); code != 0)
    throw CommandExit{code};
}

/// "  name  value  value ..." with the first column @p width wide.
std::string row_text(const std::string& name, std::size_t width,
                     const std::vector<std::string>& cells, std::size_t cell_width) {
  std::string out = fmt::format("  {:<{}}", name, width);
  for (const std::string& cell : cells)
    out += fmt::format("  {:>{}}", cell, cell_width);
  return out;
}

void analyze(const AnalyzeOptions& o) {
  const sweep::SweepDirectory dir(fs::absolute(o.directory));
  const sweep::SweepSpec spec = dir.load();
  const sweep::Design design = sweep::expand(spec);
  const sweep::SummaryTable table = sweep::build_summary(design, dir.read_records(design));
  const std::size_t ok = table.count(sweep::CaseState::ok);
  if (ok == 0 || table.metric_names.empty()) {
    throw core::InputError("'" + o.directory +
                           "': no case has completed yet; nothing to analyse (run the sweep, "
                           "or `sweep collect` to see where it stands)");
  }
  const fs::path out = dir.path(sweep::SweepDirectory::analysis_name);
  std::error_code error;
  fs::create_directories(out, error);
  if (error)
    throw core::RunError("cannot create '" + out.string() + "': " + error.message());
  say(fmt::format("{}: {} design, {} of {} case(s) completed ({} failed, {} not run)", o.directory,
                  sweep::sampler_name(spec.sampler), ok, table.rows.size(),
                  table.count(sweep::CaseState::failed), table.count(sweep::CaseState::pending)));
  io::write_file_atomically(out / "main_effects.csv", sweep::main_effects_csv(design, table));
  std::size_t width = 6;
  for (const std::string& name : table.metric_names)
    width = std::max(width, name.size());
  std::size_t cell_width = 10;
  std::vector<std::string> axes;
  for (const sweep::Axis& axis : design.axes) {
    axes.push_back(axis.key);
    cell_width = std::max(cell_width, axis.key.size());
  }
  say(fmt::format("main effects: range of the level means of each metric over each axis -> {}",
                  (out / "main_effects.csv").string()));
  say(row_text("metric", width, axes, cell_width));
  for (std::size_t m = 0; m < table.metric_names.size(); ++m) {
    const std::vector<sweep::MainEffectLevel> levels =
        sweep::main_effects(design, table.metric_column(m));
    std::vector<std::string> cells;
    for (std::size_t a = 0; a < design.axes.size(); ++a) {
      double lo = std::numeric_limits<double>::infinity();
      double hi = -std::numeric_limits<double>::infinity();
      for (const sweep::MainEffectLevel& level : levels) {
        if (level.axis == a && !std::isnan(level.mean)) {
          lo = std::min(lo, level.mean);
          hi = std::max(hi, level.mean);
        }
      }
      cells.push_back(lo <= hi ? fmt::format("{:.4g}", hi - lo) : "-");
    }
    say(row_text(table.metric_names[m], width, cells, cell_width));
  }
  if (spec.sampler != sweep::Sampler::sobol) {
    say("(Sobol indices need design = \"sobol\" in the sweep file)");
    return;
  }
  const sweep::SobolOptions options{o.bootstrap, o.seed};
  io::write_file_atomically(out / "sobol_indices.csv",
                            sweep::sobol_indices_csv(design, table, options));
  say(fmt::format(
      "Sobol indices S1 (first order, Saltelli 2010) / ST (total, Jansen 1999), N = {} groups "
      "of {} cases, {} bootstrap resamples -> {}",
      design.groups, design.axes.size() + 2, o.bootstrap, (out / "sobol_indices.csv").string()));
  say(row_text("metric", width, axes, cell_width));
  for (std::size_t m = 0; m < table.metric_names.size(); ++m) {
    std::vector<std::string> cells;
    for (const sweep::SobolIndex& s : sweep::sobol_indices(design, table.metric_column(m), options))
      cells.push_back(
          std::isnan(s.first_order) ? "-" : fmt::format("{:.2f} / {:.2f}", s.first_order, s.total));
    say(row_text(table.metric_names[m], width, cells, cell_width));
  }
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run a parameter sweep (factorial, Latin hypercube or Sobol design over scenario keys): "
      "locally with --jobs, under mpirun with --mpi, or as a Slurm job array (--emit-slurm); "
      "one folder per case, summary.csv and summary.h5");
  auto options = std::make_shared<SweepOptions>();
  cmd->add_option("sweep", options->sweep_file,
                  "Sweep file (TOML), e.g. scenarios/sweeps/needle-length-x-interval.toml");
  cmd->add_option("-o,--output", options->output,
                  "Sweep directory; running again into it skips the finished cases");
  cmd->add_option("--jobs", options->jobs, "Cases at a time, each in its own process (default 1)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--threads-per-job,--threads", options->threads_per_job,
                  "OpenMP threads of each case (default: cores / jobs locally; OMP_NUM_THREADS "
                  "or all cores under --mpi and --case-index)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--mpi", options->mpi,
                "Run under mpirun: rank 0 hands out cases, the other ranks run them");
  cmd->add_option("--case-index", options->case_index,
                  "Run only this case (0-based) in this process: a Slurm array task")
      ->check(CLI::Range(0LL, 100000000LL));
  cmd->add_option("--emit-slurm", options->emit_slurm,
                  "Write an sbatch job-array script (one task per case still to run) to this "
                  "file instead of running");
  cmd->add_option("--partition", options->partition, "Slurm partition (with --emit-slurm)");
  cmd->add_option("--time", options->time_limit,
                  "Slurm time limit per case, e.g. 30 or 2:00:00 (with --emit-slurm)");
  cmd->add_option("--cpus-per-task", options->cpus_per_task,
                  "Cores (OpenMP threads) per Slurm task (with --emit-slurm; default 1)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--retry-failed", options->retry_failed,
                "Run the cases that failed before again (by default a failed case is done)");
  cmd->add_flag("--list", options->list, "Print the cases (index, id, values) and stop");
  cmd->add_flag("--quiet", options->quiet, "--case-index: no progress lines from the run");

  auto* collect_cmd = cmd->add_subcommand(
      "collect",
      "Rebuild summary.csv and summary.h5 of a sweep directory from its case folders (after a "
      "Slurm array, or any time); exit 1 while a case failed or has not run");
  auto collect_dir = std::make_shared<std::string>();
  collect_cmd->add_option("directory", *collect_dir, "Sweep directory (-o of the sweep)")
      ->required();
  collect_cmd->callback([collect_dir] { collect(*collect_dir); });

  auto* analyze_cmd = cmd->add_subcommand(
      "analyze",
      "Main effects of every metric over every axis and, for Sobol designs, first-order and "
      "total Sobol indices with bootstrap intervals (CSV in DIR/analysis/)");
  auto analyze_options = std::make_shared<AnalyzeOptions>();
  analyze_cmd->add_option("directory", analyze_options->directory, "Sweep directory")->required();
  analyze_cmd
      ->add_option("--bootstrap", analyze_options->bootstrap,
                   "Bootstrap resamples for the Sobol intervals (default 200)")
      ->check(CLI::Range(0, 100000));
  analyze_cmd->add_option("--seed", analyze_options->seed, "Seed of the bootstrap (default 0)");
  analyze_cmd->callback([analyze_options] { analyze(*analyze_options); });

  cmd->callback([options, cmd, collect_cmd, analyze_cmd] {
    if (collect_cmd->parsed() || analyze_cmd->parsed())
      return;
    run_sweep(*options, *cmd);
  });
}

}  // namespace microheal::app
