#include "sweep_processes.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/sweep/case_record.hpp"
#include "stop_signals.hpp"
#include "system_info.hpp"

namespace microheal::app {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view log_name = "log.txt";

/// Everything a child needs, prepared before fork(): after fork() the child may only make
/// async-signal-safe calls, so no allocation happens there.
struct ChildCommand {
  std::string executable;
  std::vector<std::string> arguments;
  std::string log;

  std::vector<char*> argv() {
    std::vector<char*> out;
    out.push_back(executable.data());
    for (std::string& a : arguments)
      out.push_back(a.data());
    out.push_back(nullptr);
    return out;
  }
};

pid_t start_child(ChildCommand& command) {
  std::vector<char*> argv = command.argv();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw core::RunError(std::string("cannot start a case process: ") + std::strerror(errno));
  if (pid > 0)
    return pid;
  // The child: die with the sweep, leave the terminal's process group (the sweep forwards a stop
  // itself, once), write to the case's log, become the case.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::setpgid(0, 0);
  if (::getppid() != parent)
    ::_exit(127);  // the sweep died before prctl took effect
  const int log = ::open(command.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (log >= 0) {
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
  }
  ::execv(command.executable.c_str(), argv.data());
  ::_exit(127);
}

std::string signal_text(int signal) {
  const char* name = ::strsignal(signal);
  std::string text = "signal " + std::to_string(signal);
  if (name != nullptr) {
    text += " (";
    text += name;
    text += ')';
  }
  return text;
}

/// What the sweep knows of a child that ended: its record, or why it has none.
CaseReport conclude(const SweepSession& session, std::size_t index, int status,
                    double wall_seconds) {
  const sweep::Case& the_case = session.design.cases[index];
  const fs::path folder = session.directory.case_directory(the_case.id);
  CaseReport report;
  report.index = index;
  report.wall_seconds = wall_seconds;
  if (const std::optional<sweep::CaseRecord> record = sweep::read_case_record(folder)) {
    report.outcome =
        record->status == sweep::CaseStatus::ok ? CaseOutcome::ok : CaseOutcome::failed;
    report.recorded_ok = record->status == sweep::CaseStatus::ok;
    report.wall_seconds = record->wall_seconds;
    report.error = record->error;
    return report;
  }
  const std::string log = (folder / log_name).string();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    report.outcome = CaseOutcome::busy;  // another process holds the case
    return report;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == stopped_exit_code) {
    report.outcome = CaseOutcome::stopped;
    report.error = "stopped by a signal with its checkpoint saved; it resumes next time";
    return report;
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    if (signal == SIGINT || signal == SIGTERM || signal == SIGHUP) {
      report.outcome = CaseOutcome::busy;
      report.error = "stopped by " + signal_text(signal) + "; it runs again next time";
      return report;
    }
  }
  // A crash or an unexpected exit: the case failed, and the sweep records it as the case could not.
  sweep::CaseRecord record;
  record.id = the_case.id;
  record.index = index;
  record.assignments = sweep::case_assignments(session.spec, the_case);
  record.status = sweep::CaseStatus::failed;
  record.error =
      (WIFSIGNALED(status)
           ? "the case process was killed by " + signal_text(WTERMSIG(status))
           : "the case process exited with code " + std::to_string(WEXITSTATUS(status))) +
      " without recording a result (its output: " + log + ")";
  record.wall_seconds = wall_seconds;
  record.finished = utc_now();
  sweep::write_case_record(folder, record);
  report.outcome = CaseOutcome::failed;
  report.error = record.error;
  return report;
}

}  // namespace

bool run_in_processes(const SweepSession& session, std::span<const std::size_t> cases,
                      const ProcessPoolOptions& options,
                      const std::function<void(const CaseReport&)>& finished) {
  const StopSignals signals;
  bool forwarded = false;
  // How often a sweep with running cases looks for a stop request (a blocking wait would sleep
  // through it: the handlers restart interrupted calls).
  constexpr auto poll_interval = std::chrono::milliseconds(50);
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error)
    throw core::RunError("cannot find the microheal executable: /proc/self/exe: " +
                         error.message());
  struct Running {
    std::size_t index;
    std::chrono::steady_clock::time_point start;
  };
  std::map<pid_t, Running> running;
  std::size_t next = 0;
  while ((next < cases.size() && !signals.requested()) || !running.empty()) {
    if (signals.requested() && !forwarded) {
      for (const auto& [pid, run] : running)
        ::kill(pid, SIGTERM);
      forwarded = true;
    }
    while (next < cases.size() && running.size() < options.jobs && !signals.requested()) {
      const std::size_t index = cases[next++];
      const fs::path folder = session.directory.case_directory(session.design.cases[index].id);
      fs::create_directories(folder, error);
      ChildCommand command{
          executable.string(),
          {"sweep", session.sweep_file.string(), "-o", session.directory.root().string(),
           "--case-index", std::to_string(index), "--threads-per-job",
           std::to_string(options.threads_per_job)},
          (folder / log_name).string()};
      if (options.retry_failed)
        command.arguments.emplace_back("--retry-failed");
      running.emplace(start_child(command), Running{index, std::chrono::steady_clock::now()});
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      throw core::RunError(std::string("waiting for the case processes: ") + std::strerror(errno));
    }
    if (pid == 0) {
      std::this_thread::sleep_for(poll_interval);
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end())
      continue;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.start).count();
    const std::size_t index = it->second.index;
    running.erase(it);
    finished(conclude(session, index, status, wall));
  }
  return signals.requested();
}

}  // namespace microheal::app
