#include "stop_signals.hpp"

#include <unistd.h>

#include <atomic>
#include <string_view>

namespace microheal::app {

namespace {

// A signal handler can reach only static storage: this flag is the one piece of process-wide
// state the engine has, and it is as process-wide as the signals it records. Lock-free atomics
// are async-signal-safe.
std::atomic<int> received_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) {
  if (received_signal.exchange(signal) != 0) {
    // The second signal: end now, with the status the default action gives (128 + signal).
    ::signal(signal, SIG_DFL);
    ::raise(signal);
    return;
  }
  // write(2) is async-signal-safe; fmt and iostreams are not.
  constexpr std::string_view notice =
      "\nmicroheal: stopping after the current step and saving a checkpoint (a second signal "
      "stops at once)\n";
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, notice.data(), notice.size());
}

struct sigaction stop_action() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // Interrupted system calls (writes, fsync, waits) resume: a stop is acted on between steps.
  action.sa_flags = SA_RESTART;
  return action;
}

}  // namespace

StopSignals::StopSignals() {
  // The flag is not reset: a StopSignals made inside another (a run inside an MPI sweep rank) must
  // still see a stop that arrived before it, and a process that was asked to stop stays stopping.
  const struct sigaction action = stop_action();
  ::sigaction(SIGINT, &action, &_previous_int);
  ::sigaction(SIGTERM, &action, &_previous_term);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &_previous_int, nullptr);
  ::sigaction(SIGTERM, &_previous_term, nullptr);
}

bool StopSignals::requested() const {
  return received_signal.load() != 0;
}

int StopSignals::signal() const {
  return received_signal.load();
}

std::string StopSignals::signal_name() const {
  const int s = signal();
  if (s == SIGTERM)
    return "SIGTERM";
  if (s == SIGINT)
    return "SIGINT";
  return "signal " + std::to_string(s);
}

}  // namespace microheal::app
