#include "sweep_case.hpp"

#include <omp.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>
#include <system_error>

#include "microheal/core/error.hpp"
#include "microheal/io/file_lock.hpp"
#include "microheal/sweep/case_record.hpp"
#include "output_directory.hpp"
#include "run_reports.hpp"
#include "run_scenario.hpp"
#include "system_info.hpp"

namespace microheal::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

CaseReport report_of(std::size_t index, CaseOutcome outcome, const sweep::CaseRecord& record) {
  return {index, outcome, record.status == sweep::CaseStatus::ok, record.wall_seconds,
          record.error};
}

}  // namespace

bool case_pending(const SweepSession& session, std::size_t index, bool retry_failed) {
  const std::optional<sweep::CaseRecord> record =
      sweep::read_case_record(session.directory.case_directory(session.design.cases[index].id));
  return !record || (retry_failed && record->status == sweep::CaseStatus::failed);
}

CaseReport run_case_here(const SweepSession& session, std::size_t index,
                         const CaseOptions& options) {
  const sweep::Case& the_case = session.design.cases[index];
  const fs::path folder = session.directory.case_directory(the_case.id);
  std::error_code error;
  fs::create_directories(folder, error);
  if (error)
    throw core::RunError("cannot create the case folder '" + folder.string() +
                         "': " + error.message());
  // Two processes never run one case (a concurrent sweep into the same directory). No owner text:
  // a task that finds its case done must leave the folder as it was.
  const std::optional<io::FileLock> lock = io::FileLock::try_acquire(folder / ".lock", "");
  if (!lock)
    return {index, CaseOutcome::busy, false, 0.0, {}};
  const std::optional<sweep::CaseRecord> previous = sweep::read_case_record(folder);
  if (previous && !(options.retry_failed && previous->status == sweep::CaseStatus::failed))
    return report_of(index, CaseOutcome::already_done, *previous);
  // A retried case starts over; until it has a new record it is not done.
  const bool retry = previous.has_value();
  if (retry)
    fs::remove(folder / sweep::case_record_name, error);

  sweep::CaseRecord record;
  record.id = the_case.id;
  record.index = index;
  record.assignments = sweep::case_assignments(session.spec, the_case);
  record.host = host_name();
  RunRequest request;
  request.scenario = session.directory.path(sweep::SweepDirectory::base_name);
  request.sets = record.assignments;
  request.output = folder;
  request.threads = options.threads;
  // A case killed part-way continues from its checkpoint; a retried failure starts afresh.
  request.mode = retry ? DirectoryMode::overwrite : DirectoryMode::resume;
  request.quiet = options.quiet;
  const Clock::time_point start = Clock::now();
  try {
    const RunResult result = run_scenario(request);
    if (result.stopped) {
      return {index, CaseOutcome::stopped, false,
              std::chrono::duration<double>(Clock::now() - start).count(),
              "stopped by " + result.stop_signal + "; its checkpoint resumes it next time"};
    }
    record.status = sweep::CaseStatus::ok;
    for (const auto& [name, value] : run_metric_values(result.metrics))
      record.metrics.push_back({name, value});
    if (!session.spec.keep_checkpoints) {
      fs::remove(folder / OutputDirectory::checkpoint_name, error);
      fs::remove(folder / OutputDirectory::previous_checkpoint_name, error);
    }
  } catch (const std::exception& e) {
    // Bad input for this case (an axis value the scenario cannot take) or a failed run: recorded,
    // and the sweep goes on.
    record.status = sweep::CaseStatus::failed;
    record.error = e.what();
  }
  record.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  record.threads = omp_get_max_threads();
  record.finished = utc_now();
  sweep::write_case_record(folder, record);
  return report_of(index,
                   record.status == sweep::CaseStatus::ok ? CaseOutcome::ok : CaseOutcome::failed,
                   record);
}

std::string case_values_text(const sweep::Case& c) {
  std::string out;
  for (const sweep::Override& o : c.overrides) {
    if (!out.empty())
      out += ' ';
    out += sweep::assignment(o.key, o.value);
  }
  return out;
}

}  // namespace microheal::app
